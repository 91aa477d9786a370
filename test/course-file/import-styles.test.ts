import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ImportError, type ImportOptions, courseYaml, importPlan } from '../../src/course-file/import-markdown.js';
import { parseCourseText } from '../../src/course-file/read.js';
import { runMain } from '../support/main.js';

// Plans written for these tests in styles the DTU plans do not use; the DTU ones are in import-markdown.test.ts.
const PLANS = join(import.meta.dirname, '../fixtures/plans');
const DTU = join(import.meta.dirname, '../fixtures/dtu_mlops');
const plan = (name: string) => readFileSync(join(PLANS, name), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'course-bot-import-styles-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cli = (args: readonly string[]) => runMain(args, { STATE_DB: join(dir, 'state.db') });

/** The import, and the course as the bot reads the YAML the CLI writes (so each case also passes validate). */
function imported(markdown: string, options: ImportOptions) {
  const result = importPlan(markdown, options);
  const course = parseCourseText(courseYaml(result.course, options.source), 'imported.yaml').course;
  const lines = (list: readonly { text: string }[]) => list.map((entry) => entry.text);
  return { course, warnings: lines(result.warnings), guesses: lines(result.guesses) };
}

const brief = (session: { date: string; topic?: string; format?: string; cancelled?: { reason?: string } }) =>
  `${session.date} ${session.cancelled ? `cancelled(${session.cancelled.reason ?? ''})` : (session.topic ?? '-')} ${session.format ?? '-'}`;

describe('importing plans in other styles', () => {
  it('a "Session | Date | Content | Lab" plan: the numbering column gives way to Content, a time range for "all sessions", a holiday', () => {
    const { course, guesses } = imported(plan('session-numbered.md'), { source: 'robotics.md', timezone: 'America/New_York' });
    expect(course).toMatchObject({ name: 'Introduction to Robotics — Fall 2027', dayStart: '14:00' });
    expect(guesses).toContain('dayStart: 14:00, from the text on line 3');
    expect(course.sessions.map(brief)).toEqual([
      '2027-09-06 Introduction course overview -',
      '2027-09-08 Rigid-body transforms -',
      '2027-09-13 cancelled(Labor Day – no class) -',
      '2027-09-15 PID control slides -',
      '2027-09-20 Final project kickoff project',
    ]);
    expect(course.sessions[0]).toMatchObject({ frameworks: ['Lab 0: ROS setup'], note: 'Session: S1' });
  });

  it('a German plan: "Termin | Thema | Übung", "Di, 19.10.2027", the name without "Vorlesungsplan", "entfällt", a Klausur', () => {
    const { course, warnings } = imported(plan('german-termin.md'), { source: 'ml.md', timezone: 'Europe/Berlin' });
    expect(warnings).toEqual([]);
    expect(course.name).toBe('Maschinelles Lernen WS 2027/28');
    expect(course.sessions.map(brief)).toEqual([
      '2027-10-19 Einführung -',
      '2027-10-26 Lineare Modelle -',
      '2027-11-02 cancelled(entfällt (Dies academicus)) -',
      '2027-11-09 Neuronale Netze -',
      '2028-02-08 Klausur exam',
    ]);
  });

  it('a course calendar: "Wk | When" columns, the lecture time only as a range in prose, a wellness day, a midterm', () => {
    const { course, guesses } = imported(plan('calendar-prose-time.md'), { source: 'cal.md', timezone: 'America/New_York' });
    expect(course).toMatchObject({ name: 'CS 4820 Distributed Systems', dayStart: '10:10', timezone: 'America/New_York' });
    expect(guesses).toContain('dayStart: 10:10, from the text on line 6');
    expect(course.sessions.map(brief)).toEqual([
      '2027-01-26 Intro & logistics -',
      '2027-01-28 Clocks, Lamport -',
      '2027-02-02 RPC -',
      '2027-02-04 cancelled(No class — Wellness day) -',
      '2027-02-09 Consensus I: Paxos -',
      '2027-02-11 Midterm exam exam',
    ]);
    expect(course.resources.map((resource) => resource.url)).toEqual(
      expect.arrayContaining(['https://canvas.example.edu/courses/4820', 'https://book.example.org/ch1', 'https://lamport.example/paxos.pdf']),
    );
  });

  it('a US syllabus: front matter, "Tue Jan 12" dates, the year from the title, Readings/Assignments as notes, a free day, a midterm', () => {
    const { course, warnings, guesses } = imported(plan('us-syllabus.md'), { source: 'us.md' });
    expect(course).toMatchObject({ name: 'CS 329S: Machine Learning Systems Design', timezone: 'America/Los_Angeles', dayStart: '13:30' });
    expect(course.sessions.map(brief)).toEqual([
      '2027-01-12 Understanding ML production -',
      '2027-01-14 Data engineering fundamentals -',
      '2027-01-19 cancelled(No class — MLK week) -',
      '2027-01-21 Training data -',
      '2027-01-26 Midterm exam exam',
      '2027-01-28 Final project kickoff -',
    ]);
    expect(course.sessions[1]!.note).toBe('Readings: Ch. 2 · Assignments: HW1 out');
    expect(course.resources.map((resource) => `${resource.title} ${resource.url}`)).toEqual([
      "Chip's notes https://example.edu/notes/1",
      'Canvas https://canvas.example.edu/courses/123',
    ]);
    expect(course.sessions[0]!.resources).toEqual([course.resources[0]!.id]);
    expect(warnings).toEqual([
      "us.md:11: relative link notes/index.html dropped: pass --base-url <the plan's web address> to keep it as a resource",
    ]);
    expect(guesses).toContain('year: 2027 for dates written without one, from the title; pass --year to change it');
    expect(guesses).toContain('dayStart: 13:30, from the text on line 8');
  });

  it('relative links resolve against baseUrl', () => {
    const { course, warnings } = imported(plan('us-syllabus.md'), { source: 'us.md', baseUrl: 'https://cs329s.example.edu/syllabus/' });
    expect(warnings).toEqual([]);
    expect(course.resources.find((resource) => resource.title === 'course notes')?.url).toBe('https://cs329s.example.edu/syllabus/notes/index.html');
  });

  it('ISO dates, week headings at two levels with a title after ":" or "–", the paragraph as summary, a Room column as a note', () => {
    const { course, warnings } = imported(plan('iso-weekly.md'), { source: 'iso.md' });
    expect(course.weeks.map((week) => [week.number, week.title, week.summary])).toEqual([
      [1, 'Foundations', 'We set up the tools and look at data.'],
      [2, 'Pipelines', undefined],
    ]);
    expect(course.sessions[0]).toMatchObject({ date: '2027-02-01', topic: 'Intro & setup', frameworks: ['git', 'uv'], note: 'Room: B101' });
    expect(course.sessions[3]).toMatchObject({ date: '2027-02-10', topic: 'Streaming', frameworks: ['Kafka'] });
    expect(course.sessions[3]).not.toHaveProperty('note');
    expect(warnings).toEqual([]);
  });

  it('a weekday-only table with --start, "Lecture"/"Exercises" headers, a lecture time in the text, a holiday', () => {
    const { course } = imported(plan('weekday-only.md'), { source: 'wd.md', start: '2027-03-01' });
    expect(course).toMatchObject({ name: 'Applied Statistics', dayStart: '09:00', start: '2027-03-01' });
    expect(course.sessions.map(brief)).toEqual([
      '2027-03-01 Probability -',
      '2027-03-03 Distributions -',
      '2027-03-05 - -',
      '2027-03-08 Estimation -',
      '2027-03-10 cancelled(Holiday) -',
    ]);
    expect(course.sessions[2]!.frameworks).toEqual(['Quiz prep']);
  });

  it('a Danish plan: Dato/Dag/Emne/Øvelser/Lokale, D.M.YYYY, "Uge 1 – title", helligdag, eksamen, "kl. 8:15"', () => {
    const { course, warnings } = imported(plan('danish.md'), { source: 'da.md' });
    expect(course).toMatchObject({ name: 'Dataanalyse', dayStart: '08:15' });
    expect(course.weeks[0]!.title).toBe('Introduktion');
    expect(course.sessions.map(brief)).toEqual([
      '2027-02-03 Introduktion -',
      '2027-02-05 Data og grafer -',
      '2027-02-10 cancelled(Helligdag) -',
      '2027-02-12 Eksamen exam',
    ]);
    expect(course.sessions[1]).toMatchObject({ frameworks: ['pandas', 'matplotlib'], note: 'Lokale: 101' });
    expect(warnings).toEqual([]);
  });

  it('bold, italic, code, HTML, <br>, emoji and shortcodes never reach the text; links are resources; break and exam', () => {
    const { course } = imported(plan('markup.md'), { source: 'markup.md' });
    expect(course.name).toBe('Web Development 2027');
    expect(course.sessions.map(brief)).toEqual([
      '2027-01-04 HTML & CSS lecture',
      '2027-01-05 JavaScript basics exercises',
      '2027-01-06 Deploy to Netlify project',
      '2027-01-11 cancelled(Spring break) -',
      '2027-01-15 Final exam exam',
    ]);
    expect(course.sessions[0]).toMatchObject({ frameworks: ['html', 'css'], note: 'Bring a laptop' });
    expect(course.sessions[1]!.frameworks).toEqual(['React']);
    expect(course.sessions[2]!.note).toBe('Team A');
    expect(course.resources.map((resource) => resource.title)).toEqual(['Slides: JavaScript basics', 'Netlify']);
  });

  it('one table for the whole course with a Week column, upper-case headers, an unknown column kept and warned about', () => {
    const { course, warnings } = imported(plan('one-table.md'), { source: 'one.md' });
    expect(course.name).toBe('Machine Learning 2027');
    expect(course.weeks.map((week) => `${week.number}:${week.sessions.length}`)).toEqual(['1:2', '2:2', '3:2']);
    expect(course.sessions.map(brief)).toEqual([
      '2027-01-05 Linear models lecture',
      '2027-01-07 Regularisation exercises',
      '2027-01-12 Trees lecture',
      '2027-01-14 Ensembles exercises',
      '2027-01-19 Project day project',
      '2027-01-21 Exam exam',
    ]);
    expect(course.sessions[2]).toMatchObject({ frameworks: ['xgboost'], note: 'CHECKPOINT: Bo' });
    expect(warnings).toEqual(['one.md:3: column "CHECKPOINT" is not one the importer knows: kept as a "CHECKPOINT: …" note on each session']);
  });

  it('the 2026 DTU plan: links outside tables as course resources, the 9:00 start, week summaries, relative slides warned per row', () => {
    const result = importPlan(readFileSync(join(DTU, 'timeplan-2026.md'), 'utf8'), { source: '2026.md', timezone: 'Europe/Copenhagen' });
    const course = parseCourseText(courseYaml(result.course, '2026.md'), 'x.yaml').course;
    expect(course.dayStart).toBe('09:00');
    expect(course.resources.map((resource) => resource.title)).toEqual(['2026 Lectures', '2025 Lectures', '2024 Lectures', '2023 Lectures']);
    expect(course.weeks[1]!.summary).toMatch(/^The second week is about automatization and the cloud\./);
    expect(course.sessions[0]).toMatchObject({ topic: 'Deep learning software', format: 'exercises' });
    expect(result.warnings[0]!.text).toBe(
      "2026.md:3: relative link ../slides/day1_introduction_to_the_course.pdf dropped: pass --base-url <the plan's web address> to keep it as a resource",
    );
    expect(result.warnings[1]).toMatchObject({ line: 33, row: 'Week 1, row 1' });
    expect(result.guesses.map((guess) => guess.field)).toEqual(['start', 'name', 'id', 'dayStart']);
  });

  it('a week heading whose number disagrees with its dates: the dates win, with a warning naming the row', () => {
    const markdown = '# C\n\n## Week 2\n\n| Date | Topic |\n|---|---|\n| 2027-01-04 | A |\n| 2027-01-11 | B |\n';
    const { course, warnings } = imported(markdown, { source: 'w.md' });
    expect(course.sessions.map((session) => session.week)).toEqual([1, 2]);
    expect(warnings).toEqual(['w.md:7: Week 2, row 1: 2027-01-04 lies in week 1 of a course starting 2027-01-04, not week 2: put in week 1']);
  });

  it('M/D dates are read month first only when the plan shows it, and says so', () => {
    const markdown = '# C\n\n| Date | Topic |\n|---|---|\n| 1/12/2027 | A |\n| 1/14/2027 | B |\n';
    const result = importPlan(markdown, { source: 'us.md' });
    expect(result.course.weeks[0]!.sessions!.map((session) => session.date)).toEqual(['2027-01-12', '2027-01-14']);
    expect(result.guesses[0]!.text).toMatch(/month first/);
  });

  it('lists every problem with its line: a bad date, a bad weekday, a weekday that disagrees with the date', () => {
    const markdown = '# C\n\n| Date | Day | Topic |\n|---|---|---|\n| 31/2/2027 | Mon | A |\n| 2027-01-04 | Blursday | B |\n| Tue 2027-01-04 | | C |\n';
    let problems: readonly string[] = [];
    try {
      importPlan(markdown, { source: 'bad.md' });
    } catch (error) {
      if (!(error instanceof ImportError)) throw error;
      problems = error.problems;
    }
    expect(problems).toEqual([
      'bad.md:5: table at line 3, row 1: 31/2/2027 is not a real date',
      'bad.md:6: table at line 3, row 2: "Blursday" is not a weekday',
      'bad.md:7: table at line 3, row 3: Tue 2027-01-04 is a Monday, but the date says Tuesday',
    ]);
  });
});

describe('plans the first versions could not read', () => {
  it('an agenda by the hour under day headings: one session a day, its rows joined, times and presenters as notes', () => {
    const { course, warnings } = imported(plan('agenda.md'), { source: 'agenda.md' });
    expect(course.name).toBe('Summer School on Atmospheric Data 2027');
    expect(course.sessions.map((session) => `${session.date} ${session.topic}`)).toEqual([
      '2027-06-07 Intro + Welcome; Data workbench',
      '2027-06-08 Hackathon',
    ]);
    expect(course.sessions[0]!.note).toBe('Time: 08:30 AM - 09:30 AM · Presenter(s): Max · Time: 09:30 AM - 10:30 AM · Presenter(s): Scott');
    expect(course.resources.map((resource) => resource.url)).toEqual(['https://slides.example.org/intro']);
    expect(warnings).toEqual([]);
  });

  it('a grid, one column a weekday and a row a week: a session a filled cell, on its day; nothing dropped in silence', () => {
    const { course, warnings, guesses } = imported(plan('grid.md'), { source: 'grid.md' });
    expect(course.sessions.map(brief)).toEqual([
      '2027-09-06 cancelled(HOLIDAY) -',
      '2027-09-08 Probability lecture',
      '2027-09-10 Math refresher exercises',
      '2027-09-13 Sampling lecture',
      '2027-09-15 MLE and the bootstrap lecture',
      '2027-09-17 PyTorch exercises',
    ]);
    expect(course.sessions[3]!.note).toBe('HW: HW2 · Grader: Lee');
    expect(warnings).toEqual([
      'grid.md:5: column "Grader" is not one the importer knows: kept as a "Grader: …" note on each session',
      'grid.md:10: table at line 5, row 4: "Project proposal due" is in no day\'s column: not imported',
    ]);
    // "Schedule and Syllabus" names no course.
    expect(guesses).toContain('name: "Course", as the plan names none; pass --name "…"');
  });

  it('German weekly tables: "Mo, 16.03.2020", Beschreibung as the topic, list dashes and link padding tidied, an empty Sunday skipped', () => {
    const markdown = [
      '# Archiv: Wochenübersicht',
      '',
      '## Wochenübersicht 1 (16.03. bis 22.03.2020)',
      '',
      '| Datum | Beschreibung |',
      '|---|---|',
      '| Mo, 16.03.2020 | - Englisch `#1` |',
      '| Di, 17.03.2020 | - Softwareentwicklung Unterricht: 9:40 Uhr ([Zusammenfassung](https://example.org/z.md)) |',
      '| So, 22.03.2020 | n/a |',
    ].join('\n');
    const { course, warnings, guesses } = imported(markdown, { source: 'de.md' });
    expect(course.id).toBe('archiv-wochenubersicht');
    expect(course.sessions.map((session) => `${session.date} ${session.topic}`)).toEqual([
      '2020-03-16 Englisch #1',
      '2020-03-17 Softwareentwicklung Unterricht: 9:40 Uhr (Zusammenfassung)',
    ]);
    expect(course.resources.map((resource) => resource.url)).toEqual(['https://example.org/z.md']);
    expect(warnings).toEqual([]);
    expect(guesses).toContain('name: "Archiv: Wochenübersicht", from the heading on line 1; pass --name to change it');
  });

  it('a date range row: a break is said once and skipped, anything else is an error naming the row', () => {
    const table = (topic: string) => `# C 2027\n\n| Date | Topic |\n|---|---|\n| Mar 1 | A |\n| Mar 8 -- Mar 12 | ${topic} |\n| Mar 15 | B |\n`;
    const { course, warnings } = imported(table('Spring Break, No class'), { source: 'r.md' });
    expect(course.sessions.map((session) => session.date)).toEqual(['2027-03-01', '2027-03-15']);
    expect(warnings).toEqual(['r.md:6: table at line 3, row 2: Mar 8 -- Mar 12: "Spring Break, No class", a stretch without sessions: nothing imported for it']);
    expect(() => importPlan(table('Reading'), { source: 'r.md' })).toThrow('r.md:6: table at line 3, row 2: Mar 8 -- Mar 12 is a range of dates: give each day its own row');
  });

  it('a plan without a year says so once, naming the first row', () => {
    expect(() => importPlan('# C\n\n| Date | Topic |\n|---|---|\n| Jan 13 | A |\n| Jan 15 | B |\n| Jan 20 | C |\n', { source: 'y.md' })).toThrow(
      /^y\.md: 1 problem\ny\.md:5: table at line 3, row 1: Jan 13 has no year \(and 2 more rows\): pass --year$/,
    );
  });

  it('a page with tables but no sessions names each table it could not read', () => {
    expect(() => importPlan('# Grading\n\n| Part | Weight |\n|---|---|\n| Exam | 60% |\n', { source: 'g.md' })).toThrow(
      'g.md:3: the table (Part | Weight) has no Date or Day column: not read as sessions',
    );
  });

  it('a column read as dates by what it holds, not by its header, is said', () => {
    const { course, warnings } = imported('# Kemi 2027\n\n| Aufgabe | Abgabedatum |\n|---|---|\n| Arzneimittel | Sa, 29.05.2027 |\n', { source: 'k.md' });
    expect(course.sessions.map((session) => session.date)).toEqual(['2027-05-29']);
    expect(warnings).toEqual(['k.md:3: column "Abgabedatum" holds dates: read as the Date column', 'k.md:3: column "Aufgabe" is not one the importer knows: kept as a "Aufgabe: …" note on each session']);
  });

  it('the DTU FAQ and set-up pages are no time plans, and say so in one line', () => {
    for (const name of ['faq.md', 'before.md']) {
      expect(() => importPlan(readFileSync(join(DTU, name), 'utf8'), { source: name })).toThrow(
        `${name}:1: no table with a Date or Day column was found (a plan needs a table of sessions, one row a day)`,
      );
    }
  });
});

describe('the importer is pure', () => {
  it('reads no file and no network: no node: import in src/course-file/plan', () => {
    const folder = join(import.meta.dirname, '../../src/course-file/plan');
    const sources = readdirSync(folder).map((name) => readFileSync(join(folder, name), 'utf8'));
    expect(sources.length).toBeGreaterThan(3);
    for (const source of sources) expect(source).not.toMatch(/from 'node:|from '(fs|http|https|net)'|fetch\(/);
  });
});

describe('course-bot import', () => {
  it('prints warnings and guesses on stderr, one line each, says UTC and how to change it; --strict refuses', async () => {
    const out = join(dir, 'one.yaml');
    const done = await cli(['import', join(PLANS, 'one-table.md'), '--out', out]);
    expect(done.code).toBe(0);
    const lines = done.stderr.trim().split('\n');
    expect(lines[0]).toMatch(/^warning: .*one-table\.md:3: column "CHECKPOINT" is not one the importer knows/);
    expect(lines).toContain("guessed: time zone: UTC, as none was given; pass --timezone Europe/Copenhagen (any IANA name) for the course's own");
    expect((await cli(['validate', out])).code).toBe(0);
    const strict = await cli(['import', join(PLANS, 'one-table.md'), '--strict', '--out', join(dir, 'strict.yaml')]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toMatch(/one-table\.md:3: column "CHECKPOINT"/);
    expect(strict.stderr).toContain('--strict: 1 warning(s) above; nothing written');
  });

  it('refuses UTF-16 and binary files in one line', async () => {
    const utf16 = join(dir, 'utf16.md');
    writeFileSync(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('# Plan\n', 'utf16le')]));
    const refused = await cli(['import', utf16]);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim()).toBe(`${utf16}: is UTF-16 text; save it as UTF-8 (most editors: "Save with encoding") and import again`);
    const binary = join(dir, 'binary.md');
    writeFileSync(binary, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01]));
    const bin = await cli(['import', binary]);
    expect(bin.stderr.trim().split('\n')).toHaveLength(1);
    expect(bin.stderr).toContain('is not a text file');
  });
});
