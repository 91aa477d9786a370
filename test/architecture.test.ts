import { readFileSync, readdirSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(ROOT, 'src');
const CORE = join(SRC, 'core');

/** The only packages `src/core` may import. */
const CORE_PACKAGES = new Set(['zod', 'luxon']);

/** Every `.ts` file under `dir`, recursively, sorted. */
function tsFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

function parse(fileName: string, source: string): ts.SourceFile {
  return ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
}

function walk(node: ts.Node, visit: (node: ts.Node) => void): void {
  visit(node);
  node.forEachChild((child) => walk(child, visit));
}

/**
 * Every module a source file imports: static `import … from`, side-effect `import '…'`, `export … from`,
 * `import x = require('…')`, dynamic `import('…')` and type-level `import('…')`.
 * A dynamic import whose argument is not a string literal is reported as `<dynamic: …>`.
 * Comments and string contents are not imports (the file is parsed, not grepped).
 */
function extractImports(source: string, fileName = 'sample.ts'): string[] {
  const found: string[] = [];
  walk(parse(fileName, source), (node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      if (ts.isStringLiteral(node.moduleSpecifier)) found.push(node.moduleSpecifier.text);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      const expression = node.moduleReference.expression;
      if (ts.isStringLiteral(expression)) found.push(expression.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const [argument] = node.arguments;
      found.push(argument && ts.isStringLiteralLike(argument) ? argument.text : `<dynamic: ${node.getText()}>`);
    } else if (ts.isImportTypeNode(node)) {
      const argument = node.argument;
      if (ts.isLiteralTypeNode(argument) && ts.isStringLiteral(argument.literal)) found.push(argument.literal.text);
    }
  });
  return found;
}

/** The imports of a file in `src/core` that break the rule: anything but zod, luxon or a path inside core. */
function coreImportViolations(file: string, source: string): string[] {
  return extractImports(source, file).filter((specifier) => {
    if (CORE_PACKAGES.has(specifier)) return false;
    if (specifier.startsWith('./') || specifier.startsWith('../')) {
      const target = relative(CORE, resolve(dirname(file), specifier));
      return target === '' || target.startsWith('..') || isAbsolute(target);
    }
    return true;
  });
}

/** Lines that use `console.*`. */
function consoleUses(source: string, fileName = 'sample.ts'): string[] {
  const file = parse(fileName, source);
  const found: string[] = [];
  walk(file, (node) => {
    if (
      (ts.isPropertyAccessExpression(node) || ts.isElementAccessExpression(node)) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'console'
    ) {
      found.push(`line ${file.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${node.getText()}`);
    }
  });
  return found;
}

function isProcess(node: ts.Node): boolean {
  if (ts.isIdentifier(node)) return node.text === 'process';
  // globalThis.process
  return ts.isPropertyAccessExpression(node) && node.name.text === 'process' && ts.isIdentifier(node.expression) && node.expression.text === 'globalThis';
}

/** Lines that read `process.env` (member access, `process['env']`, `const { env } = process`, `import { env } from 'node:process'`). */
function processEnvReads(source: string, fileName = 'sample.ts'): string[] {
  const file = parse(fileName, source);
  const found: string[] = [];
  const at = (node: ts.Node): string => `line ${file.getLineAndCharacterOfPosition(node.getStart()).line + 1}: ${node.getText()}`;
  walk(file, (node) => {
    if (ts.isPropertyAccessExpression(node) && node.name.text === 'env' && isProcess(node.expression)) found.push(at(node));
    if (
      ts.isElementAccessExpression(node) &&
      isProcess(node.expression) &&
      ts.isStringLiteralLike(node.argumentExpression) &&
      node.argumentExpression.text === 'env'
    ) {
      found.push(at(node));
    }
    if (
      ts.isVariableDeclaration(node) &&
      node.initializer &&
      isProcess(node.initializer) &&
      ts.isObjectBindingPattern(node.name) &&
      node.name.elements.some((element) => ((element.propertyName ?? element.name) as ts.Identifier).text === 'env')
    ) {
      found.push(at(node));
    }
    if (
      ts.isImportDeclaration(node) &&
      ts.isStringLiteral(node.moduleSpecifier) &&
      ['process', 'node:process'].includes(node.moduleSpecifier.text) &&
      node.importClause?.namedBindings &&
      ts.isNamedImports(node.importClause.namedBindings) &&
      node.importClause.namedBindings.elements.some((element) => (element.propertyName ?? element.name).text === 'env')
    ) {
      found.push(at(node));
    }
  });
  return found;
}

function display(path: string): string {
  return relative(ROOT, path).split(sep).join('/');
}

function report(offenders: Map<string, string[]>): string {
  return [...offenders].map(([file, what]) => `${file}: ${what.join(', ')}`).join('\n');
}

describe('the checks themselves', () => {
  const forbidden = [
    "import { Client } from 'discord.js';",
    "import type { App } from '@slack/bolt';",
    "import {",
    "  readFileSync,",
    "  writeFileSync,",
    "} from 'node:fs';",
    "import 'node-cron';",
    "export * from '../../store/sqlite-store.js';",
    "export { label } from '../../src/config.js';",
    "import fs = require('node:fs');",
    "const lazy = await import('@slack/web-api');",
    "const computed = await import(moduleName);",
    "type Db = typeof import('better-sqlite3');",
    "import { z } from 'zod';",
    "import { DateTime } from 'luxon';",
    "import { message } from './messages.js';",
    "import type { Course } from '../course/model.js';",
    "export { today } from './calendar.js';",
  ].join('\n');

  it('extracts every kind of import, in order', () => {
    expect(extractImports(forbidden)).toEqual([
      'discord.js',
      '@slack/bolt',
      'node:fs',
      'node-cron',
      '../../store/sqlite-store.js',
      '../../src/config.js',
      'node:fs',
      '@slack/web-api',
      '<dynamic: import(moduleName)>',
      'better-sqlite3',
      'zod',
      'luxon',
      './messages.js',
      '../course/model.js',
      './calendar.js',
    ]);
  });

  it('flags everything but zod, luxon and paths that stay inside src/core', () => {
    const file = join(CORE, 'commands', 'sample.ts');
    expect(coreImportViolations(file, forbidden)).toEqual([
      'discord.js',
      '@slack/bolt',
      'node:fs',
      'node-cron',
      '../../store/sqlite-store.js',
      '../../src/config.js',
      'node:fs',
      '@slack/web-api',
      '<dynamic: import(moduleName)>',
      'better-sqlite3',
      // './messages.js' from core/commands is core/commands/messages.js: inside core, allowed.
    ]);
  });

  it('the same relative path is allowed or not depending on where the file is', () => {
    const source = "import { x } from '../store/memory-store.js';";
    expect(coreImportViolations(join(CORE, 'commands', 'a.ts'), source)).toEqual([]);
    expect(coreImportViolations(join(CORE, 'a.ts'), source)).toEqual(['../store/memory-store.js']);
    expect(coreImportViolations(join(CORE, 'a.ts'), "import '../core-extra/x.js';")).toEqual(['../core-extra/x.js']);
  });

  it('does not take comments or strings for imports', () => {
    const source = [
      "// import { Client } from 'discord.js';",
      "/** Example: `import fs from 'node:fs'` */",
      "const text = \"import x from 'node:fs'\";",
      "export const note = `import('discord.js')`;",
    ].join('\n');
    expect(extractImports(source)).toEqual([]);
  });

  it('finds console use and process.env reads', () => {
    const source = [
      "import { env as environment } from 'node:process';",
      'console.log("hi");',
      'console["error"]("x");',
      'const token = process.env.DISCORD_TOKEN;',
      "const level = process['env'];",
      'const { env } = process;',
      'const fromGlobal = globalThis.process.env;',
      '// console.log(process.env) in a comment does not count',
      'const text = "console.log(process.env)";',
    ].join('\n');
    expect(consoleUses(source)).toEqual(['line 2: console.log', 'line 3: console["error"]']);
    expect(processEnvReads(source)).toEqual([
      "line 1: import { env as environment } from 'node:process';",
      'line 4: process.env',
      "line 5: process['env']",
      'line 6: { env } = process',
      'line 7: globalThis.process.env',
    ]);
  });
});

describe('architecture', () => {
  const coreFiles = tsFiles(CORE);
  const srcFiles = tsFiles(SRC);

  it('scans the whole tree, nested folders included', () => {
    const names = coreFiles.map(display);
    expect(names.length).toBeGreaterThan(10);
    expect(names).toContain('src/core/ports.ts');
    expect(names).toContain('src/core/commands/registry.ts');
    expect(names).toContain('src/core/course/schema.ts');
    expect(srcFiles.map(display)).toEqual(expect.arrayContaining(['src/config.ts', 'src/cli.ts', 'src/store/sqlite-store.ts']));
  });

  it('src/core imports only zod, luxon and src/core', () => {
    const offenders = new Map<string, string[]>();
    for (const file of coreFiles) {
      const bad = coreImportViolations(file, readFileSync(file, 'utf8'));
      if (bad.length > 0) offenders.set(display(file), bad);
    }
    expect(offenders, `src/core must import only zod, luxon and src/core:\n${report(offenders)}`).toEqual(new Map());
  });

  it('src/core does import zod and luxon (the scan sees real imports)', () => {
    const all = new Set(coreFiles.flatMap((file) => extractImports(readFileSync(file, 'utf8'), file)));
    expect(all).toContain('zod');
    expect(all).toContain('luxon');
  });

  it('no file in src/ but src/cli.ts uses console', () => {
    const offenders = new Map<string, string[]>();
    for (const file of srcFiles) {
      if (display(file) === 'src/cli.ts') continue;
      const uses = consoleUses(readFileSync(file, 'utf8'), file);
      if (uses.length > 0) offenders.set(display(file), uses);
    }
    expect(offenders, `console outside src/cli.ts:\n${report(offenders)}`).toEqual(new Map());
  });

  it('only src/config.ts reads process.env', () => {
    const readers = new Map<string, string[]>();
    for (const file of srcFiles) {
      const reads = processEnvReads(readFileSync(file, 'utf8'), file);
      if (reads.length > 0) readers.set(display(file), reads);
    }
    const others = new Map([...readers].filter(([file]) => file !== 'src/config.ts'));
    expect(others, `process.env read outside src/config.ts:\n${report(others)}`).toEqual(new Map());
    expect([...readers.keys()]).toEqual(['src/config.ts']);
  });
});
