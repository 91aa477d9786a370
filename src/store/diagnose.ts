import { lstatSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { specialKind } from '../regular-file.js';
import { StateDbError } from './state-db-error.js';

/** What to do about a file that is not a usable database. */
const START_FRESH =
  'restore it from a backup, or move it (and any -wal and -shm file beside it) away to start with an empty one ' +
  '(the schedule changes made in chat and the record of what was posted are then lost)';

function code(error: unknown): string {
  const value = (error as { code?: unknown } | undefined)?.code;
  return typeof value === 'string' ? value : '';
}

/** An error's message on one line. */
function reason(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s+/g, ' ').trim();
}

function user(): string {
  const uid = process.getuid?.();
  return uid === undefined ? 'the user the bot runs as' : `uid ${uid}`;
}

/** What is at `path`, or undefined when nothing is (or it cannot be looked at: a file where a folder should be). */
function statOf(path: string): ReturnType<typeof statSync> {
  try {
    return statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

/** What `path` is when it is neither a regular file, a directory nor absent (a FIFO, a device, a broken link). */
export function kindOf(path: string): string | undefined {
  let link = false;
  try {
    link = lstatSync(path).isSymbolicLink();
  } catch {
    return undefined;
  }
  let stats;
  try {
    stats = statSync(path);
  } catch (error) {
    // A link to nowhere is fine (SQLite creates its target); a loop is not.
    return link && code(error) === 'ELOOP' ? 'a symbolic link that loops' : undefined;
  }
  // A directory gets a message of its own (a file in it is what was meant).
  return stats.isDirectory() ? undefined : specialKind(stats);
}

/** The nearest ancestor of `path` that exists, and whether it is a directory. */
function nearestExisting(path: string): { readonly path: string; readonly directory: boolean } | undefined {
  for (let current = dirname(path); ; current = dirname(current)) {
    const stats = statOf(current);
    if (stats) return { path: current, directory: stats.isDirectory() };
    if (dirname(current) === current) return undefined;
  }
}

/**
 * The one line (naming `STATE_DB`, the path and the fix) for a state database that cannot be opened, created,
 * checked or written at start: the message of the `StateDbError` the store throws.
 */
export function openFailure(path: string, error: unknown): StateDbError {
  const at = `STATE_DB ${path}`;
  const folder = dirname(path);
  const why = reason(error);
  // No `cause`: the reason is in the line, and a cause's code (EACCES) would read as a platform failure to callers
  // that look through causes (src/platforms/failure.ts).
  const fail = (message: string) => new StateDbError(path, message);
  switch (code(error)) {
    case 'ENOTDIR':
    case 'EEXIST': {
      const blocker = nearestExisting(path);
      const name = blocker && !blocker.directory ? blocker.path : folder;
      return fail(`${at}: ${name} is a file, not a directory: set STATE_DB to a path in a directory (or move that file away).`);
    }
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return fail(`${at}: cannot create its directory ${folder} (${why}): create it writable for ${user()}, or set STATE_DB elsewhere.`);
    case 'SQLITE_NOTADB':
      return fail(`${at} is not a SQLite database (${why}): ${START_FRESH}.`);
    case 'SQLITE_FULL':
      return fail(`${at}: the disk is full (${why}): free space on the volume that holds ${folder}.`);
    case 'SQLITE_BUSY':
      return fail(`${at} stayed locked by another process (${why}): stop the process that holds it (a stuck instance, a sqlite3 shell), then start again.`);
  }
  const sqlite = code(error);
  const kind = kindOf(path);
  if (kind) return fail(`${at} is ${kind}, not a database file: set STATE_DB to a regular file's path.`);
  if (statOf(path)?.isDirectory()) {
    return fail(`${at} is a directory, not a database file: set STATE_DB to a file in it, such as ${path}/course-bot.db.`);
  }
  if (sqlite.startsWith('SQLITE_CORRUPT')) return fail(`${at} is damaged (${why}): ${START_FRESH}.`);
  if (sqlite.startsWith('SQLITE_READONLY') || sqlite.startsWith('SQLITE_PERM') || sqlite.startsWith('SQLITE_AUTH')) {
    return fail(
      `${at} cannot be written (${why}): let ${user()} write the file and its directory ${folder} (SQLite keeps -wal and -shm files beside it), or set STATE_DB elsewhere.`,
    );
  }
  if (sqlite.startsWith('SQLITE_CANTOPEN')) {
    return fail(
      `${at} cannot be opened or created (${why}): make sure ${folder} exists and ${user()} can write in it (SQLite keeps -wal and -shm files beside the database), or set STATE_DB elsewhere.`,
    );
  }
  if (sqlite.startsWith('SQLITE_IOERR')) return fail(`${at}: the disk reported an error (${why}): check the volume that holds ${folder}.`);
  return fail(`${at} cannot be used (${why}): check the file, or ${START_FRESH}.`);
}

/** The line for a database that opens but fails its integrity check (`PRAGMA quick_check`). */
export function damaged(path: string, lines: readonly string[]): StateDbError {
  // integrity_check heads its list with "*** in database main ***" when pages are damaged.
  const problems = lines.map((line) => line.replace(/\*\*\* in database \w+ \*\*\*/g, ' ').replace(/\s+/g, ' ').trim()).filter(Boolean);
  const shown = problems.slice(0, 2);
  const more = problems.length > 2 ? `; ${problems.length - 2} more` : '';
  return new StateDbError(path, `STATE_DB ${path} is damaged (integrity check: ${shown.join('; ')}${more}): ${START_FRESH}.`);
}

/** The line for a SQLite database without the tables (or columns) course-bot keeps. */
export function foreign(path: string, error: unknown): StateDbError {
  return new StateDbError(path, `STATE_DB ${path} is not a course-bot state database (${reason(error)}): ${START_FRESH}.`);
}

/** The line for a row that no longer reads back (damaged inside, or edited by hand). */
export function unreadableRow(path: string, table: string, row: number, error: unknown): StateDbError {
  const issue = (error as { issues?: { path?: unknown[]; message?: string }[] }).issues?.[0];
  const why = issue ? `${issue.path?.join('.') || 'row'}: ${issue.message ?? 'invalid'}` : reason(error);
  return new StateDbError(
    path,
    `STATE_DB ${path} holds a ${table} row it cannot read (rowid ${row}, ${why.replace(/\s+/g, ' ')}): restore it from a backup, or delete that row ` +
      `with the sqlite3 tool (DELETE FROM ${table} WHERE rowid = ${row}) while the bot is stopped.`,
  );
}

/** The line for a schema version no course-bot writes (below zero: a damaged header). */
export function unknownSchema(path: string, found: number): StateDbError {
  return new StateDbError(path, `STATE_DB ${path} has a schema version no course-bot writes (${found}): ${START_FRESH}.`);
}

/** The line for a database written by a newer course-bot. */
export function newerSchema(path: string, found: number, known: number): StateDbError {
  return new StateDbError(
    path,
    `STATE_DB ${path} was written by a newer course-bot (schema ${found} > ${known}): run that version or a newer one, or restore a backup this version wrote.`,
  );
}

/** The line for a database file that is no longer the one at its path (deleted, replaced, or out of reach). */
export function lostFile(path: string, how: 'deleted' | 'replaced' | 'unreachable', error?: unknown): StateDbError {
  const what = {
    deleted: 'was deleted while the bot was running',
    replaced: 'was replaced by another file while the bot was running',
    unreachable: `cannot be reached any more (${reason(error)})`,
  }[how];
  const fix =
    how === 'deleted'
      ? 'restart the bot (restore the file from a backup first if it was deleted by mistake)'
      : how === 'replaced'
        ? 'restart the bot, which then opens the file now at that path'
        : 'fix access to the file, then restart the bot';
  return new StateDbError(
    path,
    `STATE_DB ${path} ${what}: nothing more is stored (schedule changes are refused, announcements are not posted) until you ${fix}.`,
  );
}
