import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { scheduleChangeSchema } from '../../src/core/course/changes.js';
import { RowError, changeRow, claimRow, keyRow, valueRow, versionRow } from '../../src/store/rows.js';

const CHANGE = {
  id: 7,
  course_id: 'mlops',
  at: 1_800_000_000_000,
  actor: JSON.stringify({ platform: 'discord', id: '42', name: 'Ada' }),
  change: JSON.stringify({ kind: 'edit', date: '2027-01-05', topic: 'Docker', frameworks: ['Docker'], note: null }),
  undone_at: null,
  undone_by: null,
};

const CLAIM = { key: 'k', status: 'sent', owner: 'a', lease_until: 5, attempts: 1, message_id: 'm1', error: null, updated_at: 9 };

/** The issues a row is refused with, as `unreadableRow` reads them. */
function refusal(read: () => unknown): readonly { path: readonly (string | number)[]; message: string }[] {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(RowError);
    return (error as RowError).issues;
  }
  throw new Error('the row was read');
}

describe('rows the bot wrote, read with plain checks', () => {
  it('reads a change row as the store hands it out', () => {
    expect(changeRow.parse(CHANGE)).toEqual({
      id: 7,
      courseId: 'mlops',
      at: 1_800_000_000_000,
      actor: { platform: 'discord', id: '42', name: 'Ada' },
      change: { kind: 'edit', date: '2027-01-05', topic: 'Docker', frameworks: ['Docker'], note: null },
    });
    const undone = changeRow.parse({ ...CHANGE, undone_at: 11, undone_by: JSON.stringify({ platform: 'cli', id: 'x' }) });
    expect(undone).toMatchObject({ undoneAt: 11, undoneBy: { platform: 'cli', id: 'x' } });
  });

  it('reads every kind of change exactly as the schema that stored it does', () => {
    const changes = [
      { kind: 'edit', date: '2027-01-05', topic: '  Docker  ' },
      { kind: 'edit', date: '2027-01-05', frameworks: [], note: 'n' },
      { kind: 'cancel', date: '2027-01-05', reason: 'ill' },
      { kind: 'cancel', date: '2027-01-05' },
      { kind: 'move', from: '2027-01-05', to: '2027-01-08' },
      { kind: 'add', date: '2027-01-09', topic: 'Extra', frameworks: ['A', 'B'] },
    ];
    for (const stored of changes) {
      expect(changeRow.parse({ ...CHANGE, change: JSON.stringify(stored) }).change).toEqual(scheduleChangeSchema.parse(stored));
    }
  });

  it('refuses a damaged row with the column and what is wrong', () => {
    expect(refusal(() => changeRow.parse({ ...CHANGE, change: '{"kind":"cancel","date";"2027-01-06"}' }))).toEqual([
      { path: ['change'], message: 'not valid JSON' },
    ]);
    expect(refusal(() => changeRow.parse({ ...CHANGE, change: '{"kind":"rename","date":"2027-01-06"}' }))).toEqual([
      { path: ['change', 'kind'], message: 'expected edit, cancel, move or add, got "rename"' },
    ]);
    expect(refusal(() => changeRow.parse({ ...CHANGE, change: '{"kind":"move","from":"2027-01-06","to":"2027-02-30"}' }))).toEqual([
      { path: ['change', 'to'], message: 'expected a date as YYYY-MM-DD' },
    ]);
    expect(refusal(() => changeRow.parse({ ...CHANGE, change: '{"kind":"cancel","date":"2027-01-06","topic":"x"}' }))).toEqual([
      { path: ['change', 'topic'], message: 'unknown field "topic" in a cancel change' },
    ]);
    expect(refusal(() => changeRow.parse({ ...CHANGE, actor: '{"platform":"discord"}' }))).toEqual([{ path: ['actor', 'id'], message: 'expected text, got undefined' }]);
    expect(refusal(() => changeRow.parse({ ...CHANGE, id: 1.5 }))).toEqual([{ path: ['id'], message: 'expected a whole number, got 1.5' }]);
    expect(refusal(() => claimRow.parse({ ...CLAIM, status: 'posted' }))).toEqual([
      { path: ['status'], message: 'expected one of pending, sent, failed, got "posted"' },
    ]);
    expect(refusal(() => valueRow.parse(undefined))).toEqual([{ path: [], message: 'expected a row, got undefined' }]);
  });

  it('reads claims, keys, values and versions', () => {
    expect(claimRow.parse(CLAIM)).toEqual({ key: 'k', status: 'sent', owner: 'a', leaseUntil: 5, attempts: 1, messageId: 'm1', updatedAt: 9 });
    expect(keyRow.parse({ key: 'a' })).toEqual({ key: 'a' });
    expect(valueRow.parse({ value: 'v', other: 1 })).toEqual({ value: 'v' });
    expect(versionRow.parse({ count: 3, last: 9, undone: 1 })).toEqual({ count: 3, last: 9, undone: 1 });
  });

  it('uses no zod: these rows are the bot’s own', () => {
    expect(readFileSync('src/store/rows.ts', 'utf8')).not.toMatch(/from 'zod'/);
  });
});
