import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { App, HTTPReceiver, LogLevel, type Logger as BoltLogger, SocketModeReceiver, webApi } from '@slack/bolt';
import type { Clock } from '../../core/clock.js';
import type { Command } from '../../core/commands/command.js';
import type { Course } from '../../core/course/model.js';
import type { ScheduleAdmin } from '../../core/ports.js';
import type { SlackConfig } from '../../config.js';
import type { Logger } from '../../log.js';
import { type SlackReply, handleSlashCommand, slashCommandNames } from './dispatch.js';
import { LINK_ACTION } from './render.js';

export interface SlackBotOptions {
  readonly config: SlackConfig;
  readonly logger: Logger;
  readonly course: () => Course;
  readonly commands: readonly Command[];
  readonly clock: Clock;
  readonly admin?: ScheduleAdmin;
  /** Real time for request timestamps (tests move it); the bot's clock may be shifted with `--at`. */
  readonly now?: () => number;
}

/** Slack rejects nothing older than 5 minutes itself; this bot also refuses requests dated more than 5 minutes ahead. */
const MAX_SKEW_SECONDS = 5 * 60;
/** How long a user group's members are trusted before asking Slack again. */
const USERGROUP_TTL_MS = 60_000;

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

/** A Web API client at the configured base URL; `retries: 0` leaves retrying to the caller (the announcer). */
export function slackClient(config: SlackConfig, logger: Logger, options: { retries?: number } = {}): webApi.WebClient {
  return new webApi.WebClient(config.botToken, {
    slackApiUrl: config.apiUrl,
    logger: boltLogger(logger),
    ...(options.retries !== undefined && { retryConfig: { retries: options.retries } }),
  });
}

/**
 * The Slack app: the real Bolt app in Socket Mode (with `SLACK_APP_TOKEN`) or HTTP mode (signed requests on
 * `SLACK_PORT`), answering every command of the registry as a slash command.
 */
export class SlackBot {
  readonly app: App;
  readonly #options: SlackBotOptions;
  readonly #logger: Logger;
  readonly #receiver: SocketModeReceiver | HTTPReceiver;
  #server: Server | undefined;
  #botUserId: string | undefined;
  readonly #groupMembers = { at: 0, ids: new Set<string>() };

  constructor(options: SlackBotOptions) {
    this.#options = options;
    this.#logger = options.logger;
    const { config } = options;
    const logger = boltLogger(this.#logger.child({ subsystem: 'bolt' }));
    // A fresh object for each: the Socket Mode client changes the options it is given.
    const clientOptions = () => ({ slackApiUrl: config.apiUrl });
    this.#receiver = config.appToken
      ? new SocketModeReceiver({ appToken: config.appToken, logger, installerOptions: { clientOptions: clientOptions() } })
      : this.#httpReceiver(config.signingSecret!, logger);
    this.app = new App({
      token: config.botToken,
      receiver: this.#receiver,
      logger,
      clientOptions: clientOptions(),
    });
    this.app.error((error) => {
      this.#logger.error({ err: error }, 'slack listener failed');
      return Promise.resolve();
    });
    // Link buttons open their URL; where interactivity is on, Slack also sends the click: acknowledge it.
    this.app.action(LINK_ACTION, async ({ ack }) => ack());
    for (const name of slashCommandNames(options.commands, config.commandPrefix)) {
      this.app.command(name, async ({ command, ack, respond }) => {
        await handleSlashCommand(
          command,
          (reply?: SlackReply) => ack(reply),
          (reply: SlackReply) => respond(reply),
          {
            course: options.course,
            commands: options.commands,
            clock: options.clock,
            logger: this.#logger,
            replyVisibility: config.replyVisibility,
            prefix: config.commandPrefix,
            isInstructor: (userId) => this.isInstructor(userId),
            ...(options.admin && { admin: options.admin }),
          },
        );
      });
    }
  }

  /** Bolt's HTTP receiver (signature check), behind a check that also refuses timestamps from the future. */
  #httpReceiver(signingSecret: string, logger: BoltLogger): HTTPReceiver {
    const receiver = new HTTPReceiver({ signingSecret, logger, endpoints: '/slack/events' });
    const verified = receiver.requestListener;
    const now = this.#options.now ?? Date.now;
    receiver.requestListener = (request: IncomingMessage, response: ServerResponse) => {
      const stamp = Number(request.headers['x-slack-request-timestamp']);
      if (request.method === 'POST' && (!Number.isFinite(stamp) || Math.abs(now() / 1000 - stamp) > MAX_SKEW_SECONDS)) {
        this.#logger.warn({ timestamp: request.headers['x-slack-request-timestamp'] }, 'slack request refused: timestamp more than 5 minutes off');
        response.writeHead(401).end();
        return;
      }
      verified(request, response);
    };
    return receiver;
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

  /** Connects (Socket Mode) or listens (HTTP mode), after checking the token. */
  async start(): Promise<void> {
    const { config } = this.#options;
    const auth = await this.app.client.auth.test({ token: config.botToken });
    this.#botUserId = auth.user_id;
    if (config.appToken) {
      await (this.#receiver as SocketModeReceiver).start();
      this.#logger.info({ team: auth.team, user: auth.user, mode: 'socket' }, 'slack ready');
    } else {
      this.#server = (await (this.#receiver as HTTPReceiver).start({ port: config.port, host: config.host }));
      this.#logger.info({ team: auth.team, user: auth.user, mode: 'http', port: this.port }, 'slack ready');
    }
    if (config.instructorUserIds.length === 0 && !config.instructorUsergroup) {
      this.#logger.warn('no SLACK_INSTRUCTOR_USER_IDS or SLACK_INSTRUCTOR_USERGROUP: /course is refused to everyone on Slack');
    }
  }

  async stop(): Promise<void> {
    await this.#receiver.stop();
  }

  /** A listed instructor, or a member of the instructors' user group (asked of Slack at most once a minute). */
  async isInstructor(userId: string): Promise<boolean> {
    const { config } = this.#options;
    if (config.instructorUserIds.includes(userId)) return true;
    if (!config.instructorUsergroup) return false;
    if (Date.now() - this.#groupMembers.at > USERGROUP_TTL_MS) {
      try {
        const result = await this.app.client.usergroups.users.list({ usergroup: config.instructorUsergroup });
        this.#groupMembers.ids = new Set(result.users ?? []);
        this.#groupMembers.at = Date.now();
      } catch (error) {
        this.#logger.error({ err: error }, 'could not read the instructors user group (needs the usergroups:read scope)');
      }
    }
    return this.#groupMembers.ids.has(userId);
  }
}
