import { describe, expect, it } from 'vitest';
import type { CommandContext } from '../../../src/core/commands/command.js';
import { runCommandLine } from '../../../src/core/commands/parse.js';
import type { ScheduleChange } from '../../../src/core/course/changes.js';
import { UserFacingError } from '../../../src/core/errors.js';
import type { Message } from '../../../src/core/messages.js';
import type {
  Actor,
  AnnounceOutcome,
  ChangeOutcome,
  ChangeRecord,
  HistoryEntry,
  ReloadOutcome,
  ScheduleAdmin,
} from '../../../src/core/ports.js';
import { answerNow, at, buildCourse, contextAt, courseDoc } from '../../support/course.js';

const course = buildCourse();
const alice: Actor = { platform: 'discord', id: '42', name: 'alice' };
const bob: Actor = { platform: 'slack', id: 'U7' };
const NOW = '2027-01-05T10:00';

type Call =
  | { readonly method: 'change'; readonly change: ScheduleChange; readonly actor: Actor }
  | { readonly method: 'undo' | 'reload' | 'announce'; readonly actor: Actor }
  | { readonly method: 'history' };

/** A `ScheduleAdmin` that records every call and answers what the test set up. */
class FakeAdmin implements ScheduleAdmin {
  readonly calls: Call[] = [];
  noticed = true;
  refuse: UserFacingError | undefined;
  undone: ChangeRecord | undefined;
  entries: HistoryEntry[] = [];
  reloaded: ReloadOutcome = { ok: true, changed: true };
  announced: AnnounceOutcome = { sent: [], already: [], failed: [], busy: [] };
  #id = 0;

  change(change: ScheduleChange, actor: Actor): Promise<ChangeOutcome> {
    this.calls.push({ method: 'change', change, actor });
    if (this.refuse) return Promise.reject(this.refuse);
    this.#id += 1;
    const record: ChangeRecord = { id: this.#id, courseId: 'demo', at: at(course, NOW).getTime(), actor, change };
    return Promise.resolve({ record, noticed: this.noticed });
  }

  undo(actor: Actor): Promise<ChangeOutcome | undefined> {
    this.calls.push({ method: 'undo', actor });
    return Promise.resolve(this.undone && { record: this.undone, noticed: this.noticed });
  }

  history(): readonly HistoryEntry[] {
    this.calls.push({ method: 'history' });
    return this.entries;
  }

  reload(actor: Actor): Promise<ReloadOutcome> {
    this.calls.push({ method: 'reload', actor });
    return Promise.resolve(this.reloaded);
  }

  announce(actor: Actor): Promise<AnnounceOutcome> {
    this.calls.push({ method: 'announce', actor });
    return Promise.resolve(this.announced);
  }
}

function setup(local = NOW, actor: Actor = alice) {
  const admin = new FakeAdmin();
  const context: CommandContext = { ...contextAt(course, local), admin, actor };
  return { admin, context, run: (line: string): Promise<Message> => Promise.resolve(runCommandLine(line, context)) };
}

/** The error a command line fails with, whether it throws at once or rejects. */
async function failure(run: () => unknown): Promise<UserFacingError> {
  try {
    await run();
  } catch (error) {
    if (error instanceof UserFacingError) return error;
    throw error;
  }
  throw new Error('expected a UserFacingError');
}

const changes = (admin: FakeAdmin) => admin.calls.flatMap((call) => (call.method === 'change' ? [call.change] : []));

describe('/course edit', () => {
  it('reads quoted values, a comma-separated framework list, and "-" as "remove the note"', async () => {
    const { admin, run } = setup();
    const answer = await run('/course edit 2027-01-05 topic: "A B" frameworks: "PyTorch, Hydra" note: -');
    expect(admin.calls).toEqual([
      { method: 'change', change: { kind: 'edit', date: '2027-01-05', topic: 'A B', frameworks: ['PyTorch', 'Hydra'], note: null }, actor: alice },
    ]);
    expect(answer.title).toBe('Done: Edit Tue 5 Jan: topic "A B", frameworks PyTorch, Hydra, no note');
    expect(answer.description).toBe(
      'It touches the next 7 days: students are told in the announcement channel, and a posted announcement is updated.',
    );
    expect(answer.sections).toEqual([{ heading: 'Change', lines: ['#1 · 5 Jan, 10:00 · alice'] }]);
    expect(answer.footer).toBe('/course undo takes it back · /course history lists every change');
  });

  it('sends only the fields given; "-" or "none" clears the frameworks', async () => {
    const { admin, run } = setup();
    await run('/course edit 2027-01-06 frameworks: -');
    await run('/course edit date:2027-01-06 frameworks:none');
    await run('/course edit 2027-01-06 note:"Bring a laptop"');
    await run('/course edit 2027-01-06 topic:Serving');
    expect(changes(admin)).toEqual([
      { kind: 'edit', date: '2027-01-06', frameworks: [] },
      { kind: 'edit', date: '2027-01-06', frameworks: [] },
      { kind: 'edit', date: '2027-01-06', note: 'Bring a laptop' },
      { kind: 'edit', date: '2027-01-06', topic: 'Serving' },
    ]);
  });

  it('refuses an edit without a field, before asking the admin', async () => {
    const { admin, context } = setup();
    const error = await failure(() => runCommandLine('/course edit 2027-01-06', context));
    expect(error.code).toBe('bad-option');
    expect(error.message).toBe('/course edit needs at least one of topic, frameworks or note.');
    expect(admin.calls).toEqual([]);
  });

  it('refuses a date that is not YYYY-MM-DD, naming the option', async () => {
    const { admin, context } = setup();
    const error = await failure(() => runCommandLine('/course edit tomorrow topic: X', context));
    expect(error.message).toBe('/course edit date: "tomorrow" is not a date; use YYYY-MM-DD, such as 2027-01-05.');
    expect(admin.calls).toEqual([]);
  });

  it('passes on what the admin refuses (the change does not apply)', async () => {
    const { admin, context } = setup();
    admin.refuse = new UserFacingError('bad-option', 'There is no session on 2027-01-05 to edit.');
    const error = await failure(() => runCommandLine('/course edit 2027-01-05 topic: X', context));
    expect(error.message).toBe('There is no session on 2027-01-05 to edit.');
  });

  // Unquoted words after the date are the topic: a text option reached by position takes the rest of the line.
  it('keeps an unquoted multi-word topic together', async () => {
    const { admin, run } = setup();
    await run('/course edit 2027-01-06 Hydra in depth');
    await run('/course add 2027-01-09 Model monitoring and drift');
    expect(changes(admin)).toEqual([
      { kind: 'edit', date: '2027-01-06', topic: 'Hydra in depth' },
      { kind: 'add', date: '2027-01-09', topic: 'Model monitoring and drift' },
    ]);
  });
});

describe('/course cancel, move, add', () => {
  it('cancel with a reason (the rest of the line), and without', async () => {
    const { admin, run } = setup();
    const answer = await run('/course cancel 2027-01-06 instructor is ill');
    await run('/course cancel date: 2027-01-08');
    expect(changes(admin)).toEqual([
      { kind: 'cancel', date: '2027-01-06', reason: 'instructor is ill' },
      { kind: 'cancel', date: '2027-01-08' },
    ]);
    expect(answer.title).toBe('Done: Cancel Wed 6 Jan (instructor is ill)');
  });

  it('move takes two dates, both required', async () => {
    const { admin, context, run } = setup();
    const answer = await run('/course move 2027-01-06 2027-01-07');
    expect(changes(admin)).toEqual([{ kind: 'move', from: '2027-01-06', to: '2027-01-07' }]);
    expect(answer.title).toBe('Done: Move Wed 6 Jan to Thu 7 Jan');
    const error = await failure(() => runCommandLine('/course move 2027-01-06', context));
    expect(error.message).toBe('/course move needs to. Usage: /course move <from> <to>');
    expect(admin.calls).toHaveLength(1);
  });

  it('add takes a date, a topic and optional frameworks; far ahead, it says no notice is posted', async () => {
    const { admin, run } = setup();
    admin.noticed = false;
    const answer = await run('/course add 2027-01-20 "Guest lecture" frameworks: "Docker, GCP"');
    await run('/course add 2027-01-21 topic: Q&A');
    expect(changes(admin)).toEqual([
      { kind: 'add', date: '2027-01-20', topic: 'Guest lecture', frameworks: ['Docker', 'GCP'] },
      { kind: 'add', date: '2027-01-21', topic: 'Q&A' },
    ]);
    expect(answer.title).toBe('Done: Add Wed 20 Jan: "Guest lecture" · Docker, GCP');
    expect(answer.description).toBe('It is more than a week away: no notice is posted now; students see it in /week and /schedule.');
  });

  it('records who asked: the actor of the context', async () => {
    const { admin, run } = setup(NOW, bob);
    const answer = await run('/course cancel 2027-01-06');
    expect(admin.calls[0]).toMatchObject({ actor: bob });
    expect(answer.sections[0]!.lines).toEqual(['#1 · 5 Jan, 10:00 · U7']);
  });
});

describe('/course undo and history', () => {
  it('undo says what was taken back, or that nothing is left', async () => {
    const { admin, run } = setup();
    expect(await run('/course undo')).toMatchObject({
      title: 'Nothing to undo',
      description: 'There are no schedule changes left to take back.',
    });
    admin.undone = {
      id: 3,
      courseId: 'demo',
      at: at(course, '2027-01-04T14:02').getTime(),
      actor: alice,
      change: { kind: 'cancel', date: '2027-01-06', reason: 'ill' },
      undoneAt: at(course, NOW).getTime(),
      undoneBy: bob,
    };
    const answer = await run('/course undo');
    expect(answer.title).toBe('Undone: Cancel Wed 6 Jan (ill)');
    expect(answer.sections).toEqual([{ heading: 'Change', lines: ['#3 · 4 Jan, 14:02 · alice'] }]);
    expect(admin.calls).toEqual([
      { method: 'undo', actor: alice },
      { method: 'undo', actor: alice },
      { method: 'history' },
    ]);
  });

  it('after an undo, offers /course undo again only when a change is left to take back', async () => {
    const { admin, run } = setup();
    const record = (id: number, extra: Partial<ChangeRecord> = {}): ChangeRecord => ({
      id,
      courseId: 'demo',
      at: at(course, '2027-01-04T14:02').getTime(),
      actor: alice,
      change: { kind: 'cancel', date: '2027-01-06' },
      ...extra,
    });
    const undone = { undoneAt: at(course, NOW).getTime(), undoneBy: alice };
    admin.undone = record(2, undone);
    // The last change left was undone: nothing remains.
    admin.entries = [{ record: record(1, undone) }, { record: record(2, undone) }];
    expect((await run('/course undo')).footer).toBe('/course history lists every change');
    // One exported into the course file cannot be undone from chat either.
    admin.entries = [{ record: record(1), inFile: true }, { record: record(2, undone) }];
    expect((await run('/course undo')).footer).toBe('/course history lists every change');
    // An earlier change still stands (applied, or skipped because the file changed under it).
    admin.entries = [{ record: record(1), skipped: 'no session on Wed 6 Jan' }, { record: record(2, undone) }];
    expect((await run('/course undo')).footer).toBe('/course undo takes back the one before · /course history lists every change');
    admin.entries = [{ record: record(1) }, { record: record(2, undone) }];
    expect((await run('/course undo')).footer).toBe('/course undo takes back the one before · /course history lists every change');
  });

  it('history lists who did what when, in the course zone, with undone and skipped changes marked', async () => {
    const { admin, run } = setup();
    expect((await run('/course history')).title).toBe('No schedule changes yet');
    admin.entries = [
      {
        record: { id: 1, courseId: 'demo', at: at(course, '2027-01-04T09:15').getTime(), actor: alice, change: { kind: 'cancel', date: '2027-01-06' } },
      },
      {
        record: {
          id: 2,
          courseId: 'demo',
          at: at(course, '2027-01-04T09:20').getTime(),
          actor: alice,
          change: { kind: 'add', date: '2027-01-09', topic: 'Hackathon' },
          undoneAt: at(course, '2027-01-04T09:30').getTime(),
          undoneBy: bob,
        },
      },
      {
        record: { id: 3, courseId: 'demo', at: at(course, '2027-01-05T08:05').getTime(), actor: bob, change: { kind: 'edit', date: '2027-01-05', topic: 'X' } },
        skipped: 'There is no session on 2027-01-05 to edit.',
      },
    ];
    const answer = await run('/course history');
    expect(answer.title).toBe('Schedule changes (3)');
    expect(answer.description).toBe(
      [
        '#1 · 4 Jan, 09:15 · alice · Cancel Wed 6 Jan',
        '#2 · 4 Jan, 09:20 · alice · Add Sat 9 Jan: "Hackathon" — undone by U7',
        '#3 · 5 Jan, 08:05 · U7 · Edit Tue 5 Jan: topic "X" — not applied: There is no session on 2027-01-05 to edit.',
      ].join('\n'),
    );
    expect(answer.footer).toBe('Times in Europe/Copenhagen.');
  });

  it('history shows the latest 20 and says so', async () => {
    const { admin, run } = setup();
    admin.entries = Array.from({ length: 25 }, (_, index) => ({
      record: {
        id: index + 1,
        courseId: 'demo',
        at: at(course, NOW).getTime(),
        actor: alice,
        change: { kind: 'cancel', date: '2027-01-06', reason: `r${index + 1}` },
      },
    }));
    const answer = await run('/course history');
    const lines = answer.description!.split('\n');
    expect(lines).toHaveLength(20);
    expect(lines[0]).toBe('#6 · 5 Jan, 10:00 · alice · Cancel Wed 6 Jan (r6)');
    expect(lines.at(-1)).toBe('#25 · 5 Jan, 10:00 · alice · Cancel Wed 6 Jan (r25)');
    expect(answer.footer).toBe('The latest 20 of 25.');
  });
});

describe('/course preview, announce, reload', () => {
  it('preview shows the morning announcement of today or of a date, without the admin', async () => {
    const { admin, run } = setup('2027-01-06T07:00');
    expect((await run('/course preview')).title).toBe('Good morning! Today in Demo Course: Week 1 · Wednesday 6 January 2027');
    expect((await run('/course preview 2027-01-12')).title).toBe('Good morning! Today in Demo Course: Week 2 · Tuesday 12 January 2027');
    const none = await run('/course preview 2027-01-07');
    expect(none.title).toBe('No announcement on Thursday 7 January 2027');
    expect(none.description).toBe('There is no session that day, so nothing is posted.');
    expect(admin.calls).toEqual([]);
  });

  it('preview names the weekly overview posted before the day card', async () => {
    const weekly = buildCourse(courseDoc({ announcements: { time: '08:00', weeklyOverview: true } }));
    const context: CommandContext = { ...contextAt(weekly, '2027-01-04T07:00'), admin: new FakeAdmin(), actor: alice };
    const first = await runCommandLine('/course preview', context);
    expect(first.footer).toBe('Demo Course · the weekly overview "This week in Demo Course: Week 1" is posted before it');
    expect((await runCommandLine('/course preview 2027-01-06', context)).footer).toBe('Demo Course');
  });

  it('announce reports each key by what became of it', async () => {
    const { admin, run } = setup();
    admin.announced = { sent: ['demo:2027-01-05:daily:discord:1'], already: ['demo:2027-01-05:weekly:discord:1'], failed: [], busy: ['k3'] };
    const answer = await run('/course announce');
    expect(answer.title).toBe("Today's announcement");
    expect(answer.description).toBe(
      [
        'Posted: demo:2027-01-05:daily:discord:1',
        'Already posted earlier: demo:2027-01-05:weekly:discord:1',
        'Being posted by another instance: k3',
      ].join('\n'),
    );
    admin.announced = { sent: [], already: [], failed: ['k4'], busy: [] };
    const failed = await run('/course announce');
    expect(failed.title).toBe("Today's announcement could not be posted");
    expect(failed.description).toBe('Failed (see the instructor channel or the log): k4');
    admin.announced = { sent: [], already: [], failed: [], busy: [], nothing: 'There is no session today.' };
    expect(await run('/course announce')).toMatchObject({ title: 'Nothing posted', description: 'There is no session today.' });
    admin.announced = { sent: [], already: [], failed: [], busy: [] };
    expect((await run('/course announce')).description).toBe('Nothing was due.');
    expect(admin.calls.every((call) => call.method === 'announce' && call.actor === alice)).toBe(true);
  });

  it('reload says whether the file changed, or lists its errors (at most 10)', async () => {
    const { admin, run } = setup();
    expect(await run('/course reload')).toMatchObject({
      title: 'Course file reloaded',
      description: 'The new schedule is live; changes in the next 7 days are announced.',
    });
    admin.reloaded = { ok: true, changed: false };
    expect((await run('/course reload')).title).toBe('The course file has not changed');
    admin.reloaded = { ok: false, problems: Array.from({ length: 12 }, (_, index) => `course.yaml:${index + 1}:1 problem ${index + 1}`) };
    const refused = await run('/course reload');
    expect(refused.title).toBe('The course file was not reloaded');
    expect(refused.description).toBe('It has errors; the last good schedule stays live.');
    expect(refused.sections[0]!.lines).toHaveLength(10);
    expect(refused.sections[0]!.lines[0]).toBe('course.yaml:1:1 problem 1');
    expect(admin.calls).toEqual([1, 2, 3].map(() => ({ method: 'reload', actor: alice })));
  });
});

describe('/course without the admin, and its errors', () => {
  it.each(['/course edit 2027-01-06 topic: X', '/course cancel 2027-01-06', '/course undo', '/course history', '/course announce', '/course reload'])(
    '%s is forbidden where schedule changes are not available',
    async (line) => {
      const error = await failure(() => runCommandLine(line, contextAt(course, NOW)));
      expect(error.code).toBe('forbidden');
      expect(error.message).toBe('Schedule changes are not available here.');
    },
  );

  it('is forbidden with an admin but nobody to record as the actor', async () => {
    const admin = new FakeAdmin();
    const error = await failure(() => runCommandLine('/course cancel 2027-01-06', { ...contextAt(course, NOW), admin }));
    expect(error.code).toBe('forbidden');
    expect(admin.calls).toEqual([]);
  });

  it('an unknown subcommand is refused with a guess and the list of subcommands', async () => {
    const { context } = setup();
    const error = await failure(() => runCommandLine('/course edti 2027-01-06', context));
    expect(error.code).toBe('unknown-command');
    expect(error.message).toBe(
      '/course has no "edti". Did you mean /course edit? Try one of: edit, cancel, move, add, undo, history, preview, announce, reload.',
    );
  });

  it('a bare /course lists the subcommands', async () => {
    const { context } = setup();
    const error = await failure(() => runCommandLine('/course', context));
    expect(error.code).toBe('unknown-command');
    expect(error.message).toBe('/course needs one of: edit, cancel, move, add, undo, history, preview, announce, reload.');
  });

  it('subcommand names are not commands of their own, and an unknown command suggests /course', async () => {
    const { context } = setup();
    expect((await failure(() => runCommandLine('/cancel 2027-01-06', context))).message).toMatch(/^Unknown command \/cancel\./);
    expect((await failure(() => runCommandLine('/cours', context))).message).toMatch(/^Unknown command \/cours\. Did you mean \/course\?/);
  });

  it('/help does not list /course', () => {
    const help = answerNow('/help', contextAt(course, NOW));
    const lines = help.sections[0]!.lines;
    expect(lines.some((line) => line.startsWith('/week'))).toBe(true);
    expect(lines.join('\n')).not.toMatch(/course (edit|cancel|move|add|undo|history|preview|announce|reload)/);
    expect(help.text).not.toContain('/course');
  });
});
