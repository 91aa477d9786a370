import { isHeld, sessionOn, today, upcomingSession } from '../course/calendar.js';
import { formatLongDate } from '../course/dates.js';
import { message } from '../messages.js';
import { relativeDay, sessionCard, sessionTitle } from '../views.js';
import { defineCommand } from './command.js';

export const nextCommand = defineCommand({
  name: 'next',
  description: 'The next session: when, topic, frameworks and links',
  audience: 'everyone',
  readOnly: true,
  options: [],
  run({ course, now }) {
    const session = upcomingSession(course, now);
    const date = today(course, now);
    const current = sessionOn(course, date);
    if (!session && current && isHeld(current)) {
      return sessionCard(course, current, { title: `Today's session is the last one: ${sessionTitle(current)}` });
    }
    if (!session) {
      const held = course.sessions.filter(isHeld);
      const last = held[held.length - 1];
      const ahead = course.sessions.some((candidate) => candidate.date >= date);
      return message({
        title: ahead ? `No more sessions in ${course.name}` : `${course.name} has ended`,
        description: ahead
          ? 'The sessions still on the schedule are cancelled; /week shows them.'
          : `There are no more sessions.${last ? ` The last one was on ${formatLongDate(last.date)}.` : ''}`,
        footer: course.name,
      });
    }
    return sessionCard(course, session, { title: `Next (${relativeDay(date, session.date)}): ${sessionTitle(session)}` });
  },
});
