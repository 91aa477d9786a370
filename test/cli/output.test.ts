import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutputError, writeFileAtomically, writeToStream } from '../../src/cli/output.js';
import { type ChildOptions, ROOT, type Run, SPAWN_TIMEOUT, runCli } from '../support/child.js';
import { runMain } from '../support/main.js';

let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'course-bot-out-'));
  // Other users (the unprivileged run below) may enter it.
  chmodSync(tmp, 0o755);
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** A fresh folder in the test's temp dir. */
function folder(name: string): string {
  const path = join(tmp, name);
  mkdirSync(path, { mode: 0o755 });
  chmodSync(path, 0o755);
  return path;
}

/** Temporary files left beside a target. */
function leftovers(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.includes('.tmp-'));
}

/** A character device like /dev/null at `path` (or /dev/null itself where devices cannot be made). */
function mknodNull(path: string): string {
  try {
    execFileSync('mknod', ['-m', '666', path, 'c', '1', '3'], { stdio: 'ignore' });
    return path;
  } catch {
    return '/dev/null';
  }
}

/** The real CLI, its state database in the temp dir (missing: read-only commands create nothing). */
function cli(args: readonly string[], options: ChildOptions = {}): Promise<Run> {
  return runCli(args, { ...options, env: { STATE_DB: join(tmp, 'state.db'), ...options.env } });
}

const PLAN = join(ROOT, 'test/fixtures/dtu_mlops/timeplan-2024.md');
const IMPORT = ['import', PLAN, '--year', '2024', '--timezone', 'Europe/Copenhagen'];

describe('--out through the real CLI (import, export, calendar)', () => {
  it('writes through a symbolic link: the link stays a link, the target gets the text and keeps its mode', { timeout: SPAWN_TIMEOUT }, async () => {
    const dir = folder('link');
    const target = join(dir, 'course.yaml');
    writeFileSync(target, 'old: file\n');
    chmodSync(target, 0o640);
    const link = join(dir, 'current.yaml');
    symlinkSync('course.yaml', link);
    const run = await cli([...IMPORT, '--out', link]);
    // The import's own warnings and guesses (relative slide links, the name) only.
    expect(run.stderr.split('\n').filter((line) => line && !/^(warning|guessed): /.test(line))).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(`${link}: 3 weeks, 15 sessions from ${PLAN}\n`);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe('course.yaml');
    expect(readFileSync(target, 'utf8')).toContain('timezone: Europe/Copenhagen');
    expect(statSync(target).mode & 0o777).toBe(0o640);
    expect(leftovers(dir)).toEqual([]);
  });

  it('writes through a dangling link, creating its target', { timeout: SPAWN_TIMEOUT }, async () => {
    const dir = folder('dangling');
    const link = join(dir, 'calendar.ics');
    symlinkSync(join(dir, 'published', 'mlops.ics'), link);
    mkdirSync(join(dir, 'published'));
    const run = await cli(['calendar', '--out', link]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'published', 'mlops.ics'), 'utf8')).toMatch(/^BEGIN:VCALENDAR/);
    expect(leftovers(join(dir, 'published'))).toEqual([]);
  });

  it.each([
    ['export', ['export']],
    ['calendar', ['calendar']],
    ['import', IMPORT],
  ])('%s refuses a folder with exit 2 in one line, and writes nothing into it', { timeout: SPAWN_TIMEOUT }, async (_name, args) => {
    const dir = folder(`folder-${_name}`);
    const run = await cli([...args, '--out', dir]);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`--out ${dir}: is a folder; give a file name inside it\n`);
    expect(readdirSync(dir)).toEqual([]);
    expect(leftovers(tmp)).toEqual([]);
  });

  it('refuses a FIFO at once (no wait for a reader) and leaves it a FIFO', { timeout: SPAWN_TIMEOUT }, async () => {
    const dir = folder('fifo');
    const fifo = join(dir, 'course.yaml');
    execFileSync('mkfifo', [fifo]);
    const run = await cli(['export', '--out', fifo]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`--out ${fifo}: is a named pipe (FIFO), not a file; leave out --out to print to standard output\n`);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(leftovers(dir)).toEqual([]);
  });

  it('refuses a device, and a link to one', { timeout: SPAWN_TIMEOUT }, async () => {
    const dir = folder('device');
    // As root, a copy of /dev/null in the temp dir: a regression must not replace the machine's own.
    // Others cannot replace /dev/null, nor make a device.
    const device = process.getuid?.() === 0 ? mknodNull(join(dir, 'null')) : '/dev/null';
    const link = join(dir, 'null.ics');
    symlinkSync(device, link);
    const [direct, linked] = await Promise.all([cli(['calendar', '--out', device]), cli(['calendar', '--out', link])]);
    expect(direct.code).toBe(2);
    expect(direct.stderr).toBe(`--out ${device}: is a device, not a file; leave out --out to print to standard output\n`);
    expect(linked.code).toBe(2);
    expect(linked.stderr).toBe(`--out ${link}: (a link to ${device}) is a device, not a file; leave out --out to print to standard output\n`);
    expect(lstatSync(device).isCharacterDevice()).toBe(true);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(leftovers(dir)).toEqual([]);
  });

  it('wants a file name: not an empty one, nor one that ends in a slash', async () => {
    const dir = folder('names');
    const [empty, slash] = await Promise.all([
      runMain(['export', '--out', ''], { STATE_DB: join(tmp, 'state.db') }),
      runMain(['calendar', '--out', `${join(dir, 'course.ics')}/`], { STATE_DB: join(tmp, 'state.db') }),
    ]);
    expect(empty).toEqual({ code: 2, stdout: '', stderr: '--out needs a file name (leave it out to print to standard output)\n' });
    expect(slash).toEqual({ code: 2, stdout: '', stderr: `--out ${join(dir, 'course.ics')}/: names a folder; give a file name\n` });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses standard output given as a path (/dev/stdout is a pipe or a socket here)', { timeout: SPAWN_TIMEOUT }, async () => {
    const run = await cli(['calendar', '--out', '/dev/stdout']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^--out \/dev\/stdout: \(a link to .+\) is a (named pipe \(FIFO\)|socket), not a file/);
  });

  it('takes - for standard output, as most tools do, and writes no file named "-"', async () => {
    const dir = folder('dash');
    const run = await runMain(['calendar', '--out', '-'], { STATE_DB: join(tmp, 'state.db') });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/^BEGIN:VCALENDAR\r\n/);
    expect(existsSync(join(ROOT, '-'))).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('says so on standard error when the file it replaced had other hard links', async () => {
    const dir = folder('dash-links');
    const target = join(dir, 'course.ics');
    writeFileSync(target, 'old\n');
    linkSync(target, join(dir, 'published.ics'));
    const run = await runMain(['calendar', '--out', target], { STATE_DB: join(tmp, 'state.db') });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe(`--out ${target}: had another name (a hard link); only ${target} holds the new text, the other name keeps the old\n`);
    expect(readFileSync(target, 'utf8')).toMatch(/^BEGIN:VCALENDAR/);
    expect(readFileSync(join(dir, 'published.ics'), 'utf8')).toBe('old\n');
  });

  it('names a folder that does not exist', { timeout: SPAWN_TIMEOUT }, async () => {
    const missing = join(tmp, 'no-such-folder');
    const run = await cli(['export', '--out', join(missing, 'course.yaml')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(`--out ${join(missing, 'course.yaml')}: the folder ${missing} does not exist; create it first\n`);
    expect(existsSync(missing)).toBe(false);
  });

  it('says permission denied for a folder it cannot write (run unprivileged), leaving the file as it was', { timeout: SPAWN_TIMEOUT }, async () => {
    const dir = folder('read-only');
    const target = join(dir, 'course.yaml');
    writeFileSync(target, 'old: file\n');
    chmodSync(target, 0o666);
    chmodSync(dir, 0o555);
    // Root writes anywhere: run as nobody then.
    const asRoot = process.getuid?.() === 0;
    const run = await cli(['export', '--out', target], asRoot ? { uid: 65534, gid: 65534 } : {});
    chmodSync(dir, 0o755);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(`--out ${target}: cannot be written: permission denied (a file cannot be created or replaced in ${dir})\n`);
    expect(readFileSync(target, 'utf8')).toBe('old: file\n');
    expect(leftovers(dir)).toEqual([]);
  });
});

describe('what import reads', () => {
  it('refuses a FIFO, a device and a folder as the time plan at once, instead of waiting for them', { timeout: SPAWN_TIMEOUT }, async () => {
    const dir = folder('import-input');
    const fifo = join(dir, 'plan.md');
    execFileSync('mkfifo', [fifo]);
    const [fromFifo, fromDevice, fromFolder, missing, empty] = await Promise.all([
      cli(['import', fifo, '--start', '2027-01-04']),
      cli(['import', '/dev/zero', '--start', '2027-01-04']),
      runMain(['import', dir, '--start', '2027-01-04']),
      runMain(['import', join(dir, 'nothing.md'), '--start', '2027-01-04']),
      runMain(['import', '', '--start', '2027-01-04']),
    ]);
    const must = 'not a regular file: a time plan must be a regular file (a symlink to one is fine)';
    expect(fromFifo).toEqual({ code: 2, stdout: '', stderr: `${fifo}: is a named pipe (FIFO), ${must}\n` });
    expect(fromDevice).toEqual({ code: 2, stdout: '', stderr: `/dev/zero: is a device, ${must}\n` });
    expect(fromFolder).toEqual({ code: 2, stdout: '', stderr: `${dir}: is a directory, ${must}\n` });
    expect(missing).toEqual({ code: 2, stdout: '', stderr: `${join(dir, 'nothing.md')}: cannot be read: no such file\n` });
    expect(empty).toEqual({ code: 2, stdout: '', stderr: 'import needs the Markdown file of the time plan\n' });
  });

  it('reads the time plan as the course file is read: a link loop in plain words, and a size limit', async () => {
    const dir = folder('import-odd');
    symlinkSync(join(dir, 'b.md'), join(dir, 'a.md'));
    symlinkSync(join(dir, 'a.md'), join(dir, 'b.md'));
    writeFileSync(join(dir, 'huge.md'), `# Plan\n${'x'.repeat(11 * 1024 * 1024)}\n`);
    const [loop, huge] = await Promise.all([
      runMain(['import', join(dir, 'a.md'), '--start', '2027-01-04']),
      runMain(['import', join(dir, 'huge.md'), '--start', '2027-01-04']),
    ]);
    expect(loop).toEqual({ code: 2, stdout: '', stderr: `${join(dir, 'a.md')}: cannot be read: too many symlinks (a symlink loop?)\n` });
    expect(huge).toEqual({ code: 2, stdout: '', stderr: `${join(dir, 'huge.md')}: is 11.0 MB: a time plan may be at most 10 MB\n` });
  });
});

/** The course file, the time plan, `--out` and `STATE_DB` are checked by one function, and say the same. */
describe('a FIFO wherever a file is expected', () => {
  it('is named the same way by every command', async () => {
    const dir = folder('fifo-everywhere');
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const env = { STATE_DB: join(dir, 'state.db') };
    const runs = await Promise.all([
      runMain(['validate', fifo]),
      runMain(['import', fifo, '--start', '2027-01-04']),
      runMain(['export', '--out', fifo], env),
      runMain(['ask', '/today', '--state-db', fifo]),
    ]);
    expect(runs.map((run) => run.code)).toEqual([1, 2, 2, 1]);
    for (const run of runs) expect(run.stderr.trim().split('\n').at(-1)).toContain('is a named pipe (FIFO), not a');
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });
});

describe('standard output that cannot be written, through the real CLI', () => {
  it('a full device (> /dev/full) is one line on stderr and exit 1', { timeout: SPAWN_TIMEOUT }, async () => {
    const full = openSync('/dev/full', 'w');
    try {
      const run = await cli(['export'], { stdout: full });
      expect(run.code).toBe(1);
      expect(run.stderr).toBe('Cannot write to standard output: no space left on the device\n');
    } finally {
      closeSync(full);
    }
  });

  it('a reader that went away (| head -1) ends the command quietly with 141, as SIGPIPE would', { timeout: SPAWN_TIMEOUT }, async () => {
    const run = await cli(['calendar'], { stdout: 'closed' });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(141);
  });
});

describe('writeFileAtomically', () => {
  it('leaves the old file and no temporary file when the disk is full (ENOSPC)', () => {
    const dir = folder('enospc');
    const target = join(dir, 'course.yaml');
    writeFileSync(target, 'old: file\n');
    const full = (fd: number, text: string) => {
      writeFileSync(fd, text.slice(0, 10));
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    };
    let error: unknown;
    try {
      writeFileAtomically(target, 'new: file\n'.repeat(100), { write: full });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(OutputError);
    expect(error).toMatchObject({ message: `--out ${target}: cannot be written: no space left on the device`, code: 'ENOSPC', usage: false });
    expect(readFileSync(target, 'utf8')).toBe('old: file\n');
    expect(leftovers(dir)).toEqual([]);
  });

  it('keeps the mode of the file it replaces, whatever the umask; a new file gets the umask', () => {
    const dir = folder('modes');
    const kept = join(dir, 'kept.yaml');
    writeFileSync(kept, 'old\n');
    chmodSync(kept, 0o604);
    const before = process.umask(0o077);
    try {
      writeFileAtomically(kept, 'new\n');
      writeFileAtomically(join(dir, 'fresh.yaml'), 'new\n');
    } finally {
      process.umask(before);
    }
    expect(statSync(kept).mode & 0o777).toBe(0o604);
    expect(readFileSync(kept, 'utf8')).toBe('new\n');
    expect(statSync(join(dir, 'fresh.yaml')).mode & 0o777).toBe(0o600);
    expect(leftovers(dir)).toEqual([]);
  });

  it('gives the new file the owner and group of the one it replaces (root writing a user’s file)', (context) => {
    if (process.getuid?.() !== 0) context.skip('needs root to hand a file to another user');
    const dir = folder('owner');
    const target = join(dir, 'course.yaml');
    writeFileSync(target, 'old\n');
    chmodSync(target, 0o600);
    chownSync(target, 65534, 65534);
    expect(writeFileAtomically(target, 'new\n')).toEqual({ otherLinks: 0 });
    expect(statSync(target)).toMatchObject({ uid: 65534, gid: 65534 });
    expect(statSync(target).mode & 0o777).toBe(0o600);
    expect(readFileSync(target, 'utf8')).toBe('new\n');
    expect(leftovers(dir)).toEqual([]);
  });

  it('refuses a read-only file (0444), even as root, and leaves it as it was', () => {
    const dir = folder('read-only-file');
    const target = join(dir, 'course.yaml');
    writeFileSync(target, 'old\n');
    chmodSync(target, 0o444);
    expect(() => writeFileAtomically(target, 'new\n', { shown: 'course.yaml' })).toThrow(
      new OutputError('--out course.yaml: is read-only (mode 0444); make it writable (chmod u+w) or give another file', true),
    );
    expect(readFileSync(target, 'utf8')).toBe('old\n');
    expect(statSync(target).mode & 0o777).toBe(0o444);
    expect(leftovers(dir)).toEqual([]);
  });

  it('replaces a file with other hard links under its own name only, and says how many other names keep the old text', () => {
    const dir = folder('hard-links');
    const target = join(dir, 'course.yaml');
    writeFileSync(target, 'old\n');
    linkSync(target, join(dir, 'backup.yaml'));
    linkSync(target, join(dir, 'copy.yaml'));
    expect(writeFileAtomically(target, 'new\n')).toEqual({ otherLinks: 2 });
    expect(readFileSync(target, 'utf8')).toBe('new\n');
    expect(readFileSync(join(dir, 'backup.yaml'), 'utf8')).toBe('old\n');
    expect(writeFileAtomically(target, 'newer\n')).toEqual({ otherLinks: 0 });
  });

  it('refuses a loop of links and a path through a file', () => {
    const dir = folder('odd');
    symlinkSync('b', join(dir, 'a'));
    symlinkSync('a', join(dir, 'b'));
    writeFileSync(join(dir, 'file'), 'x');
    expect(() => writeFileAtomically(join(dir, 'a'), 'x')).toThrow(`--out ${join(dir, 'a')}: too many symbolic links (a loop?)`);
    expect(() => writeFileAtomically(join(dir, 'file', 'course.yaml'), 'x')).toThrow(
      `--out ${join(dir, 'file', 'course.yaml')}: ${join(dir, 'file')} is not a folder`,
    );
    expect(leftovers(dir)).toEqual([]);
  });

  it('resolves a relative link from the real folder of the link, as the kernel does', () => {
    const dir = folder('relative');
    mkdirSync(join(dir, 'real'));
    mkdirSync(join(dir, 'real', 'out'));
    symlinkSync('real', join(dir, 'alias'));
    symlinkSync('out/course.yaml', join(dir, 'real', 'link.yaml'));
    writeFileAtomically(join(dir, 'alias', 'link.yaml'), 'through\n');
    expect(readFileSync(join(dir, 'real', 'out', 'course.yaml'), 'utf8')).toBe('through\n');
    expect(lstatSync(join(dir, 'real', 'link.yaml')).isSymbolicLink()).toBe(true);
  });
});

describe('writeToStream', () => {
  it('turns an error of the stream into an OutputError instead of an unhandled error event', async () => {
    const stream = new PassThrough({
      write(_chunk, _encoding, done) {
        done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    const error = await writeToStream(stream, 'text\n').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OutputError);
    expect(error).toMatchObject({ code: 'EPIPE', usage: false });
  });
});
