import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PlanImporterMissing, loadPlanImporter, withPlanImporter } from '../../src/course-file/plan.js';
import { CourseFileError, formatIssue, loadCourseFile } from '../../src/course-file/read.js';

const FIXTURES = join(import.meta.dirname, '../fixtures/dtu_mlops');

const POINTER = `course: { id: mlops, name: Machine Learning Operations, timezone: Europe/Copenhagen, dayStart: "09:00" }
announcements: { time: "08:00" }
plan:
  source: plans/timeplan.md
resources:
  - { id: handbook, title: Course handbook, url: "https://example.org/handbook" }
`;

/** A plan by weekday only, with a link in a cell. */
const SMALL = `# Plan

## Week 1

| Day | Topic | Frameworks |
|-----|-------|------------|
| Monday | [Intro](https://example.org/intro) | Git |
| Tuesday | Testing | pytest |
`;

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'plan-file-'));
  writeFileSync(join(dir, 'course.yaml'), POINTER);
  writeFileSync(join(dir, 'plans-missing.yaml'), POINTER.replace('plans/timeplan.md', 'nowhere.md'));
  writeFileSync(join(dir, 'both.yaml'), `${POINTER}weeks:\n  - number: 1\n`);
  writeFileSync(join(dir, 'bad-weekday.yaml'), POINTER.replace('plans/timeplan.md', 'bad.md'));
  writeFileSync(join(dir, 'bad-refresh.yaml'), POINTER.replace('plans/timeplan.md', 'plans/timeplan.md\n  refresh: soon'));
  writeFileSync(join(dir, 'plain-http.yaml'), POINTER.replace('plans/timeplan.md', 'http://example.org/plan.md'));
  copyFileSync(join(FIXTURES, 'timeplan-2025-bad-weekday.md'), join(dir, 'bad.md'));
  writeFileSync(join(dir, 'small.yaml'), POINTER.replace('plans/timeplan.md', 'small.md').replace('dayStart: "09:00" }', 'dayStart: "09:00", start: 2027-01-04 }'));
  writeFileSync(join(dir, 'small.md'), SMALL);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The tests below read plans with the importer loaded, as the bot and the command line do. */
const withImporter = () => loadPlanImporter();

function problems(file: string): string[] {
  try {
    loadCourseFile(join(dir, file), file);
  } catch (error) {
    if (error instanceof CourseFileError) return error.issues.map(formatIssue);
    throw error;
  }
  return [];
}

// First, while nothing has loaded the Markdown importer (this file loads LiveCourse only further down).
describe('the Markdown importer, loaded only for a course file with plan:', () => {
  it('is not needed for a course file without plan:, and is asked for (not a refusal) by one with plan:', async () => {
    writeFileSync(join(dir, 'plain.yaml'), POINTER.replace('plan:\n  source: plans/timeplan.md\n', '').replace('dayStart: "09:00" }', 'dayStart: "09:00", start: 2027-01-04 }').concat('weeks:\n  - number: 1\n    sessions:\n      - day: monday\n'));
    expect(loadCourseFile(join(dir, 'plain.yaml'), 'plain.yaml').course.sessions).toHaveLength(1);
    expect(() => loadCourseFile(join(dir, 'small.yaml'), 'small.yaml')).toThrow(PlanImporterMissing);
    // What the command line does: read, load the importer when the file asks for it, read again.
    let reads = 0;
    const loaded = await withPlanImporter(() => {
      reads += 1;
      return loadCourseFile(join(dir, 'small.yaml'), 'small.yaml');
    });
    expect(reads).toBe(2);
    expect(loaded.course.sessions.map((session) => session.topic)).toEqual(['Intro', 'Testing']);
    // Loaded once: the next file with a plan is read at the first try.
    await withPlanImporter(() => {
      reads += 1;
      return loadCourseFile(join(dir, 'small.yaml'), 'small.yaml');
    });
    expect(reads).toBe(3);
  });
});

describe('a course file with plan: (a local Markdown time plan)', () => {
  beforeAll(withImporter);

  it('reads the plan next to the course file into weeks; the YAML course fields and resources win', async () => {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(dir, 'plans'), { recursive: true });
    copyFileSync(join(FIXTURES, 'timeplan-2026.md'), join(dir, 'plans/timeplan.md'));
    const loaded = loadCourseFile(join(dir, 'course.yaml'), 'course.yaml');
    expect(loaded.course.name).toBe('Machine Learning Operations');
    expect(loaded.course.id).toBe('mlops');
    expect(loaded.course.timezone).toBe('Europe/Copenhagen');
    expect(loaded.course.dayStart).toBe('09:00');
    // No course.start in the YAML: the week of the plan's first session.
    expect(loaded.file.course.start).toBe('2026-01-05');
    const first = loaded.course.sessions[0]!;
    expect(first.date).toBe('2026-01-05');
    expect(first.topic).toContain('Deep learning software');
    expect(first.frameworks).toEqual(['Terminal', 'Conda', 'IDE', 'PyTorch']);
    expect(loaded.course.resources.map((resource) => resource.id)).toContain('handbook');
    expect(loaded.plan).toMatchObject({ kind: 'path', source: 'plans/timeplan.md', name: 'plans/timeplan.md', path: join(dir, 'plans/timeplan.md') });
  });

  it("adds the YAML's resources to the plan's; a weekday-only plan takes course.start", () => {
    const loaded = loadCourseFile(join(dir, 'small.yaml'), 'small.yaml');
    expect(loaded.course.sessions.map((session) => [session.date, session.topic, session.frameworks])).toEqual([
      ['2027-01-04', 'Intro', ['Git']],
      ['2027-01-05', 'Testing', ['pytest']],
    ]);
    expect(loaded.course.resources.map((resource) => [resource.title, resource.url])).toEqual([
      ['Intro', 'https://example.org/intro'],
      ['Course handbook', 'https://example.org/handbook'],
    ]);
  });

  it('reports a plan that is missing at plan.source, in one line', () => {
    const found = problems('plans-missing.yaml');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^plans-missing\.yaml:4:3 plan\.source: nowhere\.md .*(not found|no such|does not exist)/i);
  });

  it('refuses weeks and plan together', () => {
    expect(problems('both.yaml')).toEqual([
      'both.yaml:3:1 plan: a course file has weeks or a plan, not both: remove weeks (the plan gives them) or plan',
    ]);
  });

  it("reports the plan's own problems with the plan's file and line", () => {
    const found = problems('bad-weekday.yaml');
    expect(found.length).toBeGreaterThan(0);
    expect(found.some((line) => /^bad\.md:\d+:1 Week \d+, row \d+: .* but the Day column says/.test(line))).toBe(true);
  });

  it('checks refresh and refuses plain http to another machine', () => {
    expect(problems('bad-refresh.yaml')).toEqual([
      expect.stringMatching(/^bad-refresh\.yaml:\d+:\d+ plan\.refresh: soon is not a duration from 10s to 7d/),
    ]);
    expect(problems('plain-http.yaml')).toEqual([expect.stringMatching(/plan\.source: .*plain http: use https:\/\//)]);
  });
});

describe('a LiveCourse with a plan file', () => {
  it('reloads when the plan changes, keeps the last good schedule when it breaks, and follows a new plan path', async () => {
    const { LiveCourse } = await import('../../src/course-file/live-course.js');
    const { watchPlanFile } = await import('../../src/course-file/plan-watch.js');
    const { captureLogger } = await import('../support/log.js');
    const { logger } = captureLogger();
    writeFileSync(join(dir, 'live.yaml'), POINTER.replace('plans/timeplan.md', 'live.md').replace('dayStart: "09:00" }', 'dayStart: "09:00", start: 2027-01-04 }'));
    writeFileSync(join(dir, 'live.md'), SMALL);
    const events: string[] = [];
    const live = new LiveCourse({
      path: join(dir, 'live.yaml'),
      label: 'live.yaml',
      initial: loadCourseFile(join(dir, 'live.yaml'), 'live.yaml'),
      logger,
      onChange: () => events.push('change'),
      onInvalid: (error) => events.push(`invalid: ${error.issues.map(formatIssue).join(' | ')}`),
    });
    const watch = watchPlanFile(live, 50);
    const stopCourse = live.watch(50);
    try {
      writeFileSync(join(dir, 'live.md'), SMALL.replace('| Testing |', '| Packaging |'));
      await eventually(() => events.length > 0);
      expect(events).toEqual(['change']);
      expect(live.course.sessions[1]!.topic).toBe('Packaging');

      writeFileSync(join(dir, 'live.md'), SMALL.replace('| Tuesday |', '| Tusday |'));
      await eventually(() => events.length > 1);
      expect(events[1]).toMatch(/^invalid: live\.md:8:1 Week 1, row 2: "Tusday" is not a weekday/);
      expect(live.course.sessions[1]!.topic).toBe('Packaging');

      writeFileSync(join(dir, 'other.md'), SMALL.replace('| Testing |', '| Serving |'));
      writeFileSync(join(dir, 'live.yaml'), POINTER.replace('plans/timeplan.md', 'other.md').replace('dayStart: "09:00" }', 'dayStart: "09:00", start: 2027-01-04 }'));
      await eventually(() => events.length > 2);
      expect(events[2]).toBe('change');
      watch.retarget();
      expect(live.course.sessions[1]!.topic).toBe('Serving');
      writeFileSync(join(dir, 'other.md'), SMALL.replace('| Testing |', '| Monitoring |'));
      await eventually(() => events.length > 3);
      expect(events[3]).toBe('change');
      expect(live.course.sessions[1]!.topic).toBe('Monitoring');
    } finally {
      watch.stop();
      stopCourse();
    }
  });
});

/** Waits (polling) until `done` holds, or about 10 s have passed; a busy machine may deliver events late. */
async function eventually(done: () => boolean): Promise<void> {
  for (let waited = 0; waited < 10_000 && !done(); waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
}
