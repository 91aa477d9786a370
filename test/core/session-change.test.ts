import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlanImporter } from '../../src/course-file/plan.js';
import { type CourseFile, type SessionEntry } from '../../src/core/course/schema.js';
import { parseCourse, parseSessionChange } from '../../src/core/course/parse.js';
import { loadCourseFile, parseCourseText } from '../../src/course-file/read.js';
import { bigCourseYaml } from '../support/course-file.js';
import { random } from '../support/random.js';

/** The file with the session at `week`/`index` replaced, as `applyChange` builds it. */
function withSession(file: CourseFile, week: number, index: number, session: unknown): unknown {
  return {
    ...file,
    weeks: file.weeks.map((entry, at) =>
      at !== week ? entry : { ...entry, sessions: entry.sessions.map((item, position) => (position === index ? session : item)) },
    ),
  };
}

/** Values a session field may be given: good, empty, of the wrong type, and hostile. */
const VALUES: readonly unknown[] = [
  'A topic',
  '  padded  ',
  '',
  '   ',
  null,
  undefined,
  42,
  true,
  false,
  [],
  ['PyTorch', 'Docker'],
  ['ok', ''],
  ['ok', 3],
  'Hydra, DVC',
  { nested: 'mapping' },
  'x'.repeat(5_000),
  'exercises',
  'lecture',
  'Monday',
  '2027-01-06',
  '25:00',
  '17:30',
  '__proto__',
];
const FIELDS = ['topic', 'frameworks', 'format', 'resources', 'note', 'location', 'end', 'cancelled', 'unknown', 'day', 'date'];

function mutate(session: SessionEntry, next: () => number, resourceIds: readonly string[]): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...session };
  const changes = 1 + Math.floor(next() * 3);
  for (let count = 0; count < changes; count += 1) {
    const field = FIELDS[Math.floor(next() * FIELDS.length)]!;
    const roll = next();
    if (field === 'resources' && roll < 0.5 && resourceIds.length > 0) {
      copy.resources = [resourceIds[Math.floor(next() * resourceIds.length)]!, ...(roll < 0.2 ? ['no-such-resource'] : [])];
    } else if ((field === 'day' || field === 'date') && roll < 0.7) {
      // Mostly the same day or date, written another way: the change applies on its own.
      if (field === 'day' && typeof session.day === 'string') copy.day = roll < 0.35 ? session.day.toUpperCase() : ` ${session.day}`;
    } else {
      copy[field] = VALUES[Math.floor(next() * VALUES.length)];
    }
  }
  return copy;
}

function check(file: CourseFile, seed: number, trials: number): { applied: number; refused: number; whole: number } {
  const next = random(seed);
  const ids = file.resources.map((resource) => resource.id);
  const tally = { applied: 0, refused: 0, whole: 0 };
  for (let trial = 0; trial < trials; trial += 1) {
    const week = Math.floor(next() * file.weeks.length);
    const sessions = file.weeks[week]!.sessions;
    if (sessions.length === 0) continue;
    const index = Math.floor(next() * sessions.length);
    const session = mutate(sessions[index]!, next, ids);
    const fast = parseSessionChange(file, { week, index }, session);
    const full = parseCourse(withSession(file, week, index, session));
    if (fast === undefined) {
      tally.whole += 1;
      continue;
    }
    expect(fast, JSON.stringify(session).slice(0, 300)).toEqual(full);
    if (fast.ok) tally.applied += 1;
    else tally.refused += 1;
  }
  return tally;
}

const FIXTURES = join(import.meta.dirname, '../fixtures/dtu_mlops');
let dir: string;

beforeAll(async () => {
  await loadPlanImporter();
  dir = mkdtempSync(join(tmpdir(), 'session-change-'));
  for (const year of ['2024', '2026']) {
    copyFileSync(join(FIXTURES, `timeplan-${year}.md`), join(dir, `timeplan-${year}.md`));
    writeFileSync(
      join(dir, `mlops-${year}.yaml`),
      `course: { id: mlops, name: MLOps, timezone: Europe/Copenhagen }\nplan:\n  source: timeplan-${year}.md\n  year: ${year}\n`,
    );
  }
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('parseSessionChange: one session checked gives what checking the whole course gives', () => {
  it('on the course’s real time plans of 2024 and 2026 (imported from their Markdown): 1,000 mutated sessions', () => {
    for (const [index, year] of ['2024', '2026'].entries()) {
      const { file } = loadCourseFile(join(dir, `mlops-${year}.yaml`), `mlops-${year}.yaml`);
      expect(file.weeks.flatMap((week) => week.sessions).length).toBeGreaterThan(10);
      const tally = check(file, 10 + index, 500);
      expect(tally.applied + tally.refused).toBeGreaterThan(300);
    }
  });

  it('on the seed course and a plan-sized course: 3,000 mutated sessions, the same course or the same problems', () => {
    const seed = loadCourseFile('data/course.yaml', 'course.yaml');
    const big = parseCourseText(bigCourseYaml(300), 'big.yaml');
    const tallies = [check(seed.file, 1, 1_500), check(big.file, 2, 1_500)];
    for (const tally of tallies) {
      // Each kind met often: the property is not true only of the easy cases.
      expect(tally.applied).toBeGreaterThan(100);
      expect(tally.refused).toBeGreaterThan(100);
      expect(tally.whole).toBeGreaterThan(10);
    }
  });

  it('chains: a result is a base for the next change, and the course it gives is the whole check’s', () => {
    const loaded = parseCourseText(bigCourseYaml(50), 'big.yaml');
    let file = loaded.file;
    for (let step = 0; step < 20; step += 1) {
      const week = step % file.weeks.length;
      const result = parseSessionChange(file, { week, index: 0 }, { ...file.weeks[week]!.sessions[0]!, topic: `Step ${step}`, cancelled: step % 2 === 0 });
      if (!result?.ok) throw new Error(`step ${step} was not applied`);
      file = result.file;
    }
    const again = parseCourse(JSON.parse(JSON.stringify(file)));
    expect(again.ok && again.course).toEqual((parseCourse(file) as { course: unknown }).course);
  });

  it('does not apply to a file it has not checked, or to a change of day or date', () => {
    const loaded = parseCourseText(bigCourseYaml(10), 'big.yaml');
    const { file } = loaded;
    const session = file.weeks[0]!.sessions[0]!;
    expect(parseSessionChange(structuredClone(file), { week: 0, index: 0 }, session)).toBeUndefined();
    expect(parseSessionChange(file, { week: 0, index: 0 }, { ...session, day: 'tuesday' })).toBeUndefined();
    expect(parseSessionChange(file, { week: 0, index: 0 }, { ...session, date: '2027-01-05' })).toBeUndefined();
    expect(parseSessionChange(file, { week: 9, index: 0 }, session)).toBeUndefined();
  });
});
