import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import type { StateStore } from '../core/ports.js';

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
];

const valueRow = z.object({ value: z.string() });
const keyRow = z.object({ key: z.string() });

/** The embedded default store: one SQLite file (WAL), shared safely by several processes. */
export class SqliteStore implements StateStore {
  readonly db: Database.Database;

  /** Opens (creating the file and its directory) or `:memory:`. */
  constructor(readonly path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    // Another process may hold the write lock for a moment; wait instead of failing.
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('synchronous = NORMAL');
    try {
      this.#migrate();
    } catch (error) {
      this.db.close();
      throw error;
    }
  }

  #migrate(): void {
    const current = () => Number(this.db.pragma('user_version', { simple: true }));
    const check = (version: number) => {
      if (version > MIGRATIONS.length) {
        throw new Error(`${this.path} was written by a newer course-bot (schema ${version} > ${MIGRATIONS.length})`);
      }
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

  getValue(key: string): string | undefined {
    const row: unknown = this.db.prepare('SELECT value FROM kv WHERE key = ?').get(key);
    return row === undefined ? undefined : valueRow.parse(row).value;
  }

  setValue(key: string, value: string): void {
    this.db
      .prepare(
        `INSERT INTO kv (key, value, updated_at) VALUES (?, ?, ?)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
      )
      .run(key, value, new Date().toISOString());
  }

  deleteValue(key: string): boolean {
    return this.db.prepare('DELETE FROM kv WHERE key = ?').run(key).changes > 0;
  }

  listKeys(prefix = ''): string[] {
    const rows: unknown[] = this.db
      .prepare("SELECT key FROM kv WHERE substr(key, 1, length(?)) = ? ORDER BY key")
      .all(prefix, prefix);
    return rows.map((row) => keyRow.parse(row).key);
  }

  /** Writes a row inside a transaction that is rolled back: only a real write proves the file writable. */
  assertWritable(): void {
    this.db.prepare('BEGIN IMMEDIATE').run();
    try {
      this.db.prepare("INSERT OR REPLACE INTO kv (key, value, updated_at) VALUES ('course-bot:write-probe', '', '')").run();
    } finally {
      this.db.prepare('ROLLBACK').run();
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
