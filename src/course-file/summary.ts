import { firstSession, lastSession } from '../core/course/calendar.js';
import { formatLongDate } from '../core/course/dates.js';
import { type Course, printable } from '../core/course/model.js';

/**
 * One line about a course: weeks, sessions, first and last date, zone (a line break or an escape code in
 * the name is shown escaped). Here rather than in main.ts so that
 * `course-bot validate` loads neither discord.js nor SQLite to print it.
 */
export function courseSummary({ course }: { readonly course: Course }): string {
  const weeks = course.weeks.length;
  const sessions = course.sessions.length;
  return (
    `${printable(course.name)} (${course.id}): ${weeks} ${weeks === 1 ? 'week' : 'weeks'}, ` +
    `${sessions} ${sessions === 1 ? 'session' : 'sessions'}, ` +
    `${formatLongDate(firstSession(course).date)} – ${formatLongDate(lastSession(course).date)}, ${course.timezone}`
  );
}
