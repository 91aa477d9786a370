import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Delays } from '../armed-faults.js';
import { type Fault, Faults, describeFault } from './faults.js';
import type { GlobalRateLimit } from './dms.js';
import { OWNER_ID } from './guilds.js';
import { ApiError, type RecordedFile, type Reply } from './model.js';
import type { World } from './world.js';

/** One HTTP request the fake received. */
export interface RecordedRequest {
  readonly method: string;
  /** The path after `/api/v10` (the whole path for anything outside it), e.g. `/channels/123/messages`. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** Parsed JSON (or a multipart request's `payload_json`); `undefined` without a body. */
  readonly body: unknown;
  /**
   * Lower-cased header names. `authorization` (the bot token) can be read but is not enumerable, so it stays out of
   * printed records, snapshots and assertion diffs.
   */
  readonly headers: Readonly<Record<string, string>>;
  readonly files: readonly RecordedFile[];
  /** When it arrived, by the fake's clock. */
  readonly at: number;
  /** The status answered; `undefined` while pending or when the connection was dropped. */
  status?: number;
  /** The fault that was applied, if any. */
  fault?: string;
}

export interface RestOptions {
  readonly token: string;
  readonly world: World;
  readonly now: () => number;
  readonly gatewayUrl: () => string;
  readonly applicationId: string;
  readonly log: (message: string) => void;
  readonly changed: () => void;
  /** Discord's global rate limit, when the test wants it enforced. */
  readonly globalRateLimit?: GlobalRateLimit;
}

type Auth = 'bot' | 'none';

interface Call {
  readonly params: readonly string[];
  readonly query: URLSearchParams;
  readonly body: unknown;
  readonly files: readonly RecordedFile[];
}

interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly auth: Auth;
  readonly handle: (call: Call) => Reply;
}

const API_PREFIX = '/api/v10';
const ID = '(\\d{1,20})';
const TOKEN = '([^/]+)';

function ok(body: unknown): Reply {
  return { status: 200, body };
}

const NO_CONTENT: Reply = { status: 204 };

function param(call: Call, index: number): string {
  const value = call.params[index];
  if (value === undefined) throw new Error(`route parameter ${index} missing`);
  return value;
}

class InvalidBody extends Error {}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

interface ParsedBody {
  readonly body: unknown;
  readonly files: RecordedFile[];
}

async function parseBody(raw: Buffer, contentType: string | undefined): Promise<ParsedBody> {
  if (raw.length === 0) return { body: undefined, files: [] };
  if (contentType?.startsWith('multipart/form-data')) {
    const form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
    let body: unknown;
    const files: RecordedFile[] = [];
    for (const [field, value] of form.entries()) {
      if (typeof value === 'string') {
        if (field === 'payload_json') body = JSON.parse(value) as unknown;
      } else {
        files.push({ field, name: value.name, size: value.size, contentType: value.type });
      }
    }
    return { body, files };
  }
  try {
    return { body: JSON.parse(raw.toString('utf8')) as unknown, files: [] };
  } catch {
    throw new InvalidBody('invalid JSON');
  }
}

/** Decodes each path segment (discord.js sends `@original` as `%40original`). */
function decodePath(pathname: string): string {
  return pathname
    .split('/')
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    })
    .join('/');
}

/** Lower-cased headers; `authorization` is there but not enumerable, so printing a record never shows a token. */
function lowerCaseHeaders(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(', ') : value;
    if (name.toLowerCase() === 'authorization') {
      Object.defineProperty(headers, 'authorization', { value: text, enumerable: false });
    } else {
      headers[name.toLowerCase()] = text;
    }
  }
  return headers;
}

/** The HTTP side of the fake: Discord's REST routes under `/api/v10`, with recording and fault injection. */
export class FakeRest {
  readonly requests: RecordedRequest[] = [];
  /** Requests no route answered (404 or 405). */
  readonly unhandled: RecordedRequest[] = [];
  /** Bugs in the fake itself (answered with 500); a test can assert this stays empty. */
  readonly serverErrors: Error[] = [];
  readonly faults = new Faults();
  gatewayBotCount = 0;
  readonly #routes: Route[];
  readonly #delays = new Delays();

  constructor(private readonly options: RestOptions) {
    this.#routes = this.#buildRoutes();
  }

  #buildRoutes(): Route[] {
    const { guilds, messages, commands, interactions, botUser, dms } = this.options.world;
    const routes: Route[] = [];
    const add = (method: string, path: string, auth: Auth, handle: (call: Call) => Reply): void => {
      routes.push({ method, pattern: new RegExp(`^${path}$`), auth, handle });
    };
    const p = param;

    add('GET', '/gateway', 'none', () => ok({ url: this.options.gatewayUrl() }));
    add('GET', '/gateway/bot', 'bot', () => {
      this.gatewayBotCount += 1;
      return ok({
        url: this.options.gatewayUrl(),
        shards: 1,
        session_start_limit: { total: 1000, remaining: 999, reset_after: 0, max_concurrency: 1 },
      });
    });
    add('GET', '/users/@me', 'bot', () => ok({ ...botUser, verified: true, mfa_enabled: false }));
    add('GET', '/applications/@me', 'bot', () =>
      ok({
        id: this.options.applicationId,
        name: botUser.username,
        icon: null,
        description: '',
        summary: '',
        bot_public: false,
        bot_require_code_grant: false,
        verify_key: '0'.repeat(64),
        flags: 0,
        team: null,
        bot: botUser,
        owner: { id: OWNER_ID, username: 'course-owner', discriminator: '0', global_name: null, avatar: null },
        approximate_guild_count: guilds.guilds.size,
        redirect_uris: [],
        interactions_endpoint_url: null,
        tags: [],
      }),
    );

    // Application commands: global (`/applications/{app}/commands`) and per guild.
    for (const [prefix, guildOf, shift] of [
      [`/applications/${ID}/commands`, (): undefined => undefined, 0],
      [`/applications/${ID}/guilds/${ID}/commands`, (call: Call): string => p(call, 1), 1],
    ] as const) {
      add('GET', prefix, 'bot', (call) => ok(commands.list(p(call, 0), guildOf(call))));
      add('PUT', prefix, 'bot', (call) => ok(commands.bulkOverwrite(p(call, 0), guildOf(call), call.body)));
      add('POST', prefix, 'bot', (call) => {
        const { command, created } = commands.create(p(call, 0), guildOf(call), call.body);
        return { status: created ? 201 : 200, body: command };
      });
      add('GET', `${prefix}/${ID}`, 'bot', (call) => ok(commands.get(p(call, 0), guildOf(call), p(call, 1 + shift))));
      add('DELETE', `${prefix}/${ID}`, 'bot', (call) => {
        commands.delete(p(call, 0), guildOf(call), p(call, 1 + shift));
        return NO_CONTENT;
      });
    }

    // Interactions authenticate with the token in the URL, not the bot token.
    add('POST', `/interactions/${ID}/${TOKEN}/callback`, 'none', (call) => {
      const withResponse = call.query.get('with_response') === 'true';
      return interactions.callback(p(call, 0), p(call, 1), call.body, call.files, withResponse);
    });
    add('POST', `/webhooks/${ID}/${TOKEN}`, 'none', (call) => {
      const message = interactions.followUp(p(call, 0), p(call, 1), call.body, call.files);
      return call.query.get('wait') === 'true' ? ok(messages.view(message, true)) : NO_CONTENT;
    });
    const webhookMessage = `/webhooks/${ID}/${TOKEN}/messages/(@original|\\d{1,20})`;
    add('GET', webhookMessage, 'none', (call) =>
      ok(messages.view(interactions.getMessage(p(call, 0), p(call, 1), p(call, 2)))),
    );
    add('PATCH', webhookMessage, 'none', (call) =>
      ok(messages.view(interactions.editMessage(p(call, 0), p(call, 1), p(call, 2), call.body, call.files))),
    );
    add('DELETE', webhookMessage, 'none', (call) => {
      interactions.deleteMessage(p(call, 0), p(call, 1), p(call, 2));
      return NO_CONTENT;
    });

    // Channels and messages.
    add('GET', `/channels/${ID}`, 'bot', (call) => ok(guilds.channel(p(call, 0))));
    add('GET', `/channels/${ID}/messages`, 'bot', (call) => ok(messages.page(p(call, 0), call.query)));
    add('POST', `/channels/${ID}/messages`, 'bot', (call) => {
      dms.checkSend(p(call, 0));
      return ok(messages.view(messages.create(p(call, 0), call.body, call.files), true));
    });
    add('GET', `/channels/${ID}/messages/${ID}`, 'bot', (call) =>
      ok(messages.view(messages.get(p(call, 0), p(call, 1)))),
    );
    add('PATCH', `/channels/${ID}/messages/${ID}`, 'bot', (call) =>
      ok(messages.view(messages.edit(p(call, 0), p(call, 1), call.body, call.files))),
    );
    add('DELETE', `/channels/${ID}/messages/${ID}`, 'bot', (call) => {
      messages.delete(p(call, 0), p(call, 1));
      return NO_CONTENT;
    });
    add('GET', `/guilds/${ID}`, 'bot', (call) => ok(guilds.guildObject(p(call, 0))));
    add('GET', `/guilds/${ID}/channels`, 'bot', (call) => ok(guilds.guildChannels(p(call, 0))));
    this.options.world.scheduledEvents.routes(add, ID);
    add('POST', '/users/@me/channels', 'bot', (call) => ok(dms.open(call.body)));
    add('GET', `/guilds/${ID}/members/${ID}`, 'bot', (call) => ok(dms.member(p(call, 0), p(call, 1))));
    return routes;
  }

  /** Answers one request. Never rejects: a bug in the fake becomes a 500 and lands in `serverErrors`. */
  async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    try {
      await this.#handle(request, response);
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      this.serverErrors.push(failure);
      this.options.log(`http: fake failed: ${failure.stack ?? failure.message}`);
      if (!response.headersSent && !response.destroyed) {
        this.#write(response, { status: 500, body: { message: '500: Internal Server Error', code: 0 } });
      }
    }
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const method = request.method ?? 'GET';
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const pathname = decodePath(url.pathname);
    const path = pathname.startsWith(`${API_PREFIX}/`) ? pathname.slice(API_PREFIX.length) : pathname;
    const headers = lowerCaseHeaders(request);
    const raw = await readBody(request);
    let parsed: ParsedBody;
    let invalidBody = false;
    try {
      parsed = await parseBody(raw, headers['content-type']);
    } catch {
      parsed = { body: raw.toString('utf8'), files: [] };
      invalidBody = true;
    }
    const record: RecordedRequest = {
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      body: parsed.body,
      headers,
      files: parsed.files,
      at: this.options.now(),
    };
    this.requests.push(record);
    this.options.changed();

    const answer = (reply: Reply): void => {
      record.status = reply.status;
      const fault = record.fault === undefined ? '' : ` (${record.fault})`;
      this.options.log(`http: ${method} ${path}${url.search} → ${reply.status}${fault}`);
      this.#write(response, reply);
      this.options.changed();
    };

    // Interaction responses carry no bot token and are exempt from the global limit, as on Discord.
    const limited = headers.authorization?.startsWith('Bot ') ? this.options.globalRateLimit?.take() : undefined;
    if (limited) {
      record.fault = 'global rate limit';
      answer(limited);
      return;
    }
    const fault = this.faults.take(`${method} ${path}`);
    if (fault) record.fault = describeFault(fault);
    if (fault && 'delayMs' in fault) {
      await this.#delays.sleep(fault.delayMs);
      if (this.#delays.closed) {
        request.socket.destroy();
        return;
      }
    } else if (fault && 'drop' in fault) {
      if (fault.afterHandling === true) this.#route(method, path, url, headers, parsed, invalidBody, record);
      this.options.log(`http: ${method} ${path} dropped`);
      if (fault.reset === true) request.socket.resetAndDestroy();
      else request.socket.destroy();
      this.options.changed();
      return;
    } else if (fault) {
      answer(this.#faultReply(fault, `${method} ${path}`));
      return;
    }
    answer(this.#route(method, path, url, headers, parsed, invalidBody, record));
  }

  #route(
    method: string,
    path: string,
    url: URL,
    headers: Record<string, string>,
    parsed: ParsedBody,
    invalidBody: boolean,
    record: RecordedRequest,
  ): Reply {
    const matching = this.#routes.filter((route) => route.pattern.test(path));
    const versioned = url.pathname.startsWith(`${API_PREFIX}/`);
    const route = versioned ? matching.find((candidate) => candidate.method === method) : undefined;
    if (!route) {
      this.unhandled.push(record);
      return matching.length > 0 && versioned
        ? { status: 405, body: { message: '405: Method Not Allowed', code: 0 } }
        : { status: 404, body: { message: '404: Not Found', code: 0 } };
    }
    if (route.auth === 'bot' && headers.authorization !== `Bot ${this.options.token}`) {
      return { status: 401, body: { message: '401: Unauthorized', code: 0 } };
    }
    if (invalidBody) return { status: 400, body: { message: 'The request body contains invalid JSON.', code: 50109 } };
    const params = (route.pattern.exec(path) ?? []).slice(1);
    try {
      return route.handle({ params, query: url.searchParams, body: parsed.body, files: parsed.files });
    } catch (error) {
      if (error instanceof ApiError) return { status: error.status, body: error.body };
      throw error;
    }
  }

  #faultReply(fault: Exclude<Fault, { delayMs: number } | { drop: true }>, key: string): Reply {
    if (fault.status === 429) {
      const global = fault.global === true;
      const resetAt = this.options.now() / 1000 + fault.retryAfter;
      return {
        status: 429,
        body: { message: 'You are being rate limited.', retry_after: fault.retryAfter, global },
        headers: {
          // Discord: Retry-After is whole seconds; the body and Reset-After carry the precise value.
          'retry-after': String(Math.ceil(fault.retryAfter)),
          'x-ratelimit-limit': '5',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': resetAt.toFixed(3),
          'x-ratelimit-reset-after': fault.retryAfter.toFixed(3),
          'x-ratelimit-bucket': createHash('sha1').update(key.replace(/\d{5,}/g, ':id')).digest('hex').slice(0, 32),
          'x-ratelimit-scope': global ? 'global' : 'user',
          ...(global ? { 'x-ratelimit-global': 'true' } : {}),
        },
      };
    }
    if ('code' in fault) {
      const message = fault.message ?? `${fault.status}: injected error`;
      return { status: fault.status, body: { message, code: fault.code } };
    }
    const reasons = {
      500: 'Internal Server Error',
      502: 'Bad Gateway',
      503: 'Service Unavailable',
      504: 'Gateway Timeout',
    };
    const reason = reasons[fault.status];
    return { status: fault.status, body: { message: `${fault.status}: ${reason}`, code: 0 } };
  }

  #write(response: ServerResponse, reply: Reply): void {
    if (response.destroyed) return;
    if (reply.status === 204) {
      // A 204 carries no body and no JSON content type: discord.js would try to parse it.
      response.writeHead(204, { ...reply.headers });
      response.end();
      return;
    }
    response.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    response.end(JSON.stringify(reply.body ?? null));
  }

  close(): void {
    this.#delays.close();
  }
}
