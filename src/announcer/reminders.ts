import { setMaxListeners } from 'node:events';
import type { Clock } from '../core/clock.js';
import { today } from '../core/course/calendar.js';
import type { Course } from '../core/course/model.js';
import { PostError, type StateStore } from '../core/ports.js';
import {
  type DirectMessenger,
  type DueReminder,
  type ReminderPlan,
  RecipientError,
  parseReminderKey,
  planReminders,
  reminderKeyPrefix,
} from '../core/reminders.js';
import type { Logger } from '../log.js';
import type { ReminderBook } from '../store/reminders.js';
import { nonceFor } from './plan.js';

export interface RemindersOptions {
  readonly course: () => Course;
  readonly clock: Clock;
  readonly store: StateStore;
  readonly book: ReminderBook;
  readonly messengers: readonly DirectMessenger[];
  readonly logger: Logger;
  /** This instance's name in claims. */
  readonly owner: string;
  readonly leaseMs: number;
  /** DMs in flight at once; the platform client's queue keeps to the rate limits. Default 50. */
  readonly concurrency?: number;
}

/** What one run did, counted (user ids stay out of reports and logs above debug). */
export interface ReminderReport {
  sent: number;
  recovered: number;
  closed: number;
  gone: number;
  failed: number;
  busy: number;
  /** Left for the next run (a transient error, or stopped mid-run). */
  retry: number;
}

type Outcome = Exclude<keyof ReminderReport, never> | undefined;

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Sends the reminders students opted into: every due reminder goes through claim → send → record, keyed
 * per student and session, so that of any number of instances and restarts exactly one DM reaches each
 * student. A claim left pending by a crash is taken over once its lease ends, looking for the DM first.
 */
export class Reminders {
  readonly #options: RemindersOptions;
  readonly #shutdown = new AbortController();
  #running: Promise<ReminderReport> | undefined;

  constructor(options: RemindersOptions) {
    this.#options = options;
    // Every DM in flight listens for shutdown on this one signal.
    setMaxListeners((options.concurrency ?? 50) + 10, this.#shutdown.signal);
  }

  plan(): ReminderPlan {
    const { store, book, clock } = this.#options;
    const platforms = new Set(this.#options.messengers.map((messenger) => messenger.platform));
    return planReminders({
      course: this.#options.course(),
      now: clock.now(),
      evening: book.evening,
      subscribers: book.subscribers().filter((subscriber) => platforms.has(subscriber.platform)),
      isDone: (key) => {
        const status = store.getClaim(key)?.status;
        return status === 'sent' || status === 'failed';
      },
    });
  }

  /** When to run next: the next reminder time, or the end of a lease on a pending reminder. */
  nextWakeUp(): Date | undefined {
    const now = this.#options.clock.now().getTime();
    const leases = this.#options.store
      .listClaims(reminderKeyPrefix(this.#options.course().id))
      .filter((record) => record.status === 'pending' && record.leaseUntil > now)
      .map((record) => record.leaseUntil);
    const next = this.plan().nextAt;
    const candidates = [...leases, ...(next ? [next.getTime()] : [])];
    return candidates.length ? new Date(Math.min(...candidates)) : undefined;
  }

  /** Sends whatever is due now. Runs one at a time: a call during a run waits for it. */
  run(): Promise<ReminderReport> {
    this.#running ??= this.#runOnce().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Stops: DMs in flight are cancelled and their claims handed back for the next start. */
  async stop(): Promise<void> {
    this.#shutdown.abort();
    await this.#running?.catch(() => undefined);
  }

  async #runOnce(): Promise<ReminderReport> {
    const report: ReminderReport = { sent: 0, recovered: 0, closed: 0, gone: 0, failed: 0, busy: 0, retry: 0 };
    if (this.#shutdown.signal.aborted) return report;
    const due = this.plan().due;
    for (const outcome of await Promise.all(this.#stale(due).map((key) => this.#settleStale(key)))) if (outcome) report[outcome] += 1;
    const queue = [...due];
    if (queue.length === 0) return report;
    const worker = async () => {
      for (let due = queue.shift(); due && !this.#shutdown.signal.aborted; due = queue.shift()) {
        const outcome = await this.#deliver(due);
        if (outcome) report[outcome] += 1;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.#options.concurrency ?? 50, queue.length) }, worker));
    this.#options.logger.info(report, 'reminders sent');
    return report;
  }

  /** Pending reminders no longer due (the session began) whose sender went away: crashed mid-send and not back in time. */
  #stale(due: readonly DueReminder[]): string[] {
    const now = this.#options.clock.now().getTime();
    const keys = new Set(due.map((entry) => entry.key));
    return this.#options.store
      .listClaims(reminderKeyPrefix(this.#options.course().id))
      .filter((record) => record.status === 'pending' && record.leaseUntil <= now && !keys.has(record.key))
      .map((record) => record.key);
  }

  /** Records whether a stale reminder reached the student (found in their DMs) or not; never sends it late. */
  async #settleStale(key: string): Promise<Outcome> {
    const { store, owner, leaseMs, clock } = this.#options;
    const parts = parseReminderKey(key);
    const messenger = parts && this.#messenger(parts.platform);
    if (!parts || !messenger) return undefined;
    const claim = store.claim(key, { owner, now: clock.now().getTime(), leaseMs });
    if (claim.kind !== 'taken-over') return claim.kind === 'busy' ? 'busy' : undefined;
    const complete = (outcome: Parameters<StateStore['completeClaim']>[2]) => store.completeClaim(key, owner, outcome, clock.now().getTime());
    try {
      const since = new Date(Date.now() - (clock.now().getTime() - (claim.previous.updatedAt - 60_000)));
      const found = await messenger.findSent(parts.userId, { key, nonce: nonceFor(key), since, signal: this.#shutdown.signal });
      if (found) {
        complete({ status: 'sent', messageId: found.id });
        return 'recovered';
      }
      complete({ status: 'failed', error: 'not sent: the bot was down until the session began' });
      return 'failed';
    } catch (error) {
      if (this.#shutdown.signal.aborted) return undefined;
      complete({ status: 'failed', error: `could not check whether it was sent: ${describe(error)}` });
      return 'failed';
    }
  }

  #messenger(platform: string): DirectMessenger | undefined {
    return this.#options.messengers.find((candidate) => candidate.platform === platform);
  }

  async #deliver(due: DueReminder): Promise<Outcome> {
    const { store, owner, leaseMs, clock, book } = this.#options;
    const { platform, userId } = due.subscriber;
    const messenger = this.#messenger(platform);
    if (!messenger) return undefined;
    // User ids are in the key: debug only.
    const log = this.#options.logger.child({ platform });
    const claim = store.claim(due.key, { owner, now: clock.now().getTime(), leaseMs });
    if (claim.kind === 'done') return undefined;
    if (claim.kind === 'busy') return 'busy';
    const signal = this.#shutdown.signal;
    const options = { key: due.key, nonce: nonceFor(due.key), signal };
    const complete = (outcome: Parameters<StateStore['completeClaim']>[2]) => store.completeClaim(due.key, owner, outcome, clock.now().getTime());
    try {
      if (claim.kind === 'taken-over') {
        const since = new Date(Date.now() - (clock.now().getTime() - (claim.previous.updatedAt - 60_000)));
        const found = await messenger.findSent(userId, { ...options, since });
        if (found) {
          complete({ status: 'sent', messageId: found.id });
          log.debug({ key: due.key }, 'reminder was already sent; recorded it');
          return 'recovered';
        }
      }
      const sent = await messenger.send(userId, due.message, options);
      complete({ status: 'sent', messageId: sent.id });
      log.debug({ key: due.key }, 'reminder sent');
      return 'sent';
    } catch (error) {
      if (error instanceof RecipientError) {
        complete({ status: 'failed', error: error.reason === 'closed' ? 'direct messages closed' : 'user left' });
        if (error.reason === 'gone') {
          book.recordGone(platform, userId);
          log.debug({ key: due.key }, 'reminder not sent: the user left; their reminder is off');
          return 'gone';
        }
        const recorded = book.recordClosed(platform, userId, today(this.#options.course(), clock.now()));
        log.debug({ key: due.key, ...recorded }, 'reminder not sent: direct messages closed');
        if (recorded.turnedOff) log.info({ platform }, 'a reminder was turned off after 3 days of closed direct messages');
        return 'closed';
      }
      if (signal.aborted || (error instanceof PostError && error.retryable) || !(error instanceof PostError)) {
        // Hand the claim back: the next run takes it over, looking for the DM before sending again.
        store.renewClaim(due.key, owner, clock.now().getTime());
        if (!signal.aborted) log.warn({ error: describe(error) }, 'a reminder could not be sent now; trying again on the next run');
        return 'retry';
      }
      complete({ status: 'failed', error: describe(error) });
      log.warn({ error: describe(error) }, 'a reminder could not be sent; giving up on it');
      return 'failed';
    }
  }
}
