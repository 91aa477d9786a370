import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, SPAWN_TIMEOUT, runCli } from '../support/child.js';

let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'course-bot-modules-'));
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** The packages a run of the CLI loaded (`@scope/name` or `name`), from node_modules or bundled in dist/, sorted. */
async function packagesLoaded(
  name: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<{ code: number | null; stderr: string; packages: string[]; ours: string[] }> {
  const trace = join(tmp, `${name}.txt`);
  const hook = pathToFileURL(join(ROOT, 'test/support/module-trace.mjs')).href;
  const run = await runCli(args, {
    env: { MODULE_TRACE: trace, NODE_OPTIONS: `--import ${hook}`, STATE_DB: join(tmp, `${name}-state.db`), ...env },
  });
  const lines = readFileSync(trace, 'utf8').split('\n');
  const packages = new Set(lines.map((line) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(line)?.[1]).filter((found) => found !== undefined));
  // Our own modules: dist/'s entry and the chunks it loaded (the pure-JavaScript packages are bundled into them).
  const dist = `${ROOT}/dist/`;
  const ours = new Set(
    lines.map((line) => (line.includes(dist) ? /\/dist\/([^/?]+\.js)/.exec(line.slice(line.indexOf(dist) + ROOT.length))?.[1] : undefined)).filter((found) => found !== undefined),
  );
  // A bundled package counts as loaded when a chunk that holds it was: esbuild marks each package's code with a
  // `// node_modules/<package>/<file>` line.
  for (const file of ours) {
    for (const [, found] of readFileSync(join(ROOT, 'dist', file), 'utf8').matchAll(/^\/\/ (?:\S*\/)?node_modules\/((?:@[^/]+\/)?[^/\n]+)\//gm)) packages.add(found!);
  }
  return { code: run.code, stderr: run.stderr, packages: [...packages].sort(), ours: [...ours].sort() };
}

/** What only the commands that connect (or read a state database) need. */
const PLATFORM_OR_DATABASE = /^(discord\.js|@discordjs\/.*|@slack\/.*|better-sqlite3|pg|pg-.*|ws|undici|node-cron|prom-client)$/;

/** What only a course file with `plan:` (the Markdown importer) or a command that logs needs. */
const MARKDOWN_OR_LOGGER = /^(mdast-.*|micromark.*|pino.*)$/;

describe('CLI commands that do not connect load neither discord.js nor SQLite', () => {
  it('validate of the seed course loads the course modules only', { timeout: SPAWN_TIMEOUT }, async () => {
    const run = await packagesLoaded('validate', ['validate']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    // The trace works: the entry and what reading a course file needs are there (bundled in dist/'s chunks).
    expect(run.ours).toContain('cli.js');
    expect(run.packages).toEqual(expect.arrayContaining(['commander', 'luxon', 'yaml', 'zod']));
    expect(run.packages.filter((name) => PLATFORM_OR_DATABASE.test(name))).toEqual([]);
    // A course file without plan: needs no Markdown importer, and validate logs nothing: no pino.
    expect(run.packages.filter((name) => MARKDOWN_OR_LOGGER.test(name))).toEqual([]);
    // zod's messages in English only: `import { z }` kept all of its 50 languages (550 kB of the bundle) in every run.
    const locales = run.ours.flatMap((file) => [...readFileSync(join(ROOT, 'dist', file), 'utf8').matchAll(/^\/\/ (?:\S*\/)?node_modules\/zod\/v4\/locales\/([^\n]+)$/gm)].map((found) => found[1]));
    expect(locales).toEqual(['en.js']);
  });

  it('validate of a course file with plan: loads the Markdown importer for it', { timeout: SPAWN_TIMEOUT }, async () => {
    const course = join(tmp, 'planned.yaml');
    writeFileSync(course, `course: { id: planned, name: Planned, timezone: Europe/Copenhagen }\nplan:\n  source: ${join(ROOT, 'test/fixtures/plans/iso-weekly.md')}\n`);
    const run = await packagesLoaded('validate-plan', ['validate', course]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.packages).toEqual(expect.arrayContaining(['mdast-util-from-markdown', 'micromark']));
  });

  it('export, calendar and import (no state database yet) load no platform and no database driver', { timeout: SPAWN_TIMEOUT }, async () => {
    const runs = await Promise.all([
      packagesLoaded('export', ['export', '--out', join(tmp, 'course.yaml')]),
      packagesLoaded('calendar', ['calendar', '--out', join(tmp, 'course.ics')]),
      packagesLoaded('import', ['import', 'test/fixtures/plans/iso-weekly.md', '--out', join(tmp, 'imported.yaml')]),
    ]);
    for (const run of runs) {
      expect(run.code, run.stderr).toBe(0);
      expect(run.ours).toContain('cli.js');
      expect(run.packages.filter((name) => PLATFORM_OR_DATABASE.test(name))).toEqual([]);
    }
  });

  it('the running bot loads the Markdown importer only for a course with plan:', { timeout: SPAWN_TIMEOUT }, async () => {
    const course = join(tmp, 'planned-start.yaml');
    writeFileSync(course, `course: { id: planned, name: Planned, timezone: Europe/Copenhagen }\nplan:\n  source: ${join(ROOT, 'test/fixtures/plans/iso-weekly.md')}\n`);
    // No platform token: the terminal chat, which ends with its input.
    const [plain, planned] = await Promise.all([
      packagesLoaded('start', ['start'], { LOG_LEVEL: 'warn' }),
      packagesLoaded('start-plan', ['start'], { LOG_LEVEL: 'warn', COURSE_FILE: course }),
    ]);
    for (const run of [plain, planned]) expect(run.code, run.stderr).toBe(0);
    expect(plain.packages.filter((name) => /^(mdast-.*|micromark.*)$/.test(name))).toEqual([]);
    expect(planned.packages).toEqual(expect.arrayContaining(['mdast-util-from-markdown', 'micromark']));
  });

  it('the trace does see discord.js loaded by a command that connects', { timeout: SPAWN_TIMEOUT }, async () => {
    // Looks the application id up (nothing listens on port 9: it fails, once discord.js is loaded).
    const run = await packagesLoaded('invite', ['invite-url'], { DISCORD_TOKEN: 'MTIz.abc.def', DISCORD_API_URL: 'http://127.0.0.1:9' });
    expect(run.stderr).toBe('Could not reach Discord (connect ECONNREFUSED 127.0.0.1:9): check the network and DISCORD_API_URL.\n');
    expect(run.packages).toContain('discord.js');
  });
});
