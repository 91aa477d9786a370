import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

const cwd = tmpdir();

function problems(env: NodeJS.ProcessEnv): readonly string[] {
  try {
    loadConfig({ env, cwd, dotenv: false });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('no ConfigError');
}

describe('DATABASE_URL', () => {
  it('unset: no PostgreSQL, the SQLite STATE_DB is the store', () => {
    expect(loadConfig({ env: {}, cwd, dotenv: false }).database).toBeUndefined();
    expect(loadConfig({ env: { DATABASE_URL: '  ' }, cwd, dotenv: false }).database).toBeUndefined();
  });

  it('a postgres:// or postgresql:// URL selects PostgreSQL; what is shown of it leaves the password out', () => {
    expect(loadConfig({ env: { DATABASE_URL: 'postgres://bot:s3cret@db.example:5432/course' }, cwd, dotenv: false }).database).toEqual({
      url: 'postgres://bot:s3cret@db.example:5432/course',
      shown: 'postgres://bot@db.example:5432/course',
    });
    expect(loadConfig({ env: { DATABASE_URL: 'postgresql://db/course?sslmode=require' }, cwd, dotenv: false }).database).toEqual({
      url: 'postgresql://db/course?sslmode=require',
      shown: 'postgresql://db/course',
    });
  });

  it('a wrong URL is one line naming DATABASE_URL and the form, never the password', () => {
    for (const url of ['mysql://bot:s3cret@db/course', 'postgres://bot:s3cret@db']) {
      const [line, ...rest] = problems({ DATABASE_URL: url });
      expect(rest).toEqual([]);
      expect(line).toMatch(/^DATABASE_URL: must be a PostgreSQL URL such as postgres:\/\/user:password@host:5432\/database \(got "[^"]*"\)$/);
      expect(line).toContain('bot@');
      expect(line).not.toContain('s3cret');
    }
  });

  it('a value that is no URL with a host is not shown (it may hold a password)', () => {
    for (const url of ['bot:s3cret@db/course', 'postgres://bot:s3cret@/course', 'postgres:bot:s3cret']) {
      expect(problems({ DATABASE_URL: url })).toEqual([
        'DATABASE_URL: must be a PostgreSQL URL such as postgres://user:password@host:5432/database (got a value that is not a URL, not shown: it may hold a password)',
      ]);
    }
  });
});
