import { describe, expect, it } from 'vitest';
import { explainError } from '../../src/platforms/respond.js';
import { StateDbError, asSentenceTail } from '../../src/store/state-db-error.js';

describe('a store line after "Not saved: "', () => {
  it('keeps a setting name in capitals and lowercases a sentence', () => {
    expect(asSentenceTail('STATE_DB /x.db: the disk is full')).toBe('STATE_DB /x.db: the disk is full');
    expect(asSentenceTail('DATABASE_URL postgres://bot@db:5432/course: database unreachable')).toBe(
      'DATABASE_URL postgres://bot@db:5432/course: database unreachable',
    );
    expect(asSentenceTail('The database was busy (lock timeout): try again in a moment.')).toBe(
      'the database was busy (lock timeout): try again in a moment.',
    );
    expect(asSentenceTail('The disk holding STATE_DB /x.db is full')).toBe('the disk holding STATE_DB /x.db is full');
  });

  it('is what an instructor reads for an unreachable PostgreSQL (it said "dATABASE_URL")', () => {
    const error = new StateDbError('postgres://bot@db:5432/course', 'DATABASE_URL postgres://bot@db:5432/course: database unreachable (connect ECONNREFUSED)');
    expect(explainError(error)?.message).toBe('Not saved: DATABASE_URL postgres://bot@db:5432/course: database unreachable (connect ECONNREFUSED)');
  });
});
