import type { ScheduleChange } from '../core/course/changes.js';
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
import { shownUrl } from './database-url.js';
import { BridgeError, type Posted, SyncBridge, pgBounds } from './pg-bridge.js';
import { changeRow, claimRow, keyRow, valueRow, versionRow } from './rows.js';
import { StateDbError } from './state-db-error.js';

/**
 * Schema steps, applied in order; the one row of `course_bot_schema` records how many have run.
 * Append only: a released step is never edited. The same tables and columns as the SQLite store's.
 */
export const PG_MIGRATIONS: readonly string[] = [
  `CREATE TABLE kv (
     key TEXT COLLATE "C" PRIMARY KEY,
     value TEXT NOT NULL,
     updated_at TEXT NOT NULL
   )`,
  `CREATE TABLE claims (
     key TEXT COLLATE "C" PRIMARY KEY,
     status TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
     owner TEXT NOT NULL,
     lease_until BIGINT NOT NULL,
     attempts INTEGER NOT NULL,
     message_id TEXT,
     error TEXT,
     updated_at BIGINT NOT NULL
   )`,
  `CREATE TABLE changes (
     id BIGSERIAL PRIMARY KEY,
     course_id TEXT NOT NULL,
     at BIGINT NOT NULL,
     actor TEXT NOT NULL,
     change TEXT NOT NULL,
     undone_at BIGINT,
     undone_by TEXT
   );
   CREATE INDEX changes_by_course ON changes (course_id, id)`,
];

/**
 * The store's write lock: a transaction-level advisory lock every write takes first (released at COMMIT or
 * ROLLBACK), so that a transaction holds it from its first read, as SQLite's BEGIN IMMEDIATE does.
 */
export const WRITE_LOCK = 'SELECT pg_advisory_xact_lock(7311230014001)';
/** Taken while the schema is checked and brought up to date: two instances starting together migrate once. */
const MIGRATE_LOCK = 'SELECT pg_advisory_xact_lock(7311230014000)';

export interface PostgresStoreOptions {
  /** How the database is named in every line: the URL without its password (see {@link shownUrl}). */
  readonly shown?: string;
  /**
   * How long the server may take to connect, to grant a lock, and to run one statement (default 5 s each: see
   * `pgBounds`); a call waits at most their sum and a margin (`requestBudgetMs`).
   */
  readonly timeoutMs?: number;
  /**
   * While the server cannot be reached, calls fail at once and a probe (a connection tried in the worker, never
   * waited for) is sent after `firstMs`, then after twice as long after each probe that fails, up to `maxMs`,
   * each wait ± `jitter` (defaults: 1 s, 60 s, 0.2): see {@link retryDelayMs}.
   */
  readonly retry?: RetryOptions;
  /** The time the backoff reads, in epoch milliseconds (default `Date.now`). */
  readonly now?: () => number;
  /** A number in [0, 1) for the jitter (default `Math.random`). */
  readonly random?: () => number;
  /** Told, with the time it went, of every probe sent while the server cannot be reached (a connection attempt). */
  readonly onProbe?: (at: number) => void;
  /** How long the worker thread may take to start (default 30 s: a busy machine, TypeScript in development). */
  readonly startMs?: number;
  /** Told once when the server cannot be reached (an incident), with the line to log and pass on. */
  readonly onTrouble?: (error: StateDbError) => void;
  /** Told, with a line to log and pass on, when the server answers again. */
  readonly onRecovered?: (message: string) => void;
}

/** The reconnect backoff while the server cannot be reached (see `PostgresStoreOptions.retry`). */
export interface RetryOptions {
  readonly firstMs?: number;
  readonly maxMs?: number;
  readonly jitter?: number;
}

/**
 * How long to wait before the next connection attempt after `failures` failed ones in a row (1 or more):
 * `firstMs` doubled for each failure after the first, capped at `maxMs`, then spread by ± `jitter` of itself
 * (`random` in [0, 1); 0.5 spreads nothing) so instances that lost the server together do not retry together.
 */
export function retryDelayMs(failures: number, retry: RetryOptions = {}, random: () => number = Math.random): number {
  const { firstMs = 1_000, maxMs = 60_000, jitter = 0.2 } = retry;
  const base = Math.min(firstMs * 2 ** Math.max(0, failures - 1), maxMs);
  return Math.round(base * (1 + jitter * (2 * random() - 1)));
}

/** While the server cannot be reached: what calls fail with, the failed tries in a row, the next probe. */
interface Outage {
  readonly error: StateDbError;
  readonly failures: number;
  /** When the next probe may go (epoch ms). */
  readonly nextAt: number;
  /** The probe in flight: what was posted, when, and how long its answer may take. */
  readonly probe?: { readonly posted: Posted; readonly sentAt: number; readonly waitMs: number };
  /** A probe got through: the next call goes to the server (and ends the outage when it is answered). */
  readonly through?: true;
}

/** SQLSTATE classes that mean the server cannot serve us now: connection, resources, shutdown, login, database. */
const UNREACHABLE_CLASSES = new Set(['08', '53', '57', '28', '3D']);
/**
 * SQLSTATEs of a statement the server gave up on because it waited or ran too long (`lock_not_available`: the
 * lock timeout, e.g. another instance held the write lock; `query_canceled`: the statement timeout). The server
 * answered: that one call is refused, nothing is down.
 */
const BUSY_CODES = new Set(['55P03', '57014']);

/**
 * The state store on a PostgreSQL server (`DATABASE_URL`), for instances on several hosts. `StateStore` is
 * synchronous; this store runs its queries in a worker thread (which holds the `pg` pool) and waits for each
 * answer with `Atomics.wait` (see `SyncBridge`): about a hundred microseconds a call on one machine. Every wait is
 * bounded (connect, lock and statement timeouts, summed); a lock or statement that runs out of time refuses that
 * one call ("The database was busy …"). Once the server could not be reached, calls fail at once with a
 * `StateDbError` ("database unreachable …") while probes in the worker try to connect with an exponential
 * backoff (1 s, 2 s, 4 s … 60 s): a down server costs no call a wait, and the first call after a probe got
 * through goes to the server again.
 *
 * Isolation: every write runs in a transaction that first takes one advisory lock (the store's write lock), and
 * `transaction(work)` takes it at BEGIN and pins one connection until COMMIT (or ROLLBACK on a throw); nested
 * calls are savepoints. Claims, compare-and-set, undo and the change log are so serialised across hosts, as the
 * SQLite store serialises them across processes.
 */
export class PostgresStore implements StateStore {
  readonly #bridge: SyncBridge;
  readonly #options: PostgresStoreOptions;
  readonly #shown: string;
  #closed = false;
  /** Open transactions: 0 outside, 1 in one, more in nested ones (savepoints). */
  #depth = 0;
  /** While the server cannot be reached (calls fail at once). */
  #outage: Outage | undefined;
  readonly #now: () => number;
  /** The problem last told (`onTrouble`), until the server answers again. */
  #incident: StateDbError | undefined;

  /** Connects, checks the schema version and brings it up to date; throws a `StateDbError` with one line. */
  constructor(url: string, options: PostgresStoreOptions = {}) {
    this.#options = options;
    this.#shown = options.shown ?? shownUrl(url);
    this.#now = options.now ?? Date.now;
    this.#bridge = new SyncBridge(url, pgBounds(options.timeoutMs ?? 5_000), options.startMs ?? 30_000);
    try {
      this.#migrate();
    } catch (error) {
      this.#bridge.stop();
      this.#closed = true;
      if (error instanceof StateDbError) throw error;
      throw this.#unopened(error);
    }
  }

  /** The schema version the database holds (0: none yet). */
  schemaVersion(): number {
    const rows = this.#rows("SELECT version FROM course_bot_schema");
    return rows.length === 0 ? 0 : Number((rows[0] as { version: unknown }).version);
  }

  #migrate(): void {
    this.#bridge.call({ op: 'begin', first: [MIGRATE_LOCK] });
    try {
      this.#bridge.call({ op: 'query', sql: 'CREATE TABLE IF NOT EXISTS course_bot_schema (version INTEGER NOT NULL)', params: [] });
      const version = this.schemaVersion();
      if (version > PG_MIGRATIONS.length) {
        throw new StateDbError(
          this.#shown,
          `DATABASE_URL ${this.#shown} was written by a newer course-bot (schema ${version} > ${PG_MIGRATIONS.length}): run that version or a newer one, or point DATABASE_URL at another database.`,
        );
      }
      if (version < PG_MIGRATIONS.length) {
        for (const step of PG_MIGRATIONS.slice(version)) this.#bridge.call({ op: 'query', sql: step, params: [] });
        this.#bridge.call({ op: 'query', sql: 'DELETE FROM course_bot_schema', params: [] });
        this.#bridge.call({ op: 'query', sql: 'INSERT INTO course_bot_schema (version) VALUES ($1)', params: [PG_MIGRATIONS.length] });
      }
      this.#bridge.call({ op: 'end', commit: true });
    } catch (error) {
      try {
        this.#bridge.call({ op: 'end', commit: false });
      } catch {
        // The connection is gone: the server rolled back.
      }
      throw error;
    }
  }

  /**
   * The error to throw for a failed call: the server busy (this call refused), unreachable (fail fast from now
   * on), or the error itself.
   */
  #failed(error: unknown): unknown {
    if (error instanceof BridgeError && error.code !== undefined && BUSY_CODES.has(error.code)) {
      // It answered: whatever the last call found, the server is there.
      this.#answered();
      return new StateDbError(this.#shown, `The database was busy (${reason(error)}; DATABASE_URL ${this.#shown}): try again in a moment.`, {
        cause: error,
        problem: 'busy',
      });
    }
    if (!(error instanceof BridgeError) || !unreachable(error)) return error;
    // A transaction's connection may be gone with it: start afresh (the server rolls back what was open).
    this.#bridge.stop();
    this.#depth = 0;
    const problem = this.#problem(error);
    const failures = (this.#outage?.failures ?? 0) + 1;
    this.#outage = { error: problem, failures, nextAt: this.#now() + this.#delay(failures) };
    if (!this.#incident) {
      this.#incident = problem;
      this.#options.onTrouble?.(problem);
    }
    return problem;
  }

  /**
   * Why the store could not be opened, on one line for whoever starts the bot (or runs a command): nothing
   * waits for the server then, the process ends.
   */
  #unopened(error: unknown): StateDbError {
    const line =
      error instanceof BridgeError && unreachable(error)
        ? `could not connect (${reason(error)}). Start PostgreSQL or fix DATABASE_URL, then try again.`
        : `database cannot be used (${reason(error)}). Fix the database or DATABASE_URL, then try again.`;
    return new StateDbError(this.#shown, `DATABASE_URL ${this.#shown}: ${line}`, { cause: error, problem: 'open' });
  }

  #problem(error: unknown): StateDbError {
    return new StateDbError(
      this.#shown,
      `DATABASE_URL ${this.#shown}: database unreachable (${reason(error)}): check that the PostgreSQL server runs and that DATABASE_URL names it; ` +
        'schedule changes and announcements wait until it answers.',
      { cause: error, problem: 'open' },
    );
  }

  #delay(failures: number): number {
    return retryDelayMs(failures, this.#options.retry, this.#options.random);
  }

  /**
   * While the server cannot be reached: whether a probe has got through (the call may go to the server). Else
   * reads a probe's failure (the next one waits twice as long) and sends the next probe when it is due; never
   * waits for one.
   */
  #probed(outage: Outage): boolean {
    if (outage.through) return true;
    const now = this.#now();
    const probe = outage.probe;
    let next = outage;
    if (probe) {
      const answer = this.#bridge.poll(probe.posted);
      if (answer === undefined && now < probe.sentAt + probe.waitMs) return false;
      if (answer?.ok) {
        this.#outage = { error: outage.error, failures: outage.failures, nextAt: outage.nextAt, through: true };
        return true;
      }
      // Refused, or no answer in time (the worker is stuck: a new one for the next probe).
      if (answer === undefined) this.#bridge.stop();
      const failures = outage.failures + 1;
      next = { error: outage.error, failures, nextAt: probe.sentAt + this.#delay(failures) };
    }
    if (now >= next.nextAt) {
      const waitMs = this.#bridge.waitMs;
      next = { ...next, probe: { posted: this.#bridge.post({ op: 'probe' }), sentAt: now, waitMs } };
      this.#options.onProbe?.(now);
    }
    this.#outage = next;
    return false;
  }

  /**
   * Where the server stands, for health reports and tests (reading a probe's answer if it has come, sending the
   * next probe if it is due): undefined when it answers; else the failed tries in a row, when the next probe may
   * go, whether one is in flight, and whether one got through (the next call goes to the server).
   */
  outage(): { readonly failures: number; readonly nextAt: number; readonly probing: boolean; readonly through: boolean } | undefined {
    if (!this.#outage || this.#closed) return undefined;
    const through = this.#probed(this.#outage);
    const outage = this.#outage;
    return { failures: outage.failures, nextAt: outage.nextAt, probing: outage.probe !== undefined, through };
  }

  /** One request through the bridge: failing at once while the server cannot be reached, and the incident's end. */
  #call(ask: Parameters<SyncBridge['call']>[0]): { rows: unknown[]; rowCount: number } {
    if (this.#closed) throw new Error('the state store is closed');
    const outage = this.#outage;
    if (outage && !this.#probed(outage)) throw this.#outage!.error;
    let value: unknown;
    try {
      value = this.#bridge.call(ask);
    } catch (error) {
      throw this.#failed(error);
    }
    this.#answered();
    return (value ?? { rows: [], rowCount: 0 }) as { rows: unknown[]; rowCount: number };
  }

  /** The server answered: no longer down, and an incident is over (told once). */
  #answered(): void {
    this.#outage = undefined;
    if (this.#incident) {
      this.#incident = undefined;
      this.#options.onRecovered?.(`DATABASE_URL ${this.#shown} answers again: schedule changes and announcements are stored again.`);
    }
  }

  #rows(sql: string, params: readonly unknown[] = []): unknown[] {
    return this.#call({ op: 'query', sql, params }).rows;
  }

  /** One write statement under the write lock (inside a transaction: part of it). */
  #write(sql: string, params: readonly unknown[]): { rows: unknown[]; rowCount: number } {
    return this.#call({ op: 'write', sql, params, first: this.#depth > 0 ? [] : [WRITE_LOCK] });
  }

  getValue(key: string): string | undefined {
    const [row] = this.#rows('SELECT value FROM kv WHERE key = $1', [key]);
    return row === undefined ? undefined : valueRow.parse(row).value;
  }

  setValue(key: string, value: string): void {
    this.#write(
      `INSERT INTO kv (key, value, updated_at) VALUES ($1, $2, $3)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      [key, value, new Date().toISOString()],
    );
  }

  recordOnce(key: string, value: string): boolean {
    return this.compareAndSetValue(key, undefined, value);
  }

  compareAndSetValue(key: string, expected: string | undefined, value: string): boolean {
    return this.transaction((): boolean => {
      if (this.getValue(key) !== expected) return false;
      this.setValue(key, value);
      return true;
    });
  }

  deleteValue(key: string): boolean {
    return this.#write('DELETE FROM kv WHERE key = $1', [key]).rowCount > 0;
  }

  deleteValuesAtMost(prefix: string, limit: number): number {
    return this.#write("DELETE FROM kv WHERE starts_with(key, $1) AND value ~ '^[0-9]+$' AND value::numeric <= $2", [prefix, Math.floor(limit)]).rowCount;
  }

  listKeys(prefix = ''): string[] {
    return this.#rows('SELECT key FROM kv WHERE starts_with(key, $1) ORDER BY key', [prefix]).map((row) => keyRow.parse(row).key);
  }

  getClaim(key: string): ClaimRecord | undefined {
    const [row] = this.#rows('SELECT * FROM claims WHERE key = $1', [key]);
    return row === undefined ? undefined : claimRow.parse(row);
  }

  listClaims(prefix = ''): ClaimRecord[] {
    return this.#rows('SELECT * FROM claims WHERE starts_with(key, $1) ORDER BY key', [prefix]).map((row) => claimRow.parse(row));
  }

  claim(key: string, options: ClaimOptions): ClaimOutcome {
    // Under the write lock, and the row locked too: two hosts cannot both see "no claim yet".
    return this.transaction((): ClaimOutcome => {
      const [row] = this.#rows('SELECT * FROM claims WHERE key = $1 FOR UPDATE', [key]);
      const { outcome, write } = decideClaim(row === undefined ? undefined : claimRow.parse(row), key, options);
      if (write) {
        this.#write(
          `INSERT INTO claims (key, status, owner, lease_until, attempts, message_id, error, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (key) DO UPDATE SET status = excluded.status, owner = excluded.owner, lease_until = excluded.lease_until,
             attempts = excluded.attempts, message_id = excluded.message_id, error = excluded.error, updated_at = excluded.updated_at`,
          [write.key, write.status, write.owner, write.leaseUntil, write.attempts, write.messageId ?? null, write.error ?? null, write.updatedAt],
        );
      }
      return outcome;
    });
  }

  renewClaim(key: string, owner: string, leaseUntil: number): boolean {
    return this.#write("UPDATE claims SET lease_until = $1 WHERE key = $2 AND owner = $3 AND status = 'pending'", [leaseUntil, key, owner]).rowCount > 0;
  }

  completeClaim(key: string, owner: string, outcome: ClaimCompletion, now: number): boolean {
    return (
      this.#write(
        `UPDATE claims SET status = $1, message_id = $2, error = $3, updated_at = $4
         WHERE key = $5 AND owner = $6 AND status = 'pending'`,
        [
          outcome.status,
          outcome.status === 'sent' ? outcome.messageId : null,
          outcome.status === 'failed' ? outcome.error : null,
          now,
          key,
          owner,
        ],
      ).rowCount > 0
    );
  }

  addChange(courseId: string, change: ScheduleChange, actor: Actor, at: number): ChangeRecord {
    const stored = JSON.stringify(scheduleChangeSchema.parse(change));
    const [row] = this.#write('INSERT INTO changes (course_id, at, actor, change) VALUES ($1, $2, $3, $4) RETURNING *', [
      courseId,
      at,
      JSON.stringify(actor),
      stored,
    ]).rows;
    return changeRow.parse(row);
  }

  listChanges(courseId: string, afterId = 0): ChangeRecord[] {
    return this.#rows('SELECT * FROM changes WHERE course_id = $1 AND id > $2 ORDER BY id', [courseId, afterId]).map((row) => changeRow.parse(row));
  }

  undoChange(courseId: string, actor: Actor, at: number): ChangeRecord | undefined {
    const [row] = this.#write(
      `UPDATE changes SET undone_at = $1, undone_by = $2
       WHERE id = (SELECT max(id) FROM changes WHERE course_id = $3 AND undone_at IS NULL)
       RETURNING *`,
      [at, JSON.stringify(actor), courseId],
    ).rows;
    return row === undefined ? undefined : changeRow.parse(row);
  }

  changesVersion(courseId: string): ChangesVersion {
    const [row] = this.#rows(
      'SELECT count(*) AS count, coalesce(max(id), 0) AS last, count(undone_at) AS undone FROM changes WHERE course_id = $1',
      [courseId],
    );
    const version = versionRow.parse(row);
    return { count: version.count, lastId: version.last, undone: version.undone };
  }

  transaction<T>(work: () => T): T {
    if (this.#depth > 0) return this.#savepoint(work);
    this.#call({ op: 'begin', first: [WRITE_LOCK] });
    this.#depth = 1;
    let result: T;
    try {
      result = work();
    } catch (error) {
      if (this.#depth > 0) {
        this.#depth = 0;
        try {
          this.#call({ op: 'end', commit: false });
        } catch {
          // The server is gone: it rolled back. The work's error is the one to tell.
        }
      }
      throw error;
    }
    // The connection was lost (and so the transaction rolled back) while `work` caught the error.
    if (this.#depth === 0) throw this.#outage?.error ?? new Error('the transaction was rolled back');
    this.#depth = 0;
    this.#call({ op: 'end', commit: true });
    return result;
  }

  #savepoint<T>(work: () => T): T {
    const name = `nested_${this.#depth}`;
    this.#rows(`SAVEPOINT ${name}`);
    this.#depth += 1;
    try {
      const result = work();
      this.#depth -= 1;
      this.#rows(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (error) {
      if (this.#depth > 0) {
        this.#depth -= 1;
        this.#rows(`ROLLBACK TO SAVEPOINT ${name}`);
        this.#rows(`RELEASE SAVEPOINT ${name}`);
      }
      throw error;
    }
  }

  /**
   * Throws a `StateDbError` when the server cannot be reached or refuses a write: writes a row in a transaction
   * that is rolled back (it does not wait for the write lock: another instance holding it proves nothing wrong).
   */
  assertWritable(): void {
    if (this.#depth > 0) return;
    this.#call({ op: 'begin', first: [] });
    try {
      this.#rows("INSERT INTO kv (key, value, updated_at) VALUES ('course-bot:write-probe', '', '') ON CONFLICT (key) DO NOTHING");
    } finally {
      if (!this.#outage) this.#call({ op: 'end', commit: false });
    }
  }

  close(): void {
    if (this.#closed) return;
    try {
      if (!this.#outage) this.#call({ op: 'close' });
    } catch {
      // Closing anyway.
    }
    this.#closed = true;
    this.#bridge.stop();
  }
}

/** Why a call failed, on one line (a connection error may carry only its code). */
function reason(error: unknown): string {
  const message = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
  const code = error instanceof BridgeError ? error.code : undefined;
  return message || code || 'no reason given';
}

/** Whether a failed call means the server cannot serve us now (rather than a refused statement). */
function unreachable(error: BridgeError): boolean {
  const code = error.code;
  // The server's errors carry a five-character SQLSTATE; the rest are the network's, the pool's or the wait's.
  if (code === undefined || !/^[0-9A-Z]{5}$/.test(code)) return true;
  return UNREACHABLE_CLASSES.has(code.slice(0, 2));
}
