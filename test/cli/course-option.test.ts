import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runMain } from '../support/main.js';
import { courseDoc } from '../support/course.js';

let tmp: string;
/** Two good courses (demo, ds). */
let two: string;
/** One course only. */
let one: string;
/** demo, a broken file, and a second file with the id demo. */
let mixed: string;

const doc = (id: string, name: string) => stringify(courseDoc({ course: { ...courseDoc().course, id, name } }));

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'cli-course-option-'));
  two = join(tmp, 'two');
  one = join(tmp, 'one');
  mixed = join(tmp, 'mixed');
  for (const dir of [two, one, mixed]) mkdirSync(dir);
  writeFileSync(join(two, 'a-demo.yaml'), doc('demo', 'Demo Course'));
  writeFileSync(join(two, 'b-ds.yaml'), doc('ds', 'Data Science'));
  writeFileSync(join(two, 'notes.txt'), 'not a course');
  writeFileSync(join(one, 'only.yml'), doc('ds', 'Data Science'));
  writeFileSync(join(mixed, 'a-demo.yaml'), doc('demo', 'Demo Course'));
  writeFileSync(join(mixed, 'b-broken.yaml'), 'course: { id: broken, name: Broken, timezone: Mars/Olympus, start: 2027-01-04 }\nweeks: []\n');
  writeFileSync(join(mixed, 'c-again.yaml'), doc('demo', 'Demo Again'));
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

const inDir = (dir: string) => ({ COURSES_DIR: dir, STATE_DB: join(tmp, 'state.db') });

describe('--course <id> with COURSES_DIR', () => {
  it('is needed when the folder holds several courses: one line listing the ids, exit 2', async () => {
    for (const args of [['export'], ['calendar'], ['ask', '/today'], ['announce', '--dry-run'], ['announce', '--now']]) {
      const run = await runMain(args, inDir(two));
      expect({ args, code: run.code, stdout: run.stdout }).toEqual({ args, code: 2, stdout: '' });
      expect(run.stderr).toBe(`COURSES_DIR ${two} holds 2 courses: name one with --course <id> (demo, ds)\n`);
    }
  });

  it('answers an id the folder does not hold with one line naming the ids there are', async () => {
    const run = await runMain(['export', '--course', 'nope'], inDir(two));
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`--course "nope": no such course in COURSES_DIR ${two}; its courses: demo, ds\n`);
  });

  it('picks the file by its course.id for export, calendar, ask and announce --dry-run', async () => {
    const exported = await runMain(['export', '--course', 'ds'], inDir(two));
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain('id: ds');
    expect(exported.stdout).toContain('name: Data Science');
    const calendar = await runMain(['calendar', '--course', 'demo'], inDir(two));
    expect(calendar.code).toBe(0);
    expect(calendar.stdout).toContain('PRODID:-//course-bot//demo//EN');
    const asked = await runMain(['ask', '/week 1', '--course', 'ds', '--at', '2027-01-04T10:00'], inDir(two));
    expect(asked.code).toBe(0);
    expect(asked.stdout).toContain('Data Science');
    const announced = await runMain(['announce', '--dry-run', '--course', 'ds', '--date', '2027-01-04'], inDir(two));
    expect(announced.code).toBe(0);
    expect(announced.stdout).toMatch(/^Announcement for Monday 4 January 2027 at 08:00 \(Europe\/Copenhagen\):/);
    expect(announced.stdout).toContain('Data Science');
  });

  it('takes announce --now --course <id>, and posts that course (through standard output without a platform)', async () => {
    const run = await runMain(['announce', '--now', '--course', 'ds'], inDir(two));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^(No announcement on |Posted |Today's announcement)/m);
  });

  it('is not needed when the folder holds one course', async () => {
    const exported = await runMain(['export'], inDir(one));
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain('id: ds');
  });

  it('still takes a course file by its name', async () => {
    const exported = await runMain(['export', '--course', join(two, 'a-demo.yaml')], inDir(two));
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain('id: demo');
  });
});

describe('validate with COURSES_DIR', () => {
  it('checks every course file, one line each, exit 0 when all are valid', async () => {
    const run = await runMain(['validate'], inDir(two));
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^${two}/a-demo\\.yaml: valid\\. Demo Course \\(demo\\): `));
    expect(lines[1]).toMatch(new RegExp(`^${two}/b-ds\\.yaml: valid\\. Data Science \\(ds\\): `));
  });

  it('names every refused file (broken, or its id taken), one line each, and exits 1', async () => {
    const run = await runMain(['validate'], inDir(mixed));
    expect(run.code).toBe(1);
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/a-demo\.yaml: valid\. /);
    expect(lines[1]).toMatch(new RegExp(`^${mixed}/b-broken\\.yaml: refused: ${mixed}/b-broken\\.yaml:1:\\d+ course\\.timezone: `));
    expect(lines[2]).toBe(`${mixed}/c-again.yaml: refused: course.id "demo" is taken by ${mixed}/a-demo.yaml; give this course its own id`);
    expect(run.stderr).toBe(`2 of the course files refused: ${mixed}/b-broken.yaml, ${mixed}/c-again.yaml\n`);
  });

  it('checks one course with --course <id>, and says which ids there are for another', async () => {
    const ds = await runMain(['validate', '--course', 'ds'], inDir(two));
    expect(ds.code).toBe(0);
    expect(ds.stdout).toMatch(new RegExp(`^${two}/b-ds\\.yaml: valid\\. Data Science \\(ds\\): `));
    const nope = await runMain(['validate', '--course', 'nope'], inDir(two));
    expect(nope.code).toBe(2);
    expect(nope.stderr).toBe(`--course "nope": no such course in COURSES_DIR ${two}; its courses: demo, ds\n`);
  });
});

describe('a single course (COURSE_FILE or the bundled one): unchanged', () => {
  it('validates and exports the configured course with no --course', async () => {
    const validated = await runMain(['validate'], { STATE_DB: join(tmp, 'single.db') });
    expect(validated.code).toBe(0);
    expect(validated.stdout).toMatch(/^data\/course\.yaml: valid\. /);
    const exported = await runMain(['export', '--course', join(two, 'b-ds.yaml')], { STATE_DB: join(tmp, 'single.db') });
    expect(exported.stdout).toContain('id: ds');
  });
});
