import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { GatewayCloseCodes, GatewayOpcodes } from 'discord-api-types/v10';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { isRecord } from './validate.js';

/** One dispatch as sent on the wire. */
export interface DispatchPayload {
  readonly op: GatewayOpcodes.Dispatch;
  readonly t: string;
  readonly s: number;
  readonly d: unknown;
}

/** What the client sent in IDENTIFY, without the token. */
export interface RecordedIdentify {
  readonly intents: number;
  readonly shard?: unknown;
  readonly properties?: unknown;
  readonly presence?: unknown;
  readonly compress?: unknown;
  readonly large_threshold?: unknown;
}

interface Session {
  readonly id: string;
  readonly intents: number;
  seq: number;
  readonly buffer: DispatchPayload[];
  socket: WebSocket | null;
  ended: boolean;
}

interface Connection {
  readonly socket: WebSocket;
  session: Session | null;
}

export interface GatewayOptions {
  readonly token: string;
  readonly heartbeatInterval: number;
  /** The gateway's ws:// url, also sent as `resume_gateway_url`. */
  readonly url: () => string;
  readonly ready: (sessionId: string, resumeUrl: string) => unknown;
  readonly guildCreates: () => unknown[];
  readonly changed: () => void;
  readonly log: (message: string) => void;
}

// Enough to replay anything a test produces while a client reconnects.
const REPLAY_BUFFER = 1000;

function text(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

/**
 * The gateway side of the fake: Discord's JSON protocol over a WebSocket (HELLO, IDENTIFY → READY + GUILD_CREATE,
 * heartbeats, RESUME with replay, op 7 and op 9), with the close codes Discord uses.
 */
export class FakeGateway {
  readonly #wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  readonly #connections = new Map<WebSocket, Connection>();
  readonly #sessions = new Map<string, Session>();
  /** IDENTIFY payloads accepted (token left out). */
  readonly identifies: RecordedIdentify[] = [];
  /** Close codes the clients closed with, in order. */
  readonly clientCloseCodes: number[] = [];
  identifyCount = 0;
  resumeCount = 0;
  failedResumeCount = 0;
  heartbeatCount = 0;
  connectionCount = 0;

  constructor(private readonly options: GatewayOptions) {}

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(request.url ?? '/', 'http://gateway.invalid');
    if (url.pathname !== '/') {
      socket.destroy();
      return;
    }
    this.#wss.handleUpgrade(request, socket, head, (ws) => this.#onConnection(ws, url));
  }

  #onConnection(socket: WebSocket, url: URL): void {
    const connection: Connection = { socket, session: null };
    this.#connections.set(socket, connection);
    this.connectionCount += 1;
    this.options.log(`gateway: connection ${url.search}`);
    socket.on('error', (error) => this.options.log(`gateway: socket error ${error.message}`));
    socket.on('message', (data) => this.#onMessage(connection, text(data)));
    socket.on('close', (code) => this.#onClose(connection, code));
    const { heartbeatInterval } = this.options;
    this.#send(socket, { op: GatewayOpcodes.Hello, d: { heartbeat_interval: heartbeatInterval }, s: null, t: null });
    this.options.changed();
  }

  #send(socket: WebSocket, payload: unknown): void {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(payload));
  }

  #close(socket: WebSocket, code: number, reason: string): void {
    this.options.log(`gateway: closing with ${code} ${reason}`);
    socket.close(code, reason);
  }

  #validToken(token: unknown): boolean {
    return token === this.options.token || token === `Bot ${this.options.token}`;
  }

  #onMessage(connection: Connection, raw: string): void {
    let payload: unknown;
    try {
      payload = JSON.parse(raw);
    } catch {
      this.#close(connection.socket, GatewayCloseCodes.DecodeError, 'Error while decoding payload.');
      return;
    }
    if (!isRecord(payload) || typeof payload.op !== 'number') {
      this.#close(connection.socket, GatewayCloseCodes.DecodeError, 'Error while decoding payload.');
      return;
    }
    switch (payload.op as GatewayOpcodes) {
      case GatewayOpcodes.Heartbeat:
        this.heartbeatCount += 1;
        this.#send(connection.socket, { op: GatewayOpcodes.HeartbeatAck });
        this.options.changed();
        return;
      case GatewayOpcodes.Identify:
        this.#identify(connection, payload.d);
        return;
      case GatewayOpcodes.Resume:
        this.#resume(connection, payload.d);
        return;
      case GatewayOpcodes.PresenceUpdate:
      case GatewayOpcodes.VoiceStateUpdate:
      case GatewayOpcodes.RequestGuildMembers:
      case GatewayOpcodes.RequestSoundboardSounds:
        if (!connection.session) {
          this.#close(connection.socket, GatewayCloseCodes.NotAuthenticated, 'Not authenticated.');
        }
        return;
      default:
        this.#close(connection.socket, GatewayCloseCodes.UnknownOpcode, 'Unknown opcode.');
    }
  }

  /** The checks IDENTIFY and RESUME share: not yet authenticated, a JSON object, the right token. */
  #authenticate(connection: Connection, data: unknown): Record<string, unknown> | undefined {
    const { socket } = connection;
    if (connection.session) {
      this.#close(socket, GatewayCloseCodes.AlreadyAuthenticated, 'Already authenticated.');
      return undefined;
    }
    if (!isRecord(data)) {
      this.#close(socket, GatewayCloseCodes.DecodeError, 'Error while decoding payload.');
      return undefined;
    }
    if (!this.#validToken(data.token)) {
      this.#close(socket, GatewayCloseCodes.AuthenticationFailed, 'Authentication failed.');
      return undefined;
    }
    return data;
  }

  #identify(connection: Connection, payload: unknown): void {
    const data = this.#authenticate(connection, payload);
    if (!data) return;
    const { socket } = connection;
    if (typeof data.intents !== 'number') {
      this.#close(socket, GatewayCloseCodes.InvalidIntents, 'Invalid intent(s).');
      return;
    }
    const { token: _token, ...rest } = data;
    this.identifies.push({ ...rest, intents: data.intents });
    this.identifyCount += 1;
    const session: Session = {
      id: randomBytes(16).toString('hex'),
      intents: data.intents,
      seq: 0,
      buffer: [],
      socket,
      ended: false,
    };
    this.#sessions.set(session.id, session);
    connection.session = session;
    this.options.log(`gateway: IDENTIFY → session ${session.id}`);
    this.#dispatchTo(session, 'READY', this.options.ready(session.id, this.options.url()));
    for (const guild of this.options.guildCreates()) this.#dispatchTo(session, 'GUILD_CREATE', guild);
    this.options.changed();
  }

  #resume(connection: Connection, payload: unknown): void {
    const data = this.#authenticate(connection, payload);
    if (!data) return;
    const { socket } = connection;
    const session = typeof data.session_id === 'string' ? this.#sessions.get(data.session_id) : undefined;
    if (!session || session.ended) {
      this.failedResumeCount += 1;
      this.options.log('gateway: RESUME of an unknown session → op 9 false');
      this.#send(socket, { op: GatewayOpcodes.InvalidSession, d: false });
      this.options.changed();
      return;
    }
    const previous = session.socket;
    if (previous && previous !== socket) {
      const stale = this.#connections.get(previous);
      if (stale) stale.session = null;
      previous.terminate();
    }
    session.socket = socket;
    connection.session = session;
    const after = typeof data.seq === 'number' ? data.seq : 0;
    const missed = session.buffer.filter((payload) => payload.s > after);
    this.options.log(`gateway: RESUME ${session.id} from ${after}, replaying ${missed.length}`);
    for (const payload of missed) this.#send(socket, payload);
    // RESUMED carries a sequence number but is not itself replayed on a later resume.
    session.seq += 1;
    this.#send(socket, { op: GatewayOpcodes.Dispatch, t: 'RESUMED', s: session.seq, d: {} });
    this.resumeCount += 1;
    this.options.changed();
  }

  #onClose(connection: Connection, code: number): void {
    this.#connections.delete(connection.socket);
    this.clientCloseCodes.push(code);
    const { session } = connection;
    if (session && session.socket === connection.socket) {
      session.socket = null;
      // Discord: a client that closes with 1000 or 1001 ends its session; it cannot resume it.
      if (code === 1000 || code === 1001) this.#end(session);
    }
    this.options.log(`gateway: connection closed ${code}`);
    this.options.changed();
  }

  #end(session: Session): void {
    session.ended = true;
    this.#sessions.delete(session.id);
  }

  #dispatchTo(session: Session, event: string, data: unknown): void {
    session.seq += 1;
    const payload: DispatchPayload = { op: GatewayOpcodes.Dispatch, t: event, s: session.seq, d: data };
    session.buffer.push(payload);
    if (session.buffer.length > REPLAY_BUFFER) session.buffer.shift();
    if (session.socket) this.#send(session.socket, payload);
  }

  /**
   * Sends a dispatch to every live session (to those whose intents include `intent`, when given). A session that is
   * between connections gets it on RESUME. Returns how many sessions it went to.
   */
  dispatch(event: string, data: unknown, intent?: number): number {
    let count = 0;
    for (const session of this.#sessions.values()) {
      if (intent !== undefined && (session.intents & intent) === 0) continue;
      this.#dispatchTo(session, event, data);
      count += 1;
    }
    return count;
  }

  /** Sessions a dispatch could still reach (connected, or disconnected but resumable). */
  get sessionCount(): number {
    return this.#sessions.size;
  }

  /** True when a session is identified (or resumed) on an open socket. */
  get ready(): boolean {
    return [...this.#sessions.values()].some((session) => session.socket?.readyState === WebSocket.OPEN);
  }

  /** Open sockets, identified or not. */
  get openSockets(): number {
    return [...this.#connections.keys()].filter((socket) => socket.readyState === WebSocket.OPEN).length;
  }

  /** Op 7: tells every identified client to reconnect and resume. */
  requestReconnect(): void {
    for (const connection of this.#connections.values()) {
      if (connection.session) this.#send(connection.socket, { op: GatewayOpcodes.Reconnect, d: null });
    }
  }

  /** Op 9. Not resumable: every session ends, so the clients must IDENTIFY again. */
  invalidateSession(resumable: boolean): void {
    for (const connection of this.#connections.values()) {
      if (!connection.session) continue;
      if (connection.session.socket === connection.socket) connection.session.socket = null;
      connection.session = null;
      this.#send(connection.socket, { op: GatewayOpcodes.InvalidSession, d: resumable });
    }
    if (!resumable) for (const session of [...this.#sessions.values()]) this.#end(session);
    this.options.changed();
  }

  /** Kills every socket without a close frame, as a network failure would; sessions stay resumable. */
  /** Closes every gateway socket with a close frame of `code` (e.g. 4004 when the token was reset). */
  closeConnections(code: number, reason = ''): void {
    for (const socket of [...this.#connections.keys()]) this.#close(socket, code, reason);
  }

  dropConnections(): void {
    for (const socket of this.#connections.keys()) socket.terminate();
  }

  close(): void {
    for (const socket of this.#connections.keys()) socket.terminate();
    this.#connections.clear();
    this.#sessions.clear();
    this.#wss.close();
  }
}
