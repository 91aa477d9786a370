import { describe, expect, it } from 'vitest';
import { runCommandLine } from '../../../src/core/commands/parse.js';
import { commands } from '../../../src/core/commands/registry.js';
import { isUserFacingError } from '../../../src/core/errors.js';
import { loadCourseFile } from '../../../src/course-file/read.js';
import { at } from '../../support/course.js';

const course = loadCourseFile('data/course.yaml').course;

/** A small seeded generator (the same lines on every run). */
function generator(seed: number) {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) % 2147483648) / 2147483648;
  return <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)]!;
}

const NAMES = ['/today', '/tomorrow', '/week', '/next', '/schedule', '/resources', '/setup', '/remind', '/help', '/WEEK', 'week', '/tody', '/', '/course', '/week number:', '/today date:'];
const ARGS = [
  '1', '0', '-1', '9999', '10000', '1e3', '0x10', '2.5', '99999999999999999999', 'NaN', 'Infinity', '2027-01-05', '2027-02-30',
  '05/01/2027', 'tomorrow', '"', "'", '\u201Copen', '"a b"', "don't", 'w&b', 'c++', 'ci/cd', '@everyone', '<script>', '`code`',
  '\u200B', '\u202E', '\u0000', '\t', '😀', '漢字', 'a'.repeat(3000), 'number:2', 'topic:git', 'date:', ':', '\\', '__proto__',
  'constructor', 'topic:__proto__', 'toString',
];
const INSTANTS = ['2026-06-01T10:00', '2027-01-04T08:59', '2027-01-09T12:00', '2027-01-22T23:59', '2028-01-01T00:00'];

describe('hostile and half-typed command lines', () => {
  it('each gets an answer or a short, clean refusal, never another error', async () => {
    const pick = generator(2027);
    const outcomes = { answered: 0, refused: 0 };
    for (let index = 0; index < 1500; index += 1) {
      const words = Array.from({ length: Math.floor(pick([0, 1, 2, 3, 4])) }, () => pick(ARGS));
      const line = [pick(NAMES), ...words].join(pick([' ', '  ', '\t']));
      const now = at(course, pick(INSTANTS));
      let answer;
      try {
        answer = await runCommandLine(line, { course, now, commands, instructor: pick([true, false]) });
      } catch (error) {
        if (!isUserFacingError(error)) throw new Error(`${JSON.stringify(line.slice(0, 80))} threw ${String(error)}`);
        expect(error.message.length, line).toBeLessThanOrEqual(300);
        expect(error.message, line).not.toMatch(/[\p{Cc}\u202E]/u);
        outcomes.refused += 1;
        continue;
      }
      // What the user typed may come back in quotes; nothing else may read "undefined" or "NaN".
      expect(answer.text.replace(/"[^"]*"/g, ''), line).not.toMatch(/\bundefined\b|\bNaN\b|\[object /);
      outcomes.answered += 1;
    }
    expect(outcomes.answered + outcomes.refused).toBe(1500);
    expect(outcomes.answered).toBeGreaterThan(100);
  });
});
