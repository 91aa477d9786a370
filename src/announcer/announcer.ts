import {
  type AnnouncementKey,
  announcementKeyPrefix,
  parseAnnouncementKey,
  revisedMorningAnnouncement,
  weekOverview,
} from '../core/announcement.js';
import type { Clock } from '../core/clock.js';
import { today } from '../core/course/calendar.js';
import { type IsoDate, weekNumberOf } from '../core/course/dates.js';
import type { Course } from '../core/course/model.js';
import type { Message } from '../core/messages.js';
import { type ClaimRecord, type Messenger, PostError, type StateStore } from '../core/ports.js';
import type { Logger } from '../log.js';
import { abortableSleep } from '../sleep.js';
import { type DueAnnouncement, type Plan, announcementKey, nonceFor, planAnnouncements } from './plan.js';

export interface RetryPolicy {
  /** First wait after a failed attempt. */
  readonly baseMs: number;
  /** Longest single wait. */
  readonly maxDelayMs: number;
  /** Give up when this much time has passed since the first attempt. */
  readonly giveUpAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 1_000, maxDelayMs: 60_000, giveUpAfterMs: 10 * 60_000 };

/**
 * How long after an attempt a repeat with the same nonce is still dropped by the platform. Discord keeps
 * nonces "a few minutes"; past this, the bot must find the earlier message instead of trusting the nonce.
 */
export const NONCE_SAFE_MS = 2 * 60_000;

export interface AnnouncerOptions {
  readonly course: () => Course;
  readonly clock: Clock;
  readonly store: StateStore;
  readonly messengers: readonly Messenger[];
  readonly logger: Logger;
  /** This instance's name in claims (unique per process). */
  readonly owner: string;
  /** How long a pending claim keeps others away; renewed while posting. */
  readonly leaseMs: number;
  readonly retry?: RetryPolicy;
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly random?: () => number;
  /** Told what became of each announcement and notice (metrics). */
  readonly onOutcome?: (outcome: keyof RunReport, key: string) => void;
}

/** What one run did, for logs and tests. */
export interface RunReport {
  readonly sent: readonly string[];
  readonly recovered: readonly string[];
  readonly failed: readonly string[];
  readonly busy: readonly string[];
  readonly missed: readonly string[];
}

type Outcome = 'sent' | 'recovered' | 'failed' | 'busy' | undefined;


function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function retryable(error: unknown): boolean {
  return !(error instanceof PostError) || error.retryable;
}

/**
 * Posts what the planner says is due, exactly once: claim the key in the store (atomically, across
 * processes), post with a nonce derived from the key, record the platform's message id. Whenever an
 * earlier attempt may have landed (a taken-over claim, a failure without a clear answer), the channel
 * is searched for the message before anything is posted again.
 */
export class Announcer {
  readonly #options: AnnouncerOptions;
  readonly #retry: RetryPolicy;
  readonly #sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly #random: () => number;
  readonly #reportedMissed = new Set<string>();
  readonly #shutdown = new AbortController();
  #running: Promise<RunReport> | undefined;

  constructor(options: AnnouncerOptions) {
    this.#options = options;
    this.#retry = options.retry ?? DEFAULT_RETRY;
    this.#sleep = options.sleep ?? abortableSleep;
    this.#random = options.random ?? Math.random;
  }

  /** The targets, e.g. `discord:123`, in the order of the messengers. */
  get targets(): string[] {
    return this.#options.messengers.map((messenger) => messenger.target);
  }

  /** The plan at the current time (what is due, what was missed, when to look again). */
  plan(ignoreTime = false): Plan {
    const { store } = this.#options;
    return planAnnouncements({
      course: this.#options.course(),
      now: this.#options.clock.now(),
      targets: this.targets,
      // A failed post stays failed until someone asks for it again (announce --now).
      isDone: (key) => {
        const status = store.getClaim(key)?.status;
        return status === 'sent' || (status === 'failed' && !ignoreTime);
      },
      ignoreTime,
    });
  }

  /**
   * When to run next: now when something is due that nobody holds (a run planned just before the post time and
   * finished after it saw nothing due), else the next post time, or the end of a lease another instance holds.
   */
  nextWakeUp(): Date | undefined {
    const plan = this.plan();
    const now = this.#options.clock.now().getTime();
    const held = this.#pending().filter((record) => record.leaseUntil > now);
    const leases = held.map((record) => record.leaseUntil);
    const open = plan.due.some((due) => !held.some((record) => record.key === due.key));
    const candidates = [...(open ? [now] : []), ...leases, ...(plan.nextAt ? [plan.nextAt.getTime()] : [])];
    return candidates.length ? new Date(Math.min(...candidates)) : undefined;
  }

  /** Posts whatever is due now. Runs one at a time: a call during a run waits for it. */
  run(): Promise<RunReport> {
    this.#running ??= this.#runOnce(false).finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /** Posts today's announcements now, whatever the time (`announce --now`); same keys as the morning post. */
  async announceNow(): Promise<RunReport> {
    while (this.#running) await this.#running;
    this.#running = this.#runOnce(true).finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  /**
   * Posts a notice (e.g. a schedule change) to every target through the same exactly-once path as
   * announcements, keyed `<course>:<date>:notice-<name>:<target>`: the same name and date post once.
   */
  async notice(name: string, message: Message, date: IsoDate): Promise<RunReport> {
    const course = this.#options.course();
    const kind = `notice-${name}` as const;
    const report = { sent: [] as string[], recovered: [] as string[], failed: [] as string[], busy: [] as string[], missed: [] as string[] };
    if (this.#shutdown.signal.aborted) return report;
    const outcomes = await Promise.all(
      this.targets.map(async (target) => {
        const key = announcementKey(course, date, kind, target);
        return [key, await this.#deliver({ key, kind, date, target, message }, false)] as const;
      }),
    );
    for (const [key, outcome] of outcomes) if (outcome) report[outcome].push(key);
    this.#observe(report);
    return report;
  }

  /** The keys of a notice, one per target (see `notice`). */
  noticeKeys(name: string, date: IsoDate): string[] {
    const course = this.#options.course();
    return this.targets.map((target) => announcementKey(course, date, `notice-${name}`, target));
  }

  /**
   * Edits the posted morning announcements of these dates, and the posted overviews of their weeks,
   * to match the course as it is now. Returns the keys edited; failures are logged, not thrown.
   */
  async revisePosted(dates: readonly IsoDate[]): Promise<string[]> {
    const { logger } = this.#options;
    const course = this.#options.course();
    const weeks = new Set(dates.map((date) => weekNumberOf(course.start, date)));
    const edited: string[] = [];
    for (const messenger of this.#options.messengers) {
      if (!messenger.edit) continue;
      for (const record of this.#claims(course.id)) {
        const key = parseAnnouncementKey(record.key);
        if (record.status !== 'sent' || !record.messageId || !key || key.target !== messenger.target) continue;
        const { date, kind } = key;
        let message: Message | undefined;
        if (kind === 'daily' && dates.includes(date)) message = revisedMorningAnnouncement(course, date);
        if (kind === 'weekly' && weeks.has(weekNumberOf(course.start, date))) {
          const week = course.weeks.find((candidate) => candidate.number === weekNumberOf(course.start, date));
          if (week) message = weekOverview(course, week);
        }
        if (!message) continue;
        try {
          await messenger.edit(record.messageId, message, { key: record.key, mention: kind === 'daily', signal: this.#shutdown.signal });
          edited.push(record.key);
          logger.info({ key: record.key, messageId: record.messageId }, 'posted announcement updated to the changed schedule');
        } catch (error) {
          logger.error({ err: error, key: record.key }, 'could not update a posted announcement');
        }
      }
    }
    return edited;
  }

  /**
   * Stops: waits end early, requests in flight are cancelled, and the run finishes. A post cut short
   * stays pending (claimed) for the next start to resolve.
   */
  async stop(): Promise<void> {
    this.#shutdown.abort();
    await this.#running?.catch(() => undefined);
  }

  /** The claims of this course's posts (a key that only starts like one, such as another course's reminder, is left out). */
  #claims(courseId: string): ClaimRecord[] {
    return this.#options.store
      .listClaims(announcementKeyPrefix(courseId))
      .filter((record) => parseAnnouncementKey(record.key)?.courseId === courseId);
  }

  #pending(): ClaimRecord[] {
    return this.#claims(this.#options.course().id).filter((record) => record.status === 'pending');
  }

  async #runOnce(ignoreTime: boolean): Promise<RunReport> {
    const report = { sent: [] as string[], recovered: [] as string[], failed: [] as string[], busy: [] as string[], missed: [] as string[] };
    if (this.#shutdown.signal.aborted) return report;
    const plan = this.plan(ignoreTime);
    for (const { key, reason } of plan.missed) {
      report.missed.push(key);
      if (this.#reportedMissed.has(key)) continue;
      this.#reportedMissed.add(key);
      this.#options.onOutcome?.('missed', key);
      this.#options.logger.warn({ key }, `announcement skipped: ${reason}`);
    }
    const outcomes = await Promise.all([
      ...plan.due.map(async (due) => [due.key, await this.#deliver(due, ignoreTime)] as const),
      ...this.#stale(plan).map(async (record) => [record.key, await this.#settleStale(record)] as const),
    ]);
    for (const [key, outcome] of outcomes) if (outcome) report[outcome].push(key);
    this.#observe(report);
    return report;
  }

  #observe(report: RunReport): void {
    const observe = this.#options.onOutcome;
    if (!observe) return;
    // Missed ones are told once, when first logged (they stay missed on every later run).
    for (const outcome of ['sent', 'recovered', 'failed', 'busy'] as const) for (const key of report[outcome]) observe(outcome, key);
  }

  /** Pending claims of this course that are no longer due (another day, past the window) and whose lease ran out. */
  #stale(plan: Plan): ClaimRecord[] {
    const now = this.#options.clock.now().getTime();
    const due = new Set(plan.due.map((entry) => entry.key));
    // Today's notices are not the plan's: whoever publishes the schedule posts them (taking the claim over).
    const todaysDate = today(this.#options.course(), this.#options.clock.now());
    const todaysNotice = (key: AnnouncementKey) => key.date === todaysDate && key.kind.startsWith('notice-');
    return this.#pending().filter((record) => {
      const key = parseAnnouncementKey(record.key);
      return key !== undefined && !due.has(record.key) && !todaysNotice(key) && record.leaseUntil <= now && this.targets.includes(key.target);
    });
  }

  /** A post a crashed instance left pending and that is no longer due: record it if it landed, else report it. */
  async #settleStale(record: ClaimRecord): Promise<Outcome> {
    const { store, owner, leaseMs, clock } = this.#options;
    const claim = store.claim(record.key, { owner, now: clock.now().getTime(), leaseMs });
    if (claim.kind !== 'taken-over') return claim.kind === 'busy' ? 'busy' : undefined;
    const messenger = this.#messenger(record.key);
    const log = this.#options.logger.child({ key: record.key });
    try {
      const since = this.#real(claim.previous.updatedAt - 60_000);
      const found = await messenger.findPosted(record.key, { since, signal: this.#shutdown.signal });
      if (found) return this.#record(record.key, found.id, log, 'recovered');
      return await this.#fail(record.key, 'it was not posted, and the bot was down until it was too late', log);
    } catch (error) {
      return await this.#fail(record.key, `could not check whether it was posted: ${describe(error)}`, log);
    }
  }

  /**
   * The real instant that was `instant` on this announcer's clock. Platforms date messages by the real
   * clock; the bot's clock may be shifted (`start --at`), so searches go by "how long ago".
   */
  #real(instant: number): Date {
    return new Date(Date.now() - (this.#options.clock.now().getTime() - instant));
  }

  #messenger(key: string): Messenger {
    const target = parseAnnouncementKey(key)?.target;
    return this.#options.messengers.find((candidate) => candidate.target === target)!;
  }

  async #deliver(due: DueAnnouncement, retryFailed: boolean): Promise<Outcome> {
    const { store, logger, owner, leaseMs, clock } = this.#options;
    const messenger = this.#messenger(due.key);
    const log = logger.child({ key: due.key });
    const claim = store.claim(due.key, { owner, now: clock.now().getTime(), leaseMs, retryFailed });
    if (claim.kind === 'done') return undefined;
    if (claim.kind === 'busy') {
      log.debug({ owner: claim.record.owner }, 'another instance is posting this announcement');
      return 'busy';
    }
    // Keep the claim ours while posting takes long; stop at once if it is no longer ours.
    const cancel = new AbortController();
    const onShutdown = () => cancel.abort();
    this.#shutdown.signal.addEventListener('abort', onShutdown, { once: true });
    const renew = setInterval(() => {
      try {
        if (!store.renewClaim(due.key, owner, clock.now().getTime() + leaseMs)) {
          log.error('lost the claim on this announcement to another instance; stopping');
          cancel.abort();
        }
      } catch (error) {
        log.error({ err: error }, 'could not renew the claim; stopping');
        cancel.abort();
      }
    }, Math.max(leaseMs / 3, 50));
    try {
      return await this.#postOnce(due, messenger, claim.kind === 'taken-over' ? claim.previous : undefined, cancel.signal, log);
    } finally {
      clearInterval(renew);
      this.#shutdown.signal.removeEventListener('abort', onShutdown);
      // Stopping mid-post: hand the claim back (its lease ends now), so another instance or the next start
      // takes it over at once, looking for the message first.
      if (this.#shutdown.signal.aborted && store.getClaim(due.key)?.status === 'pending') {
        store.renewClaim(due.key, owner, clock.now().getTime());
      }
    }
  }

  async #postOnce(
    due: DueAnnouncement,
    messenger: Messenger,
    previous: ClaimRecord | undefined,
    signal: AbortSignal,
    log: Logger,
  ): Promise<Outcome> {
    const { clock } = this.#options;
    const now = () => clock.now().getTime();
    // When did a post with this key last go out (or may have)? Then a lookup must come first.
    let lastAttempt = previous ? previous.updatedAt : undefined;
    if (previous) {
      try {
        const found = await messenger.findPosted(due.key, { since: this.#real(previous.updatedAt - 60_000), signal });
        if (found) {
          const outcome = this.#record(due.key, found.id, log, 'recovered');
          log.info({ messageId: found.id }, 'announcement was already posted; recorded it');
          return outcome;
        }
      } catch (error) {
        if (signal.aborted) return undefined;
        if (now() - previous.leaseUntil + this.#options.leaseMs > NONCE_SAFE_MS) {
          return this.#fail(due.key, `could not check whether it was already posted: ${describe(error)}`, log);
        }
        // Recent enough that the platform still drops a repeat with the same nonce.
      }
    }
    const started = now();
    for (let attempt = 1; ; attempt += 1) {
      if (signal.aborted) return undefined;
      lastAttempt = now();
      try {
        const posted = await messenger.post(due.message, {
          key: due.key,
          nonce: nonceFor(due.key),
          mention: due.kind === 'daily',
          signal,
        });
        const outcome = this.#record(due.key, posted.id, log, 'sent');
        log.info({ messageId: posted.id, target: due.target }, 'announcement posted');
        return outcome;
      } catch (error) {
        if (signal.aborted) return undefined;
        const message = describe(error);
        const delay = Math.min(this.#retry.maxDelayMs, this.#retry.baseMs * 2 ** (attempt - 1)) * (0.5 + this.#random() / 2);
        if (!retryable(error)) return this.#fail(due.key, message, log);
        if (now() - started + delay > this.#retry.giveUpAfterMs) return this.#fail(due.key, `gave up after ${attempt} attempts: ${message}`, log);
        log.warn({ attempt, retryInMs: Math.round(delay), error: message }, 'posting failed; retrying');
        await this.#sleep(delay, signal);
        if (signal.aborted) return undefined;
        // The failed attempt may have landed without an answer: look before posting again.
        try {
          const found = await messenger.findPosted(due.key, { since: this.#real(lastAttempt - 60_000), signal });
          if (found) {
            const outcome = this.#record(due.key, found.id, log, 'sent');
            log.info({ messageId: found.id }, 'the failed attempt had landed; recorded it');
            return outcome;
          }
        } catch (lookup) {
          if (signal.aborted) return undefined;
          if (now() - lastAttempt > NONCE_SAFE_MS) {
            return this.#fail(due.key, `could not check whether a failed attempt landed: ${describe(lookup)}`, log);
          }
        }
      }
    }
  }

  #record(key: string, messageId: string, log: Logger, outcome: 'sent' | 'recovered'): Outcome {
    const { store, owner, clock } = this.#options;
    let recorded: boolean;
    try {
      recorded = store.completeClaim(key, owner, { status: 'sent', messageId }, clock.now().getTime());
    } catch (error) {
      // Posted: never post it again in this run (a retry would repeat it). The store cannot keep the record,
      // so a restart may post it again: say so loudly.
      log.error({ err: error, messageId }, 'posted, but the state database could not record it: a restart may post it again');
      void this.#report(`The announcement ${key} was posted, but the state database could not record it (${describe(error)}); a restart may post it again.`);
      return outcome;
    }
    if (!recorded) log.error({ messageId }, 'posted, but the claim was no longer ours: another instance may post it too');
    return outcome;
  }

  async #fail(key: string, error: string, log: Logger): Promise<Outcome> {
    const { store, owner, clock } = this.#options;
    store.completeClaim(key, owner, { status: 'failed', error }, clock.now().getTime());
    log.error({ error }, 'announcement failed; giving up');
    await this.#report(`The announcement ${key} could not be posted: ${error}`);
    return 'failed';
  }

  async #report(text: string): Promise<void> {
    for (const messenger of this.#options.messengers) {
      try {
        await messenger.report?.(text);
      } catch (error) {
        this.#options.logger.error({ err: error, target: messenger.target }, 'could not report to instructors');
      }
    }
  }
}
