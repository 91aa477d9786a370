import { describe, expect, it } from 'vitest';
import { dayChangeLine, morningAnnouncement, revisedMorningAnnouncement, scheduleChangeNotice } from '../../src/core/announcement.js';
import { isHeld, nextSessionAfter, sessionOn } from '../../src/core/course/calendar.js';
import {
  type DayChange,
  type NumberedChange,
  type ScheduleChange,
  type ScheduleDigest,
  applyChange,
  applyChanges,
  applyMoreChanges,
  canonicalJson,
  describeChange,
  noticeWindow,
  scheduleChangeSchema,
  sameSchedule,
  scheduleDiff,
  scheduleDigest,
  scheduleDigestJson,
} from '../../src/core/course/changes.js';
import type { Course } from '../../src/core/course/model.js';
import { parseCourse } from '../../src/core/course/parse.js';
import type { CourseFile, CourseFileInput } from '../../src/core/course/schema.js';
import { addDays } from '../../src/core/course/dates.js';
import { UserFacingError } from '../../src/core/errors.js';
import { answerNow, buildCourse, contextAt, courseDoc, userError } from '../support/course.js';

// The demo course starts on Monday 2027-01-04. Week 1: Mon 4 Intro (PyTorch, exercises),
// Wed 6 Configs (Hydra), Fri 8 project day without a topic. Week 2: Tue 12 Deployment (BentoML).

/** The validated file and course of a document. */
function load(doc: CourseFileInput = courseDoc()): { file: CourseFile; course: Course } {
  const result = parseCourse(doc);
  if (!result.ok) throw new Error(`invalid test course: ${result.issues.map((issue) => issue.message).join('; ')}`);
  return { file: result.file, course: result.course };
}

/** The course of a file that applyChange returned: it must validate again as a course file. */
function courseOf(file: CourseFile): Course {
  const result = parseCourse(file);
  if (!result.ok) throw new Error(`changed file does not validate: ${result.issues.map((issue) => issue.message).join('; ')}`);
  // Validating again changes nothing: the result already is a normalised course file.
  expect(result.file).toEqual(file);
  return result.course;
}


const { file, course } = load();
const snapshot = structuredClone(file);

/** What the student sees of each date, one line each: for asserting a whole schedule at once. */
function schedule(of: Course): string[] {
  return of.sessions.map(
    (session) =>
      `${session.date} w${session.week} ${session.topic ?? '-'} [${session.frameworks.join(',')}]${session.note ? ` note=${session.note}` : ''}${
        session.cancelled ? ` cancelled${session.cancelled.reason ? `=${session.cancelled.reason}` : ''}` : ''
      }`,
  );
}

const ORIGINAL = ['2027-01-04 w1 Intro [PyTorch]', '2027-01-06 w1 Configs [Hydra]', '2027-01-08 w1 - []', '2027-01-12 w2 Deployment [BentoML]'];

describe('applyChange: edit', () => {
  it('changes the topic only, keeping frameworks, format and the weekday placement', () => {
    const changed = applyChange(file, { kind: 'edit', date: '2027-01-04', topic: 'Welcome' });
    expect(schedule(courseOf(changed))).toEqual(['2027-01-04 w1 Welcome [PyTorch]', ...ORIGINAL.slice(1)]);
    expect(changed.weeks[0]!.sessions[0]).toEqual({ day: 'monday', topic: 'Welcome', frameworks: ['PyTorch'], format: 'exercises', resources: [] });
    expect(file).toEqual(snapshot);
  });

  it('replaces the frameworks, and [] clears them', () => {
    const replaced = applyChange(file, { kind: 'edit', date: '2027-01-06', frameworks: ['Hydra', 'OmegaConf'] });
    expect(sessionOn(courseOf(replaced), '2027-01-06')?.frameworks).toEqual(['Hydra', 'OmegaConf']);
    const cleared = applyChange(file, { kind: 'edit', date: '2027-01-06', frameworks: [] });
    expect(sessionOn(courseOf(cleared), '2027-01-06')).toMatchObject({ topic: 'Configs', frameworks: [] });
  });

  it('sets a note, and null removes it (the key is gone, not empty)', () => {
    const noted = applyChange(file, { kind: 'edit', date: '2027-01-06', note: 'Bring a laptop' });
    expect(schedule(courseOf(noted))[1]).toBe('2027-01-06 w1 Configs [Hydra] note=Bring a laptop');
    const cleared = applyChange(noted, { kind: 'edit', date: '2027-01-06', note: null });
    expect(schedule(courseOf(cleared))).toEqual(ORIGINAL);
    expect(Object.keys(cleared.weeks[0]!.sessions[1]!)).not.toContain('note');
    expect(noted.weeks[0]!.sessions[1]!.note).toBe('Bring a laptop');
  });

  it('changes topic, frameworks and note together', () => {
    const changed = applyChange(file, { kind: 'edit', date: '2027-01-08', topic: 'Project kick-off', frameworks: ['Git'], note: 'Room 101' });
    expect(schedule(courseOf(changed))[2]).toBe('2027-01-08 w1 Project kick-off [Git] note=Room 101');
    expect(sessionOn(courseOf(changed), '2027-01-08')?.format).toBe('project');
  });
});

describe('applyChange: cancel', () => {
  it('marks the session cancelled (true without a reason, the reason otherwise); it stays listed', () => {
    const plain = applyChange(file, { kind: 'cancel', date: '2027-01-06' });
    expect(plain.weeks[0]!.sessions[1]!.cancelled).toBe(true);
    expect(sessionOn(courseOf(plain), '2027-01-06')?.cancelled).toEqual({});
    const reasoned = applyChange(file, { kind: 'cancel', date: '2027-01-06', reason: 'Instructor ill' });
    expect(reasoned.weeks[0]!.sessions[1]!.cancelled).toBe('Instructor ill');
    expect(schedule(courseOf(reasoned))).toEqual([ORIGINAL[0], '2027-01-06 w1 Configs [Hydra] cancelled=Instructor ill', ...ORIGINAL.slice(2)]);
  });
});

describe('applyChange: move', () => {
  it('moves a session within its week: the same content on the new date, nothing left on the old one', () => {
    const moved = applyChange(file, { kind: 'move', from: '2027-01-06', to: '2027-01-07' });
    expect(schedule(courseOf(moved))).toEqual([ORIGINAL[0], '2027-01-07 w1 Configs [Hydra]', ...ORIGINAL.slice(2)]);
    const entry = moved.weeks[0]!.sessions.find((session) => session.topic === 'Configs');
    expect(entry).toEqual({ date: '2027-01-07', topic: 'Configs', frameworks: ['Hydra'], resources: [] });
  });

  it('moves a session into another week listed in the file', () => {
    const moved = applyChange(file, { kind: 'move', from: '2027-01-06', to: '2027-01-13' });
    const course = courseOf(moved);
    expect(schedule(course)).toEqual([ORIGINAL[0], ORIGINAL[2], ORIGINAL[3], '2027-01-13 w2 Configs [Hydra]']);
    expect(course.weeks.map((week) => week.sessions.length)).toEqual([2, 2]);
  });

  it('moves a session into a week the file lacks: a new week entry, in number order', () => {
    const moved = applyChange(file, { kind: 'move', from: '2027-01-04', to: '2027-01-20' });
    expect(moved.weeks.map((week) => week.number)).toEqual([1, 2, 3]);
    expect(moved.weeks[2]).toEqual({
      number: 3,
      sessions: [{ date: '2027-01-20', topic: 'Intro', frameworks: ['PyTorch'], format: 'exercises', resources: [] }],
    });
    expect(schedule(courseOf(moved)).at(-1)).toBe('2027-01-20 w3 Intro [PyTorch]');
  });

  it('keeps a cancelled session cancelled when it moves', () => {
    const cancelled = applyChange(file, { kind: 'cancel', date: '2027-01-06', reason: 'Snow' });
    const moved = applyChange(cancelled, { kind: 'move', from: '2027-01-06', to: '2027-01-07' });
    expect(sessionOn(courseOf(moved), '2027-01-07')?.cancelled).toEqual({ reason: 'Snow' });
  });
});

describe('applyChange: add', () => {
  it('adds a session on a free weekday, with frameworks', () => {
    const added = applyChange(file, { kind: 'add', date: '2027-01-05', topic: 'Extra: Docker', frameworks: ['Docker'] });
    expect(schedule(courseOf(added))).toEqual([ORIGINAL[0], '2027-01-05 w1 Extra: Docker [Docker]', ...ORIGINAL.slice(1)]);
  });

  it('adds a session on a Saturday, with no frameworks', () => {
    const added = applyChange(file, { kind: 'add', date: '2027-01-09', topic: 'Hackathon' });
    const session = sessionOn(courseOf(added), '2027-01-09');
    expect(session).toMatchObject({ weekday: 'saturday', week: 1, topic: 'Hackathon', frameworks: [] });
  });

  it('adds into a gap week between listed weeks, keeping weeks in order', () => {
    const { file: gappy } = load(courseDoc({ weeks: [{ number: 1, sessions: [{ day: 'monday', topic: 'A' }] }, { number: 3, sessions: [{ day: 'monday', topic: 'C' }] }] }));
    const added = applyChange(gappy, { kind: 'add', date: '2027-01-11', topic: 'B' });
    expect(added.weeks.map((week) => week.number)).toEqual([1, 2, 3]);
    expect(courseOf(added).sessions.map((session) => session.topic)).toEqual(['A', 'B', 'C']);
  });
});

describe('applyChange: refusals', () => {
  const cases: [string, CourseFile, ScheduleChange, string][] = [
    ['edit of a free date', file, { kind: 'edit', date: '2027-01-05', topic: 'X' }, 'There is no session on 2027-01-05 to edit.'],
    ['cancel of a free date', file, { kind: 'cancel', date: '2027-01-05' }, 'There is no session on 2027-01-05 to cancel.'],
    ['move from a free date', file, { kind: 'move', from: '2027-01-05', to: '2027-01-07' }, 'There is no session on 2027-01-05 to move.'],
    [
      'cancel of a cancelled session',
      applyChange(file, { kind: 'cancel', date: '2027-01-06' }),
      { kind: 'cancel', date: '2027-01-06', reason: 'again' },
      'The session on 2027-01-06 is already cancelled (undo brings back a cancelled session).',
    ],
    [
      'edit to the same topic',
      file,
      { kind: 'edit', date: '2027-01-06', topic: 'Configs' },
      'The session on 2027-01-06 already looks like that: nothing to change.',
    ],
    [
      'edit to the same frameworks and no note where there is none',
      file,
      { kind: 'edit', date: '2027-01-06', frameworks: ['Hydra'], note: null },
      'The session on 2027-01-06 already looks like that: nothing to change.',
    ],
    [
      'move onto a session day',
      file,
      { kind: 'move', from: '2027-01-04', to: '2027-01-06' },
      '2027-01-06 already has a session (Configs); cancel or move it first.',
    ],
    [
      'move onto a day without a topic',
      file,
      { kind: 'move', from: '2027-01-04', to: '2027-01-08' },
      '2027-01-08 already has a session (no topic); cancel or move it first.',
    ],
    ['move onto the same date', file, { kind: 'move', from: '2027-01-04', to: '2027-01-04' }, 'Moving a session needs two different dates.'],
    [
      'move before the course starts',
      file,
      { kind: 'move', from: '2027-01-04', to: '2027-01-01' },
      '2027-01-01 is before the course starts (2027-01-04).',
    ],
    ['add before the course starts', file, { kind: 'add', date: '2027-01-03', topic: 'Early' }, '2027-01-03 is before the course starts (2027-01-04).'],
    [
      'add onto a session day',
      file,
      { kind: 'add', date: '2027-01-12', topic: 'Other' },
      '2027-01-12 already has a session (Deployment); use edit to change it.',
    ],
  ];

  it.each(cases)('refuses %s with a message that says why, and leaves the file as it was', (_name, base, change, message) => {
    const before = structuredClone(base);
    const error = userError(() => applyChange(base, change));
    expect(error.code).toBe('bad-option');
    expect(error.message).toBe(message);
    expect(base).toEqual(before);
  });

  it('refuses a change that would make the file invalid, naming the field', () => {
    // The stored-change schema trims and refuses empty text; applyChange checks the result anyway.
    const error = userError(() => applyChange(file, { kind: 'edit', date: '2027-01-06', topic: ' ' }));
    expect(error.message).toBe('That change would make the course invalid: weeks[0].sessions[1].topic: must not be empty');
  });
});

describe('applyChange in replay mode', () => {
  it('is a no-op when the file already shows the change: cancel twice', () => {
    const change: ScheduleChange = { kind: 'cancel', date: '2027-01-06', reason: 'ill' };
    const once = applyChange(file, change);
    expect(applyChange(once, change, { replay: true })).toEqual(once);
  });

  it('is a no-op for an add whose session is there with the same topic, and for a move already done', () => {
    const add: ScheduleChange = { kind: 'add', date: '2027-01-09', topic: 'Hackathon', frameworks: ['Docker'] };
    const added = applyChange(file, add);
    expect(applyChange(added, add, { replay: true })).toBe(added);
    const move: ScheduleChange = { kind: 'move', from: '2027-01-06', to: '2027-01-07' };
    const moved = applyChange(file, move);
    expect(applyChange(moved, move, { replay: true })).toBe(moved);
  });

  it('is a no-op for an edit already made', () => {
    const edit: ScheduleChange = { kind: 'edit', date: '2027-01-06', topic: 'Hydra in depth', note: null };
    const edited = applyChange(file, edit);
    expect(applyChange(edited, edit, { replay: true })).toEqual(edited);
  });

  it('still refuses what conflicts: an add onto a session with another topic, a move onto a taken date', () => {
    expect(userError(() => applyChange(file, { kind: 'add', date: '2027-01-06', topic: 'Other' }, { replay: true })).message).toBe(
      '2027-01-06 already has a session (Configs); use edit to change it.',
    );
    expect(userError(() => applyChange(file, { kind: 'move', from: '2027-01-04', to: '2027-01-06' }, { replay: true })).message).toBe(
      '2027-01-06 already has a session (Configs); cancel or move it first.',
    );
    expect(userError(() => applyChange(file, { kind: 'edit', date: '2027-01-05', topic: 'X' }, { replay: true })).message).toBe(
      'There is no session on 2027-01-05 to edit.',
    );
  });
});

describe('applyChanges', () => {
  it('applies changes in order and skips one that no longer applies, with the reason', () => {
    const changes: NumberedChange[] = [
      { id: 1, change: { kind: 'cancel', date: '2027-01-06', reason: 'ill' } },
      { id: 2, change: { kind: 'edit', date: '2027-01-05', topic: 'Nothing here' } },
      { id: 3, change: { kind: 'add', date: '2027-01-09', topic: 'Hackathon' } },
      { id: 4, change: { kind: 'move', from: '2027-01-09', to: '2027-01-12' } },
    ];
    const applied = applyChanges(file, changes);
    expect(applied.skipped).toEqual([
      { id: 2, reason: 'There is no session on 2027-01-05 to edit.' },
      { id: 4, reason: '2027-01-12 already has a session (Deployment); cancel or move it first.' },
    ]);
    expect(schedule(applied.course)).toEqual([
      ORIGINAL[0],
      '2027-01-06 w1 Configs [Hydra] cancelled=ill',
      ORIGINAL[2],
      '2027-01-09 w1 Hackathon []',
      ORIGINAL[3],
    ]);
    expect(courseOf(applied.file)).toEqual(applied.course);
  });

  it('gives the file itself when there are no changes', () => {
    const applied = applyChanges(file, []);
    expect(applied.skipped).toEqual([]);
    expect(applied.course).toEqual(course);
  });

  it('replays over a file that already contains the changes (an exported schedule) without skipping', () => {
    const changes: NumberedChange[] = [
      { id: 1, change: { kind: 'cancel', date: '2027-01-06' } },
      { id: 2, change: { kind: 'add', date: '2027-01-09', topic: 'Hackathon' } },
      { id: 3, change: { kind: 'move', from: '2027-01-12', to: '2027-01-13' } },
      { id: 4, change: { kind: 'edit', date: '2027-01-04', note: 'Room 101' } },
    ];
    const once = applyChanges(file, changes);
    const again = applyChanges(once.file, changes);
    expect(again.skipped).toEqual([]);
    expect(again.course).toEqual(once.course);
  });

  // A later change that touches the same session makes the earlier one look conflicting when replayed
  // over an export: the export records the changes it holds (`includedThrough`), and they are not replayed.
  it.each<[string, ScheduleChange[]]>([
    ['an edit, then a move of that session', [{ kind: 'edit', date: '2027-01-06', topic: 'New' }, { kind: 'move', from: '2027-01-06', to: '2027-01-07' }]],
    ['an add, then an edit of its topic', [{ kind: 'add', date: '2027-01-09', topic: 'Extra' }, { kind: 'edit', date: '2027-01-09', topic: 'Fixed' }]],
    ['a move, then an add on the freed date', [{ kind: 'move', from: '2027-01-06', to: '2027-01-07' }, { kind: 'add', date: '2027-01-06', topic: 'Other' }]],
    ['a cancel, then a move of that session', [{ kind: 'cancel', date: '2027-01-06' }, { kind: 'move', from: '2027-01-06', to: '2027-01-07' }]],
  ])('replays %s over its own export without skipping', (_name, list) => {
    const changes = list.map((change, index) => ({ id: index + 1, change }));
    const once = applyChanges(file, changes);
    expect(once.skipped).toEqual([]);
    expect(applyChanges(once.file, changes).skipped).not.toEqual([]);
    const again = applyChanges(once.file, changes, { includedThrough: changes.length });
    expect(again.course).toEqual(once.course);
    expect(again.skipped).toEqual([]);
    expect(again.included).toEqual(changes.map((change) => change.id));
  });
});

/** The replay as it was defined first: every change checked against the course rules on its own. */
function replayCheckingEach(base: CourseFile, changes: readonly NumberedChange[]) {
  let current = base;
  const skipped: { id: number; reason: string }[] = [];
  for (const { id, change } of changes) {
    try {
      current = applyChange(current, change, { replay: true });
    } catch (error) {
      if (!(error instanceof UserFacingError)) throw error;
      skipped.push({ id, reason: error.message });
    }
  }
  return { file: current, skipped };
}

/** A small seeded generator: the same sequences on every run. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/** Random changes over the first weeks of the demo course: many fit, many do not (taken dates, no session). */
function randomChanges(random: () => number, count: number): NumberedChange[] {
  const day = () => addDays('2027-01-04', Math.floor(random() * 21));
  const pick = <T,>(values: readonly T[]): T => values[Math.floor(random() * values.length)]!;
  return Array.from({ length: count }, (_unused, index): NumberedChange => {
    const kind = pick(['edit', 'cancel', 'move', 'add'] as const);
    const change: ScheduleChange =
      kind === 'edit'
        ? { kind, date: day(), ...pick([{ topic: `Topic ${index}` }, { frameworks: [] }, { note: `Note ${index}` }, { note: null }]) }
        : kind === 'cancel'
          ? { kind, date: day(), ...(random() < 0.5 && { reason: `Reason ${index}` }) }
          : kind === 'move'
            ? { kind, from: day(), to: day() }
            : { kind, date: day(), topic: `Added ${index}` };
    return { id: index + 1, change };
  });
}

describe('applyChanges: the course rules checked once', () => {
  it('gives what checking every change on its own gives, over 40 random sequences', () => {
    const random = seeded(11);
    let skippedSome = 0;
    for (let round = 0; round < 40; round += 1) {
      const changes = randomChanges(random, 1 + Math.floor(random() * 20));
      const expected = replayCheckingEach(file, changes);
      const applied = applyChanges(file, changes);
      expect(applied.skipped).toEqual(expected.skipped);
      expect(applied.file).toEqual(expected.file);
      expect(applied.course).toEqual(courseOf(expected.file));
      expect(applied.checkedEach).toBeUndefined();
      if (expected.skipped.length > 0) skippedSome += 1;
    }
    // The sequences do run into changes that no longer fit.
    expect(skippedSome).toBeGreaterThan(10);
  });

  it('checks change by change when the result breaks a rule, skipping only the change that broke it', () => {
    const changes: NumberedChange[] = [
      { id: 1, change: { kind: 'edit', date: '2027-01-04', topic: 'Welcome' } },
      // Not through the stored-change schema: an empty topic reaches the course rules.
      { id: 2, change: { kind: 'edit', date: '2027-01-06', topic: ' ' } },
      { id: 3, change: { kind: 'cancel', date: '2027-01-12', reason: 'ill' } },
    ];
    const applied = applyChanges(file, changes);
    expect(applied.skipped).toEqual([
      { id: 2, reason: 'That change would make the course invalid: weeks[0].sessions[1].topic: must not be empty' },
    ]);
    expect(schedule(applied.course)).toEqual([
      '2027-01-04 w1 Welcome [PyTorch]',
      ORIGINAL[1],
      ORIGINAL[2],
      '2027-01-12 w2 Deployment [BentoML] cancelled=ill',
    ]);
    expect(applied.checkedEach).toBe(true);
    // Such a result is not built on: the caller applies everything again.
    expect(applyMoreChanges(applied, [{ id: 4, change: { kind: 'cancel', date: '2027-01-04' } }])).toBeUndefined();
  });

  it('applyMoreChanges on an earlier result gives what applyChanges over all the changes gives', () => {
    const random = seeded(23);
    for (let round = 0; round < 40; round += 1) {
      const changes = randomChanges(random, 2 + Math.floor(random() * 20));
      const split = 1 + Math.floor(random() * (changes.length - 1));
      const through = random() < 0.3 ? Math.floor(random() * changes.length) : undefined;
      const options = through !== undefined ? { includedThrough: through } : {};
      const earlier = applyChanges(file, changes.slice(0, split), options);
      const more = applyMoreChanges(earlier, changes.slice(split), options);
      const all = applyChanges(file, changes, options);
      expect(more).toEqual(all);
    }
    // Nothing new: the same result.
    const earlier = applyChanges(file, randomChanges(random, 5));
    expect(applyMoreChanges(earlier, [])).toBe(earlier);
  });

  it('refuses to build on changes that break a rule together: undefined, so the caller applies all again', () => {
    const earlier = applyChanges(file, [{ id: 1, change: { kind: 'cancel', date: '2027-01-06' } }]);
    expect(applyMoreChanges(earlier, [{ id: 2, change: { kind: 'edit', date: '2027-01-04', topic: ' ' } }])).toBeUndefined();
    const again = applyChanges(file, [
      { id: 1, change: { kind: 'cancel', date: '2027-01-06' } },
      { id: 2, change: { kind: 'edit', date: '2027-01-04', topic: ' ' } },
    ]);
    expect(again.skipped.map((entry) => entry.id)).toEqual([2]);
  });
});

describe('scheduleChangeSchema', () => {
  it('trims text, keeps null and [] (they clear a field) and refuses unknown keys, bad dates and empty topics', () => {
    expect(scheduleChangeSchema.parse({ kind: 'edit', date: '2027-01-05', topic: '  A B ', frameworks: [], note: null })).toEqual({
      kind: 'edit',
      date: '2027-01-05',
      topic: 'A B',
      frameworks: [],
      note: null,
    });
    expect(scheduleChangeSchema.safeParse({ kind: 'cancel', date: '2027-02-30' }).success).toBe(false);
    expect(scheduleChangeSchema.safeParse({ kind: 'cancel', date: '2027-01-05', why: 'x' }).success).toBe(false);
    expect(scheduleChangeSchema.safeParse({ kind: 'add', date: '2027-01-05', topic: '   ' }).success).toBe(false);
    expect(scheduleChangeSchema.safeParse({ kind: 'delete', date: '2027-01-05' }).success).toBe(false);
  });
});

describe('scheduleDiff', () => {
  const digest = (changes: ScheduleChange[], from = file) => scheduleDigest(courseOf(changes.reduce((current, change) => applyChange(current, change), from)));
  const base = scheduleDigest(course);

  it('lists added, removed and changed dates only, in date order, with before and after', () => {
    const after = digest([
      { kind: 'move', from: '2027-01-06', to: '2027-01-07' },
      { kind: 'edit', date: '2027-01-04', topic: 'Welcome' },
    ]);
    expect(scheduleDiff(base, after, '2027-01-01', '2027-01-31')).toEqual([
      { date: '2027-01-04', before: { week: 1, topic: 'Intro', frameworks: ['PyTorch'], format: 'exercises' }, after: { week: 1, topic: 'Welcome', frameworks: ['PyTorch'], format: 'exercises' } },
      { date: '2027-01-06', before: { week: 1, topic: 'Configs', frameworks: ['Hydra'] } },
      { date: '2027-01-07', after: { week: 1, topic: 'Configs', frameworks: ['Hydra'] } },
    ]);
    expect(scheduleDiff(base, base, '2027-01-01', '2027-01-31')).toEqual([]);
  });

  it('includes both ends of the window and nothing outside it', () => {
    const after = digest([
      { kind: 'edit', date: '2027-01-04', note: 'a' },
      { kind: 'edit', date: '2027-01-06', note: 'b' },
      { kind: 'edit', date: '2027-01-08', note: 'c' },
      { kind: 'edit', date: '2027-01-12', note: 'd' },
    ]);
    expect(scheduleDiff(base, after, '2027-01-06', '2027-01-08').map((change) => change.date)).toEqual(['2027-01-06', '2027-01-08']);
    expect(scheduleDiff(base, after, '2027-01-05', '2027-01-11').map((change) => change.date)).toEqual(['2027-01-06', '2027-01-08']);
    expect(scheduleDiff(base, after, '2027-01-12', '2027-01-12').map((change) => change.date)).toEqual(['2027-01-12']);
  });

  it('does not care in which order the keys of a digest were written (a digest read back from JSON)', () => {
    const reordered: ScheduleDigest = Object.fromEntries(
      Object.entries(base)
        .reverse()
        .map(([date, day]) => [date, Object.fromEntries(Object.entries(day).reverse()) as typeof day]),
    );
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(base));
    expect(canonicalJson(reordered)).toBe(canonicalJson(base));
    expect(scheduleDiff(base, reordered, '2027-01-01', '2027-01-31')).toEqual([]);
    expect(scheduleDiff(JSON.parse(JSON.stringify(reordered)) as ScheduleDigest, base, '2027-01-01', '2027-01-31')).toEqual([]);
  });

  it('sameSchedule agrees with comparing canonical JSON, on digests built, read back and reordered', () => {
    const variants = [
      base,
      digest([{ kind: 'cancel', date: '2027-01-06' }]),
      digest([{ kind: 'cancel', date: '2027-01-06', reason: 'ill' }]),
      digest([{ kind: 'edit', date: '2027-01-04', frameworks: [] }]),
      digest([{ kind: 'edit', date: '2027-01-04', frameworks: ['PyTorch', 'Docker'] }]),
      digest([{ kind: 'edit', date: '2027-01-04', note: 'Room 1' }]),
      digest([{ kind: 'move', from: '2027-01-06', to: '2027-01-07' }]),
      digest([{ kind: 'add', date: '2027-01-20', topic: 'Extra' }]),
    ];
    const forms = (value: ScheduleDigest): ScheduleDigest[] => [
      value,
      JSON.parse(JSON.stringify(value)) as ScheduleDigest,
      Object.fromEntries(Object.entries(value).reverse()),
    ];
    for (const a of variants) {
      for (const b of variants) {
        for (const left of forms(a)) {
          for (const right of forms(b)) expect(sameSchedule(left, right)).toBe(canonicalJson(left) === canonicalJson(right));
        }
      }
    }
  });

  it('scheduleDigestJson is JSON.stringify of the digest, whatever the order of its keys, twice in a row', () => {
    const reordered = Object.fromEntries(Object.entries(base).reverse()) as ScheduleDigest;
    for (const value of [base, JSON.parse(JSON.stringify(base)) as ScheduleDigest, reordered, digest([{ kind: 'cancel', date: '2027-01-06', reason: 'a "quoted" \\ reason' }])]) {
      expect(scheduleDigestJson(value)).toBe(JSON.stringify(value));
      expect(scheduleDigestJson(value)).toBe(JSON.stringify(value));
    }
    // The same session under another date is written under that date.
    const session = Object.values(base)[0]!;
    expect(scheduleDigestJson({ '2027-02-01': session })).toBe(JSON.stringify({ '2027-02-01': session }));
  });

  it('tells a cancellation, and a change of its reason, apart', () => {
    const cancelled = digest([{ kind: 'cancel', date: '2027-01-06' }]);
    expect(scheduleDiff(base, cancelled, '2027-01-06', '2027-01-06')[0]?.after?.cancelled).toEqual({});
    const reasoned = digest([{ kind: 'cancel', date: '2027-01-06', reason: 'ill' }]);
    expect(scheduleDiff(cancelled, reasoned, '2027-01-06', '2027-01-06')).toHaveLength(1);
  });

  it('noticeWindow is today and the next 7 days', () => {
    expect(noticeWindow('2027-01-04')).toEqual({ from: '2027-01-04', to: '2027-01-11' });
    expect(noticeWindow('2027-12-28')).toEqual({ from: '2027-12-28', to: '2028-01-04' });
  });
});

describe('describeChange', () => {
  it.each<[ScheduleChange, string]>([
    [{ kind: 'edit', date: '2027-01-05', topic: 'A B', frameworks: ['PyTorch', 'Hydra'], note: 'Room 101' }, 'Edit Tue 5 Jan: topic "A B", frameworks PyTorch, Hydra, note "Room 101"'],
    [{ kind: 'edit', date: '2027-01-05', frameworks: [], note: null }, 'Edit Tue 5 Jan: no frameworks, no note'],
    [{ kind: 'cancel', date: '2027-01-06', reason: 'Instructor ill' }, 'Cancel Wed 6 Jan (Instructor ill)'],
    [{ kind: 'cancel', date: '2027-01-06' }, 'Cancel Wed 6 Jan'],
    [{ kind: 'move', from: '2027-01-06', to: '2027-01-13' }, 'Move Wed 6 Jan to Wed 13 Jan'],
    [{ kind: 'add', date: '2027-01-09', topic: 'Hackathon', frameworks: ['Docker', 'GCP'] }, 'Add Sat 9 Jan: "Hackathon" · Docker, GCP'],
    [{ kind: 'add', date: '2027-01-09', topic: 'Hackathon' }, 'Add Sat 9 Jan: "Hackathon"'],
  ])('%j → %s', (change, text) => {
    expect(describeChange(change)).toBe(text);
  });
});

describe('dayChangeLine and the notice', () => {
  /** The lines students would be told on `today` when the file changes from `from` to `to`. */
  function lines(from: CourseFile, to: CourseFile, today = '2027-01-05'): string[] {
    const window = noticeWindow(today);
    return scheduleDiff(scheduleDigest(courseOf(from)), scheduleDigest(courseOf(to)), window.from, window.to).map((change) => dayChangeLine(change, today));
  }
  const cancelled = applyChange(file, { kind: 'cancel', date: '2027-01-06', reason: 'Instructor ill' });

  it('cancelled, with and without a reason', () => {
    expect(lines(file, cancelled)).toEqual(['Wed 6 Jan (tomorrow): cancelled: Configs · Hydra (Instructor ill)']);
    expect(lines(file, applyChange(file, { kind: 'cancel', date: '2027-01-08' }))).toEqual(['Fri 8 Jan (in 3 days): cancelled: Project work']);
  });

  it('back on after a cancellation', () => {
    expect(lines(cancelled, file)).toEqual(['Wed 6 Jan (tomorrow): back on: Configs · Hydra']);
  });

  it('a new session, and one that is gone (a move gives both)', () => {
    expect(lines(file, applyChange(file, { kind: 'add', date: '2027-01-09', topic: 'Hackathon', frameworks: ['Docker'] }))).toEqual([
      'Sat 9 Jan (in 4 days): new session: Hackathon · Docker',
    ]);
    expect(lines(file, applyChange(file, { kind: 'move', from: '2027-01-06', to: '2027-01-07' }))).toEqual([
      'Wed 6 Jan (tomorrow): no session any more (was: Configs · Hydra)',
      'Thu 7 Jan (in 2 days): new session: Configs · Hydra',
    ]);
  });

  it('a changed topic says what it was; changed frameworks say what they were', () => {
    expect(lines(file, applyChange(file, { kind: 'edit', date: '2027-01-06', topic: 'Hydra in depth' }))).toEqual([
      'Wed 6 Jan (tomorrow): now Hydra in depth · Hydra (was: Configs)',
    ]);
    expect(lines(file, applyChange(file, { kind: 'edit', date: '2027-01-06', frameworks: ['Hydra', 'OmegaConf'] }))).toEqual([
      'Wed 6 Jan (tomorrow): now Configs · Hydra, OmegaConf (frameworks were: Hydra)',
    ]);
    expect(lines(file, applyChange(file, { kind: 'edit', date: '2027-01-08', frameworks: ['Git'] }))).toEqual([
      'Fri 8 Jan (in 3 days): now Project work · Git (frameworks were: none)',
    ]);
    expect(lines(file, applyChange(file, { kind: 'edit', date: '2027-01-06', frameworks: [] }))).toEqual([
      'Wed 6 Jan (tomorrow): now Configs (frameworks were: Hydra)',
    ]);
  });

  it('a note added or removed, and several details at once', () => {
    const noted = applyChange(file, { kind: 'edit', date: '2027-01-06', note: 'Bring a laptop' });
    expect(lines(file, noted)).toEqual(['Wed 6 Jan (tomorrow): now Configs · Hydra (note: Bring a laptop)']);
    expect(lines(noted, file)).toEqual(['Wed 6 Jan (tomorrow): now Configs · Hydra (note removed)']);
    expect(lines(file, applyChange(file, { kind: 'edit', date: '2027-01-06', topic: 'Serving', frameworks: ['BentoML'], note: 'Room 2' }))).toEqual([
      'Wed 6 Jan (tomorrow): now Serving · BentoML (was: Configs; frameworks were: Hydra; note: Room 2)',
    ]);
  });

  // A day without a topic is shown to students by its format ("Project work").
  it('a topic given to a day without one says what students saw before (its format)', () => {
    expect(lines(file, applyChange(file, { kind: 'edit', date: '2027-01-08', topic: 'Project kick-off' }))).toEqual([
      'Fri 8 Jan (in 3 days): now Project kick-off (was: Project work)',
    ]);
  });

  it('says "today" for today', () => {
    expect(lines(file, cancelled, '2027-01-06')).toEqual(['Wed 6 Jan (today): cancelled: Configs · Hydra (Instructor ill)']);
  });

  it('a notice of one change is a "Schedule change", of several "Schedule changes"', () => {
    const changes: DayChange[] = scheduleDiff(scheduleDigest(course), scheduleDigest(courseOf(cancelled)), '2027-01-05', '2027-01-12');
    const one = scheduleChangeNotice(course, changes, '2027-01-05');
    expect(one.title).toBe('Schedule change');
    expect(one.description).toBe('Wed 6 Jan (tomorrow): cancelled: Configs · Hydra (Instructor ill)');
    expect(one.footer).toBe('Demo Course · /week shows the whole week');
    const moved = scheduleDiff(
      scheduleDigest(course),
      scheduleDigest(courseOf(applyChange(file, { kind: 'move', from: '2027-01-06', to: '2027-01-07' }))),
      '2027-01-05',
      '2027-01-12',
    );
    expect(scheduleChangeNotice(course, moved, '2027-01-05').title).toBe('Schedule changes');
  });
});

describe('cancelled sessions seen by students', () => {
  const cancelledCourse = courseOf(applyChange(file, { kind: 'cancel', date: '2027-01-06', reason: 'Instructor ill' }));

  it('the course file may say cancelled: true or a reason; false means held', () => {
    const doc = courseDoc();
    const built = buildCourse({
      ...doc,
      weeks: [
        {
          number: 1,
          sessions: [
            { day: 'monday', topic: 'A', cancelled: true },
            { day: 'tuesday', topic: 'B', cancelled: 'Snow' },
            { day: 'wednesday', topic: 'C', cancelled: false },
          ],
        },
      ],
    });
    expect(built.sessions.map((session) => session.cancelled)).toEqual([{}, { reason: 'Snow' }, undefined]);
    expect(built.sessions.map(isHeld)).toEqual([false, false, true]);
  });

  it('/today shows the session marked cancelled, with the reason and the next session, no lecture time or links', () => {
    const answer = answerNow('/today', contextAt(cancelledCourse, '2027-01-06T07:00'));
    expect(answer.title).toBe('Week 1 · Wednesday 6 January 2027');
    expect(answer.description).toBe('Cancelled: Configs');
    expect(answer.sections).toEqual([
      { heading: 'Reason', lines: ['Instructor ill'] },
      { heading: 'Next session', lines: ['Friday 8 January 2027 (in 2 days), week 1 — Project work'] },
    ]);
    expect(answer.time).toBeUndefined();
    expect(answer.links).toEqual([]);
    const noReason = courseOf(applyChange(file, { kind: 'cancel', date: '2027-01-06' }));
    expect(answerNow('/today', contextAt(noReason, '2027-01-06T07:00')).sections).toEqual([
      { heading: 'Next session', lines: ['Friday 8 January 2027 (in 2 days), week 1 — Project work'] },
    ]);
  });

  it('/week lists it as cancelled with the reason, in the words of /today', () => {
    const answer = answerNow('/week', contextAt(cancelledCourse, '2027-01-05T10:00'));
    expect(answer.sections.find((section) => section.heading === 'Wednesday 6 January 2027')?.lines).toEqual([
      'Cancelled: Configs',
      'Reason: Instructor ill',
    ]);
    expect(answer.sections.find((section) => section.heading === 'Monday 4 January 2027')?.lines).toEqual(['Intro', 'Frameworks: PyTorch']);
  });

  it('/next and the "next session" of a free day skip a cancelled session', () => {
    expect(answerNow('/next', contextAt(course, '2027-01-05T10:00')).title).toBe('Next (tomorrow): Week 1 · Wednesday 6 January 2027');
    expect(answerNow('/next', contextAt(cancelledCourse, '2027-01-05T10:00')).title).toBe('Next (in 3 days): Week 1 · Friday 8 January 2027');
    // Today's session is cancelled: before the lecture time it is not "next" either.
    expect(answerNow('/next', contextAt(cancelledCourse, '2027-01-06T07:00')).title).toBe('Next (in 2 days): Week 1 · Friday 8 January 2027');
    expect(answerNow('/today', contextAt(cancelledCourse, '2027-01-05T10:00')).description).toBe(
      'Next session: Friday 8 January 2027 (in 3 days), week 1 — Project work',
    );
    expect(nextSessionAfter(cancelledCourse, '2027-01-05')?.date).toBe('2027-01-06');
    expect(nextSessionAfter(cancelledCourse, '2027-01-05', true)?.date).toBe('2027-01-08');
  });

  // With the last session cancelled, /next must not say the course "has ended" nor call the cancelled session the last one.
  it('/next does not call a course with only cancelled sessions ahead "ended", nor a cancelled session today "the last one"', () => {
    const lastCancelled = courseOf(applyChange(file, { kind: 'cancel', date: '2027-01-12', reason: 'ill' }));
    const before = answerNow('/next', contextAt(lastCancelled, '2027-01-10T07:00'));
    expect(before.title).not.toBe('Demo Course has ended');
    expect(before.description).not.toContain('The last one was on Tuesday 12 January 2027');
    const onTheDay = answerNow('/next', contextAt(lastCancelled, '2027-01-12T07:00'));
    expect(onTheDay.title).not.toMatch(/^Today's session is the last one/);
  });

  it('the morning announcement of a cancelled day says so in its title', () => {
    expect(morningAnnouncement(course, '2027-01-06')?.title).toBe('Good morning! Today in Demo Course: Week 1 · Wednesday 6 January 2027');
    const cancelled = morningAnnouncement(cancelledCourse, '2027-01-06');
    expect(cancelled?.title).toBe('Good morning! No session today in Demo Course: Week 1 · Wednesday 6 January 2027 is cancelled');
    expect(cancelled?.description).toBe('Cancelled: Configs');
    expect(cancelled?.sections).toEqual([
      { heading: 'Reason', lines: ['Instructor ill'] },
      { heading: 'Next session', lines: ['Friday 8 January 2027 (in 2 days), week 1 — Project work'] },
    ]);
    expect(cancelled?.links).toEqual([]);
    expect(cancelled?.text).not.toContain('Hydra');
  });

  it('a posted announcement of a date that lost its session becomes a short "no session" message', () => {
    const moved = courseOf(applyChange(file, { kind: 'move', from: '2027-01-06', to: '2027-01-07' }));
    const revised = revisedMorningAnnouncement(moved, '2027-01-06');
    expect(revised.title).toBe('No session today in Demo Course');
    expect(revised.description).toBe('The session planned for Wed 6 Jan was moved or removed. /week shows the week as it is now.');
    expect(revisedMorningAnnouncement(cancelledCourse, '2027-01-06').title).toBe(morningAnnouncement(cancelledCourse, '2027-01-06')?.title);
  });
});
