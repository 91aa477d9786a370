import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { damaged } from '../../src/store/diagnose.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { StateDbError } from '../../src/store/state-db-error.js';
import { ROOT, type Run, runCli } from '../support/child.js';

const dir = mkdtempSync(join(tmpdir(), 'course-bot-open-'));
// Readable by an unprivileged user: the permission cases run the CLI as one when the tests run as root.
chmodSync(dir, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const START_FRESH =
  'restore it from a backup, or move it (and any -wal and -shm file beside it) away to start with an empty one ' +
  '(the schedule changes made in chat and the record of what was posted are then lost).';

/** A good database with enough rows to span many pages, checkpointed into the main file. */
function goodDatabase(): Buffer {
  const path = join(dir, 'good.db');
  const store = new SqliteStore(path);
  for (let index = 0; index < 400; index += 1) store.setValue(`key-${index}`, 'v'.repeat(200));
  store.addChange('demo', { kind: 'cancel', date: '2027-01-06' }, { platform: 'cli', id: 'me' }, 0);
  for (const date of ['2027-01-05', '2027-01-06']) store.claim(`demo:${date}:daily:terminal`, { owner: 'me', now: 0, leaseMs: 1_000 });
  store.db.pragma('wal_checkpoint(TRUNCATE)');
  store.close();
  return readFileSync(path);
}

/** The broken state databases the issue lists (and a few more), each made in its own folder. */
const damages: Record<string, { make: (path: string, good: Buffer) => void; message: (path: string) => string }> = {
  'random bytes': {
    make: (path) => writeFileSync(path, randomBytes(8192)),
    message: (path) => `STATE_DB ${path} is not a SQLite database (file is not a database): ${START_FRESH}`,
  },
  'a bad header': {
    make: (path, good) => {
      const bytes = Buffer.from(good);
      bytes.write('Not SQLite at all', 0);
      writeFileSync(path, bytes);
    },
    message: (path) => `STATE_DB ${path} is not a SQLite database (file is not a database): ${START_FRESH}`,
  },
  'truncated to half': {
    make: (path, good) => writeFileSync(path, good.subarray(0, Math.floor(good.length / 2))),
    message: (path) => `STATE_DB ${path} is damaged (database disk image is malformed): ${START_FRESH}`,
  },
  'truncated inside the first page': {
    make: (path, good) => writeFileSync(path, good.subarray(0, 1000)),
    message: (path) => `STATE_DB ${path} is damaged (database disk image is malformed): ${START_FRESH}`,
  },
  'damaged past the first page': {
    make: (path, good) => {
      const bytes = Buffer.from(good);
      randomBytes(4096).copy(bytes, 4096 * 3);
      writeFileSync(path, bytes);
    },
    message: (path) => `STATE_DB ${path} is damaged (database disk image is malformed): ${START_FRESH}`,
  },
  'a directory': {
    make: (path) => mkdirSync(path),
    message: (path) => `STATE_DB ${path} is a directory, not a database file: set STATE_DB to a file in it, such as ${path}/course-bot.db.`,
  },
  'a path under a file': {
    make: (path) => writeFileSync(join(path, '..'), 'a file where a folder should be'),
    message: (path) =>
      `STATE_DB ${path}: ${join(path, '..')} is a file, not a directory: set STATE_DB to a path in a directory (or move that file away).`,
  },
  'a path two levels under a file': {
    make: (path) => writeFileSync(join(path, '..', '..'), 'a file where a folder should be'),
    message: (path) =>
      `STATE_DB ${path}: ${join(path, '..', '..')} is a file, not a directory: set STATE_DB to a path in a directory (or move that file away).`,
  },
  'written by a newer course-bot': {
    make: (path) => {
      const store = new SqliteStore(path);
      store.db.pragma('user_version = 99');
      store.close();
    },
    message: (path) =>
      `STATE_DB ${path} was written by a newer course-bot (schema 99 > 3): run that version or a newer one, or restore a backup this version wrote.`,
  },
};

/** More than the issue lists: found by trying odd files (a FIFO, foreign SQLite, a damaged row or index). */
const oddities: typeof damages = {
  'a named pipe': {
    make: (path) => execFileSync('mkfifo', [path]),
    message: (path) => `STATE_DB ${path} is a named pipe (FIFO), not a database file: set STATE_DB to a regular file's path.`,
  },
  'a link to /dev/null': {
    make: (path) => symlinkSync('/dev/null', path),
    message: (path) => `STATE_DB ${path} is a device, not a database file: set STATE_DB to a regular file's path.`,
  },
  'a symbolic link loop': {
    make: (path) => {
      symlinkSync(`${path}.other`, path);
      symlinkSync(path, `${path}.other`);
    },
    message: (path) => `STATE_DB ${path} is a symbolic link that loops, not a database file: set STATE_DB to a regular file's path.`,
  },
  'another program’s SQLite database': {
    make: (path) => {
      const other = new Database(path);
      other.exec('CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT)');
      other.pragma('user_version = 3');
      other.close();
    },
    message: (path) => `STATE_DB ${path} is not a course-bot state database (no such table: kv): ${START_FRESH}`,
  },
  'another program’s SQLite database without a schema version': {
    make: (path) => {
      const other = new Database(path);
      other.exec('CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); CREATE INDEX users_by_name ON users (name)');
      other.prepare('INSERT INTO users (name) VALUES (?)').run('ada');
      other.close();
    },
    message: (path) =>
      `STATE_DB ${path} is not a course-bot state database (it holds users, users_by_name, which course-bot never makes): ` +
      "set STATE_DB to a file of its own; course-bot writes nothing into another program's database.",
  },
  'a -shm that is a folder': {
    make: (path, good) => {
      writeFileSync(path, good);
      mkdirSync(`${path}-shm`);
    },
    message: (path) =>
      `STATE_DB ${path}: ${path}-shm is a directory, where SQLite keeps the database's shared-memory index: move it away (it holds no data of the bot), then try again.`,
  },
  'a -wal that is a folder': {
    make: (path, good) => {
      writeFileSync(path, good);
      mkdirSync(`${path}-wal`);
    },
    message: (path) =>
      `STATE_DB ${path}: ${path}-wal is a directory, where SQLite keeps the database's write-ahead log: move it away (it holds no data of the bot), then try again.`,
  },
  'a link into a folder that does not exist': {
    make: (path) => symlinkSync(join(path, '..', 'missing', 'real.db'), path),
    message: (path) =>
      `STATE_DB ${path} (a link to ${join(path, '..', 'missing', 'real.db')}) cannot be opened or created (unable to open database file): ` +
      `make sure ${join(path, '..', 'missing')} exists and uid ${process.getuid?.()} can write in it (SQLite keeps -wal and -shm files beside the database), or set STATE_DB elsewhere.`,
  },
  'a table dropped by hand': {
    make: (path, good) => {
      writeFileSync(path, good);
      const edited = new Database(path);
      edited.exec('DROP TABLE changes');
      edited.close();
    },
    message: (path) => `STATE_DB ${path} is not a course-bot state database (no such table: changes): ${START_FRESH}`,
  },
  'a schema version below zero': {
    make: (path, good) => {
      writeFileSync(path, good);
      const edited = new Database(path);
      edited.pragma('user_version = -1');
      edited.close();
    },
    message: (path) => `STATE_DB ${path} has a schema version no course-bot writes (-1): ${START_FRESH}`,
  },
  'a change row whose JSON was damaged': {
    make: (path, good) => {
      writeFileSync(path, good);
      const edited = new Database(path);
      edited.prepare('UPDATE changes SET change = ? WHERE rowid = 1').run('{"kind":"cancel","date";"2027-01-06"}');
      edited.close();
    },
    message: (path) =>
      `STATE_DB ${path} holds a changes row it cannot read (rowid 1, change: not valid JSON): ` +
      'restore it from a backup, or delete that row with the sqlite3 tool (DELETE FROM changes WHERE rowid = 1) while the bot is stopped.',
  },
  'a claim row with an unknown status (constraints bypassed)': {
    make: (path, good) => {
      writeFileSync(path, good);
      const edited = new Database(path);
      edited.pragma('ignore_check_constraints = ON');
      edited.prepare("UPDATE claims SET status = 'posted' WHERE rowid = 2").run();
      edited.close();
    },
    message: (path) => `STATE_DB ${path} is damaged (integrity check: CHECK constraint failed in claims): ${START_FRESH}`,
  },
  // quick_check passes this one, and a read through the index then silently misses the change.
  'a damaged index entry': {
    make: (path, good) => {
      writeFileSync(path, good);
      const probe = new Database(path, { readonly: true });
      const { rootpage } = probe.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'changes_by_course'").get() as { rootpage: number };
      const pageSize = Number(probe.pragma('page_size', { simple: true }));
      expect(probe.pragma('quick_check', { simple: true })).toBe('ok');
      probe.close();
      const bytes = Buffer.from(good);
      const page = bytes.subarray((rootpage - 1) * pageSize, rootpage * pageSize);
      page.write('dEmo', page.lastIndexOf(Buffer.from('demo')));
      writeFileSync(path, bytes);
    },
    message: (path) => `STATE_DB ${path} is damaged (integrity check: row 1 missing from index changes_by_course): ${START_FRESH}`,
  },
};

let good: Buffer;
let cases = 0;
/** A folder of its own, and the STATE_DB path in it (nested for the "under a file" cases). */
function broken(name: string): string {
  cases += 1;
  const folder = join(dir, `case-${cases}`);
  mkdirSync(folder);
  const path = name.includes('two levels')
    ? join(folder, 'blocker', 'state', 'state.db')
    : name.includes('under a file')
      ? join(folder, 'blocker', 'state.db')
      : join(folder, 'state.db');
  damages[name]!.make(path, good);
  return path;
}

beforeAll(() => {
  good = goodDatabase();
});

describe('opening a state database that cannot be used', () => {
  it.each(Object.keys(damages))('%s: one StateDbError line naming STATE_DB, the path and the fix', (name) => {
    const path = broken(name);
    let error: unknown;
    try {
      new SqliteStore(path).close();
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(StateDbError);
    expect((error as StateDbError).message).toBe(damages[name]!.message(path));
    expect((error as StateDbError).path).toBe(path);
  });

  it.each(Object.keys(oddities))('%s: one StateDbError line too', (name) => {
    cases += 1;
    const folder = join(dir, `case-${cases}`);
    mkdirSync(folder);
    const path = join(folder, 'state.db');
    oddities[name]!.make(path, good);
    expect(() => new SqliteStore(path).close()).toThrow(new StateDbError(path, oddities[name]!.message(path)));
  });

  it('names the first two problems integrity_check lists, without its "*** in database main ***" heading', () => {
    const error = damaged('/srv/state.db', [
      '*** in database main ***\nOn tree page 7 cell 2: invalid page number 99',
      'row 4 missing from index changes_by_course',
      'wrong # of entries in index changes_by_course',
    ]);
    expect(error.message).toBe(
      'STATE_DB /srv/state.db is damaged (integrity check: On tree page 7 cell 2: invalid page number 99; row 4 missing from index ' +
        `changes_by_course; 1 more): ${START_FRESH}`,
    );
  });

  it('an empty file is an empty database: it opens and is set up', () => {
    const path = join(dir, 'empty.db');
    writeFileSync(path, '');
    const store = new SqliteStore(path);
    store.setValue('k', 'v');
    expect(store.getValue('k')).toBe('v');
    store.close();
  });

  it('a good database with its rows opens and reads back', () => {
    const path = join(dir, 'good-copy.db');
    writeFileSync(path, good);
    const store = new SqliteStore(path);
    expect(store.listKeys('key-')).toHaveLength(400);
    expect(store.listChanges('demo')).toHaveLength(1);
    store.close();
  });
});

/** The real CLI with STATE_DB set, and the bundled course. */
function cli(args: readonly string[], path: string, env: Record<string, string> = {}): Promise<Run> {
  return runCli(args, { env: { STATE_DB: path, ...env }, timeout: 60_000 });
}

/** Exit 1 and exactly the one line on stderr: no stack trace, no SqliteError. */
function expectOneLine(run: Run, line: string): void {
  expect(run.stderr).toBe(`${line}\n`);
  expect(run.code).toBe(1);
}

// Discord's API at a port nothing listens on: a command that opens the store first fails on it, not the network.
const OFFLINE_DISCORD = { DISCORD_TOKEN: 'MTIz.fake.token', DISCORD_API_URL: 'http://127.0.0.1:9/api' };

describe('the CLI on a state database that cannot be used', () => {
  it.each(Object.keys(damages))('start with %s exits 1 with the one line', { timeout: 90_000 }, async (name) => {
    const path = broken(name);
    expectOneLine(await cli(['start'], path), damages[name]!.message(path));
  });

  it.each(['a named pipe', 'a change row whose JSON was damaged', 'a -shm that is a folder', 'a link into a folder that does not exist'])('start on %s exits 1 with the one line', { timeout: 90_000 }, async (name) => {
    cases += 1;
    const folder = join(dir, `case-${cases}`);
    mkdirSync(folder);
    const path = join(folder, 'state.db');
    oddities[name]!.make(path, good);
    expectOneLine(await cli(['start'], path), oddities[name]!.message(path));
  });

  it.each<[string, string[], Record<string, string>]>([
    ['export', ['export'], {}],
    ['calendar', ['calendar'], {}],
    ['register-commands', ['register-commands'], OFFLINE_DISCORD],
    ['announce --now', ['announce', '--now'], {}],
    ['start with a platform token and logs on', ['start'], { ...OFFLINE_DISCORD, LOG_LEVEL: 'info', LOG_FORMAT: 'json' }],
  ])('%s on random bytes exits 1 with the one line', { timeout: 90_000 }, async (_name, args, env) => {
    const path = broken('random bytes');
    const run = await cli(args, path, env);
    const line = damages['random bytes']!.message(path);
    if (env.LOG_LEVEL === 'info') {
      // Log lines (JSON) may come first; the reason is the last line, once, and nothing else is said.
      const lines = run.stderr.trimEnd().split('\n');
      expect(lines.at(-1)).toBe(line);
      expect(lines.slice(0, -1).every((logged) => logged.startsWith('{'))).toBe(true);
      expect(run.stderr).not.toMatch(/SqliteError|\n\s+at /);
      expect(run.code).toBe(1);
    } else {
      expectOneLine(run, line);
    }
    expect(run.stdout).toBe('');
  });
});

describe('another program’s SQLite database as STATE_DB', () => {
  it.each<[string, string[], Record<string, string>]>([
    ['start', ['start'], {}],
    ['ask', ['ask', '/today', '--at', '2027-01-05'], {}],
    ['export', ['export'], {}],
    ['announce --dry-run', ['announce', '--dry-run', '--date', '2027-01-05'], {}],
    ['announce --now', ['announce', '--now'], {}],
  ])('%s refuses it in one line and leaves it exactly as it was', { timeout: 90_000 }, async (_name, args, env) => {
    cases += 1;
    const folder = join(dir, `case-${cases}`);
    mkdirSync(folder);
    const path = join(folder, 'state.db');
    oddities['another program’s SQLite database without a schema version']!.make(path, good);
    const bytes = readFileSync(path);
    expectOneLine(await cli(args, path, env), oddities['another program’s SQLite database without a schema version']!.message(path));
    expect(readFileSync(path).equals(bytes)).toBe(true);
    expect(readdirSync(folder)).toEqual(['state.db']);
  });
});

/**
 * The CLI run as a user who may not write where root (or the test's user) made folders: the compiled dist/cli.js
 * (built by the test run's global setup), as the Docker image runs it, since that user may not bring dist/ up to
 * date in the checkout.
 */
function cliUnprivileged(args: readonly string[], path: string, env: Record<string, string> = {}): Promise<Run> {
  const root = process.getuid?.() === 0;
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['dist/cli.js', ...args], {
      cwd: ROOT,
      env: { ...process.env, TZ: 'Pacific/Kiritimati', LOG_LEVEL: 'silent', COURSE_FILE: '', STATE_DB: path, HOME: dir, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // nobody: what a container's uid 1000 is to a host folder it does not own.
      ...(root && { uid: 65_534, gid: 65_534 }),
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

describe('the CLI on a state folder it may not write (a host folder the container user does not own)', () => {
  const uid = process.getuid?.() === 0 ? 65_534 : process.getuid?.();

  /** A folder others may read but not write (0555 when not root: the owner is then shut out too). */
  function lockedFolder(): string {
    cases += 1;
    const folder = join(dir, `locked-${cases}`);
    mkdirSync(folder);
    return folder;
  }
  const lock = (folder: string) => chmodSync(folder, process.getuid?.() === 0 ? 0o755 : 0o555);

  it('a new database in it cannot be created: exit 1, one line', { timeout: 90_000 }, async () => {
    const folder = lockedFolder();
    lock(folder);
    const path = join(folder, 'state.db');
    expectOneLine(
      await cliUnprivileged(['start'], path),
      `STATE_DB ${path} cannot be opened or created (unable to open database file): make sure ${folder} exists and uid ${uid} can ` +
        'write in it (SQLite keeps -wal and -shm files beside the database), or set STATE_DB elsewhere.',
    );
  });

  it('an existing database in it cannot be written: exit 1, one line', { timeout: 90_000 }, async () => {
    const folder = lockedFolder();
    const path = join(folder, 'state.db');
    new SqliteStore(path).close();
    chmodSync(path, 0o644);
    lock(folder);
    // The bot itself (and `announce --now`) must write; the commands that only read do not (below).
    const run = await cliUnprivileged(['start'], path);
    expectOneLine(
      run,
      `STATE_DB ${path} cannot be written (attempt to write a readonly database): let uid ${uid} write the file and its ` +
        `directory ${folder} (SQLite keeps -wal and -shm files beside it), or set STATE_DB elsewhere.`,
    );
  });

  it('a folder that cannot be created under it: exit 1, one line', { timeout: 90_000 }, async () => {
    const folder = lockedFolder();
    lock(folder);
    const path = join(folder, 'var', 'state.db');
    expectOneLine(
      await cliUnprivileged(['announce', '--now'], path),
      `STATE_DB ${path}: cannot create its directory ${join(folder, 'var')} (EACCES: permission denied, mkdir '${join(folder, 'var')}'): ` +
        `create it writable for uid ${uid}, or set STATE_DB elsewhere.`,
    );
  });
});

/** Every file in `folder` with its size, mode and modification time: what "nothing changed there" compares. */
function listing(folder: string): string[] {
  return readdirSync(folder)
    .sort()
    .map((name) => {
      const stats = statSync(join(folder, name));
      return `${name} ${stats.size} ${stats.mode.toString(8)} ${stats.mtimeMs}`;
    });
}

describe('the commands that only read, on a database the user may read but not write', () => {
  const ALICE = { platform: 'discord', id: '42', name: 'alice' };
  const READERS: readonly [string, string[], RegExp][] = [
    ['ask', ['ask', '/week 1', '--at', '2027-01-05'], /Wednesday 6 January 2027:\n {2}Cancelled: Debugging and visualization\n {2}Reason: Ill\n/],
    ['export', ['export'], /\n {8}cancelled: Ill\n/],
    ['calendar', ['calendar'], /SUMMARY:Cancelled: Week 1 · Debugging and visualization/],
    ['announce --dry-run', ['announce', '--dry-run', '--date', '2027-01-06'], /is cancelled\nCancelled: Debugging and visualization\n\nReason: Ill\n/],
  ];

  /** A folder only root may write (0555 when not root), holding a database with one change (cancel 6 Jan). */
  function readOnlyDatabase(state: 'closed' | 'open' | 'crashed'): { folder: string; path: string; holder?: SqliteStore } {
    cases += 1;
    const folder = join(dir, `read-only-${cases}`);
    mkdirSync(folder);
    const path = join(folder, 'state.db');
    const store = new SqliteStore(path);
    store.setValue('before', 'checkpointed');
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    // Only in the write-ahead log while the writer runs (or after it crashed).
    store.db.pragma('wal_autocheckpoint = 0');
    store.addChange('mlops', { kind: 'cancel', date: '2027-01-06', reason: 'Ill' }, ALICE, 1_000);
    chmodSync(folder, process.getuid?.() === 0 ? 0o755 : 0o555);
    if (state === 'closed') {
      store.close();
      return { folder, path };
    }
    if (state === 'crashed') {
      // A process that died: its -wal stays (with the change), and no -shm is left to read it with.
      copyFileSync(path, `${path}.crash`);
      copyFileSync(`${path}-wal`, `${path}.crash-wal`);
      store.close();
      chmodSync(folder, 0o755);
      renameSync(`${path}.crash`, path);
      renameSync(`${path}.crash-wal`, `${path}-wal`);
      chmodSync(folder, process.getuid?.() === 0 ? 0o755 : 0o555);
      expect(readdirSync(folder).sort()).toEqual(['state.db', 'state.db-wal']);
      return { folder, path };
    }
    return { folder, path, holder: store };
  }

  it.each(['closed', 'open', 'crashed'] as const)(
    'the bot’s database %s: every reading command shows the change, exit 0, and nothing in its folder is created or changed',
    { timeout: 180_000 },
    async (state) => {
      const { folder, path, holder } = readOnlyDatabase(state);
      try {
        const before = listing(folder);
        for (const [name, args, shows] of READERS) {
          const run = await cliUnprivileged(args, path);
          expect(run.stderr, name).toBe('');
          expect(run.code, name).toBe(0);
          expect(run.stdout, name).toMatch(shows);
          expect(listing(folder), name).toEqual(before);
        }
      } finally {
        holder?.close();
      }
    },
  );

  it('a database the user may not read: one line that says so', { timeout: 90_000 }, async () => {
    const { path } = readOnlyDatabase('closed');
    chmodSync(path, 0o600);
    if (process.getuid?.() !== 0) return;
    expectOneLine(
      await cliUnprivileged(['export'], path),
      `STATE_DB ${path} cannot be read (EACCES: permission denied, open '${path}'): let uid 65534 read the file (and the -wal file beside it), ` +
        'or run the command as the user the bot runs as.',
    );
  });
});
