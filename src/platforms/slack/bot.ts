import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import {
  App,
  HTTPModuleFunctions,
  HTTPReceiver,
  LogLevel,
  type Logger as BoltLogger,
  SocketModeReceiver,
  isRawBodyError,
  isValidSlackRequest,
  webApi,
} from '@slack/bolt';
import type { Clock } from '../../core/clock.js';
import type { Command, CourseEntry } from '../../core/commands/command.js';
import type { ScopeResolver } from '../../core/commands/invoke.js';
import type { Course } from '../../core/course/model.js';
import type { ScheduleAdmin, StateStore } from '../../core/ports.js';
import type { ReminderSettings } from '../../core/reminders.js';
import type { SlackConfig } from '../../config.js';
import type { Logger } from '../../log.js';
import type { CommandObserver } from '../../observability/metrics.js';
import { MALFORMED_REQUEST, type SlackReply, handleSlashCommand, slashCommandNames } from './dispatch.js';
import { LINK_ACTION } from './render.js';
import { fromPlatform, listenFailure } from '../failure.js';
import { SeenRequests } from '../seen-requests.js';
import { requestId } from './request-id.js';

export interface SlackBotOptions {
  readonly config: SlackConfig;
  readonly logger: Logger;
  readonly course: () => Course;
  readonly commands: readonly Command[];
  readonly clock: Clock;
  readonly admin?: ScheduleAdmin;
  /** Students' reminder settings (`/remind`). */
  readonly reminders?: ReminderSettings;
  /** Where the ids of requests already run are shared with other instances (see `SeenRequests`). */
  readonly store?: StateStore;
  /** Real time for request timestamps (tests move it); the bot's clock may be shifted with `--at`. */
  readonly now?: () => number;
  /** Told about every command answered (metrics). */
  readonly observe?: CommandObserver;
  /** Chooses each request's course; without one, every request is for `course` (its instructors from `config`). */
  readonly scope?: ScopeResolver;
  /** The courses the deployment serves on Slack, as they are now: `/help` lists them where there are several. */
  readonly courses?: () => readonly CourseEntry[];
}

/** Where Slack posts commands and interactions in HTTP mode. */
const EVENTS_PATH = '/slack/events';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The path of a request target, or undefined when it is not one. */
function pathOf(target = '/'): string | undefined {
  try {
    return new URL(target, 'http://localhost').pathname;
  } catch {
    return undefined;
  }
}

/** Slack rejects nothing older than 5 minutes itself; this bot also refuses requests dated more than 5 minutes ahead. */
const MAX_SKEW_SECONDS = 5 * 60;

/**
 * Whether a request's `X-Slack-Request-Timestamp` (seconds) is a number within 5 minutes of `nowMs`, either
 * way: older ones may be replays, and Bolt alone accepts any timestamp from the future.
 */
export function requestTimestampOk(header: string | readonly string[] | undefined, nowMs: number): boolean {
  if (typeof header !== 'string' || !/^\d{1,12}$/.test(header.trim())) return false;
  return Math.abs(nowMs / 1000 - Number(header)) <= MAX_SKEW_SECONDS;
}
/** How long a user group's members are trusted before asking Slack again. */
const USERGROUP_TTL_MS = 60_000;

/** Slack's answers to a token it will never accept again: retrying cannot help. */
const REFUSALS = ['not_authed', 'invalid_auth', 'account_inactive', 'token_revoked', 'user_removed_from_team', 'team_disabled'];

function isRefusal(error: unknown): boolean {
  const { code, data } = (error ?? {}) as { code?: unknown; data?: { error?: unknown } };
  return code === 'slack_webapi_platform_error' && REFUSALS.includes(String(data?.error));
}

/** The wait before trying to reconnect again after `failures` failed tries: 5 s more each time, at most a minute. */
function reconnectDelayMs(failures: number): number {
  return Math.min(5_000 * failures, 60_000);
}

/** Bolt's logger interface over pino: Bolt's chatter goes to debug, its warnings and errors stay. */
function boltLogger(logger: Logger): BoltLogger {
  const text = (parts: unknown[]) => parts.map((part) => (part instanceof Error ? part.message : String(part))).join(' ');
  let level = LogLevel.INFO;
  return {
    debug: (...parts: unknown[]) => logger.trace(text(parts)),
    info: (...parts: unknown[]) => logger.debug(text(parts)),
    warn: (...parts: unknown[]) => logger.warn(text(parts)),
    error: (...parts: unknown[]) => logger.error(text(parts)),
    setLevel: (next: LogLevel) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

/** Slack's Web API client, whose errors are marked as Slack's where they happen (see `fromPlatform`). */
class SlackApiClient extends webApi.WebClient {
  override async apiCall(method: string, options?: Record<string, unknown>): Promise<webApi.WebAPICallResult> {
    try {
      return await super.apiCall(method, options);
    } catch (error) {
      throw fromPlatform('slack', error);
    }
  }
}

/** A Web API client at the configured base URL; `retries: 0` leaves retrying to the caller (the announcer). */
export function slackClient(config: SlackConfig, logger: Logger, options: { retries?: number } = {}): webApi.WebClient {
  return new SlackApiClient(config.botToken, {
    slackApiUrl: config.apiUrl,
    // A request Slack does not answer fails after 10 s instead of hanging a post or a start.
    timeout: 10_000,
    logger: boltLogger(logger),
    ...(options.retries !== undefined && { retryConfig: { retries: options.retries } }),
  });
}

/**
 * The Slack app: the real Bolt app in Socket Mode (with `SLACK_APP_TOKEN`) or HTTP mode (signed requests on
 * `SLACK_PORT`), answering every command of the registry as a slash command.
 */
export class SlackBot {
  readonly #options: SlackBotOptions;
  readonly #logger: Logger;
  readonly #boltLogger: BoltLogger;
  #app: App | undefined;
  #receiver: SocketModeReceiver | HTTPReceiver | undefined;
  #started = false;
  #stopped = false;
  #server: Server | undefined;
  #botUserId: string | undefined;
  #connected = false;
  /** The members of each user group asked about, and when Slack was asked. */
  readonly #groupMembers = new Map<string, { at: number; ids: ReadonlySet<string> }>();
  readonly #seen: SeenRequests;
  #retry: NodeJS.Timeout | undefined;
  #lose: (error: unknown) => void = () => undefined;
  readonly #lost = new Promise<unknown>((resolve) => (this.#lose = resolve));

  constructor(options: SlackBotOptions) {
    this.#options = options;
    this.#logger = options.logger;
    this.#boltLogger = boltLogger(this.#logger.child({ subsystem: 'bolt' }));
    this.#seen = new SeenRequests({
      platform: 'slack',
      logger: this.#logger,
      ...(options.store && { store: options.store }),
      ...(options.now && { now: options.now }),
    });
  }

  /**
   * The Bolt app for a checked token: built once `auth.test` has answered, with the bot's ids given, so
   * Bolt makes no call of its own that could fail unseen.
   */
  #build(botId: string | undefined, botUserId: string | undefined): App {
    const { config, commands } = this.#options;
    const logger = this.#boltLogger;
    // A fresh object for each: the Socket Mode client changes the options it is given.
    const clientOptions = () => ({ slackApiUrl: config.apiUrl });
    const receiver = config.appToken
      ? new SocketModeReceiver({
          appToken: config.appToken,
          logger,
          // A few quick tries at apps.connections.open, not WebClient's ten over half an hour: a reconnect
          // that still fails is tried again by #guardReconnects, at most a minute apart.
          installerOptions: { clientOptions: { ...clientOptions(), retryConfig: { retries: 2 } } },
          customPropertiesExtractor: (event) => ({ envelopeId: (event as { envelope_id?: unknown }).envelope_id }),
        })
      : this.#httpReceiver(config.signingSecret!, logger);
    this.#receiver = receiver;
    const app = new App({
      token: config.botToken,
      ...(botId && { botId }),
      ...(botUserId && { botUserId }),
      receiver,
      logger,
      clientOptions: clientOptions(),
    });
    app.error((error) => {
      this.#logger.error({ err: error }, 'slack listener failed');
      return Promise.resolve();
    });
    // Runs after the signature check: only a request Slack signed can mark an id as seen.
    app.use(async (args) => {
      const id = requestId(args.body, args.context.envelopeId);
      if (id === undefined || this.#seen.firstTime(id)) return args.next();
      const body = args.body as { command?: unknown; user_id?: unknown };
      this.#logger.warn(
        { command: body.command, user: body.user_id, retry: args.context.retryNum, kind: id.slice(0, id.indexOf(':')) },
        'slack request already handled (a replay, a retry or a redelivery): acknowledged, not run again',
      );
      if ('ack' in args && typeof args.ack === 'function') await args.ack();
    });
    // Link buttons open their URL; where interactivity is on, Slack also sends the click: acknowledge it.
    app.action(LINK_ACTION, async ({ ack }) => ack());
    for (const name of slashCommandNames(commands, config.commandPrefix)) {
      app.command(name, async ({ command, ack, respond }) => {
        // Bolt gives `respond` only with a response_url, which Slack sends with every slash command.
        if (typeof respond !== 'function') {
          this.#logger.warn({ command: name }, 'malformed slash command payload (no response_url): refused');
          await ack({ response_type: 'ephemeral', text: MALFORMED_REQUEST });
          return;
        }
        const started = performance.now();
        const outcome = await handleSlashCommand(
          command,
          (reply?: SlackReply) => ack(reply),
          (reply: SlackReply) => respond(reply),
          {
            course: this.#options.course,
            commands,
            clock: this.#options.clock,
            logger: this.#logger,
            replyVisibility: config.replyVisibility,
            prefix: config.commandPrefix,
            isInstructor: (userId) => this.isInstructor(userId),
            ...(this.#options.admin && { admin: this.#options.admin }),
            ...(this.#options.reminders && { reminders: this.#options.reminders }),
            ...(this.#options.scope && { scope: this.#options.scope }),
            ...(this.#options.courses && { courses: this.#options.courses }),
          },
        );
        // A metrics label from known names only: the first word of a group's text is the user's to choose.
        const top = name.slice(1 + config.commandPrefix.length);
        // Bolt passes the payload on unchecked: `text` may be missing from a malformed one.
        const text: unknown = command.text;
        const word = (typeof text === 'string' ? text : '').trim().split(/\s+/)[0]?.toLowerCase() ?? '';
        const members = commands.filter((candidate) => candidate.group === top).map((candidate) => candidate.name);
        this.#options.observe?.({
          platform: 'slack',
          command: members.length === 0 ? top : `${top} ${members.includes(word) ? word : 'other'}`,
          outcome,
          seconds: (performance.now() - started) / 1000,
        });
      });
    }
    return app;
  }

  /**
   * Bolt's HTTP receiver (signature check), behind two checks of its own: a timestamp from the future is
   * refused, and so is a body that is not a JSON object (see `#screenBody`).
   */
  #httpReceiver(signingSecret: string, logger: BoltLogger): HTTPReceiver {
    const receiver = new HTTPReceiver({ signingSecret, logger, endpoints: EVENTS_PATH });
    const verified = receiver.requestListener;
    const now = this.#options.now ?? Date.now;
    receiver.requestListener = (request: IncomingMessage, response: ServerResponse) => {
      if (request.method !== 'POST') return verified(request, response);
      if (!requestTimestampOk(request.headers['x-slack-request-timestamp'], now())) {
        this.#logger.warn({ timestamp: request.headers['x-slack-request-timestamp'] }, 'slack request refused: timestamp more than 5 minutes off');
        response.writeHead(401).end();
        return;
      }
      if (pathOf(request.url) !== EVENTS_PATH) return verified(request, response);
      this.#screenBody(request, response, signingSecret, verified).catch((error: unknown) => {
        this.#logger.error({ err: error }, 'slack request failed before Bolt could read it');
        if (!response.headersSent) response.writeHead(500);
        response.end();
      });
    };
    return receiver;
  }

  /**
   * Reads the body as Bolt will (Bolt then uses the bytes read here) and hands the request on, unless it is
   * something Slack never sends and Bolt cannot take: a body that parses to `null`, a number, a text or an
   * array (JSON `null`, the form `payload=null`), on which Bolt's receiver throws outside any handler and
   * ends the process. That is refused with 400, once its signature is checked (an unsigned one gets 401, as
   * Bolt would give it). Bodies Bolt refuses itself (not JSON, too large) are left to it.
   */
  async #screenBody(
    request: IncomingMessage,
    response: ServerResponse,
    signingSecret: string,
    next: (request: IncomingMessage, response: ServerResponse) => void,
  ): Promise<void> {
    let buffered: Awaited<ReturnType<typeof HTTPModuleFunctions.bufferIncomingMessage>>;
    try {
      buffered = await HTTPModuleFunctions.bufferIncomingMessage(request, HTTPModuleFunctions.defaultBodyLimit);
    } catch (error) {
      // The body could not be read to its end: Bolt could not read it again either.
      const tooLarge = isRawBodyError(error) && (error.type === 'entity.too.large' || error.statusCode === 413);
      this.#logger.warn({ err: error }, tooLarge ? 'slack request refused: body too large' : 'slack request refused: body could not be read');
      if (!response.headersSent) response.writeHead(tooLarge ? 413 : 400);
      response.end();
      return;
    }
    let body: unknown;
    try {
      body = HTTPModuleFunctions.parseHTTPRequestBody(buffered);
    } catch {
      // Not JSON, or a form Bolt cannot read: Bolt checks the signature and answers 401 or 400 itself.
      return next(request, response);
    }
    if (isRecord(body)) return next(request, response);
    const signed = isValidSlackRequest({
      signingSecret,
      body: buffered.rawBody.toString(),
      headers: {
        'x-slack-signature': String(request.headers['x-slack-signature'] ?? ''),
        'x-slack-request-timestamp': Number(request.headers['x-slack-request-timestamp']),
      },
    });
    this.#logger.warn(
      { body: body === null ? 'null' : Array.isArray(body) ? 'array' : typeof body, signed },
      signed ? 'slack request refused: the body is not a JSON object' : 'slack request refused: signature mismatch',
    );
    response.writeHead(signed ? 400 : 401).end();
  }

  /** The Bolt app, once started. */
  get app(): App | undefined {
    return this.#app;
  }

  /** The bot's own user id, once started. */
  get botUserId(): string | undefined {
    return this.#botUserId;
  }

  /** The port HTTP mode listens on (useful with `SLACK_PORT=0`). */
  get port(): number | undefined {
    const address = this.#server?.address();
    return address && typeof address === 'object' ? (address).port : undefined;
  }

  /** Connects (Socket Mode) or listens (HTTP mode), after checking the token. Stopping first ends it early. */
  async start(): Promise<void> {
    const { config } = this.#options;
    // A few tries only: a refused token or an unreachable API is reported at once, and a stop is not held up.
    const auth = await slackClient(config, this.#logger, { retries: 2 }).auth.test();
    if (this.#stopped) return;
    this.#botUserId = auth.user_id;
    this.#app = this.#build(auth.bot_id, auth.user_id);
    const receiver = this.#receiver!;
    if (receiver instanceof SocketModeReceiver) {
      const socket = receiver.client;
      this.#guardReconnects(socket);
      socket.on('connected', () => (this.#connected = true));
      for (const state of ['disconnected', 'reconnecting', 'connecting']) socket.on(state, () => (this.#connected = false));
      await receiver.start();
      this.#started = true;
      if (this.#stopped) return void (await receiver.stop());
      this.#connected = true;
      this.#logger.info({ team: auth.team, user: auth.user, mode: 'socket' }, 'slack ready');
    } else {
      try {
        this.#server = await receiver.start({ port: config.port, host: config.host });
      } catch (error) {
        throw listenFailure(error, { host: config.host, port: config.port, hostSetting: 'SLACK_HOST', portSetting: 'SLACK_PORT' });
      }
      this.#started = true;
      if (this.#stopped) return void (await receiver.stop());
      this.#connected = true;
      this.#logger.info({ team: auth.team, user: auth.user, mode: 'http', port: this.port }, 'slack ready');
    }
    if (config.instructorUserIds.length === 0 && !config.instructorUsergroup) {
      this.#logger.warn('no SLACK_INSTRUCTOR_USER_IDS or SLACK_INSTRUCTOR_USERGROUP: /course is refused to everyone on Slack');
    }
  }

  /**
   * The Socket Mode client reconnects on its own, but a reconnect that fails at `apps.connections.open` for
   * a reason it deems final (a refused token, a network or HTTP error) is a rejected promise nobody handles:
   * Node ends the process with a stack trace. Its `start` (which it calls again by name) is wrapped: after
   * the first start, a refusal ends the bot (`lost`), anything else is tried again with a growing delay.
   */
  #guardReconnects(socket: SocketModeReceiver['client']): void {
    const start = socket.start.bind(socket);
    let failures = 0;
    const guarded = async () => {
      try {
        const opened = await start();
        failures = 0;
        return opened;
      } catch (error) {
        if (!this.#started) throw error;
        if (this.#stopped) return undefined;
        if (isRefusal(error)) {
          this.#logger.error({ err: error }, 'slack refused the token while reconnecting (Socket Mode)');
          this.#lose(error);
          return undefined;
        }
        failures += 1;
        const delay = reconnectDelayMs(failures);
        this.#logger.warn({ err: error, retryInSeconds: delay / 1000 }, 'slack: could not reconnect (Socket Mode); trying again');
        this.#retry = setTimeout(() => {
          if (!this.#stopped) void socket.start();
        }, delay);
        return undefined;
      }
    };
    socket.start = guarded as typeof socket.start;
  }

  /** Resolves (with the reason) when Slack shuts the bot out for good after it started: a revoked token. */
  get lost(): Promise<unknown> {
    return this.#lost;
  }

  /** Connected to Slack (Socket Mode) or listening (HTTP mode). */
  get connected(): boolean {
    return this.#connected;
  }

  /** Stops the receiver if it started; a start still under way stops as soon as it can. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#connected = false;
    clearTimeout(this.#retry);
    if (this.#started) await this.#receiver?.stop();
  }

  /** A listed instructor, or a member of the instructors' user group (asked of Slack at most once a minute). */
  async isInstructor(userId: string): Promise<boolean> {
    const { config } = this.#options;
    if (config.instructorUserIds.includes(userId)) return true;
    if (!config.instructorUsergroup) return false;
    return (await this.usergroupMembers(config.instructorUsergroup)).has(userId);
  }

  /**
   * The members of a user group, asked of Slack at most once a minute per group; when Slack cannot say, the
   * last known members (none at first), with a line saying what to fix.
   */
  async usergroupMembers(usergroup: string): Promise<ReadonlySet<string>> {
    const known = this.#groupMembers.get(usergroup);
    if (known && Date.now() - known.at <= USERGROUP_TTL_MS) return known.ids;
    try {
      const result = await this.#app!.client.usergroups.users.list({ usergroup });
      const ids = new Set(result.users ?? []);
      this.#groupMembers.set(usergroup, { at: Date.now(), ids });
      return ids;
    } catch (error) {
      this.#logger.error({ err: error, usergroup }, 'could not read the instructors user group (needs the usergroups:read scope)');
      return known?.ids ?? new Set();
    }
  }
}
