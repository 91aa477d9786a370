import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/child.js';
import { lineShape } from '../support/course-file.js';

const TIMEOUT = 60_000;
const seed = readFileSync('data/course.yaml', 'utf8');
// Made before the tests, not when they are collected: a run that filters them all out leaves nothing.
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'course-bot-validate-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

/** stderr as lines; each problem line must have the documented shape. */
function problemLines(stderr: string, path: string): string[] {
  const lines = stderr.trimEnd().split('\n');
  for (const line of lines.slice(1)) expect(line).toMatch(lineShape(path));
  return lines;
}

const aliasBomb = `${['x-0: &a0 [x, x, x, x, x, x, x, x, x, x]', ...[1, 2, 3, 4, 5, 6, 7].map((level) => `x-${level}: &a${level} [${Array(10).fill(`*a${level - 1}`).join(', ')}]`)].join('\n')}\n${seed}`;

describe('course-bot validate on course files that used to crash or hang it', () => {
  it('prints only the problem of a week number typed as a date, and exits 1', { timeout: TIMEOUT }, async () => {
    const path = file('typo.yaml', seed.replace('  - number: 2\n', '  - number: 20270104\n'));
    const run = await runCli(['validate', path]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(problemLines(run.stderr, path)).toEqual([
      `${path}: 1 problem`,
      `${path}:42:5 weeks[1].number: 20270104 is too large: week numbers go up to 5,000 (counted from the course start)`,
    ]);
  });

  it('prints only the limit an alias bomb exceeds, and exits 1', { timeout: TIMEOUT }, async () => {
    const path = file('bomb.yaml', aliasBomb);
    const run = await runCli(['validate', path]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(problemLines(run.stderr, path)).toEqual([
      `${path}: 1 problem`,
      `${path}:6:10 with its aliases (*name) expanded, the file holds more than 500,000 values; ` +
        'a course file may hold at most that many (repeat fewer aliases, or nest them less)',
    ]);
  });

  it('refuses a FIFO at once instead of waiting on it, and exits 1', { timeout: TIMEOUT }, async () => {
    const path = join(dir, 'fifo.yaml');
    execFileSync('mkfifo', [path]);
    // A reader that blocked would get a valid course from this writer (and fail the test) rather than hang.
    const writer = spawn('sh', ['-c', 'cat "$1" > "$2"', 'sh', 'data/course.yaml', path], { stdio: 'ignore' });
    const closed = new Promise((resolve) => writer.once('close', resolve));
    try {
      const run = await runCli(['validate', path]);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(problemLines(run.stderr, path)).toEqual([
        `${path}: 1 problem`,
        `${path} is a named pipe (FIFO), not a regular file: a course file must be a regular file (a symlink to one is fine)`,
      ]);
    } finally {
      writer.kill();
      await closed;
    }
  });

  it('tells to save a UTF-16 file as UTF-8, and exits 1', { timeout: TIMEOUT }, async () => {
    const path = file('utf16.yaml', Buffer.from(`\ufeff${seed}`, 'utf16le'));
    const run = await runCli(['validate', path]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(problemLines(run.stderr, path)).toEqual([
      `${path}: 1 problem`,
      `${path} is UTF-16 text (it starts with a byte order mark for it): save it as UTF-8 (in most editors: "Save with encoding" or "File encoding", then UTF-8)`,
    ]);
  });
});

describe('course-bot validate with an empty file name', () => {
  it('asks for a file name instead of checking the configured file and calling it valid, and exits 2', { timeout: TIMEOUT }, async () => {
    const run = await runCli(['validate', ''], { env: { COURSE_FILE: 'data/course.yaml' } });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.trimEnd()).toBe('validate needs a file name (leave it out to check the configured course file)');
  });
});

describe('course-bot start on a course file that used to crash it', () => {
  it('exits 1 with the problem lines and no stack trace, before opening anything', { timeout: TIMEOUT }, async () => {
    const path = file('nested.yaml', `${seed}x-deep:\n${Array.from({ length: 2000 }, (_, depth) => `${' '.repeat(depth + 1)}a:`).join('\n')} 1\n`);
    const db = join(dir, 'start.db');
    const run = await runCli(['start'], { env: { COURSE_FILE: path, STATE_DB: db } });
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(problemLines(run.stderr, path)).toEqual([
      `${path}: 1 problem`,
      `${path}:238:65 mappings and lists are nested more than 64 levels deep here; a course file may nest at most 64 (it needs about 6)`,
    ]);
    expect(existsSync(db)).toBe(false);
  });
});
