import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { Announcer } from '../../src/announcer/announcer.js';
import type { Clock } from '../../src/core/clock.js';
import { commands } from '../../src/core/commands/registry.js';
import { runCommandLine } from '../../src/core/commands/parse.js';
import { sessionOn } from '../../src/core/course/calendar.js';
import { type ScheduleChange, scheduleDigest } from '../../src/core/course/changes.js';
import type { CourseFileInput } from '../../src/core/course/schema.js';
import { UserFacingError } from '../../src/core/errors.js';
import type { Message } from '../../src/core/messages.js';
import type { Actor, Messenger, PostOptions } from '../../src/core/ports.js';
import { exportYaml } from '../../src/course-file/export.js';
import { LiveCourse } from '../../src/course-file/live-course.js';
import { loadCourseFile, parseCourseText } from '../../src/course-file/read.js';
import { effectiveCourse } from '../../src/schedule/effective-course.js';
import { type TestSchedule, testSchedule } from '../support/schedule.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { answerNow, at, buildCourse, courseDoc } from '../support/course.js';
import { captureLogger } from '../support/log.js';

// The demo course starts on Monday 2027-01-04. Week 1: Mon 4 Intro (PyTorch), Wed 6 Configs (Hydra),
// Fri 8 project day. Week 2: Tue 12 Deployment (BentoML). Morning posts at 08:00, Europe/Copenhagen.

const zone = buildCourse();
const alice: Actor = { platform: 'discord', id: '42', name: 'alice' };
const bob: Actor = { platform: 'discord', id: '43', name: 'bob' };
const PUBLISHED = 'schedule:demo:published';
const DAILY_06 = 'demo:2027-01-06:daily:fake:1';

const dir = mkdtempSync(join(tmpdir(), 'course-bot-schedule-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;

/** A clock the test moves by hand. */
function mutableClock(local: string): Clock & { set(local: string): void } {
  let ms = at(zone, local).getTime();
  return {
    now: () => new Date(ms),
    set: (next: string) => {
      ms = at(zone, next).getTime();
    },
  };
}

interface Sent {
  readonly id: string;
  readonly message: Message;
  readonly options: Omit<PostOptions, 'signal'>;
}

/** One announcement channel: records posts and edits, finds a post by its key. */
class Channel implements Messenger {
  readonly target = 'fake:1';
  readonly posts: Sent[] = [];
  readonly edits: Sent[] = [];

  post(message: Message, options: PostOptions): Promise<{ id: string }> {
    const id = `m${this.posts.length + 1}`;
    this.posts.push({ id, message, options: { key: options.key, nonce: options.nonce, mention: options.mention ?? false } });
    return Promise.resolve({ id });
  }

  findPosted(key: string): Promise<{ id: string } | undefined> {
    const found = this.posts.find((sent) => sent.options.key === key);
    return Promise.resolve(found && { id: found.id });
  }

  edit(id: string, message: Message, options: Omit<PostOptions, 'nonce'>): Promise<void> {
    this.edits.push({ id, message, options: { key: options.key, nonce: '', mention: options.mention ?? false } });
    return Promise.resolve();
  }

  get notices(): Sent[] {
    return this.posts.filter((sent) => sent.options.key.includes(':notice-'));
  }
}

const writeCourse = (path: string, doc: CourseFileInput = courseDoc()) => writeFileSync(path, stringify(doc));

/** The demo course document with the sessions of week 1 replaced. */
function withWeek1(sessions: NonNullable<CourseFileInput['weeks']>[number]['sessions']): CourseFileInput {
  const doc = courseDoc();
  return { ...doc, weeks: [{ number: 1, sessions }, ...doc.weeks.slice(1)] };
}

const stores: SqliteStore[] = [];
afterEach(() => {
  for (const store of stores.splice(0)) store.close();
});

/** Files for one scenario: a course file and a state database, both new. */
function files(doc: CourseFileInput = courseDoc()) {
  counter += 1;
  const scenario = join(dir, `scenario-${counter}`);
  mkdirSync(scenario);
  const course = join(scenario, 'course.yaml');
  writeCourse(course, doc);
  return { course, db: join(scenario, 'state.db') };
}

/** One bot instance: its own store connection, course file reader, announcer and schedule. */
function instance(paths: { course: string; db: string }, clock: Clock, channel: Channel, owner = 'one') {
  const { logger, lines } = captureLogger();
  const store = new SqliteStore(paths.db);
  stores.push(store);
  const refused: string[] = [];
  const live: LiveCourse = new LiveCourse({
    path: paths.course,
    label: 'course.yaml',
    initial: loadCourseFile(paths.course, 'course.yaml'),
    logger,
    onInvalid: (error) => refused.push(error.message),
    // As in main: the watcher's reload publishes too.
    onChange: () => schedule.publishInBackground('course file changed'),
  });
  const announcer = new Announcer({
    course: () => schedule.course,
    clock,
    store,
    messengers: [channel],
    logger,
    owner,
    leaseMs: 60_000,
    sleep: () => Promise.resolve(),
    random: () => 1,
  });
  const schedule: TestSchedule = testSchedule({ live, store, clock, logger, announcer });
  const errors = () => lines.filter((line) => line.includes('"level":50'));
  return { store, live, announcer, schedule, lines, refused, errors };
}

/** A change, then the notice it causes (posted in the background) settled. */
async function change(schedule: TestSchedule, what: ScheduleChange, actor = alice) {
  const outcome = await schedule.change(what, actor);
  await schedule.settle();
  return outcome;
}

function published(store: SqliteStore): { rev: number; digest: Record<string, unknown> } {
  return JSON.parse(store.getValue(PUBLISHED) ?? 'null') as { rev: number; digest: Record<string, unknown> };
}

describe('LiveSchedule: publishing', () => {
  it('(a) the first publish stores the schedule students see, without a notice; nothing changed, nothing posted', async () => {
    const clock = mutableClock('2027-01-05T10:00');
    const channel = new Channel();
    const { schedule, store } = instance(files(), clock, channel);
    expect(store.getValue(PUBLISHED)).toBeUndefined();
    expect(await schedule.publish('start')).toBeUndefined();
    expect(published(store)).toEqual({ rev: 0, digest: JSON.parse(JSON.stringify(scheduleDigest(schedule.course))) as unknown });
    expect(await schedule.publish('again')).toBeUndefined();
    expect(published(store).rev).toBe(0);
    expect(channel.posts).toEqual([]);
  });

  it('(b) a cancel for tomorrow posts one notice naming the date and edits tomorrow’s posted announcement', async () => {
    const clock = mutableClock('2027-01-06T08:00');
    const channel = new Channel();
    const { schedule, announcer, store, errors } = instance(files(), clock, channel);
    // Wednesday's morning post, made at its time, so there is a posted announcement to update.
    expect(await announcer.run()).toMatchObject({ sent: [DAILY_06] });
    clock.set('2027-01-05T10:00');
    await schedule.publish('start');

    const outcome = await change(schedule, { kind: 'cancel', date: '2027-01-06', reason: 'Instructor ill' });
    expect(outcome.noticed).toBe(true);
    expect(outcome.record).toMatchObject({ id: 1, courseId: 'demo', actor: alice, at: at(zone, '2027-01-05T10:00').getTime() });

    expect(channel.notices).toHaveLength(1);
    const [notice] = channel.notices;
    expect(notice!.options.key).toBe('demo:2027-01-05:notice-r1:fake:1');
    expect(notice!.options.mention).toBe(false);
    expect(notice!.message.title).toBe('Schedule change');
    expect(notice!.message.description).toBe('Wed 6 Jan (tomorrow): cancelled: Configs · Hydra (Instructor ill)');
    expect(notice!.message.text).toContain('Wed 6 Jan');
    expect(store.getClaim(notice!.options.key)).toMatchObject({ status: 'sent', messageId: notice!.id });

    expect(channel.edits).toHaveLength(1);
    const [edit] = channel.edits;
    expect(edit!.id).toBe('m1');
    expect(edit!.options.key).toBe(DAILY_06);
    expect(edit!.message.title).toBe('Good morning! No session today in Demo Course: Week 1 · Wednesday 6 January 2027 is cancelled');
    expect(edit!.message.sections[0]).toEqual({ heading: 'Reason', lines: ['Instructor ill'] });

    expect(published(store).rev).toBe(1);
    expect(published(store).digest['2027-01-06']).toMatchObject({ cancelled: { reason: 'Instructor ill' } });
    expect(await schedule.publish('again')).toBeUndefined();
    expect(channel.notices).toHaveLength(1);
    expect(errors()).toEqual([]);
  });

  it('(c) a change more than 7 days ahead posts no notice, but /week shows it at once', async () => {
    const clock = mutableClock('2027-01-04T10:00');
    const channel = new Channel();
    const { schedule, store } = instance(files(), clock, channel);
    await schedule.publish('start');
    const outcome = await change(schedule, { kind: 'cancel', date: '2027-01-12' });
    expect(outcome.noticed).toBe(false);
    expect(channel.posts).toEqual([]);
    expect(published(store).rev).toBe(1);
    const week = answerNow('/week 2', { course: schedule.course, now: clock.now(), commands });
    expect(week.sections).toEqual([{ heading: 'Tuesday 12 January 2027', lines: ['Cancelled: Deployment'] }]);
  });

  it('(c) the 7th day ahead is still inside the window', async () => {
    const clock = mutableClock('2027-01-05T10:00');
    const channel = new Channel();
    const { schedule } = instance(files(), clock, channel);
    await schedule.publish('start');
    expect((await change(schedule, { kind: 'cancel', date: '2027-01-12' })).noticed).toBe(true);
    expect(channel.notices.map((sent) => sent.message.description)).toEqual(['Tue 12 Jan (in 7 days): cancelled: Deployment · BentoML']);
  });

  it('refuses a change that does not apply: nothing stored, nothing posted', async () => {
    const clock = mutableClock('2027-01-05T10:00');
    const channel = new Channel();
    const { schedule, store } = instance(files(), clock, channel);
    await schedule.publish('start');
    // Awaited as /course awaits it: a refusal thrown at once or a rejected promise both reach the user.
    const attempt = async (what: ScheduleChange) => schedule.change(what, alice);
    await expect(attempt({ kind: 'cancel', date: '2027-01-05' })).rejects.toThrow(
      new UserFacingError('bad-option', 'There is no session on 2027-01-05 to cancel.'),
    );
    await change(schedule, { kind: 'cancel', date: '2027-01-06' });
    await expect(attempt({ kind: 'cancel', date: '2027-01-06' })).rejects.toThrow(/already cancelled/);
    expect(store.listChanges('demo')).toHaveLength(1);
    expect(channel.notices).toHaveLength(1);
  });

  it('starts over from the current schedule when the stored one is unreadable, and says so', async () => {
    const clock = mutableClock('2027-01-05T10:00');
    const channel = new Channel();
    const { schedule, store, lines } = instance(files(), clock, channel);
    store.setValue(PUBLISHED, '{"rev":"x"}');
    expect(await schedule.publish('start')).toBeUndefined();
    expect(published(store).rev).toBe(0);
    expect(channel.posts).toEqual([]);
    expect(lines.join('')).toContain('the stored published schedule is unreadable; starting from the current one');
  });
});

describe('LiveSchedule: instances and restarts', () => {
  it('(d) two instances on one database: each sees the other’s change at once, and students get one notice', async () => {
    const paths = files();
    const clock = mutableClock('2027-01-05T10:00');
    const channel = new Channel();
    const a = instance(paths, clock, channel, 'instance-a');
    const b = instance(paths, clock, channel, 'instance-b');
    await a.schedule.publish('start');
    await b.schedule.publish('start');

    const outcome = a.schedule.change({ kind: 'cancel', date: '2027-01-06', reason: 'ill' }, alice);
    expect(sessionOn(b.schedule.course, '2027-01-06')?.cancelled).toEqual({ reason: 'ill' });
    await outcome;
    // Both publish at the same time: the one whose claim wins posts, the other finds it taken.
    await Promise.all([a.schedule.settle(), b.schedule.publish('noticed a change')]);
    expect(channel.notices).toHaveLength(1);

    await b.schedule.change({ kind: 'edit', date: '2027-01-12', topic: 'Serving' }, bob);
    expect(sessionOn(a.schedule.course, '2027-01-12')?.topic).toBe('Serving');
    await Promise.all([b.schedule.settle(), a.schedule.publish('noticed a change')]);
    expect(channel.notices.map((sent) => sent.message.description)).toEqual([
      'Wed 6 Jan (tomorrow): cancelled: Configs · Hydra (ill)',
      'Tue 12 Jan (in 7 days): now Serving · BentoML (was: Deployment)',
    ]);
    expect(a.schedule.history().map((entry) => entry.record.actor.name)).toEqual(['alice', 'bob']);
    expect([...a.errors(), ...b.errors()]).toEqual([]);
  });

  it('checks a change against what another instance stored after this one last read the schedule', async () => {
    const paths = files();
    const clock = mutableClock('2027-01-05T10:00');
    const a = instance(paths, clock, new Channel(), 'a');
    const b = instance(paths, clock, new Channel(), 'b');
    expect(sessionOn(a.schedule.course, '2027-01-07')).toBeUndefined();
    await b.schedule.change({ kind: 'add', date: '2027-01-07', topic: 'Guest lecture' }, bob);
    await expect(a.schedule.change({ kind: 'add', date: '2027-01-07', topic: 'Extra' }, alice)).rejects.toThrow(
      new UserFacingError('bad-option', '2027-01-07 already has a session (Guest lecture); use edit to change it.'),
    );
    await b.schedule.change({ kind: 'cancel', date: '2027-01-06' }, bob);
    await expect(a.schedule.change({ kind: 'cancel', date: '2027-01-06' }, alice)).rejects.toThrow(/already cancelled/);
    expect(a.store.listChanges('demo').map((record) => record.actor.name)).toEqual(['bob', 'bob']);
    await Promise.all([a.schedule.settle(), b.schedule.settle()]);
  });

  it('reads the same schedule as a full replay after changes and undos made here and in another instance', async () => {
    const paths = files();
    const clock = mutableClock('2027-01-05T10:00');
    const a = instance(paths, clock, new Channel(), 'a');
    const b = instance(paths, clock, new Channel(), 'b');
    const full = () => effectiveCourse(a.live.loaded, a.store);
    const steps: (() => Promise<unknown>)[] = [
      () => a.schedule.change({ kind: 'add', date: '2027-01-07', topic: 'Extra' }, alice),
      () => b.schedule.change({ kind: 'edit', date: '2027-01-07', topic: 'Extra, renamed' }, bob),
      () => a.schedule.change({ kind: 'move', from: '2027-01-12', to: '2027-01-13' }, alice),
      // Another instance adds and undoes before this one reads again: an added change that is already undone.
      async () => {
        await b.schedule.change({ kind: 'cancel', date: '2027-01-13' }, bob);
        await b.schedule.undo(bob);
      },
      () => a.schedule.change({ kind: 'edit', date: '2027-01-04', note: 'Room 101' }, alice),
      // An undo here, then a change: the log moved by an undo and an add at once.
      async () => {
        await a.schedule.undo(alice);
        await b.schedule.change({ kind: 'cancel', date: '2027-01-08', reason: 'Holiday' }, bob);
      },
    ];
    for (const step of steps) {
      await step();
      expect(a.schedule.course).toEqual(full().course);
      expect(b.schedule.course).toEqual(full().course);
      expect(a.schedule.file).toEqual(full().file);
    }
    expect(sessionOn(a.schedule.course, '2027-01-07')?.topic).toBe('Extra, renamed');
    expect(sessionOn(a.schedule.course, '2027-01-13')?.cancelled).toBeUndefined();
    expect(sessionOn(a.schedule.course, '2027-01-04')?.note).toBeUndefined();
    expect(sessionOn(a.schedule.course, '2027-01-08')?.cancelled).toEqual({ reason: 'Holiday' });
    await Promise.all([a.schedule.settle(), b.schedule.settle()]);
  });

  it('an edit reads only the changes stored since the schedule was last read, however many came before', async () => {
    const paths = files();
    const clock = mutableClock('2027-01-05T10:00');
    const { schedule, store } = instance(paths, clock, new Channel());
    for (let index = 0; index < 40; index += 1) store.addChange('demo', { kind: 'edit', date: '2027-01-06', topic: `Topic ${index}` }, alice, 0);
    void schedule.course;
    const read = vi.spyOn(store, 'listChanges');
    const parsedRows = () => read.mock.results.reduce((sum, result) => sum + (result.value as unknown[]).length, 0);
    await change(schedule, { kind: 'edit', date: '2027-01-06', topic: 'Topic 40' });
    // The new change itself, read back once after it was stored: not the 40 before it.
    expect(parsedRows()).toBe(1);
    expect(sessionOn(schedule.course, '2027-01-06')?.topic).toBe('Topic 40');
    read.mockClear();
    store.addChange('demo', { kind: 'edit', date: '2027-01-06', topic: 'Topic 41' }, bob, 0);
    expect(sessionOn(schedule.course, '2027-01-06')?.topic).toBe('Topic 41');
    expect(parsedRows()).toBe(1);
  });

  it('forgets what it read inside a change whose transaction did not commit (the next change may reuse its id)', async () => {
    const paths = files();
    const clock = mutableClock('2027-01-05T10:00');
    const { logger } = captureLogger();
    /** A store whose next commit fails (a full disk): the transaction's writes are rolled back. */
    class FailingCommit extends MemoryStore {
      failNext = false;
      override transaction<T>(work: () => T): T {
        return super.transaction(() => {
          const result = work();
          if (this.failNext) {
            this.failNext = false;
            throw new Error('SQLITE_FULL at commit');
          }
          return result;
        });
      }
    }
    const store = new FailingCommit();
    const live = new LiveCourse({ path: paths.course, label: 'course.yaml', initial: loadCourseFile(paths.course), logger });
    const schedule = testSchedule({ live, store, clock, logger });
    void schedule.course;
    store.failNext = true;
    await expect(schedule.change({ kind: 'add', date: '2027-01-07', topic: 'Extra' }, alice)).rejects.toThrow('SQLITE_FULL at commit');
    expect(store.listChanges('demo')).toEqual([]);
    // Another instance's change gets the id the rolled-back one had: same count, same last id.
    store.addChange('demo', { kind: 'cancel', date: '2027-01-06' }, bob, 0);
    expect(sessionOn(schedule.course, '2027-01-07')).toBeUndefined();
    expect(sessionOn(schedule.course, '2027-01-06')?.cancelled).toEqual({});
  });

  it('a change another instance stores while this one reads the log is applied once, never replayed as skipped', () => {
    const paths = files();
    const clock = mutableClock('2027-01-05T10:00');
    const { logger, lines } = captureLogger();
    /** Another instance stores its changes between this one's version read and its read of the whole log. */
    class Interleaved extends MemoryStore {
      readonly meanwhile: ScheduleChange[] = [];
      #versioning = false;
      override changesVersion(courseId: string): ReturnType<MemoryStore['changesVersion']> {
        this.#versioning = true;
        try {
          return super.changesVersion(courseId);
        } finally {
          this.#versioning = false;
        }
      }
      override listChanges(courseId: string, afterId?: number): ReturnType<MemoryStore['listChanges']> {
        if (!afterId && !this.#versioning) for (const stored of this.meanwhile.splice(0)) super.addChange(courseId, stored, bob, 0);
        return super.listChanges(courseId, afterId);
      }
    }
    const store = new Interleaved();
    const live = new LiveCourse({ path: paths.course, label: 'course.yaml', initial: loadCourseFile(paths.course), logger });
    const schedule = testSchedule({ live, store, clock, logger });
    store.meanwhile.push({ kind: 'add', date: '2027-01-07', topic: 'Extra' }, { kind: 'edit', date: '2027-01-07', topic: 'Extra, renamed' });
    expect(sessionOn(schedule.course, '2027-01-07')?.topic).toBe('Extra, renamed');
    expect(schedule.history().map((entry) => [entry.record.id, entry.skipped])).toEqual([
      [1, undefined],
      [2, undefined],
    ]);
    expect(sessionOn(schedule.course, '2027-01-07')?.topic).toBe('Extra, renamed');
    expect(lines.join('')).not.toContain('no longer applies');
  });

  it('(e) after a restart the changes and their history (who, when, undone by whom) are still there, and nothing is announced again', async () => {
    const paths = files();
    const clock = mutableClock('2027-01-05T10:00');
    const first = instance(paths, clock, new Channel());
    await first.schedule.publish('start');
    await change(first.schedule, { kind: 'cancel', date: '2027-01-06', reason: 'ill' }, alice);
    clock.set('2027-01-05T10:05');
    await change(first.schedule, { kind: 'edit', date: '2027-01-12', topic: 'Serving' }, alice);
    clock.set('2027-01-05T10:10');
    await first.schedule.undo(bob);
    await first.schedule.settle();
    const before = first.schedule.course;
    first.store.close();

    clock.set('2027-01-05T11:00');
    const channel = new Channel();
    const second = instance(paths, clock, channel);
    expect(second.schedule.course).toEqual(before);
    expect(sessionOn(second.schedule.course, '2027-01-06')?.cancelled).toEqual({ reason: 'ill' });
    expect(sessionOn(second.schedule.course, '2027-01-12')?.topic).toBe('Deployment');
    expect(second.schedule.history()).toEqual([
      {
        record: {
          id: 1,
          courseId: 'demo',
          at: at(zone, '2027-01-05T10:00').getTime(),
          actor: alice,
          change: { kind: 'cancel', date: '2027-01-06', reason: 'ill' },
        },
      },
      {
        record: {
          id: 2,
          courseId: 'demo',
          at: at(zone, '2027-01-05T10:05').getTime(),
          actor: alice,
          change: { kind: 'edit', date: '2027-01-12', topic: 'Serving' },
          undoneAt: at(zone, '2027-01-05T10:10').getTime(),
          undoneBy: bob,
        },
      },
    ]);
    expect(await second.schedule.publish('start')).toBeUndefined();
    expect(channel.posts).toEqual([]);

    const history = await runCommandLine('/course history', {
      course: second.schedule.course,
      now: clock.now(),
      commands,
      admin: second.schedule,
      actor: alice,
    });
    expect(history.description).toBe(
      ['#1 · 5 Jan, 10:00 · alice · Cancel Wed 6 Jan (ill)', '#2 · 5 Jan, 10:05 · alice · Edit Tue 12 Jan: topic "Serving" — undone by bob'].join('\n'),
    );
  });

  it('(f) undo brings the session back, tells students, and restores the posted announcement', async () => {
    const clock = mutableClock('2027-01-06T08:00');
    const channel = new Channel();
    const { schedule, announcer, store } = instance(files(), clock, channel);
    await announcer.run();
    clock.set('2027-01-05T10:00');
    await schedule.publish('start');
    await change(schedule, { kind: 'cancel', date: '2027-01-06' });
    clock.set('2027-01-05T10:30');

    const outcome = await schedule.undo(bob);
    await schedule.settle();
    expect(outcome?.noticed).toBe(true);
    expect(outcome?.record).toMatchObject({ id: 1, undoneBy: bob, undoneAt: at(zone, '2027-01-05T10:30').getTime() });
    expect(sessionOn(schedule.course, '2027-01-06')?.cancelled).toBeUndefined();
    expect(channel.notices.map((sent) => sent.message.description)).toEqual([
      'Wed 6 Jan (tomorrow): cancelled: Configs · Hydra',
      'Wed 6 Jan (tomorrow): back on: Configs · Hydra',
    ]);
    expect(channel.notices[1]!.options.key).toMatch(/:notice-r2:/);
    expect(channel.edits.map((sent) => [sent.id, sent.message.title])).toEqual([
      ['m1', 'Good morning! No session today in Demo Course: Week 1 · Wednesday 6 January 2027 is cancelled'],
      ['m1', 'Good morning! Today in Demo Course: Week 1 · Wednesday 6 January 2027'],
    ]);
    expect(published(store).rev).toBe(2);
    expect(await schedule.undo(bob)).toBeUndefined();
    await schedule.settle();
    expect(channel.notices).toHaveLength(2);
  });
});

describe('LiveSchedule: the course file', () => {
  it('(g) a reload announces what changed in the next days; an invalid file keeps the last good schedule', async () => {
    const paths = files();
    const clock = mutableClock('2027-01-05T10:00');
    const channel = new Channel();
    const { schedule, refused } = instance(paths, clock, channel);
    await schedule.publish('start');
    await change(schedule, { kind: 'cancel', date: '2027-01-08', reason: 'Holiday' });

    writeCourse(
      paths.course,
      withWeek1([
        { day: 'monday', topic: 'Intro', frameworks: ['PyTorch'], format: 'exercises' },
        { day: 'wednesday', topic: 'Hydra in depth', frameworks: ['Hydra'] },
        { day: 'friday', format: 'project' },
      ]),
    );
    expect(await schedule.reload(alice)).toEqual({ ok: true, changed: true });
    await schedule.settle();
    expect(channel.notices.map((sent) => sent.message.description)).toEqual([
      'Fri 8 Jan (in 3 days): cancelled: Project work (Holiday)',
      'Wed 6 Jan (tomorrow): now Hydra in depth · Hydra (was: Configs)',
    ]);
    expect(await schedule.reload(alice)).toEqual({ ok: true, changed: false });

    writeCourse(paths.course, withWeek1([{ day: 'tusday', topic: 'Broken' }]));
    const result = await schedule.reload(alice);
    expect(result.ok).toBe(false);
    expect(result.ok === false && result.problems).toEqual([
      expect.stringMatching(/^course\.yaml:\d+:\d+ weeks\[0\]\.sessions\[0\]\.day: tusday is not a weekday/),
    ]);
    expect(refused).toHaveLength(1);
    expect(sessionOn(schedule.course, '2027-01-06')?.topic).toBe('Hydra in depth');
    expect(sessionOn(schedule.course, '2027-01-08')?.cancelled).toEqual({ reason: 'Holiday' });
    await schedule.settle();
    expect(channel.notices).toHaveLength(2);
  });

  it('(h) a stored change that conflicts with a new file is skipped, shown in the history with why, and logged once', async () => {
    const paths = files();
    const clock = mutableClock('2027-01-05T10:00');
    const channel = new Channel();
    const { schedule, lines } = instance(paths, clock, channel);
    await schedule.publish('start');
    await change(schedule, { kind: 'add', date: '2027-01-07', topic: 'Extra session' });
    expect(sessionOn(schedule.course, '2027-01-07')?.topic).toBe('Extra session');

    writeCourse(
      paths.course,
      withWeek1([
        { day: 'monday', topic: 'Intro', frameworks: ['PyTorch'], format: 'exercises' },
        { day: 'wednesday', topic: 'Configs', frameworks: ['Hydra'] },
        { day: 'thursday', topic: 'Guest lecture' },
        { day: 'friday', format: 'project' },
      ]),
    );
    expect(await schedule.reload(alice)).toEqual({ ok: true, changed: true });
    await schedule.settle();
    expect(sessionOn(schedule.course, '2027-01-07')?.topic).toBe('Guest lecture');
    const reason = '2027-01-07 already has a session (Guest lecture); use edit to change it.';
    expect(schedule.history()).toEqual([{ record: expect.objectContaining({ id: 1 }) as unknown, skipped: reason }]);

    // Read again, and after another change (a new version of the changes): still logged once.
    void schedule.course;
    await change(schedule, { kind: 'cancel', date: '2027-01-12' });
    void schedule.course;
    expect(schedule.history().map((entry) => entry.skipped)).toEqual([reason, undefined]);
    const warnings = lines.filter((line) => line.includes('a stored schedule change no longer applies'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0]!)).toMatchObject({ level: 40, change: 1, reason });

    expect(channel.notices.map((sent) => sent.message.description)).toEqual([
      'Thu 7 Jan (in 2 days): new session: Extra session',
      'Thu 7 Jan (in 2 days): now Guest lecture (was: Extra session)',
      'Tue 12 Jan (in 7 days): cancelled: Deployment · BentoML',
    ]);
  });

  it('(i) an export read back gives the same course, and as the course file replays the same changes as no-ops', async () => {
    const paths = files();
    const clock = mutableClock('2027-01-05T10:00');
    const channel = new Channel();
    const { schedule, store, live, lines } = instance(paths, clock, channel);
    await schedule.publish('start');
    const made: ScheduleChange[] = [
      { kind: 'cancel', date: '2027-01-06', reason: 'Instructor ill' },
      { kind: 'edit', date: '2027-01-04', frameworks: ['PyTorch', 'Lightning'], note: 'Room 101' },
      { kind: 'move', from: '2027-01-08', to: '2027-01-07' },
      { kind: 'add', date: '2027-01-16', topic: 'Hackathon', frameworks: ['Docker'] },
      { kind: 'add', date: '2027-01-25', topic: 'Exam prep' },
    ];
    for (const what of made) await change(schedule, what);
    const effective = schedule.course;
    expect(schedule.file).toEqual(effectiveCourse(live.loaded, store).file);

    const marker = effectiveCourse(live.loaded, store).marker!;
    expect(Object.keys(marker)).toEqual(['database', 'changesThrough']);
    expect(marker.changesThrough).toBe(made.length);
    const text = exportYaml(schedule.file, 'course.yaml', marker);
    expect(text.split('\n').slice(0, 5)).toEqual([
      '# Exported by course-bot from course.yaml, with the schedule changes up to #5.',
      '# Commit it as the course file; check it with: course-bot validate <this file>',
      'x-course-bot:',
      `  database: ${marker.database}`,
      '  changesThrough: 5',
    ]);
    const exported = parseCourseText(text, 'export.yaml');
    expect(exported.course).toEqual(effective);
    expect(exported.file).toEqual(schedule.file);

    const posted = channel.posts.length;
    writeFileSync(paths.course, text);
    expect(await schedule.reload(alice)).toEqual({ ok: true, changed: true });
    await schedule.settle();
    expect(live.file).toEqual(exported.file);
    expect(schedule.course).toEqual(effective);
    expect(schedule.history().map((entry) => [entry.skipped, entry.inFile])).toEqual(made.map(() => [undefined, true]));
    expect(lines.filter((line) => line.includes('no longer applies'))).toEqual([]);
    expect(channel.posts).toHaveLength(posted);
    // What the file holds cannot be undone in chat; a later change can.
    await expect(schedule.undo(alice)).rejects.toThrow('Change #5 is already in the course file');
    await change(schedule, { kind: 'edit', date: '2027-01-16', topic: 'Hackathon day' });
    expect((await schedule.undo(alice))?.record.id).toBe(6);
    // A file exported from another database holds none of this one's changes.
    writeFileSync(paths.course, text.replace(marker.database, 'another-database'));
    expect(await schedule.reload(alice)).toMatchObject({ ok: true, changed: true });
    expect(schedule.history().some((entry) => entry.inFile)).toBe(false);
  });
});

describe('LiveSchedule: the export marker never claims a change that is not in the file', () => {
  it('(k) a database with changes but no id yet (stored by an older bot) gets its id when the bot starts, so an export is marked', () => {
    const paths = files();
    const older = new SqliteStore(paths.db);
    older.addChange('demo', { kind: 'cancel', date: '2027-01-06', reason: 'Ill' }, alice, 0);
    const loaded = loadCourseFile(paths.course);
    expect(effectiveCourse(loaded, older).marker).toBeUndefined();
    older.close();
    const { store, live } = instance(paths, mutableClock('2027-01-05T10:00'), new Channel());
    const marker = effectiveCourse(live.loaded, store).marker;
    expect(marker?.database).toMatch(/^[0-9a-f-]{36}$/);
    expect(marker).toEqual({ database: marker?.database, changesThrough: 1 });
  });

  it('(j) a change skipped at export stays out of the file: history does not call it in the file, and undo takes it back', async () => {
    const paths = files();
    const clock = mutableClock('2027-01-05T10:00');
    const channel = new Channel();
    const { schedule, store, live } = instance(paths, clock, channel);
    await schedule.publish('start');
    // #1: a Saturday session in chat; #2: a cancel that will stay in.
    await change(schedule, { kind: 'add', date: '2027-01-09', topic: 'Hackathon' });
    await change(schedule, { kind: 'cancel', date: '2027-01-06', reason: 'Ill' });
    // The course file then gets a Saturday session of its own on that date: #1 no longer applies.
    const doc = courseDoc();
    writeCourse(paths.course, { ...doc, weeks: [{ number: 1, sessions: [...(doc.weeks[0]!.sessions ?? []), { day: 'saturday', topic: 'Open lab' }] }, ...doc.weeks.slice(1)] });
    expect(await schedule.reload(alice)).toMatchObject({ ok: true, changed: true });
    await schedule.settle();

    const applied = effectiveCourse(live.loaded, store);
    expect(applied.skipped.map((entry) => entry.id)).toEqual([1]);
    const marker = applied.marker!;
    expect(marker).toEqual({ database: marker.database, changesThrough: 2, skipped: [1] });
    const text = exportYaml(applied.file, 'course.yaml', marker);
    expect(text.split('\n').slice(0, 8)).toEqual([
      '# Exported by course-bot from course.yaml, with the schedule changes up to #2 (but #1, which no longer applies).',
      '# Commit it as the course file; check it with: course-bot validate <this file>',
      'x-course-bot:',
      `  database: ${marker.database}`,
      '  changesThrough: 2',
      '  skipped:',
      '    - 1',
      'course:',
    ]);

    // The export becomes the course file: #2 is in it; #1 never was.
    writeFileSync(paths.course, text);
    expect(await schedule.reload(alice)).toMatchObject({ ok: true, changed: true });
    await schedule.settle();
    expect(schedule.history().map((entry) => [entry.record.id, entry.inFile ?? false, entry.skipped !== undefined])).toEqual([
      [1, false, true],
      [2, true, false],
    ]);
    expect(sessionOn(schedule.course, '2027-01-09')?.topic).toBe('Open lab');
    expect(sessionOn(schedule.course, '2027-01-06')?.cancelled).toEqual({ reason: 'Ill' });
    // Undo reaches #1 only after #2, which the file holds (edit the file to take it back).
    await expect(schedule.undo(alice)).rejects.toThrow('Change #2 is already in the course file');
    store.db.prepare('UPDATE changes SET undone_at = 1 WHERE id = 2').run();
    expect((await schedule.undo(alice))?.record.id).toBe(1);
    expect(schedule.history().map((entry) => [entry.record.id, entry.record.undoneAt !== undefined])).toEqual([
      [1, true],
      [2, true],
    ]);
  });

  it('(j) a marker written before skipped changes were recorded still reads as before', () => {
    const loaded = parseCourseText(`x-course-bot:\n  database: db-1\n  changesThrough: 4\n${stringify(courseDoc())}`, 'old.yaml');
    expect(loaded.exported).toEqual({ database: 'db-1', changesThrough: 4 });
    const skipped = parseCourseText(`x-course-bot:\n  database: db-1\n  changesThrough: 4\n  skipped: [2, 3]\n${stringify(courseDoc())}`, 'new.yaml');
    expect(skipped.exported).toEqual({ database: 'db-1', changesThrough: 4, skipped: [2, 3] });
    // A list that cannot be read claims nothing (every change is applied again, as without a marker).
    const garbled = parseCourseText(`x-course-bot:\n  database: db-1\n  changesThrough: 4\n  skipped: [two]\n${stringify(courseDoc())}`, 'bad.yaml');
    expect(garbled.exported).toBeUndefined();
  });
});

describe('LiveSchedule: /course announce', () => {
  it('posts today’s announcement once, says so the second time, and explains when there is nothing to post', async () => {
    const clock = mutableClock('2027-01-06T07:00');
    const channel = new Channel();
    const { schedule } = instance(files(), clock, channel);
    expect(await schedule.announce(alice)).toEqual({ sent: [DAILY_06], already: [], failed: [], busy: [] });
    expect(await schedule.announce(alice)).toEqual({ sent: [], already: [DAILY_06], failed: [], busy: [] });
    expect(channel.posts.map((sent) => sent.options.key)).toEqual([DAILY_06]);
    clock.set('2027-01-07T07:00');
    expect(await schedule.announce(alice)).toMatchObject({ sent: [], nothing: 'There is no session today.' });

    const paths = files();
    const { logger } = captureLogger();
    const live = new LiveCourse({ path: paths.course, label: 'course.yaml', initial: loadCourseFile(paths.course), logger });
    const store = new SqliteStore(paths.db);
    stores.push(store);
    const without = testSchedule({ live, store, clock, logger });
    expect(await without.announce(alice)).toMatchObject({ nothing: 'No announcement channel is configured.' });
  });
});

describe('LiveSchedule: notices under concurrency, stops and start-up', () => {
  /** A channel whose posts wait until it is released: a slow or interrupted post. */
  class HeldChannel extends Channel {
    #held = true;
    #waiting: (() => void)[] = [];
    release(): void {
      this.#held = false;
      for (const go of this.#waiting.splice(0)) go();
    }
    override post(message: Message, options: PostOptions): Promise<{ id: string }> {
      if (!this.#held) return super.post(message, options);
      return new Promise((resolve, reject) => {
        options.signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
        this.#waiting.push(() => resolve(super.post(message, options)));
      });
    }
  }

  it('two instances changing at once post one notice per change, each once', async () => {
    const paths = files();
    const clock = mutableClock('2027-01-05T10:00');
    const channel = new HeldChannel();
    const a = instance(paths, clock, channel, 'a');
    const b = instance(paths, clock, channel, 'b');
    await a.schedule.publish('start');
    await a.schedule.change({ kind: 'cancel', date: '2027-01-06', reason: 'ill' }, alice);
    // A's notice is being posted (held) while B changes another day.
    await vi.waitFor(() => expect(a.store.getClaim('demo:2027-01-05:notice-r1:fake:1')?.status).toBe('pending'));
    await b.schedule.change({ kind: 'edit', date: '2027-01-12', topic: 'Serving' }, bob);
    channel.release();
    await vi.waitFor(() => expect(channel.notices.length).toBeGreaterThanOrEqual(2), { timeout: 5_000 });
    await Promise.all([a.schedule.settle(), b.schedule.settle()]);
    expect(channel.notices.map((sent) => [sent.options.key, sent.message.description])).toEqual([
      ['demo:2027-01-05:notice-r1:fake:1', 'Wed 6 Jan (tomorrow): cancelled: Configs · Hydra (ill)'],
      ['demo:2027-01-05:notice-r2:fake:1', 'Tue 12 Jan (in 7 days): now Serving · BentoML (was: Deployment)'],
    ]);
  });

  it('a notice cut short by a stop is posted by the next start, once', async () => {
    const paths = files();
    const clock = mutableClock('2027-01-05T10:00');
    const held = new HeldChannel();
    const first = instance(paths, clock, held, 'first');
    await first.schedule.publish('start');
    await first.schedule.change({ kind: 'cancel', date: '2027-01-06' }, alice);
    await vi.waitFor(() => expect(first.store.getClaim('demo:2027-01-05:notice-r1:fake:1')?.status).toBe('pending'));
    await first.announcer.stop();
    await first.schedule.settle();
    expect(held.notices).toHaveLength(0);
    expect(JSON.parse(first.store.getValue(PUBLISHED)!)).toMatchObject({ rev: 1, pending: { name: 'r1', date: '2027-01-05' } });
    // The next start, a minute later: the cut-short post was handed back. As in main, the announcer's
    // first run comes before the start's publish, and must leave today's notice to it.
    clock.set('2027-01-05T10:01');
    const channel = new Channel();
    const second = instance(paths, clock, channel, 'second');
    expect(await second.announcer.run()).toMatchObject({ failed: [], recovered: [] });
    expect(second.store.getClaim('demo:2027-01-05:notice-r1:fake:1')?.status).toBe('pending');
    await second.schedule.publish('start');
    expect(channel.notices.map((sent) => sent.message.description)).toEqual(['Wed 6 Jan (tomorrow): cancelled: Configs · Hydra']);
    expect(JSON.parse(second.store.getValue(PUBLISHED)!)).not.toHaveProperty('pending');
    await second.schedule.publish('again');
    expect(channel.notices).toHaveLength(1);
  });

  it('a change made while the platforms are still starting is announced when they are up', async () => {
    const paths = files();
    const clock = mutableClock('2027-01-05T10:00');
    const channel = new Channel();
    const { store, live, announcer } = instance(paths, clock, channel);
    await testSchedule({ live, store, clock, logger: captureLogger().logger, announcer }).publish('first run');
    const starting = testSchedule({ live, store, clock, logger: captureLogger().logger, announcer: 'starting' });
    await starting.change({ kind: 'cancel', date: '2027-01-08' }, alice);
    await starting.settle();
    expect(JSON.parse(store.getValue(PUBLISHED)!)).toMatchObject({ rev: 0 });
    expect(await starting.announce(alice)).toMatchObject({ sent: [], nothing: 'The bot is still starting; try again in a moment.' });
    starting.connect(announcer);
    await starting.publish('start');
    expect(channel.notices.map((sent) => sent.message.description)).toEqual(['Fri 8 Jan (in 3 days): cancelled: Project work']);
  });
});
