import { setTimeout as sleep } from 'node:timers/promises';
import type { REST } from 'discord.js';

/**
 * Discord's global rate limit is 50 requests a second per bot token. The bot paces its own requests a little
 * under it (48 a second), evenly spaced, so that the announcements of many courses falling due at one minute never
 * meet a 429.
 */
export const PACED_REQUESTS_PER_SECOND = 48;

export interface PacerOptions {
  /** Requests a second at most: evenly spaced, and never more than this many in any one second. */
  readonly perSecond: number;
  /**
   * How much earlier than its even slot a request may go, to make up for a timer that fired late or a busy event
   * loop (milliseconds, default half a spacing, so no two go closer than half a spacing). The count per second
   * still holds: a request also waits until the one `perSecond` turns before it is a second old.
   */
  readonly toleranceMs?: number;
  /** Milliseconds, monotonic. Default `performance.now`. */
  readonly now?: () => number;
  /** Waits `ms` (or rejects when `signal` aborts). Default `node:timers/promises` setTimeout. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/**
 * Spaces requests evenly, one every `1000 / perSecond` ms, in the order they ask (a generic cell rate algorithm),
 * and never lets more than `perSecond` go within any one second (a sliding log of the last `perSecond` turns).
 * A burst is never let out: after an idle spell the next request goes at once and the ones after it one spacing
 * apart (the second may go half a spacing early); a request held up by a busy event loop may catch up a little
 * (`toleranceMs`), never past the count. So
 * however the far side counts a second (a fixed window from the first request it received, or a sliding one), it
 * sees at most `perSecond` requests in it, give or take how unevenly they travel.
 *
 * Why not discord.js's own limit: its global window starts when it *sends* the first request and lets a burst of
 * 50 go at once; Discord counts from when requests *arrive*, and a burst's arrivals spread over tens to hundreds
 * of milliseconds, so the next burst, sent when discord.js's window ends, lands partly in Discord's old window
 * (429s, then a whole second's wait: Discord's Retry-After header is whole seconds).
 */
export class Pacer {
  readonly #perSecond: number;
  readonly #spacing: number;
  readonly #tolerance: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** When the next request is due (the theoretical arrival time). */
  #due = Number.NEGATIVE_INFINITY;
  /** When the last `perSecond` turns were taken, oldest first. */
  readonly #recent: number[] = [];
  /** The last request in line: each waits for the one before it. */
  #tail: Promise<unknown> = Promise.resolve();
  /** Requests let out so far. */
  #taken = 0;

  constructor(options: PacerOptions) {
    if (!(options.perSecond > 0)) throw new RangeError(`perSecond must be positive, not ${options.perSecond}`);
    this.#perSecond = Math.max(Math.floor(options.perSecond), 1);
    this.#spacing = 1000 / options.perSecond;
    this.#tolerance = Math.max(options.toleranceMs ?? this.#spacing / 2, 0);
    this.#now = options.now ?? (() => performance.now());
    this.#sleep = options.sleep ?? ((ms, signal) => sleep(ms, undefined, signal ? { signal } : undefined));
  }

  /** Requests let out so far. */
  get taken(): number {
    return this.#taken;
  }

  /**
   * Resolves when the caller may send its request, in the order callers asked. Rejects (and takes no turn) when
   * `signal` aborts while waiting.
   */
  take(signal?: AbortSignal): Promise<void> {
    const turn = this.#tail.then(() => this.#turn(signal));
    this.#tail = turn.catch(() => undefined);
    return turn;
  }

  async #turn(signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted();
    const full = this.#recent.length >= this.#perSecond;
    const at = Math.max(this.#due - this.#tolerance, full ? this.#recent[0]! + 1000 : Number.NEGATIVE_INFINITY);
    const wait = at - this.#now();
    if (wait > 0) await this.#sleep(wait, signal);
    const now = this.#now();
    this.#due = Math.max(this.#due, now) + this.#spacing;
    this.#recent.push(now);
    if (this.#recent.length > this.#perSecond) this.#recent.shift();
    this.#taken += 1;
  }
}

/**
 * The same REST client with every request waiting its turn at `pacer` first. The wait comes before discord.js
 * queues the request, so it does not count toward discord.js's request timeout.
 */
export function paced(rest: REST, pacer: Pacer): REST {
  const request = rest.request.bind(rest);
  rest.request = async (options) => {
    await pacer.take(options.signal ?? undefined);
    return request(options);
  };
  return rest;
}
