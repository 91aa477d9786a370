import { firstSession, lastSession } from '../course/calendar.js';
import { formatLongDate } from '../course/dates.js';
import { message } from '../messages.js';
import { sessionLine, weekHeading } from '../views.js';
import { defineCommand } from './command.js';

export const scheduleCommand = defineCommand({
  name: 'schedule',
  description: 'An overview of the whole course, week by week',
  audience: 'everyone',
  options: [],
  run({ course }) {
    const weeks = course.weeks.length;
    const sessions = course.sessions.length;
    return message({
      title: `${course.name}: schedule`,
      description:
        `${weeks} ${weeks === 1 ? 'week' : 'weeks'}, ${sessions} ${sessions === 1 ? 'session' : 'sessions'}, ` +
        `${formatLongDate(firstSession(course).date)} – ${formatLongDate(lastSession(course).date)} (${course.timezone})`,
      sections: course.weeks.map((week) => ({
        heading: weekHeading(week),
        lines: week.sessions.length ? week.sessions.map(sessionLine) : ['No sessions'],
      })),
      ...(course.repository && { links: [{ label: 'Course repository', url: course.repository }] }),
      footer: course.name,
    });
  },
});
