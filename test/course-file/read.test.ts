import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDays } from '../../src/core/course/dates.js';
import { CourseFileError, formatIssue, loadCourseFile, parseCourseText } from '../../src/course-file/read.js';
import { bigCourseYaml, outcome } from '../support/course-file.js';

const GOOD = `course:
  id: demo
  name: Demo
  timezone: Europe/Copenhagen
  start: 2027-01-04
announcements:
  time: "08:00"
weeks:
  - number: 1
    sessions:
      - day: monday
        topic: Intro
        frameworks: [PyTorch]
      - day: tuesday
        date: 2027-01-05
        topic: Second
resources: []
`;

/** GOOD with the mistake from the format's documentation. */
const MISMATCH = GOOD.replace('day: tuesday', 'day: monday');

/** The problems of a course text, formatted as the CLI prints them. */
function problems(text: string, file = 'data/course.yaml'): string[] {
  try {
    parseCourseText(text, file);
  } catch (error) {
    if (error instanceof CourseFileError) return error.issues.map(formatIssue);
    throw error;
  }
  return [];
}

describe('course file errors', () => {
  it('name the file, line, column and field, as in the docs', () => {
    expect(problems(GOOD)).toEqual([]);
    expect(problems(MISMATCH)).toEqual([
      'data/course.yaml:15:9 weeks[0].sessions[1].date: 2027-01-05 is a Tuesday, but day says monday',
    ]);
  });

  it('are all reported at once, in file order', () => {
    const text = `course:
  id: Demo Course
  name: Demo
  timezone: Mars/Olympus
  start: 2027-01-04
  dayStart: "9h"
announcements:
  time: "25:00"
weeks:
  - number: 1
    sessions:
      - day: funday
        topic: Intro
        fraemworks: [PyTorch]
        resources: [nope]
      - date: 2027-01-01
      - topic: Nothing
  - number: 1
    sessions: []
resources:
  - id: docs
    title: Docs
    url: not a url
`;
    expect(problems(text)).toEqual([
      'data/course.yaml:2:3 course.id: must be a slug: lowercase letters, digits and single dashes',
      'data/course.yaml:4:3 course.timezone: Mars/Olympus is not a known IANA time zone (such as Europe/Copenhagen)',
      'data/course.yaml:6:3 course.dayStart: 9h is not a time (expected HH:MM, 00:00–23:59)',
      'data/course.yaml:8:3 announcements.time: 25:00 is not a time (expected HH:MM, 00:00–23:59)',
      'data/course.yaml:12:9 weeks[0].sessions[0].day: funday is not a weekday (expected one of monday, tuesday, wednesday, thursday, friday, saturday, sunday)',
      'data/course.yaml:14:9 weeks[0].sessions[0].fraemworks: unknown field "fraemworks" (did you mean "frameworks"?)',
      'data/course.yaml:15:21 weeks[0].sessions[0].resources[0]: unknown resource id "nope" (known: docs)',
      'data/course.yaml:16:9 weeks[0].sessions[1].date: 2027-01-01 is before the course starts (2027-01-04)',
      'data/course.yaml:17:9 weeks[0].sessions[2]: a session needs a day, a date or both',
      'data/course.yaml:18:5 weeks[1].number: week 1 is listed twice (also weeks[0])',
      'data/course.yaml:23:5 resources[0].url: not a url is not an http(s) URL: it has a space, a line break or a control character in it (write a space as %20)',
    ]);
  });

  it('report two sessions on one date and a date listed under the wrong week', () => {
    const text = GOOD.replace('      - day: tuesday\n        date: 2027-01-05', '      - date: 2027-01-04');
    expect(problems(text)).toEqual([
      'data/course.yaml:14:9 weeks[0].sessions[1].date: 2027-01-04 already has a session (weeks[0].sessions[0])',
    ]);
    const wrongWeek = GOOD.replace('      - day: tuesday\n        date: 2027-01-05', '      - date: 2027-01-12');
    expect(problems(wrongWeek)).toEqual([
      'data/course.yaml:14:9 weeks[0].sessions[1].date: 2027-01-12 lies in week 2 of a course starting 2027-01-04, but is listed under week 1',
    ]);
  });

  it('point at the parent when a required field is missing', () => {
    const text = GOOD.replace('  name: Demo\n', '');
    expect(problems(text)).toEqual(['data/course.yaml:2:3 course.name: is required']);
  });

  it('report YAML syntax errors and duplicate keys with their line', () => {
    expect(problems('course:\n  id: demo\n  id: again\n')).toEqual([
      'data/course.yaml:3:3 course.id: the key "id" appears twice in this mapping (first on line 2): keep one',
    ]);
    expect(problems('course: [unclosed\n')[0]).toMatch(/^data\/course\.yaml:\d+:\d+ /);
    // The library quotes the text it did not expect: cut, however long it is.
    expect(problems(`course: [a]\n]${'b '.repeat(500)}\n`)).toEqual([
      'data/course.yaml:2:1 Unexpected flow-seq-end token in YAML stream: "]"',
      `data/course.yaml:2:2 Unexpected scalar token in YAML stream: "${'b '.repeat(59)}…`,
    ]);
    // At most 100 problems are listed, then how many more there are.
    const many = problems(`- a\n]\n${'b\n'.repeat(500)}`);
    expect(many).toHaveLength(101);
    expect(many.at(-1)).toBe('data/course.yaml has 401 more problems, not listed: fix these first');
  });

  it('report a wrong type in plain words', () => {
    const text = GOOD.replace('  - number: 1', '  - number: one');
    expect(problems(text)).toEqual(['data/course.yaml:9:5 weeks[0].number: expected a week number, got string "one"']);
  });

  it('accept YAML merge keys, so project days can share their fields', () => {
    const text = `x-project: &project
  format: project
  note: Project work day
${GOOD.replace('      - day: tuesday\n        date: 2027-01-05\n        topic: Second', '      - <<: *project\n        day: tuesday')}`;
    const { course } = parseCourseText(text, 'x.yaml');
    expect(course.sessions[1]).toMatchObject({ date: '2027-01-05', format: 'project', note: 'Project work day' });
  });

  it('accept frameworks as a comma-separated string and weekday names in any case', () => {
    const text = GOOD.replace('frameworks: [PyTorch]', 'frameworks: PyTorch, Hydra').replace(
      'day: tuesday',
      'day: Tuesday',
    );
    const { course } = parseCourseText(text, 'x.yaml');
    expect(course.sessions[0]!.frameworks).toEqual(['PyTorch', 'Hydra']);
    expect(course.sessions[1]!.weekday).toBe('tuesday');
  });
});

describe('loadCourseFile', () => {
  // Made before the tests, not when they are collected: a run that filters them all out leaves nothing.
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'course-bot-read-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names a missing file', () => {
    expect(() => loadCourseFile(join(dir, 'missing.yaml'), 'missing.yaml')).toThrow(/missing\.yaml cannot be read: no such file/);
  });

  it('loads a file from disk and names it in errors by its label', () => {
    const path = join(dir, 'course.yaml');
    writeFileSync(path, GOOD);
    expect(loadCourseFile(path).course.sessions).toHaveLength(2);
    writeFileSync(path, MISMATCH);
    expect(() => loadCourseFile(path, 'my/course.yaml')).toThrow(/^my\/course\.yaml: 1 problem\nmy\/course\.yaml:15:9 /);
  });
});

describe('course files that used to crash or mislead', () => {
  it('refuse a week number typed as a date, saying the limit', () => {
    expect(problems(GOOD.replace('  - number: 1', '  - number: 20270104'))).toEqual([
      'data/course.yaml:9:5 weeks[0].number: 20270104 is too large: week numbers go up to 5,000 (counted from the course start)',
    ]);
  });

  it('refuse a merge key whose value is not a mapping', () => {
    expect(problems(GOOD.replace('      - day: monday', '      - <<: 5\n        day: monday'))).toEqual([
      'data/course.yaml:11:9 a merge key (<<) takes a mapping, an alias of one (<<: *name) or a list of them',
    ]);
    expect(problems(`x-list: &list [1, 2]\n${GOOD.replace('      - day: monday', '      - <<: [*list]\n        day: monday')}`)).toEqual([
      'data/course.yaml:12:9 a merge key (<<) takes a mapping, an alias of one (<<: *name) or a list of them',
    ]);
  });

  it('refuse an alias bomb, saying the limit', () => {
    const levels = ['x-0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let level = 1; level < 7; level += 1) levels.push(`x-${level}: &a${level} [${Array(10).fill(`*a${level - 1}`).join(', ')}]`);
    expect(problems(`${levels.join('\n')}\n${GOOD}`)).toEqual([
      'data/course.yaml:6:10 with its aliases (*name) expanded, the file holds more than 500,000 values; ' +
        'a course file may hold at most that many (repeat fewer aliases, or nest them less)',
    ]);
  });

  it('accept aliases reused at several levels, as long as they stay within the limit', () => {
    // 300 sessions: the YAML library's own alias count refused this (and threw past the refusal).
    const sessions = Array.from({ length: 300 }, (_, index) => `      - <<: *day\n        date: ${addDays('2027-01-04', index)}`);
    const text = `x-frameworks: &frameworks [PyTorch, Hydra]
x-base: &base {frameworks: *frameworks, format: exercises}
x-day: &day {<<: *base, note: Bring a laptop}
course:
  id: demo
  name: Demo
  timezone: Europe/Copenhagen
  start: 2027-01-04
weeks:
${Array.from({ length: 43 }, (_, week) => `  - number: ${week + 1}\n    sessions:\n${sessions.slice(week * 7, week * 7 + 7).join('\n')}`).join('\n')}
`;
    const { course } = parseCourseText(text, 'aliases.yaml');
    expect(course.sessions).toHaveLength(300);
    expect(course.sessions[299]).toMatchObject({ date: '2027-10-30', frameworks: ['PyTorch', 'Hydra'], format: 'exercises', note: 'Bring a laptop' });
  });

  it('refuse an alias used inside its own anchor', () => {
    expect(problems(`x-loop: &loop [1, *loop]\n${GOOD}`)).toEqual([
      'data/course.yaml:1:19 the alias *loop is used inside its own anchor &loop: a course file cannot contain itself',
    ]);
  });

  it('refuse 2,000 nested mappings and 5,000 nested lists, saying the limit', () => {
    const mappings = `course:\n${Array.from({ length: 2000 }, (_, depth) => `${' '.repeat(depth + 1)}a:`).join('\n')} 1\n`;
    const limit = 'mappings and lists are nested more than 64 levels deep here; a course file may nest at most 64 (it needs about 6)';
    expect(problems(mappings)).toEqual([`data/course.yaml:65:65 ${limit}`]);
    expect(problems(`${GOOD}x-deep: ${'['.repeat(5000)}${']'.repeat(5000)}\n`)).toEqual([`data/course.yaml:18:72 ${limit}`]);
  });

  // About 1.4 MB of YAML: seconds on a busy machine (the YAML parser reads about 1 MB/s there).
  it('keep a course of 10,000 sessions valid', { timeout: 120_000 }, () => {
    const { course } = parseCourseText(bigCourseYaml(10_000), 'big.yaml');
    expect(course.sessions).toHaveLength(10_000);
    expect(course.sessions.at(-1)).toMatchObject({ date: '2065-05-01', week: 2000, weekday: 'friday', topic: 'Session 10000' });
  });

  it('refuse text over the size limit before parsing it', () => {
    expect(problems(`${GOOD}# ${'x'.repeat(10 * 1024 * 1024)}\n`)).toEqual(['data/course.yaml is 10.0 MB: a course file may be at most 10 MB']);
  });

  it('say that a required url is missing, rather than "undefined is not a URL"', () => {
    const text = `${GOOD.replace('resources: []\n', '')}resources:\n  - id: docs\n    title: Docs\n`;
    expect(problems(text)).toEqual(['data/course.yaml:18:5 resources[0].url: is required']);
  });

  it('keep every problem on one line, with long and odd values cut and escaped', () => {
    const text = GOOD.replace('      - day: monday', `      - day: "mon\\nday"\n        note: x\n        "odd\\tkey": 1\n        topic: ${'y'.repeat(70)}\n        format: ${'z'.repeat(100)}`).replace(
      '        topic: Intro\n',
      '',
    );
    expect(problems(text)).toEqual([
      'data/course.yaml:11:9 weeks[0].sessions[0].day: "mon\\nday" is not a weekday (expected one of monday, tuesday, wednesday, thursday, friday, saturday, sunday)',
      'data/course.yaml:13:9 weeks[0].sessions[0]["odd\\tkey"]: unknown field "odd\\tkey" (known: day, date, topic, frameworks, format, resources, note, location, end, cancelled)',
      `data/course.yaml:15:9 weeks[0].sessions[0].format: expected one of exercises, project, lecture, exam, other, got string "${'z'.repeat(60)}…" (100 characters)`,
    ]);
  });

  it('keep dates within the years a course can use, so that placing a week never fails', () => {
    expect(problems(GOOD.replace('start: 2027-01-04', 'start: 9999-12-27').replace('        date: 2027-01-05\n', ''))).toEqual([
      'data/course.yaml:5:3 course.start: 9999-12-27 is outside the years 1900–2999 a course file may use',
    ]);
    expect(problems(GOOD.replace('start: 2027-01-04', 'start: 2027-02-30'))).toEqual([
      'data/course.yaml:5:3 course.start: 2027-02-30 is not a date (expected YYYY-MM-DD)',
    ]);
  });

  it('name an alias without an anchor, a wrong item in a list of names, and a week number past 2^53', () => {
    expect(problems(GOOD.replace('frameworks: [PyTorch]', 'frameworks: *nope'))).toEqual([
      'data/course.yaml:13:21 the alias *nope names no anchor: write &nope on a value before it',
    ]);
    expect(problems(GOOD.replace('frameworks: [PyTorch]', 'frameworks: [PyTorch, [Hydra]]'))).toEqual([
      'data/course.yaml:13:31 weeks[0].sessions[0].frameworks[1]: expected text, got a list',
    ]);
    expect(problems(GOOD.replace('  - number: 1', '  - number: 99999999999999999999999'))).toEqual([
      'data/course.yaml:9:5 weeks[0].number: 1e+23 is too large: week numbers go up to 5,000 (counted from the course start)',
    ]);
  });

  it('refuse old Mac line endings, which YAML would read as one long line', () => {
    expect(problems(GOOD.replaceAll('\n', '\r'))).toEqual([
      'data/course.yaml:1:8 has a line break that is a lone CR (old Mac style): save it with LF (Unix) or CRLF (Windows) line endings',
    ]);
    expect(parseCourseText(GOOD.replaceAll('\n', '\r\n'), 'x.yaml').course.sessions).toHaveLength(2);
  });

  it('say what is wrong with an empty file, or a second document', () => {
    for (const empty of ['# only a comment\n', '', '---\n', '\n\n']) {
      expect(problems(empty)).toEqual([
        'data/course.yaml is empty (only blank lines or comments): a course file starts with "course:", see data/README.md',
      ]);
    }
    expect(problems(`${GOOD}---\ncourse: again\n`)).toEqual([
      'data/course.yaml:18:1 a second YAML document starts here (after "---"): a course file is one document',
    ]);
  });
});

describe('loadCourseFile reads only regular UTF-8 files', () => {
  // Made before the tests, not when they are collected: a run that filters them all out leaves nothing.
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'course-bot-read-kinds-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function load(path: string, label = 'c.yaml'): string[] {
    return outcome(() => loadCourseFile(path, label)).lines.slice();
  }

  it('refuses a FIFO, a device and a directory without reading them', async () => {
    const fifo = join(dir, 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
    // A writer with a valid course waits on the FIFO: a reader that blocked on it would get that course
    // (and fail this test) rather than hang it.
    const source = join(dir, 'source.yaml');
    writeFileSync(source, GOOD);
    const writer = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', source, fifo], { stdio: 'ignore' });
    const closed = new Promise((resolve) => writer.once('close', resolve));
    try {
      expect(load(fifo)).toEqual([
        'c.yaml is a named pipe (FIFO), not a regular file: a course file must be a regular file (a symlink to one is fine)',
      ]);
    } finally {
      writer.kill();
      await closed;
    }
    expect(load('/dev/zero')).toEqual(['c.yaml is a device, not a regular file: a course file must be a regular file (a symlink to one is fine)']);
    expect(load(dir)).toEqual(['c.yaml is a directory, not a regular file: a course file must be a regular file (a symlink to one is fine)']);
  });

  it('reads through a symlink, and refuses a file over the size limit by its size', () => {
    const target = join(dir, 'target.yaml');
    writeFileSync(target, GOOD);
    symlinkSync(target, join(dir, 'link.yaml'));
    expect(loadCourseFile(join(dir, 'link.yaml')).course.sessions).toHaveLength(2);
    const big = join(dir, 'big.yaml');
    writeFileSync(big, GOOD);
    truncateSync(big, 11 * 1024 * 1024);
    expect(load(big)).toEqual(['c.yaml is 11.0 MB: a course file may be at most 10 MB']);
  });

  it('tells to save UTF-16 as UTF-8, with or without a byte order mark', () => {
    const hint = 'save it as UTF-8 (in most editors: "Save with encoding" or "File encoding", then UTF-8)';
    const cases: [string, Buffer][] = [
      ['le-bom', Buffer.from(`\ufeff${GOOD}`, 'utf16le')],
      ['be-bom', Buffer.from(`\ufeff${GOOD}`, 'utf16le').swap16()],
      ['le', Buffer.from(GOOD, 'utf16le')],
      ['be', Buffer.from(GOOD, 'utf16le').swap16()],
    ];
    const messages = cases.map(([name, bytes]) => {
      writeFileSync(join(dir, `${name}.yaml`), bytes);
      return load(join(dir, `${name}.yaml`));
    });
    expect(messages).toEqual([
      [`c.yaml is UTF-16 text (it starts with a byte order mark for it): ${hint}`],
      [`c.yaml is UTF-16 text (it starts with a byte order mark for it): ${hint}`],
      [`c.yaml looks like UTF-16 text (every other byte is zero): ${hint}`],
      [`c.yaml looks like UTF-16 text (every other byte is zero): ${hint}`],
    ]);
    expect(problems(Buffer.from(GOOD, 'utf16le').toString('latin1'))).toEqual([
      `data/course.yaml:1:2 looks like UTF-16 text read as UTF-8 (NUL characters between the letters): ${hint}`,
    ]);
  });

  it('accepts a UTF-8 byte order mark, and counts columns without it', () => {
    const path = join(dir, 'bom.yaml');
    writeFileSync(path, `\ufeff${GOOD}`);
    expect(loadCourseFile(path).course.sessions).toHaveLength(2);
    writeFileSync(path, `\ufeff${MISMATCH}`);
    expect(load(path)).toEqual(['c.yaml:15:9 weeks[0].sessions[1].date: 2027-01-05 is a Tuesday, but day says monday']);
    writeFileSync(path, `\ufeffcourse: {id: 5}\n`);
    expect(load(path)).toContain('c.yaml:1:10 course.id: expected an id, got number 5');
  });

  it('refuses bytes that are not UTF-8, and NUL characters, at their place', () => {
    const path = join(dir, 'latin1.yaml');
    writeFileSync(path, Buffer.from(GOOD.replace('topic: Intro', 'topic: Café'), 'latin1'));
    expect(load(path)).toEqual([
      'c.yaml:12:19 is not UTF-8 text (byte 0xe9 here): save it as UTF-8 (in most editors: "Save with encoding" or "File encoding", then UTF-8)',
    ]);
    writeFileSync(path, GOOD.replace('topic: Intro', 'topic: In\u0000tro'));
    expect(load(path)).toEqual(['c.yaml:12:18 contains a NUL character (is it a binary file?): a course file is UTF-8 text']);
  });
});
