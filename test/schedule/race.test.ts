import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { addDays } from '../../src/core/course/dates.js';
import { LiveCourse } from '../../src/course-file/live-course.js';
import { loadCourseFile } from '../../src/course-file/read.js';
import { testSchedule } from '../support/schedule.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { courseDoc } from '../support/course.js';
import { captureLogger } from '../support/log.js';
import { race } from '../store/racers.js';

const dir = mkdtempSync(join(tmpdir(), 'course-bot-schedule-race-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The demo course has sessions up to Tuesday 2027-01-12; every date from the 18th on is free.
const DATES = Array.from({ length: 60 }, (_unused, index) => addDays('2027-01-18', index));

/** Instance `me`: its store, course file and schedule, in a racing child process (script text). */
const INSTANCE = (course: string, db: string) => `
  const { pino } = await import('pino');
  const { LiveCourse } = await import('./src/course-file/live-course.ts');
  const { loadCourseFile } = await import('./src/course-file/read.ts');
  const { courseSchedule } = await import('./src/schedule/course-schedule.ts');
  const { SqliteStore } = await import('./src/store/sqlite-store.ts');
  const me = process.argv[1];
  const logger = pino({ level: 'silent' });
  const store = new SqliteStore(${JSON.stringify(db)});
  const live = new LiveCourse({ path: ${JSON.stringify(course)}, label: 'course.yaml', initial: loadCourseFile(${JSON.stringify(course)}), logger });
  const { NO_ANNOUNCEMENTS } = await import('./src/schedule/publisher.ts');
  const units = courseSchedule({ live, store, clock: { now: () => new Date('2027-01-05T09:00:00Z') }, logger });
  units.publisher.connect(NO_ANNOUNCEMENTS);
  const schedule = { change: (change, actor) => units.admin.change(change, actor), settle: () => units.publisher.settle() };
  void units.effective.course;
  const attempt = async (change) => {
    try {
      await schedule.change(change, { platform: 'test', id: me });
      return { date: change.date ?? change.from, ok: true, text: '' };
    } catch (error) {
      return { date: change.date ?? change.from, ok: false, text: error.name + ': ' + error.message };
    }
  };
`;

interface Outcome {
  readonly date: string;
  readonly ok: boolean;
  readonly text: string;
}

describe('two instances changing the schedule at the same moment', () => {
  it('both adding a session on the same free date: one is stored, the other refused with why; none is skipped later', { timeout: 120_000 }, async () => {
    const course = join(dir, 'course.yaml');
    const db = join(dir, 'state.db');
    writeFileSync(course, stringify(courseDoc()));
    new SqliteStore(db).close();
    // Each instance adds every date in turn, as two instructors on two instances would, at the same time.
    const script = `
      ${INSTANCE(course, db)}
      ready();
      await start;
      const outcomes = [];
      for (const date of ${JSON.stringify(DATES)}) outcomes.push(await attempt({ kind: 'add', date, topic: 'Extra by ' + me }));
      await schedule.settle();
      store.close();
      process.stdout.write(JSON.stringify(outcomes));
    `;
    const [a, b] = await race<Outcome[]>(script, ['a', 'b']);

    for (const [index, date] of DATES.entries()) {
      const pair = [a![index]!, b![index]!];
      expect(pair.map((outcome) => outcome.date)).toEqual([date, date]);
      // Exactly one "Done"; the other is told the date is taken, by whom, and what to do instead.
      expect(pair.filter((outcome) => outcome.ok), date).toHaveLength(1);
      const refused = pair.find((outcome) => !outcome.ok)!;
      expect(refused.text).toMatch(new RegExp(`^UserFacingError: ${date} already has a session \\(Extra by [ab]\\); use edit to change it\\.$`));
    }

    // Stored: one add per date, each the winner's; applied, none skipped.
    const store = new SqliteStore(db);
    try {
      const stored = store.listChanges('demo');
      expect(stored.map((record) => record.change.kind === 'add' && record.change.date).sort()).toEqual(DATES);
      const { logger } = captureLogger();
      const live = new LiveCourse({ path: course, label: 'course.yaml', initial: loadCourseFile(course), logger });
      const schedule = testSchedule({ live, store, clock: { now: () => new Date('2027-01-05T09:00:00Z') }, logger });
      expect(schedule.history().filter((entry) => entry.skipped !== undefined)).toEqual([]);
      for (const [index, date] of DATES.entries()) {
        const winner = a![index]!.ok ? 'a' : 'b';
        expect(schedule.course.sessions.find((session) => session.date === date)?.topic).toBe(`Extra by ${winner}`);
      }
    } finally {
      store.close();
    }
  });

  it('one cancelling a session while the other moves it: never both stored when one no longer fits', { timeout: 120_000 }, async () => {
    const course = join(dir, 'course-2.yaml');
    const db = join(dir, 'state-2.db');
    writeFileSync(course, stringify(courseDoc()));
    const seed = new SqliteStore(db);
    for (const date of DATES) seed.addChange('demo', { kind: 'add', date, topic: `Session ${date}` }, { platform: 'test', id: 'seed' }, 0);
    seed.close();
    // a cancels each session; b moves each one 100 days on. A cancel after the move finds no session: it must be
    // refused then, not stored and skipped when the schedule is read.
    const script = `
      ${INSTANCE(course, db)}
      const { addDays } = await import('./src/core/course/dates.ts');
      ready();
      await start;
      const outcomes = [];
      for (const date of ${JSON.stringify(DATES)}) {
        outcomes.push(await attempt(me === 'a' ? { kind: 'cancel', date, reason: 'ill' } : { kind: 'move', from: date, to: addDays(date, 100) }));
      }
      await schedule.settle();
      store.close();
      process.stdout.write(JSON.stringify(outcomes));
    `;
    const [a, b] = await race<Outcome[]>(script, ['a', 'b']);
    // The move always fits (a cancelled session moves, cancelled); the cancel fits only before it.
    expect(b!.filter((outcome) => !outcome.ok)).toEqual([]);
    for (const outcome of a!.filter((entry) => !entry.ok)) {
      expect(outcome.text).toBe(`UserFacingError: There is no session on ${outcome.date} to cancel.`);
    }

    const store = new SqliteStore(db);
    try {
      const { logger } = captureLogger();
      const live = new LiveCourse({ path: course, label: 'course.yaml', initial: loadCourseFile(course), logger });
      const schedule = testSchedule({ live, store, clock: { now: () => new Date('2027-01-05T09:00:00Z') }, logger });
      expect(schedule.history().filter((entry) => entry.skipped !== undefined)).toEqual([]);
      expect(store.listChanges('demo')).toHaveLength(DATES.length * 2 + a!.filter((outcome) => outcome.ok).length);
      for (const [index, date] of DATES.entries()) {
        const moved = schedule.course.sessions.find((session) => session.date === addDays(date, 100));
        expect(moved?.topic).toBe(`Session ${date}`);
        expect(moved?.cancelled).toEqual(a![index]!.ok ? { reason: 'ill' } : undefined);
      }
    } finally {
      store.close();
    }
  });
});
