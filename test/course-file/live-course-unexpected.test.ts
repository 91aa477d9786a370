import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LiveCourse } from '../../src/course-file/live-course.js';
import type * as Parse from '../../src/core/course/parse.js';
import { loadCourseFile } from '../../src/course-file/read.js';
import { captureLogger } from '../support/log.js';

// A bug nobody has found yet: validating a course whose name holds the marker throws what the
// schema never should. The real validation runs for every other file.
vi.mock('../../src/core/course/parse.js', async (importOriginal) => {
  const actual = await importOriginal<typeof Parse>();
  return {
    ...actual,
    parseCourse: (input: unknown) => {
      if (JSON.stringify(input).includes('TRIGGER-A-BUG')) throw new RangeError('not a date: null');
      return actual.parseCourse(input);
    },
  };
});

// Made before the tests, not when they are collected: a run that filters them all out leaves nothing.
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'course-bot-live-bug-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const seed = readFileSync('data/course.yaml', 'utf8');

describe('LiveCourse with an unexpected error inside a reload', () => {
  it('refuses the file in one line, logs the stack at error level, and keeps the last good course', () => {
    const path = join(dir, 'course.yaml');
    writeFileSync(path, seed);
    const { logger, lines } = captureLogger();
    const refused: string[] = [];
    const live = new LiveCourse({ path, label: 'course.yaml', initial: loadCourseFile(path), logger, onInvalid: (error) => refused.push(error.message) });
    writeFileSync(path, seed.replace('name: Machine Learning Operations', 'name: TRIGGER-A-BUG'));
    const result = live.reload('file changed');
    expect(result.ok).toBe(false);
    expect(refused).toEqual([
      'course.yaml: 1 problem\ncourse.yaml could not be checked (RangeError: not a date: null): a bug in course-bot, please report it with the file',
    ]);
    expect(live.course.name).toBe('Machine Learning Operations');
    const logged = lines.map((line) => JSON.parse(line) as { level: number; msg: string; err?: { stack: string } });
    const refusal = logged.find((line) => line.msg === 'course file refused; the last good schedule stays live');
    expect(refusal?.level).toBe(50);
    expect(refusal?.err?.stack).toMatch(/^RangeError: not a date: null\n\s+at /);
    // Fixed again: accepted, with the all-clear.
    writeFileSync(path, seed.replace('name: Machine Learning Operations', 'name: MLOps'));
    expect(live.reload('file changed')).toEqual({ ok: true, changed: true, recovered: true });
    expect(live.course.name).toBe('MLOps');
  });
});
