import { randomBytes } from 'node:crypto';
import {
  type Stats,
  accessSync,
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  fstatSync,
  fsyncSync,
  lstatSync,
  openSync,
  readlinkSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { specialKind } from '../regular-file.js';

/**
 * Output that cannot be written: one line naming the target and what to do. `usage` when the target itself
 * is wrong (a folder, a device, a FIFO, a folder that does not exist: choose another), otherwise the write
 * failed (no space, no permission).
 */
export class OutputError extends Error {
  override readonly name = 'OutputError';

  constructor(
    message: string,
    readonly usage: boolean,
    readonly code?: string,
  ) {
    super(message);
  }
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** What a failed file system call means for the person who chose the path. */
function reason(error: unknown, folder: string): string {
  const code = codeOf(error);
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return `permission denied (a file cannot be created or replaced in ${folder})`;
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EDQUOT':
      return 'the disk quota is exhausted';
    case 'EROFS':
      return 'the file system is read-only';
    case 'EFBIG':
      return 'the file would be too large';
    case 'ENAMETOOLONG':
      return 'the name is too long';
    case 'ENOENT':
      return `no file can be created in ${folder}`;
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

/** A path that is not a file `--out` can replace, or undefined for a regular file. */
function notAFile(stats: Stats): string | undefined {
  const kind = specialKind(stats);
  if (kind === undefined) return undefined;
  if (stats.isDirectory()) return 'is a folder; give a file name inside it';
  return `is ${kind}, not a file; leave out --out to print to standard output`;
}

/** Where a link at `path` points in the end, for a message. */
function describeLink(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return readlinkSync(path);
  }
}

/**
 * The file a write to `path` lands in: `path` itself, or the end of its chain of symbolic links (which may not
 * exist yet: a dangling link is written through, as a shell's `>` does). Relative link targets are read from
 * the link's real folder, as the kernel reads them.
 */
function landingPath(path: string, shown: string): string {
  let current = resolve(path);
  for (let hops = 0; hops < 40; hops += 1) {
    let stats: Stats;
    try {
      stats = lstatSync(current);
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return current;
      if (codeOf(error) === 'ENOTDIR') throw new OutputError(`--out ${shown}: ${dirname(current)} is not a folder`, true);
      throw new OutputError(`--out ${shown}: cannot be written: ${reason(error, dirname(current))}`, false, codeOf(error));
    }
    if (!stats.isSymbolicLink()) return current;
    let folder: string;
    try {
      folder = realpathSync(dirname(current));
    } catch (error) {
      throw new OutputError(`--out ${shown}: cannot be written: ${reason(error, dirname(current))}`, false, codeOf(error));
    }
    current = resolve(folder, readlinkSync(current));
  }
  throw new OutputError(`--out ${shown}: too many symbolic links (a loop?)`, true);
}

export interface WriteFileOptions {
  /** How the target is named in messages (default: the path as given). */
  readonly shown?: string;
  /** Writes the whole text to the open file (tests put a failing one here). */
  readonly write?: (fd: number, text: string) => void;
}

/** What a replacement changed beside the text. */
export interface WriteResult {
  /**
   * The other names the replaced file had (hard links, `nlink - 1`): they keep the old text, since the new
   * file is a new inode renamed over this one name. 0 for a new file or a file with one name.
   */
  readonly otherLinks: number;
}

/**
 * Replaces the file at `path` with `text`, all or nothing: the text goes to a new file beside the target
 * (with the target's permissions and owner, flushed to disk) that is then renamed over it, so a reader (the
 * bot's file watcher) never sees half a file and a failure leaves the old file as it was and no temporary
 * file behind. A symbolic link is written through (the link stays a link); a folder, a FIFO, a device, a
 * socket and a read-only file (no write permission for anyone, or none for this user) are refused, and so is
 * a file whose owner the new one could not be given. A file with other hard links is replaced under this name
 * only: the result says how many other names keep the old text. Throws {@link OutputError}.
 */
export function writeFileAtomically(path: string, text: string, options: WriteFileOptions = {}): WriteResult {
  const shown = options.shown ?? path;
  // What is there, through any links (also ones the path cannot be followed by name: /dev/stdout → socket:[…]).
  let existing: Stats | undefined;
  try {
    existing = statSync(path);
  } catch {
    // Nothing there yet (or a dangling link): found out below.
  }
  const linked = existing !== undefined && lstatSync(path).isSymbolicLink();
  const problem = existing && notAFile(existing);
  if (problem) throw new OutputError(`--out ${shown}: ${linked ? `(a link to ${describeLink(path)}) ` : ''}${problem}`, true);
  const target = existing ? realpathSync(path) : landingPath(path, shown);
  const folder = dirname(target);
  let mode = 0o666;
  let replaced: Stats | undefined;
  try {
    replaced = statSync(target);
    mode = replaced.mode & 0o7777;
  } catch (error) {
    if (error instanceof OutputError) throw error;
    if (codeOf(error) !== 'ENOENT') throw new OutputError(`--out ${shown}: cannot be written: ${reason(error, folder)}`, false, codeOf(error));
    let parent: Stats;
    try {
      parent = statSync(folder);
    } catch (missing) {
      if (codeOf(missing) === 'ENOENT' || codeOf(missing) === 'ENOTDIR') {
        throw new OutputError(`--out ${shown}: the folder ${folder} does not exist; create it first`, true);
      }
      throw new OutputError(`--out ${shown}: cannot be written: ${reason(missing, folder)}`, false, codeOf(missing));
    }
    if (!parent.isDirectory()) throw new OutputError(`--out ${shown}: ${folder} is not a folder`, true);
  }
  // A rename needs only the folder's permission: the file's own must be asked for (root may write anything,
  // but a file nobody may write, 0444, says "do not change me" to root too).
  const octal = (mode & 0o777).toString(8).padStart(4, '0');
  if (replaced && (mode & 0o222) === 0) {
    throw new OutputError(`--out ${shown}: is read-only (mode ${octal}); make it writable (chmod u+w) or give another file`, true);
  }
  if (replaced && !writable(target)) {
    const uid = process.getuid?.();
    throw new OutputError(
      `--out ${shown}: ${uid === undefined ? 'this user' : `uid ${uid}`} may not write it (mode ${octal}, owner uid ${replaced.uid}); run as its owner, or give another file`,
      true,
    );
  }

  const temporary = join(folder, `${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  let fd: number | undefined;
  let created = false;
  try {
    // `wx`: never through a link or over a file someone else put there.
    fd = openSync(temporary, 'wx', mode);
    created = true;
    // The mode given to open is cut by the umask; a replaced file keeps exactly its own.
    if (mode !== 0o666) fchmodSync(fd, mode);
    if (replaced) keepOwner(fd, replaced, shown);
    (options.write ?? ((descriptor: number, content: string) => writeFileSync(descriptor, content)))(fd, text);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temporary, target);
    created = false;
  } catch (error) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // Already failing; the write error is the one to report.
      }
    }
    if (created) {
      try {
        unlinkSync(temporary);
      } catch {
        // Nothing more can be done; the message below names the target.
      }
    }
    if (error instanceof OutputError) throw error;
    const code = codeOf(error);
    if (code === 'EISDIR') throw new OutputError(`--out ${shown}: is a folder; give a file name inside it`, true, code);
    throw new OutputError(`--out ${shown}: cannot be written: ${reason(error, folder)}`, false, code);
  }
  return { otherLinks: replaced ? Math.max(0, replaced.nlink - 1) : 0 };
}

/** Whether this process may write the file at `path` (its permission bits, as the system checks them). */
function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Gives the new file (open as `fd`) the owner and group of the file it replaces: root running `export --out`
 * on a user's file must not leave it root's. Refuses when that is not allowed (another user's file).
 */
function keepOwner(fd: number, replaced: Stats, shown: string): void {
  const mine = fstatSync(fd);
  if (mine.uid === replaced.uid && mine.gid === replaced.gid) return;
  try {
    fchownSync(fd, replaced.uid, replaced.gid);
  } catch (error) {
    throw new OutputError(
      `--out ${shown}: belongs to uid ${replaced.uid} (group ${replaced.gid}), and its replacement could not be given to them (${codeOf(error) ?? 'refused'}); run as that user, or give another file`,
      false,
      codeOf(error),
    );
  }
}

/**
 * Writes `text` to a stream (standard output) and resolves once it is handed to the system. A closed reader
 * (`| head -1`: EPIPE) or a full device (`> /dev/full`: ENOSPC) rejects with an {@link OutputError} instead
 * of an unhandled `error` event.
 */
export function writeToStream(stream: NodeJS.WritableStream, text: string, name = 'standard output'): Promise<void> {
  return new Promise((done, fail) => {
    let settled = false;
    // Stays attached after a failure: the stream emits `error` after the write's callback.
    const failed = (error: unknown) => {
      if (settled) return;
      settled = true;
      const code = codeOf(error);
      fail(new OutputError(`Cannot write to ${name}: ${reason(error, name)}`, false, code));
    };
    stream.on('error', failed);
    try {
      stream.write(text, (error?: Error | null) => {
        if (error) return failed(error);
        if (settled) return;
        settled = true;
        stream.off('error', failed);
        done();
      });
    } catch (error) {
      failed(error);
    }
  });
}
