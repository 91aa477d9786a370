import { randomUUID } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import { type SlashCommandInput, type SlashCommandPayload, SlashCommands } from './commands.js';
import type { CallMatch, Fault } from './faults.js';
import { FakeHttp } from './http.js';
import { buildMethods } from './methods.js';
import type {
  FakeChannelSpec,
  FakeUserSpec,
  RecordedCall,
  RecordedEphemeral,
  RecordedMessage,
  RecordedResponse,
} from './model.js';
import { listenOnLocalhost } from '../listen.js';
import { ChangeSignal } from '../signal.js';
import { FakeSocketMode, type RecordedAck, type SocketEnvelope } from './socket.js';
import { isRecord } from './validate.js';
import { Workspace } from './workspace.js';
import { SlackDms } from './dms.js';

export type { SlashCommandInput, SlashCommandPayload } from './commands.js';
export type { CallMatch, Fault } from './faults.js';
export type {
  FakeChannelSpec,
  FakeUserSpec,
  MessageMetadata,
  RecordedCall,
  RecordedEphemeral,
  RecordedMessage,
  RecordedResponse,
  StoredMessage,
} from './model.js';
export { type SignOptions, type SignedResponse, signedRawRequest, signedRequest, slackSignature, slashCommandBody } from './signing.js';
export type { RecordedAck, SocketEnvelope } from './socket.js';

/** Options for {@link FakeSlack.start}; everything has a default. */
export interface FakeSlackOptions {
  /** The bot token (`xoxb-…`) the Web API accepts. */
  readonly botToken?: string;
  /** The app-level token (`xapp-…`) `apps.connections.open` accepts. */
  readonly appToken?: string;
  /** The legacy verification token carried in payloads as `token`. */
  readonly verificationToken?: string;
  readonly teamId?: string;
  readonly teamName?: string;
  readonly teamDomain?: string;
  readonly appId?: string;
  readonly botUserId?: string;
  readonly botId?: string;
  readonly botName?: string;
  /** Default: `#general` (the bot is in it) and `#random` (it is not). */
  readonly channels?: readonly FakeChannelSpec[];
  /** Default: a student and a teacher. The first is the default slash command user. */
  readonly users?: readonly FakeUserSpec[];
  /** User group id → member ids. Default: `S0TUTORS01` with the teacher. */
  readonly usergroups?: Readonly<Record<string, readonly string[]>>;
  /** How long {@link FakeSlack.slashCommand} waits for the ack, ms. Default 3000, Slack's limit. */
  readonly ackTimeoutMs?: number;
  /** How often the server pings each Socket Mode connection, ms; 0 for never. Default 5000. */
  readonly pingIntervalMs?: number;
  /** The fake's clock (message ts, response URL expiry). Default `Date.now`. */
  readonly now?: () => number;
  /** Receives one line per request and socket event. Off by default. Tokens are never in it. */
  readonly log?: (line: string) => void;
}

export interface WaitOptions {
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5000;
const DEFAULT_USERS: readonly FakeUserSpec[] = [
  { id: 'U0STUDENT01', name: 'student', realName: 'Sam Student' },
  { id: 'U0TEACHER01', name: 'teacher', realName: 'Tess Teacher' },
];
const DEFAULT_CHANNELS: readonly FakeChannelSpec[] = [
  { id: 'C0GENERAL01', name: 'general' },
  { id: 'C0RANDOM001', name: 'random', botIsMember: false },
];

/**
 * A local Slack for tests: the Web API under `http://127.0.0.1:<port>/api/` and Socket Mode at
 * `ws://127.0.0.1:<port>/socket`, speaking the real wire protocols, so the real `WebClient` and Bolt `App` work with
 * `clientOptions: { slackApiUrl: fake.apiUrl }`.
 *
 * Every call is recorded (`calls()`, `messages()`, `ephemerals`, `responses`, `acks`), slash commands are driven with
 * `slashCommand` (Socket Mode) or `signedRequest` + `slashCommandBody` (HTTP mode), and faults (429, 5xx, `ok: false`,
 * lost responses, delays) are armed with `failNext`.
 *
 * @example
 * const fake = await FakeSlack.start();
 * const app = new App({ token: fake.botToken, appToken: fake.appToken, socketMode: true,
 *   clientOptions: { slackApiUrl: fake.apiUrl } });
 * app.command('/today', async ({ ack, respond }) => { await ack(); await respond('hi'); });
 * await app.start();
 * await fake.slashCommand({ command: '/today' });
 * const response = await fake.waitForResponse();
 * await app.stop();
 * await fake.close();
 */
export class FakeSlack {
  readonly botToken: string;
  readonly appToken: string;
  readonly verificationToken: string;
  readonly teamId: string;
  readonly appId: string;
  readonly botUserId: string;
  readonly botId: string;
  /** `chat.postEphemeral` messages Slack accepted. */
  readonly ephemerals: RecordedEphemeral[] = [];
  /** Slash command responses: POSTs to response URLs and acks that carried a message. */
  readonly responses: RecordedResponse[];
  /** Acks received over Socket Mode, in order. */
  readonly acks: RecordedAck[] = [];
  /** Envelopes sent over Socket Mode, in order. */
  readonly envelopes: SocketEnvelope[];
  /** Calls to Web API methods the fake does not implement (answered `unknown_method`). */
  readonly unhandled: RecordedCall[];
  /** Errors inside the fake itself (answered 500). */
  readonly serverErrors: Error[];

  readonly #server: Server;
  readonly #signal = new ChangeSignal('FakeSlack');
  readonly #workspace: Workspace;
  /** Users' direct messages with the bot: close a user's (`closed`), see the DMs opened (`opened`). */
  readonly dms: SlackDms;
  readonly #commands: SlashCommands;
  readonly #http: FakeHttp;
  readonly #socket: FakeSocketMode;
  readonly #ackTimeoutMs: number;
  /** Envelope id → the response URL id of the slash command it carried. */
  readonly #envelopeResponses = new Map<string, string>();
  #port = 0;
  #closed: Promise<void> | undefined;

  private constructor(options: FakeSlackOptions) {
    this.botToken = options.botToken ?? 'xoxb-1000000001-2000000002-fakebottoken';
    this.appToken = options.appToken ?? 'xapp-1-A0COURSEBOT-3000000003-fakeapptoken';
    this.verificationToken = options.verificationToken ?? 'fakeVerificationToken';
    this.teamId = options.teamId ?? 'T0COURSE01';
    this.appId = options.appId ?? 'A0COURSEBOT';
    this.botUserId = options.botUserId ?? 'U0COURSEBOT';
    this.botId = options.botId ?? 'B0COURSEBOT';
    this.#ackTimeoutMs = options.ackTimeoutMs ?? 3000;
    const now = options.now ?? Date.now;
    const log = options.log ?? ((): void => undefined);
    const changed = (): void => this.#signal.notify();
    const teamDomain = options.teamDomain ?? 'course';
    const users = options.users ?? DEFAULT_USERS;
    this.#workspace = new Workspace(
      { teamId: this.teamId, appId: this.appId, botUserId: this.botUserId, botId: this.botId },
      options.channels ?? DEFAULT_CHANNELS,
      users,
      options.usergroups ?? { S0TUTORS01: users.slice(1, 2).map((user) => user.id) },
      now,
    );
    this.#commands = new SlashCommands({
      workspace: this.#workspace,
      teamDomain,
      verificationToken: this.verificationToken,
      now,
      baseUrl: () => this.baseUrl,
      changed,
    });
    this.responses = this.#commands.responses;
    this.#socket = new FakeSocketMode({
      appId: this.appId,
      pingIntervalMs: options.pingIntervalMs ?? 5000,
      now,
      onAck: (ack) => this.#onAck(ack),
      changed,
      log,
    });
    this.envelopes = this.#socket.envelopes;
    const methods = buildMethods({
      workspace: this.#workspace,
      teamName: options.teamName ?? 'Course Workspace',
      teamDomain,
      botName: options.botName ?? 'course-bot',
      ephemerals: this.ephemerals,
      openConnection: () => this.#socket.issueUrl(`ws://127.0.0.1:${this.#port}`),
      now,
      dms: (this.dms = new SlackDms(this.#workspace)),
    });
    this.#http = new FakeHttp({
      botToken: this.botToken,
      appToken: this.appToken,
      methods,
      commands: this.#commands,
      now,
      log,
      changed,
    });
    this.unhandled = this.#http.unhandled;
    this.serverErrors = this.#http.serverErrors;
    this.#server = createServer();
    this.#server.on('request', (request, response) => {
      void this.#http.handle(request, response);
    });
    this.#server.on('upgrade', (request, socket, head) => this.#socket.handleUpgrade(request, socket, head));
  }

  /** Starts a fake on 127.0.0.1 with a free port. */
  static async start(options: FakeSlackOptions = {}): Promise<FakeSlack> {
    const fake = new FakeSlack(options);
    fake.#port = await listenOnLocalhost(fake.#server);
    return fake;
  }

  get port(): number {
    return this.#port;
  }

  /** `http://127.0.0.1:<port>`. */
  get baseUrl(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** The Web API base, as `WebClient`'s `slackApiUrl` (and Bolt's `clientOptions.slackApiUrl`) wants it. */
  get apiUrl(): string {
    return `${this.baseUrl}/api/`;
  }

  /** The first channel's id (`#general` by default). */
  get channelId(): string {
    return this.#first(this.#workspace.channels.keys(), 'channel');
  }

  /** The first user's id (the default slash command user). */
  get userId(): string {
    return this.#first(this.#workspace.users.keys(), 'user');
  }

  #first(values: Iterator<string>, what: string): string {
    const first = values.next();
    if (first.done === true) throw new Error(`FakeSlack has no ${what}`);
    return first.value;
  }

  /** A channel's messages, oldest first, with where they came from (`via`); thread replies included. */
  messages(channelId: string = this.channelId): RecordedMessage[] {
    const channel = this.#workspace.channels.get(channelId);
    if (!channel) throw new Error(`FakeSlack has no channel ${channelId}`);
    return channel.messages.map((message) => ({ ...message }));
  }

  /** Web API calls in arrival order, all of them or one method's. */
  calls(method?: string): RecordedCall[] {
    const calls = this.#http.calls;
    return method === undefined ? [...calls] : calls.filter((call) => call.method === method);
  }

  /** Invites the bot to a channel (or removes it), as `/invite @bot` would. */
  setBotMember(channelId: string, member: boolean): void {
    const channel = this.#workspace.channels.get(channelId);
    if (!channel) throw new Error(`FakeSlack has no channel ${channelId}`);
    channel.botIsMember = member;
  }

  // ---------------------------------------------------------------- Socket Mode

  /** Socket Mode connections accepted so far. */
  get connectionCount(): number {
    return this.#socket.connectionCount;
  }

  /** Socket Mode connections open now (including ones told to disconnect). */
  get openSockets(): number {
    return this.#socket.openSockets;
  }

  /** Pings the client sent (socket-mode pings every `clientPingTimeout / 3` ms). */
  get clientPings(): number {
    return this.#socket.clientPings;
  }

  /** Close codes of finished connections, in order (1000: the client closed; 1006: dropped). */
  get closeCodes(): readonly number[] {
    return this.#socket.closeCodes;
  }

  /** Resolves once a Socket Mode connection is open that Slack would route to (not one told to disconnect). */
  async connected(options: WaitOptions = {}): Promise<void> {
    await this.#signal.waitFor(
      () => (this.#socket.ready ? true : undefined),
      options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      () => `a Socket Mode connection (accepted so far: ${this.#socket.connectionCount})`,
    );
  }

  /** Resolves once no Socket Mode connection is open (e.g. after `app.stop()`). */
  async socketsClosed(options: WaitOptions = {}): Promise<void> {
    await this.#signal.waitFor(
      () => (this.#socket.openSockets === 0 ? true : undefined),
      options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      () => `every Socket Mode connection to close (open: ${this.#socket.openSockets})`,
    );
  }

  /**
   * The payload of a slash command invocation, its `response_url` registered on the fake. `slashCommand` sends it
   * over Socket Mode; in HTTP mode {@link slashCommandBody} form-encodes it.
   */
  commandPayload(input: SlashCommandInput): SlashCommandPayload {
    return this.#commands.payload(input);
  }

  /**
   * Sends a `slash_commands` envelope on the newest open connection and resolves with the client's ack. Rejects at
   * once when no connection is open (Slack would show the user `dispatch_failed`), and after `ackTimeoutMs`
   * (default 3 s, Slack's limit) without an ack.
   */
  async slashCommand(input: SlashCommandInput, options: WaitOptions = {}): Promise<RecordedAck> {
    const payload = this.#commands.payload(input);
    const envelope: SocketEnvelope = {
      envelope_id: randomUUID(),
      type: 'slash_commands',
      payload,
      accepts_response_payload: true,
    };
    this.#envelopeResponses.set(envelope.envelope_id, SlashCommands.responseId(payload));
    if (!this.#socket.deliver(envelope)) {
      throw new Error(`slashCommand ${input.command}: no Socket Mode connection is open (await fake.connected())`);
    }
    return this.#signal.waitFor(
      () => this.acks.find((ack) => ack.envelope_id === envelope.envelope_id),
      options.timeoutMs ?? this.#ackTimeoutMs,
      `the ack of ${input.command} (envelope ${envelope.envelope_id})`,
    );
  }

  /**
   * Sends an envelope again, as Slack does when an ack did not arrive in time: the same envelope id and payload,
   * with `retry_attempt` and `retry_reason`. Resolves with the new ack (acks are told apart by arrival).
   */
  async redeliver(envelopeId: string, options: WaitOptions & { readonly attempt?: number; readonly reason?: string } = {}): Promise<RecordedAck> {
    const original = this.envelopes.find((envelope) => envelope.envelope_id === envelopeId);
    if (!original) throw new Error(`redeliver: no envelope ${envelopeId} was sent`);
    const acked = this.acks.filter((ack) => ack.envelope_id === envelopeId).length;
    const again: SocketEnvelope = { ...original, retry_attempt: options.attempt ?? 1, retry_reason: options.reason ?? 'timeout' };
    if (!this.#socket.deliver(again)) throw new Error(`redeliver ${envelopeId}: no Socket Mode connection is open`);
    return this.#signal.waitFor(
      () => this.acks.filter((ack) => ack.envelope_id === envelopeId)[acked],
      options.timeoutMs ?? this.#ackTimeoutMs,
      `the ack of the redelivered envelope ${envelopeId}`,
    );
  }

  #onAck(ack: RecordedAck): void {
    this.acks.push(ack);
    const responseId = this.#envelopeResponses.get(ack.envelope_id);
    const payload = ack.payload;
    // Slack: an ack that carries a message is shown as the command's response (ephemeral unless in_channel).
    if (responseId && isRecord(payload) && (payload.text !== undefined || payload.blocks !== undefined)) {
      this.#commands.respond(responseId, payload, 'ack');
    }
    this.#signal.notify();
  }

  /** Sends `{ type: 'disconnect', reason }`, as Slack does before recycling a connection. Returns how many got it. */
  disconnectSocket(options: { readonly reason?: string } = {}): number {
    return this.#socket.disconnect(options.reason ?? 'refresh_requested');
  }

  /** Destroys every Socket Mode connection without a close frame. Returns how many. */
  dropSocket(): number {
    return this.#socket.drop();
  }

  // ---------------------------------------------------------------- waiting

  /** Resolves with the first non-`undefined` value of `probe`, re-checked whenever the fake's state changes. */
  waitFor<T>(probe: () => T | undefined, options: WaitOptions & { readonly what?: string } = {}): Promise<T> {
    return this.#signal.waitFor(probe, options.timeoutMs ?? DEFAULT_TIMEOUT_MS, options.what ?? 'a condition');
  }

  /** Resolves with the first slash command response matching `predicate` (default: any). */
  waitForResponse(
    predicate: (response: RecordedResponse) => boolean = () => true,
    options: WaitOptions = {},
  ): Promise<RecordedResponse> {
    return this.#signal.waitFor(
      () => this.responses.find(predicate),
      options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      () => `a slash command response (recorded so far: ${this.responses.length})`,
    );
  }

  /** Resolves with the first message in a channel matching `predicate` (default: any). */
  waitForMessage(
    channelId: string = this.channelId,
    predicate: (message: RecordedMessage) => boolean = () => true,
    options: WaitOptions = {},
  ): Promise<RecordedMessage> {
    return this.#signal.waitFor(
      () => this.messages(channelId).find(predicate),
      options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      `a message in channel ${channelId}`,
    );
  }

  // ---------------------------------------------------------------- faults

  /** Arms `fault` for the next `times` calls matching `match` (see {@link CallMatch}). */
  failNext(match: CallMatch, fault: Fault, times = 1): void {
    this.#http.faults.add(match, fault, times);
  }

  /** Disarms every fault not yet used. */
  clearFaults(): void {
    this.#http.faults.clear();
  }

  /** Faults armed but not yet used. */
  get pendingFaults(): number {
    return this.#http.faults.pending;
  }

  /** Forgets recorded calls, acks, envelopes, responses and ephemerals (not the messages in channels). */
  clearRecords(): void {
    for (const list of [this.#http.calls, this.unhandled, this.acks, this.envelopes, this.responses, this.ephemerals]) {
      list.length = 0;
    }
  }

  /** Closes every socket and the server. Safe to call twice. */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      this.#signal.close();
      this.#http.close();
      this.#socket.close();
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
    return this.#closed;
  }
}
