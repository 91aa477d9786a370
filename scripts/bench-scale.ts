/**
 * `npx tsx scripts/bench-scale.ts`: a 10,000-session course (generated here) against the seed course (15
 * sessions): load + validate, the effective course read with no stored changes, every student command and
 * autocomplete (first after a load, and warm), an instructor edit, and the memory a loaded course holds.
 * `npm run bench` prints these lines too. Each figure is the median of `BENCH_SCALE_RUNS` (default 3) runs in
 * separate processes, with its spread. Prints `<metric> ours= baseline= ratio=` (ours: the big course;
 * baseline: the seed course). Not a test: it asserts nothing, it measures.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { median } from './bench/stats.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const SEED = join(ROOT, 'data', 'course.yaml');
const SESSIONS = Number(process.env.BENCH_SCALE_SESSIONS ?? 10_000);
const RUNS = Number(process.env.BENCH_SCALE_RUNS ?? 3);
const WARM = 5;
const FRAMEWORKS = ['PyTorch', 'Hydra', 'Docker', 'Conda', 'GitHub', 'Weights & Biases', 'Optuna', 'DVC', 'FastAPI', 'ONNX'];

/** A course file of `sessions` sessions (five a week), with resources tagged by framework, as YAML. */
export function bigCourseYaml(sessions: number): string {
  const weeks = Math.ceil(sessions / 5);
  const days = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'];
  const resources = Array.from({ length: 200 }, (_, index) => ({
    id: `r${index}`,
    title: `Guide ${index} to ${FRAMEWORKS[index % FRAMEWORKS.length]}`,
    url: `https://example.org/guide/${index}`,
    tags: [FRAMEWORKS[index % FRAMEWORKS.length]!, `topic${index % 37}`],
  }));
  return stringify({
    course: { id: 'big', name: 'A very long course', timezone: 'Europe/Copenhagen', start: '2027-01-04', dayStart: '09:00' },
    announcements: { time: '08:00' },
    weeks: Array.from({ length: weeks }, (_, week) => ({
      number: week + 1,
      title: `Week ${week + 1}`,
      sessions: days.slice(0, Math.min(5, sessions - week * 5)).map((day, index) => ({
        day,
        topic: `Topic ${week * 5 + index} on ${FRAMEWORKS[(week + index) % FRAMEWORKS.length]}`,
        frameworks: [FRAMEWORKS[(week + index) % FRAMEWORKS.length]!, FRAMEWORKS[(week + index + 3) % FRAMEWORKS.length]!],
        format: 'exercises',
        resources: [`r${(week * 5 + index) % 200}`],
      })),
    })),
    resources,
  });
}

type Figures = Record<string, number>;

/** One measurement process: loads `path`, times everything once, prints the figures as JSON. */
async function child(path: string): Promise<void> {
  const figures: Figures = {};
  const gc = (globalThis as { gc?: () => void }).gc!;
  // The modules first: their loading is not the course's.
  const [{ parseCourseText }, { applyChanges }, { commands }, { suggestSessionDates }, { suggestTopics }, { MemoryStore }, { courseSchedule }, { LiveCourse }, { NO_ANNOUNCEMENTS }, { pino }] =
    await Promise.all([
      import('../src/course-file/read.js'),
      import('../src/core/course/changes.js'),
      import('../src/core/commands/registry.js'),
      import('../src/core/commands/today.js'),
      import('../src/core/commands/resources.js'),
      import('../src/store/memory-store.js'),
      import('../src/schedule/course-schedule.js'),
      import('../src/course-file/live-course.js'),
      import('../src/schedule/publisher.js'),
      import('pino'),
    ]);
  let text: string | undefined = readFileSync(path, 'utf8');
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  let started = performance.now();
  const loaded = parseCourseText(text, 'course.yaml');
  figures.load_validate_ms = performance.now() - started;
  // What a running bot keeps: the course, not the text it was read from (a reader's values may share it).
  text = undefined;
  gc();
  figures.course_heap_mb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
  figures.heap_after_load_mb = process.memoryUsage().heapUsed / 2 ** 20;
  figures.rss_after_load_mb = process.memoryUsage().rss / 2 ** 20;

  started = performance.now();
  const applied = applyChanges(loaded.file, []);
  figures.effective_no_changes_ms = performance.now() - started;

  const course = applied.course;
  const now = new Date(Date.parse(`${course.sessions[Math.floor(course.sessions.length / 2)]!.date}T07:00:00Z`));
  const context = { course, now, commands };
  const find = (name: string, group?: string) => commands.find((command) => command.name === name && command.group === group)!;
  const cases: [string, () => unknown][] = [
    ['today', () => find('today').run(context, {})],
    ['today_date', () => find('today').run(context, { date: course.sessions.at(-3)!.date })],
    ['tomorrow', () => find('tomorrow').run(context, {})],
    ['week', () => find('week').run(context, {})],
    ['next', () => find('next').run(context, {})],
    ['schedule', () => find('schedule').run(context, {})],
    ['resources', () => find('resources').run(context, {})],
    ['resources_topic', () => find('resources').run(context, { topic: 'hydra' })],
    ['resources_nothing', () => find('resources').run(context, { topic: 'zzz' })],
    ['setup', () => find('setup').run(context, {})],
    ['help', () => find('help').run(context, {})],
    ['autocomplete_date', () => suggestSessionDates(context, '')],
    ['autocomplete_date_typed', () => suggestSessionDates(context, '2031-0')],
    ['autocomplete_topic', () => suggestTopics(course, 'h')],
  ];
  for (const [name, run] of cases) {
    let at = performance.now();
    await run();
    figures[`${name}_first_ms`] = performance.now() - at;
    const warm: number[] = [];
    for (let index = 0; index < WARM; index += 1) {
      at = performance.now();
      await run();
      warm.push(performance.now() - at);
    }
    figures[`${name}_warm_ms`] = median(warm);
  }

  // An instructor's edit: stored, the effective course read again (the course-file rules checked), and the
  // schedule published (compared with what students were told, and stored).
  const logger = pino({ level: 'silent' });
  const store = new MemoryStore();
  const live = new LiveCourse({ path, label: 'course.yaml', initial: loaded, logger });
  const schedule = courseSchedule({ live, store, clock: { now: () => now }, logger });
  schedule.publisher.connect(NO_ANNOUNCEMENTS);
  started = performance.now();
  void schedule.effective.course;
  figures.effective_first_read_ms = performance.now() - started;
  const edits: number[] = [];
  // The first edit and its publish are the cold ones (the first record of the schedule is written); the
  // next ones are timed, as the warm runs of the commands above are.
  for (let index = 0; index <= 2 * WARM; index += 1) {
    const at = performance.now();
    await schedule.admin.change({ kind: 'edit', date: course.sessions[index]!.date, topic: `Edited ${index}` }, { platform: 'cli', id: 'bench' });
    void schedule.effective.course;
    // With the schedule it publishes (compared with the one students were told, and stored).
    await schedule.publisher.settle();
    if (index > 0) edits.push(performance.now() - at);
  }
  figures.course_edit_warm_ms = median(edits);

  // The same file through the full reader alone: what a file with a problem (or anchors, tags, JSON style)
  // costs; a sound file in block style is read by the quick reader (src/course-file/quick-read.ts).
  started = performance.now();
  parseCourseText(readFileSync(path, 'utf8'), 'course.yaml', { quick: false });
  figures.load_validate_full_reader_ms = performance.now() - started;
  process.stdout.write(`${JSON.stringify(figures)}\n`);
}


function runChild(path: string): Figures {
  const result = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', fileURLToPath(import.meta.url), '--child', path], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`bench-scale child failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Figures;
}

function format(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 1 ? value.toFixed(2) : value.toFixed(3);
}

/** `<metric> ours= baseline= ratio=` of the medians, each with its spread. */
function line(metric: string, a: readonly number[], b: readonly number[], unit: string): string {
  const [oursMedian, baseMedian] = [median(a), median(b)];
  return (
    `${metric} ours=${format(oursMedian)}${unit} [${format(Math.min(...a))}–${format(Math.max(...a))}] ` +
    `baseline=${format(baseMedian)}${unit} [${format(Math.min(...b))}–${format(Math.max(...b))}] ratio=${(oursMedian / baseMedian).toFixed(2)}`
  );
}

/** The CPU time (ms) of this process's children that have ended (Linux: /proc/self/stat cutime + cstime, 100 ticks a second). */
function childrenCpu(): number {
  try {
    const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ');
    return (Number(fields[13]) + Number(fields[14])) * 10;
  } catch {
    return Number.NaN;
  }
}

/** Wall and CPU time (ms) of a process, as the user runs it. */
function timedProcess(args: readonly string[]): { wall: number; cpu: number } {
  const cpuBefore = childrenCpu();
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, COURSE_FILE: '', LOG_LEVEL: 'silent' } });
  const wall = performance.now() - started;
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${result.stderr}`);
  return { wall, cpu: childrenCpu() - cpuBefore };
}

/**
 * `course-bot validate` (the compiled CLI, dist/) of the seed course and of the big course, against a bare
 * `node -e ''` (what starting Node costs at all), interleaved.
 */
function benchValidate(big: string): string[] {
  const seed: { wall: number; cpu: number }[] = [];
  const large: { wall: number; cpu: number }[] = [];
  const bare: { wall: number; cpu: number }[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    seed.push(timedProcess(['dist/cli.js', 'validate']));
    large.push(timedProcess(['dist/cli.js', 'validate', big]));
    bare.push(timedProcess(['-e', '']));
  }
  const wall = (runs: typeof seed) => runs.map((run) => run.wall);
  const cpu = (runs: typeof seed) => runs.map((run) => run.cpu);
  return [
    `# course-bot validate (node dist/cli.js validate) against a bare node -e ''; targets: seed ≤ 500 ms, ${SESSIONS} sessions ≤ 1000 ms (wall)`,
    line('cli_validate_seed_wall', wall(seed), wall(bare), 'ms'),
    line('cli_validate_seed_cpu', cpu(seed), cpu(bare), 'ms'),
    line(`cli_validate_${SESSIONS}_wall`, wall(large), wall(bare), 'ms'),
    line(`cli_validate_${SESSIONS}_cpu`, cpu(large), cpu(bare), 'ms'),
  ];
}

/** Runs the big course and the seed course interleaved, `RUNS` times each; the benchmark lines. */
export function benchScale(): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'course-bot-bench-scale-'));
  try {
    const big = join(dir, 'big.yaml');
    writeFileSync(big, bigCourseYaml(SESSIONS));
    const ours: Figures[] = [];
    const baseline: Figures[] = [];
    for (let run = 0; run < RUNS; run += 1) {
      ours.push(runChild(big));
      baseline.push(runChild(SEED));
    }
    const lines = [
      `# ${SESSIONS}-session course (ours) against the seed course (baseline, 15 sessions), in-process; median of ${RUNS} processes each [min–max]`,
      '# targets: every command ≤ 5 ms warm and ≤ 50 ms first after a load; load + validate ≤ 1000 ms; heap after load ≤ 1.5×',
    ];
    for (const metric of Object.keys(ours[0]!)) {
      const unit = metric.endsWith('_mb') ? 'MB' : 'ms';
      lines.push(line(`scale_${metric.replace(/_(ms|mb)$/, '')}`, ours.map((figures) => figures[metric]!), baseline.map((figures) => figures[metric]!), unit));
    }
    lines.push(...benchValidate(big));
    return lines;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') {
  await child(process.argv[3]!);
} else if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const line of benchScale()) console.log(line);
}
