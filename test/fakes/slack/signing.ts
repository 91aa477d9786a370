import { createHmac } from 'node:crypto';
import type { SlashCommandInput } from './commands.js';

/** What {@link signedRequest} got back from the app. */
export interface SignedResponse {
  readonly status: number;
  /** The response body, JSON-decoded when it is JSON. */
  readonly body: unknown;
}

/** Overrides for {@link signedRequest}: a fixed timestamp (seconds), or a signature to send instead of the real one. */
export interface SignOptions {
  readonly timestamp?: number;
  readonly signature?: string;
  /** The "now" the default timestamp comes from, ms. Default `Date.now`. */
  readonly now?: () => number;
  /** Extra headers, e.g. Slack's `X-Slack-Retry-Num` and `X-Slack-Retry-Reason` on a retry. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Slack's request signature: `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<raw body>` with the signing secret. */
export function slackSignature(signingSecret: string, timestamp: number, rawBody: string): string {
  const hmac = createHmac('sha256', signingSecret).update(`v0:${timestamp}:${rawBody}`);
  return `v0=${hmac.digest('hex')}`;
}

/**
 * POSTs `body` form-encoded to an app's HTTP endpoint (e.g. Bolt's `/slack/events`), signed the way Slack signs it:
 * `X-Slack-Request-Timestamp` and `X-Slack-Signature`.
 */
export async function signedRequest(
  url: string,
  signingSecret: string,
  body: Readonly<Record<string, string>>,
  options: SignOptions = {},
): Promise<SignedResponse> {
  const rawBody = new URLSearchParams(body).toString();
  const timestamp = options.timestamp ?? Math.floor((options.now ?? Date.now)() / 1000);
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      // Bolt's HTTPReceiver compares the content type exactly: no charset.
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': options.signature ?? slackSignature(signingSecret, timestamp, rawBody),
      ...options.headers,
    },
    body: rawBody,
  });
  const text = await response.text();
  let parsed: unknown = text;
  if (response.headers.get('content-type')?.includes('application/json')) parsed = JSON.parse(text) as unknown;
  return { status: response.status, body: parsed };
}

/**
 * POSTs `rawBody` as it is, with `contentType` (default form-encoded), signed the way Slack signs it: for bodies
 * {@link signedRequest} cannot build (JSON, `payload=null`, garbage). Gives up after `timeoutMs` (default 10 s).
 */
export async function signedRawRequest(
  url: string,
  signingSecret: string,
  rawBody: string,
  options: SignOptions & { readonly contentType?: string; readonly timeoutMs?: number } = {},
): Promise<{ readonly status: number; readonly text: string }> {
  const timestamp = options.timestamp ?? Math.floor((options.now ?? Date.now)() / 1000);
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': options.contentType ?? 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': options.signature ?? slackSignature(signingSecret, timestamp, rawBody),
      ...options.headers,
    },
    body: rawBody,
    signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
  });
  return { status: response.status, text: await response.text() };
}

/** Whatever can build a slash command payload: a {@link FakeSlack}. */
export interface CommandSource {
  commandPayload(input: SlashCommandInput): Readonly<Record<string, string>>;
}

/**
 * The form fields of a slash command as Slack POSTs them in HTTP mode, with a `response_url` on the fake, so what the
 * app sends there is recorded in `fake.responses`.
 */
export function slashCommandBody(fake: CommandSource, fields: SlashCommandInput): Record<string, string> {
  return { ...fake.commandPayload(fields) };
}
