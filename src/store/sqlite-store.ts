import { type BigIntStats, closeSync, constants, copyFileSync, existsSync, fsyncSync, mkdirSync, mkdtempSync, openSync, realpathSync, rmSync, statSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import type { ScheduleChange } from '../core/course/changes.js';
import * as z from 'zod';
import { scheduleChangeSchema } from '../core/course/changes.js';
import type {
  Actor,
  ChangeRecord,
  ChangesVersion,
  ClaimCompletion,
  ClaimOptions,
  ClaimOutcome,
  ClaimRecord,
  StateStore,
} from '../core/ports.js';
import { decideClaim } from './claims.js';
import { changeRow, claimRow, dataVersionRow, keyRow, valueRow, versionRow } from './rows.js';
import {
  type Recovery,
  damaged,
  foreign,
  kindOf,
  landingPath,
  lostFile,
  lowSpace,
  newerSchema,
  notOurs,
  openFailure,
  unknownSchema,
  unreadable,
  unreadableRow,
  writeFailure,
} from './diagnose.js';
import { StateDbError } from './state-db-error.js';

/**
 * Schema steps, applied in order; `PRAGMA user_version` records how many have run.
 * Append only: a released step is never edited.
 */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE kv (
     key TEXT PRIMARY KEY,
     value TEXT NOT NULL,
     updated_at TEXT NOT NULL
   ) STRICT`,
  `CREATE TABLE claims (
     key TEXT PRIMARY KEY,
     status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
     owner TEXT NOT NULL,
     lease_until INTEGER NOT NULL,
     attempts INTEGER NOT NULL,
     message_id TEXT,
     error TEXT,
     updated_at INTEGER NOT NULL
   ) STRICT`,
  `CREATE TABLE changes (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     course_id TEXT NOT NULL,
     at INTEGER NOT NULL,
     actor TEXT NOT NULL,
     change TEXT NOT NULL,
     undone_at INTEGER,
     undone_by TEXT
   ) STRICT;
   CREATE INDEX changes_by_course ON changes (course_id, id)`,
];

const integrityRow = z.object({ integrity_check: z.string() });
const rowNumber = z.object({ row_number: z.number() });

/** Every column the store reads, by table: preparing these proves the file holds course-bot's tables. */
const SHAPE = [
  'SELECT key, value, updated_at FROM kv LIMIT 0',
  'SELECT key, status, owner, lease_until, attempts, message_id, error, updated_at FROM claims LIMIT 0',
  'SELECT id, course_id, at, actor, change, undone_at, undone_by FROM changes LIMIT 0',
];

export interface SqliteStoreOptions {
  /**
   * Open without write access: what SQLite falls back to when the file's permissions deny writing (so the
   * open fails as it would then; tests model an unwritable file with it, as root too).
   */
  readonly readonly?: boolean;
  /**
   * Told once each time the store cannot keep what it writes (an incident): its file was deleted or replaced
   * (what the store held is saved beside the path first, and the line says where), the disk holding it is full,
   * or the disk refused a write. Found by a write or a health check; every write throws the same error then.
   */
  readonly onTrouble?: (error: StateDbError) => void;
  /** Told, with a line to log and pass on, when an incident is over (a write succeeded again, the file is back). */
  readonly onRecovered?: (message: string) => void;
  /** The free bytes of the volume holding `folder` (tests); default `statfs`. Undefined: unknown. */
  readonly freeSpace?: (folder: string) => number | undefined;
  /** The path named in messages, when it is not `path` (a private copy read for a command). @internal */
  readonly shownAs?: string;
  /**
   * Only read (a command that shows the schedule): `live` opens the file read-only, next to a bot that has it
   * open; `copy` works on a private copy (made by {@link openForReading}). Every write throws. @internal
   */
  readonly reading?: 'live' | 'copy';
  /** Called once the store is closed (a private copy removes its folder). @internal */
  readonly onClose?: () => void;
}

/**
 * Health checks call the disk full below this much free space: SQLite needs room for the write-ahead log and
 * for checkpoints, and a disk this full refuses the next write that needs a new page.
 */
export const FREE_SPACE_FLOOR = 1024 * 1024;

/** Tables, views, indexes and triggers, but SQLite's own: what another program's database holds. */
const OTHER_TABLES = "SELECT name FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY type = 'table' DESC, name";

/** A database that cannot be read in place without writing (its -shm, an old schema): read a private copy. */
class NeedsCopy extends Error {
  constructor(cause: unknown) {
    super('needs a private copy', { cause });
  }
}

/** Why a write to a lost file is undone rather than stored (thrown inside the write's transaction). */
class LostDuringWrite extends Error {}

/** Which file a path names: its device and inode. */
interface FileIdentity {
  readonly dev: bigint;
  readonly ino: bigint;
}

/**
 * The embedded default store: one SQLite file (WAL), shared safely by several processes. Opening checks the
 * file (integrity, schema version, a write) and throws a `StateDbError` with one line that says what to do.
 * Every write runs in a transaction that is undone when the file at the path is no longer the one open
 * (deleted or replaced), so that nothing is confirmed that a restart would not find; the store then saves what
 * it holds beside the path. A write the disk refuses (full, failing) throws a `StateDbError` too, and health
 * checks say so until a write succeeds again.
 */
/**
 * The keys that start with a prefix, as a range of the primary key's index: a `substr` test read every row (200
 * courses each listing their claims at the announcement minute read the whole table 200 times). Keys compare as
 * UTF-8 bytes, which is code point order, so the strings that start with `prefix` are exactly those from `prefix`
 * up to (not including) {@link prefixEnd}.
 */
function prefixRange(prefix: string): { where: string; params: string[] } {
  const end = prefixEnd(prefix);
  return end === undefined ? { where: 'key >= ?', params: [prefix] } : { where: 'key >= ? AND key < ?', params: [prefix, end] };
}

/** The least string above every string that starts with `prefix`; undefined when there is none (all keys qualify). */
export function prefixEnd(prefix: string): string | undefined {
  const points = [...prefix];
  while (points.length > 0 && points.at(-1) === '\u{10FFFF}') points.pop();
  const last = points.pop();
  if (last === undefined) return undefined;
  let next = last.codePointAt(0)! + 1;
  // Surrogates are not characters: the next one after U+D7FF is U+E000.
  if (next >= 0xd800 && next <= 0xdfff) next = 0xe000;
  return `${points.join('')}${String.fromCodePoint(next)}`;
}

export class SqliteStore implements StateStore {
  readonly db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();
  readonly #identity: FileIdentity | undefined;
  readonly #options: SqliteStoreOptions;
  /** How the database is named in every line: `path`, or the path it was copied from. */
  readonly #shown: string;
  /** The problem last told (`onTrouble`), until it is over. */
  #incident: StateDbError | undefined;
  /** The last write the disk refused, until a write succeeds again. */
  #writeFailure: StateDbError | undefined;
  /** What this store held, saved when its file was lost (or why it could not be saved yet). */
  #recovery: Recovery;
  #readOnly = false;
  /** Writes begun through this connection (committed or not): a change-log count read before one is stale. */
  #writes = 0;
  /** Each course's change-log version as last counted, and when (see `changesVersion`). */
  readonly #versions = new Map<string, { readonly dataVersion: number; readonly writes: number; readonly version: ChangesVersion }>();

  /** Opens (creating the file and its directory) or `:memory:`; a file that cannot be used throws `StateDbError`. */
  constructor(
    readonly path: string,
    options: SqliteStoreOptions = {},
  ) {
    this.#options = options;
    this.#shown = options.shownAs ?? path;
    const file = path !== ':memory:';
    const live = options.reading === 'live';
    try {
      if (file && !live) mkdirSync(dirname(path), { recursive: true });
      // SQLite opens a FIFO or a device as if it were a file, and fails later with a misleading I/O error.
      const kind = file ? kindOf(path) : undefined;
      if (kind) throw new Error(`${path} is ${kind}`);
      // Another process may hold the lock for a moment: statements wait up to 5 s for it.
      this.db = new Database(path, { timeout: 5_000, readonly: live || (options.readonly ?? false), fileMustExist: live });
      this.#identity = file && !options.reading ? identityOf(statSync(path, { bigint: true })) : undefined;
    } catch (error) {
      if (live) throw new NeedsCopy(error);
      throw openFailure(this.#shown, error);
    }
    try {
      // Before anything is written (the switch to WAL rewrites the header): another program's file stays as it is.
      this.#checkVersion();
      if (!live) {
        this.#switchToWal();
        this.db.pragma('synchronous = NORMAL');
      }
      // Damage past the first page opens without a word and fails at the first query that reads it.
      this.#checkIntegrity();
      this.#migrate(live);
      this.#checkRows();
      if (options.reading) {
        this.db.pragma('query_only = ON');
        this.#readOnly = true;
      } else {
        this.#probeWrite();
      }
    } catch (error) {
      this.db.close();
      if (error instanceof StateDbError) throw error;
      if (live) throw new NeedsCopy(error);
      throw openFailure(this.#shown, error);
    }
  }

  /**
   * `integrity_check` rather than `quick_check`: a damaged index page passes the quick one and fails the
   * first query that uses the index. Both take milliseconds at this size (36 ms for 7,000 rows on a busy machine).
   */
  #checkIntegrity(): void {
    const rows: unknown[] = this.db.prepare('PRAGMA integrity_check').all();
    const problems = rows.map((row) => integrityRow.parse(row).integrity_check).filter((line) => line !== 'ok');
    if (problems.length > 0) throw damaged(this.#shown, problems);
  }

  /**
   * The tables hold what the store reads, and every claim and change row reads back: a row damaged inside
   * (a flipped bit in its JSON) would otherwise fail every read of the schedule or of the claims, at run time.
   */
  #checkRows(): void {
    for (const sql of SHAPE) {
      try {
        this.db.prepare(sql);
      } catch (error) {
        throw foreign(this.#shown, error);
      }
    }
    for (const [table, schema] of [
      ['claims', claimRow],
      ['changes', changeRow],
    ] as const) {
      for (const row of this.db.prepare(`SELECT rowid AS row_number, * FROM ${table}`).iterate()) {
        try {
          schema.parse(row);
        } catch (error) {
          throw unreadableRow(this.#shown, table, rowNumber.parse(row).row_number, error);
        }
      }
    }
  }

  /** How the file at the path differs from the one open: undefined when it is the same one. */
  #fileNow(): { readonly how: 'deleted' | 'replaced' | 'unreachable'; readonly cause?: unknown } | undefined {
    if (!this.#identity) return undefined;
    try {
      const now = statSync(this.path, { bigint: true, throwIfNoEntry: false });
      if (!now) return { how: 'deleted' };
      if (now.dev !== this.#identity.dev || now.ino !== this.#identity.ino) return { how: 'replaced' };
      return undefined;
    } catch (error) {
      return { how: 'unreachable', cause: error };
    }
  }

  /**
   * Throws when the file at the path is no longer the one open (deleted, or replaced by another): writes
   * would go into a file no restart reads. The first time, what this store holds is saved beside the path
   * (this process has the only copy of it), and `onTrouble` is told.
   */
  #assertSameFile(): void {
    if (!this.#identity || !this.db.open) return;
    const changed = this.#fileNow();
    if (!changed) {
      if (this.#incident?.problem === 'lost') {
        this.#recovery = undefined;
        this.#over();
      }
      return;
    }
    if (changed.how !== 'unreachable' && !this.db.inTransaction) {
      if (this.#recovery === undefined || 'failed' in this.#recovery) this.#recovery = this.#saveCopy();
      this.#releaseLog();
    }
    const error = lostFile(this.#shown, changed.how, changed.how === 'unreachable' ? undefined : this.#recovery, changed.cause);
    this.#trouble(error);
    throw error;
  }

  /**
   * Saves what this store holds to `<path>.recovered-<UTC time>` beside the path, from the open connection
   * (`VACUUM INTO`: a consistent, compact copy that opens as a state database). Synchronous, so the line that
   * first reports the loss can already name the copy.
   */
  #saveCopy(): Recovery {
    const folder = dirname(landingPath(this.path));
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    const base = join(folder, `${basename(this.path)}.recovered-${stamp}`);
    let target = base;
    for (let n = 2; existsSync(target); n += 1) target = `${base}-${n}`;
    try {
      this.db.prepare('VACUUM INTO ?').run(target);
      // VACUUM INTO does not flush what it wrote: this copy may be the only one there is.
      const fd = openSync(target, constants.O_RDONLY);
      try {
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      return { saved: target };
    } catch (error) {
      rmSync(target, { force: true });
      const why = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ');
      return { failed: `${target}: ${why}`, folder };
    }
  }

  /**
   * Moves what the write-ahead log holds into the file this store has open, and empties the log. The log's
   * name (`<path>-wal`) now belongs to whatever file is at the path: left full, it would lay this file's
   * pages over that one at the next start (a restored backup would read as the old database, mixed).
   */
  #releaseLog(): void {
    if (this.db.inTransaction) return;
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // Best effort: the refusal of every write is what keeps changes from being confirmed.
    }
  }

  /** Tells `onTrouble` about a problem, once per incident (a new kind of problem, or a copy saved since, is told again). */
  #trouble(error: StateDbError): void {
    const told = this.#incident;
    this.#incident = error;
    if (told && told.problem === error.problem && told.recovered === error.recovered) return;
    this.#options.onTrouble?.(error);
  }

  /** Ends the incident, telling `onRecovered` in words that fit it. */
  #over(): void {
    const incident = this.#incident;
    if (!incident) return;
    this.#incident = undefined;
    const what = {
      open: `STATE_DB ${this.#shown} can be used again`,
      lost: `STATE_DB ${this.#shown} is the file the bot has open again`,
      full: `The disk holding STATE_DB ${this.#shown} has free space again`,
      disk: `STATE_DB ${this.#shown} can be written again`,
      // Not an incident (only the PostgreSQL store refuses a call so).
      busy: `STATE_DB ${this.#shown} can be used again`,
    }[incident.problem];
    this.#options.onRecovered?.(`${what}: schedule changes and announcements are stored again.`);
  }

  /**
   * A write: one transaction that is undone when the file at the path turned out to be deleted or replaced
   * (inside another transaction: part of it). A write the disk refuses becomes a `StateDbError`.
   */
  #write<T>(work: () => T): T {
    this.#assertNotReadOnly();
    this.#writes += 1;
    if (this.db.inTransaction) return work();
    this.#assertSameFile();
    let result: T;
    try {
      result = this.db
        .transaction(() => {
          const value = work();
          // Replaced or deleted while writing: what was written would go into a file no restart reads.
          if (this.#fileNow()) throw new LostDuringWrite('the file was lost during the write');
          return value;
        })
        .immediate();
    } catch (error) {
      if (error instanceof LostDuringWrite) {
        this.#assertSameFile();
        // Back at the path by now (moved away and back): the write was undone all the same.
        throw lostFile(this.#shown, 'replaced', undefined);
      }
      throw this.#refused(error);
    }
    this.#written();
    return result;
  }

  #assertNotReadOnly(): void {
    if (this.#readOnly) throw new Error(`the state database ${this.#shown} was opened for reading only`);
  }

  /** A write went through: a refusal told before is over. */
  #written(): void {
    if (this.#writeFailure) {
      this.#writeFailure = undefined;
      this.#over();
    }
  }

  /** A write's error as the one line to show: the disk's refusals are remembered (health) and told. */
  #refused(error: unknown): unknown {
    if (error instanceof StateDbError) return error;
    const failure = writeFailure(this.#shown, error);
    if (!failure) return error;
    this.#writeFailure = failure;
    this.#trouble(failure);
    return failure;
  }

  /**
   * SQLite answers SQLITE_BUSY at once, without waiting, when two processes switch a new file to WAL
   * together (seen with two instances starting at the same moment): try again for a few seconds.
   */
  #switchToWal(): void {
    const pause = new Int32Array(new SharedArrayBuffer(4));
    for (let attempt = 0; ; attempt += 1) {
      try {
        this.db.pragma('journal_mode = WAL');
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== 'SQLITE_BUSY' || attempt >= 100) throw error;
        Atomics.wait(pause, 0, 0, 50);
      }
    }
  }

  /**
   * Brings the schema up to date (its version was checked at open: another program's file never gets here).
   * `readOnly`: a schema that is not up to date cannot be read as it is (the caller reads a private copy).
   */
  #migrate(readOnly = false): void {
    const current = () => Number(this.db.pragma('user_version', { simple: true }));
    if (current() === MIGRATIONS.length) return;
    if (readOnly) throw new NeedsCopy(new Error(`schema ${current()} is not ${MIGRATIONS.length}`));
    const migrate = this.db.transaction(() => {
      // Another process may have migrated between the read above and this write lock.
      this.#checkVersion();
      const version = current();
      for (const step of MIGRATIONS.slice(version)) this.db.exec(step);
      this.db.pragma(`user_version = ${MIGRATIONS.length}`);
    });
    migrate.immediate();
  }

  /** Refuses a schema version course-bot never wrote, and another program's database (tables, no version). */
  #checkVersion(): void {
    const version = Number(this.db.pragma('user_version', { simple: true }));
    if (version < 0) throw unknownSchema(this.#shown, version);
    if (version > MIGRATIONS.length) throw newerSchema(this.#shown, version, MIGRATIONS.length);
    if (version === 0) {
      const tables = this.db.prepare(OTHER_TABLES).pluck().all() as string[];
      if (tables.length > 0) throw notOurs(this.#shown, tables);
    }
  }

  /** A prepared statement, compiled once: commands read the store on every interaction. */
  #prepare(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (!statement) this.#statements.set(sql, (statement = this.db.prepare(sql)));
    return statement;
  }

  getValue(key: string): string | undefined {
    const row: unknown = this.#prepare('SELECT value FROM kv WHERE key = ?').get(key);
    return row === undefined ? undefined : valueRow.parse(row).value;
  }

  setValue(key: string, value: string): void {
    this.#write(() =>
      this.#prepare(
        `INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      )
        .run(key, value, new Date().toISOString()),
    );
  }

  recordOnce(key: string, value: string): boolean {
    this.#assertNotReadOnly();
    // One statement, atomic on its own, and none of a change's checks that the file is still the one at the path
    // (two stat calls): a request id lost with a lost file only lets a repeat through on another instance.
    let inserted: boolean;
    try {
      inserted = this.#insertIfAbsent(key, value);
    } catch (error) {
      throw this.#refused(error);
    }
    this.#written();
    return inserted;
  }

  /** Sets `key` only when it is absent, in one statement; returns whether it did. */
  #insertIfAbsent(key: string, value: string): boolean {
    return (
      this.#prepare('INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING').run(key, value, new Date().toISOString())
        .changes === 1
    );
  }

  compareAndSetValue(key: string, expected: string | undefined, value: string): boolean {
    if (expected === undefined) return this.#write(() => this.#insertIfAbsent(key, value));
    // IMMEDIATE takes the write lock before reading: two processes cannot both see the old value.
    return this.transaction((): boolean => {
      if (this.getValue(key) !== expected) return false;
      this.setValue(key, value);
      return true;
    });
  }

  deleteValue(key: string): boolean {
    return this.#write(() => this.#prepare('DELETE FROM kv WHERE key = ?').run(key).changes > 0);
  }

  deleteValuesAtMost(prefix: string, limit: number): number {
    const range = prefixRange(prefix);
    return this.#write(
      () =>
        this.#prepare(
          `DELETE FROM kv WHERE ${range.where} AND value <> '' AND value NOT GLOB '*[^0-9]*' AND CAST(value AS INTEGER) <= ?`,
        ).run(...range.params, Math.floor(limit)).changes,
    );
  }

  listKeys(prefix = ''): string[] {
    const range = prefixRange(prefix);
    const rows: unknown[] = this.#prepare(`SELECT key FROM kv WHERE ${range.where} ORDER BY key`).all(...range.params);
    return rows.map((row) => keyRow.parse(row).key);
  }

  getClaim(key: string): ClaimRecord | undefined {
    const row: unknown = this.#prepare('SELECT * FROM claims WHERE key = ?').get(key);
    return row === undefined ? undefined : claimRow.parse(row);
  }

  listClaims(prefix = ''): ClaimRecord[] {
    const range = prefixRange(prefix);
    const rows: unknown[] = this.#prepare(`SELECT * FROM claims WHERE ${range.where} ORDER BY key`).all(...range.params);
    return rows.map((row) => claimRow.parse(row));
  }

  claim(key: string, options: ClaimOptions): ClaimOutcome {
    // A write takes the write lock before reading (IMMEDIATE): two processes cannot both see "no claim yet".
    return this.#write((): ClaimOutcome => {
      const current = this.getClaim(key);
      const { outcome, write } = decideClaim(current, key, options);
      if (write) this.#writeClaim(write);
      return outcome;
    });
  }

  renewClaim(key: string, owner: string, leaseUntil: number): boolean {
    return this.#write(
      () =>
        this.#prepare("UPDATE claims SET lease_until = ? WHERE key = ? AND owner = ? AND status = 'pending'")
          .run(leaseUntil, key, owner).changes > 0,
    );
  }

  completeClaim(key: string, owner: string, outcome: ClaimCompletion, now: number): boolean {
    return this.#write(
      () =>
        this.#prepare(
          `UPDATE claims SET status = ?, message_id = ?, error = ?, updated_at = ?
           WHERE key = ? AND owner = ? AND status = 'pending'`,
        )
        .run(
          outcome.status,
          outcome.status === 'sent' ? outcome.messageId : null,
          outcome.status === 'failed' ? outcome.error : null,
          now,
          key,
          owner,
        ).changes > 0,
    );
  }

  #writeClaim(record: ClaimRecord): void {
    this.#prepare(
        `INSERT OR REPLACE INTO claims (key, status, owner, lease_until, attempts, message_id, error, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        record.key,
        record.status,
        record.owner,
        record.leaseUntil,
        record.attempts,
        record.messageId ?? null,
        record.error ?? null,
        record.updatedAt,
      );
  }

  addChange(courseId: string, change: ScheduleChange, actor: Actor, at: number): ChangeRecord {
    const stored = JSON.stringify(scheduleChangeSchema.parse(change));
    const row: unknown = this.#write(() =>
      this.#prepare('INSERT INTO changes (course_id, at, actor, change) VALUES (?, ?, ?, ?) RETURNING *').get(
        courseId,
        at,
        JSON.stringify(actor),
        stored,
      ),
    );
    return changeRow.parse(row);
  }

  listChanges(courseId: string, afterId = 0): ChangeRecord[] {
    const rows: unknown[] = this.#prepare('SELECT * FROM changes WHERE course_id = ? AND id > ? ORDER BY id').all(courseId, afterId);
    return rows.map((row) => changeRow.parse(row));
  }

  undoChange(courseId: string, actor: Actor, at: number): ChangeRecord | undefined {
    const row: unknown = this.#write(() =>
      this.#prepare(
        `UPDATE changes SET undone_at = ?, undone_by = ?
         WHERE id = (SELECT max(id) FROM changes WHERE course_id = ? AND undone_at IS NULL)
         RETURNING *`,
      )
        .get(at, JSON.stringify(actor), courseId),
    );
    return row === undefined ? undefined : changeRow.parse(row);
  }

  changesVersion(courseId: string): ChangesVersion {
    // Asked on every chat request (is the course still as cached?). SQLite's data_version moves when another
    // connection (another instance) commits, and #writes when this one does: while neither moved, the change log
    // is as last counted, and the count (a scan of the course's changes) is not made again.
    const dataVersion = dataVersionRow.parse(this.#prepare('PRAGMA data_version').get()).data_version;
    const memo = this.#versions.get(courseId);
    if (memo && memo.dataVersion === dataVersion && memo.writes === this.#writes && !this.db.inTransaction) return memo.version;
    const version = this.#countChanges(courseId);
    if (!this.db.inTransaction) this.#versions.set(courseId, { dataVersion, writes: this.#writes, version });
    return version;
  }

  #countChanges(courseId: string): ChangesVersion {
    const row = versionRow.parse(
      this.#prepare('SELECT count(*) AS count, coalesce(max(id), 0) AS last, count(undone_at) AS undone FROM changes WHERE course_id = ?')
        .get(courseId),
    );
    return { count: row.count, lastId: row.last, undone: row.undone };
  }

  transaction<T>(work: () => T): T {
    // IMMEDIATE takes the write lock before the first read; nested calls become savepoints.
    return this.#write(() => this.db.transaction(work).immediate());
  }

  /**
   * Throws a `StateDbError` when the store cannot keep a write now: its file was deleted or replaced, the disk
   * holding it has less than {@link FREE_SPACE_FLOOR} free, or a write was refused and a new one (committed,
   * then taken back) is refused too. Otherwise writes a row inside a transaction that is rolled back: only a
   * real write proves the file writable. Another process holding the write lock proves it too, and is not
   * waited for (health checks are quick).
   */
  assertWritable(): void {
    this.#assertSameFile();
    const low = this.#lowSpace();
    if (low) {
      this.#trouble(low);
      throw low;
    }
    if (this.#writeFailure) {
      // Committed: a probe that is rolled back never reaches the disk, so it cannot tell that space is back.
      this.#write(() => {
        this.#prepare(PROBE_WRITE).run('x'.repeat(PROBE_BYTES));
        this.#prepare(PROBE_DELETE).run();
      });
      return;
    }
    try {
      this.#probeWrite();
    } catch (error) {
      throw this.#refused(error);
    }
    if (this.#incident?.problem === 'full') this.#over();
  }

  /** The line for a disk below the free-space floor, or undefined (enough space, or unknown). */
  #lowSpace(): StateDbError | undefined {
    if (!this.#identity) return undefined;
    const folder = dirname(landingPath(this.path));
    const free = (this.#options.freeSpace ?? freeBytes)(folder);
    return free !== undefined && free < FREE_SPACE_FLOOR ? lowSpace(this.#shown, free) : undefined;
  }

  #probeWrite(): void {
    this.db.pragma('busy_timeout = 100');
    try {
      this.#prepare('BEGIN IMMEDIATE').run();
    } catch (error) {
      if ((error as { code?: string }).code === 'SQLITE_BUSY') return;
      throw error;
    } finally {
      this.db.pragma('busy_timeout = 5000');
    }
    try {
      this.#prepare(PROBE_WRITE).run('');
    } finally {
      this.#prepare('ROLLBACK').run();
    }
  }

  close(): void {
    if (!this.db.open) return;
    this.db.close();
    this.#options.onClose?.();
  }
}

const PROBE_WRITE = "INSERT OR REPLACE INTO kv (key, value, updated_at) VALUES ('course-bot:write-probe', ?, '')";
const PROBE_DELETE = "DELETE FROM kv WHERE key = 'course-bot:write-probe'";
/** About a page: what a schedule change or a claim writes. */
const PROBE_BYTES = 4096;

/** The bytes free for this process on the volume holding `folder` (root may use the reserved ones), or undefined. */
function freeBytes(folder: string): number | undefined {
  try {
    const stats = statfsSync(folder);
    return (process.getuid?.() === 0 ? stats.bfree : stats.bavail) * stats.bsize;
  } catch {
    return undefined;
  }
}

function identityOf(stats: BigIntStats): FileIdentity {
  return { dev: stats.dev, ino: stats.ino };
}

/** Whether a regular file is at `path` (through links). */
function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * Opens the state database at `path` for a command that only reads it (`ask`, `export`, `calendar`,
 * `announce --dry-run`), as a user who may read it but perhaps not write it, without creating or changing
 * anything beside it. When a bot has the file open (its -wal and -shm files are there), the file is read in
 * place, read-only, under SQLite's locks, so the bot's latest writes are seen. Otherwise (no -wal: everything is
 * in the file; or the -shm cannot be used, or the schema is older) the database and its -wal and -journal files
 * are copied to a private folder and read there. Every write to the store throws; `close` removes the copy.
 * Throws a `StateDbError` naming `path` when it cannot be read.
 */
export function openForReading(path: string): SqliteStore {
  const kind = kindOf(path);
  if (kind) throw openFailure(path, new Error(`${path} is ${kind}`));
  let real: string;
  try {
    real = realpathSync(path);
  } catch (error) {
    throw openFailure(path, error);
  }
  if (statSync(real).isDirectory()) throw openFailure(path, new Error(`${path} is a directory`));
  if (isFile(`${real}-wal`) && isFile(`${real}-shm`)) {
    try {
      return new SqliteStore(real, { shownAs: path, reading: 'live' });
    } catch (error) {
      if (!(error instanceof NeedsCopy)) throw error;
    }
  }
  return readCopy(path, real);
}

/** The database at `real` (and its -wal and -journal files), copied to a private folder and opened there. */
function readCopy(path: string, real: string): SqliteStore {
  const folder = mkdtempSync(join(tmpdir(), 'course-bot-read-'));
  const remove = () => rmSync(folder, { recursive: true, force: true });
  try {
    const copy = join(folder, 'state.db');
    for (const suffix of ['', '-wal', '-journal']) {
      if (suffix && !isFile(`${real}${suffix}`)) continue;
      try {
        // Read access first: the copy's own failures (a full temporary folder) are told apart from it.
        closeSync(openSync(`${real}${suffix}`, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0)));
      } catch (error) {
        throw unreadable(path, error);
      }
      copyFileSync(`${real}${suffix}`, `${copy}${suffix}`);
    }
    return new SqliteStore(copy, { shownAs: path, reading: 'copy', onClose: remove });
  } catch (error) {
    remove();
    throw error instanceof StateDbError ? error : openFailure(path, error);
  }
}
