import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { scrubSecrets } from '../../src/log.js';
import { openStateStore } from '../../src/store/open.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { StateDbError } from '../../src/store/state-db-error.js';
import { freePort } from '../support/postgres.js';

const dir = mkdtempSync(join(tmpdir(), 'course-bot-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('openStateStore', () => {
  it('opens the SQLite STATE_DB when DATABASE_URL is unset', () => {
    const store = openStateStore({ stateDb: join(dir, 'state.db') });
    try {
      expect(store).toBeInstanceOf(SqliteStore);
      store.setValue('k', 'v');
      expect(store.getValue('k')).toBe('v');
    } finally {
      store.close();
    }
  });

  it('opens PostgreSQL when DATABASE_URL is set; its password is never logged, even when the server cannot be reached', async () => {
    const port = await freePort();
    const url = `postgres://bot:p%40ssw0rd-long@127.0.0.1:${port}/course`;
    let error: unknown;
    try {
      openStateStore({ stateDb: join(dir, 'unused.db'), database: { url, shown: `postgres://bot@127.0.0.1:${port}/course` } });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(StateDbError);
    expect((error as Error).message).toMatch(
      new RegExp(`^DATABASE_URL postgres://bot@127\\.0\\.0\\.1:${port}/course: could not connect \\(.+\\)\\. Start PostgreSQL or fix DATABASE_URL, then try again\\.$`),
    );
    expect((error as Error).message).not.toContain('p@ssw0rd');
    expect((error as Error).message).not.toContain('p%40ssw0rd');
    expect(scrubSecrets(`connecting to ${url} with p@ssw0rd-long and p%40ssw0rd-long`)).toBe('connecting to [redacted] with [redacted] and [redacted]');
  });
});
