import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCourse } from '../../src/core/course/parse.js';
import { ImportError, type ImportOptions, courseYaml, importPlan } from '../../src/course-file/import-markdown.js';
import { parseMarkdown, plainText } from '../../src/course-file/plan/text.js';
import { parseCourseText } from '../../src/course-file/read.js';
import { runMain } from '../support/main.js';

// Copies of ../shared/fixtures and ../shared/seed, so that the tests need nothing outside the repository.
const FIXTURES = join(import.meta.dirname, '../fixtures/dtu_mlops');
const SEED = join(import.meta.dirname, '../fixtures/seed-mlops-course-readme.md');
const read = (path: string) => readFileSync(path, 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'course-bot-import-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `course-bot` in this process: the import writes the same in a process (the real `--out`: test/cli/output.test.ts). */
const cli = (args: readonly string[]) => runMain(args, { STATE_DB: join(dir, 'state.db') });

/** The imported course, as the YAML text the CLI writes, read back as the bot reads a course file. */
function imported(markdown: string, options: ImportOptions) {
  return parseCourseText(courseYaml(importPlan(markdown, options).course, options.source), 'imported.yaml').course;
}

function problems(markdown: string, options: ImportOptions): readonly string[] {
  try {
    importPlan(markdown, options);
  } catch (error) {
    if (error instanceof ImportError) return error.problems;
    throw error;
  }
  return [];
}

describe('importing a Markdown time plan', () => {
  it('reads the seed README (weekday rows, no dates) from --start', () => {
    const course = imported(read(SEED), { source: 'seed.md', start: '2027-01-04', timezone: 'Europe/Copenhagen', name: 'MLOps' });
    expect(course.sessions).toHaveLength(15);
    expect(course.sessions[0]).toMatchObject({ date: '2027-01-04', topic: 'How autodiff changed the world' });
    expect(course.sessions[1]!.frameworks).toEqual(['Conda', 'Github', 'docker']);
    expect(course.sessions[4]).toMatchObject({ date: '2027-01-08', format: 'project', frameworks: [] });
    expect(course.sessions[14]).toMatchObject({ date: '2027-01-22', format: 'project', note: 'Project presentations' });
    expect(course.weeks[1]!.summary).toMatch(/^The second week is about scalability/);
  });

  it('reads D/M dates with --year, a Tuesday start, a Saturday session, guest lectures, an exam and links', () => {
    const course = imported(read(join(FIXTURES, 'timeplan-2024.md')), { source: '2024.md', year: 2024, timezone: 'Europe/Copenhagen' });
    expect(course.start).toBe('2024-01-02');
    expect(course.sessions[0]).toMatchObject({ date: '2024-01-02', weekday: 'tuesday', week: 1, topic: 'Deep learning software' });
    expect(course.sessions[4]).toMatchObject({ date: '2024-01-06', weekday: 'saturday', week: 1, topic: 'Pytorch ecosystem', format: 'project' });
    expect(course.sessions.find((session) => session.date === '2024-01-11')).toMatchObject({ topic: 'Guest lecture', format: 'project' });
    expect(course.sessions.at(-1)).toMatchObject({ date: '2024-01-19', format: 'exam' });
    const recording = course.resources.find((resource) => resource.url.includes('1v0vEWhpFESLIpDz_buyaQIopUwiO-qP4'));
    expect(recording?.title).toBe('Recording: Deep learning software');
    // Relative links (slides in the repository) cannot be resources.
    expect(course.resources.every((resource) => resource.url.startsWith('https://'))).toBe(true);
    expect(course.sessions[0]!.resources).toEqual([recording!.id]);
  });

  it('reads D/M/YY dates, emoji in linked topics and "No lecture" days', () => {
    const course = imported(read(join(FIXTURES, 'timeplan-2026.md')), { source: '2026.md', timezone: 'Europe/Copenhagen' });
    expect(course.sessions).toHaveLength(15);
    expect(course.sessions[0]).toMatchObject({ date: '2026-01-05', topic: 'Deep learning software', format: 'exercises' });
    expect(course.sessions[0]!.frameworks).toEqual(['Terminal', 'Conda', 'IDE', 'PyTorch']);
    const noLecture = course.sessions.find((session) => session.date === '2026-01-15');
    expect(noLecture).toMatchObject({ format: 'project', frameworks: [] });
    expect(noLecture).not.toHaveProperty('topic');
  });

  it('refuses a date whose weekday disagrees with the Day column, naming row, date and both days', () => {
    const found = problems(read(join(FIXTURES, 'timeplan-2025-bad-weekday.md')), { source: '2025.md' });
    expect(found[0]).toBe('2025.md:62: Week 3, row 1: 18/1/25 is a Saturday, but the Day column says Monday');
    expect(found).toHaveLength(5);
  });

  it('asks for what it cannot guess: a year for D/M, a start without dates, a real zone, with file:line', () => {
    const dated = 'Week table\n\n## Week 1\n\nDate | Day | Presentation topic | Frameworks | Format\n--|--|--|--|--\n2/1 | Tuesday | Intro | - | Exercises\n';
    expect(problems(dated, { source: 'x.md' })).toEqual(['x.md:7: Week 1, row 1: 2/1 has no year: pass --year']);
    const weekdays = '## Week 1\n\n| | Presentation topic | Framework/exercise\n|--|--|--\n|Monday | Intro | PyTorch\n';
    expect(problems(weekdays, { source: 'x.md' })).toEqual(['x.md:1: the tables have no dates: pass --start YYYY-MM-DD (the first day of week 1)']);
    expect(problems(weekdays, { source: 'x.md', start: '2027-01-04', timezone: 'Mars/Base' })).toEqual([
      'x.md:1: --timezone: Mars/Base is not a known IANA time zone',
    ]);
    expect(problems('# Nothing here\n', { source: 'x.md' })).toEqual([
      'x.md:1: no table with a Date or Day column was found (a plan needs a table of sessions, one row a day)',
    ]);
  });

  it('reads tables written in both styles by hand', () => {
    const both = [
      '# Hand-written course',
      '## Week 1',
      '| Day | Presentation topic | Framework/exercise |',
      '|-----|--------------------|--------------------|',
      '| Monday | Kick-off [slides](https://example.org/kickoff) | PyTorch + Hydra |',
      '| Wednesday | - | Project work |',
      '## Week 2',
      'Date | Day | Presentation topic | Frameworks | Format',
      ':---|:---|:---|:---|:---',
      '12/1/27 | Tuesday | Guest lecture 🎥 | - | Lecture',
      '16/1/27 | Saturday | Exam | - | Exam',
    ].join('\n');
    const course = imported(both, { source: 'both.md', start: '2027-01-04' });
    expect(course).toMatchObject({ id: 'hand-written-course', name: 'Hand-written course', timezone: 'UTC' });
    expect(course.sessions.map((session) => `${session.date} ${session.topic ?? '-'} ${session.format ?? '-'}`)).toEqual([
      '2027-01-04 Kick-off slides -',
      '2027-01-06 - project',
      '2027-01-12 Guest lecture lecture',
      '2027-01-16 Exam exam',
    ]);
    expect(course.sessions[0]!.frameworks).toEqual(['PyTorch', 'Hydra']);
    expect(course.resources).toEqual([{ id: 'week-1-monday-slides', title: 'slides', url: 'https://example.org/kickoff', tags: [] }]);
    expect(course.sessions[0]!.resources).toEqual(['week-1-monday-slides']);
  });

  it('cleans cells: links kept as text, emoji and <br> dropped, "-" is empty', () => {
    const cell = (markdown: string) => {
      const table = parseMarkdown(`| x |\n|---|\n| ${markdown} |\n`).children[0]!;
      if (table.type !== 'table') throw new Error('not a table');
      return plainText(table.children[1]!.children[0]!.children);
    };
    expect(cell('Deep learning software <br> [📝](slides/x.pdf) [🎥](https://v.example/1)')).toEqual({
      text: 'Deep learning software',
      links: [
        { label: 'Slides', url: 'slides/x.pdf' },
        { label: 'Recording', url: 'https://v.example/1' },
      ],
    });
    expect(cell('**Bold** _it_ `code` <b>html</b> :rocket: ~~old~~ new').text).toBe('Bold it code html new');
    expect(cell(' — ').text).toBe('—');
  });

  it('writes nothing when the plan has errors, and a file that validates when it has none', async () => {
    const out = join(dir, 'course.yaml');
    const bad = await cli(['import', join(FIXTURES, 'timeplan-2025-bad-weekday.md'), '--out', out]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Week 3, row 1: 18/1/25 is a Saturday, but the Day column says Monday');
    expect(existsSync(out)).toBe(false);
    const good = await cli(['import', join(FIXTURES, 'timeplan-2024.md'), '--year', '2024', '--timezone', 'Europe/Copenhagen', '--out', out]);
    expect(good.code).toBe(0);
    expect(good.stdout).toContain('3 weeks, 15 sessions');
    const validated = await cli(['validate', out]);
    expect(validated.code).toBe(0);
    expect(parseCourse(parseCourseText(readFileSync(out, 'utf8'), out).file).ok).toBe(true);
    // A failed import leaves an existing file as it was.
    writeFileSync(out, 'old: file\n');
    await cli(['import', join(FIXTURES, 'timeplan-2025-bad-weekday.md'), '--out', out]);
    expect(readFileSync(out, 'utf8')).toBe('old: file\n');
  });
});
