import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../log.js';

/** A webhook body larger than this is refused before it is read to the end (GitHub push payloads are far smaller). */
export const PLAN_HOOK_MAX_BYTES = 1024 * 1024;

export interface PlanHookOptions {
  /** `PLAN_WEBHOOK_SECRET`; without it every call is refused. */
  readonly secret?: string;
  /** Fetches the plan now; called once per accepted call, not awaited. */
  readonly refresh: () => void;
  readonly logger: Logger;
}

/** Equal, in time that does not depend on where they differ (nor, hashed first, on their lengths). */
function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** GitHub's `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`, checked in constant time. */
export function githubSignatureValid(header: string, body: Buffer, secret: string): boolean {
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header.trim());
  if (!match) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  return timingSafeEqual(Buffer.from(match[1]!.toLowerCase(), 'hex'), expected);
}

function answer(response: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers });
  response.end(`${text}\n`);
}

/** The body, or undefined once it passes the limit (the rest is not read). */
async function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > PLAN_HOOK_MAX_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/**
 * `POST /hooks/plan`: a push to the plan's repository makes the bot fetch the plan at once. Accepts GitHub's
 * signature (`X-Hub-Signature-256`) or GitLab's token (`X-Gitlab-Token`) made with `PLAN_WEBHOOK_SECRET`;
 * anything else is 401 and fetches nothing. Answers 202 before the fetch ends (GitHub waits 10 s at most).
 */
export function planHook(options: PlanHookOptions): (request: IncomingMessage, response: ServerResponse) => Promise<void> {
  const { logger } = options;
  return async (request, response) => {
    if (request.method !== 'POST') {
      answer(response, 405, 'Method not allowed: the plan webhook takes POST', { allow: 'POST' });
      return;
    }
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > PLAN_HOOK_MAX_BYTES) {
      answer(response, 413, 'Payload too large', { connection: 'close' });
      request.destroy();
      return;
    }
    const body = await readBody(request);
    if (body === undefined) {
      answer(response, 413, 'Payload too large', { connection: 'close' });
      request.destroy();
      return;
    }
    const secret = options.secret;
    const github = request.headers['x-hub-signature-256'];
    const gitlab = request.headers['x-gitlab-token'];
    const valid =
      secret !== undefined &&
      ((typeof github === 'string' && githubSignatureValid(github, body, secret)) || (typeof gitlab === 'string' && sameSecret(gitlab, secret)));
    if (!valid) {
      logger.warn(
        { signed: typeof github === 'string' ? 'github' : typeof gitlab === 'string' ? 'gitlab' : 'no', secretSet: secret !== undefined },
        'plan webhook refused (401): no valid signature',
      );
      answer(response, 401, secret === undefined ? 'Unauthorized: PLAN_WEBHOOK_SECRET is not set on the bot' : 'Unauthorized: the signature or token does not match PLAN_WEBHOOK_SECRET');
      return;
    }
    logger.info({ event: request.headers['x-github-event'] ?? request.headers['x-gitlab-event'] }, 'plan webhook accepted: fetching the plan');
    answer(response, 202, 'Accepted: fetching the plan');
    options.refresh();
  };
}
