import { z } from 'zod';
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

/** Where subscriptions live in the state store's values: `reminder:sub:<platform>:<user>`. */
export const SUBSCRIPTION_PREFIX = 'reminder:sub:';
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
 * Students' reminder subscriptions and DM channel ids, kept in the state store keyed per platform and user.
 * They are student data: never exported with the course, never logged above debug.
 */
export class ReminderBook implements ReminderSettings {
  readonly #store: StateStore;
  readonly evening: string;

  constructor(store: StateStore, evening: string) {
    this.#store = store;
    this.evening = evening;
  }

  get(platform: string, userId: string): ReminderStatus {
    return status(this.#read(platform, userId));
  }

  set(platform: string, userId: string, kind: ReminderKind | 'off'): ReminderStatus {
    const key = subscriptionKey(platform, userId);
    if (kind === 'off') {
      this.#store.deleteValue(key);
      return {};
    }
    // Turning it on again starts the count of closed days afresh.
    const next: Subscription = { kind, closedDays: [] };
    this.#store.setValue(key, JSON.stringify(next));
    return status(next);
  }

  /** Everyone with a reminder on. */
  subscribers(): Subscriber[] {
    return this.#store.listKeys(SUBSCRIPTION_PREFIX).flatMap((key) => {
      const who = parseSubscriptionKey(key);
      const sub = parse(this.#store.getValue(key));
      return who && sub?.kind ? [{ ...who, kind: sub.kind, closedDays: sub.closedDays }] : [];
    });
  }

  /**
   * Records that the student's DMs were closed on `day`; on the `CLOSED_DAYS_LIMIT`th such day their
   * reminder is turned off (and `/remind` says why).
   */
  recordClosed(platform: string, userId: string, day: IsoDate): Undeliverable {
    const key = subscriptionKey(platform, userId);
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

  counts(): ReminderCounts {
    const counts = { evening: 0, morning: 0, stoppedClosedDms: 0, stoppedLeft: 0 };
    for (const key of this.#store.listKeys(SUBSCRIPTION_PREFIX)) {
      const sub = parse(this.#store.getValue(key));
      if (sub?.kind) counts[sub.kind] += 1;
      else if (sub?.stopped === 'closed-dms') counts.stoppedClosedDms += 1;
      else if (sub?.stopped === 'left') counts.stoppedLeft += 1;
    }
    return counts;
  }

  #stop(platform: string, userId: string, reason: ReminderStopReason): void {
    const key = subscriptionKey(platform, userId);
    const sub = parse(this.#store.getValue(key));
    if (!sub?.kind) return;
    this.#store.setValue(key, JSON.stringify({ stopped: reason, closedDays: sub.closedDays } satisfies Subscription));
  }

  #read(platform: string, userId: string): Subscription | undefined {
    return parse(this.#store.getValue(subscriptionKey(platform, userId)));
  }
}

function subscriptionKey(platform: string, userId: string): string {
  return `${SUBSCRIPTION_PREFIX}${platform}:${userId}`;
}

/** The student of a subscription key (the platform has no colon, the user id may have), or undefined when it is none. */
function parseSubscriptionKey(key: string): { platform: string; userId: string } | undefined {
  const match = /^reminder:sub:([^:]+):(.+)$/s.exec(key);
  return match ? { platform: match[1]!, userId: match[2]! } : undefined;
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
