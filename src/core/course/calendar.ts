import { type IsoDate, localDateOf, weekNumberOf, zonedInstant } from './dates.js';
import type { Course, Session, Week } from './model.js';

/** What a date is, seen from the course. */
export type DayStatus =
  | { readonly kind: 'session'; readonly session: Session }
  | { readonly kind: 'free'; readonly week: number; readonly next?: Session }
  | { readonly kind: 'before'; readonly first: Session }
  | { readonly kind: 'after'; readonly last: Session };

export function firstSession(course: Course): Session {
  return course.sessions[0]!;
}

export function lastSession(course: Course): Session {
  return course.sessions[course.sessions.length - 1]!;
}

/** The last session that takes place (not cancelled); the last one when all are cancelled. */
export function lastHeldSession(course: Course): Session {
  return course.sessions.findLast(isHeld) ?? lastSession(course);
}

/** The course's local date at an instant. */
export function today(course: Course, now: Date): IsoDate {
  return localDateOf(now, course.timezone);
}

/**
 * The index of the first of `sorted` (in ascending order of `key`) whose key is `value` or later; their count
 * when none is. A binary search: a course's sessions are in date order, and may be 10,000.
 */
export function firstAtLeast<T>(sorted: readonly T[], key: (item: T) => string, value: string): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (key(sorted[middle]!) < value) low = middle + 1;
    else high = middle;
  }
  return low;
}

const dateOf = (session: Session): IsoDate => session.date;

/** The index of the first of `sessions` (in date order) on or after `date`; their count when none is. */
export function firstOnOrAfter(sessions: readonly Session[], date: IsoDate): number {
  return firstAtLeast(sessions, dateOf, date);
}

export function sessionOn(course: Course, date: IsoDate): Session | undefined {
  const session = course.sessions[firstOnOrAfter(course.sessions, date)];
  return session?.date === date ? session : undefined;
}

/** Whether the session takes place (it was not cancelled). */
export function isHeld(session: Session): boolean {
  return session.cancelled === undefined;
}

/** The first session strictly after `date`; with `held`, the first one not cancelled. */
export function nextSessionAfter(course: Course, date: IsoDate, held = false): Session | undefined {
  return course.sessions.find((session) => session.date > date && (!held || isHeld(session)));
}

export function dayStatus(course: Course, date: IsoDate): DayStatus {
  const session = sessionOn(course, date);
  if (session) return { kind: 'session', session };
  const first = firstSession(course);
  const last = lastSession(course);
  if (date < first.date) return { kind: 'before', first };
  if (date > last.date) return { kind: 'after', last };
  const next = nextSessionAfter(course, date, true);
  return { kind: 'free', week: weekNumber(course, date), ...(next && { next }) };
}

/** The course week a date lies in (0 or less before the course's first week). */
export function weekNumber(course: Course, date: IsoDate): number {
  return weekNumberOf(course.start, date);
}

export function findWeek(course: Course, number: number): Week | undefined {
  return course.weeks.find((week) => week.number === number);
}

/**
 * The week to show for "this week" on `date`: the first week before the course and the last after it;
 * during the course the week `date` lies in, until its last session day has passed (the weekend after
 * it, say), then the next week the course lists. A week without sessions, listed or not, is shown as
 * it is (it says when the next session is).
 */
export function currentWeekNumber(course: Course, date: IsoDate): number {
  const first = course.weeks[0]!.number;
  const last = course.weeks[course.weeks.length - 1]!.number;
  if (date < firstSession(course).date) return first;
  if (date > lastSession(course).date) return Math.min(Math.max(weekNumber(course, date), first), last);
  const current = weekNumber(course, date);
  const week = findWeek(course, current);
  const over = week !== undefined && week.sessions.length > 0 && week.sessions.every((session) => session.date < date);
  if (!over) return current;
  return course.weeks.find((candidate) => candidate.number > current)?.number ?? current;
}

/** The instant the session's lecture starts, when the course gives a `dayStart`. */
export function sessionStart(course: Course, session: Session): Date | undefined {
  if (!course.dayStart) return undefined;
  return zonedInstant(session.date, course.dayStart, course.timezone).toJSDate();
}

/**
 * The session a student asking "what's next?" at `now` means: today's, while its lecture has not
 * started yet (all day when the course gives no `dayStart`), otherwise the first one after today.
 */
export function upcomingSession(course: Course, now: Date): Session | undefined {
  const date = today(course, now);
  const current = sessionOn(course, date);
  const start = current && sessionStart(course, current);
  if (current && isHeld(current) && (!start || now.getTime() < start.getTime())) return current;
  return nextSessionAfter(course, date, true);
}

