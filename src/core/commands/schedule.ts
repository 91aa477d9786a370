import { firstSession, lastSession } from '../course/calendar.js';
import { formatLongDate } from '../course/dates.js';
import type { Course } from '../course/model.js';
import { type Message, message } from '../messages.js';
import { sessionLine, weekHeading } from '../views.js';
import { defineCommand } from './command.js';

/**
 * The answer for each course (a course never changes: a new revision is a new object). It depends on nothing
 * else, and a long course has thousands of lines to write.
 */
const schedules = new WeakMap<Course, Message>();

export const scheduleCommand = defineCommand({
  name: 'schedule',
  description: 'An overview of the whole course, week by week',
  audience: 'everyone',
  readOnly: true,
  options: [],
  run({ course }) {
    let answer = schedules.get(course);
    if (!answer) schedules.set(course, (answer = scheduleMessage(course)));
    return answer;
  },
});

function scheduleMessage(course: Course): Message {
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
}
