import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { isRecord } from './validate.js';

/** One envelope as sent on the wire. */
export interface SocketEnvelope {
  readonly envelope_id: string;
  readonly type: string;
  readonly payload: unknown;
  readonly accepts_response_payload: boolean;
  /** On a redelivery: which attempt (1 = the first retry) and why (`timeout`). */
  readonly retry_attempt?: number;
  readonly retry_reason?: string;
}

/** An acknowledgement the client sent back: `{ envelope_id, payload? }`. */
export interface RecordedAck {
  readonly envelope_id: string;
  readonly payload?: unknown;
  /** Which connection (1 = the first accepted) it came on. */
  readonly connection: number;
  readonly at: number;
}

/** What {@link FakeSocketMode} needs from the fake. */
export interface SocketOptions {
  readonly appId: string;
  /** How often the server pings each connection, ms; 0 for never. */
  readonly pingIntervalMs: number;
  readonly now: () => number;
  readonly onAck: (ack: RecordedAck) => void;
  readonly changed: () => void;
  readonly log: (line: string) => void;
}

interface Connection {
  readonly id: number;
  readonly socket: WebSocket;
  /** Sent a `disconnect`: Slack routes nothing new to it. */
  draining: boolean;
  ping?: NodeJS.Timeout;
}

/** Where Socket Mode URLs point. */
export const SOCKET_PATH = '/socket';

function text(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

/**
 * The Socket Mode side of the fake: a WebSocket at `/socket?ticket=…` (tickets come from `apps.connections.open` and
 * work once), `hello` on connect, envelopes out, acks in, `disconnect` messages, server pings.
 */
export class FakeSocketMode {
  readonly #wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  readonly #tickets = new Set<string>();
  readonly #connections = new Map<WebSocket, Connection>();
  /** Envelopes sent, in order. */
  readonly envelopes: SocketEnvelope[] = [];
  /** Frames from the client that were not acks (Slack ignores them). */
  readonly strayMessages: string[] = [];
  /** Close codes the clients closed with (1006: the connection dropped without a close frame). */
  readonly closeCodes: number[] = [];
  connectionCount = 0;
  clientPings = 0;
  rejectedUpgrades = 0;

  constructor(private readonly options: SocketOptions) {}

  /** A one-time WebSocket URL, as `apps.connections.open` returns it. */
  issueUrl(base: string): string {
    const ticket = randomBytes(16).toString('hex');
    this.#tickets.add(ticket);
    return `${base}${SOCKET_PATH}?ticket=${ticket}&app_id=${this.options.appId}`;
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const ticket = url.searchParams.get('ticket') ?? '';
    if (url.pathname !== SOCKET_PATH || !this.#tickets.delete(ticket)) {
      this.rejectedUpgrades += 1;
      this.options.log(`socket: refused upgrade ${url.pathname}`);
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      this.options.changed();
      return;
    }
    this.#wss.handleUpgrade(request, socket, head, (ws) => this.#onConnection(ws));
  }

  #onConnection(socket: WebSocket): void {
    this.connectionCount += 1;
    const connection: Connection = { id: this.connectionCount, socket, draining: false };
    this.#connections.set(socket, connection);
    socket.on('error', (error) => this.options.log(`socket: error ${error.message}`));
    socket.on('ping', () => {
      this.clientPings += 1;
      this.options.changed();
    });
    socket.on('message', (data) => this.#onMessage(connection, text(data)));
    socket.on('close', (code) => {
      clearInterval(connection.ping);
      this.#connections.delete(socket);
      this.closeCodes.push(code);
      this.options.log(`socket: connection ${connection.id} closed ${code}`);
      this.options.changed();
    });
    this.#send(socket, {
      type: 'hello',
      num_connections: this.openSockets,
      debug_info: { host: 'applink-fake-1', build_number: 1, approximate_connection_time: 18060 },
      connection_info: { app_id: this.options.appId },
    });
    if (this.options.pingIntervalMs > 0) {
      connection.ping = setInterval(() => socket.ping(`ping-${this.options.now()}`), this.options.pingIntervalMs);
    }
    this.options.log(`socket: connection ${connection.id} open`);
    this.options.changed();
  }

  #onMessage(connection: Connection, raw: string): void {
    let message: unknown;
    try {
      message = JSON.parse(raw);
    } catch {
      message = undefined;
    }
    if (!isRecord(message) || typeof message.envelope_id !== 'string') {
      this.strayMessages.push(raw);
      this.options.changed();
      return;
    }
    this.options.onAck({
      envelope_id: message.envelope_id,
      ...('payload' in message ? { payload: message.payload } : {}),
      connection: connection.id,
      at: this.options.now(),
    });
  }

  #send(socket: WebSocket, message: unknown): void {
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  }

  /** Open connections Slack would route to: open and not asked to disconnect. */
  get #routable(): Connection[] {
    return [...this.#connections.values()].filter(
      (connection) => connection.socket.readyState === WebSocket.OPEN && !connection.draining,
    );
  }

  /** True when an envelope sent now would reach a client. */
  get ready(): boolean {
    return this.#routable.length > 0;
  }

  /** Open WebSockets, draining ones included. */
  get openSockets(): number {
    return [...this.#connections.keys()].filter((socket) => socket.readyState === WebSocket.OPEN).length;
  }

  /** Sends an envelope on the newest routable connection. False when there is none. */
  deliver(envelope: SocketEnvelope): boolean {
    const target = this.#routable.at(-1);
    if (!target) return false;
    this.envelopes.push(envelope);
    this.#send(target.socket, envelope);
    this.options.log(`socket: ${envelope.type} ${envelope.envelope_id} → connection ${target.id}`);
    this.options.changed();
    return true;
  }

  /** Sends `{ type: 'disconnect', reason }` to every open connection. Returns how many got it. */
  disconnect(reason: string): number {
    const open = this.#routable;
    for (const connection of open) {
      connection.draining = true;
      this.#send(connection.socket, { type: 'disconnect', reason, debug_info: { host: 'applink-fake-1' } });
    }
    this.options.changed();
    return open.length;
  }

  /** Destroys every connection without a close frame, as a network failure would. Returns how many. */
  drop(): number {
    const sockets = [...this.#connections.keys()];
    for (const socket of sockets) socket.terminate();
    return sockets.length;
  }

  close(): void {
    for (const [socket, connection] of this.#connections) {
      clearInterval(connection.ping);
      socket.terminate();
    }
    this.#connections.clear();
    this.#wss.close();
  }
}
