import { findWeek, sessionOn } from './course/calendar.js';
import type { DayChange, SessionDigest } from './course/changes.js';
import { type IsoDate, formatShortDate, isIsoDate } from './course/dates.js';
import type { Course, Week } from './course/model.js';
import type { Message } from './messages.js';
import { relativeDay, sessionCard, sessionHeadline, sessionTitle, weekHeading, weekMessage } from './views.js';
import { message } from './messages.js';

/**
 * The morning post for a date: the day's card, or undefined when there is no session that day. On a
 * cancelled day it says so, why, and when the next session is, without the day's frameworks and links.
 */
export function morningAnnouncement(course: Course, date: IsoDate): Message | undefined {
  const session = sessionOn(course, date);
  if (!session) return undefined;
  const title = session.cancelled
    ? `Good morning! No session today in ${course.name}: ${sessionTitle(session)} is cancelled`
    : `Good morning! Today in ${course.name}: ${sessionTitle(session)}`;
  return sessionCard(course, session, { title, today: date });
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
  return weekOverview(course, week);
}

/** The weekly overview of a week, as posted. */
export function weekOverview(course: Course, week: Week): Message {
  return weekMessage(course, week, `This week in ${course.name}: ${weekHeading(week)}`);
}

/**
 * What a posted morning announcement becomes when its date no longer has a session (moved or
 * removed): the day's card when it still has one.
 */
export function revisedMorningAnnouncement(course: Course, date: IsoDate): Message {
  return (
    morningAnnouncement(course, date) ??
    message({
      title: `No session today in ${course.name}`,
      description: `The session planned for ${formatShortDate(date)} was moved or removed. /week shows the week as it is now.`,
      footer: course.name,
    })
  );
}

function withFrameworks(session: SessionDigest): string {
  return `${sessionHeadline(session)}${session.frameworks.length ? ` · ${session.frameworks.join(', ')}` : ''}`;
}

/** One line about a changed date: `Tue 6 Jan (tomorrow): cancelled — Docker (instructor ill)`. */
export function dayChangeLine(change: DayChange, today: IsoDate): string {
  const when = `${formatShortDate(change.date)} (${relativeDay(today, change.date)})`;
  const { before, after } = change;
  if (!after) return `${when}: no session any more (was: ${before ? withFrameworks(before) : 'nothing'})`;
  if (!before) return `${when}: new session: ${withFrameworks(after)}`;
  if (after.cancelled && !before.cancelled) {
    return `${when}: cancelled: ${withFrameworks({ ...after, cancelled: undefined })}${after.cancelled.reason ? ` (${after.cancelled.reason})` : ''}`;
  }
  if (before.cancelled && !after.cancelled) return `${when}: back on: ${withFrameworks(after)}`;
  const reason = after.cancelled?.reason !== before.cancelled?.reason && after.cancelled?.reason;
  const details = [
    before.topic !== after.topic && `was: ${sessionHeadline({ ...before, cancelled: undefined })}`,
    reason && `reason: ${reason}`,
    before.frameworks.join(', ') !== after.frameworks.join(', ') &&
      `frameworks were: ${before.frameworks.length ? before.frameworks.join(', ') : 'none'}`,
    before.note !== after.note && (after.note ? `note: ${after.note}` : 'note removed'),
  ].filter(Boolean);
  return `${when}: now ${withFrameworks(after)}${details.length ? ` (${details.join('; ')})` : ''}`;
}

/** The short "Schedule change" notice for dates in the next days whose sessions changed. */
export function scheduleChangeNotice(course: Course, changes: readonly DayChange[], today: IsoDate): Message {
  return message({
    title: changes.length === 1 ? 'Schedule change' : 'Schedule changes',
    description: changes.map((change) => dayChangeLine(change, today)).join('\n'),
    footer: `${course.name} · /week shows the whole week`,
  });
}

/** A planned post: the morning announcement or the weekly overview. */
export type AnnouncementKind = 'daily' | 'weekly';

/** What a post is: a planned announcement, or a notice such as a schedule change (`notice-…`). */
export type PostKind = AnnouncementKind | `notice-${string}`;

/**
 * One post, whatever restarts or instances happen: the claim key in the store and the nonce's source.
 * Its string form is `<course id>:<local date>:<kind>:<target>` (see {@link formatAnnouncementKey}); a
 * target such as `discord:123` may contain colons, a course id (a slug) and a kind may not.
 */
export interface AnnouncementKey {
  readonly courseId: string;
  readonly date: IsoDate;
  readonly kind: PostKind;
  /** Where it is posted, such as `discord:123` or `slack:C123`. */
  readonly target: string;
}

function isPostKind(text: string): text is PostKind {
  return text === 'daily' || text === 'weekly' || /^notice-[^:]+$/.test(text);
}

/**
 * The key's string form, the one the store holds. Throws on a key that could not be read back (a colon
 * in the course id or the kind, an empty part): a bug, since course ids are slugs.
 */
export function formatAnnouncementKey(key: AnnouncementKey): string {
  const { courseId, date, kind, target } = key;
  if (courseId === '' || courseId.includes(':') || !isIsoDate(date) || !isPostKind(kind) || target === '') {
    throw new Error(`not an announcement key: ${JSON.stringify(key)}`);
  }
  return `${courseId}:${date}:${kind}:${target}`;
}

/**
 * The parts of a key's string form, or undefined when it is not one (a reminder's `remind:…` key, a
 * key of another format). The exact inverse of {@link formatAnnouncementKey}.
 */
export function parseAnnouncementKey(text: string): AnnouncementKey | undefined {
  const match = /^([^:]+):(\d{4}-\d{2}-\d{2}):([^:]+):(.+)$/s.exec(text);
  if (!match) return undefined;
  const [, courseId, date, kind, target] = match as unknown as [string, string, string, string, string];
  if (!isIsoDate(date) || !isPostKind(kind)) return undefined;
  return { courseId, date, kind, target };
}

/**
 * The start every key of a course has (`listClaims` takes it), or of its keys of one date. Keys with it
 * may still be of another kind: parse each with {@link parseAnnouncementKey}.
 */
export function announcementKeyPrefix(courseId: string, date?: IsoDate): string {
  return date === undefined ? `${courseId}:` : `${courseId}:${date}:`;
}
