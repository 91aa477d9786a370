import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadPlanImporter, planTextsReader } from '../../src/course-file/plan.js';
import { formatIssue } from '../../src/course-file/read.js';
import { type CatalogListener, type CatalogOptions, CatalogError, CourseCatalog, isCourseFileName } from '../../src/courses/catalog.js';
import { captureLogger } from '../support/log.js';

// The catalog reads files on its thread; the fleet loads the Markdown importer before it (see CourseCatalog).
beforeAll(() => loadPlanImporter());

function courseYaml(id: string, name = `Course ${id}`, topic = 'Intro'): string {
  return `course:
  id: ${id}
  name: ${name}
  timezone: Europe/Copenhagen
  start: 2027-01-04
weeks:
  - number: 1
    sessions:
      - day: monday
        topic: ${topic}
`;
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'course-bot-catalog-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A catalog of `dir` (labelled `courses`) whose events are recorded as lines. */
function open(options: { offThread?: boolean; readFor?: CatalogOptions['readFor'] } = {}) {
  const events: string[] = [];
  const listener: CatalogListener = {
    added: (course) => events.push(`added ${course.id} ${course.label}`),
    removed: (id) => events.push(`removed ${id}`),
    refused: (label, error) => events.push(`refused ${label}: ${error.issues.map(formatIssue).join(' | ')}`),
    invalid: (id, error) => events.push(`invalid ${id}: ${error.issues.map(formatIssue).join(' | ')}`),
    changed: (id) => events.push(`changed ${id}`),
    recovered: (id) => events.push(`recovered ${id}`),
  };
  const { logger, lines } = captureLogger();
  const catalog = new CourseCatalog({
    dir,
    label: 'courses',
    logger,
    listener,
    offThread: options.offThread ?? false,
    ...(options.readFor && { readFor: options.readFor }),
  });
  return { catalog, events, lines };
}

const write = (name: string, text: string) => writeFileSync(join(dir, name), text);

describe('isCourseFileName', () => {
  it.each([
    ['a.yaml', true],
    ['b.yml', true],
    ['C.YAML', true],
    ['.#a.yaml', false],
    ['.a.yaml', false],
    ['a.yaml~', false],
    ['.a.yaml.swp', false],
    ['a.yaml.swp', false],
    ['#a.yaml#', false],
    ['a.json', false],
    ['README.md', false],
  ])('%s → %s', (name, expected) => {
    expect(isCourseFileName(name)).toBe(expected);
  });
});

describe('CourseCatalog.load', () => {
  it('starts every course file of the folder; one broken file is refused on its own', () => {
    write('mlops.yaml', courseYaml('mlops'));
    write('databases.yml', courseYaml('databases'));
    write('broken.yaml', courseYaml('broken').replace('start: 2027-01-04', 'start: 2027-13-04'));
    write('.#mlops.yaml', 'junk: [');
    write('mlops.yaml~', 'junk: [');
    write('.mlops.yaml.swp', 'junk: [');
    mkdirSync(join(dir, 'folder.yaml'));
    const { catalog, events } = open();
    const refused = catalog.load();
    expect(catalog.courses.map((course) => [course.id, course.label, course.live.course.name])).toEqual([
      ['databases', 'courses/databases.yml', 'Course databases'],
      ['mlops', 'courses/mlops.yaml', 'Course mlops'],
    ]);
    expect(refused.map((error) => error.file)).toEqual(['courses/broken.yaml']);
    expect(events).toEqual([
      'refused courses/broken.yaml: courses/broken.yaml:5:3 course.start: 2027-13-04 is not a date (expected YYYY-MM-DD)',
      'added databases courses/databases.yml',
      'added mlops courses/mlops.yaml',
    ]);
    expect(catalog.course('mlops')?.path).toBe(join(dir, 'mlops.yaml'));
    expect(catalog.course('broken')).toBeUndefined();
  });

  it('refuses the second file with a taken course.id, naming both files; the first keeps running', () => {
    write('a.yaml', courseYaml('mlops', 'First'));
    write('b.yaml', courseYaml('mlops', 'Second'));
    const { catalog, events } = open();
    catalog.load();
    expect(catalog.courses.map((course) => `${course.id} ${course.live.course.name}`)).toEqual(['mlops First']);
    expect(events).toEqual([
      'added mlops courses/a.yaml',
      'refused courses/b.yaml: courses/b.yaml course.id: "mlops" is already the id of the course in courses/a.yaml: give this course another id (courses/a.yaml keeps running)',
    ]);
  });

  it('says in one line when the folder is missing or is a file', () => {
    const { catalog } = open();
    rmSync(dir, { recursive: true });
    expect(() => catalog.load()).toThrow(
      new CatalogError('COURSES_DIR courses: no such folder: point COURSES_DIR at the folder of course files (one *.yaml per course)'),
    );
    writeFileSync(dir, 'not a folder');
    expect(() => catalog.load()).toThrow('COURSES_DIR courses: is not a folder: point COURSES_DIR');
    rmSync(dir);
    mkdirSync(dir);
  });
});

describe('CourseCatalog.rescan', () => {
  it('starts an added file, stops a removed one, and leaves the others alone', async () => {
    write('a.yaml', courseYaml('a'));
    const { catalog, events } = open();
    catalog.load();
    write('b.yaml', courseYaml('b'));
    await catalog.rescan('test');
    rmSync(join(dir, 'a.yaml'));
    await catalog.rescan('test');
    expect(events).toEqual(['added a courses/a.yaml', 'added b courses/b.yaml', 'removed a']);
    expect(catalog.courses.map((course) => course.id)).toEqual(['b']);
  });

  it('reloads a changed file; a broken change is reported for that course only and its last good version stays', async () => {
    write('a.yaml', courseYaml('a'));
    write('b.yaml', courseYaml('b'));
    const { catalog, events } = open();
    catalog.load();
    events.length = 0;
    write('a.yaml', courseYaml('a', 'Course a', 'Changed'));
    await catalog.rescan('test');
    expect(catalog.course('a')?.live.course.sessions[0]?.topic).toBe('Changed');
    write('a.yaml', `${courseYaml('a')}  - number: x\n`);
    await catalog.rescan('test');
    expect(catalog.course('a')?.live.course.sessions[0]?.topic).toBe('Changed');
    write('a.yaml', courseYaml('a', 'Course a', 'Fixed'));
    await catalog.rescan('test');
    expect(events).toEqual([
      'changed a',
      'invalid a: courses/a.yaml:11:5 weeks[1].number: expected a week number, got string "x"',
      'recovered a',
      'changed a',
    ]);
    expect(catalog.courses.map((course) => course.id)).toEqual(['a', 'b']);
  });

  it('starts the refused duplicate once the first file goes away, and a renamed file under its new name', async () => {
    write('a.yaml', courseYaml('mlops', 'First'));
    write('b.yaml', courseYaml('mlops', 'Second'));
    const { catalog, events } = open();
    catalog.load();
    rmSync(join(dir, 'a.yaml'));
    await catalog.rescan('test');
    expect(catalog.course('mlops')?.live.course.name).toBe('Second');
    renameSync(join(dir, 'b.yaml'), join(dir, 'c.yaml'));
    await catalog.rescan('test');
    expect(events.slice(2)).toEqual(['removed mlops', 'added mlops courses/b.yaml', 'removed mlops', 'added mlops courses/c.yaml']);
  });

  it('treats a changed course.id as the old course stopped and a new one started (refused when that id is taken)', async () => {
    write('a.yaml', courseYaml('a'));
    write('b.yaml', courseYaml('b'));
    const { catalog, events } = open();
    catalog.load();
    events.length = 0;
    write('a.yaml', courseYaml('c'));
    await catalog.rescan('test');
    write('a.yaml', courseYaml('b'));
    await catalog.rescan('test');
    expect(events).toEqual([
      'changed c',
      'removed a',
      'added c courses/a.yaml',
      'changed b',
      'removed c',
      'refused courses/a.yaml: courses/a.yaml course.id: "b" is already the id of the course in courses/b.yaml: give this course another id (courses/b.yaml keeps running)',
    ]);
    expect(catalog.courses.map((course) => `${course.id} ${course.label}`)).toEqual(['b courses/b.yaml']);
  });

  it('keeps the running courses when the folder cannot be read for a while', async () => {
    write('a.yaml', courseYaml('a'));
    const { catalog, events, lines } = open();
    catalog.load();
    const moved = `${dir}-moved`;
    renameSync(dir, moved);
    try {
      await catalog.rescan('test');
      expect(catalog.courses.map((course) => course.id)).toEqual(['a']);
      expect(lines.join('\n')).toContain('cannot read COURSES_DIR; the running courses stay');
    } finally {
      renameSync(moved, dir);
    }
    await catalog.rescan('test');
    expect(events).toEqual(['added a courses/a.yaml']);
  });

  it('ignores a link to nothing and follows a link to a course file', () => {
    write('real.txt', courseYaml('linked'));
    symlinkSync(join(dir, 'real.txt'), join(dir, 'linked.yaml'));
    symlinkSync(join(dir, 'missing.txt'), join(dir, 'dangling.yaml'));
    const { catalog } = open();
    catalog.load();
    expect(catalog.courses.map((course) => course.id)).toEqual(['linked']);
  });
});

describe('CourseCatalog readFor', () => {
  const plan = (topic: string) => `## Week 1\n\n| Day | Topic |\n|-----|-------|\n| Monday | ${topic} |\n`;
  const pointer = (id: string) =>
    `course: { id: ${id}, name: Course ${id}, timezone: Europe/Copenhagen }\nplan:\n  source: https://plans.example.org/${id}.md\n  start: 2027-01-04\n`;

  it("reads each course's plan URL with that course's own reader", async () => {
    write('a.yaml', pointer('a'));
    write('b.yaml', pointer('b'));
    // Course c's plan has not been fetched: c alone is refused.
    const texts = (id: string) => (id === 'c' ? {} : { [`https://plans.example.org/${id}.md`]: { text: plan(`Topic of ${id}`), name: `${id}.md` } });
    const asked: string[] = [];
    const readFor = (path: string) => {
      const id = basename(path, '.yaml');
      asked.push(id);
      return { read: { plan: planTextsReader(texts(id)) }, planTexts: () => texts(id) };
    };
    const { catalog, events } = open({ readFor });
    catalog.load();
    expect(catalog.courses.map((course) => `${course.id}: ${course.live.course.sessions[0]?.topic}`)).toEqual(['a: Topic of a', 'b: Topic of b']);
    write('c.yaml', pointer('c'));
    await catalog.rescan('test');
    expect(events.at(-1)).toBe('refused courses/c.yaml: courses/c.yaml:3:3 plan.source: https://plans.example.org/c.md has not been fetched yet');
    expect([...new Set(asked)]).toEqual(['a', 'b', 'c']);
  });

  it.each([false, true])(
    'without a plan reader: a plan URL refuses its course with one line saying COURSE_FILE only, the others run (worker thread: %s)',
    { timeout: 60_000 },
    async (offThread) => {
      write('a.yaml', courseYaml('a'));
      const { catalog, events, lines } = open({ offThread });
      catalog.load();
      write('c.yaml', pointer('c'));
      await catalog.rescan('test');
      expect(catalog.courses.map((course) => course.id)).toEqual(['a']);
      expect(events.at(-1)).toBe(
        'refused courses/c.yaml: courses/c.yaml:3:3 plan.source: is a URL: plan URLs work only with COURSE_FILE for now; in COURSES_DIR give plan.source as a Markdown file next to the course file (the other courses run on)',
      );
      expect(lines.join('\n')).toContain('plan URLs work only with COURSE_FILE for now');
      expect(lines.join('\n')).not.toContain('has not been fetched yet');
    },
  );
});

describe('CourseCatalog.watch', () => {
  it('starts a file dropped into the folder and stops one removed, without being asked (read in a worker thread)', { timeout: 60_000 }, async () => {
    write('a.yaml', courseYaml('a'));
    const { catalog, events } = open({ offThread: true });
    catalog.load();
    const stop = catalog.watch(50, 500);
    try {
      write('.#b.yaml', 'lock');
      write('b.yaml', courseYaml('b'));
      await until(() => events.includes('added b courses/b.yaml'));
      rmSync(join(dir, 'a.yaml'));
      await until(() => events.includes('removed a'));
      expect(events).toEqual(['added a courses/a.yaml', 'added b courses/b.yaml', 'removed a']);
    } finally {
      stop();
      catalog.close();
    }
  });
});

/** Waits for `condition` (the test's own timeout bounds it). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 20));
}
