import { type Server, createServer } from 'node:http';
import {
  type APIApplicationCommand,
  type APIInteraction,
  type APIInteractionResponse,
  type APIMessage,
  GatewayIntentBits,
  MessageFlags,
} from 'discord-api-types/v10';
import type { InteractionInput } from './builders.js';
import type { Fault, RouteMatch } from './faults.js';
import { FakeGateway, type RecordedIdentify } from './gateway.js';
import type { FakeGuildSpec, Registration, StoredMessage } from './model.js';
import { FakeRest, type RecordedRequest } from './rest.js';
import type { ScheduledEvents } from './scheduled-events.js';
import { listenOnLocalhost } from '../listen.js';
import { ChangeSignal } from '../signal.js';
import { World } from './world.js';
import { type DirectMessages, GlobalRateLimit } from './dms.js';

export { autocomplete, chatInput } from './builders.js';
export type {
  AutocompleteOption,
  ChatInputOption,
  InteractionActor,
  InteractionInput,
  InteractionOverrides,
} from './builders.js';
export type { Fault, RouteMatch } from './faults.js';
export type { RecordedIdentify } from './gateway.js';
export type { RecordedRequest } from './rest.js';
export type { FakeGuildSpec, RecordedFile, Registration, StoredMessage } from './model.js';

/** Options for {@link FakeDiscord.start}; everything has a default. */
export interface FakeDiscordOptions {
  readonly token?: string;
  readonly applicationId?: string;
  readonly botUserId?: string;
  readonly botUsername?: string;
  /** Default: one guild with one text channel. A guild given without channels gets one. */
  readonly guilds?: readonly FakeGuildSpec[];
  /** Sent in HELLO, ms. Default 41250 (Discord's); tests use ~1000 so heartbeats happen. */
  readonly heartbeatInterval?: number;
  /** How long after dispatch the first callback is accepted, ms. Default 3000, as on Discord. */
  readonly callbackWindowMs?: number;
  /** How far back `enforce_nonce` looks for a repeat, ms. Default 5 minutes. */
  readonly nonceWindowMs?: number;
  /** Enforce Discord's global rate limit (requests a second with the bot token; Discord's is 50). Default off. */
  readonly globalRateLimit?: number;
  /** The fake's clock (timestamps, snowflakes, windows). Default `Date.now`. */
  readonly now?: () => number;
  /** Receives one line per request and gateway event. Off by default. Tokens are never in it. */
  readonly log?: (line: string) => void;
}

/** A guild as the fake serves it. */
export interface FakeGuildInfo {
  readonly id: string;
  readonly name: string;
  readonly channelIds: readonly string[];
  /** The first is @everyone (id = guild id). */
  readonly roleIds: readonly string[];
}

/** What {@link FakeDiscord.interact} resolves with. */
export interface InteractResult {
  /** The first accepted callback: `{ type, data }` as the bot posted it. */
  readonly callback: APIInteractionResponse;
  /** The interaction as dispatched (with its id and token). */
  readonly interaction: APIInteraction;
}

export interface WaitOptions {
  readonly timeoutMs?: number;
}

/** Options for {@link FakeDiscord.burst}. */
export interface BurstOptions {
  /** Dispatch rate: the inputs are spread evenly at this many a second. */
  readonly perSecond: number;
  /**
   * After the last interaction's callback window has closed, counting goes on until no callback request has
   * arrived for this long (and for at least this long), ms: a bot that fell behind keeps sending late callbacks
   * (refused with 10062) and fallbacks after them. Default 1000; it stops 60 s after the window regardless.
   */
  readonly settleMs?: number;
}

/** What {@link FakeDiscord.burst} saw. */
export interface BurstResult {
  readonly sent: number;
  /** From the first dispatch to the last, ms: how close the fake came to the asked rate. */
  readonly dispatchMs: number;
  /** Interactions whose first callback Discord accepted (within the callback window). */
  readonly answered: number;
  /** Interactions with no accepted callback: the user saw "The application did not respond". */
  readonly missed: number;
  /** Callbacks refused as too late (404 `10062 Unknown interaction`). */
  readonly unknownInteraction: number;
  /** Callbacks refused as a second one (400 `40060 Interaction has already been acknowledged`). */
  readonly alreadyAcknowledged: number;
  /** Dispatch → accepted callback, ms, of each answered interaction (by the fake's clock). */
  readonly latencies: readonly number[];
}

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_GUILD: FakeGuildSpec = {
  id: '1100000000000000001',
  name: 'Course Server',
  channels: ['1100000000000000002'],
};

function isLoading(message: APIMessage): boolean {
  return ((message.flags ?? 0) & MessageFlags.Loading) !== 0;
}

/**
 * A local Discord for tests: the REST API under `http://127.0.0.1:<port>/api/v10` and the gateway at
 * `ws://127.0.0.1:<port>`, speaking the real wire protocols, so the real discord.js client can log in with
 * `new Client({ intents, rest: { api: fake.apiUrl } })` and `client.login(fake.token)`.
 *
 * Every request is recorded (`requests`, `unhandled`), interactions are driven with `interact`, and faults
 * (429, 5xx, delays, dropped connections) are armed with `failNext`.
 *
 * @example
 * const fake = await FakeDiscord.start({ heartbeatInterval: 1000 });
 * const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: fake.apiUrl } });
 * await client.login(fake.token);
 * await fake.waitForReady();
 * const { callback } = await fake.interact(chatInput('today'));
 * // … assert on callback.data, fake.messages(), fake.unhandled …
 * await client.destroy();
 * await fake.close();
 */
export class FakeDiscord {
  readonly token: string;
  readonly applicationId: string;
  readonly botUserId: string;
  /** Every HTTP request, in arrival order. */
  readonly requests: RecordedRequest[];
  /** Requests that matched no route (answered 404/405): assert it is empty to catch unexpected calls. */
  readonly unhandled: RecordedRequest[];
  /** Bulk overwrites of application commands, as sent (before validation). */
  readonly registrations: Registration[];
  /** Accepted interaction callbacks by interaction id. */
  readonly callbacks: Map<string, APIInteractionResponse[]>;
  /** Each interaction's original response (`@original`) by interaction id. */
  readonly originals: Map<string, StoredMessage>;
  /** Follow-up messages by interaction id. */
  readonly followUps: Map<string, StoredMessage[]>;
  /** IDENTIFY payloads received (without the token). */
  readonly identifies: RecordedIdentify[];
  /** Errors inside the fake itself (answered 500). */
  readonly serverErrors: Error[];
  /** The global rate limit, when enforced (`limited` counts its 429s). */
  readonly globalRateLimit?: GlobalRateLimit;

  readonly #server: Server;
  readonly #signal = new ChangeSignal('FakeDiscord');
  readonly #world: World;
  readonly #rest: FakeRest;
  readonly #gateway: FakeGateway;
  readonly #log: (line: string) => void;
  readonly #now: () => number;
  readonly #callbackWindowMs: number;
  #port = 0;
  #closed: Promise<void> | undefined;

  private constructor(options: FakeDiscordOptions) {
    this.token = options.token ?? 'MTIwMDAwMDAwMDAwMDAwMDAwMQ.fake.discord-test-token';
    this.botUserId = options.botUserId ?? '1200000000000000001';
    // Discord: a bot's application id is usually its user id.
    this.applicationId = options.applicationId ?? this.botUserId;
    const now = options.now ?? Date.now;
    this.#now = now;
    this.#callbackWindowMs = options.callbackWindowMs ?? 3000;
    this.#log = options.log ?? ((): void => undefined);
    const changed = (): void => this.#signal.notify();
    const guilds = options.guilds ?? [DEFAULT_GUILD];
    this.#gateway = new FakeGateway({
      token: this.token,
      heartbeatInterval: options.heartbeatInterval ?? 41_250,
      url: () => this.gatewayUrl,
      ready: (sessionId, resumeUrl) => this.#world.guilds.ready(sessionId, resumeUrl),
      guildCreates: () => [...this.#world.guilds.guilds.keys()].map((id) => this.#world.guilds.guildCreate(id)),
      changed,
      log: this.#log,
    });
    this.#world = new World(
      {
        applicationId: this.applicationId,
        botUserId: this.botUserId,
        botUsername: options.botUsername ?? 'course-bot',
        guilds,
        now,
        callbackWindowMs: this.#callbackWindowMs,
        nonceWindowMs: options.nonceWindowMs ?? 5 * 60_000,
        baseUrl: () => `http://127.0.0.1:${this.#port}`,
      },
      { changed, dispatch: (event, data, intent) => this.#gateway.dispatch(event, data, intent) },
    );
    this.#rest = new FakeRest({
      token: this.token,
      world: this.#world,
      now,
      gatewayUrl: () => this.gatewayUrl,
      applicationId: this.applicationId,
      log: this.#log,
      changed,
      ...(options.globalRateLimit !== undefined && { globalRateLimit: (this.globalRateLimit = new GlobalRateLimit(options.globalRateLimit, now)) }),
    });
    this.requests = this.#rest.requests;
    this.unhandled = this.#rest.unhandled;
    this.serverErrors = this.#rest.serverErrors;
    this.registrations = this.#world.commands.registrations;
    this.callbacks = this.#world.interactions.callbacks;
    this.originals = this.#world.interactions.originals;
    this.followUps = this.#world.interactions.followUps;
    this.identifies = this.#gateway.identifies;
    this.#server = createServer();
    this.#server.on('request', (request, response) => {
      void this.#rest.handle(request, response);
    });
    this.#server.on('upgrade', (request, socket, head) => this.#gateway.handleUpgrade(request, socket, head));
  }

  /** Starts a fake on 127.0.0.1 with a free port. */
  static async start(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
    const fake = new FakeDiscord(options);
    fake.#port = await listenOnLocalhost(fake.#server);
    return fake;
  }

  /** Users' direct messages: close a user's DMs (`closed`), make them leave (`left`), see the DM channels opened. */
  get dms(): DirectMessages {
    return this.#world.dms;
  }

  get port(): number {
    return this.#port;
  }

  /** The REST base without the version, as discord.js's `rest.api` option wants it. */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.#port}/api`;
  }

  get gatewayUrl(): string {
    return `ws://127.0.0.1:${this.#port}`;
  }

  /** The first guild's id. */
  get guildId(): string {
    return this.#first(this.#world.guilds.guilds.keys(), 'guild');
  }

  /** The first guild's first channel id. */
  get channelId(): string {
    return this.#first(this.#world.guilds.guild(this.guildId).channelIds.values(), 'channel');
  }

  #first(values: Iterator<string>, what: string): string {
    const first = values.next();
    if (first.done === true) throw new Error(`FakeDiscord has no ${what}`);
    return first.value;
  }

  /** The guilds the fake serves: ids of their channels and roles (the first role is @everyone). */
  get guilds(): readonly FakeGuildInfo[] {
    return [...this.#world.guilds.guilds.values()].map((guild) => ({
      id: guild.id,
      name: guild.name,
      channelIds: [...guild.channelIds],
      roleIds: guild.roles.map((role) => role.id),
    }));
  }

  /** Successful IDENTIFYs (each a new session: a login or a re-identify after op 9). */
  get identifyCount(): number {
    return this.#gateway.identifyCount;
  }

  /** Successful RESUMEs. */
  get resumeCount(): number {
    return this.#gateway.resumeCount;
  }

  /** RESUMEs refused with op 9 (unknown or ended session). */
  get failedResumeCount(): number {
    return this.#gateway.failedResumeCount;
  }

  get heartbeatCount(): number {
    return this.#gateway.heartbeatCount;
  }

  /** GET /gateway/bot calls (one per login). */
  get gatewayBotCount(): number {
    return this.#rest.gatewayBotCount;
  }

  /** WebSocket connections accepted so far. */
  get connectionCount(): number {
    return this.#gateway.connectionCount;
  }

  /** WebSockets open now. */
  get openSockets(): number {
    return this.#gateway.openSockets;
  }

  /** Close codes the clients closed their sockets with, in order (1006: dropped). */
  get clientCloseCodes(): readonly number[] {
    return this.#gateway.clientCloseCodes;
  }

  /** A channel's stored messages, oldest first (interaction responses included, ephemeral ones not). */
  /** The guild scheduled events (`all`, `list`, `create` as another user, `manageEvents = false` for 403s). */
  get scheduledEvents(): ScheduledEvents {
    return this.#world.scheduledEvents;
  }

  messages(channelId: string = this.channelId): StoredMessage[] {
    return [...this.#world.messages.list(channelId)];
  }

  /** Registered application commands: `'global'` or a guild id. */
  commands(scope: 'global' | (string & {}) = 'global'): APIApplicationCommand[] {
    return [...(this.#world.commands.byScope.get(scope) ?? [])];
  }

  // ---------------------------------------------------------------- waiting

  /** Resolves with the first non-`undefined` value of `probe`, re-checked whenever the fake's state changes. */
  waitFor<T>(probe: () => T | undefined, options: WaitOptions & { readonly what?: string } = {}): Promise<T> {
    return this.#signal.waitFor(probe, options.timeoutMs ?? DEFAULT_TIMEOUT_MS, options.what ?? 'a condition');
  }

  /** Resolves once a client has identified (or resumed) and got READY on an open socket. */
  async waitForReady(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    const ready = (): true | undefined => (this.#gateway.ready ? true : undefined);
    await this.#signal.waitFor(ready, timeoutMs, 'a client to be READY on the gateway');
  }

  /**
   * Resolves with an interaction's original response once it matches `predicate` (default: no longer the
   * "thinking…" placeholder a deferred reply creates), e.g. after `deferReply` + `editReply`.
   */
  waitForOriginal(
    interactionId: string,
    predicate: (message: StoredMessage) => boolean = (message) => !isLoading(message),
    options: WaitOptions = {},
  ): Promise<StoredMessage> {
    return this.#signal.waitFor(
      () => {
        const message = this.originals.get(interactionId);
        return message && predicate(message) ? message : undefined;
      },
      options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      () => {
        const now = JSON.stringify(this.originals.get(interactionId)?.content ?? null);
        return `the original response of interaction ${interactionId} (content now: ${now})`;
      },
    );
  }

  /** Resolves with the first message in a channel matching `predicate` (default: any). */
  waitForMessage(
    channelId: string = this.channelId,
    predicate: (message: StoredMessage) => boolean = () => true,
    options: WaitOptions = {},
  ): Promise<StoredMessage> {
    return this.#signal.waitFor(
      () => this.#world.messages.list(channelId).find(predicate),
      options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      `a message in channel ${channelId}`,
    );
  }

  // ---------------------------------------------------------------- driving the gateway

  /** The bot joins another guild while running: served from now on, its GUILD_CREATE sent to live sessions (how many). */
  addGuild(spec: FakeGuildSpec): number {
    this.#world.guilds.join(spec);
    return this.#gateway.dispatch('GUILD_CREATE', this.#world.guilds.guildCreate(spec.id), GatewayIntentBits.Guilds);
  }

  /** Sends a dispatch (op 0) with the next sequence number to every live session. Returns how many it went to. */
  dispatch(event: string, data: unknown): number {
    return this.#gateway.dispatch(event, data);
  }

  /** Op 7: the client should reconnect and RESUME. */
  requestReconnect(): void {
    this.#gateway.requestReconnect();
  }

  /** Op 9: resumable → the client RESUMEs; not resumable → the session ends and the client IDENTIFYs again. */
  invalidateSession(resumable: boolean): void {
    this.#gateway.invalidateSession(resumable);
  }

  /**
   * Closes every gateway socket with `code`, as Discord does: 4000–4003 and 4005–4009 may be resumed or
   * identified again; 4004 (authentication failed), 4010–4014 may not.
   */
  closeConnections(code: number, reason = ''): void {
    this.#gateway.closeConnections(code, reason);
  }

  /** Terminates every gateway socket without a close frame; the sessions stay resumable. */
  dropConnections(): void {
    this.#gateway.dropConnections();
  }

  /**
   * Dispatches INTERACTION_CREATE (filling in id, token, guild, channel, member… — see {@link InteractionInput})
   * and resolves when the bot's first callback arrives. A session that is reconnecting gets it on RESUME.
   */
  async interact(input: InteractionInput, options: WaitOptions = {}): Promise<InteractResult> {
    if (this.#gateway.sessionCount === 0) {
      throw new Error('interact: no gateway session; log a client in first (await fake.waitForReady())');
    }
    const interaction = this.#world.interactions.build(input);
    this.#gateway.dispatch('INTERACTION_CREATE', interaction);
    const callback = await this.#signal.waitFor(
      () => this.callbacks.get(interaction.id)?.[0],
      options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      () => {
        const attempts = this.requests
          .filter((request) => request.path.startsWith(`/interactions/${interaction.id}/`))
          .map((request) => `${request.method} → ${request.status ?? 'no answer'}`);
        const name = interaction.data && 'name' in interaction.data ? ` /${interaction.data.name}` : '';
        const tried = attempts.join(', ') || 'none';
        return `a callback to interaction ${interaction.id}${name} (callback requests: ${tried})`;
      },
    );
    return { callback, interaction };
  }

  /**
   * Dispatches INTERACTION_CREATE, filled in as {@link interact} does, without waiting for a callback: for
   * interactions the bot should leave unanswered. Returns the interaction as dispatched.
   */
  dispatchInteraction(input: InteractionInput): APIInteraction {
    if (this.#gateway.sessionCount === 0) {
      throw new Error('dispatchInteraction: no gateway session; log a client in first (await fake.waitForReady())');
    }
    const interaction = this.#world.interactions.build(input);
    this.#gateway.dispatch('INTERACTION_CREATE', interaction);
    return interaction;
  }

  /**
   * A load test: dispatches every input (each an INTERACTION_CREATE filled in as {@link interact} does) spread
   * evenly at `perSecond`, without waiting for answers, then waits until each is answered or its callback
   * window has closed, and then until the callbacks stop coming (`settleMs` without one). Counts what a user and Discord would see: interactions missed, callbacks
   * refused as too late (10062) or as a second answer (40060).
   */
  async burst(inputs: readonly InteractionInput[], options: BurstOptions): Promise<BurstResult> {
    if (this.#gateway.sessionCount === 0) {
      throw new Error('burst: no gateway session; log a client in first (await fake.waitForReady())');
    }
    const firstRequest = this.requests.length;
    const dispatchedAt = new Map<string, number>();
    const started = this.#now();
    let next = 0;
    while (next < inputs.length) {
      const due = Math.min(inputs.length, Math.floor(((this.#now() - started) * options.perSecond) / 1000) + 1);
      for (; next < due; next += 1) {
        const interaction = this.#world.interactions.build(inputs[next]!);
        dispatchedAt.set(interaction.id, this.#now());
        this.#gateway.dispatch('INTERACTION_CREATE', interaction);
      }
      if (next < inputs.length) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const dispatchMs = this.#now() - started;
    const pending = new Set(dispatchedAt.keys());
    const settleMs = options.settleMs ?? 1000;
    const windowEnds = this.#now() + this.#callbackWindowMs;
    const isCallback = (request: RecordedRequest): boolean => request.path.endsWith('/callback');
    let seen = 0;
    let lastCallbackAt = this.#now();
    const tick = (): void => {
      for (const id of pending) if (this.callbacks.has(id)) pending.delete(id);
      for (; firstRequest + seen < this.requests.length; seen += 1) {
        if (isCallback(this.requests[firstRequest + seen]!)) lastCallbackAt = this.#now();
      }
    };
    // Until every interaction is answered or the last window has closed …
    for (tick(); pending.size > 0 && this.#now() < windowEnds; tick()) await new Promise((resolve) => setTimeout(resolve, 50));
    // … then until the callbacks stop coming.
    const giveUp = windowEnds + 60_000;
    for (tick(); this.#now() - Math.max(windowEnds, lastCallbackAt) < settleMs && this.#now() < giveUp; tick()) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    let unknownInteraction = 0;
    let alreadyAcknowledged = 0;
    const latencies: number[] = [];
    for (const request of this.requests.slice(firstRequest)) {
      const id = /^\/interactions\/(\d+)\/[^/]+\/callback$/.exec(request.path)?.[1];
      const sentAt = id === undefined ? undefined : dispatchedAt.get(id);
      if (sentAt === undefined) continue;
      if (request.status === 404) unknownInteraction += 1;
      else if (request.status === 400 && this.callbacks.has(id!)) alreadyAcknowledged += 1;
      else if (request.status === 200 || request.status === 204) latencies.push(request.at - sentAt);
    }
    const answered = [...dispatchedAt.keys()].filter((id) => this.callbacks.has(id)).length;
    return {
      sent: inputs.length,
      dispatchMs,
      answered,
      missed: inputs.length - answered,
      unknownInteraction,
      alreadyAcknowledged,
      latencies,
    };
  }

  // ---------------------------------------------------------------- faults

  /** Arms `fault` for the next `times` requests matching `match` (see {@link RouteMatch}). */
  failNext(match: RouteMatch, fault: Fault, times = 1): void {
    this.#rest.faults.add(match, fault, times);
  }

  /** Disarms every fault not yet used. */
  clearFaults(): void {
    this.#rest.faults.clear();
  }

  /** Faults armed but not yet used. */
  get pendingFaults(): number {
    return this.#rest.faults.pending;
  }

  /** Forgets recorded requests (e.g. after setup, before the part under test). */
  clearRecords(): void {
    this.requests.length = 0;
    this.unhandled.length = 0;
  }

  /** Closes every socket and the server. Safe to call twice. */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      this.#signal.close();
      this.#rest.close();
      this.#gateway.close();
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
    return this.#closed;
  }
}
