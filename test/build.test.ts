import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, type Run, SPAWN_TIMEOUT, runChild } from './support/child.js';

let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'course-bot-build-'));
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/**
 * A copy of the package in the temp dir: the sources, the scripts that build and start it, the course, and
 * (unless left out) the dist/ the test run's global setup compiled from the same sources, as an earlier build.
 * `node_modules` is the repository's, or one without TypeScript (a production install).
 */
function copyPackage(name: string, parts: { src?: boolean; dist?: boolean; typescript?: boolean } = {}): string {
  const dir = join(tmp, name);
  mkdirSync(dir);
  for (const file of ['package.json', 'tsconfig.json', 'tsconfig.build.json']) cpSync(join(ROOT, file), join(dir, file));
  for (const folder of ['bin', 'scripts', 'data']) cpSync(join(ROOT, folder), join(dir, folder), { recursive: true });
  if (parts.src ?? true) cpSync(join(ROOT, 'src'), join(dir, 'src'), { recursive: true });
  if (parts.dist ?? true) cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
  const modules = realpathSync(join(ROOT, 'node_modules'));
  if (parts.typescript ?? true) {
    symlinkSync(modules, join(dir, 'node_modules'));
  } else {
    mkdirSync(join(dir, 'node_modules'));
    for (const entry of readdirSync(modules)) {
      if (entry !== 'typescript' && entry !== '.bin') symlinkSync(join(modules, entry), join(dir, 'node_modules', entry));
    }
  }
  return dir;
}

/** `course-bot validate` as `npx course-bot` runs it, in the copy. */
function validate(dir: string, entry: readonly string[] = ['bin/course-bot.js']): Promise<Run> {
  return runChild(process.execPath, [join(dir, entry[0]!), ...entry.slice(1), 'validate'], { env: { STATE_DB: join(dir, 'state.db') } });
}

/** Replaces `from` with `to` in a source file of the copy. */
function edit(dir: string, file: string, from: string, to: string): void {
  const path = join(dir, 'src', file);
  const text = readFileSync(path, 'utf8');
  expect(text).toContain(from);
  writeFileSync(path, text.replaceAll(from, to));
}

function leftovers(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.startsWith('dist.'));
}

describe('course-bot runs the source as it is now (bin/course-bot.js and scripts/build.js)', () => {
  it('runs an earlier build while it is current, and compiles an edited file before it runs', { timeout: SPAWN_TIMEOUT * 2 }, async () => {
    const dir = copyPackage('edit');
    const before = await validate(dir);
    expect(before.stderr).toBe('');
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(/^data\/course\.yaml: valid\. Machine Learning Operations/);

    edit(dir, 'cli/validate.ts', ': valid. ${', ': fine. ${');
    const after = await validate(dir);
    expect(after.code).toBe(0);
    expect(after.stderr).toBe('Compiling src/cli/validate.ts to dist/ …\n');
    expect(after.stdout).toMatch(/^data\/course\.yaml: fine\. Machine Learning Operations/);
    expect(readFileSync(join(dir, 'dist/cli/validate.js'), 'utf8')).toContain(': fine. ${');

    const again = await validate(dir);
    expect(again.stderr).toBe('');
    expect(again.stdout).toBe(after.stdout);
    expect(leftovers(dir)).toEqual([]);
  });

  it('compiles once when several start at once after an edit, and every one runs the new source', { timeout: SPAWN_TIMEOUT * 2 }, async () => {
    const dir = copyPackage('concurrent');
    edit(dir, 'course-file/summary.ts', '${weeks === 1 ? ', '${weeks === 1 ? "WEEK" : "WEEKS"} ${weeks === 1 ? ');
    const runs = await Promise.all([1, 2, 3, 4].map(() => validate(dir)));
    for (const run of runs) {
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('(mlops): 3 WEEKS weeks, 15 sessions');
    }
    expect(runs.filter((run) => run.stderr === 'Compiling src/course-file/summary.ts to dist/ …\n')).toHaveLength(1);
    // The others waited for it (saying so when that took a while on a busy machine), then ran what it compiled.
    const waited = runs.filter((run) => !run.stderr.startsWith('Compiling'));
    expect(waited).toHaveLength(3);
    for (const run of waited) expect(run.stderr).toMatch(/^(Waiting for another build of dist\/ to finish \(.+dist\.lock\) …\n)?$/);
    expect(leftovers(dir)).toEqual([]);
  });

  it('compiles everything when there is no dist/ yet, and drops what belongs to a removed source', { timeout: SPAWN_TIMEOUT * 2 }, async () => {
    const dir = copyPackage('fresh', { dist: false });
    const first = await validate(dir);
    expect(first.code).toBe(0);
    expect(first.stderr).toBe('Compiling src/ to dist/ …\n');
    expect(first.stdout).toContain(': valid. ');
    expect(existsSync(join(dir, 'dist/.build.json'))).toBe(true);

    writeFileSync(join(dir, 'src/unused.ts'), 'export const unused = 1;\n');
    const added = await validate(dir);
    expect(added.stderr).toBe('Compiling src/unused.ts to dist/ …\n');
    expect(existsSync(join(dir, 'dist/unused.js'))).toBe(true);
    rmSync(join(dir, 'src/unused.ts'));
    const removed = await validate(dir);
    expect(removed.code).toBe(0);
    expect(existsSync(join(dir, 'dist/unused.js'))).toBe(false);
    expect(existsSync(join(dir, 'dist/unused.js.map'))).toBe(false);
  });

  it('takes over the lock of a build that died, and removes what it left', { timeout: SPAWN_TIMEOUT }, async () => {
    const dir = copyPackage('died');
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    mkdirSync(join(dir, 'dist.lock'));
    writeFileSync(join(dir, 'dist.lock', 'owner'), String(gone));
    mkdirSync(join(dir, `dist.tmp-${gone}-0123abcd`));
    edit(dir, 'cli/validate.ts', ': valid. ${', ': fine. ${');
    const run = await validate(dir);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('Compiling src/cli/validate.ts to dist/ …\n');
    expect(run.stdout).toContain(': fine. ');
    expect(leftovers(dir)).toEqual([]);
  });

  it('stops at a syntax error, naming its place, and leaves dist/ as it was', { timeout: SPAWN_TIMEOUT }, async () => {
    const dir = copyPackage('syntax');
    const compiled = readFileSync(join(dir, 'dist/core/clock.js'), 'utf8');
    edit(dir, 'core/clock.ts', 'export const systemClock', 'export const = ;\nexport const systemClock');
    const run = await validate(dir);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^Compiling src\/core\/clock\.ts to dist\/ …\nsrc\/core\/clock\.ts:8:14 Variable declaration expected\.\n/);
    expect(run.stderr).toContain('The build stopped: fix the errors above (dist/ is left as it was).\n');
    expect(readFileSync(join(dir, 'dist/core/clock.js'), 'utf8')).toBe(compiled);
    expect(leftovers(dir)).toEqual([]);
  });

  it('without TypeScript (a production install), a stale dist/ is one line saying what to run', { timeout: SPAWN_TIMEOUT }, async () => {
    const dir = copyPackage('production', { typescript: false });
    const current = await validate(dir);
    expect(current.code).toBe(0);
    expect(current.stdout).toContain(': valid. ');
    edit(dir, 'cli/validate.ts', ': valid. ${', ': fine. ${');
    const stale = await validate(dir);
    expect(stale.code).toBe(1);
    expect(stale.stdout).toBe('');
    expect(stale.stderr).toBe('dist/ is older than src/, and TypeScript is not installed here to compile it: run npm install, then npm run build.\n');
  });

  it('runs dist/ where there is no src/ (the Docker image), and npm\'s prepare step skips quietly there', { timeout: SPAWN_TIMEOUT }, async () => {
    const dir = copyPackage('image', { src: false });
    const [bin, direct, prepare] = await Promise.all([
      validate(dir),
      validate(dir, ['dist/cli.js']),
      runChild(process.execPath, [join(dir, 'scripts/build.js'), '--prepare']),
    ]);
    expect(bin.stderr).toBe('');
    expect(bin.code).toBe(0);
    expect(bin.stdout).toContain(': valid. Machine Learning Operations');
    expect(direct.stdout).toBe(bin.stdout);
    expect(prepare).toEqual({ code: 0, stdout: '', stderr: '' });
  });
});
