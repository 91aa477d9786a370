import type { StateStore } from '../core/ports.js';
import type { Logger } from '../log.js';
import { type PlatformName, platformTitle } from './failure.js';

/**
 * How long a request id is remembered, per platform.
 * - Slack: a signed request is accepted while its timestamp is within 5 minutes of now, either way (see
 *   `requestTimestampOk`), so a replay can come up to 10 minutes after the first arrival; Socket Mode
 *   redeliveries come within seconds.
 * - Discord: every session of the bot's token gets each interaction (two instances in a rolling restart or
 *   a standby), and a resumed session gets the events it missed again. An interaction's token answers for
 *   15 minutes: a repeat that comes later cannot be answered anyway.
 */
export const SEEN_WINDOW_MS: Readonly<Record<PlatformName, number>> = { slack: 10 * 60_000, discord: 15 * 60_000 };

/** Ids kept in memory at most: far above what a course's chat sends in 15 minutes. */
export const MAX_REMEMBERED = 10_000;

/** The state store keys of a platform's ids seen (`slack:seen:…`, `discord:seen:…`), shared by every instance on the store. */
export function seenKeyPrefix(platform: PlatformName): string {
  return `${platform}:seen:`;
}

/** How often expired ids are removed from the store. */
const PRUNE_EVERY_MS = 60_000;

export interface SeenRequestsOptions {
  /** Whose ids these are: their keys, window and log lines. */
  readonly platform: PlatformName;
  /** Shared by the instances that answer the same app (several gateway sessions, or behind one load balancer). */
  readonly store?: StateStore;
  readonly logger: Logger;
  /** Epoch ms; real time, not the bot's (possibly shifted) clock. */
  readonly now?: () => number;
  /** Default: the platform's {@link SEEN_WINDOW_MS}. */
  readonly windowMs?: number;
  readonly maxRemembered?: number;
}

/**
 * The request ids of one platform seen within its window, so that each request runs once, on one instance:
 * a Discord interaction delivered to two sessions of the token or again after a resume, a replayed signed
 * Slack request, Slack's retries and Socket Mode redeliveries.
 *
 * Memory answers first (bounded, oldest forgotten first); the state store then decides across the instances
 * that share it, with an atomic compare-and-set (one small write per new id): only the instance that
 * recorded the id runs the request. When the store cannot be written (lost, full, read-only), this
 * instance's memory still decides, and one warning says so.
 */
export class SeenRequests {
  readonly #platform: PlatformName;
  readonly #store: StateStore | undefined;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #windowMs: number;
  readonly #max: number;
  readonly #prefix: string;
  /** Id → when it expires; in arrival order, so the oldest come first. */
  readonly #seen = new Map<string, number>();
  #prunedAt = 0;
  #storeFailing = false;

  constructor(options: SeenRequestsOptions) {
    this.#platform = options.platform;
    this.#store = options.store;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#windowMs = options.windowMs ?? SEEN_WINDOW_MS[options.platform];
    this.#max = options.maxRemembered ?? MAX_REMEMBERED;
    this.#prefix = seenKeyPrefix(options.platform);
  }

  /** Ids held in memory now. */
  get size(): number {
    return this.#seen.size;
  }

  /**
   * True the first time `id` is offered within the window: here, and unless `shared` is false, in any instance
   * sharing the store. `shared: false` is for a request that does no harm when two instances run it (a
   * read-only Discord command: Discord takes one callback); this instance's memory still drops a repeat.
   */
  firstTime(id: string, shared = true): boolean {
    const now = this.#now();
    this.#forgetExpired(now);
    const expires = this.#seen.get(id);
    if (expires !== undefined && expires > now) return false;
    this.#seen.delete(id);
    this.#seen.set(id, now + this.#windowMs);
    while (this.#seen.size > this.#max) this.#seen.delete(this.#seen.keys().next().value!);
    return shared ? this.#claimInStore(id, now) : true;
  }

  #forgetExpired(now: number): void {
    for (const [id, expires] of this.#seen) {
      if (expires > now) break;
      this.#seen.delete(id);
    }
  }

  #claimInStore(id: string, now: number): boolean {
    const store = this.#store;
    if (!store) return true;
    const key = `${this.#prefix}${id}`;
    let first: boolean;
    try {
      const expires = String(now + this.#windowMs);
      first = store.recordOnce(key, expires);
      if (!first) {
        // An id left from long ago (never pruned: all instances were down) does not make this one a repeat.
        const held = store.getValue(key);
        if (held !== undefined && Number(held) <= now) first = store.compareAndSetValue(key, held, expires);
      }
      this.#storeFailing = false;
    } catch (error) {
      this.#warnOnce(error);
      return true;
    }
    try {
      this.#prune(store, now);
    } catch (error) {
      // The id is recorded: a failed clean-up must not run the request twice; the next one tries again.
      this.#warnOnce(error);
    }
    return first;
  }

  #warnOnce(error: unknown): void {
    if (!this.#storeFailing) {
      this.#logger.warn(
        { err: error },
        `cannot record ${platformTitle(this.#platform)} request ids in the state store; repeats are caught by this instance only`,
      );
    }
    this.#storeFailing = true;
  }

  #prune(store: StateStore, now: number): void {
    if (now - this.#prunedAt < PRUNE_EVERY_MS) return;
    this.#prunedAt = now;
    // One statement: reading every id one by one stalled the bot for as long as the ids were many (30,000 after
    // a busy hour; a round trip each on PostgreSQL).
    store.deleteValuesAtMost(this.#prefix, now);
  }
}
