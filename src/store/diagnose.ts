import { type Stats, lstatSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
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
function statOf(path: string): Stats | undefined {
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

/**
 * Where `path` leads: itself, or the end of its chain of symbolic links (which may not exist: a link into a
 * folder that is missing). SQLite opens the end of the chain and keeps its -wal and -shm files beside it.
 */
export function landingPath(path: string): string {
  let current = resolve(path);
  for (let hops = 0; hops < 40; hops += 1) {
    let link: string;
    try {
      if (!lstatSync(current).isSymbolicLink()) return current;
      link = readlinkSync(current);
    } catch {
      return current;
    }
    let folder = dirname(current);
    try {
      folder = realpathSync(folder);
    } catch {
      // A folder that cannot be resolved: read the link from it as named.
    }
    current = resolve(folder, link);
  }
  return current;
}

/** The files SQLite keeps beside a database, and what each is. */
const SIDE_FILES = [
  ['-wal', 'write-ahead log'],
  ['-shm', 'shared-memory index'],
  ['-journal', 'rollback journal'],
] as const;

/**
 * A -wal, -shm or -journal path beside the database that is not a file (a directory, a FIFO): SQLite then
 * fails with a misleading error (`attempt to write a readonly database`). The line for it, or undefined.
 */
function blockedSideFile(path: string): string | undefined {
  const database = landingPath(path);
  for (const [suffix, what] of SIDE_FILES) {
    const side = `${database}${suffix}`;
    const stats = statOf(side);
    const kind = stats ? specialKind(stats) : undefined;
    if (kind) {
      return `STATE_DB ${path}: ${side} is ${kind}, where SQLite keeps the database's ${what}: move it away (it holds no data of the bot), then try again.`;
    }
  }
  return undefined;
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
  const blocked = blockedSideFile(path);
  if (blocked) return fail(blocked);
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
    // A link into a folder that does not exist: the folder to create is the link's target's, not the link's.
    const landing = landingPath(path);
    const linked = landing !== resolve(path) ? ` (a link to ${landing})` : '';
    return fail(
      `${at}${linked} cannot be opened or created (${why}): make sure ${dirname(landing)} exists and ${user()} can write in it (SQLite keeps -wal and -shm files beside the database), or set STATE_DB elsewhere.`,
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

/** Where a running bot saved what it held when its database file was lost, or why it could not. */
export type Recovery = { readonly saved: string } | { readonly failed: string; readonly folder: string } | undefined;

const NOTHING_STORED = 'nothing more is stored (schedule changes are refused, announcements are not posted)';

/**
 * The line for a database file that is no longer the one at its path (deleted, replaced, or out of reach).
 * A running bot then holds the only copy of what was in it, and saves it beside the path first (`recovery`):
 * the line says where, and how to put it back.
 */
export function lostFile(path: string, how: 'deleted' | 'replaced' | 'unreachable', recovery: Recovery, error?: unknown): StateDbError {
  const options = { problem: 'lost' as const, ...(recovery && 'saved' in recovery && { recovered: recovery.saved }) };
  if (how === 'unreachable') {
    return new StateDbError(
      path,
      `STATE_DB ${path} cannot be reached any more (${reason(error)}): ${NOTHING_STORED} until you fix access to the file, then restart the bot.`,
      options,
    );
  }
  const what = how === 'deleted' ? 'was deleted while the bot was running' : 'was replaced by another file while the bot was running';
  if (recovery && 'failed' in recovery) {
    return new StateDbError(
      path,
      `STATE_DB ${path} ${what}, and the bot holds the only copy of what it held but could not save it beside it (${recovery.failed}): ` +
        `make ${recovery.folder} a folder ${user()} can write (the bot saves the copy there at its next check, within a minute) and do not stop the bot before; ${NOTHING_STORED} until then.`,
      options,
    );
  }
  const saved = recovery?.saved;
  if (how === 'deleted') {
    return new StateDbError(
      path,
      saved
        ? `STATE_DB ${path} ${what}; what the bot held is saved in ${saved}: ${NOTHING_STORED} until you stop the bot, move ${saved} to ${path} and start the bot again.`
        : `STATE_DB ${path} ${what}: ${NOTHING_STORED} until you restart the bot (restore the file from a backup first if it was deleted by mistake).`,
      options,
    );
  }
  return new StateDbError(
    path,
    saved
      ? `STATE_DB ${path} ${what}; what the bot held is saved in ${saved}: ${NOTHING_STORED} until you restart the bot, which then opens the file now at that path ` +
          `(to keep what the bot held instead, stop it, move ${saved} to ${path}, then start it).`
      : `STATE_DB ${path} ${what}: ${NOTHING_STORED} until you restart the bot, which then opens the file now at that path.`,
    options,
  );
}

/** Free space as a person reads it: `0 bytes`, `12 KB`, `3.4 MB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${Math.floor(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/**
 * The line for a write the disk refused (full, failing, made read-only) while the bot runs, or undefined for
 * an error that is no fault of the storage (a constraint, a lock held too long, a bug).
 */
export function writeFailure(path: string, error: unknown): StateDbError | undefined {
  const sqlite = code(error);
  const folder = dirname(landingPath(path));
  const why = reason(error);
  const until = `until then ${NOTHING_STORED.replace('nothing more is stored ', 'nothing is stored ')}`;
  if (sqlite === 'SQLITE_FULL') {
    return new StateDbError(path, `The disk holding STATE_DB ${path} is full (${why}): free space on it (the volume that holds ${folder}); ${until}.`, {
      problem: 'full',
    });
  }
  if (sqlite.startsWith('SQLITE_READONLY') || sqlite.startsWith('SQLITE_PERM') || sqlite.startsWith('SQLITE_AUTH')) {
    return new StateDbError(
      path,
      `STATE_DB ${path} cannot be written any more (${why}): let ${user()} write the file and its directory ${folder} again (or remount the volume read-write); ${until}.`,
      { problem: 'disk' },
    );
  }
  if (sqlite.startsWith('SQLITE_IOERR') || sqlite.startsWith('SQLITE_CANTOPEN')) {
    return new StateDbError(path, `The disk holding STATE_DB ${path} reported an error while writing (${why}): check the volume that holds ${folder}; ${until}.`, {
      problem: 'disk',
    });
  }
  if (sqlite.startsWith('SQLITE_CORRUPT') || sqlite === 'SQLITE_NOTADB') {
    return new StateDbError(path, `STATE_DB ${path} was found damaged while writing (${why}): stop the bot, then ${START_FRESH}; ${until}.`, {
      problem: 'disk',
    });
  }
  return undefined;
}

/** The line for a disk with less free space than a write may need (a health check's look at the volume). */
export function lowSpace(path: string, free: number): StateDbError {
  const folder = dirname(landingPath(path));
  return new StateDbError(
    path,
    `The disk holding STATE_DB ${path} is full (${formatBytes(free)} free): free space on it (the volume that holds ${folder}); until then writes may fail, and a refused one is not stored.`,
    { problem: 'full' },
  );
}

/** The line for another program's SQLite database (tables course-bot never makes, and no course-bot schema). */
export function notOurs(path: string, tables: readonly string[]): StateDbError {
  const shown = tables.slice(0, 3).join(', ') + (tables.length > 3 ? ` and ${tables.length - 3} more` : '');
  return new StateDbError(
    path,
    `STATE_DB ${path} is not a course-bot state database (it holds ${shown}, which course-bot never makes): set STATE_DB to a file of its own; course-bot writes nothing into another program's database.`,
  );
}

/** The line for a database file (or its -wal file) this user may not read. */
export function unreadable(path: string, error: unknown): StateDbError {
  return new StateDbError(
    path,
    `STATE_DB ${path} cannot be read (${reason(error)}): let ${user()} read the file (and the -wal file beside it), or run the command as the user the bot runs as.`,
  );
}
