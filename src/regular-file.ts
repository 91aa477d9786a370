import { type Stats, closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';

/**
 * What is at a path that is not a regular file, in the words every refusal uses (the course file, the time
 * plan, `--out`, `STATE_DB`): `a directory`, `a named pipe (FIFO)`, `a device`, `a socket`. Undefined for a
 * regular file.
 */
export function specialKind(stats: Stats): string | undefined {
  if (stats.isFile()) return undefined;
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSocket()) return 'a socket';
  return 'a special file';
}

const MEGABYTE = 1024 * 1024;

/** `is 11.0 MB: a course file may be at most 10 MB` (`what`: `a course file`). */
export function tooLargeMessage(bytes: number, maxBytes: number, what: string): string {
  const size = bytes >= MEGABYTE ? `${(bytes / MEGABYTE).toFixed(1)} MB` : `${bytes} bytes`;
  const limit = maxBytes >= MEGABYTE ? `${maxBytes / MEGABYTE} MB` : `${maxBytes} bytes`;
  return `is ${size}: ${what} may be at most ${limit}`;
}

/** A file that was not read: the message says why, after the file's name (`is a device, not a regular file: …`). */
export class FileRefusal extends Error {
  override readonly name = 'FileRefusal';
}

/** Why the system would not open or read a file, in plain words. */
function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'ELOOP') return 'too many symlinks (a symlink loop?)';
  if (code === 'ENOTDIR') return 'a part of the path is not a directory';
  if (code === 'ENAMETOOLONG') return 'the path is too long';
  return error instanceof Error ? error.message : String(error);
}

/**
 * The bytes of the regular file at `path` (a symlink to one is fine), at most `maxBytes`. Opened without
 * blocking and checked on the open descriptor, so a FIFO, a device (`/dev/zero`) or a directory is refused
 * instead of read forever. `what` names the file in the refusal (`a course file`). Throws `FileRefusal` only.
 */
export function readRegularFile(path: string, maxBytes: number, what: string): Buffer {
  let fd: number;
  try {
    // A FIFO with no writer would block the open itself without O_NONBLOCK (which regular files ignore).
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    // Some special files cannot even be opened (a socket: ENXIO): say what is there, not the code.
    const kind = kindAt(path);
    if (kind) throw notRegular(kind, what);
    throw new FileRefusal(`cannot be read: ${reasonOf(error)}`);
  }
  try {
    const stat = fstatSync(fd);
    const kind = specialKind(stat);
    if (kind) throw notRegular(kind, what);
    if (stat.size > maxBytes) throw new FileRefusal(tooLargeMessage(stat.size, maxBytes, what));
    // The file may grow after fstat: read to its end, but never past the limit.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.max(64 * 1024, stat.size + 1 - total));
      const read = readSync(fd, chunk, 0, chunk.length, null);
      if (read === 0) break;
      total += read;
      if (total > maxBytes) throw new FileRefusal(tooLargeMessage(total, maxBytes, what));
      chunks.push(chunk.subarray(0, read));
    }
    return Buffer.concat(chunks, total);
  } catch (error) {
    throw error instanceof FileRefusal ? error : new FileRefusal(`cannot be read: ${reasonOf(error)}`);
  } finally {
    closeSync(fd);
  }
}

function notRegular(kind: string, what: string): FileRefusal {
  return new FileRefusal(`is ${kind}, not a regular file: ${what} must be a regular file (a symlink to one is fine)`);
}

/** What special file is at a path (followed through links), if it is one and can be looked at. */
function kindAt(path: string): string | undefined {
  try {
    return specialKind(statSync(path));
  } catch {
    return undefined;
  }
}
