import { describe, expect, it, vi } from 'vitest';
import { parseCourseText } from '../../src/course-file/read.js';
import { YAML_LIMITS } from '../../src/course-file/yaml-guard.js';
import { bigCourseYaml, outcome } from '../support/course-file.js';

// What the hostile tester built inside the old limits: files that took minutes, or expanded to gigabytes.
// Each is now a one-line refusal naming its limit, or valid and checked in one pass. (No test here times
// anything: the old code fails them by its answer, or by running past the test's timeout.)

const GOOD = `course:
  id: demo
  name: Demo
  timezone: Europe/Copenhagen
  start: 2027-01-04
weeks:
  - number: 1
    sessions:
      - day: monday
        topic: Intro
        frameworks: [PyTorch]
      - day: tuesday
        topic: Second
`;

function problems(text: string, file = 'course.yaml'): readonly string[] {
  return outcome(() => parseCourseText(text, file)).lines;
}

describe('what a course file can expand to', () => {
  it('refuses aliases of one long text past 10 MB of text, naming the limit (450 aliases of 1 MB took 2 GB)', () => {
    const aliases = (count: number) =>
      `x-s: &s "${'A'.repeat(1_000_000)}"\n${GOOD.replace('frameworks: [PyTorch]', `frameworks: [${Array(count).fill('*s').join(', ')}]`)}`;
    expect(problems(aliases(11))).toEqual([
      'course.yaml:12:21 with its aliases (*name) expanded, the file holds more than 10,485,760 characters of text (10 MB); ' +
        'a course file may hold at most that many (repeat a long text fewer times)',
    ]);
    // The anchor and nine aliases: as much text as the largest file may hold.
    expect(parseCourseText(aliases(9), 'course.yaml').course.sessions[0]!.frameworks).toHaveLength(9);
  });

  it('refuses a mapping past 10,000 keys, and finds a key written twice among 10,000 with both lines', () => {
    const keys = (count: number) => Array.from({ length: count }, (_, index) => `  k${index}: 1\n`).join('');
    expect(problems(`${GOOD}x-many:\n${keys(10_001)}`)).toEqual([
      'course.yaml:10015:3 this mapping has 10,001 keys; a mapping in a course file may have at most 10,000',
    ]);
    expect(problems(`${GOOD}x-many:\n${keys(9_999)}  k17: 2\n`)).toEqual([
      'course.yaml:10014:3 x-many.k17: the key "k17" appears twice in this mapping (first on line 32): keep one',
    ]);
  });

  it('refuses more than 100,000 aliases, and resolves 100,000 (which took minutes) in one pass', () => {
    const list = (count: number) => `x-a: &a 1\nx-list: [${Array(count).fill('*a').join(',')}]\n`;
    expect(problems(`${GOOD}${list(100_001)}`)).toEqual([
      `course.yaml:15:${10 + 3 * 100_000} more than 100,000 aliases (*name) in the file; a course file may use at most that many`,
    ]);
    expect(parseCourseText(`${GOOD}${list(100_000)}`, 'course.yaml').course.sessions).toHaveLength(2);
  });

  it('refuses a file of more than a million YAML tokens before parsing it (a 10 MB file of them took the parser minutes)', () => {
    const text = `${GOOD}x-list: [${Array(YAML_LIMITS.tokens / 2).fill('1').join(',')}]\n`;
    expect(problems(text)).toEqual([
      'course.yaml is too long to be a course file: it has more than 1,000,000 YAML tokens (keys, values, dashes, commas, comments, ' +
        'line breaks); a course file may have at most that many (a course of 10,000 sessions has about 530,000)',
    ]);
  });

  it('reads a sound file of more than a million tokens with the quick reader, and lists its problems by field when it has some', () => {
    // One value a line, as people and `course-bot export` write: 350,000 values are 2,100,000 tokens.
    const list = `x-list:\n${'  - 1\n'.repeat(350_000)}`;
    expect(parseCourseText(`${GOOD}${list}`, 'course.yaml').course.sessions).toHaveLength(2);
    // The same file with a problem: the full reader, which locates problems, stops at the token limit, so
    // the problems the quick reader found are said, by field.
    expect(problems(`${GOOD.replace('day: tuesday', 'day: someday')}${list}`)).toEqual([
      expect.stringMatching(/^course\.yaml weeks\[0\]\.sessions\[1\]\.day: /),
    ]);
    // Without the quick reader, the length is what is said.
    expect(outcome(() => parseCourseText(`${GOOD}${list}`, 'course.yaml', { quick: false })).lines).toEqual([
      expect.stringMatching(/^course\.yaml is too long to be a course file: it has more than 1,000,000 YAML tokens/),
    ]);
  });

  it('counts the tokens in the one lexing pass that parses: a file too long and too deep is refused for its length, as before', () => {
    const text = `${GOOD}x-deep: ${'['.repeat(70)}1${']'.repeat(70)}\nx-list: [${Array(YAML_LIMITS.tokens / 2).fill('1').join(',')}]\n`;
    expect(problems(text)).toEqual([
      'course.yaml is too long to be a course file: it has more than 1,000,000 YAML tokens (keys, values, dashes, commas, comments, ' +
        'line breaks); a course file may have at most that many (a course of 10,000 sessions has about 530,000)',
    ]);
    // Under the token limit, the nesting is found at its place.
    expect(problems(`${GOOD}x-deep: ${'['.repeat(70)}1${']'.repeat(70)}\n`)).toEqual([
      'course.yaml:14:72 mappings and lists are nested more than 64 levels deep here; a course file may nest at most 64 (it needs about 6)',
    ]);
  });

  it('gives process.env back as it was after a parse (the parser reads a plain copy of it)', () => {
    const env = process.env;
    process.env.COURSE_BOT_TEST_MARK = 'kept';
    try {
      parseCourseText(GOOD, 'course.yaml');
      expect(problems('course: [')).not.toEqual([]);
      expect(process.env).toBe(env);
      expect(process.env.COURSE_BOT_TEST_MARK).toBe('kept');
    } finally {
      delete process.env.COURSE_BOT_TEST_MARK;
    }
  });

  it('keeps a course of 10,000 sessions within every limit', { timeout: 120_000 }, () => {
    expect(parseCourseText(bigCourseYaml(10_000), 'big.yaml').course.sessions).toHaveLength(10_000);
  });

  it('locates a hundred thousand wrong items instead of failing inside the schema (it overflowed the stack)', () => {
    const text = GOOD.replace('frameworks: [PyTorch]', `frameworks: [${Array(150_000).fill('[a]').join(',')}]`);
    const { lines, message } = outcome(() => parseCourseText(text, 'course.yaml'));
    expect(lines.slice(0, 2)).toEqual([
      'course.yaml:11:22 weeks[0].sessions[0].frameworks[0]: expected text, got a list',
      'course.yaml:11:26 weeks[0].sessions[0].frameworks[1]: expected text, got a list',
    ]);
    expect(lines).toHaveLength(101);
    expect(lines.at(-1)).toBe('course.yaml has 149900 more problems, not listed: fix these first');
    expect(message).not.toMatch(/RangeError|a bug in course-bot/);
  });

  it('refuses a key that is a list or a mapping in one line, and Node prints no warning', () => {
    const warning = vi.spyOn(process, 'emitWarning');
    try {
      expect(problems(`? [a, b]\n: c\n${GOOD}`)).toEqual([
        'course.yaml:1:3 a key is a list or a mapping here; a key in a course file is a name (such as topic:)',
      ]);
      expect(problems(`x-k: &k [a]\nx-m:\n  *k : 1\n${GOOD}`)).toEqual([
        'course.yaml:3:3 the key *k names a list or a mapping; a key in a course file is a name (such as topic:)',
      ]);
      expect(warning).not.toHaveBeenCalled();
    } finally {
      warning.mockRestore();
    }
  });

  it('gives a merge key, an alias as a key and __proto__ their meaning in plain data', () => {
    const text = `x-base: &base {format: project, topic: Shared}\nx-key: &key note\n${GOOD.replace(
      '      - day: tuesday\n        topic: Second\n',
      '      - <<: *base\n        day: tuesday\n        topic: Own\n        *key : A note\n',
    )}`;
    const session = parseCourseText(text, 'course.yaml').course.sessions[1]!;
    expect(session).toMatchObject({ format: 'project', topic: 'Own', note: 'A note' });
    expect(problems(GOOD.replace('  name: Demo', '  name: Demo\n  __proto__: {polluted: true}'))).toEqual([
      'course.yaml:4:3 course.__proto__: unknown field "__proto__" (known: id, name, timezone, start, dayStart, dayEnd, location, repository)',
    ]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
