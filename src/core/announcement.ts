import { findWeek, sessionOn } from './course/calendar.js';
import type { IsoDate } from './course/dates.js';
import type { Course } from './course/model.js';
import type { Message } from './messages.js';
import { sessionCard, sessionTitle, weekHeading, weekMessage } from './views.js';

/** The morning post for a date: the day's card, or undefined when there is no session that day. */
export function morningAnnouncement(course: Course, date: IsoDate): Message | undefined {
  const session = sessionOn(course, date);
  if (!session) return undefined;
  return sessionCard(course, session, `Good morning! Today in ${course.name}: ${sessionTitle(session)}`);
}

/**
 * The weekly overview, posted on the first session day of each week when the course asks for it
 * (`announcements.weeklyOverview`); undefined on other days.
 */
export function weeklyAnnouncement(course: Course, date: IsoDate): Message | undefined {
  if (!course.announcements.weeklyOverview) return undefined;
  const session = sessionOn(course, date);
  const week = session && findWeek(course, session.week);
  if (!week || week.sessions[0]?.date !== date) return undefined;
  return weekMessage(course, week, `This week in ${course.name}: ${weekHeading(week)}`);
}
