import { type AnnouncementKind, type PostKind, formatAnnouncementKey, morningAnnouncement, weeklyAnnouncement } from '../core/announcement.js';
import { nextSessionAfter, sessionOn, today } from '../core/course/calendar.js';
import { type IsoDate, zonedInstant } from '../core/course/dates.js';
import type { Course } from '../core/course/model.js';
import type { Message } from '../core/messages.js';

export type { AnnouncementKind, PostKind } from '../core/announcement.js';

/** The key of a course's post, as a string (see `AnnouncementKey`): one post, whatever restarts or instances happen. */
export function announcementKey(course: Course, date: IsoDate, kind: PostKind, target: string): string {
  return formatAnnouncementKey({ courseId: course.id, date, kind, target });
}

/** A platform nonce (≤ 25 characters) derived from the key: the same key always gives the same nonce. */
export function nonceFor(key: string): string {
  // FNV-1a, 64 bits, in base 36: ≤ 13 characters, deterministic, no dependencies.
  let hash = 0xcbf29ce484222325n;
  for (const byte of new TextEncoder().encode(key)) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return `cb${hash.toString(36)}`;
}

export interface DueAnnouncement {
  readonly key: string;
  readonly kind: PostKind;
  readonly date: IsoDate;
  readonly target: string;
  readonly message: Message;
}

export interface Plan {
  /** What to post now (not yet sent or failed). */
  readonly due: readonly DueAnnouncement[];
  /** Announcements of today that were not posted and no longer will be: the catch-up window is over. */
  readonly missed: readonly { readonly key: string; readonly reason: string }[];
  /** When the next announcement falls due (undefined after the last session). */
  readonly nextAt?: Date;
}

export interface PlanInput {
  readonly course: Course;
  readonly now: Date;
  /** Where announcements go, e.g. `discord:123`. */
  readonly targets: readonly string[];
  /** Whether a key is finished (sent, or failed and reported). */
  readonly isDone: (key: string) => boolean;
  /** Post now whatever the time of day (`announce --now`). */
  readonly ignoreTime?: boolean;
}

/** The instant of a date's morning post, in the course zone (DST-safe: see `zonedInstant`). */
export function postTime(course: Course, date: IsoDate): Date {
  return zonedInstant(date, course.announcements.time, course.timezone).toJSDate();
}

function catchUpDeadline(course: Course, date: IsoDate): Date {
  return zonedInstant(date, course.announcements.catchUpUntil, course.timezone).toJSDate();
}

/**
 * What is due at `now`, purely from the clock, the course and what was already done: on a session
 * day, from the announcement time until `catchUpUntil`, the day card (and the weekly overview on a
 * week's first session day) for every target not yet done.
 */
export function planAnnouncements(input: PlanInput): Plan {
  const { course, now } = input;
  const date = today(course, now);
  const upcoming = nextSessionAfter(course, date);
  const later = upcoming ? { nextAt: postTime(course, upcoming.date) } : {};
  if (!sessionOn(course, date)) return { due: [], missed: [], ...later };

  const at = postTime(course, date);
  if (!input.ignoreTime && now.getTime() < at.getTime()) return { due: [], missed: [], nextAt: at };

  const messages: [AnnouncementKind, Message | undefined][] = [
    ['weekly', weeklyAnnouncement(course, date)],
    ['daily', morningAnnouncement(course, date)],
  ];
  const candidates = input.targets.flatMap((target) =>
    messages.flatMap(([kind, message]) =>
      message ? [{ key: announcementKey(course, date, kind, target), kind, date, target, message }] : [],
    ),
  );
  const open = candidates.filter((candidate) => !input.isDone(candidate.key));
  // The post's own minute always counts, even when catchUpUntil is the announcement time itself.
  const deadline = Math.max(catchUpDeadline(course, date).getTime(), at.getTime() + 60_000);
  if (!input.ignoreTime && now.getTime() >= deadline) {
    const reason = `started after ${course.announcements.catchUpUntil} (catchUpUntil), too late for the ${course.announcements.time} post`;
    return { due: [], missed: open.map(({ key }) => ({ key, reason })), ...later };
  }
  return { due: open, missed: [], ...later };
}
