import { createRequire } from 'node:module';
import { MessageChannel, type MessagePort, Worker, type WorkerOptions, receiveMessageOnPort } from 'node:worker_threads';

/** What the main thread asks the worker (`WORKER_SOURCE` below), with the id its answer carries. */
export type BridgeRequest = { readonly id: number } & (
  | { readonly op: 'query'; readonly sql: string; readonly params: readonly unknown[] }
  /** One statement in a transaction of its own that runs `first` (taking locks) before it. */
  | { readonly op: 'write'; readonly sql: string; readonly params: readonly unknown[]; readonly first: readonly string[] }
  /** Pins a client and runs BEGIN, then `first` (taking locks) on it: queries go to it until `end`. */
  | { readonly op: 'begin'; readonly first: readonly string[] }
  | { readonly op: 'end'; readonly commit: boolean }
  /** Opens a connection and runs `SELECT 1` on it: whether the server answers again (posted, not waited for). */
  | { readonly op: 'probe' }
  | { readonly op: 'close' }
);

/** The worker's answer to the request with the same id. */
export type BridgeReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: { readonly message: string; readonly code?: string } };

/** An error the worker reported (the server's SQLSTATE or Node's code in `code`), or a wait that ran out (`timeout`). */
export class BridgeError extends Error {
  override readonly name = 'BridgeError';

  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

type Ask =
  | { op: 'query'; sql: string; params: readonly unknown[] }
  | { op: 'write'; sql: string; params: readonly unknown[]; first: readonly string[] }
  | { op: 'begin'; first: readonly string[] }
  | { op: 'end'; commit: boolean }
  | { op: 'probe' }
  | { op: 'close' };

/** A request posted without waiting (`SyncBridge.post`), whose answer `SyncBridge.poll` reads when it has come. */
export interface Posted {
  readonly id: number;
  readonly port: MessagePort;
}

/**
 * The worker's own bounds on one request, in milliseconds: the one set of numbers both the worker (its pool and
 * server settings, its per-request deadline) and the main thread (how long it waits) are sized from.
 */
export interface PgBounds {
  /** Opening a connection (`pg`'s `connectionTimeoutMillis`). */
  readonly connectMs: number;
  /** Waiting for a lock, the store's write lock included (the server's `lock_timeout`). */
  readonly lockMs: number;
  /** Running one statement (the server's `statement_timeout`). */
  readonly statementMs: number;
}

/** Every bound the same: `timeoutMs` to connect, to wait for a lock, to run a statement. */
export function pgBounds(timeoutMs: number): PgBounds {
  return { connectMs: timeoutMs, lockMs: timeoutMs, statementMs: timeoutMs };
}

/**
 * The longest the worker works on one request: a connection, then a lock (a write takes the write lock first),
 * then the statement. At this deadline the worker gives up on the request itself (the statement still running is
 * cut client-side, its connection dropped) and answers.
 */
export function requestBudgetMs(bounds: PgBounds): number {
  return bounds.connectMs + bounds.lockMs + bounds.statementMs;
}

/** What the main thread waits beyond a request's budget: time for the worker to notice its deadline and answer. */
export const ANSWER_MARGIN_MS = 1_000;

/**
 * A synchronous call into an asynchronous `pg` pool: the pool lives in a worker thread; `call` posts a request
 * and blocks this thread with `Atomics.wait` on a shared counter until the worker answers (or `waitMs` passes),
 * then takes the answer off the port with `receiveMessageOnPort`. The approach of `synckit`, in a few lines.
 * The wait is the worker's own budget for a request plus a margin ({@link requestBudgetMs}): it runs out only
 * when the worker is stuck. A wait that runs out ends the worker (its connections close, so the server rolls back
 * what it had open); the next call starts a new one.
 */
export class SyncBridge {
  readonly #url: string;
  readonly #bounds: PgBounds;
  readonly #firstWaitMs: number;
  #worker: { worker: Worker; port: MessagePort; signal: Int32Array } | undefined;
  #next = 0;
  /** Whether the current worker has answered once (its first answer waits for it to start). */
  #started = false;

  /**
   * @param url the connection string (it stays in this process's memory only)
   * @param bounds how long the server may take to connect, to grant a lock, to run one statement
   * @param firstWaitMs how long a new worker may take to start (loading `pg`, or TypeScript in development)
   */
  constructor(url: string, bounds: PgBounds, firstWaitMs: number) {
    this.#url = url;
    this.#bounds = bounds;
    this.#firstWaitMs = firstWaitMs;
  }

  /** How long the next call waits for its answer: the worker's budget, a margin, and its start if it is new. */
  get waitMs(): number {
    return (this.#worker && this.#started ? 0 : this.#firstWaitMs) + requestBudgetMs(this.#bounds) + ANSWER_MARGIN_MS;
  }

  /** Runs one request in the worker and returns its value; throws a `BridgeError` for its error or a wait run out. */
  call(ask: Ask): unknown {
    const waitMs = this.waitMs;
    const posted = this.post(ask);
    const current = this.#worker!;
    const deadline = performance.now() + waitMs;
    for (;;) {
      const seen = Atomics.load(current.signal, 0);
      const reply = this.#take(posted);
      if (reply) {
        if (reply.ok) return reply.value;
        throw new BridgeError(reply.error.message, reply.error.code);
      }
      const left = deadline - performance.now();
      if (left <= 0) {
        this.stop();
        throw new BridgeError(`no answer within ${Math.round(waitMs / 1000)} s`, 'timeout');
      }
      Atomics.wait(current.signal, 0, seen, left);
    }
  }

  /** Sends one request to the worker (started if need be) and returns at once; read its answer with `poll`. */
  post(ask: Ask): Posted {
    const current = (this.#worker ??= this.#start());
    const id = (this.#next += 1);
    current.port.postMessage({ ...ask, id });
    return { id, port: current.port };
  }

  /**
   * The answer to a posted request if it has come (never waits): its value, or its error as a `BridgeError`
   * (`ended` when the worker it went to was ended first). Undefined while it has not come.
   */
  poll(posted: Posted): { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: BridgeError } | undefined {
    if (this.#worker?.port !== posted.port) return { ok: false, error: new BridgeError('the worker was ended before it answered', 'ended') };
    const reply = this.#take(posted);
    if (!reply) return undefined;
    return reply.ok ? { ok: true, value: reply.value } : { ok: false, error: new BridgeError(reply.error.message, reply.error.code) };
  }

  /** The answer to `posted` from the port if it is there, skipping answers to requests given up on earlier. */
  #take(posted: Posted): BridgeReply | undefined {
    for (;;) {
      const received = receiveMessageOnPort(posted.port);
      if (!received) return undefined;
      const reply = received.message as BridgeReply;
      if (reply.id !== posted.id) continue;
      this.#started = true;
      return reply;
    }
  }

  /** Ends the worker at once (its connections close with it). */
  stop(): void {
    const current = this.#worker;
    this.#worker = undefined;
    this.#started = false;
    if (!current) return;
    current.port.close();
    void current.worker.terminate();
  }

  #start(): { worker: Worker; port: MessagePort; signal: Int32Array } {
    const { port1, port2 } = new MessageChannel();
    const signal = new Int32Array(new SharedArrayBuffer(4));
    const options: WorkerOptions = {
      workerData: { port: port2, signal, url: this.#url, bounds: this.#bounds, budgetMs: requestBudgetMs(this.#bounds), pg: createRequire(import.meta.url).resolve('pg') },
      transferList: [port2],
      // None of this process's flags (`--input-type=module` would make the CommonJS source a module).
      execArgv: [],
    };
    // Plain JavaScript evaluated in the worker: the same under tsx, vitest and the compiled dist/.
    const worker = new Worker(WORKER_SOURCE, { ...options, eval: true });
    // The worker must not keep the process alive, nor crash it.
    worker.unref();
    worker.on('error', () => undefined);
    port1.unref();
    return { worker, port: port1, signal };
  }
}

/**
 * The worker: it owns the `pg` pool and runs what the main thread asks, one request at a time, answering on the
 * port and then bumping the shared counter the main thread waits on. A client is pinned from `begin` to `end`.
 * CommonJS evaluated as a string (`pg` is required by the path the main thread resolved).
 */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { port, signal, url, bounds, budgetMs } = workerData;
// The server's statement_timeout answers first (a refused statement, with its SQLSTATE); the client-side read
// timeout is for a server that stopped answering.
const SERVER_FIRST_MS = 500;
// A worker that cannot set up answers every request with why, rather than leaving the main thread waiting.
let pool;
let broken;
try {
  const pg = require(workerData.pg);
  // Epoch milliseconds and counts are BIGINT: well inside a double.
  pg.types.setTypeParser(pg.types.builtins.INT8, (text) => Number(text));
  pool = new pg.Pool({
    connectionString: url,
    max: 2,
    connectionTimeoutMillis: bounds.connectMs,
    statement_timeout: bounds.statementMs,
    lock_timeout: bounds.lockMs,
    idle_in_transaction_session_timeout: bounds.statementMs * 6,
    application_name: 'course-bot',
  });
  // An idle client whose server went away: the next request finds out and says so.
  pool.on('error', () => undefined);
} catch (error) {
  broken = error;
}
let pinned;
// When the request being handled must be answered (its budget, from when it was taken up).
let deadline = 0;
// One statement, cut client-side at the request's deadline (or once the server's own timeout had time to answer).
const run = (client, text, values = []) =>
  client.query({ text, values, query_timeout: Math.max(1, Math.min(bounds.statementMs + SERVER_FIRST_MS, deadline - Date.now())) });
const result = (r) => ({ rows: r.rows, rowCount: r.rowCount ?? 0 });
async function inTransaction(first, work) {
  const client = await pool.connect();
  try {
    await run(client, 'BEGIN');
    for (const sql of first) await run(client, sql);
    const value = await work(client);
    return { client, value };
  } catch (error) {
    await run(client, 'ROLLBACK').catch(() => undefined);
    client.release(true);
    throw error;
  }
}
async function handle(request) {
  if (broken) throw broken;
  switch (request.op) {
    case 'query':
      return result(await run(pinned ?? pool, request.sql, request.params));
    case 'write': {
      if (pinned) return result(await run(pinned, request.sql, request.params));
      const { client, value } = await inTransaction(request.first, (c) => run(c, request.sql, request.params));
      try {
        await run(client, 'COMMIT');
        client.release();
      } catch (error) {
        client.release(true);
        throw error;
      }
      return result(value);
    }
    case 'begin': {
      if (pinned) throw new Error('a transaction is open already');
      pinned = (await inTransaction(request.first, async () => null)).client;
      return null;
    }
    case 'end': {
      const client = pinned;
      pinned = undefined;
      if (!client) return null;
      try {
        await run(client, request.commit ? 'COMMIT' : 'ROLLBACK');
        client.release();
      } catch (error) {
        client.release(true);
        throw error;
      }
      return null;
    }
    case 'probe': {
      const client = await pool.connect();
      try {
        await run(client, 'SELECT 1');
        client.release();
      } catch (error) {
        client.release(true);
        throw error;
      }
      return null;
    }
    case 'close': {
      const client = pinned;
      pinned = undefined;
      client?.release(true);
      await pool.end();
      return null;
    }
  }
  throw new Error('unknown request ' + request.op);
}
function failure(error) {
  const message = error instanceof Error ? error.message : String(error);
  return typeof error?.code === 'string' ? { message, code: error.code } : { message };
}
let queue = Promise.resolve();
port.on('message', (request) => {
  queue = queue.then(async () => {
    deadline = Date.now() + budgetMs;
    let reply;
    try {
      reply = { id: request.id, ok: true, value: await handle(request) };
    } catch (error) {
      reply = { id: request.id, ok: false, error: failure(error) };
    }
    port.postMessage(reply);
    Atomics.add(signal, 0, 1);
    Atomics.notify(signal, 0);
    if (request.op === 'close') port.close();
  });
});
`;
