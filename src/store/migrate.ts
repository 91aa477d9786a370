import { existsSync } from 'node:fs';
import pg from 'pg';
import * as z from 'zod';
import { SUBSCRIPTION_PREFIX } from './reminders.js';
import { PostgresStore } from './postgres-store.js';
import { openForReading } from './sqlite-store.js';
import { StateDbError } from './state-db-error.js';

/** What a migration copied (and then found in the target): the rows of each table. */
export interface MigrationCounts {
  /** Every value: command hashes, published state, cached plans, reminder subscriptions… */
  readonly values: number;
  /** Of the values: students' reminder subscriptions. */
  readonly subscriptions: number;
  readonly claims: number;
  readonly changes: number;
  /** Of the changes: the undone ones. */
  readonly undone: number;
}

export interface MigrateOptions {
  /** The SQLite state database to copy (`STATE_DB`); only read. */
  readonly from: string;
  /** The PostgreSQL database to copy into (`DATABASE_URL`). */
  readonly to: string;
  /** The URL as it may be shown (no password). */
  readonly shown: string;
  /** Replace what the target holds; without it a target that holds anything is refused. */
  readonly replace?: boolean;
  /** How long the server may take to connect or to run a statement (default 30 s: a copy is one transaction). */
  readonly timeoutMs?: number;
}

/** Rows taken from SQLite as they are stored, copied verbatim. */
const kvRows = z.array(z.object({ key: z.string(), value: z.string(), updated_at: z.string() }));
const claimRows = z.array(
  z.object({
    key: z.string(),
    status: z.string(),
    owner: z.string(),
    lease_until: z.number().int(),
    attempts: z.number().int(),
    message_id: z.string().nullable(),
    error: z.string().nullable(),
    updated_at: z.number().int(),
  }),
);
const changeRows = z.array(
  z.object({
    id: z.number().int(),
    course_id: z.string(),
    at: z.number().int(),
    actor: z.string(),
    change: z.string(),
    undone_at: z.number().int().nullable(),
    undone_by: z.string().nullable(),
  }),
);
const countsRow = z.object({ values: z.coerce.number(), subscriptions: z.coerce.number(), claims: z.coerce.number(), changes: z.coerce.number(), undone: z.coerce.number() });

/** Rows per INSERT: arrays of this many values per column (`unnest`). */
const BATCH = 500;

const COUNTS = `SELECT
  (SELECT count(*) FROM kv) AS values,
  (SELECT count(*) FROM kv WHERE starts_with(key, $1)) AS subscriptions,
  (SELECT count(*) FROM claims) AS claims,
  (SELECT count(*) FROM changes) AS changes,
  (SELECT count(undone_at) FROM changes) AS undone`;

/**
 * Copies a SQLite state database into PostgreSQL, as one transaction under the store's write lock: every value
 * (published state and reminder subscriptions included), every claim, every change with its id and undone mark;
 * the id sequence continues after the highest id SQLite gave. A target that holds anything is refused unless
 * `replace`. The counts are checked in the target before the commit, and returned. Throws a `StateDbError` with
 * one line naming `STATE_DB` or `DATABASE_URL` when either cannot be used.
 */
export async function migrateToPostgres(options: MigrateOptions): Promise<MigrationCounts> {
  if (!existsSync(options.from)) {
    throw new StateDbError(options.from, `STATE_DB ${options.from} does not exist: there is nothing to migrate (set STATE_DB to the bot's database file).`);
  }
  const source = openForReading(options.from);
  let kv: z.infer<typeof kvRows>;
  let claims: z.infer<typeof claimRows>;
  let changes: z.infer<typeof changeRows>;
  let sequence: number;
  try {
    kv = kvRows.parse(source.db.prepare('SELECT key, value, updated_at FROM kv ORDER BY key').all());
    claims = claimRows.parse(source.db.prepare('SELECT * FROM claims ORDER BY key').all());
    changes = changeRows.parse(source.db.prepare('SELECT * FROM changes ORDER BY id').all());
    const seq = source.db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'changes'").pluck().get();
    sequence = Math.max(typeof seq === 'number' ? seq : 0, changes.at(-1)?.id ?? 0);
  } finally {
    source.close();
  }
  const expected: MigrationCounts = {
    values: kv.length,
    subscriptions: kv.filter((row) => row.key.startsWith(SUBSCRIPTION_PREFIX)).length,
    claims: claims.length,
    changes: changes.length,
    undone: changes.filter((row) => row.undone_at !== null).length,
  };

  // Creates the tables, or checks the schema of the ones there (a newer one is refused).
  new PostgresStore(options.to, { shown: options.shown }).close();

  const timeoutMs = options.timeoutMs ?? 30_000;
  const client = new pg.Client({ connectionString: options.to, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs * 4 });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    throw unreachable(options.shown, error);
  }
  try {
    await client.query('BEGIN');
    // The store's write lock: a bot running on the target waits until the copy is in (or rolled back).
    await client.query('SELECT pg_advisory_xact_lock(7311230014001)');
    const before = countsRow.parse((await client.query(COUNTS, [SUBSCRIPTION_PREFIX])).rows[0]);
    const held = before.values + before.claims + before.changes;
    if (held > 0 && !options.replace) {
      throw new StateDbError(
        options.shown,
        `DATABASE_URL ${options.shown} holds state already (${before.values} values, ${before.claims} claims, ${before.changes} changes): ` +
          'migrate copies into an empty database; add --replace to replace what it holds.',
      );
    }
    if (held > 0) await client.query('TRUNCATE kv, claims, changes RESTART IDENTITY');
    for (let i = 0; i < kv.length; i += BATCH) {
      const rows = kv.slice(i, i + BATCH);
      await client.query('INSERT INTO kv (key, value, updated_at) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])', [
        rows.map((row) => row.key),
        rows.map((row) => row.value),
        rows.map((row) => row.updated_at),
      ]);
    }
    for (let i = 0; i < claims.length; i += BATCH) {
      const rows = claims.slice(i, i + BATCH);
      await client.query(
        `INSERT INTO claims (key, status, owner, lease_until, attempts, message_id, error, updated_at)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::int[], $6::text[], $7::text[], $8::bigint[])`,
        [
          rows.map((row) => row.key),
          rows.map((row) => row.status),
          rows.map((row) => row.owner),
          rows.map((row) => row.lease_until),
          rows.map((row) => row.attempts),
          rows.map((row) => row.message_id),
          rows.map((row) => row.error),
          rows.map((row) => row.updated_at),
        ],
      );
    }
    for (let i = 0; i < changes.length; i += BATCH) {
      const rows = changes.slice(i, i + BATCH);
      await client.query(
        `INSERT INTO changes (id, course_id, at, actor, change, undone_at, undone_by)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::bigint[], $7::text[])`,
        [
          rows.map((row) => row.id),
          rows.map((row) => row.course_id),
          rows.map((row) => row.at),
          rows.map((row) => row.actor),
          rows.map((row) => row.change),
          rows.map((row) => row.undone_at),
          rows.map((row) => row.undone_by),
        ],
      );
    }
    // New changes get ids above every id SQLite gave (including those of rows it no longer holds).
    if (sequence > 0) await client.query("SELECT setval(pg_get_serial_sequence('changes', 'id'), $1)", [sequence]);
    const after = countsRow.parse((await client.query(COUNTS, [SUBSCRIPTION_PREFIX])).rows[0]);
    const differs = (Object.keys(expected) as (keyof MigrationCounts)[]).filter((name) => after[name] !== expected[name]);
    if (differs.length > 0) {
      throw new StateDbError(
        options.shown,
        `DATABASE_URL ${options.shown}: the copy does not match STATE_DB ${options.from} (${differs.map((name) => `${name} ${after[name]} ≠ ${expected[name]}`).join(', ')}); nothing was changed.`,
      );
    }
    await client.query('COMMIT');
    return after;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (error instanceof StateDbError) throw error;
    throw unreachable(options.shown, error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

function unreachable(shown: string, error: unknown): StateDbError {
  const reason = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
  return new StateDbError(
    shown,
    `DATABASE_URL ${shown}: the copy failed (${reason}); nothing was changed: check that the PostgreSQL server runs and that DATABASE_URL names it, then run migrate again.`,
    { cause: error },
  );
}

/** The lines `course-bot migrate` prints. */
export function migrationReport(from: string, shown: string, counts: MigrationCounts): string {
  return [
    `Copied STATE_DB ${from} into DATABASE_URL ${shown}; the target holds the same counts:`,
    `  values   ${counts.values} (${counts.subscriptions} reminder subscriptions)`,
    `  claims   ${counts.claims}`,
    `  changes  ${counts.changes} (${counts.undone} undone)`,
  ].join('\n');
}
