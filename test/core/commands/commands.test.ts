import { describe, expect, it } from 'vitest';
import { morningAnnouncement } from '../../../src/core/announcement.js';
import { parseCommandLine, resolveArgs, tokenize } from '../../../src/core/commands/parse.js';
import { MAX_WEEK_NUMBER, weekCommand } from '../../../src/core/commands/week.js';
import { loadCourseFile } from '../../../src/course-file/read.js';
import { numberRanges } from '../../../src/core/text.js';
import { commands } from '../../../src/core/commands/registry.js';
import { readOnlyNames } from '../../../src/core/commands/command.js';
import { UserFacingError } from '../../../src/core/errors.js';
import { answerNow, buildCourse, contextAt, courseDoc, userError } from '../../support/course.js';

const course = buildCourse();
const seedCourse = loadCourseFile('data/course.yaml').course;
const ask = (line: string, local = '2027-01-04T10:00') => answerNow(line, contextAt(course, local));


describe('/today and /tomorrow', () => {
  it('show the week and weekday, topic, frameworks, format, lecture time and links', () => {
    const answer = ask('/today');
    expect(answer.title).toBe('Week 1 · Monday 4 January 2027');
    expect(answer.description).toBe('Intro');
    expect(answer.sections).toEqual([
      { heading: 'Frameworks', lines: ['PyTorch'], inline: true },
      { heading: 'Format', lines: ['Exercises'], inline: true },
    ]);
    expect(answer.links).toEqual([{ label: 'PyTorch docs', url: 'https://pytorch.org/docs/' }]);
    expect(answer.time).toEqual({
      label: 'Lecture starts',
      at: '2027-01-04T09:00:00.000+01:00',
      local: '09:00 (Europe/Copenhagen)',
    });
    expect(answer.text).toContain('Lecture starts: 09:00 (Europe/Copenhagen)');
    expect(answer.text).toContain('Frameworks: PyTorch');
    expect(answer.text).toContain('PyTorch docs: https://pytorch.org/docs/');
  });

  it('answers for another date given as an option', () => {
    expect(ask('/today 2027-01-06').title).toBe('Week 1 · Wednesday 6 January 2027');
    expect(ask('/today date:2027-01-12').description).toBe('Deployment');
  });

  it('says when there is no session and which one comes next', () => {
    const answer = ask('/tomorrow');
    expect(answer.title).toBe('No session on Tuesday 5 January 2027');
    expect(answer.description).toBe('Next session: Wednesday 6 January 2027 (in 2 days), week 1 — Configs');
  });

  it('names a day without a topic by its format, once, and shows no lecture time', () => {
    const answer = ask('/today', '2027-01-08T07:00');
    expect(answer.description).toBe('Project work');
    expect(answer.sections).toEqual([]);
    expect(answer.text).not.toContain('Format');
    expect(answer.time).toBeUndefined();
    // With a topic, the format is news.
    const topical = buildCourse(courseDoc({ weeks: [{ number: 1, sessions: [{ day: 'monday', topic: 'Kick-off', format: 'project' }] }] }));
    expect(answerNow('/today', contextAt(topical, '2027-01-04T07:00')).sections).toEqual([
      { heading: 'Format', lines: ['Project work'], inline: true },
    ]);
  });

  it('/tomorrow on the last session day says the course ends today, without "(today)" after a date', () => {
    const answer = ask('/tomorrow', '2027-01-12T10:00');
    expect(answer.title).toBe('No session on Wednesday 13 January 2027');
    expect(answer.description).toBe('That is after the course, whose last session is today.');
    expect(ask('/today 2027-01-03', '2027-01-04T10:00').description).toBe('That is before the course, which started today.');
  });

  it('before the course says when it starts; after it, that it has ended', () => {
    const before = ask('/today', '2026-12-28T12:00');
    expect(before.title).toBe('Demo Course has not started yet');
    expect(before.description).toBe('It starts on Monday 4 January 2027 (in 7 days) with: Intro.');
    const after = ask('/tomorrow', '2027-01-13T12:00');
    expect(after.title).toBe('Demo Course has ended');
    expect(after.description).toBe('The last session was on Tuesday 12 January 2027.');
  });

  it('names the last session that takes place as the last one, not a cancelled one after it', () => {
    const doc = courseDoc();
    const [week1, week2] = doc.weeks;
    const lastCancelled = buildCourse(
      courseDoc({ weeks: [week1!, { ...week2!, sessions: [{ ...week2!.sessions![0]!, cancelled: 'Snow' }] }] }),
    );
    const after = answerNow('/today', contextAt(lastCancelled, '2027-01-20T10:00'));
    expect(after.title).toBe('Demo Course has ended');
    expect(after.description).toBe('The last session was on Friday 8 January 2027.');
    expect(answerNow('/week', contextAt(lastCancelled, '2027-01-20T10:00')).description).toContain(
      'The course has ended; its last session was on Friday 8 January 2027.',
    );
    expect(answerNow('/today 2027-02-01', contextAt(lastCancelled, '2027-01-10T10:00')).description).toBe(
      'That is after the course, whose last session was on Friday 8 January 2027.',
    );
  });

  it('words a date asked about relative to that date, not to today', () => {
    const before = ask('/today 2026-12-01', '2027-01-10T10:00');
    expect(before.title).toBe('No session on Tuesday 1 December 2026');
    expect(before.description).toBe('That is before the course, which started on Monday 4 January 2027.');
    const after = ask('/today 2027-02-01', '2027-01-05T10:00');
    expect(after.title).toBe('No session on Monday 1 February 2027');
    expect(after.description).toBe('That is after the course, whose last session is on Tuesday 12 January 2027 (in 7 days).');
    const past = ask('/today 2027-01-09', '2027-01-20T10:00');
    expect(past.description).toBe('Next session: Tuesday 12 January 2027, week 2 — Deployment');
  });
});

describe('/week', () => {
  it('lists the current week by default, with each day', () => {
    const answer = ask('/week', '2027-01-06T12:00');
    expect(answer.title).toBe('Week 1');
    expect(answer.sections.map((section) => section.heading)).toEqual([
      'Monday 4 January 2027',
      'Wednesday 6 January 2027',
      'Friday 8 January 2027',
    ]);
    expect(answer.sections[1]!.lines).toEqual(['Configs', 'Frameworks: Hydra']);
  });

  it('takes a week number positionally or by name, and refuses an unknown week', () => {
    expect(ask('/week 2').text).toBe(ask('/week number:2').text);
    expect(ask('/week 2').sections[0]!.lines[0]).toBe('Deployment');
    const error = userError(() => ask('/week 7'));
    expect(error.code).toBe('unknown-week');
    expect(error.message).toBe('There is no week 7. The course has weeks 1, 2.');
  });

  it('names the next session in a week without sessions, and says when the course has ended', () => {
    const gappy = buildCourse(
      courseDoc({
        weeks: [
          { number: 1, sessions: [{ day: 'monday', topic: 'Intro' }] },
          { number: 3, sessions: [{ day: 'tuesday', topic: 'Later' }] },
          { number: 4, title: 'Exam week' },
        ],
      }),
    );
    const gap = answerNow('/week', contextAt(gappy, '2027-01-12T10:00'));
    expect(gap.title).toBe('Week 2');
    expect(gap.description).toBe('No sessions in week 2.');
    expect(gap.sections).toEqual([{ heading: 'Next session', lines: ['Tue 19 Jan — Later'] }]);
    const ended = answerNow('/week', contextAt(gappy, '2027-01-27T10:00'));
    expect(ended.title).toBe('Week 4 · Exam week');
    expect(ended.description).toBe('No sessions in week 4.\nThe course has ended; its last session was on Tuesday 19 January 2027.');
  });

  it('takes the smallest and largest week numbers through option checking, and refuses one below or above', () => {
    expect(parseCommandLine('/week 1').args).toEqual({ number: 1 });
    expect(resolveArgs(weekCommand, { number: 1 })).toEqual({ number: 1 });
    expect(ask('/week 1').title).toBe('Week 1');
    expect(resolveArgs(weekCommand, { number: MAX_WEEK_NUMBER })).toEqual({ number: MAX_WEEK_NUMBER });
    expect(userError(() => ask(`/week ${MAX_WEEK_NUMBER}`)).message).toBe(`There is no week ${MAX_WEEK_NUMBER}. The course has weeks 1, 2.`);
    expect(userError(() => parseCommandLine('/week 0')).message).toBe('/week number: must be 1 or more.');
    expect(userError(() => resolveArgs(weekCommand, { number: 0 })).message).toBe('/week number: must be 1 or more.');
    expect(userError(() => parseCommandLine(`/week ${MAX_WEEK_NUMBER + 1}`)).message).toBe(`/week number: must be ${MAX_WEEK_NUMBER} or less.`);
    expect(userError(() => resolveArgs(weekCommand, { number: MAX_WEEK_NUMBER + 1 })).message).toBe(
      `/week number: must be ${MAX_WEEK_NUMBER} or less.`,
    );
    expect(userError(() => parseCommandLine('/week 99999999999999999999')).message).toBe(`/week number: must be ${MAX_WEEK_NUMBER} or less.`);
  });

  it('on the first and the last session day shows that week, without a note', () => {
    const first = ask('/week', '2027-01-04T08:00');
    expect(first.title).toBe('Week 1');
    expect(first.description).toBe('Monday 4 January 2027 – Friday 8 January 2027');
    const last = ask('/week', '2027-01-12T20:00');
    expect(last.title).toBe('Week 2');
    expect(last.description).toBe('Tuesday 12 January 2027');
    expect(last.sections.map((section) => section.heading)).toEqual(['Tuesday 12 January 2027']);
  });

  it('on the weekend between weeks (and any day after a week\'s last session) shows the next week and says why', () => {
    for (const local of ['2027-01-08T18:00', '2027-01-09T10:00', '2027-01-10T23:59']) {
      // Friday 8 January is week 1's last session day: the evening still shows week 1.
      const answer = ask('/week', local);
      if (local.startsWith('2027-01-08')) {
        expect(answer.title).toBe('Week 1');
        continue;
      }
      expect(answer.title).toBe('Week 2');
      expect(answer.description).toBe('Tuesday 12 January 2027\nWeek 1 has no more sessions, so this is week 2.');
      expect(answer.sections[0]!.lines[0]).toBe('Deployment');
    }
    expect(ask('/week', '2027-01-11T09:00').description).toBe('Tuesday 12 January 2027');
    // The seed course: Saturday after week 1 shows week 2 (Scalability).
    const seed = answerNow('/week', contextAt(seedCourse, '2027-01-09T10:00'));
    expect(seed.title).toBe('Week 2 · Scalability');
    expect(seed.sections[0]!.heading).toBe('Monday 11 January 2027');
    // Where the week stands comes before the week's summary.
    expect(seed.description).toMatch(/^Monday 11 January 2027 – Friday 15 January 2027\nWeek 1 has no more sessions, so this is week 2\.\nThe second week is about/);
    const holiday = buildCourse(
      courseDoc({
        weeks: [
          { number: 1, sessions: [{ day: 'monday', topic: 'Intro' }] },
          { number: 2, title: 'Holiday', summary: 'No teaching this week.' },
          { number: 3, sessions: [{ day: 'monday', topic: 'Back' }] },
        ],
      }),
    );
    const off = answerNow('/week', contextAt(holiday, '2027-01-05T10:00'));
    expect(off.title).toBe('Week 2 · Holiday');
    expect(off.description).toBe('No sessions in week 2.\nWeek 1 has no more sessions, so this is week 2.\nNo teaching this week.');
    expect(off.sections).toEqual([{ heading: 'Next session', lines: ['Mon 18 Jan — Back'] }]);
    // After the last session of the course: its last week, and that it has ended.
    const ended = answerNow('/week', contextAt(seedCourse, '2027-01-23T10:00'));
    expect(ended.title).toBe('Week 3 · Extensions');
    expect(ended.description).toContain('The course has ended; its last session was on Friday 22 January 2027.');
  });

  it('before the course shows week 1 and says so', () => {
    const answer = ask('/week', '2026-12-01T12:00');
    expect(answer.title).toBe('Week 1');
    expect(answer.description).toContain('The course has not started yet');
  });
});

describe('/next', () => {
  it('is today before the lecture, then the following session', () => {
    expect(ask('/next', '2027-01-04T08:00').title).toBe('Next (today): Week 1 · Monday 4 January 2027');
    expect(ask('/next', '2027-01-04T09:30').title).toBe('Next (in 2 days): Week 1 · Wednesday 6 January 2027');
    expect(ask('/next', '2027-01-09T09:30').title).toBe('Next (in 3 days): Week 2 · Tuesday 12 January 2027');
    expect(ask('/next', '2027-01-12T10:30').title).toBe("Today's session is the last one: Week 2 · Tuesday 12 January 2027");
    expect(ask('/next', '2027-01-13T09:30').title).toBe('Demo Course has ended');
  });
});

describe('/schedule', () => {
  it('gives every week with a line per session', () => {
    const answer = ask('/schedule');
    expect(answer.description).toBe(
      '2 weeks, 4 sessions, Monday 4 January 2027 – Tuesday 12 January 2027 (Europe/Copenhagen)',
    );
    expect(answer.sections).toEqual([
      { heading: 'Week 1', lines: ['Mon 4 Jan — Intro · PyTorch', 'Wed 6 Jan — Configs · Hydra', 'Fri 8 Jan — Project work'] },
      { heading: 'Week 2', lines: ['Tue 12 Jan — Deployment · BentoML'] },
    ]);
  });
});

describe('/resources', () => {
  it('lists all resources without a topic', () => {
    expect(ask('/resources').links.map((link) => link.url)).toEqual([
      'https://pytorch.org/docs/',
      'https://hydra.cc/docs/intro/',
      'https://docs.bentoml.com/',
    ]);
  });

  it('matches a tag, a framework, a title or a session topic, case-insensitively', () => {
    expect(ask('/resources HYDRA').links.map((link) => link.label)).toEqual(['Hydra docs']);
    expect(ask('/resources configuration').links.map((link) => link.label)).toEqual(['Hydra docs']);
    expect(ask('/resources bento').links.map((link) => link.label)).toEqual(['BentoML docs']);
    expect(ask('/resources deployment').links.map((link) => link.label)).toEqual(['BentoML docs']);
    expect(ask('/resources "pytorch docs"').links.map((link) => link.label)).toEqual(['PyTorch docs']);
  });

  it('matches word starts, not any substring: short words must match whole', () => {
    expect(ask('/resources conf').links.map((link) => link.label)).toEqual(['Hydra docs']);
    expect(ask('/resources s').links).toEqual([]);
    expect(ask('/resources ydra').links).toEqual([]);
    expect(ask('/resources deploy').links.map((link) => link.label)).toEqual(['BentoML docs']);
  });

  it('matches whole words and tags, not parts of words: "git" is not the "GitHub" of another title', () => {
    const git = buildCourse(
      courseDoc({
        weeks: [{ number: 1, sessions: [{ day: 'monday', topic: 'Version control', frameworks: ['GitHub', 'Docker'] }] }],
        resources: [
          { id: 'github', title: 'GitHub documentation', url: 'https://docs.github.com/', tags: ['github', 'git'] },
          { id: 'pysyft', title: 'PySyft on GitHub', url: 'https://github.com/OpenMined/PySyft', tags: ['pysyft'] },
          { id: 'docker', title: 'Docker documentation', url: 'https://docs.docker.com/', tags: ['docker'] },
        ],
      }),
    );
    const ids = (topic: string) => answerNow(`/resources ${topic}`, contextAt(git, '2027-01-04T10:00')).links.map((link) => link.url);
    expect(ids('git')).toEqual(['https://docs.github.com/']);
    expect(ids('github')).toEqual(['https://docs.github.com/', 'https://github.com/OpenMined/PySyft']);
    // A framework finds its own docs, not those of the other frameworks of its session.
    expect(ids('docker')).toEqual(['https://docs.docker.com/']);
    // A topic finds its session's resources.
    expect(ids('version control')).toEqual(['https://docs.github.com/', 'https://docs.docker.com/']);
    // Part of a word only when nothing matches whole.
    expect(ids('dock')).toEqual(['https://docs.docker.com/']);
    expect(ids('hub')).toEqual([]);
  });

  it('reads names however they are typed: w&b, W & B, wandb, c++, ci/cd', () => {
    const tools = buildCourse(
      courseDoc({
        weeks: [{ number: 1, sessions: [{ day: 'monday', topic: 'Tracking', frameworks: ['Weights & Biases'] }] }],
        resources: [
          { id: 'tracking', title: 'Experiment tracking', url: 'https://docs.wandb.ai/', tags: ['weights & biases'] },
          { id: 'cpp', title: 'C++ reference', url: 'https://en.cppreference.com/', tags: ['c++'] },
          { id: 'c', title: 'The C language', url: 'https://www.c-language.org/', tags: ['c'] },
          { id: 'actions', title: 'GitHub Actions', url: 'https://docs.github.com/actions', tags: ['ci/cd', 'continuous integration'] },
        ],
      }),
    );
    const ids = (topic: string) => answerNow(`/resources ${topic}`, contextAt(tools, '2027-01-04T10:00')).links.map((link) => link.label);
    for (const typed of ['w&b', 'W & B', 'wandb', 'WandB', 'weights and biases', 'Weights & Biases', '"weights&biases"']) {
      expect(ids(typed), typed).toEqual(['Experiment tracking']);
    }
    expect(ids('c++')).toEqual(['C++ reference']);
    expect(ids('c')).toEqual(['The C language']);
    for (const typed of ['ci/cd', 'CI-CD', 'cicd', 'ci', 'continuous integration']) expect(ids(typed), typed).toEqual(['GitHub Actions']);
    expect(ids('&')).toEqual([]);
  });

  it('says when a topic is unknown and lists the known ones', () => {
    const answer = ask('/resources kubernetes');
    expect(answer.title).toBe('No resources for "kubernetes"');
    expect(answer.description).toBe('Known topics: bentoml, configuration, hydra, pytorch');
    expect(answer.links).toEqual([]);
  });
});

describe('/setup and /help', () => {
  it('/setup lists the steps with their commands', () => {
    const answer = ask('/setup');
    expect(answer.sections).toEqual([{ heading: '1. Clone', lines: ['$ git clone https://example.org/repo'] }]);
  });

  it('/help is built from the registry', () => {
    const lines = ask('/help').sections[0]!.lines;
    expect(lines).toHaveLength(commands.filter((command) => command.audience === 'everyone').length);
    expect(lines.join('\n')).not.toContain('/course');
    expect(lines).toContain('/week [number] — The sessions of this week (or of week N)');
    expect(lines).toContain('/resources [topic] — Reading and documentation links, all or for one topic or framework');
    expect(ask('/help').sections).toHaveLength(1);
    expect(answerNow('/help', { ...contextAt(course, '2027-01-04T10:00'), instructor: false }).text).not.toContain('/course');
  });

  it('/help for an instructor also lists the /course commands, with their options', () => {
    const answer = answerNow('/help', { ...contextAt(course, '2027-01-04T10:00'), instructor: true });
    expect(answer.sections[0]!.lines).toEqual(ask('/help').sections[0]!.lines);
    expect(answer.sections[1]!.heading).toBe('For instructors');
    expect(answer.sections[1]!.lines).toHaveLength(commands.filter((command) => command.audience === 'instructors').length);
    expect(answer.sections[1]!.lines).toContain('/course cancel <date> [reason] — Cancel a session (it stays listed, marked cancelled)');
    expect(answer.sections[1]!.lines).toContain('/course undo — Take back the latest schedule change');
  });
});

describe('command lines', () => {
  it('tokenizes with quotes', () => {
    expect(tokenize(`/resources "pytorch lightning"  x`)).toEqual(['/resources', 'pytorch lightning', 'x']);
    expect(tokenize(`/a topic:'two words'`)).toEqual(['/a', 'topic:two words']);
    expect(() => tokenize('/a "open')).toThrow(UserFacingError);
  });

  it('joins extra words into the last text option, also when it was given by name', () => {
    expect(parseCommandLine('/resources pytorch lightning').args).toEqual({ topic: 'pytorch lightning' });
    expect(parseCommandLine('/resources topic:pytorch lightning').args).toEqual({ topic: 'pytorch lightning' });
    expect(parseCommandLine('resources hydra').command.name).toBe('resources');
  });

  it('reads name: value with a space, option names in any case, and apostrophes and curly quotes', () => {
    expect(parseCommandLine('/week number: 2').args).toEqual({ number: 2 });
    expect(parseCommandLine('/WEEK Number:2').args).toEqual({ number: 2 });
    expect(parseCommandLine("/resources don't panic").args).toEqual({ topic: "don't panic" });
    expect(parseCommandLine('/resources \u201Cpytorch lightning\u201D').args).toEqual({ topic: 'pytorch lightning' });
    expect(parseCommandLine("/resources topic:'two words'").args).toEqual({ topic: 'two words' });
    expect(userError(() => parseCommandLine('/week number:2 number:3')).message).toBe('/week number is given twice. Usage: /week [number]');
  });

  it('refuses unknown commands, bad values and extra arguments with a clear message', () => {
    expect(userError(() => parseCommandLine('/tody')).message).toMatch(/^Unknown command \/tody\. Did you mean \/today\?/);
    expect(userError(() => parseCommandLine('/week two')).message).toBe('/week number: "two" is not a whole number.');
    expect(userError(() => parseCommandLine('/week 0')).message).toBe('/week number: must be 1 or more.');
    expect(userError(() => parseCommandLine('/today 5/1')).message).toContain('"5/1" is not a date');
    expect(userError(() => parseCommandLine('/week 1 2')).message).toBe('Too many arguments for /week: "2". Usage: /week [number]');
    expect(userError(() => parseCommandLine('/today 2027-02-30')).code).toBe('bad-option');
  });
});

describe('what a refusal repeats of the input', () => {
  it('cuts a long word and drops control and direction characters', () => {
    const long = 'a'.repeat(5000);
    const error = userError(() => parseCommandLine(`/next ${long}`));
    expect(error.message).toBe(`Too many arguments for /next: "${'a'.repeat(39)}…". Usage: /next`);
    expect(userError(() => parseCommandLine('/week \u202Eevil\u0000')).message).toBe('/week number: "evil" is not a whole number.');
    expect(userError(() => parseCommandLine(`/${long}`)).message).toMatch(new RegExp(`^Unknown command /${'a'.repeat(39)}…\\. Try /help`));
    expect(userError(() => parseCommandLine(`/setup "${long}`)).message).toBe(
      `Unclosed quote in "/setup "${'a'.repeat(51)}…": close it, or leave the quote out.`,
    );
    expect(answerNow(`/resources ${long}`, contextAt(course, '2027-01-04T10:00')).title).toBe(`No resources for "${'a'.repeat(79)}…"`);
  });

  it('names the weeks of a long course as runs', () => {
    const weeks = [1, 2, 3, 5, 7, 8, ...Array.from({ length: 1400 }, (_, index) => index + 10)];
    expect(numberRanges(weeks)).toBe('1, 2, 3, 5, 7, 8, 10–1409');
    expect(numberRanges([4, 3, 2, 1, 1])).toBe('1–4');
    const long = buildCourse(courseDoc({ weeks: weeks.map((number) => ({ number, sessions: [{ day: 'monday', topic: `W${number}` }] })) }));
    expect(userError(() => answerNow('/week 4', contextAt(long, '2027-01-04T10:00'))).message).toBe(
      'There is no week 4. The course has weeks 1, 2, 3, 5, 7, 8, 10–1409.',
    );
  });
});

describe('morning announcement', () => {
  it('is the day card with a greeting, and nothing on a day without a session', () => {
    const post = morningAnnouncement(course, '2027-01-06');
    expect(post?.title).toBe('Good morning! Today in Demo Course: Week 1 · Wednesday 6 January 2027');
    expect(post?.links.map((link) => link.label)).toEqual(['Hydra docs']);
    expect(morningAnnouncement(course, '2027-01-05')).toBeUndefined();
    expect(morningAnnouncement(course, '2027-02-01')).toBeUndefined();
  });

  it('links named resources before framework matches, without repeats', () => {
    const doc = courseDoc();
    const withNamed = buildCourse({
      ...doc,
      weeks: [{ number: 1, sessions: [{ day: 'monday', topic: 'X', frameworks: ['PyTorch'], resources: ['hydra', 'pytorch'] }] }],
    });
    expect(morningAnnouncement(withNamed, '2027-01-04')?.links.map((link) => link.label)).toEqual(['Hydra docs', 'PyTorch docs']);
  });
});

describe('read-only commands (answered by every instance that gets them; see Command.readOnly)', () => {
  it('are the student commands that only read the course: not /remind, not the instructor commands', () => {
    expect([...readOnlyNames(commands)].sort()).toEqual(['help', 'next', 'resources', 'schedule', 'setup', 'today', 'tomorrow', 'week']);
    // A group's subcommand never counts, even if marked: its top-level name is the group's.
    expect([...readOnlyNames([{ ...weekCommand, group: 'course' }])]).toEqual([]);
  });
});
