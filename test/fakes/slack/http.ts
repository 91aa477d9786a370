import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SlashCommands } from './commands.js';
import { Delays } from '../armed-faults.js';
import { type Fault, Faults, describeFault } from './faults.js';
import type { MethodSpec } from './methods.js';
import { type RecordedCall, SlackApiError } from './model.js';
import { decodeForRecord, isRecord } from './validate.js';

/** What {@link FakeHttp} needs from the fake. */
export interface HttpOptions {
  readonly botToken: string;
  readonly appToken: string;
  readonly methods: ReadonlyMap<string, MethodSpec>;
  readonly commands: SlashCommands;
  readonly now: () => number;
  readonly log: (line: string) => void;
  readonly changed: () => void;
}

interface Reply {
  readonly status: number;
  readonly body: Record<string, unknown> | string;
  readonly headers?: Record<string, string>;
}

interface ParsedRequest {
  readonly params: Record<string, unknown>;
  readonly encoding: RecordedCall['encoding'];
  /** A JSON body that did not parse. */
  readonly invalidJson: boolean;
}

const SERVER_ERRORS = {
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

/** Query parameters, then the body on top: form-encoded, JSON or multipart, as the real API accepts them. */
async function parseRequest(request: IncomingMessage, url: URL): Promise<ParsedRequest> {
  const raw = await readBody(request);
  const params: Record<string, unknown> = Object.fromEntries(url.searchParams);
  const type = request.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
  if (raw.length === 0) return { params, encoding: 'none', invalidJson: false };
  if (type === 'application/json') {
    try {
      const body = JSON.parse(raw.toString('utf8')) as unknown;
      if (!isRecord(body)) return { params, encoding: 'json', invalidJson: true };
      return { params: { ...params, ...body }, encoding: 'json', invalidJson: false };
    } catch {
      return { params, encoding: 'json', invalidJson: true };
    }
  }
  if (type === 'multipart/form-data') {
    const headers = { 'content-type': request.headers['content-type'] ?? '' };
    const form = await new Response(raw, { headers }).formData();
    for (const [key, value] of form.entries()) params[key] = typeof value === 'string' ? value : `<file ${value.name}>`;
    return { params, encoding: 'multipart', invalidJson: false };
  }
  const form = Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
  return { params: { ...params, ...form }, encoding: 'form', invalidJson: false };
}

/**
 * The HTTP side of the fake: the Web API under `/api/<method>` (always HTTP 200 with `ok`, as Slack answers, unless
 * a fault says otherwise) and slash command response URLs under `/response/<id>`.
 */
export class FakeHttp {
  /** Every Web API call, in arrival order. */
  readonly calls: RecordedCall[] = [];
  /** Calls to methods the fake does not implement (answered `unknown_method`). */
  readonly unhandled: RecordedCall[] = [];
  /** Bugs in the fake itself (answered with 500). */
  readonly serverErrors: Error[] = [];
  readonly faults = new Faults();
  readonly #delays = new Delays();

  constructor(private readonly options: HttpOptions) {}

  /** Answers one request. Never rejects: a bug in the fake becomes a 500 and lands in `serverErrors`. */
  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      const url = new URL(request.url ?? '/', 'http://127.0.0.1');
      if (request.method === 'POST' && url.pathname.startsWith('/response/')) {
        await this.#response(request, response, url);
      } else if (url.pathname.startsWith('/api/')) {
        await this.#api(request, response, url);
      } else {
        this.#write(response, { status: 404, body: 'Not Found' });
      }
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      this.serverErrors.push(failure);
      this.options.log(`http: fake failed: ${failure.stack ?? failure.message}`);
      if (!response.headersSent && !response.destroyed) this.#write(response, { status: 500, body: 'fake failed' });
    }
  }

  #tokenType(token: string | undefined): RecordedCall['tokenType'] {
    if (token === undefined || token === '') return 'none';
    if (token === this.options.botToken) return 'bot';
    if (token === this.options.appToken) return 'app';
    return 'unknown';
  }

  async #api(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const method = decodeURIComponent(url.pathname.slice('/api/'.length));
    const parsed = await parseRequest(request, url);
    const header = request.headers.authorization;
    const bearer = header && /^bearer\s+/i.test(header) ? header.replace(/^bearer\s+/i, '') : undefined;
    // Slack: a JSON body must carry the token in the Authorization header, never in the body.
    const bodyToken = parsed.encoding === 'json' ? undefined : parsed.params.token;
    const token = bearer ?? (typeof bodyToken === 'string' ? bodyToken : undefined);
    const call: RecordedCall = {
      method,
      body: decodeForRecord(parsed.params),
      encoding: parsed.encoding,
      tokenType: this.#tokenType(token),
      at: this.options.now(),
    };
    this.calls.push(call);
    this.options.changed();

    const run = (): Reply => this.#run(call, parsed);
    const reply = await this.#withFault(method, call, request, run);
    if (!reply) return;
    if (typeof reply.body !== 'string') {
      const { ok, error } = reply.body;
      call.result = { ok: ok === true, ...(typeof error === 'string' ? { error } : {}) };
    }
    call.status = reply.status;
    this.options.log(`http: ${method} → ${reply.status} ${call.result?.error ?? ''}`.trimEnd());
    this.#write(response, reply);
    this.options.changed();
  }

  #run(call: RecordedCall, parsed: ParsedRequest): Reply {
    const ok = (body: Record<string, unknown>): Reply => ({ status: 200, body });
    const spec = this.options.methods.get(call.method);
    if (!spec) {
      this.unhandled.push(call);
      return ok({ ok: false, error: 'unknown_method', req_method: call.method });
    }
    if (parsed.invalidJson) return ok({ ok: false, error: 'invalid_json' });
    if (call.tokenType === 'none') return ok({ ok: false, error: 'not_authed' });
    if (call.tokenType === 'unknown') return ok({ ok: false, error: 'invalid_auth' });
    if (call.tokenType !== spec.token) return ok({ ok: false, error: 'not_allowed_token_type' });
    try {
      return ok({ ok: true, ...spec.handle(parsed.params) });
    } catch (error) {
      if (error instanceof SlackApiError) return ok({ ok: false, error: error.error, ...error.extra });
      throw error;
    }
  }

  async #response(request: IncomingMessage, response: ServerResponse, url: URL): Promise<void> {
    const id = url.pathname.slice('/response/'.length);
    const raw = (await readBody(request)).toString('utf8');
    const run = (): Reply => {
      let body: unknown;
      try {
        body = JSON.parse(raw) as unknown;
      } catch {
        return { status: 400, body: { ok: false, error: 'invalid_payload' } };
      }
      return this.options.commands.respond(id, body, 'response_url');
    };
    const reply = await this.#withFault('response_url', undefined, request, run);
    if (!reply) return;
    this.options.log(`http: response_url ${id} → ${reply.status}`);
    this.#write(response, reply);
    this.options.changed();
  }

  /** Applies an armed fault around `run`; `undefined` when the connection was destroyed instead of answered. */
  async #withFault(
    name: string,
    call: RecordedCall | undefined,
    request: IncomingMessage,
    run: () => Reply,
  ): Promise<Reply | undefined> {
    const fault = this.faults.take(name);
    if (!fault) return run();
    if (call) call.fault = describeFault(fault);
    this.options.log(`http: ${name} fault: ${describeFault(fault)}`);
    if ('delayMs' in fault) {
      await this.#delays.sleep(fault.delayMs);
      if (!this.#delays.closed) return run();
      request.socket.destroy();
      return undefined;
    }
    if ('landsButResponseLost' in fault) {
      run();
      request.socket.destroy();
      this.options.changed();
      return undefined;
    }
    return this.#faultReply(fault);
  }

  #faultReply(fault: Exclude<Fault, { delayMs: number } | { landsButResponseLost: true }>): Reply {
    if ('error' in fault) return { status: 200, body: { ok: false, error: fault.error } };
    if (fault.status === 429) {
      return {
        status: 429,
        body: { ok: false, error: 'ratelimited' },
        headers: { 'retry-after': String(fault.retryAfter) },
      };
    }
    return { status: fault.status, body: SERVER_ERRORS[fault.status] };
  }

  #write(response: ServerResponse, reply: Reply): void {
    if (response.destroyed) return;
    const json = typeof reply.body !== 'string';
    const type = json ? 'application/json; charset=utf-8' : 'text/plain; charset=utf-8';
    response.writeHead(reply.status, { 'content-type': type, ...reply.headers });
    response.end(json ? JSON.stringify(reply.body) : reply.body);
  }

  close(): void {
    this.#delays.close();
  }
}
