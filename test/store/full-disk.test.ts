import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Announcer } from '../../src/announcer/announcer.js';
import { fixedClock } from '../../src/core/clock.js';
import { UserFacingError } from '../../src/core/errors.js';
import type { Actor } from '../../src/core/ports.js';
import { LiveCourse } from '../../src/course-file/live-course.js';
import { loadCourseFile } from '../../src/course-file/read.js';
import { testSchedule } from '../support/schedule.js';
import { FREE_SPACE_FLOOR, SqliteStore } from '../../src/store/sqlite-store.js';
import { StateDbError } from '../../src/store/state-db-error.js';
import { at, buildCourse, courseDoc } from '../support/course.js';
import { captureLogger } from '../support/log.js';

const dir = mkdtempSync(join(tmpdir(), 'course-bot-full-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const opened: SqliteStore[] = [];
afterEach(() => {
  for (const store of opened.splice(0)) store.close();
});

const ALICE: Actor = { platform: 'discord', id: '42', name: 'alice' };
const PLENTY = 1024 * 1024 * 1024;
let counter = 0;

/** What `work` threw (it must throw). */
function thrown(work: () => unknown): Error {
  try {
    work();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a throw');
}

/** A store in a folder of its own (or `folder`), with what it told and the free space it sees. */
function scenario(options: { folder?: string; free?: () => number | undefined } = {}) {
  counter += 1;
  const folder = options.folder ?? join(dir, `scenario-${counter}`);
  mkdirSync(folder, { recursive: true });
  const path = join(folder, 'state.db');
  const trouble: string[] = [];
  const recovered: string[] = [];
  const store = new SqliteStore(path, {
    onTrouble: (error) => trouble.push(error.message),
    onRecovered: (line) => recovered.push(line),
    ...(options.free && { freeSpace: options.free }),
  });
  opened.push(store);
  const coursePath = join(folder, 'course.yaml');
  writeFileSync(coursePath, stringify(courseDoc()));
  const { logger } = captureLogger();
  const clock = fixedClock(at(buildCourse(), '2027-01-05T10:00'));
  const live = new LiveCourse({ path: coursePath, label: 'course.yaml', initial: loadCourseFile(coursePath), logger });
  const schedule = testSchedule({ live, store, clock, logger });
  return { folder, path, store, trouble, recovered, schedule, clock, logger };
}

const fullLine = (path: string, folder: string) =>
  `The disk holding STATE_DB ${path} is full (database or disk is full): free space on it (the volume that holds ${folder}); ` +
  'until then nothing is stored (schedule changes are refused, announcements are not posted).';

describe('a write the disk refuses (SQLITE_FULL, injected with max_page_count)', () => {
  it('is one line naming STATE_DB, told once, the health check says so until a write succeeds again, then told it is over', async () => {
    const { folder, path, store, trouble, recovered, schedule } = scenario({ free: () => PLENTY });
    store.setValue('small', 'x');
    // The database may not grow any more: SQLite answers SQLITE_FULL, as on a full disk.
    store.db.pragma(`max_page_count = ${Number(store.db.pragma('page_count', { simple: true }))}`);
    const big = 'x'.repeat(64 * 1024);

    const error = thrown(() => store.setValue('big', big));
    expect(error).toBeInstanceOf(StateDbError);
    expect(error.message).toBe(fullLine(path, folder));
    expect((error as StateDbError).problem).toBe('full');
    expect(store.getValue('big')).toBeUndefined();
    // The health check: a rolled-back probe never reaches the disk; the remembered failure and a real write do.
    expect(thrown(() => store.assertWritable()).message).toBe(fullLine(path, folder));
    expect(thrown(() => store.addChange('demo', { kind: 'add', date: '2027-01-09', topic: 'x'.repeat(60_000) }, ALICE, 1)).message).toBe(
      fullLine(path, folder),
    );
    // The instructor's answer: the store's line, not "Something went wrong".
    const refused = await schedule.change({ kind: 'add', date: '2027-01-09', topic: 'y'.repeat(60_000) }, ALICE).catch((caught: unknown) => caught);
    expect(refused).toBeInstanceOf(UserFacingError);
    expect((refused as UserFacingError).message).toBe(
      `Not saved: the disk holding STATE_DB ${path} is full (database or disk is full): free space on it (the volume that holds ${folder}); ` +
        'until then nothing is stored (schedule changes are refused, announcements are not posted).',
    );
    expect(schedule.history()).toEqual([]);
    expect(trouble).toEqual([fullLine(path, folder)]);
    expect(recovered).toEqual([]);

    // Space again: the next health check writes for real, and the incident is over.
    store.db.pragma('max_page_count = 1000000');
    expect(() => store.assertWritable()).not.toThrow();
    expect(recovered).toEqual([`The disk holding STATE_DB ${path} has free space again: schedule changes and announcements are stored again.`]);
    store.setValue('big', big);
    expect(store.getValue('big')).toBe(big);
    expect(store.getValue('course-bot:write-probe')).toBeUndefined();
    // A new incident is told again.
    store.db.pragma(`max_page_count = ${Number(store.db.pragma('page_count', { simple: true }))}`);
    expect(() => store.setValue('bigger', big)).toThrow(StateDbError);
    expect(trouble).toHaveLength(2);
  });

  it('an I/O error is one line too; an error that is no fault of the disk is left as it is', () => {
    const { path, store, trouble } = scenario({ free: () => PLENTY });
    store.db.pragma('query_only = ON');
    const readOnly = thrown(() => store.setValue('k', 'v'));
    expect(readOnly).toBeInstanceOf(StateDbError);
    expect(readOnly.message).toMatch(new RegExp(`^STATE_DB ${path} cannot be written any more \\(attempt to write a readonly database\\): let uid \\d+ write`));
    expect(trouble).toEqual([readOnly.message]);
    store.db.pragma('query_only = OFF');
    // A broken change row: a bug or a hand edit, not the disk.
    expect(thrown(() => store.addChange('demo', { kind: 'cancel', date: 'tomorrow' } as never, ALICE, 1))).not.toBeInstanceOf(StateDbError);
  });

  it('the announcer’s claim fails with the line, and nothing is posted', async () => {
    const { folder, path, store, logger, clock } = scenario({ free: () => PLENTY });
    const posts: string[] = [];
    const announcer = new Announcer({
      course: () => buildCourse(),
      clock: fixedClock(at(buildCourse(), '2027-01-06T08:00')),
      store,
      messengers: [
        {
          target: 'fake:1',
          post: (_message, options) => {
            posts.push(options.key);
            return Promise.resolve({ id: 'm1' });
          },
          findPosted: () => Promise.resolve(undefined),
        },
      ],
      logger,
      owner: 'one',
      leaseMs: 60_000,
    });
    void clock;
    store.db.pragma(`max_page_count = ${Number(store.db.pragma('page_count', { simple: true }))}`);
    // Fill the last free room of the claims table with rows of the morning claim's size that sort just before it,
    // so that the claim itself needs a new page.
    const key = 'demo:2027-01-06:daily:fake:1';
    for (let index = 0; index < 1000; index += 1) {
      try {
        store.claim(`${key.slice(0, -6)}${String(index).padStart(6, '0')}`, { owner: 'one', now: 0, leaseMs: 60_000 });
      } catch {
        break;
      }
    }
    await expect(announcer.run()).rejects.toThrow(fullLine(path, folder));
    expect(posts).toEqual([]);
  });
});

describe('the health check looks at the free space of the volume', () => {
  it(`below ${FREE_SPACE_FLOOR / 1024} KB free it says the disk is full (once), and says when there is room again`, () => {
    let free = 800 * 1024;
    const { folder, path, store, trouble, recovered } = scenario({ free: () => free });
    const line = `The disk holding STATE_DB ${path} is full (800 KB free): free space on it (the volume that holds ${folder}); until then writes may fail, and a refused one is not stored.`;
    expect(thrown(() => store.assertWritable()).message).toBe(line);
    expect(thrown(() => store.assertWritable()).message).toBe(line);
    expect(trouble).toEqual([line]);
    // Writes are not refused for it: only one the disk refuses is.
    store.setValue('k', 'v');
    free = 5 * 1024 * 1024;
    expect(() => store.assertWritable()).not.toThrow();
    expect(recovered).toEqual([`The disk holding STATE_DB ${path} has free space again: schedule changes and announcements are stored again.`]);
    free = 0;
    expect(thrown(() => store.assertWritable()).message).toMatch(/is full \(0 bytes free\)/);
    expect(trouble).toHaveLength(2);
  });
});

/** A small tmpfs mounted at a new folder, or why not (mounting needs root, and may be refused in a container). */
function mountSmallDisk(folder: string, size: string): string | undefined {
  mkdirSync(folder, { recursive: true });
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', folder], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    return `mount was refused: ${String((error as { stderr?: Buffer }).stderr ?? error).trim()}`;
  }
}

/** Writes zeros until the volume refuses (ENOSPC): the disk is then full. */
function fill(path: string): void {
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
}

describe('a real full disk (a 4 MB tmpfs)', () => {
  const mount = join(dir, 'tmpfs');
  let refused: string | undefined;
  beforeAll(() => {
    refused = mountSmallDisk(mount, '4m');
  });
  afterAll(() => {
    for (const store of opened.splice(0)) store.close();
    if (refused === undefined) execFileSync('umount', [mount]);
  });

  it('refuses with one line, the health check says full, and everything works again once space is freed', async (context) => {
    if (refused !== undefined) context.skip(refused);
    const disk = { folder: mount };
    const { folder, path, store, trouble, recovered, schedule } = scenario({ folder: join(disk.folder, 'var') });
    await schedule.change({ kind: 'cancel', date: '2027-01-06', reason: 'Ill' }, ALICE);
    const filler = join(disk.folder, 'filler');
    fill(filler);

    expect(thrown(() => store.assertWritable()).message).toMatch(
      new RegExp(`^The disk holding STATE_DB ${path} is full \\(\\d+ (bytes|KB) free\\): free space on it \\(the volume that holds ${folder}\\)`),
    );
    // A change big enough to need new room in the write-ahead log.
    const answer = await schedule.change({ kind: 'add', date: '2027-01-09', topic: 'z'.repeat(200_000) }, ALICE).catch((caught: unknown) => caught);
    expect(answer).toBeInstanceOf(UserFacingError);
    expect((answer as Error).message).toBe(`Not saved: ${fullLine(path, folder).replace(/^The/, 'the')}`);
    expect(trouble).toHaveLength(1);

    unlinkSync(filler);
    expect(() => store.assertWritable()).not.toThrow();
    expect(recovered).toHaveLength(1);
    await schedule.change({ kind: 'add', date: '2027-01-09', topic: 'Hackathon' }, ALICE);
    store.close();
    const reopened = new SqliteStore(path);
    opened.push(reopened);
    expect(reopened.listChanges('demo').map((record) => record.change.kind)).toEqual(['cancel', 'add']);
  });
});
