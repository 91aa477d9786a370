import { chmodSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Announcer } from '../../src/announcer/announcer.js';
import { fixedClock } from '../../src/core/clock.js';
import { commands } from '../../src/core/commands/registry.js';
import { Invoker } from '../../src/core/commands/invoke.js';
import type { Message } from '../../src/core/messages.js';
import type { Actor, Messenger, PostOptions } from '../../src/core/ports.js';
import { LiveCourse } from '../../src/course-file/live-course.js';
import { loadCourseFile } from '../../src/course-file/read.js';
import type { Logger } from '../../src/log.js';
import { explainError } from '../../src/platforms/respond.js';
import { type TestSchedule, testSchedule } from '../support/schedule.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { StateDbError } from '../../src/store/state-db-error.js';
import { at, buildCourse, courseDoc } from '../support/course.js';
import { captureLogger } from '../support/log.js';

const dir = mkdtempSync(join(tmpdir(), 'course-bot-lost-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const opened: SqliteStore[] = [];
afterEach(() => {
  for (const store of opened.splice(0)) store.close();
});

const ALICE: Actor = { platform: 'discord', id: '42', name: 'alice' };

/** A new scenario folder with a state database in it, open, and what `onTrouble` and `onRecovered` were told. */
function scenario() {
  counter += 1;
  const folder = join(dir, `scenario-${counter}`);
  mkdirSync(folder);
  const path = join(folder, 'state.db');
  const lost: string[] = [];
  const recovered: string[] = [];
  const store = new SqliteStore(path, { onTrouble: (error) => lost.push(error.message), onRecovered: (line) => recovered.push(line) });
  opened.push(store);
  return { folder, path, store, lost, recovered };
}

/** What `work` threw (it must throw). */
function thrown(work: () => unknown): Error {
  try {
    work();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

/** The copy a store saved beside `path` when its file was lost (the only one there should be). */
function savedCopy(path: string): string {
  const copies = readdirSync(dirname(path)).filter((name) => name.startsWith(`${basename(path)}.recovered-`));
  expect(copies).toHaveLength(1);
  expect(copies[0]).toMatch(/^state\.db\.recovered-\d{8}T\d{6}Z$/);
  return join(dirname(path), copies[0]!);
}

/** The bot restarted: its store closed (as a stop does), then the file at the path opened. */
function restart(store: SqliteStore, path: string): SqliteStore {
  store.close();
  const restarted = new SqliteStore(path);
  opened.push(restarted);
  return restarted;
}

/** Another database (a backup, a fresh file) put at `path` with a rename, as `mv` or a restore does. */
function replaceWithAnother(path: string, value = 'from the other file'): void {
  const other = `${path}.other`;
  const store = new SqliteStore(other);
  store.setValue('marker', value);
  store.close();
  renameSync(other, path);
}

const deleted = (path: string, copy = savedCopy(path)) =>
  `STATE_DB ${path} was deleted while the bot was running; what the bot held is saved in ${copy}: nothing more is stored ` +
  `(schedule changes are refused, announcements are not posted) until you stop the bot, move ${copy} to ${path} and start the bot again.`;
const replaced = (path: string, copy = savedCopy(path)) =>
  `STATE_DB ${path} was replaced by another file while the bot was running; what the bot held is saved in ${copy}: nothing more is stored ` +
  '(schedule changes are refused, announcements are not posted) until you restart the bot, which then opens the file now at that path ' +
  `(to keep what the bot held instead, stop it, move ${copy} to ${path}, then start it).`;

describe('a state database deleted or replaced under a running store', () => {
  it('deleted: every write and the health check throw one line naming STATE_DB, the saved copy and the fix; reads still answer', () => {
    const { path, store, lost } = scenario();
    store.setValue('k', 'v');
    store.claim('claim', { owner: 'a', now: 0, leaseMs: 60_000 });
    unlinkSync(path);
    const writes: [string, () => unknown][] = [
      ['setValue', () => store.setValue('k', 'w')],
      ['compareAndSetValue', () => store.compareAndSetValue('k', 'v', 'w')],
      ['deleteValue', () => store.deleteValue('k')],
      ['claim', () => store.claim('other', { owner: 'a', now: 0, leaseMs: 60_000 })],
      ['renewClaim', () => store.renewClaim('claim', 'a', 120_000)],
      ['completeClaim', () => store.completeClaim('claim', 'a', { status: 'sent', messageId: 'm' }, 1)],
      ['addChange', () => store.addChange('demo', { kind: 'cancel', date: '2027-01-06' }, ALICE, 1)],
      ['undoChange', () => store.undoChange('demo', ALICE, 1)],
      ['transaction', () => store.transaction(() => store.getValue('k'))],
      ['assertWritable', () => store.assertWritable()],
    ];
    for (const [name, write] of writes) {
      let error: unknown;
      try {
        write();
      } catch (caught) {
        error = caught;
      }
      expect(error, name).toBeInstanceOf(StateDbError);
      expect((error as StateDbError).message, name).toBe(deleted(path));
      expect((error as StateDbError).problem, name).toBe('lost');
      expect((error as StateDbError).recovered, name).toBe(savedCopy(path));
    }
    // Told once, not on every write; one copy saved.
    expect(lost).toEqual([deleted(path)]);
    expect(store.getValue('k')).toBe('v');
    expect(store.getClaim('claim')).toMatchObject({ status: 'pending' });
  });

  it('deleted: the copy saved beside it holds every change made before, opens as a state database, and becomes STATE_DB again', () => {
    const { path, store } = scenario();
    const first = store.addChange('demo', { kind: 'cancel', date: '2027-01-06', reason: 'ill' }, ALICE, 1_000);
    store.setValue('store:id', 'the-id');
    store.claim('demo:2027-01-05:daily:fake:1', { owner: 'a', now: 0, leaseMs: 60_000 });
    // Still only in the write-ahead log: the copy must come from the open connection, not from a file.
    const second = store.addChange('demo', { kind: 'add', date: '2027-01-09', topic: 'Hackathon' }, ALICE, 2_000);
    unlinkSync(path);
    expect(thrown(() => store.addChange('demo', { kind: 'cancel', date: '2027-01-08' }, ALICE, 3_000)).message).toBe(deleted(path));
    const copy = savedCopy(path);
    store.close();
    // What the line says to do: move the copy to STATE_DB, start.
    renameSync(copy, path);
    const restarted = new SqliteStore(path);
    opened.push(restarted);
    expect(restarted.listChanges('demo')).toStrictEqual([first, second]);
    expect(restarted.getValue('store:id')).toBe('the-id');
    expect(restarted.getClaim('demo:2027-01-05:daily:fake:1')).toMatchObject({ status: 'pending', owner: 'a' });
    expect(restarted.addChange('demo', { kind: 'cancel', date: '2027-01-08' }, ALICE, 3_000).id).toBe(second.id + 1);
  });

  it('deleted with its folder made unwritable: the line says the copy could not be saved and what to do; the next check saves it', () => {
    const { folder, path, store, lost } = scenario();
    store.setValue('k', 'kept');
    unlinkSync(path);
    // Root ignores permissions: a folder that is gone is what no process can write into.
    renameSync(folder, `${folder}.gone`);
    const uid = process.getuid?.();
    let error: StateDbError | undefined;
    try {
      store.setValue('k', 'lost');
    } catch (caught) {
      error = caught as StateDbError;
    }
    expect(error?.message).toMatch(
      new RegExp(
        `^STATE_DB ${path} was deleted while the bot was running, and the bot holds the only copy of what it held but could not save it beside it ` +
          `\\(${path}\\.recovered-\\d{8}T\\d{6}Z: .+\\): make ${folder} a folder uid ${uid} can write \\(the bot saves the copy there at its next check, ` +
          'within a minute\\) and do not stop the bot before; nothing more is stored \\(schedule changes are refused, announcements are not posted\\) until then\\.$',
      ),
    );
    expect(error?.recovered).toBeUndefined();
    mkdirSync(folder);
    chmodSync(folder, 0o755);
    expect(thrown(() => store.assertWritable()).message).toBe(deleted(path));
    expect(lost).toEqual([error!.message, deleted(path)]);
    store.close();
    const copy = new SqliteStore(savedCopy(path));
    opened.push(copy);
    expect(copy.getValue('k')).toBe('kept');
  });

  it('replaced: refused too; nothing is written into either file; what the bot held is saved', () => {
    const { path, store, lost } = scenario();
    store.setValue('k', 'v');
    replaceWithAnother(path);
    expect(thrown(() => store.setValue('k', 'lost')).message).toBe(replaced(path));
    expect(thrown(() => store.addChange('demo', { kind: 'cancel', date: '2027-01-06' }, ALICE, 1)).message).toBe(replaced(path));
    expect(thrown(() => store.assertWritable()).message).toBe(replaced(path));
    expect(lost).toEqual([replaced(path)]);
    expect(store.getValue('k')).toBe('v');
    const copy = new SqliteStore(savedCopy(path));
    opened.push(copy);
    expect(copy.getValue('k')).toBe('v');
    const restarted = restart(store, path);
    expect(restarted.getValue('marker')).toBe('from the other file');
    expect(restarted.getValue('k')).toBeUndefined();
    expect(restarted.listChanges('demo')).toEqual([]);
  });

  it('replaced while a transaction writes: the transaction is undone and throws, so nothing is confirmed or kept', () => {
    const { path, store } = scenario();
    const error = thrown(() =>
      store.transaction(() => {
        store.addChange('demo', { kind: 'cancel', date: '2027-01-06' }, ALICE, 1);
        replaceWithAnother(path);
      }),
    );
    expect(error.message).toBe(replaced(path));
    // Not in the copy either: the instructor was told it was not saved.
    const copy = new SqliteStore(savedCopy(path));
    opened.push(copy);
    expect(copy.listChanges('demo')).toEqual([]);
    const restarted = restart(store, path);
    expect(restarted.getValue('marker')).toBe('from the other file');
    expect(restarted.listChanges('demo')).toEqual([]);
  });

  it('a file put back works again (and says so), and a second incident is told again with a copy of its own', () => {
    const { path, store, lost, recovered } = scenario();
    store.setValue('k', 'v');
    renameSync(path, `${path}.moved`);
    expect(thrown(() => store.setValue('k', 'w')).message).toBe(deleted(path));
    const firstCopy = savedCopy(path);
    const firstLine = deleted(path);
    renameSync(`${path}.moved`, path);
    store.setValue('k', 'back');
    expect(recovered).toEqual([`STATE_DB ${path} is the file the bot has open again: schedule changes and announcements are stored again.`]);
    expect(() => store.assertWritable()).not.toThrow();
    unlinkSync(path);
    expect(() => store.assertWritable()).toThrow(/was deleted while the bot was running/);
    const copies = readdirSync(dirname(path)).filter((name) => name.startsWith('state.db.recovered-'));
    expect(copies).toHaveLength(2);
    const secondCopy = join(dirname(path), copies.find((name) => join(dirname(path), name) !== firstCopy)!);
    expect(lost).toEqual([firstLine, deleted(path, secondCopy)]);
  });

  it('a :memory: store has no file to lose', () => {
    const store = new SqliteStore(':memory:');
    opened.push(store);
    store.setValue('k', 'v');
    expect(() => store.assertWritable()).not.toThrow();
  });
});

/** An announcement channel that records what it was asked to post, and what instructors were told. */
class Channel implements Messenger {
  readonly target = 'fake:1';
  readonly posts: { key: string; message: Message }[] = [];
  readonly reports: string[] = [];
  onPost: () => void = () => undefined;

  post(message: Message, options: PostOptions): Promise<{ id: string }> {
    this.posts.push({ key: options.key, message });
    this.onPost();
    return Promise.resolve({ id: `m${this.posts.length}` });
  }

  findPosted(key: string): Promise<{ id: string } | undefined> {
    const index = this.posts.findIndex((sent) => sent.key === key);
    return Promise.resolve(index < 0 ? undefined : { id: `m${index + 1}` });
  }

  report(text: string): Promise<void> {
    this.reports.push(text);
    return Promise.resolve();
  }
}

describe('the bot on a state database that was replaced', () => {
  const zone = buildCourse();
  const morning = fixedClock(at(zone, '2027-01-06T08:00'));

  function bot() {
    const { folder, path, store, lost } = scenario();
    const coursePath = join(folder, 'course.yaml');
    writeFileSync(coursePath, stringify(courseDoc()));
    const { logger, lines } = captureLogger();
    const live = new LiveCourse({ path: coursePath, label: 'course.yaml', initial: loadCourseFile(coursePath), logger });
    const channel = new Channel();
    const announcer = new Announcer({
      course: () => schedule.course,
      clock: morning,
      store,
      messengers: [channel],
      logger,
      owner: 'one',
      leaseMs: 60_000,
      sleep: () => Promise.resolve(),
      random: () => 1,
    });
    const schedule: TestSchedule = testSchedule({ live, store, clock: morning, logger, announcer });
    return { path, store, lost, schedule, announcer, channel, lines };
  }


  /** Runs a chat line as ALICE, an instructor, the way every platform does: through the invocation step. */
  function asInstructor(schedule: TestSchedule, logger: Logger) {
    const invoker = new Invoker({
      commands,
      clock: morning,
      scope: () => ({ course: schedule.course, admin: schedule.admin, instructor: () => true }),
      explain: explainError,
    });
    return (line: string) => invoker.invoke({ place: { platform: 'test' }, asker: { actor: ALICE } }, { line }, logger);
  }

  it('/course cancel and /course undo answer the instructor that nothing was saved, and store nothing', async () => {
    const { path, schedule, store } = bot();
    await schedule.change({ kind: 'cancel', date: '2027-01-08' }, ALICE);
    await schedule.settle();
    replaceWithAnother(path);
    const { logger } = captureLogger();
    // What a platform shows: the dispatcher runs the command through the invocation step.
    const invoke = asInstructor(schedule, logger);
    const cancel = await invoke('/course cancel 2027-01-06 ill');
    // The store's own line, which says what whoever runs the bot must do.
    const notSaved = `Not saved: ${replaced(path)}`;
    expect(cancel).toEqual({ ok: false, kind: 'user', code: 'unavailable', text: notSaved });
    const undo = await invoke('/course undo');
    expect(undo).toEqual({ ok: false, kind: 'user', code: 'unavailable', text: notSaved });
    // The running bot still shows what it had; the change that was refused is nowhere.
    expect(schedule.course.sessions.find((session) => session.date === '2027-01-08')?.cancelled).toEqual({});
    expect(schedule.course.sessions.find((session) => session.date === '2027-01-06')?.cancelled).toBeUndefined();
    const restarted = restart(store, path);
    expect(restarted.getValue('marker')).toBe('from the other file');
    expect(restarted.listChanges('demo')).toEqual([]);
  });

  it('the morning announcement is not claimed in the dead file: nothing posted, the run fails loudly', async () => {
    const { path, announcer, channel, lost, store } = bot();
    replaceWithAnother(path);
    await expect(announcer.run()).rejects.toThrow(replaced(path));
    expect(channel.posts).toEqual([]);
    expect(lost).toEqual([replaced(path)]);
    // After the restart (the file at the path), it is still due and posted then.
    const restarted = restart(store, path);
    expect(restarted.getClaim('demo:2027-01-06:daily:fake:1')).toBeUndefined();
  });

  it('/course announce answers that nothing could be posted; reading the schedule needs no write', async () => {
    const { path, schedule, channel } = bot();
    replaceWithAnother(path);
    expect(schedule.course.sessions).toHaveLength(4);
    const { logger } = captureLogger();
    const outcome = await asInstructor(schedule, logger)('/course announce');
    expect(outcome).toEqual({
      ok: false,
      kind: 'user',
      code: 'unavailable',
      text: `Not posted: ${replaced(path)}`,
    });
    expect(channel.posts).toEqual([]);
  });

  it('a post that went out just before the file was replaced is posted once, and the missing record is logged and reported', async () => {
    const { path, announcer, channel, lines } = bot();
    channel.onPost = () => replaceWithAnother(path);
    const report = await announcer.run();
    expect(report.sent).toEqual(['demo:2027-01-06:daily:fake:1']);
    // Not posted again by the retry loop.
    expect(channel.posts.map((sent) => sent.key)).toEqual(['demo:2027-01-06:daily:fake:1']);
    const errors = lines.map((line) => JSON.parse(line) as { level: number; msg: string }).filter((line) => line.level === 50);
    expect(errors.map((line) => line.msg)).toEqual(['posted, but the state database could not record it: a restart may post it again']);
    expect(channel.reports).toEqual([
      `The announcement demo:2027-01-06:daily:fake:1 was posted, but the state database could not record it (${replaced(path)}); a restart may post it again.`,
    ]);
  });
});
