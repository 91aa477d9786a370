/**
 * `npm run bench`: the Discord bot against a bare discord.js client that answers "pong", on the local
 * fake Discord, in one run. Prints `<metric> ours=<v> baseline=<v> ratio=<ours/baseline>` per figure.
 * Not a test: it asserts nothing, it measures.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { FakeDiscord, chatInput } from '../test/fakes/discord/index.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 1000);
const CONCURRENCY = 200;
const CONCURRENT_ROUNDS = 5;
const TOTAL = Number(process.env.BENCH_TOTAL ?? 10_000);

interface Figures {
  startToReadyMs: number;
  rssReadyMb: number;
  rssHalfMb: number;
  rssAfterMb: number;
  sequentialP50: number;
  sequentialP99: number;
  concurrentP50: number;
  concurrentP99: number;
}

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

async function timed(fake: FakeDiscord): Promise<number> {
  const started = performance.now();
  await fake.interact(chatInput('today'), { timeoutMs: 30_000 });
  return performance.now() - started;
}

async function measure(name: string, command: readonly string[], env: Record<string, string>): Promise<Figures> {
  const fake = await FakeDiscord.start();
  const dir = mkdtempSync(join(tmpdir(), `course-bot-bench-${name}-`));
  let child: ChildProcess | undefined;
  try {
    const started = performance.now();
    child = spawn(process.execPath, command, {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: {
        ...process.env,
        LOG_LEVEL: 'warn',
        DISCORD_TOKEN: fake.token,
        DISCORD_API_URL: fake.apiUrl,
        DISCORD_GUILD_ID: fake.guildId,
        STATE_DB: join(dir, 'state.db'),
        ...env,
      },
    });
    await fake.waitForReady(30_000);
    const startToReadyMs = performance.now() - started;
    // Ours registers its commands right after READY; let both settle before measuring memory.
    await sleep(1_000);
    const pid = child.pid!;
    const rssReadyMb = rssMb(pid);

    for (let i = 0; i < 100; i += 1) await timed(fake);
    const sequential: number[] = [];
    for (let i = 0; i < SEQUENTIAL; i += 1) sequential.push(await timed(fake));
    const concurrent: number[] = [];
    for (let round = 0; round < CONCURRENT_ROUNDS; round += 1) {
      concurrent.push(...(await Promise.all(Array.from({ length: CONCURRENCY }, () => timed(fake)))));
    }
    let done = 100 + SEQUENTIAL + CONCURRENCY * CONCURRENT_ROUNDS;
    let rssHalfMb = Number.NaN;
    while (done < TOTAL) {
      const batch = Math.min(100, TOTAL - done);
      await Promise.all(Array.from({ length: batch }, () => timed(fake)));
      done += batch;
      if (Number.isNaN(rssHalfMb) && done >= TOTAL / 2) rssHalfMb = rssMb(pid);
    }
    await sleep(1_000);
    const rssAfterMb = rssMb(pid);
    return {
      startToReadyMs,
      rssReadyMb,
      rssHalfMb,
      rssAfterMb,
      sequentialP50: percentile(sequential, 50),
      sequentialP99: percentile(sequential, 99),
      concurrentP50: percentile(concurrent, 50),
      concurrentP99: percentile(concurrent, 99),
    };
  } finally {
    child?.kill('SIGTERM');
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function line(metric: string, ours: number, baseline: number, unit: string): string {
  const ratio = baseline === 0 ? Number.NaN : ours / baseline;
  return `${metric} ours=${ours.toFixed(2)}${unit} baseline=${baseline.toFixed(2)}${unit} ratio=${ratio.toFixed(3)}`;
}

const build = spawnSync('node', ['scripts/build.js'], { cwd: ROOT, stdio: 'inherit' });
if (build.status !== 0) throw new Error('build failed');

// The same baseline client sending ours's /today reply: what the bigger payload costs by itself.
const { loadCourseFile } = await import('../src/course-file/read.js');
const { runCommandLine } = await import('../src/core/commands/parse.js');
const { commands } = await import('../src/core/commands/registry.js');
const { renderMessage } = await import('../src/platforms/discord/render.js');
const { DateTime } = await import('luxon');
const { course } = loadCourseFile(join(ROOT, 'data/course.yaml'));
const now = DateTime.fromISO('2027-01-05T10:00', { zone: course.timezone }).toJSDate();
const payloadDir = mkdtempSync(join(tmpdir(), 'course-bot-bench-payload-'));
const payloadFile = join(payloadDir, 'today.json');
writeFileSync(payloadFile, JSON.stringify(renderMessage(await runCommandLine('/today', { course, now, commands }))));

type Target = 'baseline' | 'ours' | 'samePayload';
const targets: Record<Target, [readonly string[], Record<string, string>]> = {
  baseline: [['scripts/bench/baseline-bot.mjs'], {}],
  ours: [['dist/cli.js', 'start', '--at', '2027-01-05T10:00'], {}],
  samePayload: [['scripts/bench/baseline-bot.mjs'], { BASELINE_PAYLOAD: payloadFile }],
};
// The fake runs in this process and gets faster as its code warms up: warm it, then measure every target
// twice, in one order and in the reverse, and average, so that no target gains from running later.
await measure('warm-up', ...targets.baseline);
const runs: Record<Target, Figures[]> = { baseline: [], ours: [], samePayload: [] };
for (const order of [['baseline', 'ours', 'samePayload'], ['samePayload', 'ours', 'baseline']] as const) {
  for (const target of order) runs[target].push(await measure(target, ...targets[target]));
}
rmSync(payloadDir, { recursive: true, force: true });
const mean = (figures: readonly Figures[]): Figures =>
  Object.fromEntries(
    Object.keys(figures[0]!).map((key) => [key, figures.reduce((sum, f) => sum + f[key as keyof Figures], 0) / figures.length]),
  ) as unknown as Figures;
const baseline = mean(runs.baseline);
const ours = mean(runs.ours);
const samePayload = mean(runs.samePayload);

console.log(`# ${TOTAL} interactions per run; /today; ${SEQUENTIAL} sequential, ${CONCURRENT_ROUNDS}×${CONCURRENCY} concurrent; mean of 2 runs each`);
console.log(line('latency_p50_sequential', ours.sequentialP50, baseline.sequentialP50, 'ms'));
console.log(line('latency_p99_sequential', ours.sequentialP99, baseline.sequentialP99, 'ms'));
console.log(line('latency_p50_concurrent200', ours.concurrentP50, baseline.concurrentP50, 'ms'));
console.log(line('latency_p99_concurrent200', ours.concurrentP99, baseline.concurrentP99, 'ms'));
console.log(line('start_to_ready', ours.startToReadyMs, baseline.startToReadyMs, 'ms'));
console.log(line('rss_at_ready', ours.rssReadyMb, baseline.rssReadyMb, 'MB'));
console.log(line(`rss_after_${TOTAL}`, ours.rssAfterMb, baseline.rssAfterMb, 'MB'));
console.log(line('rss_growth', ours.rssAfterMb - ours.rssReadyMb, baseline.rssAfterMb - baseline.rssReadyMb, 'MB'));
console.log(line('rss_growth_second_half', ours.rssAfterMb - ours.rssHalfMb, baseline.rssAfterMb - baseline.rssHalfMb, 'MB'));
console.log('# against the baseline client sending the same reply payload as ours (embed, buttons):');
console.log(line('same_payload_latency_p50_sequential', ours.sequentialP50, samePayload.sequentialP50, 'ms'));
console.log(line('same_payload_latency_p99_sequential', ours.sequentialP99, samePayload.sequentialP99, 'ms'));
console.log(line('same_payload_latency_p50_concurrent200', ours.concurrentP50, samePayload.concurrentP50, 'ms'));
console.log(line('same_payload_latency_p99_concurrent200', ours.concurrentP99, samePayload.concurrentP99, 'ms'));
const { benchReminders } = await import('./bench-reminders.js');
for (const reminderLine of await benchReminders()) console.log(reminderLine);
for (const scaleLine of (await import('./bench-scale.js')).benchScale()) console.log(scaleLine);
for (const scaleLine of [...(await (await import('./bench-hosts.js')).benchHosts()), ...(await (await import('./bench-courses.js')).benchCourses())]) console.log(scaleLine);
