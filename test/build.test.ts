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
 * `node_modules` is the repository's, or one without esbuild (a production install: it is a dev dependency).
 */
function copyPackage(name: string, parts: { src?: boolean; dist?: boolean; esbuild?: boolean } = {}): string {
  const dir = join(tmp, name);
  mkdirSync(dir);
  for (const file of ['package.json', 'tsconfig.json', 'tsconfig.build.json']) cpSync(join(ROOT, file), join(dir, file));
  for (const folder of ['bin', 'scripts', 'data']) cpSync(join(ROOT, folder), join(dir, folder), { recursive: true });
  if (parts.src ?? true) cpSync(join(ROOT, 'src'), join(dir, 'src'), { recursive: true });
  if (parts.dist ?? true) cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
  const modules = realpathSync(join(ROOT, 'node_modules'));
  if (parts.esbuild ?? true) {
    symlinkSync(modules, join(dir, 'node_modules'));
  } else {
    mkdirSync(join(dir, 'node_modules'));
    for (const entry of readdirSync(modules)) {
      if (entry !== 'esbuild' && entry !== '@esbuild' && entry !== '.bin') symlinkSync(join(modules, entry), join(dir, 'node_modules', entry));
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

/** The JavaScript files the last build wrote (dist/.build.json lists them; the previous build's stay beside them). */
function outputs(dir: string): string[] {
  return (JSON.parse(readFileSync(join(dir, 'dist/.build.json'), 'utf8')) as { outputs: string[] }).outputs;
}

/** Every JavaScript file the last build wrote, by name, in one text. */
function built(dir: string): string {
  return outputs(dir)
    .map((name) => `// ${name}\n${readFileSync(join(dir, 'dist', name), 'utf8')}`)
    .join('\n');
}

function leftovers(dir: string): string[] {
  return readdirSync(dir).filter((name) => name.startsWith('dist.'));
}

describe('course-bot runs the source as it is now (bin/course-bot.js and scripts/build.js)', () => {
  it('runs an earlier build while it is current, and builds again after an edit before it runs', { timeout: SPAWN_TIMEOUT * 2 }, async () => {
    const dir = copyPackage('edit');
    const before = await validate(dir);
    expect(before.stderr).toBe('');
    expect(before.code).toBe(0);
    expect(before.stdout).toMatch(/^data\/course\.yaml: valid\. Machine Learning Operations/);

    edit(dir, 'cli/validate.ts', ': valid. ${', ': fine. ${');
    const after = await validate(dir);
    expect(after.code).toBe(0);
    expect(after.stderr).toBe('Building dist/ from src/cli/validate.ts …\n');
    expect(after.stdout).toMatch(/^data\/course\.yaml: fine\. Machine Learning Operations/);
    expect(built(dir)).toContain(': fine. ${');

    const again = await validate(dir);
    expect(again.stderr).toBe('');
    expect(again.stdout).toBe(after.stdout);
    expect(leftovers(dir)).toEqual([]);
  });

  it('builds once when several start at once after an edit, and every one runs the new source', { timeout: SPAWN_TIMEOUT * 2 }, async () => {
    const dir = copyPackage('concurrent');
    edit(dir, 'course-file/summary.ts', '${weeks === 1 ? ', '${weeks === 1 ? "WEEK" : "WEEKS"} ${weeks === 1 ? ');
    const runs = await Promise.all([1, 2, 3, 4].map(() => validate(dir)));
    for (const run of runs) {
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('(mlops): 3 WEEKS weeks, 15 sessions');
    }
    expect(runs.filter((run) => run.stderr === 'Building dist/ from src/course-file/summary.ts …\n')).toHaveLength(1);
    // The others waited for it (saying so when that took a while on a busy machine), then ran what it built.
    const waited = runs.filter((run) => !run.stderr.startsWith('Building'));
    expect(waited).toHaveLength(3);
    for (const run of waited) expect(run.stderr).toMatch(/^(Waiting for another build of dist\/ to finish \(.+dist\.lock\) …\n)?$/);
    expect(leftovers(dir)).toEqual([]);
  });

  it('builds everything when there is no dist/ yet, and drops what belongs to a removed source', { timeout: SPAWN_TIMEOUT * 2 }, async () => {
    const dir = copyPackage('fresh', { dist: false });
    const first = await validate(dir);
    expect(first.code).toBe(0);
    expect(first.stderr).toBe('Building dist/ from src/ …\n');
    expect(first.stdout).toContain(': valid. ');
    expect(existsSync(join(dir, 'dist/.build.json'))).toBe(true);
    expect(existsSync(join(dir, 'dist/cli.js'))).toBe(true);

    // A new module, used by validate: in the next build; gone from dist/ once its source is removed.
    writeFileSync(join(dir, 'src/extra.ts'), "(globalThis as Record<string, unknown>).courseBotExtra = 'EXTRA-MODULE-MARKER';\n");
    const validateSource = readFileSync(join(dir, 'src/cli/validate.ts'), 'utf8');
    writeFileSync(join(dir, 'src/cli/validate.ts'), `import '../extra.js';\n${validateSource}`);
    const added = await validate(dir);
    expect(added.stderr).toBe('Building dist/ from 2 changed files …\n');
    expect(built(dir)).toContain('EXTRA-MODULE-MARKER');
    writeFileSync(join(dir, 'src/cli/validate.ts'), validateSource);
    rmSync(join(dir, 'src/extra.ts'));
    const removed = await validate(dir);
    expect(removed.code).toBe(0);
    expect(removed.stderr).toBe('Building dist/ from 2 changed files …\n');
    expect(built(dir)).not.toContain('EXTRA-MODULE-MARKER');
  });

  it('keeps the previous build\'s chunks for a bot started from it, and drops those of the build before', { timeout: SPAWN_TIMEOUT * 2 }, async () => {
    const dir = copyPackage('generations');
    const first = outputs(dir);
    edit(dir, 'cli/validate.ts', ': valid. ${', ': fine. ${');
    expect((await validate(dir)).stdout).toContain(': fine. ');
    const second = outputs(dir);
    const js = () => readdirSync(join(dir, 'dist')).filter((name) => name.endsWith('.js'));
    // A bot that loaded the first build's cli.js can still import each of its chunks.
    expect(js()).toEqual(expect.arrayContaining([...first, ...second]));
    edit(dir, 'cli/validate.ts', ': fine. ${', ': good. ${');
    expect((await validate(dir)).stdout).toContain(': good. ');
    const onlyFirst = first.filter((name) => !second.includes(name) && !outputs(dir).includes(name));
    expect(onlyFirst.length).toBeGreaterThan(0);
    for (const name of onlyFirst) expect(js()).not.toContain(name);
    expect(js()).toEqual(expect.arrayContaining([...second, ...outputs(dir)]));
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
    expect(run.stderr).toBe('Building dist/ from src/cli/validate.ts …\n');
    expect(run.stdout).toContain(': fine. ');
    expect(leftovers(dir)).toEqual([]);
  });

  it('stops at a syntax error, naming its place, and leaves dist/ as it was', { timeout: SPAWN_TIMEOUT }, async () => {
    const dir = copyPackage('syntax');
    const compiled = built(dir);
    edit(dir, 'core/clock.ts', 'export const systemClock', 'export const = ;\nexport const systemClock');
    const run = await validate(dir);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/^Building dist\/ from src\/core\/clock\.ts …\nsrc\/core\/clock\.ts:8:14 Expected identifier but found "="\n/);
    expect(run.stderr).toContain('The build stopped: fix the errors above (dist/ is left as it was).\n');
    expect(built(dir)).toBe(compiled);
    expect(leftovers(dir)).toEqual([]);
  });

  it('without esbuild (a production install), a stale dist/ is one line saying what to run', { timeout: SPAWN_TIMEOUT }, async () => {
    const dir = copyPackage('production', { esbuild: false });
    const current = await validate(dir);
    expect(current.code).toBe(0);
    expect(current.stdout).toContain(': valid. ');
    edit(dir, 'cli/validate.ts', ': valid. ${', ': fine. ${');
    const stale = await validate(dir);
    expect(stale.code).toBe(1);
    expect(stale.stdout).toBe('');
    expect(stale.stderr).toBe('dist/ is older than src/, and esbuild (a dev dependency) is not installed here to build it: run npm install, then npm run build.\n');
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
