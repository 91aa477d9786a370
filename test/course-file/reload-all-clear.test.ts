import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/core/clock.js';
import { runCommandLine } from '../../src/core/commands/parse.js';
import { commands } from '../../src/core/commands/registry.js';
import type { Actor } from '../../src/core/ports.js';
import { LiveCourse } from '../../src/course-file/live-course.js';
import { loadCourseFile } from '../../src/course-file/read.js';
import { testSchedule } from '../support/schedule.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { captureLogger } from '../support/log.js';

// Made before the tests, not when they are collected: a run that filters them all out leaves nothing.
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'course-bot-all-clear-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const seed = readFileSync('data/course.yaml', 'utf8');
const alice: Actor = { platform: 'discord', id: '42', name: 'alice' };

describe('/course reload after a refused course file', () => {
  it('says the file is accepted again, once, and the instructors are told', async () => {
    const path = join(dir, 'course.yaml');
    writeFileSync(path, seed);
    const { logger } = captureLogger();
    const told: string[] = [];
    // As main wires it.
    const live = new LiveCourse({
      path,
      label: 'data/course.yaml',
      initial: loadCourseFile(path, 'data/course.yaml'),
      logger,
      onInvalid: (error) => told.push(`The course file was not reloaded; the last good schedule stays live.\n${error.message}`),
      onRecovered: () => told.push('Course file accepted again'),
    });
    const store = new SqliteStore(join(dir, 'state.db'));
    try {
      const clock = fixedClock(new Date('2027-01-05T09:00:00Z'));
      const schedule = testSchedule({ live, store, clock, logger });
      const reload = async () => {
        const answer = await runCommandLine('/course reload', { course: schedule.course, now: clock.now(), commands, admin: schedule, actor: alice });
        return `${answer.title}: ${answer.description ?? ''}`;
      };
      writeFileSync(path, seed.replace('day: tuesday', 'day: tusday'));
      expect(await reload()).toBe('The course file was not reloaded: It has errors; the last good schedule stays live.');
      writeFileSync(path, seed);
      expect(await reload()).toBe(
        'The course file has not changed: Course file accepted again: its errors are fixed. Nothing to do: the schedule is already what the file says.',
      );
      expect(await reload()).toBe('The course file has not changed: Nothing to do: the schedule is already what the file says.');
      writeFileSync(path, '');
      await reload();
      writeFileSync(path, seed.replace('topic: Training in the sky', 'topic: Training in the clouds'));
      expect(await reload()).toBe(
        'Course file reloaded: Course file accepted again: its errors are fixed. The new schedule is live; changes in the next 7 days are announced.',
      );
      expect(told.map((text) => text.split('\n')[0])).toEqual([
        'The course file was not reloaded; the last good schedule stays live.',
        'Course file accepted again',
        'The course file was not reloaded; the last good schedule stays live.',
        'Course file accepted again',
      ]);
      await schedule.settle();
    } finally {
      store.close();
    }
  });
});
