import * as z from 'zod';
import type { IsoDate } from '../core/course/dates.js';
import type { StateStore } from '../core/ports.js';
import {
  CLOSED_DAYS_LIMIT,
  type ReminderKind,
  type ReminderSettings,
  type ReminderStatus,
  type ReminderStopReason,
  type Subscriber,
} from '../core/reminders.js';

/** Where subscriptions live in the state store's values: `reminder:sub:<course id>:<platform>:<user>`. */
export const SUBSCRIPTION_PREFIX = 'reminder:sub:';

/** One student's subscription to the reminders of one course (on one platform). */
export interface SubscriptionKey {
  /** A `course.id` (a slug: no colon). */
  readonly courseId: string;
  /** `discord`, `slack`, `terminal`: lowercase letters only. */
  readonly platform: string;
  /** May contain colons (Slack's `T1:U2`). */
  readonly userId: string;
}

/** The start of every subscription key of a course (`listKeys` takes it). */
export function subscriptionKeyPrefix(courseId: string): string {
  return `${SUBSCRIPTION_PREFIX}${courseId}:`;
}

/** The key's string form; throws on one that could not be read back (a colon in the course id, a platform not in lowercase letters, an empty part): a bug. */
export function formatSubscriptionKey(key: SubscriptionKey): string {
  const { courseId, platform, userId } = key;
  if (courseId === '' || courseId.includes(':') || !/^[a-z]+$/.test(platform) || userId === '') {
    throw new Error(`not a subscription key: ${JSON.stringify(key)}`);
  }
  return `${subscriptionKeyPrefix(courseId)}${platform}:${userId}`;
}

/** The parts of a subscription key, or undefined when it is none: the exact inverse of {@link formatSubscriptionKey}. */
export function parseSubscriptionKey(key: string): SubscriptionKey | undefined {
  const match = /^reminder:sub:([^:]+):([a-z]+):(.+)$/s.exec(key);
  return match ? { courseId: match[1]!, platform: match[2]!, userId: match[3]! } : undefined;
}

/**
 * The student of a subscription from before subscriptions belonged to a course (`reminder:sub:<platform>:<user>`),
 * or undefined when the key is none, or is a course's ({@link parseSubscriptionKey} reads it).
 */
export function parseOldSubscriptionKey(key: string): { readonly platform: string; readonly userId: string } | undefined {
  if (parseSubscriptionKey(key)) return undefined;
  const match = /^reminder:sub:([a-z]+):(.+)$/s.exec(key);
  return match ? { platform: match[1]!, userId: match[2]! } : undefined;
}
/** Cached DM channel ids: `reminder:dm:<platform>:<user>`. */
export const DM_CHANNEL_PREFIX = 'reminder:dm:';

const subscriptionSchema = z.object({
  kind: z.enum(['evening', 'morning']).optional(),
  stopped: z.enum(['closed-dms', 'left']).optional(),
  closedDays: z.array(z.string()).default([]),
});

type Subscription = z.infer<typeof subscriptionSchema>;

/** What happened to a DM that could not be delivered, as the store recorded it. */
export type Undeliverable = { readonly turnedOff: boolean; readonly closedDays: number };

/** The counts `course-bot reminders` prints: student data, so counts only. */
export interface ReminderCounts {
  readonly evening: number;
  readonly morning: number;
  readonly stoppedClosedDms: number;
  readonly stoppedLeft: number;
}

/**
 * The reminder subscriptions of one course, and the DM channel ids (per platform and user, shared by every
 * course), kept in the state store. A student subscribed in one course is reminded of that course only.
 * They are student data: never exported with the course, never logged above debug.
 */
export class ReminderBook implements ReminderSettings {
  readonly #store: StateStore;
  readonly evening: string;
  /** The course whose subscriptions these are. */
  readonly courseId: string;

  constructor(store: StateStore, evening: string, courseId: string) {
    this.#store = store;
    this.evening = evening;
    this.courseId = courseId;
  }

  get(platform: string, userId: string): ReminderStatus {
    return status(this.#read(platform, userId));
  }

  set(platform: string, userId: string, kind: ReminderKind | 'off'): ReminderStatus {
    const key = this.#key(platform, userId);
    if (kind === 'off') {
      this.#store.deleteValue(key);
      return {};
    }
    // Turning it on again starts the count of closed days afresh.
    const next: Subscription = { kind, closedDays: [] };
    this.#store.setValue(key, JSON.stringify(next));
    return status(next);
  }

  /** Everyone with a reminder of this course on. */
  subscribers(): Subscriber[] {
    return this.#store.listKeys(subscriptionKeyPrefix(this.courseId)).flatMap((key) => {
      const who = parseSubscriptionKey(key);
      const sub = parse(this.#store.getValue(key));
      return who?.courseId === this.courseId && sub?.kind
        ? [{ platform: who.platform, userId: who.userId, kind: sub.kind, closedDays: sub.closedDays }]
        : [];
    });
  }

  /**
   * Records that the student's DMs were closed on `day`; on the `CLOSED_DAYS_LIMIT`th such day their
   * reminder is turned off (and `/remind` says why).
   */
  recordClosed(platform: string, userId: string, day: IsoDate): Undeliverable {
    const key = this.#key(platform, userId);
    let outcome: Undeliverable = { turnedOff: false, closedDays: 0 };
    this.#store.transaction(() => {
      const sub = parse(this.#store.getValue(key));
      if (!sub?.kind) return;
      const closedDays = sub.closedDays.includes(day) ? sub.closedDays : [...sub.closedDays, day];
      const turnedOff = closedDays.length >= CLOSED_DAYS_LIMIT;
      const next: Subscription = turnedOff ? { stopped: 'closed-dms', closedDays } : { ...sub, closedDays };
      this.#store.setValue(key, JSON.stringify(next));
      outcome = { turnedOff, closedDays: closedDays.length };
    });
    return outcome;
  }

  /** Turns the reminder off for a student who left (a send or a member lookup said so). */
  recordGone(platform: string, userId: string): void {
    this.#stop(platform, userId, 'left');
    this.#store.deleteValue(dmChannelKey(platform, userId));
  }

  /** The DM channel id cached for a user. */
  dmChannel(platform: string, userId: string): string | undefined {
    return this.#store.getValue(dmChannelKey(platform, userId));
  }

  forgetDmChannel(platform: string, userId: string): void {
    this.#store.deleteValue(dmChannelKey(platform, userId));
  }

  rememberDmChannel(platform: string, userId: string, channelId: string): void {
    this.#store.setValue(dmChannelKey(platform, userId), channelId);
  }

  /** This course's subscriptions, counted. */
  counts(): ReminderCounts {
    return reminderCounts(this.#store).get(this.courseId) ?? NO_REMINDERS;
  }

  #stop(platform: string, userId: string, reason: ReminderStopReason): void {
    const key = this.#key(platform, userId);
    const sub = parse(this.#store.getValue(key));
    if (!sub?.kind) return;
    this.#store.setValue(key, JSON.stringify({ stopped: reason, closedDays: sub.closedDays } satisfies Subscription));
  }

  #read(platform: string, userId: string): Subscription | undefined {
    return parse(this.#store.getValue(this.#key(platform, userId)));
  }

  #key(platform: string, userId: string): string {
    return formatSubscriptionKey({ courseId: this.courseId, platform, userId });
  }
}

const NO_REMINDERS: ReminderCounts = { evening: 0, morning: 0, stoppedClosedDms: 0, stoppedLeft: 0 };

/** What {@link reminderCounts} files the subscriptions from before they belonged to a course under. */
export const OLD_SUBSCRIPTIONS = '';

/**
 * Every course's subscriptions counted, by course id; those from before subscriptions belonged to a course
 * (not moved to one yet) under {@link OLD_SUBSCRIPTIONS}.
 */
export function reminderCounts(store: Pick<StateStore, 'listKeys' | 'getValue'>): Map<string, ReminderCounts> {
  const byCourse = new Map<string, { evening: number; morning: number; stoppedClosedDms: number; stoppedLeft: number }>();
  for (const key of store.listKeys(SUBSCRIPTION_PREFIX)) {
    const courseId = parseSubscriptionKey(key)?.courseId ?? (parseOldSubscriptionKey(key) ? OLD_SUBSCRIPTIONS : undefined);
    const sub = courseId === undefined ? undefined : parse(store.getValue(key));
    if (courseId === undefined || !sub) continue;
    let counts = byCourse.get(courseId);
    if (!counts) byCourse.set(courseId, (counts = { ...NO_REMINDERS }));
    if (sub.kind) counts[sub.kind] += 1;
    else if (sub.stopped === 'closed-dms') counts.stoppedClosedDms += 1;
    else if (sub.stopped === 'left') counts.stoppedLeft += 1;
  }
  return byCourse;
}

/** What {@link adoptOldSubscriptions} did. */
export interface Adopted {
  /** Old subscriptions moved to the course now (0 when there were none, or another instance moved them first). */
  readonly moved: number;
  /** Old subscriptions skipped because the course already had one for the same student (the course's wins). */
  readonly kept: number;
}

/**
 * Moves the subscriptions from before they belonged to a course (`reminder:sub:<platform>:<user>`) to `courseId`:
 * one transaction under the store's write lock, so that of two instances starting at once one moves them and
 * the other finds none; running it again moves nothing. A student who already has a subscription in the
 * course keeps that one (their old key is dropped).
 */
export function adoptOldSubscriptions(store: StateStore, courseId: string): Adopted {
  return store.transaction(() => {
    let moved = 0;
    let kept = 0;
    for (const key of store.listKeys(SUBSCRIPTION_PREFIX)) {
      const who = parseOldSubscriptionKey(key);
      const value = who && store.getValue(key);
      if (!who || value === undefined) continue;
      const target = formatSubscriptionKey({ courseId, ...who });
      if (store.compareAndSetValue(target, undefined, value)) moved += 1;
      else kept += 1;
      store.deleteValue(key);
    }
    return { moved, kept };
  });
}

/** How many subscriptions from before they belonged to a course are in the store. */
export function countOldSubscriptions(store: Pick<StateStore, 'listKeys'>): number {
  return store.listKeys(SUBSCRIPTION_PREFIX).filter((key) => parseOldSubscriptionKey(key) !== undefined).length;
}

function dmChannelKey(platform: string, userId: string): string {
  return `${DM_CHANNEL_PREFIX}${platform}:${userId}`;
}

function parse(value: string | undefined): Subscription | undefined {
  if (value === undefined) return undefined;
  try {
    const checked = subscriptionSchema.safeParse(JSON.parse(value));
    return checked.success ? checked.data : undefined;
  } catch {
    return undefined;
  }
}

function status(sub: Subscription | undefined): ReminderStatus {
  if (!sub) return {};
  return { ...(sub.kind && { kind: sub.kind }), ...(sub.stopped && { stopped: sub.stopped }) };
}
