/**
 * Part of `npm run bench`: 200 courses in one process, each announcing in its own channel of one guild on the
 * local fake Discord (which enforces Discord's global rate limit, 50 requests/s), all at the same minute. Built
 * from the units main composes (`CourseRuntime` per course, one Discord platform, `forCourse` per course), in
 * this process. Prints, each as the median of interleaved runs with the spread (min–max):
 * - `courses_200_fanout`: from 08:00 until every course's announcement is posted, against the bound the rate
 *   limit sets (one POST per course / 50 per second); each run's ratio, that every post went out once, the 429s
 *   the fake answered in each run, and when (medians) the first and the last post reached the fake;
 * - `courses_rss_per_added_course`: RSS with 200 courses minus RSS with 1, per added course, against the RSS of
 *   this process with one course (which holds the fake Discord and tsx too: a one-course bot process alone is
 *   about 106 MB at READY in the Discord part, so the ratio understates what separate processes would cost);
 * - `courses_200_command_p99`: /today answered while the fan-out runs, against the same with one course.
 * Alone: `tsx scripts/bench-courses.ts` (`BENCH_COURSES`, `BENCH_COURSES_RUNS`; `BENCH_DEBUG=1` adds, on stderr,
 * how long start-up and the 08:00 runs took and every kind of request the fake received).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { DateTime } from 'luxon';
import { loadConfig } from '../src/config.js';
import { type Clock, shiftedClock } from '../src/core/clock.js';
import { CourseRuntime, InstructorLine } from '../src/courses/runtime.js';
import { courseScopes } from '../src/courses/scope.js';
import { createLogger } from '../src/log.js';
import { discordPlatform } from '../src/platforms/discord/platform.js';
import type { Platform } from '../src/platforms/platform.js';
import { SqliteStore } from '../src/store/sqlite-store.js';
import { FakeDiscord, chatInput } from '../test/fakes/discord/index.js';
import { median } from './bench/stats.js';

const COURSES = Number(process.env.BENCH_COURSES ?? 200);
const RUNS = Number(process.env.BENCH_COURSES_RUNS ?? 3);
const GLOBAL_PER_SECOND = 50;
const GUILD = '1100000000000000001';
const channelOf = (index: number) => `13${String(index).padStart(16, '0')}`;

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(Math.ceil((p / 100) * sorted.length) - 1, 0))] ?? Number.NaN;
}

function rssMb(): number {
  const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? Number.NaN);
  return kb / 1024;
}

interface Figures {
  fanoutMs: number;
  postedOnce: boolean;
  rssMb: number;
  commandP99: number;
  /** /today sent during the fan-out, and how many of them were answered too late (past Discord's 3 s). */
  commands: number;
  expired: number;
  /** Requests the fake answered 429 (Discord's global limit) during the run. */
  limited: number;
  /** From 08:00 until the fake received the first, and the last, announcement. */
  firstPostMs: number;
  lastPostMs: number;
}

/** `count` courses in this process, announcing at 08:00; measured from 07:59:57. */
async function run(count: number): Promise<Figures> {
  const channels = Array.from({ length: count }, (_, index) => channelOf(index));
  const fake = await FakeDiscord.start({ globalRateLimit: GLOBAL_PER_SECOND, guilds: [{ id: GUILD, channels }] });
  const dir = mkdtempSync(join(tmpdir(), 'course-bot-bench-courses-'));
  const logger = createLogger({ level: 'error' });
  const config = loadConfig({
    dotenv: false,
    env: { DISCORD_TOKEN: fake.token, DISCORD_API_URL: fake.apiUrl, DISCORD_GUILD_ID: GUILD, STATE_DB: join(dir, 'state.db'), LOG_LEVEL: 'error' },
  });
  const store = new SqliteStore(config.stateDb);
  const runtimes: CourseRuntime[] = [];
  let platform: Platform | undefined;
  const start = DateTime.fromISO('2027-01-05T07:59:57', { zone: 'Europe/Copenhagen' }).toJSDate();
  try {
    // Loading 200 courses and starting the platform can take longer than the 3 s before 08:00 on a busy machine:
    // the clock reads 07:59:57 again once they are ready, so the figure is the fan-out, not the start-up.
    let shifted = shiftedClock(start);
    const clock: Clock = { now: () => shifted.now() };
    // Each course its own file and id (as in COURSES_DIR, where ids are unique): the bundled course, renamed.
    // All written before any is watched.
    const seed = readFileSync(config.courseFile, 'utf8');
    const files = channels.map((_, index) => join(dir, `course-${index}.yaml`));
    for (const [index, path] of files.entries()) writeFileSync(path, seed.replace(/^(\s+)id: mlops$/m, `$1id: course-${index}`));
    for (const [index, channel] of channels.entries()) {
      const path = files[index]!;
      runtimes.push(
        await CourseRuntime.load({
          config,
          store: () => store,
          logger,
          instructors: new InstructorLine(logger),
          clock: () => clock,
          file: { path, label: `course-${index}.yaml` },
          targets: () => ({ discord: { guildId: GUILD, announceChannelId: channel, channels: [] } }),
        }),
      );
    }
    platform = await discordPlatform.start({
      config,
      store,
      clock,
      logger,
      scopes: courseScopes(() => runtimes),
      targets: () => runtimes.map((runtime) => runtime.targets),
    });
    await platform.ready;
    shifted = shiftedClock(start);
    const starting = performance.now();
    for (const runtime of runtimes) runtime.start([platform.forCourse({ targets: runtime.targets, reminders: runtime.reminders })]);
    if (process.env.BENCH_DEBUG) console.error(`${count} courses started in ${(performance.now() - starting).toFixed(0)} ms`);
    const eight = start.getTime() + 3_000;
    if (process.env.BENCH_DEBUG) {
      // Set after every announcer's timer for 08:00: how long their runs keep the event loop from anything else.
      setTimeout(() => {
        const fired = performance.now();
        setImmediate(() => console.error(`${count} announcer runs at 08:00 held the event loop ${(performance.now() - fired).toFixed(0)} ms after the last timer`));
      }, eight - clock.now().getTime() + 20);
    }
    const announced = () => channels.every((channel) => fake.messages(channel).length > 0);
    // /today while the fan-out runs, one at a time.
    const times: number[] = [];
    let fanning = true;
    let expired = 0;
    const commands = (async () => {
      while (fanning) {
        const began = performance.now();
        // An answer later than Discord's 3 s is refused by the fake ("Unknown interaction"): counted, and its
        // time kept.
        await fake.interact(chatInput('today', [], { guild_id: GUILD, channel_id: channels[0]! }), { timeoutMs: 10_000 }).catch(() => (expired += 1));
        times.push(performance.now() - began);
      }
    })();
    await fake.waitFor(() => (announced() ? true : undefined), { timeoutMs: 300_000, what: 'every announcement' });
    const fanoutMs = clock.now().getTime() - eight;
    fanning = false;
    await commands;
    await sleep(1_000);
    const postedOnce = channels.every((channel) => fake.messages(channel).length === 1);
    // The fake's clock is this machine's; 08:00 on the shifted clock is `shift` ms after it.
    const shift = clock.now().getTime() - Date.now();
    const posts = fake.requests.filter((request) => request.method === 'POST' && request.status === 200 && request.path.endsWith('/messages'));
    if (process.env.BENCH_DEBUG) {
      const kinds = new Map<string, number[]>();
      for (const request of fake.requests) {
        const kind = `${request.method} ${request.path.replace(/\/interactions\/.*/, "/interactions").replace(/\d{5,}/g, ":id")} ${request.status}`;
        kinds.set(kind, [...(kinds.get(kind) ?? []), request.at + shift - eight]);
      }
      for (const [kind, at] of kinds) console.error(`${count} ${kind} n=${at.length} first=${Math.min(...at).toFixed(0)} last=${Math.max(...at).toFixed(0)}`);
    }
    const arrived = posts.map((request) => request.at + shift - eight);
    return {
      fanoutMs,
      postedOnce,
      rssMb: rssMb(),
      commandP99: percentile(times, 99),
      commands: times.length,
      expired,
      limited: fake.globalRateLimit?.limited ?? 0,
      firstPostMs: Math.min(...arrived),
      lastPostMs: Math.max(...arrived),
    };
  } finally {
    for (const runtime of runtimes) {
      await runtime.stop();
      runtime.close();
    }
    await platform?.stop();
    store.close();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const spread = (values: readonly number[], digits = 1) => `(${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`;

/** The lines of this benchmark. */
export async function benchCourses(): Promise<string[]> {
  const many: Figures[] = [];
  const one: Figures[] = [];
  // Interleaved: one course, then many, and so on (this process's heap carries over; the order alternates).
  for (let index = 0; index < RUNS; index += 1) {
    for (const count of index % 2 ? [COURSES, 1] : [1, COURSES]) (count === 1 ? one : many).push(await run(count));
  }
  const boundMs = (COURSES / GLOBAL_PER_SECOND) * 1000;
  const fanout = many.map((figures) => figures.fanoutMs);
  const perCourse = many.map((figures, index) => (figures.rssMb - one[index]!.rssMb) / (COURSES - 1));
  const oneRss = one.map((figures) => figures.rssMb);
  const p99 = many.map((figures) => figures.commandP99);
  const p99One = one.map((figures) => figures.commandP99);
  return [
    `# ${COURSES} courses in one process, one channel each, all announcing at 08:00; fake Discord at ${GLOBAL_PER_SECOND} requests/s; median of ${RUNS} interleaved runs (min–max)`,
    `courses_${COURSES}_fanout ours=${median(fanout).toFixed(0)}ms ${spread(fanout, 0)} baseline=${boundMs.toFixed(0)}ms (the rate-limit bound) ratio=${(median(fanout) / boundMs).toFixed(3)} runs=${fanout.map((ms) => (ms / boundMs).toFixed(3)).join(',')} every_post_once=${many.every((figures) => figures.postedOnce)} 429s=${many.map((figures) => figures.limited).join(',')} first_post=${median(many.map((figures) => figures.firstPostMs)).toFixed(0)}ms last_post=${median(many.map((figures) => figures.lastPostMs)).toFixed(0)}ms`,
    `courses_rss_per_added_course ours=${median(perCourse).toFixed(3)}MB ${spread(perCourse, 3)} baseline=${median(oneRss).toFixed(1)}MB ${spread(oneRss)} (this bench process with one course, the fake Discord in it) ratio=${(median(perCourse) / median(oneRss)).toFixed(4)}`,
    `courses_${COURSES}_command_p99_during_fanout ours=${median(p99).toFixed(1)}ms ${spread(p99)} baseline=${median(p99One).toFixed(1)}ms ${spread(p99One)} (one course) ratio=${(median(p99) / median(p99One)).toFixed(3)} expired=${many.map((figures) => `${figures.expired}/${figures.commands}`).join(',')}`,
  ];
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  for (const result of await benchCourses()) console.log(result);
  process.exit(0);
}
