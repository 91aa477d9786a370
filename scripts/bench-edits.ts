/**
 * `npx tsx scripts/bench-edits.ts [edits…]`: the cost of a `/course edit` as the stored history grows. For each
 * count, a new state database and the seed course; that many edits through `CourseAdmin.change` (stored, the
 * effective course read back, the change published), one after another. Prints the total and the mean time of
 * the last 20 edits. `BENCH_PREFILL=1` stores all but the last 20 edits directly (no schedule in between) and
 * times only those 20: the per-edit cost at that history without waiting for the whole run.
 * Not a test: it asserts nothing, it measures.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { systemClock } from '../src/core/clock.js';
import type { ScheduleChange } from '../src/core/course/changes.js';
import { LiveCourse } from '../src/course-file/live-course.js';
import { loadCourseFile } from '../src/course-file/read.js';
import { courseSchedule } from '../src/schedule/course-schedule.js';
import { NO_ANNOUNCEMENTS } from '../src/schedule/publisher.js';
import { SqliteStore } from '../src/store/sqlite-store.js';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');
const COURSE = join(ROOT, 'data', 'course.yaml');
const LAST = 20;
const prefill = process.env.BENCH_PREFILL === '1';
const actor = { platform: 'cli', id: 'bench' };

async function run(edits: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'course-bot-bench-edits-'));
  const store = new SqliteStore(join(dir, 'state.db'));
  try {
    const logger = pino({ level: 'silent' });
    const initial = loadCourseFile(COURSE, 'course.yaml');
    const live = new LiveCourse({ path: COURSE, label: 'course.yaml', initial, logger });
    const { effective, admin, publisher } = courseSchedule({ live, store, clock: systemClock, logger });
    publisher.connect(NO_ANNOUNCEMENTS);
    const dates = initial.course.sessions.map((session) => session.date);
    const change = (index: number): ScheduleChange => ({ kind: 'edit', date: dates[index % dates.length]!, topic: `Topic ${index}` });
    const first = prefill ? Math.max(0, edits - LAST) : 0;
    for (let index = 0; index < first; index += 1) store.addChange(initial.course.id, change(index), actor, Date.now());
    void effective.course;
    const times: number[] = [];
    const started = performance.now();
    for (let index = first; index < edits; index += 1) {
      const before = performance.now();
      await admin.change(change(index), actor);
      await publisher.settle();
      times.push(performance.now() - before);
    }
    const total = performance.now() - started;
    const last = times.slice(-LAST);
    const mean = last.reduce((sum, ms) => sum + ms, 0) / last.length;
    const timed = prefill ? `timed=${times.length}` : `total=${(total / 1000).toFixed(2)}s`;
    console.log(`edits=${edits} sessions=${dates.length} ${timed} last${LAST}-mean=${mean.toFixed(2)}ms`);
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const counts = process.argv.slice(2).map(Number);
for (const edits of counts.length ? counts : [200, 1000]) await run(edits);
