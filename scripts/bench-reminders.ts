/**
 * The reminders fan-out: 1,000 subscribers on the fake Discord enforcing Discord's global rate limit
 * (50 requests/s). Prints `reminders_1000 seconds=<fan-out> bound=<requests / 50> ratio=<seconds / bound>`,
 * where the requests are those a fan-out needs (a DM channel opened and a message posted per student), and the
 * p99 of `/today` answered while the fan-out runs. Run by `npm run bench`, or alone: `tsx scripts/bench-reminders.ts`.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { FakeDiscord, chatInput } from '../test/fakes/discord/index.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const GLOBAL_PER_SECOND = 50;

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(Math.ceil((p / 100) * sorted.length) - 1, 0))] ?? Number.NaN;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** Runs the fan-out of `count` evening reminders and returns the lines to print. */
export async function benchReminders(count = Number(process.env.BENCH_REMINDERS ?? 1000)): Promise<string[]> {
  const fake = await FakeDiscord.start({ globalRateLimit: GLOBAL_PER_SECOND });
  const dir = mkdtempSync(join(tmpdir(), 'course-bot-bench-reminders-'));
  const stateDb = join(dir, 'state.db');
  let child: ChildProcess | undefined;
  try {
    const { SqliteStore } = await import('../src/store/sqlite-store.js');
    const { ReminderBook } = await import('../src/store/reminders.js');
    const store = new SqliteStore(stateDb);
    const book = new ReminderBook(store, '18:00', 'mlops');
    store.transaction(() => {
      for (let index = 0; index < count; index += 1) book.set('discord', `4${String(index).padStart(17, '0')}`, 'evening');
    });
    store.close();
    child = spawn(process.execPath, ['dist/cli.js', 'start', '--at', '2027-01-05T17:59:50'], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, LOG_LEVEL: 'warn', DISCORD_TOKEN: fake.token, DISCORD_API_URL: fake.apiUrl, DISCORD_GUILD_ID: fake.guildId, STATE_DB: stateDb },
    });
    await fake.waitForReady(30_000);
    const isDm = (path: string, method: string) =>
      method === 'POST' && (path === '/users/@me/channels' || [...fake.dms.opened.values()].some((id) => path === `/channels/${id}/messages`));
    const delivered = () => fake.requests.filter((request) => request.status === 200 && request.method === 'POST' && request.path.startsWith('/channels/') && request.path !== `/channels/${fake.channelId}/messages`).length;
    // /today asked again and again while the fan-out runs: how long students wait for an answer.
    const latencies: number[] = [];
    let fanning = true;
    const ask = (async () => {
      while (fanning) {
        const started = performance.now();
        await fake.interact(chatInput('today'), { timeoutMs: 30_000 });
        if (fake.dms.opened.size > 0) latencies.push(performance.now() - started);
        await sleep(50);
      }
    })();
    await fake.waitFor(() => (delivered() >= count ? true : undefined), { timeoutMs: 10 * 60_000, what: `${count} reminders` });
    fanning = false;
    await ask;
    const dm = fake.requests.filter((request) => isDm(request.path, request.method));
    const first = Math.min(...dm.map((request) => request.at));
    const last = Math.max(...dm.filter((request) => request.status === 200).map((request) => request.at));
    const seconds = (last - first) / 1000;
    const needed = dm.filter((request) => request.status === 200).length;
    const bound = needed / GLOBAL_PER_SECOND;
    return [
      `# ${count} subscribers, evening reminders, fake Discord at ${GLOBAL_PER_SECOND} requests/s global; ${needed} requests needed (DM opens + posts), ${fake.globalRateLimit?.limited ?? 0} answered 429`,
      `reminders_${count} seconds=${seconds.toFixed(2)} bound=${bound.toFixed(2)} ratio=${(seconds / bound).toFixed(3)}`,
      `reminders_${count}_command_p99 ms=${percentile(latencies, 99).toFixed(1)} p50=${percentile(latencies, 50).toFixed(1)} answered=${latencies.length}`,
    ];
  } finally {
    if (child && child.exitCode === null) {
      const exited = new Promise((done) => child!.once('exit', done));
      child.kill('SIGTERM');
      await exited;
    }
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const build = spawnSync('node', ['scripts/build.js'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('build failed');
  for (const line of await benchReminders()) console.log(line);
}
