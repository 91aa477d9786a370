/**
 * Part of `npm run bench`: two bot processes on one PostgreSQL (two hosts, DATABASE_URL) against one process on
 * SQLite (the default), on the local fake Discord. Two figures, each the median of interleaved runs with the
 * spread (min–max):
 * - command latency (/today, sequential; p50 and p99): every /today reads the store, so this is what the
 *   PostgreSQL sync bridge costs a user. With two processes both receive each interaction and both answer;
 *   the first answer counts, as on Discord.
 * - takeover after a SIGKILL: the instance holding the morning announcement's claim is killed while its POST is
 *   lost; PostgreSQL: the time until the other instance has posted it (the lease, ANNOUNCE_LEASE_SECONDS, ends
 *   first); SQLite: the time until a restarted process has posted it (what one host does: a supervisor restarts it).
 * Prints `<metric> ours=<PostgreSQL, two processes> baseline=<SQLite, one process> ratio=`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { PostgresStore } from '../src/store/postgres-store.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { FakeDiscord, chatInput } from '../test/fakes/discord/index.js';
import { type TestPostgres, startPostgres } from '../test/support/postgres.js';
import { median } from './bench/stats.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const RUNS = Number(process.env.BENCH_HOSTS_RUNS ?? 3);
const COMMANDS = Number(process.env.BENCH_HOSTS_COMMANDS ?? 300);
const LEASE_SECONDS = 2;

type Kind = 'postgres' | 'sqlite';
interface Figures {
  p50: number;
  p99: number;
  takeoverMs: number;
}

const exited = (child: ChildProcess) =>
  new Promise((done) => (child.exitCode !== null || child.signalCode !== null ? done(undefined) : child.once('exit', done)));

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * Starts `course-bot start` and resolves once it has registered its commands (or said they are unchanged). The
 * process goes into `started` at once, so that the caller kills it even when it never gets ready.
 */
async function startBot(started: ChildProcess[], fake: FakeDiscord, at: string, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['dist/cli.js', 'start', '--at', at], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      LOG_LEVEL: 'info',
      DISCORD_TOKEN: fake.token,
      DISCORD_API_URL: fake.apiUrl,
      DISCORD_GUILD_ID: fake.guildId,
      DISCORD_ANNOUNCE_CHANNEL_ID: fake.channelId,
      ANNOUNCE_LEASE_SECONDS: String(LEASE_SECONDS),
      ...env,
    },
  });
  started.push(child);
  child.stdout.resume();
  await new Promise<void>((ready, fail) => {
    let seen = '';
    const timer = setTimeout(() => fail(new Error('the bot did not get ready within 120 s')), 120_000);
    // The log goes to stderr.
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      seen = (seen + chunk).slice(-4_000);
      if (/slash commands (registered|unchanged)/.test(seen)) {
        clearTimeout(timer);
        seen = '';
        ready();
      }
    });
    child.once('exit', (code) => fail(new Error(`the bot exited with code ${code}`)));
  });
  return child;
}

async function latency(kind: Kind, postgres: TestPostgres): Promise<number[]> {
  const fake = await FakeDiscord.start();
  const dir = mkdtempSync(join(tmpdir(), 'course-bot-bench-hosts-'));
  const url = kind === 'postgres' ? await postgres.database() : undefined;
  const bots: ChildProcess[] = [];
  try {
    const env = (host: number) => ({ STATE_DB: join(dir, `host-${host}.db`), ...(url && { DATABASE_URL: url }) });
    // The afternoon: nothing to announce while the commands are timed.
    const hosts = kind === 'postgres' ? [0, 1] : [0];
    await Promise.all(hosts.map((host) => startBot(bots, fake, '2027-01-05T13:00', env(host))));
    for (let i = 0; i < 50; i += 1) await fake.interact(chatInput('today'), { timeoutMs: 30_000 });
    const times: number[] = [];
    for (let i = 0; i < COMMANDS; i += 1) {
      const started = performance.now();
      await fake.interact(chatInput('today'), { timeoutMs: 30_000 });
      times.push(performance.now() - started);
    }
    return times;
  } finally {
    for (const bot of bots) bot.kill('SIGKILL');
    await Promise.all(bots.map(exited));
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function takeover(kind: Kind, postgres: TestPostgres): Promise<number> {
  // No nonce deduplication in the fake: the survivor must look before posting.
  const fake = await FakeDiscord.start({ nonceWindowMs: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'course-bot-bench-takeover-'));
  const url = kind === 'postgres' ? await postgres.database() : undefined;
  const key = `mlops:2027-01-05:daily:discord:${fake.channelId}`;
  const openStore = () => (url ? new PostgresStore(url) : new SqliteStore(join(dir, 'host-0.db')));
  const claim = () => {
    const store = openStore();
    try {
      return store.getClaim(key);
    } finally {
      store.close();
    }
  };
  const bots: ChildProcess[] = [];
  try {
    const env = (host: number) => ({ STATE_DB: join(dir, `host-${host}.db`), ...(url && { DATABASE_URL: url }) });
    const hosts = kind === 'postgres' ? [0, 1] : [0];
    // The first post hangs (it lands two minutes later, long after the takeover): whoever holds the claim is killed waiting for it.
    fake.failNext(`POST /channels/${fake.channelId}/messages`, { delayMs: 120_000 });
    await Promise.all(hosts.map((host) => startBot(bots, fake, '2027-01-05T07:59:58', env(host))));
    await fake.waitFor(() => fake.requests.find((request) => request.method === 'POST' && request.path === `/channels/${fake.channelId}/messages`), {
      timeoutMs: 60_000,
      what: 'the announcement POST',
    });
    const owner = claim()?.owner ?? '';
    const holder = bots.find((bot) => owner.split(':')[1] === String(bot.pid)) ?? bots[0]!;
    const killed = performance.now();
    holder.kill('SIGKILL');
    await exited(holder);
    // One host on SQLite: its supervisor starts it again at once.
    if (kind === 'sqlite') await startBot(bots, fake, '2027-01-05T08:00:05', env(0));
    await fake.waitForMessage(fake.channelId, undefined, { timeoutMs: 120_000 });
    return performance.now() - killed;
  } finally {
    for (const bot of bots) bot.kill('SIGKILL');
    await Promise.all(bots.map(exited));
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}


function line(metric: string, ours: readonly number[], baseline: readonly number[], unit: string): string {
  const spread = (values: readonly number[]) => `(${Math.min(...values).toFixed(1)}–${Math.max(...values).toFixed(1)})`;
  const [o, b] = [median(ours), median(baseline)];
  return `${metric} ours=${o.toFixed(2)}${unit} ${spread(ours)} baseline=${b.toFixed(2)}${unit} ${spread(baseline)} ratio=${(o / b).toFixed(3)}`;
}

/** The lines of this benchmark (dist/ must be built). */
export async function benchHosts(): Promise<string[]> {
  const postgres = await startPostgres();
  const runs: Record<Kind, Figures[]> = { postgres: [], sqlite: [] };
  try {
    for (let run = 0; run < RUNS; run += 1) {
      // Interleaved, alternating which goes first.
      for (const kind of (run % 2 ? ['sqlite', 'postgres'] : ['postgres', 'sqlite']) as Kind[]) {
        const times = await latency(kind, postgres);
        runs[kind].push({ p50: percentile(times, 50), p99: percentile(times, 99), takeoverMs: await takeover(kind, postgres) });
      }
    }
  } finally {
    await postgres.stop();
  }
  const of = (kind: Kind, figure: keyof Figures) => runs[kind].map((figures) => figures[figure]);
  return [
    `# two processes on PostgreSQL (ours) vs one on SQLite (baseline); /today ×${COMMANDS} sequential; ANNOUNCE_LEASE_SECONDS=${LEASE_SECONDS}; median of ${RUNS} interleaved runs (min–max)`,
    line('hosts_command_latency_p50', of('postgres', 'p50'), of('sqlite', 'p50'), 'ms'),
    line('hosts_command_latency_p99', of('postgres', 'p99'), of('sqlite', 'p99'), 'ms'),
    line('hosts_takeover_after_sigkill', of('postgres', 'takeoverMs'), of('sqlite', 'takeoverMs'), 'ms'),
  ];
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const result of await benchHosts()) console.log(result);
}
