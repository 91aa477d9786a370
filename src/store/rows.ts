import { isIsoDate } from '../core/course/dates.js';
import type { ScheduleChange } from '../core/course/changes.js';
import type { Actor, ChangeRecord, ClaimRecord, ClaimStatus } from '../core/ports.js';

// The rows both SQL stores read: the columns are the same in SQLite and PostgreSQL. The bot wrote every one
// of them itself (a change only after `scheduleChangeSchema` accepted it), so they are read with plain checks,
// not zod (zod stays where it checks what people write: the course file, the environment, a change's
// arguments). A row that does not read back (a damaged file, an edit by hand) is still refused, with the
// column and what is wrong with it, as `issues` (what `unreadableRow` names).

/** One problem of a row: the column (and the place inside its JSON), and what is wrong. */
export interface RowIssue {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** A row that cannot be read as the bot writes it. */
export class RowError extends Error {
  override readonly name = 'RowError';
  constructor(readonly issues: readonly RowIssue[]) {
    super(issues.map((issue) => `${issue.path.join('.') || 'row'}: ${issue.message}`).join('; '));
  }
}

/** A reader of one kind of row: `parse` returns what the store hands out, or throws `RowError`. */
export interface RowReader<T> {
  parse(row: unknown): T;
}

type Path = readonly (string | number)[];

function fail(path: Path, message: string): never {
  throw new RowError([{ path, message }]);
}

function fields(row: unknown, path: Path = []): Record<string, unknown> {
  if (typeof row !== 'object' || row === null || Array.isArray(row)) fail(path, `expected a row, got ${kind(row)}`);
  return row as Record<string, unknown>;
}

function kind(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value;
}

function string(value: unknown, path: Path): string {
  if (typeof value !== 'string') fail(path, `expected text, got ${kind(value)}`);
  return value;
}

function integer(value: unknown, path: Path): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) fail(path, `expected a whole number, got ${typeof value === 'number' ? value : kind(value)}`);
  return value;
}

function nullable<T>(read: (value: unknown, path: Path) => T): (value: unknown, path: Path) => T | null {
  return (value, path) => (value === null ? null : read(value, path));
}

const STATUSES: readonly ClaimStatus[] = ['pending', 'sent', 'failed'];

export const valueRow: RowReader<{ value: string }> = {
  parse: (row) => ({ value: string(fields(row).value, ['value']) }),
};

export const keyRow: RowReader<{ key: string }> = {
  parse: (row) => ({ key: string(fields(row).key, ['key']) }),
};

export const versionRow: RowReader<{ count: number; last: number; undone: number }> = {
  parse: (row) => {
    const columns = fields(row);
    return { count: integer(columns.count, ['count']), last: integer(columns.last, ['last']), undone: integer(columns.undone, ['undone']) };
  },
};

export const dataVersionRow: RowReader<{ data_version: number }> = {
  parse: (row) => ({ data_version: integer(fields(row).data_version, ['data_version']) }),
};

export const claimRow: RowReader<ClaimRecord> = {
  parse: (row) => {
    const columns = fields(row);
    const status = columns.status;
    if (!STATUSES.includes(status as ClaimStatus)) fail(['status'], `expected one of ${STATUSES.join(', ')}, got ${JSON.stringify(status) ?? kind(status)}`);
    const messageId = nullable(string)(columns.message_id, ['message_id']);
    const error = nullable(string)(columns.error, ['error']);
    return {
      key: string(columns.key, ['key']),
      status: status as ClaimStatus,
      owner: string(columns.owner, ['owner']),
      leaseUntil: integer(columns.lease_until, ['lease_until']),
      attempts: integer(columns.attempts, ['attempts']),
      updatedAt: integer(columns.updated_at, ['updated_at']),
      ...(messageId !== null && { messageId }),
      ...(error !== null && { error }),
    };
  },
};

/** A JSON column: damaged JSON is an issue of the column, not a thrown `SyntaxError`. */
function json<T>(read: (value: unknown, path: Path) => T): (value: unknown, path: Path) => T {
  return (value, path) => {
    const text = string(value, path);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      fail(path, 'not valid JSON');
    }
    return read(parsed, path);
  };
}

function actor(value: unknown, path: Path): Actor {
  const object = fields(value, path);
  const name = object.name === undefined ? undefined : string(object.name, [...path, 'name']);
  return { platform: string(object.platform, [...path, 'platform']), id: string(object.id, [...path, 'id']), ...(name !== undefined && { name }) };
}

/** Text as a change holds it: trimmed, not empty (as `scheduleChangeSchema` stored it). */
function text(value: unknown, path: Path): string {
  const trimmed = string(value, path).trim();
  if (trimmed === '') fail(path, 'expected text, got an empty one');
  return trimmed;
}

function date(value: unknown, path: Path): string {
  const iso = string(value, path);
  if (!isIsoDate(iso)) fail(path, 'expected a date as YYYY-MM-DD');
  return iso;
}

const CHANGE_FIELDS: Readonly<Record<ScheduleChange['kind'], readonly string[]>> = {
  edit: ['kind', 'date', 'topic', 'frameworks', 'note'],
  cancel: ['kind', 'date', 'reason'],
  move: ['kind', 'from', 'to'],
  add: ['kind', 'date', 'topic', 'frameworks'],
};

/** A stored schedule change, checked as `scheduleChangeSchema` checks one (the same fields, the same kinds of value). */
function change(value: unknown, path: Path): ScheduleChange {
  const object = fields(value, path);
  const changeKind = object.kind as ScheduleChange['kind'];
  const known = Object.hasOwn(CHANGE_FIELDS, String(changeKind)) ? CHANGE_FIELDS[changeKind] : undefined;
  if (!known) fail([...path, 'kind'], `expected edit, cancel, move or add, got ${JSON.stringify(object.kind) ?? kind(object.kind)}`);
  for (const key of Object.keys(object)) if (!known.includes(key)) fail([...path, key], `unknown field "${key}" in a ${changeKind} change`);
  const optional = <T>(key: string, read: (field: unknown, at: Path) => T): T | undefined =>
    object[key] === undefined ? undefined : read(object[key], [...path, key]);
  const list = (field: unknown, at: Path): string[] => {
    if (!Array.isArray(field)) fail(at, `expected a list, got ${kind(field)}`);
    return field.map((item: unknown, index) => text(item, [...at, index]));
  };
  switch (changeKind) {
    case 'edit': {
      const topic = optional('topic', text);
      const frameworks = optional('frameworks', list);
      const note = optional('note', nullable(text));
      return {
        kind: 'edit',
        date: date(object.date, [...path, 'date']),
        ...(topic !== undefined && { topic }),
        ...(frameworks !== undefined && { frameworks }),
        ...(note !== undefined && { note }),
      };
    }
    case 'cancel': {
      const reason = optional('reason', text);
      return { kind: 'cancel', date: date(object.date, [...path, 'date']), ...(reason !== undefined && { reason }) };
    }
    case 'move':
      return { kind: 'move', from: date(object.from, [...path, 'from']), to: date(object.to, [...path, 'to']) };
    case 'add': {
      const frameworks = optional('frameworks', list);
      return { kind: 'add', date: date(object.date, [...path, 'date']), topic: text(object.topic, [...path, 'topic']), ...(frameworks !== undefined && { frameworks }) };
    }
  }
}

export const changeRow: RowReader<ChangeRecord> = {
  parse: (row) => {
    const columns = fields(row);
    const undoneAt = nullable(integer)(columns.undone_at, ['undone_at']);
    const undoneBy = nullable(json(actor))(columns.undone_by, ['undone_by']);
    return {
      id: integer(columns.id, ['id']),
      courseId: string(columns.course_id, ['course_id']),
      at: integer(columns.at, ['at']),
      actor: json(actor)(columns.actor, ['actor']),
      change: json(change)(columns.change, ['change']),
      ...(undoneAt !== null && { undoneAt }),
      ...(undoneBy !== null && { undoneBy }),
    };
  },
};
