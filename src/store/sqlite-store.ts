import { type BigIntStats, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { ScheduleChange } from '../core/course/changes.js';
import { z } from 'zod';
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
import { damaged, foreign, kindOf, lostFile, newerSchema, openFailure, unknownSchema, unreadableRow } from './diagnose.js';
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

const valueRow = z.object({ value: z.string() });
const claimRow = z
  .object({
    key: z.string(),
    status: z.enum(['pending', 'sent', 'failed']),
    owner: z.string(),
    lease_until: z.number().int(),
    attempts: z.number().int(),
    message_id: z.string().nullable(),
    error: z.string().nullable(),
    updated_at: z.number().int(),
  })
  .transform(
    (row): ClaimRecord => ({
      key: row.key,
      status: row.status,
      owner: row.owner,
      leaseUntil: row.lease_until,
      attempts: row.attempts,
      updatedAt: row.updated_at,
      ...(row.message_id !== null && { messageId: row.message_id }),
      ...(row.error !== null && { error: row.error }),
    }),
  );
const keyRow = z.object({ key: z.string() });
const actorSchema = z.object({ platform: z.string(), id: z.string(), name: z.string().optional() });
/** A JSON column read with `schema`: damaged JSON and a wrong shape are both issues, not thrown errors. */
const json = <T extends z.ZodType>(schema: T) =>
  z.string().transform((text, context): z.infer<T> => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      context.addIssue({ code: 'custom', message: 'not valid JSON' });
      return z.NEVER;
    }
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) context.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    return z.NEVER;
  });
const changeRow = z
  .object({
    id: z.number().int(),
    course_id: z.string(),
    at: z.number().int(),
    actor: json(actorSchema),
    change: json(scheduleChangeSchema),
    undone_at: z.number().int().nullable(),
    undone_by: json(actorSchema).nullable(),
  })
  .transform(
    (row): ChangeRecord => ({
      id: row.id,
      courseId: row.course_id,
      at: row.at,
      actor: actorOf(row.actor),
      change: row.change,
      ...(row.undone_at !== null && { undoneAt: row.undone_at }),
      ...(row.undone_by !== null && { undoneBy: actorOf(row.undone_by) }),
    }),
  );
const versionRow = z.object({ count: z.number().int(), last: z.number().int(), undone: z.number().int() });

function actorOf(actor: z.infer<typeof actorSchema>): Actor {
  return { platform: actor.platform, id: actor.id, ...(actor.name !== undefined && { name: actor.name }) };
}

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
   * Told when the file at the path stops being the one this store has open (deleted, replaced): once each
   * time that happens, at the write or health check that finds it. Every write then throws the same error.
   */
  readonly onLost?: (error: StateDbError) => void;
}

/** Which file a path names: its device and inode. */
interface FileIdentity {
  readonly dev: bigint;
  readonly ino: bigint;
}

/**
 * The embedded default store: one SQLite file (WAL), shared safely by several processes. Opening checks the
 * file (integrity, schema version, a write) and throws a `StateDbError` with one line that says what to do.
 * Every write first checks that the file at the path is still the one open, and throws a `StateDbError`
 * when it was deleted or replaced, so that nothing is confirmed that a restart would not find.
 */
export class SqliteStore implements StateStore {
  readonly db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();
  readonly #identity: FileIdentity | undefined;
  readonly #onLost: ((error: StateDbError) => void) | undefined;
  #lost = false;

  /** Opens (creating the file and its directory) or `:memory:`; a file that cannot be used throws `StateDbError`. */
  constructor(
    readonly path: string,
    options: SqliteStoreOptions = {},
  ) {
    this.#onLost = options.onLost;
    const file = path !== ':memory:';
    try {
      if (file) mkdirSync(dirname(path), { recursive: true });
      // SQLite opens a FIFO or a device as if it were a file, and fails later with a misleading I/O error.
      const kind = file ? kindOf(path) : undefined;
      if (kind) throw new Error(`${path} is ${kind}`);
      // Another process may hold the lock for a moment: statements wait up to 5 s for it.
      this.db = new Database(path, { timeout: 5_000, readonly: options.readonly ?? false });
      this.#identity = file ? identityOf(statSync(path, { bigint: true })) : undefined;
    } catch (error) {
      throw openFailure(path, error);
    }
    try {
      this.#switchToWal();
      this.db.pragma('synchronous = NORMAL');
      // Damage past the first page opens without a word and fails at the first query that reads it.
      this.#checkIntegrity();
      this.#migrate();
      this.#checkRows();
      this.#probeWrite();
    } catch (error) {
      this.db.close();
      throw error instanceof StateDbError ? error : openFailure(path, error);
    }
  }

  /**
   * `integrity_check` rather than `quick_check`: a damaged index page passes the quick one and fails the
   * first query that uses the index. Both take milliseconds at this size (36 ms for 7,000 rows on a busy machine).
   */
  #checkIntegrity(): void {
    const rows: unknown[] = this.db.prepare('PRAGMA integrity_check').all();
    const problems = rows.map((row) => integrityRow.parse(row).integrity_check).filter((line) => line !== 'ok');
    if (problems.length > 0) throw damaged(this.path, problems);
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
        throw foreign(this.path, error);
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
          throw unreadableRow(this.path, table, rowNumber.parse(row).row_number, error);
        }
      }
    }
  }

  /**
   * Throws when the file at the path is no longer the one open (deleted, or replaced by another): writes
   * would go into a file no restart reads. Tells `onLost` when it first finds so.
   */
  #assertSameFile(): void {
    if (!this.#identity || !this.db.open) return;
    let how: 'deleted' | 'replaced' | 'unreachable' | undefined;
    let cause: unknown;
    try {
      const now = statSync(this.path, { bigint: true, throwIfNoEntry: false });
      if (!now) how = 'deleted';
      else if (now.dev !== this.#identity.dev || now.ino !== this.#identity.ino) how = 'replaced';
    } catch (error) {
      how = 'unreachable';
      cause = error;
    }
    if (how === undefined) {
      this.#lost = false;
      return;
    }
    if (how !== 'unreachable') this.#releaseLog();
    const error = lostFile(this.path, how, cause);
    if (!this.#lost) {
      this.#lost = true;
      this.#onLost?.(error);
    }
    throw error;
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

  /** A write, checked against a deleted or replaced file before and after (inside a transaction: by it). */
  #write<T>(work: () => T): T {
    if (this.db.inTransaction) return work();
    this.#assertSameFile();
    const result = work();
    // Replaced while writing: what was written went into the old file; it must not be confirmed.
    this.#assertSameFile();
    return result;
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

  #migrate(): void {
    const current = () => Number(this.db.pragma('user_version', { simple: true }));
    const check = (version: number) => {
      if (version < 0) throw unknownSchema(this.path, version);
      if (version > MIGRATIONS.length) throw newerSchema(this.path, version, MIGRATIONS.length);
    };
    check(current());
    if (current() === MIGRATIONS.length) return;
    const migrate = this.db.transaction(() => {
      // Another process may have migrated between the read above and this write lock.
      const version = current();
      check(version);
      for (const step of MIGRATIONS.slice(version)) this.db.exec(step);
      this.db.pragma(`user_version = ${MIGRATIONS.length}`);
    });
    migrate.immediate();
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

  compareAndSetValue(key: string, expected: string | undefined, value: string): boolean {
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

  listKeys(prefix = ''): string[] {
    const rows: unknown[] = this.#prepare("SELECT key FROM kv WHERE substr(key, 1, length(?)) = ? ORDER BY key")
      .all(prefix, prefix);
    return rows.map((row) => keyRow.parse(row).key);
  }

  getClaim(key: string): ClaimRecord | undefined {
    const row: unknown = this.#prepare('SELECT * FROM claims WHERE key = ?').get(key);
    return row === undefined ? undefined : claimRow.parse(row);
  }

  listClaims(prefix = ''): ClaimRecord[] {
    const rows: unknown[] = this.#prepare('SELECT * FROM claims WHERE substr(key, 1, length(?)) = ? ORDER BY key')
      .all(prefix, prefix);
    return rows.map((row) => claimRow.parse(row));
  }

  claim(key: string, options: ClaimOptions): ClaimOutcome {
    // IMMEDIATE takes the write lock before reading: two processes cannot both see "no claim yet".
    const run = this.db.transaction((): ClaimOutcome => {
      const current = this.getClaim(key);
      const { outcome, write } = decideClaim(current, key, options);
      if (write) this.#writeClaim(write);
      return outcome;
    });
    return this.#write(() => run.immediate());
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
   * Checks that the file at the path is still the one open, then writes a row inside a transaction that is
   * rolled back: only a real write proves the file writable. Another process holding the write lock proves it
   * too, and is not waited for (health checks are quick).
   */
  assertWritable(): void {
    this.#assertSameFile();
    this.#probeWrite();
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
      this.#prepare("INSERT OR REPLACE INTO kv (key, value, updated_at) VALUES ('course-bot:write-probe', '', '')").run();
    } finally {
      this.#prepare('ROLLBACK').run();
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function identityOf(stats: BigIntStats): FileIdentity {
  return { dev: stats.dev, ino: stats.ino };
}
