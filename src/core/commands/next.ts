import { sessionOn, today, upcomingSession } from '../course/calendar.js';
import { formatLongDate } from '../course/dates.js';
import { message } from '../messages.js';
import { relativeDay, sessionCard, sessionTitle } from '../views.js';
import { defineCommand } from './command.js';

export const nextCommand = defineCommand({
  name: 'next',
  description: 'The next session: when, topic, frameworks and links',
  audience: 'everyone',
  options: [],
  run({ course, now }) {
    const session = upcomingSession(course, now);
    const current = sessionOn(course, today(course, now));
    if (!session && current) {
      return sessionCard(course, current, `Today's session is the last one: ${sessionTitle(current)}`);
    }
    if (!session) {
      const last = course.sessions[course.sessions.length - 1]!;
      return message({
        title: `${course.name} has ended`,
        description: `There are no more sessions. The last one was on ${formatLongDate(last.date)}.`,
        footer: course.name,
      });
    }
    return sessionCard(course, session, `Next (${relativeDay(today(course, now), session.date)}): ${sessionTitle(session)}`);
  },
});
