import { sessionOn } from './course/calendar.js';
import type { IsoDate } from './course/dates.js';
import type { Course } from './course/model.js';
import type { Message } from './messages.js';
import { sessionCard, sessionTitle } from './views.js';

/** The morning post for a date: the day's card, or undefined when there is no session that day. */
export function morningAnnouncement(course: Course, date: IsoDate): Message | undefined {
  const session = sessionOn(course, date);
  if (!session) return undefined;
  return sessionCard(course, session, `Good morning! Today in ${course.name}: ${sessionTitle(session)}`);
}
