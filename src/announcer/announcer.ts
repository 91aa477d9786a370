import type { Clock } from '../core/clock.js';
import type { Course } from '../core/course/model.js';
import { type Messenger, PostError, type StateStore } from '../core/ports.js';
import type { Logger } from '../log.js';
import { type DueAnnouncement, type Plan, nonceFor, planAnnouncements } from './plan.js';

export interface RetryPolicy {
  /** First wait after a failed attempt. */
  readonly baseMs: number;
  /** Longest single wait. */
  readonly maxDelayMs: number;
  /** Give up when this much time has passed since the first attempt. */
  readonly giveUpAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 1_000, maxDelayMs: 60_000, giveUpAfterMs: 10 * 60_000 };

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
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/** What one run did, for logs and tests. */
export interface RunReport {
  readonly sent: readonly string[];
  readonly recovered: readonly string[];
  readonly failed: readonly string[];
  readonly busy: readonly string[];
  readonly missed: readonly string[];
}

/**
 * Posts what the planner says is due, exactly once: claim the key in the store (atomically, across
 * processes), post with a nonce derived from the key, record the platform's message id. A claim a
 * crashed instance left pending is taken over when its lease ends: the channel is searched for the
 * message first, and it is posted only when not found.
 */
export class Announcer {
  readonly #options: AnnouncerOptions;
  readonly #retry: RetryPolicy;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  readonly #reportedMissed = new Set<string>();
  #running: Promise<RunReport> | undefined;
  #stopped = false;

  constructor(options: AnnouncerOptions) {
    this.#options = options;
    this.#retry = options.retry ?? DEFAULT_RETRY;
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
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

  /** When to run next: the next post time, or the end of a lease another instance holds. */
  nextWakeUp(): Date | undefined {
    const plan = this.plan();
    const now = this.#options.clock.now().getTime();
    const leases = plan.due
      .map((due) => this.#options.store.getClaim(due.key))
      .filter((record) => record?.status === 'pending' && record.leaseUntil > now)
      .map((record) => record!.leaseUntil);
    const candidates = [...leases, ...(plan.nextAt ? [plan.nextAt.getTime()] : [])];
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
    await this.#running;
    return this.#runOnce(true);
  }

  /** Ends retry waits early; claims in progress are left pending for the next start. */
  stop(): void {
    this.#stopped = true;
  }

  async #runOnce(ignoreTime: boolean): Promise<RunReport> {
    const report = { sent: [] as string[], recovered: [] as string[], failed: [] as string[], busy: [] as string[], missed: [] as string[] };
    const plan = this.plan(ignoreTime);
    for (const { key, reason } of plan.missed) {
      report.missed.push(key);
      if (this.#reportedMissed.has(key)) continue;
      this.#reportedMissed.add(key);
      this.#options.logger.warn({ key }, `announcement skipped: ${reason}`);
    }
    for (const due of plan.due) {
      if (this.#stopped) break;
      const outcome = await this.#deliver(due, ignoreTime);
      if (outcome) report[outcome].push(due.key);
    }
    return report;
  }

  async #deliver(due: DueAnnouncement, retryFailed: boolean): Promise<keyof RunReport | undefined> {
    const { store, logger, owner, leaseMs, clock } = this.#options;
    const messenger = this.#options.messengers.find((candidate) => candidate.target === due.target)!;
    const log = logger.child({ key: due.key });
    const claim = store.claim(due.key, { owner, now: clock.now().getTime(), leaseMs, retryFailed });
    if (claim.kind === 'done') return undefined;
    if (claim.kind === 'busy') {
      log.debug({ owner: claim.record.owner }, 'another instance is posting this announcement');
      return 'busy';
    }
    // Keep the claim ours while posting takes long (retries, slow platform).
    const renew = setInterval(() => store.renewClaim(due.key, owner, clock.now().getTime() + leaseMs), Math.max(leaseMs / 3, 50));
    try {
      if (claim.kind === 'taken-over') {
        const found = await this.#attempt(() => messenger.findPosted(due.key), log);
        if (found.ok && found.value) {
          store.completeClaim(due.key, owner, { status: 'sent', messageId: found.value.id }, clock.now().getTime());
          log.info({ messageId: found.value.id }, 'announcement was already posted; recorded it');
          return 'recovered';
        }
      }
      const posted = await this.#attempt(
        () => messenger.post(due.message, { key: due.key, nonce: nonceFor(due.key), mention: due.kind === 'daily' }),
        log,
      );
      if (posted.ok) {
        store.completeClaim(due.key, owner, { status: 'sent', messageId: posted.value.id }, clock.now().getTime());
        log.info({ messageId: posted.value.id, target: due.target }, 'announcement posted');
        return 'sent';
      }
      if (this.#stopped) return undefined;
      store.completeClaim(due.key, owner, { status: 'failed', error: posted.error }, clock.now().getTime());
      log.error({ error: posted.error, target: due.target }, 'announcement failed; giving up');
      await this.#report(`The announcement ${due.key} could not be posted: ${posted.error}`);
      return 'failed';
    } finally {
      clearInterval(renew);
    }
  }

  /** Tries until success, a failure that retrying cannot fix, the retry budget running out, or stop(). */
  async #attempt<T>(
    action: () => Promise<T>,
    log: Logger,
  ): Promise<{ ok: true; value: T } | { ok: false; error: string }> {
    const elapsed = ((started) => () => this.#options.clock.now().getTime() - started)(this.#options.clock.now().getTime());
    for (let attempt = 1; ; attempt += 1) {
      try {
        return { ok: true, value: await action() };
      } catch (error) {
        const retryable = !(error instanceof PostError) || error.retryable;
        const message = error instanceof Error ? error.message : String(error);
        const delay = Math.min(this.#retry.maxDelayMs, this.#retry.baseMs * 2 ** (attempt - 1)) * (0.5 + this.#random() / 2);
        if (!retryable || this.#stopped || elapsed() + delay > this.#retry.giveUpAfterMs) {
          return { ok: false, error: message };
        }
        log.warn({ attempt, retryInMs: Math.round(delay), error: message }, 'posting failed; retrying');
        await this.#sleep(delay);
      }
    }
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
