import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveCourse } from '../../src/course-file/live-course.js';
import { loadCourseFile, parseCourseText } from '../../src/course-file/read.js';
import { lineShape, outcome } from '../support/course-file.js';
import { captureLogger } from '../support/log.js';

// Hostile and half-written course files: every one must be refused with problems of the shape
// `file:line:col field: message` (or `file message` for the whole file), by parseCourseText,
// loadCourseFile and a running LiveCourse alike, and never throw anything else.

const seed = readFileSync('data/course.yaml', 'utf8');
const FILE = 'course.yaml';

/** The seed with the first `from` replaced (the case fails loudly if `from` is not in it). */
function edit(from: string, to: string): string {
  if (!seed.includes(from)) throw new Error(`not in the seed: ${from}`);
  return seed.replace(from, to);
}

/** The seed cut just after the first `marker`. */
function cutAfter(marker: string): string {
  const at = seed.indexOf(marker);
  if (at < 0) throw new Error(`not in the seed: ${marker}`);
  return seed.slice(0, at + marker.length);
}

/** Seeded pseudo-random numbers (a linear congruential generator), so every run tries the same files. */
function generator(seedValue: number): (below: number) => number {
  let state = seedValue;
  return (below) => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state % below;
  };
}

const random = generator(2027);
const junk = Buffer.from(Array.from({ length: 4096 }, () => random(256)));
const aliasBomb = `${['x-0: &a0 [x, x, x, x, x, x, x, x, x, x]', ...[1, 2, 3, 4, 5, 6, 7].map((level) => `x-${level}: &a${level} [${Array(10).fill(`*a${level - 1}`).join(', ')}]`)].join('\n')}\n${seed}`;
const deepAliases = `${Array.from({ length: 40 }, (_, level) => (level === 0 ? 'x-0: &d0 [[x]]' : `x-${level}: &d${level} [[*d${level - 1}]]`)).join('\n')}\n${seed}`;
const session = '      - day: monday\n        topic: Training in the sky';

const CASES: readonly (readonly [string, string | Buffer])[] = [
  // the whole file
  ['empty', ''],
  ['only blank lines', '   \n\n\t\n'],
  ['only comments', '# a course file\n# to be written\n'],
  ['a lone document marker', '---\n'],
  ['a document end marker', '...\n'],
  ['a list at the top', '- course\n- weeks\n'],
  ['a string at the top', 'hello\n'],
  ['a number at the top', '42\n'],
  ['null at the top', '~\n'],
  ['only "course:"', 'course:\n'],
  ['NUL characters', '\u0000\u0000\u0000'],
  ['binary junk', junk],
  ['a PNG header', Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), junk.subarray(0, 200)])],
  ['UTF-16 LE with BOM', Buffer.from(`\ufeff${seed}`, 'utf16le')],
  ['UTF-16 BE without BOM', Buffer.from(seed, 'utf16le').swap16()],
  ['UTF-32 LE with BOM', Buffer.concat([Buffer.from([0xff, 0xfe, 0, 0]), Buffer.from('c\u0000\u0000\u0000', 'latin1')])],
  ['Latin-1 é', Buffer.from(edit('topic: Debugging and visualization', 'topic: Débogage'), 'latin1')],
  ['Windows-1252 quotes', Buffer.concat([Buffer.from(seed.slice(0, 200)), Buffer.from([0x93, 0x68, 0x69, 0x94]), Buffer.from(seed.slice(200))])],
  ['a stray continuation byte', Buffer.concat([Buffer.from('course:\n  id: '), Buffer.from([0x80]), Buffer.from('\n')])],
  ['an overlong encoding', Buffer.concat([Buffer.from('course:\n  id: '), Buffer.from([0xc0, 0x80]), Buffer.from('\n')])],
  ['an encoded surrogate', Buffer.concat([Buffer.from('course:\n  id: '), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('\n')])],
  ['a NUL in a topic', edit('topic: Training in the sky', 'topic: Training\u0000 in the sky')],
  ['over 10 MB', `${seed}# ${'x'.repeat(10 * 1024 * 1024)}\n`],
  // YAML syntax
  ['tabs as indentation', edit('  id: mlops', '\tid: mlops')],
  ['an unclosed quote', edit('topic: "Code organisation: why it matters"', 'topic: "Code organisation: why it matters')],
  ['an unclosed flow list', edit('frameworks: [PyTorch]', 'frameworks: [PyTorch')],
  ['an unclosed flow mapping', `${seed}x-open: {a: 1\n`],
  ['bad indentation', edit('  name: Machine Learning Operations', '   name: Machine Learning Operations')],
  ['course twice', `${seed}course:\n  id: again\n`],
  ['topic twice', edit('        topic: Training in the sky', '        topic: Training in the sky\n        topic: Again')],
  ['a duplicate key in a flow mapping', `${seed}x-map: {a: 1, a: 2}\n`],
  ['a second document', `${seed}---\ncourse: {}\n`],
  ['a directive without a document start', `%YAML 1.2\n${seed}`],
  ['an undefined alias', edit('frameworks: [PyTorch]', 'frameworks: *nope')],
  ['an anchor on nothing then text', edit('frameworks: [PyTorch]', 'frameworks: & [PyTorch]')],
  ['an unknown tag', edit('course:\n  id: mlops', 'course: !!python/object/apply:os.system [rm -rf /]\nx-course:\n  id: mlops')],
  ['a complex key', `? [a, b]\n: c\n${seed}`],
  ['a bad block scalar header', edit('    summary: >-', '    summary: |0')],
  ['a reserved indicator', edit('topic: Training in the sky', 'topic: @Training')],
  ['a backtick', edit('topic: Training in the sky', 'topic: `Training`')],
  ['a key without a space', edit('  id: mlops', '  id:mlops:x')],
  ['a flow list closed twice', edit('frameworks: [PyTorch]', 'frameworks: [PyTorch]]')],
  ['a comment without a space', edit('  id: mlops', '  id: mlops#comment\n  id2:')],
  ['CRLF with an error', edit('  timezone: Europe/Copenhagen', '  timezone: Mars/Olympus').replaceAll('\n', '\r\n')],
  ['CR line endings', seed.replaceAll('\n', '\r')],
  ['no-break spaces as indentation', edit('  id: mlops', '\u00a0\u00a0id: mlops')],
  // aliases, anchors and merge keys
  ['a merge key with a number', edit(session, `      - <<: 5\n        day: monday\n        topic: Training in the sky`)],
  ['a merge key with a list of numbers', edit(session, `      - <<: [1]\n        day: monday\n        topic: Training in the sky`)],
  ['a merge key with an alias of a string', `x-s: &s text\n${edit(session, '      - <<: *s\n        day: monday')}`],
  ['an empty merge key', edit(session, '      - <<:\n        day: monday')],
  ['a merge key with an unknown field', `x-m: &m {bogus: 1}\n${edit(session, `      - <<: *m\n        day: monday`)}`],
  ['an alias in its own list', `x-loop: &loop [1, *loop]\n${seed}`],
  ['an alias in its own mapping', `x-loop: &loop {a: *loop}\n${seed}`],
  ['an alias bomb', aliasBomb],
  ['aliases nested 80 deep', deepAliases],
  ['an alias as a key', `x-k: &k topic\n${edit('        topic: Training in the sky', '        *k : Training\n        topik: x')}`],
  ['an anchor redefined', `x-a: &a monday\nx-b: &a tusday\n${edit('      - day: monday\n        topic: Training', '      - day: *a\n        topic: Training')}`],
  ['a merge key in a flow list', edit('frameworks: [PyTorch]', 'frameworks: [<<: {a: 1}]')],
  ['an alias of a mapping as the weeks', `x-c: &c {id: demo}\n${edit('weeks:\n', 'weeks: *c\nx-old-weeks:\n')}`],
  ['2,000 nested mappings', `${seed}x-deep:\n${Array.from({ length: 2000 }, (_, depth) => `${' '.repeat(depth + 1)}a:`).join('\n')} 1\n`],
  ['5,000 nested flow lists', `${seed}x-deep: ${'['.repeat(5000)}${']'.repeat(5000)}\n`],
  ['5,000 nested block lists', `${seed}x-deep:\n  ${'- '.repeat(5000)}x\n`],
  ['100 nested flow mappings', `${seed}x-deep: ${'{a: '.repeat(100)}1${'}'.repeat(100)}\n`],
  // wrong types and values
  ['course as a list', edit('course:\n  id: mlops', 'course: []\nx-course:\n  id: mlops')],
  ['course as text', edit('course:\n  id: mlops', 'course: MLOps\nx-course:\n  id: mlops')],
  ['a number as the id', edit('  id: mlops', '  id: 123')],
  ['an id with spaces', edit('  id: mlops', '  id: ML Ops')],
  ['an empty name', edit('  name: Machine Learning Operations', '  name: ""')],
  ['a list as the name', edit('  name: Machine Learning Operations', '  name: [a]')],
  ['a zone that does not exist', edit('  timezone: Europe/Copenhagen', '  timezone: Mars/Olympus')],
  ['an empty zone', edit('  timezone: Europe/Copenhagen', '  timezone: ""')],
  ['a number as the zone', edit('  timezone: Europe/Copenhagen', '  timezone: 5')],
  ['a zone with a newline', edit('  timezone: Europe/Copenhagen', '  timezone: "Europe/Copenhagen\\n"')],
  ['February 30', edit('  start: 2027-01-04', '  start: 2027-02-30')],
  ['month 13', edit('  start: 2027-01-04', '  start: 2027-13-01')],
  ['a two-digit year', edit('  start: 2027-01-04', '  start: 27-01-04')],
  ['a date as a number', edit('  start: 2027-01-04', '  start: 20270104')],
  ['the year 9999', edit('  start: 2027-01-04', '  start: 9999-12-27')],
  ['the year 1', edit('  start: 2027-01-04', '  start: 0001-01-01')],
  ['hour 25', edit('  dayStart: "09:00"', '  dayStart: "25:00"')],
  ['a time as a number', edit('  dayStart: "09:00"', '  dayStart: 900')],
  ['an ftp repository', edit('  repository: https://github.com/SkafteNicki/02457_mlops', '  repository: ftp://example.org/')],
  ['a javascript: repository', edit('  repository: https://github.com/SkafteNicki/02457_mlops', '  repository: "javascript:alert(1)"')],
  ['announcements as true', edit('announcements:\n  time: "08:00"', 'announcements: true\nx-a:\n  time: "08:00"')],
  ['hour 24', edit('  time: "08:00"', '  time: "24:00"')],
  ['a weekly overview of "yes"', edit('  time: "08:00"', '  time: "08:00"\n  weeklyOverview: "yes"')],
  ['catch-up before the post', edit('  time: "08:00"', '  time: "13:00"')],
  ['weeks as a mapping', edit('weeks:\n  - number: 1', 'weeks: {}\nx-weeks:\n  - number: 1')],
  ['no weeks', edit('weeks:\n  - number: 1', 'weeks: []\nx-weeks:\n  - number: 1')],
  ['weeks as text', edit('weeks:\n  - number: 1', 'weeks: one\nx-weeks:\n  - number: 1')],
  ['week 0', edit('  - number: 1\n', '  - number: 0\n')],
  ['week -1', edit('  - number: 1\n', '  - number: -1\n')],
  ['week 1.5', edit('  - number: 1\n', '  - number: 1.5\n')],
  ['a week number typed as a date', edit('  - number: 1\n', '  - number: 20270104\n')],
  ['week infinity', edit('  - number: 1\n', '  - number: .inf\n')],
  ['week NaN', edit('  - number: 1\n', '  - number: .nan\n')],
  ['week "1"', edit('  - number: 1\n', '  - number: "1"\n')],
  ['a 23-digit week', edit('  - number: 1\n', '  - number: 99999999999999999999999\n')],
  ['sessions as text', edit('    sessions:\n      - day: monday\n        topic: How autodiff', '    sessions: monday\n    x-s:\n      - day: monday\n        topic: How autodiff')],
  ['a session as text', edit(session, '      - monday')],
  ['funday', edit('      - day: monday\n        topic: Training', '      - day: funday\n        topic: Training')],
  ['a number as the day', edit('      - day: monday\n        topic: Training', '      - day: 1\n        topic: Training')],
  ['a session on February 30', edit(session, `${session}\n        date: 2027-02-30`)],
  ['a date on the wrong weekday', edit(session, `${session}\n        date: 2027-01-12`)],
  ['a date before the start', edit(session, `${session}\n        date: 2026-01-11`)],
  ['two sessions on one date', edit(session, `${session}\n      - date: 2027-01-11`)],
  ['a session with neither day nor date', edit(session, `${session}\n      - topic: When?`)],
  ['topik', edit('        topic: Training in the sky', '        topik: Training in the sky')],
  ['frameworks as a number', edit('frameworks: [PyTorch]', 'frameworks: 5')],
  ['nested frameworks', edit('frameworks: [PyTorch]', 'frameworks: [[PyTorch]]')],
  ['a workshop', edit('        format: exercises\n        note: Freshup', '        format: workshop\n        note: Freshup')],
  ['cancelled: 5', edit(session, `${session}\n        cancelled: 5`)],
  ['an unknown resource', edit(session, `${session}\n        resources: [nope]`)],
  ['resources as text', edit(session, `${session}\n        resources: pytorch`)],
  ['a resource without url', edit('\nsetup:\n', '  - id: extra\n    title: Extra\n\nsetup:\n')],
  ['a resource url that is not one', edit('\nsetup:\n', '  - id: extra\n    title: Extra\n    url: not a url\n\nsetup:\n')],
  ['a resource id twice', edit('\nsetup:\n', '  - id: pytorch\n    title: Again\n    url: https://pytorch.org/\n\nsetup:\n')],
  ['a resource id with spaces', edit('\nsetup:\n', '  - id: my docs\n    title: Mine\n    url: https://example.org/\n\nsetup:\n')],
  ['setup as text', `${edit('\nsetup:\n', '\nx-setup:\n')}setup: clone it\n`],
  ['a setup step without a title', edit('\nsetup:\n', '\nsetup:\n  - command: ls\n')],
  ['sesions', `${seed}sesions: []\n`],
  ['a megabyte as a weekday', edit('      - day: monday\n        topic: Training', `      - day: ${'y'.repeat(1024 * 1024)}\n        topic: Training`)],
  ['a key with a newline', `"a\\nb": 1\n${seed}`],
  ['a key of 100,000 characters', `${'k'.repeat(100_000)}: 1\n${seed}`],
  ['a zero-width space in a key', `c\u200bourse: 1\n${seed}`],
  ['a right-to-left override in an id', edit('  id: mlops', '  id: "mlops\u202e"')],
  ['an emoji id', edit('  id: mlops', '  id: "ml🚀ops"')],
  ['an export marker and an error', `x-course-bot: {database: x, changesThrough: -1}\n${edit('  id: mlops', '  id: ML')}`],
  // half-written
  ['cut inside a quoted topic', cutAfter('topic: "Code organisation')],
  ['cut inside a key', cutAfter('announcements:\n  ti')],
  ['cut after "weeks:"', cutAfter('\nweeks:')],
  ['cut after the course block', cutAfter('  dayStart: "09:00"\n')],
  ['cut inside a flow list', cutAfter('frameworks: [Conda, Git')],
  ['cut inside a date', edit('      - day: monday\n        topic: Training', '      - date: 2027-01-1\n        topic: Training')],
  ['a course without start or weeks', 'course:\n  id: demo\n  name: Demo\n  timezone: Europe/Copenhagen\n'],
  ['a week without sessions', 'course:\n  id: demo\n  name: Demo\n  timezone: Europe/Copenhagen\n  start: 2027-01-04\nweeks:\n  - number: 1\n'],
  ['a session line with only a dash', edit(session, `${session}\n      -`)],
];

// Made before the tests, not when they are collected: a run that filters them all out leaves nothing.
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'course-bot-hostile-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One LiveCourse over a file that starts valid; each case is written over it and reloaded. */
function liveCourse() {
  const path = join(dir, FILE);
  writeFileSync(path, seed);
  const { logger } = captureLogger('silent');
  const live = new LiveCourse({ path, label: FILE, initial: loadCourseFile(path, FILE), logger });
  const reload = (content: string | Buffer) => {
    writeFileSync(path, content);
    const result = live.reload('test');
    return result.ok ? { valid: true, lines: [] as string[] } : { valid: false, lines: result.error.issues.map((issue) => lineOf(result.error, issue)) };
  };
  return { path, live, reload };
}

function lineOf(error: { message: string; issues: readonly unknown[] }, issue: unknown): string {
  return error.message.split('\n')[1 + error.issues.indexOf(issue)]!;
}

const shape = lineShape(FILE);

describe(`${CASES.length} hostile and half-written course files`, () => {
  it('are at least a hundred, each named once', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(100);
    expect(new Set(CASES.map(([name]) => name)).size).toBe(CASES.length);
  });

  it('are each refused with one-line problems, alike by parseCourseText, loadCourseFile and a reload', () => {
    const { live, path, reload } = liveCourse();
    const results = CASES.map(([name, content]) => {
      const parsed = typeof content === 'string' ? outcome(() => parseCourseText(content, FILE)) : undefined;
      writeFileSync(path, content);
      const loaded = outcome(() => loadCourseFile(path, FILE));
      const reloaded = reload(content);
      return { name, parsed, loaded, reloaded };
    });
    const wrong = results.flatMap(({ name, parsed, loaded, reloaded }) => {
      const problems: string[] = [];
      if (loaded.valid) problems.push(`${name}: accepted`);
      if (parsed && (parsed.valid || parsed.lines.join('\n') !== loaded.lines.join('\n'))) problems.push(`${name}: parseCourseText differs`);
      if (reloaded.valid || reloaded.lines.join('\n') !== loaded.lines.join('\n')) problems.push(`${name}: the reload differs`);
      const header = loaded.message.split('\n')[0];
      if (!/^course\.yaml: \d+ problems?$/.test(header ?? '')) problems.push(`${name}: header ${header}`);
      for (const line of loaded.lines) if (!shape.test(line)) problems.push(`${name}: ${line.slice(0, 200)}`);
      return problems;
    });
    expect(wrong).toEqual([]);
    // The last good course stayed live through all of them.
    expect(live.course.sessions).toHaveLength(15);
    expect(live.course.sessions[5]!.topic).toBe('Training in the sky');
  }, 120_000);
});

/** A seeded mutation of the seed course: cut, dropped, doubled or swapped lines, odd characters, junk bytes. */
function mutate(next: (below: number) => number): Buffer {
  const lines = seed.split('\n');
  const line = () => next(lines.length);
  const odd = ['\t', ':', '- ', '[', '{', '"', "'", '&a ', '*a', '!!', '|', '>', '#', '\u0000', '%', '@', 'é', '  ', '<<: ', '? ', ',', ']', '}'];
  switch (next(8)) {
    case 0:
      return Buffer.from(seed.slice(0, next(seed.length)));
    case 1:
      lines.splice(line(), 1);
      break;
    case 2: {
      const at = line();
      lines.splice(at, 0, lines[at]!);
      break;
    }
    case 3: {
      const [a, b] = [line(), line()];
      [lines[a], lines[b]] = [lines[b]!, lines[a]!];
      break;
    }
    case 4: {
      const at = line();
      const text = lines[at]!;
      const column = next(text.length + 1);
      lines[at] = `${text.slice(0, column)}${odd[next(odd.length)]!}${text.slice(column + next(3))}`;
      break;
    }
    case 5: {
      const at = line();
      lines[at] = next(2) === 0 ? ` ${lines[at]!}` : lines[at]!.replace(/^ {1,2}/, '');
      break;
    }
    case 6: {
      const bytes = Buffer.from(seed);
      const at = next(bytes.length);
      return Buffer.concat([bytes.subarray(0, at), Buffer.from(Array.from({ length: 1 + next(8) }, () => next(256))), bytes.subarray(at)]);
    }
    default: {
      for (let count = 0; count < 3; count += 1) {
        const at = line();
        lines[at] = lines[at]!.replace(/:\s.*$/, `: ${odd[next(odd.length)]!}`);
      }
    }
  }
  return Buffer.from(lines.join('\n'));
}

describe('300 seeded mutations of the seed course', () => {
  it('are each either valid or refused with one-line problems, never anything else', () => {
    const next = generator(11);
    const { live, reload } = liveCourse();
    let valid = 0;
    const wrong: string[] = [];
    for (let index = 0; index < 300; index += 1) {
      const content = mutate(next);
      const parsed = outcome(() => parseCourseText(content.toString('utf8'), FILE));
      const reloaded = reload(content);
      if (reloaded.valid) valid += 1;
      for (const line of [...parsed.lines, ...reloaded.lines]) if (!shape.test(line)) wrong.push(`#${index}: ${line.slice(0, 200)}`);
      if (!parsed.valid && reloaded.valid) wrong.push(`#${index}: refused as text, accepted as a file`);
    }
    expect(wrong).toEqual([]);
    // Many mutations break the file; others (in a comment or a summary, a cut at a line end) leave it valid.
    expect(300 - valid).toBeGreaterThan(100);
    expect(live.course.sessions.length).toBeGreaterThan(0);
  }, 120_000);
});
