/**
 * `npm run bench`: course-bot as users run it (`node bin/course-bot.js start`: the compiled dist/, as `npm start`
 * runs it, without npm's own process) against a bare discord.js client with the same discord.js and client
 * options that answers every command with the very payload course-bot sent for it (captured first), on the
 * local fake Discord. Runs are interleaved (ours, baseline, ours, baseline …; `BENCH_RUNS`, default 3) and each
 * figure is printed as `<metric> ours=<median> baseline=<median> ratio=<ours/baseline> spread=<min–max of the
 * per-run ratios> target=<=<issue 15's target>`, with `MISSED` where the median is over it.
 *
 * Then the other parts: reminders, the 10,000-session course and `course-bot validate` (bench-scale.ts), the
 * scale path (bench-hosts.ts, bench-courses.ts). `BENCH_ONLY=discord|reminders|scale|hosts|courses` runs one.
 * Not a test: it asserts nothing, it measures.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ApplicationCommandOptionType, InteractionResponseType } from 'discord-api-types/v10';
import { type BurstResult, type ChatInputOption, FakeDiscord, type InteractionInput, chatInput } from '../test/fakes/discord/index.js';
import { countLine, figureLine, median, parseProcStatCpuMs, parseSmapsRollup, percentile } from './bench/stats.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 1000);
const CONCURRENCY = 200;
const CONCURRENT_ROUNDS = 5;
const STEADY = Number(process.env.BENCH_STEADY ?? 30_000);
const BURST_RATES = (process.env.BENCH_BURST_RATES ?? '2000,5000').split(',').map(Number);
const BIG_SESSIONS = Number(process.env.BENCH_SCALE_SESSIONS ?? 10_000);
const ONLY = process.env.BENCH_ONLY;
const PARTS = ['discord', 'reminders', 'scale', 'hosts', 'courses'] as const;
if (ONLY !== undefined && !(PARTS as readonly string[]).includes(ONLY)) {
  console.error(`BENCH_ONLY=${ONLY}: not a part; one of ${PARTS.join(', ')}`);
  process.exit(2);
}
const runs = (part: (typeof PARTS)[number]): boolean => ONLY === undefined || ONLY === part;
const AT = '2027-01-05T10:00';
const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

const option = (name: string, type: ApplicationCommandOptionType, value: string | number) => ({ name, type, value }) as ChatInputOption;
/** The mixed commands a class sends (each interaction takes the next, round the list). */
const MIX: readonly InteractionInput[] = [
  chatInput('today'),
  chatInput('tomorrow'),
  chatInput('week'),
  chatInput('next'),
  chatInput('schedule'),
  chatInput('resources'),
  chatInput('help'),
  chatInput('week', [option('number', ApplicationCommandOptionType.Integer, 2)]),
  chatInput('resources', [option('topic', ApplicationCommandOptionType.String, 'Docker')]),
];

/** `/name opt=value …`: the key scripts/bench/baseline-bot.mjs looks payloads up by. */
function payloadKey(input: InteractionInput): string {
  const data = input.data as { name: string; options?: { name: string; value: unknown }[] };
  return [`/${data.name}`, ...(data.options ?? []).map((given) => `${given.name}=${String(given.value)}`)].join(' ');
}

const mixed = (count: number, from = 0): InteractionInput[] => Array.from({ length: count }, (_, index) => MIX[(from + index) % MIX.length]!);
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const cpuMs = (pid: number): number => parseProcStatCpuMs(readFileSync(`/proc/${pid}/stat`, 'utf8'), TICKS);
const memory = (pid: number) => parseSmapsRollup(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));

interface Target {
  readonly name: string;
  readonly args: readonly string[];
  readonly env: Record<string, string>;
}

/** One process on its own fake: started, READY, then whatever `drive` does with it. */
async function withProcess<T>(
  target: Target,
  drive: (fake: FakeDiscord, child: ChildProcess, lines: () => number, spawnedAt: number) => Promise<T>,
): Promise<T> {
  const fake = await FakeDiscord.start();
  const dir = mkdtempSync(join(tmpdir(), `course-bot-bench-${target.name}-`));
  let child: ChildProcess | undefined;
  let lines = 0;
  const tail: string[] = [];
  try {
    const spawnedAt = performance.now();
    child = spawn(process.execPath, target.args, {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        LOG_LEVEL: 'warn',
        DISCORD_TOKEN: fake.token,
        DISCORD_API_URL: fake.apiUrl,
        DISCORD_GUILD_ID: fake.guildId,
        STATE_DB: join(dir, 'state.db'),
        ...target.env,
      },
    });
    // What the process logs (warnings, errors): counted, the last few kept for a failure.
    for (const stream of [child.stdout!, child.stderr!]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        for (const text of chunk.split('\n')) {
          if (text === '') continue;
          lines += 1;
          tail.push(text);
          if (tail.length > 5) tail.shift();
        }
      });
    }
    const exited = new Promise<never>((_, reject) =>
      child!.once('exit', (code) => reject(new Error(`${target.name} exited (${code}) during the run: ${tail.join('\n')}`))),
    );
    exited.catch(() => undefined);
    return await Promise.race([drive(fake, child, () => lines, spawnedAt), exited]);
  } catch (error) {
    throw new Error(`${target.name}: ${error instanceof Error ? error.message : String(error)}; its last lines:\n${tail.join('\n')}`);
  } finally {
    // Its state files are removed once it has exited (it writes them while it stops).
    if (child && child.exitCode === null && child.signalCode === null) {
      const gone = new Promise((done) => child!.once('exit', done));
      child.kill('SIGTERM');
      const killer = setTimeout(() => child!.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(killer);
    }
    await fake.close();
    rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  }
}

/** Starts the process and waits for READY; wall time and the process's CPU time up to then. */
async function startToReady(fake: FakeDiscord, child: ChildProcess, started: number): Promise<{ wallMs: number; cpuMs: number }> {
  await fake.waitForReady(60_000);
  const wallMs = performance.now() - started;
  return { wallMs, cpuMs: cpuMs(child.pid!) };
}

/** Interactions not answered within the callback window outside the bursts (a busy machine); reset per run. */
let unanswered = 0;

/** Sends one interaction and resolves when it is answered; one not answered in time counts, and never stops the run. */
async function answered(fake: FakeDiscord, input: InteractionInput): Promise<boolean> {
  try {
    await fake.interact(input, { timeoutMs: 5_000 });
    return true;
  } catch {
    unanswered += 1;
    return false;
  }
}

/** ms to the answer; an interaction never answered counts as infinitely slow (it lands in the p99, not the p50). */
async function timed(fake: FakeDiscord, input: InteractionInput): Promise<number> {
  const started = performance.now();
  return (await answered(fake, input)) ? performance.now() - started : Number.POSITIVE_INFINITY;
}

type Figures = Record<string, number>;

/** One full run: start-up, memory, latency, steady state, CPU per interaction, then the bursts. */
function measure(target: Target): Promise<Figures> {
  return withProcess(target, async (fake, child, lines, started) => {
    const pid = child.pid!;
    const figures: Figures = {};
    unanswered = 0;
    const ready = await startToReady(fake, child, started);
    figures.start_to_ready_wall = ready.wallMs;
    figures.cpu_to_ready = ready.cpuMs;
    // Ours registers its commands right after READY; both settle before memory is read.
    await sleep(1_000);
    const atReady = memory(pid);
    figures.rss_at_ready = atReady.rssMb;
    figures.pss_at_ready = atReady.pssMb;
    figures.private_at_ready = atReady.privateMb;

    let sent = 0;
    for (const input of mixed(100)) await timed(fake, input);
    sent += 100;
    const sequential: number[] = [];
    for (const input of mixed(SEQUENTIAL, sent)) sequential.push(await timed(fake, input));
    sent += SEQUENTIAL;
    const concurrent: number[] = [];
    for (let round = 0; round < CONCURRENT_ROUNDS; round += 1) {
      concurrent.push(...(await Promise.all(mixed(CONCURRENCY, sent).map((input) => timed(fake, input)))));
      sent += CONCURRENCY;
    }
    figures.latency_p50_sequential = percentile(sequential, 50);
    figures.latency_p99_sequential = percentile(sequential, 99);
    figures.latency_p50_concurrent200 = percentile(concurrent, 50);
    figures.latency_p99_concurrent200 = percentile(concurrent, 99);

    // Steady state: STEADY more interactions, 100 at a time; the CPU they cost, then the memory left.
    const cpuBefore = cpuMs(pid);
    for (let done = 0; done < STEADY; ) {
      const batch = Math.min(100, STEADY - done);
      await Promise.all(mixed(batch, sent + done).map((input) => answered(fake, input)));
      done += batch;
    }
    figures.cpu_per_interaction = (cpuMs(pid) - cpuBefore) / STEADY;
    await sleep(1_000);
    const steady = memory(pid);
    figures.rss_steady = steady.rssMb;
    figures.pss_steady = steady.pssMb;
    figures.unanswered = unanswered;

    for (const rate of BURST_RATES) {
      const linesBefore = lines();
      // Counted until the process has sent no callback for 5 s: the late ones (10062) and their fallbacks too.
      const result: BurstResult = await fake.burst(mixed(rate), { perSecond: rate, settleMs: 5_000 });
      figures[`burst_${rate}_missed`] = result.missed;
      figures[`burst_${rate}_10062`] = result.unknownInteraction;
      figures[`burst_${rate}_40060`] = result.alreadyAcknowledged;
      figures[`burst_${rate}_log_lines`] = lines() - linesBefore;
      figures[`burst_${rate}_p99`] = percentile(result.latencies, 99);
      figures[`burst_${rate}_dispatch_ms`] = result.dispatchMs;
      // Let the process catch up before the next burst.
      await sleep(2_000);
    }
    return figures;
  });
}

/** Start-up only (READY, memory a second later): for the big course. */
function measureStart(target: Target): Promise<Figures> {
  return withProcess(target, async (fake, child, _lines, started) => {
    const ready = await startToReady(fake, child, started);
    await sleep(1_000);
    const atReady = memory(child.pid!);
    return { start_to_ready_wall: ready.wallMs, cpu_to_ready: ready.cpuMs, rss_at_ready: atReady.rssMb, pss_at_ready: atReady.pssMb };
  });
}

/** Starts ours once and records the reply it sends to each command of the mix (also warms the fake's code up). */
function capturePayloads(ours: Target): Promise<Record<string, unknown>> {
  return withProcess(ours, async (fake) => {
    await fake.waitForReady(60_000);
    const payloads: Record<string, unknown> = {};
    for (const input of MIX) {
      const { callback } = await fake.interact(input, { timeoutMs: 30_000 });
      if (callback.type !== InteractionResponseType.ChannelMessageWithSource) {
        throw new Error(`${payloadKey(input)} was answered with callback type ${callback.type}, not a reply: the baseline cannot copy it`);
      }
      payloads[payloadKey(input)] = callback.data;
    }
    for (const input of mixed(2_000)) await answered(fake, input);
    return payloads;
  });
}

async function benchDiscord(): Promise<string[]> {
  const build = spawnSync(process.execPath, ['scripts/build.js'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('build failed');
  const dir = mkdtempSync(join(tmpdir(), 'course-bot-bench-'));
  try {
    const ours: Target = { name: 'ours', args: ['bin/course-bot.js', 'start', '--at', AT], env: {} };
    const payloadFile = join(dir, 'payloads.json');
    writeFileSync(payloadFile, JSON.stringify(await capturePayloads(ours)));
    const baseline: Target = { name: 'baseline', args: ['scripts/bench/baseline-bot.mjs'], env: { BASELINE_PAYLOADS: payloadFile } };
    const { bigCourseYaml } = await import('./bench-scale.js');
    const bigFile = join(dir, 'big.yaml');
    writeFileSync(bigFile, bigCourseYaml(BIG_SESSIONS));
    const big: Target = { name: 'ours-big', args: ours.args, env: { COURSE_FILE: bigFile } };

    const oursRuns: Figures[] = [];
    const baselineRuns: Figures[] = [];
    const bigRuns: Figures[] = [];
    const baselineStarts: Figures[] = [];
    const requiredStarts: Figures[] = [];
    const required: Target = { name: 'baseline-required', args: baseline.args, env: { ...baseline.env, BASELINE_REQUIRE: '1' } };
    for (let run = 0; run < RUNS; run += 1) {
      oursRuns.push(await measure(ours));
      baselineRuns.push(await measure(baseline));
      bigRuns.push(await measureStart(big));
      baselineStarts.push(await measureStart(baseline));
      requiredStarts.push(await measureStart(required));
      process.stderr.write(`bench: discord run ${run + 1} of ${RUNS} done\n`);
    }
    const of = (figures: readonly Figures[], key: string) => figures.map((figure) => figure[key]!);
    const fig = (metric: string, key: string, unit: string, maxRatio?: number) =>
      figureLine(metric, of(oursRuns, key), of(baselineRuns, key), unit, maxRatio === undefined ? undefined : { maxRatio });
    const load = spawnSync('uptime', { encoding: 'utf8' }).stdout.trim();
    const lines = [
      `# ours: node bin/course-bot.js start (dist/: src/ and its pure-JavaScript packages bundled by esbuild; discord.js, better-sqlite3, pino and the other platform packages from node_modules, loaded with require); baseline: bare discord.js 14, not bundled, imported as an ES module, same client options, sending our payloads`,
      `# ${RUNS} interleaved runs each (ours, baseline, …); median, spread = min–max of per-run ratios; load: ${load}`,
      `# commands: ${MIX.map(payloadKey).join(', ')} in turn; ${SEQUENTIAL} sequential, ${CONCURRENT_ROUNDS}×${CONCURRENCY} concurrent, ${STEADY} for the steady state`,
      fig('start_to_ready_wall', 'start_to_ready_wall', 'ms'),
      fig('cpu_to_ready', 'cpu_to_ready', 'ms', 1.1),
      fig('rss_at_ready_plus_1s', 'rss_at_ready', 'MB', 1.15),
      fig('pss_at_ready_plus_1s', 'pss_at_ready', 'MB'),
      fig('private_at_ready_plus_1s', 'private_at_ready', 'MB'),
      fig(`rss_steady_after_${STEADY}`, 'rss_steady', 'MB', 1.1),
      fig(`pss_steady_after_${STEADY}`, 'pss_steady', 'MB'),
      fig('latency_p50_sequential', 'latency_p50_sequential', 'ms', 1.05),
      fig('latency_p99_sequential', 'latency_p99_sequential', 'ms'),
      fig('latency_p50_concurrent200', 'latency_p50_concurrent200', 'ms'),
      fig('latency_p99_concurrent200', 'latency_p99_concurrent200', 'ms', 1.1),
      fig('cpu_per_interaction', 'cpu_per_interaction', 'ms', 1.05),
      countLine('unanswered_outside_bursts', of(oursRuns, 'unanswered'), of(baselineRuns, 'unanswered')),
    ];
    for (const rate of BURST_RATES) {
      const dispatch = median([...of(oursRuns, `burst_${rate}_dispatch_ms`), ...of(baselineRuns, `burst_${rate}_dispatch_ms`)]);
      lines.push(`# burst: ${rate} mixed commands in 1 s (the fake dispatched them in ${dispatch.toFixed(0)} ms, median); missed = no answer within 3 s; counted until no callback for 5 s`);
      for (const kind of ['missed', '10062', '40060']) {
        lines.push(countLine(`burst_${rate}_${kind}`, of(oursRuns, `burst_${rate}_${kind}`), of(baselineRuns, `burst_${rate}_${kind}`)));
      }
      lines.push(fig(`burst_${rate}_log_lines`, `burst_${rate}_log_lines`, ''));
      lines.push(fig(`burst_${rate}_answered_p99`, `burst_${rate}_p99`, 'ms'));
    }
    const start = (metric: string, key: string, unit: string, maxRatio?: number) =>
      figureLine(metric, of(bigRuns, key), of(baselineStarts, key), unit, maxRatio === undefined ? undefined : { maxRatio });
    lines.push(
      '# ours (from the runs above) against a baseline that loads discord.js with require as ours does (no export lexing of its CommonJS), start-up only',
      figureLine('cpu_to_ready_vs_required_baseline', of(oursRuns, 'cpu_to_ready'), of(requiredStarts, 'cpu_to_ready'), 'ms'),
      figureLine('rss_at_ready_plus_1s_vs_required_baseline', of(oursRuns, 'rss_at_ready'), of(requiredStarts, 'rss_at_ready'), 'MB'),
    );
    lines.push(
      `# ours with a ${BIG_SESSIONS}-session course against the same baseline, start-up only`,
      start(`big_${BIG_SESSIONS}_start_to_ready_wall`, 'start_to_ready_wall', 'ms', 1.5),
      start(`big_${BIG_SESSIONS}_cpu_to_ready`, 'cpu_to_ready', 'ms'),
      start(`big_${BIG_SESSIONS}_rss_at_ready_plus_1s`, 'rss_at_ready', 'MB'),
    );
    return lines;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (runs('discord')) for (const line of await benchDiscord()) console.log(line);
if (runs('reminders')) for (const line of await (await import('./bench-reminders.js')).benchReminders()) console.log(line);
if (runs('scale')) for (const line of (await import('./bench-scale.js')).benchScale()) console.log(line);
if (runs('hosts')) for (const line of await (await import('./bench-hosts.js')).benchHosts()) console.log(line);
if (runs('courses')) for (const line of await (await import('./bench-courses.js')).benchCourses()) console.log(line);
