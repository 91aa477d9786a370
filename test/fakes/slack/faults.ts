import { ArmedFaults, type FaultMatch } from '../armed-faults.js';

/**
 * A fault a test arms for the next matching call(s):
 * - `{ status: 429, retryAfter }`: Slack's rate limit answer, HTTP 429 with `Retry-After: <seconds>` and
 *   `{ ok: false, error: 'ratelimited' }`. WebClient waits the header out and retries (it reads whole seconds).
 * - `{ status: 500 | 502 | 503 | 504 }`: a server error with a plain-text body (WebClient retries these too).
 * - `{ error }`: HTTP 200 with `{ ok: false, error }`, e.g. `'ratelimited'`, `'internal_error'`, `'fatal_error'`;
 *   WebClient does not retry it and throws a platform error with `data.error`.
 * - `{ landsButResponseLost: true }`: the call takes effect (the message is stored), then the connection is destroyed
 *   without an answer, as when a response is lost on the way back.
 * - `{ delayMs }`: answer normally, but late.
 */
export type Fault =
  | { readonly status: 429; readonly retryAfter: number }
  | { readonly status: 500 | 502 | 503 | 504 }
  | { readonly error: string }
  | { readonly landsButResponseLost: true }
  | { readonly delayMs: number };

/**
 * Which calls a fault applies to: a Web API method name (`'chat.postMessage'`), `'response_url'` for POSTs to a
 * slash command's response URL, or a RegExp tested against those names.
 */
export type CallMatch = FaultMatch;

/** The armed faults of the fake Slack: a string matches a method name (or `'response_url'`) exactly. */
export class Faults extends ArmedFaults<Fault> {
  constructor() {
    super(
      (match, name) => match === name,
      (fault) => {
        if ('status' in fault && fault.status === 429 && !(Number.isInteger(fault.retryAfter) && fault.retryAfter >= 0)) {
          // Slack: Retry-After is whole seconds, and WebClient parses it with parseInt.
          throw new Error(`failNext: retryAfter must be whole seconds, got ${fault.retryAfter}`);
        }
      },
    );
  }
}

/** A short label for a fault, as recorded on the call. */
export function describeFault(fault: Fault): string {
  if ('delayMs' in fault) return `delay ${fault.delayMs} ms`;
  if ('landsButResponseLost' in fault) return 'lands, response lost';
  if ('error' in fault) return `error ${fault.error}`;
  return `status ${fault.status}`;
}
