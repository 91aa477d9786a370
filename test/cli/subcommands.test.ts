import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/child.js';
import { runMain } from '../support/main.js';

const SUBCOMMANDS = [
  'start',
  'ask',
  'validate',
  'plan',
  'import',
  'export',
  'reminders',
  'calendar',
  'invite-url',
  'slack-manifest',
  'register-commands',
  'announce',
  'migrate',
];

/** The modules a file imports at load time (not `import()` inside an action). */
function staticImports(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/^import\s(?!type\b)[^;]*?from '([^']+)';/gms)].map((match) => match[1]!);
}

describe('the command line: one file per subcommand', () => {
  it('lists every subcommand, in order, each registered from its own file under src/cli/', async () => {
    const help = await runMain(['--help']);
    expect(help.code).toBe(0);
    const listed = [...help.stdout.split('Commands:')[1]!.matchAll(/^ {2}([a-z-]+)\b/gm)].map((match) => match[1]).filter((name) => name !== 'help');
    expect(listed).toEqual(SUBCOMMANDS);
    const files = readdirSync(join(ROOT, 'src/cli'));
    for (const name of SUBCOMMANDS) expect(files).toContain(`${name}.ts`);
  });

  it('a subcommand file loads nothing heavy until its command runs: no platform SDK, database or bot', () => {
    const heavy = /^(discord\.js|@slack\/|better-sqlite3|pg)|\/(main|platforms\/(discord|slack)\/[a-z-]+|store\/sqlite-store|courses\/runtime)\.js$/;
    for (const name of SUBCOMMANDS) {
      const imports = staticImports(join(ROOT, 'src/cli', `${name}.ts`));
      expect({ name, heavy: imports.filter((module) => heavy.test(module)) }).toEqual({ name, heavy: [] });
    }
  });
});
