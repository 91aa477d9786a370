import { Client, Events, GatewayIntentBits, InteractionResponseType, MessageFlags, Options, REST, Routes } from 'discord.js';
import type { Clock } from '../../core/clock.js';
import { type Command, answeredAnywhere } from '../../core/commands/command.js';
import type { ScopeResolver } from '../../core/commands/invoke.js';
import type { CourseTargets } from '../../core/course/schema.js';
import type { Course } from '../../core/course/model.js';
import type { ScheduleAdmin, StateStore } from '../../core/ports.js';
import type { ReminderSettings } from '../../core/reminders.js';
import type { RoutedCourse } from '../../core/routing.js';
import type { DiscordConfig } from '../../config.js';
import type { Logger } from '../../log.js';
import type { CommandObserver, DropObserver } from '../../observability/metrics.js';
import { type CommandJson, commandsHash, commandsJson } from './command-json.js';
import { MALFORMED_OPTIONS, handleInteraction } from './dispatch.js';
import { courseOptionWanted, registerGuildCommands } from './register-guilds.js';
import { fromPlatform } from '../failure.js';
import { SeenRequests } from '../seen-requests.js';
import { InteractionAges } from './interaction-age.js';
import { answerable, interactionKind, interactionProblem } from './payload.js';

export interface DiscordBotOptions {
  readonly config: DiscordConfig;
  readonly store: StateStore;
  readonly logger: Logger;
  readonly course: () => Course;
  readonly commands: readonly Command[];
  readonly clock: Clock;
  /** The instructor actions behind `/course`. */
  readonly admin?: ScheduleAdmin;
  /** Students' reminder settings (`/remind`). */
  readonly reminders?: ReminderSettings;
  /** Chooses each request's course; without one, every request is for `course` (its instructors by role or Manage Server). */
  readonly scope?: ScopeResolver;
  /**
   * The targets of the running courses: commands are registered per guild they name (global where one names
   * none), only where changed. Without it: once, in `DISCORD_GUILD_ID` or globally.
   */
  readonly registration?: () => readonly CourseTargets[];
  /**
   * The courses the deployment serves on Discord, as they are now: the `course` option's autocomplete offers
   * them, `/help` lists them where there are several, and (without `registration`) the commands take the
   * `course` option where there are several. Absent for a single course.
   */
  readonly courses?: () => readonly RoutedCourse[];
  /** Told about every command answered (metrics). */
  readonly observe?: CommandObserver;
  /** Told about every interaction shed or whose answer Discord refused as expired or already given (metrics). */
  readonly dropped?: DropObserver;
  /** Real time, ms since 1970, for interactions' ages (default `Date.now`; never the course clock, which may be shifted). */
  readonly now?: () => number;
}

/** What a registration did: where, which commands, and whether Discord was called. */
export interface Registration {
  readonly scope: string;
  readonly names: readonly string[];
  readonly changed: boolean;
}

/** discord.js's REST client, whose errors are marked as Discord's where they happen (see `fromPlatform`). */
class DiscordApiClient extends REST {
  override async request(options: Parameters<REST['request']>[0]): Promise<unknown> {
    try {
      return await super.request(options);
    } catch (error) {
      throw fromPlatform('discord', error);
    }
  }
}

/**
 * A REST client for Discord's HTTP API at the configured base URL. `retries: 0` leaves retrying to the
 * caller (the announcer looks for an earlier attempt's message before posting again); 429s are still
 * waited out as Discord says.
 */
export function discordRest(config: DiscordConfig, options: { retries?: number } = {}): REST {
  return new DiscordApiClient({ api: config.apiUrl, ...(options.retries !== undefined && { retries: options.retries }) }).setToken(
    config.token,
  );
}

/** The application id: configured, or asked of Discord. */
export async function applicationId(rest: REST, config: DiscordConfig): Promise<string> {
  if (config.applicationId) return config.applicationId;
  const application = (await rest.get(Routes.currentApplication())) as { id: string };
  return application.id;
}

/**
 * Registers the commands (bulk overwrite, in a guild or globally) unless exactly these definitions were
 * registered there last time: restarts must not use up Discord's daily command-create limit.
 */
export async function syncCommands(input: {
  readonly rest: REST;
  readonly applicationId: string;
  readonly guildId?: string;
  readonly commands: readonly Command[];
  readonly store: StateStore;
  readonly logger: Logger;
  readonly force?: boolean;
  /** Add the `course` option to every command (a deployment of several courses); without it, as for one course. */
  readonly courseOption?: boolean;
}): Promise<Registration> {
  const { rest, store, logger } = input;
  const body: CommandJson[] = commandsJson(input.commands, { courseOption: input.courseOption ?? false });
  const scope = input.guildId ? `guild ${input.guildId}` : 'global';
  const key = `discord:commands:${input.applicationId}:${input.guildId ?? 'global'}`;
  const hash = commandsHash(body, key);
  const names = body.map((command) => command.name);
  if (!input.force && store.getValue(key) === hash) {
    logger.info({ scope, commands: names.length }, 'slash commands unchanged; not registering');
    return { scope, names, changed: false };
  }
  const route = input.guildId
    ? Routes.applicationGuildCommands(input.applicationId, input.guildId)
    : Routes.applicationCommands(input.applicationId);
  await rest.put(route, { body });
  store.setValue(key, hash);
  logger.info({ scope, commands: names }, 'slash commands registered');
  return { scope, names, changed: true };
}

/**
 * Gateway close codes after which discord.js does not reconnect: authentication failed (a reset token),
 * invalid shard, sharding required, invalid API version, invalid or disallowed intents.
 */
const FINAL_CLOSE_CODES = new Set([4004, 4010, 4011, 4012, 4013, 4014]);

/** The reason a final close is reported with; 4004 reads as the refused token it is. */
function finalClose(code: number): Error {
  if (code === 4004) return Object.assign(new Error('Discord closed the gateway: authentication failed (4004)'), { code: 'TokenInvalid' });
  return new Error(`Discord closed the gateway for good (close code ${code})`);
}

/** What a screened interaction is renamed to: discord.js has no handler for it and passes it by. */
const SCREENED = 'COURSE_BOT_SCREENED_INTERACTION';
const AUTOCOMPLETE = 4;
/** How often a shed interaction is logged at info; the others in between at debug. */
const SHED_LINE_EVERY_MS = 10_000;

/** For modules that load this one lazily (`import()` of discord.js itself gives only its default export in dist/). */
export { Routes };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The Discord bot: the real discord.js client with the Guilds intent only, small caches, no pings. */
export class DiscordBot {
  readonly client: Client;
  readonly #options: DiscordBotOptions;
  readonly #logger: Logger;
  #connected = false;
  #stopped = false;
  #loggingIn = false;
  #stopRequested: () => void = () => undefined;
  readonly #stopping = new Promise<void>((resolve) => (this.#stopRequested = resolve));
  #lose: (error: unknown) => void = () => undefined;
  readonly #lost = new Promise<unknown>((resolve) => (this.#lose = resolve));
  /** The interaction ids taken, here and (through the state store) by every instance on it. */
  readonly #seen: SeenRequests;
  /** Which interactions are already too old to answer (see `SHED_AFTER_MS`). */
  readonly #ages: InteractionAges;
  /** Shed since the last info line about it, and when that line was written (performance.now()). */
  #shedSinceLine = 0;
  #shedLineAt = Number.NEGATIVE_INFINITY;
  /** Kinds of dropped interactions and events already logged at warn. */
  readonly #droppedKinds = new Set<string>();
  /** The registration under way, if any: the next waits for it. */
  #registering: Promise<void> = Promise.resolve();

  constructor(options: DiscordBotOptions) {
    this.#options = options;
    this.#logger = options.logger;
    this.#ages = new InteractionAges(options.now);
    this.#seen = new SeenRequests({ platform: 'discord', store: options.store, logger: this.#logger });
    this.client = new Client({
      intents: [GatewayIntentBits.Guilds],
      // The bot reads no messages and few members: keep almost nothing in memory.
      makeCache: Options.cacheWithLimits({
        ...Options.DefaultMakeCacheSettings,
        MessageManager: 0,
        // Small, bounded caches of the members and users who ask: re-creating them for every interaction
        // costs more than keeping the last few hundred.
        GuildMemberManager: { maxSize: 200, keepOverLimit: (member) => member.id === member.client.user.id },
        UserManager: 200,
        PresenceManager: 0,
        ReactionManager: 0,
        GuildEmojiManager: 0,
        GuildStickerManager: 0,
        VoiceStateManager: 0,
        ThreadManager: 0,
      }),
      allowedMentions: { parse: [] },
      rest: { api: options.config.apiUrl },
      // Everything this bot sends is already in Discord's snake_case shape (render.ts): skip discord.js's
      // deep camelCase → snake_case rewrite of every embed and component.
      jsonTransformer: (data) => data,
    });
    // discord.js builds an interaction inside its gateway handler, where a throw is uncaught and ends the
    // process. `raw` comes first, with the same packet: what is not this instance's to answer, or would
    // throw there, is taken out of its hands.
    this.client.on(Events.Raw as never, (packet: { t?: unknown; d?: unknown } | null) => this.#screen(packet));
    this.#guardPacketHandling();
    this.client.on(Events.Error, (error) => this.#logger.error({ err: error }, 'discord client error'));
    this.client.on(Events.Warn, (message) => this.#logger.warn(message));
    this.client.on(Events.ShardDisconnect, (event, shard) => {
      this.#connected = false;
      this.#logger.warn({ code: event.code, shard }, 'gateway disconnected');
      if (!this.#stopped && FINAL_CLOSE_CODES.has(event.code)) {
        this.#logger.error({ code: event.code }, 'Discord closed the gateway for good; discord.js does not reconnect');
        this.#lose(finalClose(event.code));
      }
    });
    this.client.on(Events.ShardReconnecting, () => (this.#connected = false));
    this.client.on(Events.ShardError, () => (this.#connected = false));
    this.client.on(Events.ShardResume, (shard, replayed) => {
      this.#connected = true;
      this.#logger.info({ shard, replayed }, 'gateway resumed');
    });
    this.client.on(Events.ShardReady, () => (this.#connected = true));
    this.client.on(Events.InteractionCreate, (interaction) => {
      handleInteraction(interaction, {
        ...options,
        logger: this.#logger,
        replyVisibility: options.config.replyVisibility,
        ...(options.config.instructorRoleId && { instructorRoleId: options.config.instructorRoleId }),
      }).catch(
        (error: unknown) => this.#logger.error({ err: error, interaction: interaction.id }, 'could not answer an interaction'),
      );
    });
  }

  /**
   * Logs in, waits for READY and registers the commands when they changed. A stop while logging in ends
   * it early (resolving), and closes whatever the login still opens.
   */
  async start(): Promise<void> {
    const ready = new Promise<void>((resolve) => this.client.once(Events.ClientReady, () => resolve()));
    this.#loggingIn = true;
    const login = this.client.login(this.#options.config.token).finally(() => (this.#loggingIn = false));
    await Promise.race([login, this.#stopping]);
    if (this.#stopped) {
      // discord.js ignores a destroy() that comes mid-login and connects on (and a second destroy() is then
      // a no-op): close the connection once the login has ended, or the process never exits.
      login
        .then(() => this.client.destroy())
        .catch((error: unknown) => this.#logger.debug({ err: error }, 'closing the connection of a login that ended after a stop failed'));
      return;
    }
    await Promise.race([ready, this.#stopping]);
    if (this.#stopped) return;
    const user = this.client.user;
    this.#logger.info({ user: user?.tag, id: user?.id, guilds: this.client.guilds.cache.size }, 'discord ready');
    await this.registerCommands();
  }

  /**
   * Registers the commands where the courses need them now (at the start, and when a course is added or
   * removed), only where they changed. A refusal is logged with what to fix; the bot goes on.
   */
  async registerCommands(): Promise<void> {
    if (!this.client.isReady()) return;
    const applicationId = this.#options.config.applicationId ?? this.client.application.id;
    const { registration } = this.#options;
    if (registration) {
      // One registration at a time: two courses added at once must not race their writes of the hashes.
      const run = this.#registering.then(() =>
        registerGuildCommands({
          rest: this.client.rest,
          applicationId,
          targets: registration(),
          commands: this.#options.commands,
          store: this.#options.store,
          logger: this.#logger,
        }),
      );
      this.#registering = run.then(
        () => undefined,
        (error: unknown) => this.#logger.error({ err: error }, 'could not register slash commands'),
      );
      await this.#registering;
      return;
    }
    try {
      await syncCommands({
        rest: this.client.rest,
        applicationId,
        ...(this.#options.config.guildId && { guildId: this.#options.config.guildId }),
        commands: this.#options.commands,
        store: this.#options.store,
        logger: this.#logger,
        courseOption: courseOptionWanted((this.#options.courses?.() ?? []).map((course) => course.targets)),
      });
    } catch (error) {
      // The bot still answers commands registered earlier; say what to fix and go on.
      this.#logger.error(
        { err: error },
        'could not register slash commands: was the bot invited with the applications.commands scope, and is DISCORD_GUILD_ID a server it is in?',
      );
    }
  }

  /**
   * Screens a gateway packet before discord.js handles it: what is not a packet discord.js can read, or not
   * this instance's to answer, is renamed so that discord.js passes it by.
   */
  #screen(packet: { t?: unknown; d?: unknown } | null): void {
    if (typeof packet !== 'object' || packet === null) return;
    try {
      if (packet.t === 'INTERACTION_CREATE') {
        this.#screenInteraction(packet);
      } else if (typeof packet.t === 'string' && packet.t !== 'RESUMED' && !isRecord(packet.d)) {
        // Every dispatch but RESUMED carries an object; discord.js reads fields of it without looking.
        const event = packet.t;
        packet.t = SCREENED;
        this.#dropped(event, { event }, 'malformed gateway event from Discord (no data object): dropped');
      }
    } catch (error) {
      packet.t = SCREENED;
      this.#logger.error({ err: error }, 'could not screen a gateway event; dropped');
    }
  }

  /**
   * Decides, before discord.js builds it, whether an interaction is this instance's to answer. Taken away
   * from discord.js (and so never answered here): one of a kind the bot does not handle, one another
   * instance on the same state store has taken (or that came again), and a malformed one, which gets a short
   * refusal instead.
   */
  #screenInteraction(packet: { t?: unknown; d?: unknown }): void {
    const payload = packet.d;
    const kind = interactionKind(payload);
    if (kind.kind === 'unhandled') {
      packet.t = SCREENED;
      this.#dropped(kind.what, { interaction: answerable(payload)?.id, kind: kind.what }, 'interaction of a kind the bot does not handle: dropped');
      return;
    }
    // Before any other work (no check, no store, no lookup): under a burst, time spent on an interaction
    // Discord has given up on makes the next ones late too.
    const id = (payload as { id?: unknown }).id;
    const age = this.#ages.shed(id);
    if (age.shed) {
      packet.t = SCREENED;
      this.#shedLine(id, age.ageMs);
      this.#options.dropped?.('discord', 'shed');
      return;
    }
    const target = answerable(payload);
    // Autocomplete and read-only commands are not claimed in the store: Discord takes the first callback and
    // refuses the others (40060). Recording each id cost about 90 µs of CPU per interaction in the running bot,
    // a fifth of its CPU per interaction; a change or `/remind` is claimed, so that it runs once.
    const anywhere = answeredAnywhere(this.#options.commands, {
      autocomplete: kind.kind === 'autocomplete',
      name: (payload as { data?: { name?: unknown } }).data?.name,
    });
    if (target && !this.#seen.firstTime(target.id, !anywhere)) {
      packet.t = SCREENED;
      this.#logger.debug({ interaction: target.id }, 'interaction already taken (by another instance of the bot, or delivered again): dropped');
      return;
    }
    const problem = interactionProblem(payload);
    if (problem === undefined) return;
    packet.t = SCREENED;
    this.#logger.warn({ interaction: target?.id, problem }, 'malformed interaction from Discord: refused');
    if (!target) return;
    const body =
      target.type === AUTOCOMPLETE
        ? { type: InteractionResponseType.ApplicationCommandAutocompleteResult, data: { choices: [] } }
        : {
            type: InteractionResponseType.ChannelMessageWithSource,
            data: { content: MALFORMED_OPTIONS, flags: MessageFlags.Ephemeral, allowed_mentions: { parse: [] } },
          };
    this.client.rest
      .post(Routes.interactionCallback(target.id, target.token), { body, auth: false })
      .catch((error: unknown) => this.#logger.warn({ err: error, interaction: target.id }, 'could not answer a malformed interaction'));
  }

  /**
   * The one line about a shed interaction: at info at most every {@link SHED_LINE_EVERY_MS} (with how many were
   * shed since the last info line), else at debug, so that a burst of thousands writes a few lines.
   */
  #shedLine(id: unknown, ageMs: number | undefined): void {
    this.#shedSinceLine += 1;
    const now = performance.now();
    if (now - this.#shedLineAt < SHED_LINE_EVERY_MS) {
      this.#logger.debug({ interaction: id, ageMs }, 'interaction too old to answer in time: shed');
      return;
    }
    this.#logger.info({ interaction: id, ageMs, shed: this.#shedSinceLine }, 'interaction too old to answer in time: shed (the bot is behind; `shed` counts those since the last such line)');
    this.#shedSinceLine = 0;
    this.#shedLineAt = now;
  }

  /** Logs something dropped: the first of each kind at warn (so that a new kind is noticed), later ones at debug. */
  #dropped(kind: string, fields: Record<string, unknown>, message: string): void {
    const first = !this.#droppedKinds.has(kind) && this.#droppedKinds.size < 100;
    if (first) this.#droppedKinds.add(kind);
    this.#logger[first ? 'warn' : 'debug'](fields, message);
  }

  /**
   * The last guard: discord.js handles a gateway event inside its own listener, where a throw (a field it
   * expected and did not get) is unhandled and ends the process. Such an event is logged and dropped.
   */
  #guardPacketHandling(): void {
    const manager = this.client.ws as unknown as { handlePacket?: (packet?: unknown, shard?: unknown) => boolean };
    const handle = manager.handlePacket;
    if (typeof handle !== 'function') return;
    manager.handlePacket = (packet?: unknown, shard?: unknown) => {
      try {
        return handle.call(manager, packet, shard);
      } catch (error) {
        const event = String((packet as { t?: unknown } | undefined)?.t);
        this.#dropped(`handling ${event}`, { event, err: error }, 'discord.js could not handle a gateway event from Discord: dropped');
        return true;
      }
    };
  }

  /** Resolves (with the reason) when Discord shuts the bot out for good after it started: a reset token. */
  get lost(): Promise<unknown> {
    return this.#lost;
  }

  /** Whether the gateway connection is up (READY or resumed, and not dropped since). */
  get connected(): boolean {
    return this.#connected && this.client.isReady();
  }

  /** Disconnects; a start still logging in gives up. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#connected = false;
    this.#stopRequested();
    // Mid-login, start() closes the connection once the login ends (see there).
    if (!this.#loggingIn) await this.client.destroy();
  }
}
