import { ArmedFaults, type FaultMatch } from '../armed-faults.js';

/**
 * A fault a test arms for the next matching request(s):
 * - `{ status: 429, retryAfter }`: Discord's rate limit answer (Retry-After, X-RateLimit-* with scope, JSON body);
 *   `global: true` makes it the global limit.
 * - `{ status: 500 | 502 | 503 | 504 }`: a server error (discord.js retries these, 3 times by default).
 * - `{ status: 400 | 401 | 403 | 404, code, message }`: a Discord JSON error, e.g. 403 / 50013 Missing Permissions.
 * - `{ delayMs }`: answer normally, but late.
 * - `{ drop: true }`: close the connection without an answer (undici reports "other side closed"; discord.js does
 *   not retry). `reset: true` sends a TCP RST instead, which discord.js sees as ECONNRESET and retries.
 *   `afterHandling: true` performs the request first, so the effect happens but the answer is lost.
 */
export type Fault =
  | { readonly status: 429; readonly retryAfter: number; readonly global?: boolean }
  | { readonly status: 500 | 502 | 503 | 504 }
  | { readonly status: 400 | 401 | 403 | 404; readonly code: number; readonly message?: string }
  | { readonly delayMs: number }
  | { readonly drop: true; readonly reset?: boolean; readonly afterHandling?: boolean };

/**
 * Which requests a fault applies to, tested against `"METHOD /path"` with the path after `/api/v10`
 * (e.g. `"POST /channels/123/messages"`): a string matches as a prefix, a RegExp with `test`.
 */
export type RouteMatch = FaultMatch;

/** The armed faults of the fake Discord: a string matches a `"METHOD /path"` key as a prefix. */
export class Faults extends ArmedFaults<Fault> {
  constructor() {
    super((match, key) => key.startsWith(match));
  }
}

export function describeFault(fault: Fault): string {
  if ('delayMs' in fault) return `delay ${fault.delayMs} ms`;
  if ('drop' in fault) {
    return `drop${fault.reset === true ? ' (reset)' : ''}${fault.afterHandling === true ? ' after handling' : ''}`;
  }
  return `status ${fault.status}`;
}
