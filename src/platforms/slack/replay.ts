import type { StateStore } from '../../core/ports.js';
import type { Logger } from '../../log.js';

/**
 * How long a request id is remembered. A signed request is accepted while its timestamp is within 5 minutes
 * of now, either way (see `requestTimestampOk`), so a replay can come up to 10 minutes after the first
 * arrival; Socket Mode redeliveries come within seconds.
 */
export const SEEN_WINDOW_MS = 10 * 60_000;

/** Ids kept in memory at most: far above what a course's Slack sends in 10 minutes. */
export const MAX_REMEMBERED = 10_000;

/** State store keys of the ids seen, shared by every instance on the store. */
export const SEEN_KEY_PREFIX = 'slack:seen:';

/** How often expired ids are removed from the store. */
const PRUNE_EVERY_MS = 60_000;

/**
 * The id that makes a Slack request unique: the `trigger_id` of a slash command or an interaction, the
 * `event_id` of an event, else the Socket Mode envelope id. A replay, a retry (`X-Slack-Retry-Num`) or a
 * redelivered envelope carries the same one. Undefined when the request has none.
 */
export function requestId(body: unknown, envelopeId?: unknown): string | undefined {
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const pick = (value: unknown) => (typeof value === 'string' && value.length > 0 && value.length <= 200 ? value : undefined);
  const trigger = pick(fields.trigger_id);
  if (trigger) return `trigger:${trigger}`;
  const event = pick(fields.event_id);
  if (event) return `event:${event}`;
  const envelope = pick(envelopeId);
  return envelope ? `envelope:${envelope}` : undefined;
}

export interface SeenRequestsOptions {
  /** Shared by the instances that answer the same app (behind one load balancer, or several Socket Mode connections). */
  readonly store?: StateStore;
  readonly logger: Logger;
  /** Epoch ms; real time, not the bot's (possibly shifted) clock. */
  readonly now?: () => number;
  readonly windowMs?: number;
  readonly maxRemembered?: number;
}

/**
 * The Slack request ids seen in the last 10 minutes, so that each request runs once: a replayed signed
 * request, Slack's retries and Socket Mode redeliveries are acknowledged and dropped.
 *
 * Memory answers first (bounded, oldest forgotten first); the state store then decides across the instances
 * that share it, with an atomic compare-and-set, since Slack (or whoever replays) may reach another instance.
 * When the store cannot be written, this instance's memory still decides.
 */
export class SeenRequests {
  readonly #store: StateStore | undefined;
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #windowMs: number;
  readonly #max: number;
  /** Id → when it expires; in arrival order, so the oldest come first. */
  readonly #seen = new Map<string, number>();
  #prunedAt = 0;
  #storeFailing = false;

  constructor(options: SeenRequestsOptions) {
    this.#store = options.store;
    this.#logger = options.logger;
    this.#now = options.now ?? Date.now;
    this.#windowMs = options.windowMs ?? SEEN_WINDOW_MS;
    this.#max = options.maxRemembered ?? MAX_REMEMBERED;
  }

  /** Ids held in memory now. */
  get size(): number {
    return this.#seen.size;
  }

  /** True the first time `id` is offered within the window (here, or in any instance sharing the store). */
  firstTime(id: string): boolean {
    const now = this.#now();
    this.#forgetExpired(now);
    const expires = this.#seen.get(id);
    if (expires !== undefined && expires > now) return false;
    this.#seen.delete(id);
    this.#seen.set(id, now + this.#windowMs);
    while (this.#seen.size > this.#max) this.#seen.delete(this.#seen.keys().next().value!);
    return this.#claimInStore(id, now);
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
    const key = `${SEEN_KEY_PREFIX}${id}`;
    try {
      const expires = String(now + this.#windowMs);
      let first = store.compareAndSetValue(key, undefined, expires);
      if (!first) {
        // An id left from long ago (never pruned: all instances were down) does not make this one a repeat.
        const held = store.getValue(key);
        if (held !== undefined && Number(held) <= now) first = store.compareAndSetValue(key, held, expires);
      }
      this.#prune(store, now);
      this.#storeFailing = false;
      return first;
    } catch (error) {
      if (!this.#storeFailing) {
        this.#logger.warn({ err: error }, 'cannot record Slack request ids in the state store; repeats are caught by this instance only');
      }
      this.#storeFailing = true;
      return true;
    }
  }

  #prune(store: StateStore, now: number): void {
    if (now - this.#prunedAt < PRUNE_EVERY_MS) return;
    this.#prunedAt = now;
    store.transaction(() => {
      for (const key of store.listKeys(SEEN_KEY_PREFIX)) {
        if (Number(store.getValue(key)) <= now) store.deleteValue(key);
      }
    });
  }
}
