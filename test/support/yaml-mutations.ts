import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Composer, stringify } from 'yaml';
import { courseYaml, importPlan } from '../../src/course-file/import-markdown.js';
import { YAML_OPTIONS } from '../../src/course-file/read.js';
import { checkAliases, checkKeys, parseTokens, toPlainData, tooDeep } from '../../src/course-file/yaml-guard.js';
import { bigCourseYaml } from './course-file.js';

/**
 * Course files in many styles and ways to break them, for the differential tests of the two YAML readers
 * (test/course-file/quick-read.test.ts).
 */

/** The full reader's plain data of a text, or undefined where it refuses the YAML (as `read.ts` does). */
export function fullData(source: string): unknown {
  const parsed = parseTokens(source);
  if (parsed.tooMany || tooDeep(parsed.tokens)) return undefined;
  const docs = Array.from(new Composer(YAML_OPTIONS).compose(parsed.tokens, true, source.length));
  const doc = docs[0];
  if (docs.length !== 1 || !doc || doc.errors.length > 0) return undefined;
  const keys = checkKeys(doc);
  if (keys.duplicates.length > 0 || keys.issues.length > 0 || checkAliases(doc).length > 0) return undefined;
  return toPlainData(doc);
}

/** Data as text that tells apart what `toEqual` does not: -0 and 0, key order, a missing and an undefined field. */
export function canonical(value: unknown): string {
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const prototype = Object.getPrototypeOf(value) === Object.prototype ? '' : '(proto)';
    return `${prototype}{${Object.keys(value).map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`).join(',')}}`;
  }
  return `${typeof value}:${String(value)}`;
}

const DTU = join(import.meta.dirname, '../fixtures/dtu_mlops');
const seedText = readFileSync('data/course.yaml', 'utf8');
const seedData = fullData(seedText);
const imported = (year: string) =>
  courseYaml(importPlan(readFileSync(join(DTU, `timeplan-${year}.md`), 'utf8'), { source: `timeplan-${year}.md`, timezone: 'Europe/Copenhagen', year: Number(year) }).course, `${year}.md`);

/** Course files in the styles people and tools write: by hand, by the importer, by a YAML library, as JSON, in flow, quoted and block style. */
export const CORPUS: Record<string, string> = {
  seed: seedText,
  big: bigCourseYaml(40),
  mlops2024: imported('2024'),
  mlops2026: imported('2026'),
  json: JSON.stringify(seedData, null, 2),
  flow: stringify(seedData, { collectionStyle: 'flow' }),
  doubleQuoted: stringify(seedData, { defaultStringType: 'QUOTE_DOUBLE', defaultKeyType: 'PLAIN' }),
  singleQuoted: stringify(seedData, { defaultStringType: 'QUOTE_SINGLE', defaultKeyType: 'PLAIN' }),
  literal: stringify(seedData, { defaultStringType: 'BLOCK_LITERAL', defaultKeyType: 'PLAIN' }),
  folded: stringify(seedData, { defaultStringType: 'BLOCK_FOLDED', defaultKeyType: 'PLAIN', lineWidth: 20 }),
  wide: stringify(seedData, { indent: 4, indentSeq: false, lineWidth: 0 }),
  windows: seedText.replace(/\n/g, '\r\n'),
  markers: `---\n${seedText}...\n`,
  commented: seedText.replace(/^(\s*(?:- )?[\w-]+: [^\n#]+)$/gm, '$1  # note').replace(/\n\n/g, '\n    \n'),
  unicode: seedText.replace(/topic: .*/g, 'topic: "Ünïcödé — “quotes” 🚀 ½ \\u00e9"').replace(/title: .*/g, "title: Straße & Café 'n' Ω"),
};

/** The course files of `CORPUS` in block style, which the quick reader reads whole (flow-in-flow is left to the full one). */
export const BLOCK_STYLES = ['seed', 'big', 'mlops2024', 'mlops2026', 'doubleQuoted', 'singleQuoted', 'literal', 'folded', 'wide', 'windows', 'markers', 'commented', 'unicode'];

/** Scalars whose reading differs between YAML schemas and libraries (YAML 1.1, JSON, the core schema). */
export const SCALARS = [
  '0o17', '0x1F', '0X1F', '+12', '-0', '007', '1_000', '0b101', '.5', '1.', '-.5e3', '1e3', '1E+3', '+.inf', '-.Inf', '.NaN', '.nan', '.NAN', 'nan',
  '~', 'null', 'Null', 'NULL', 'nULL', 'True', 'tRUE', 'TRUE', 'false', 'yes', 'No', 'on', 'OFF', 'y', '2027-01-04', '2027-01-04T09:00:00Z', '12:30',
  '1:30:00', '190:20:30', '99999999999999999999', '1e400', '0.1e-400', '"\\x41\\u263A\\t\\N\\_\\L\\P\\e\\0"', "'it''s'", '"a\\\nb"', '"multi\n  line"',
  'plain\n  continued', '"\\U0001F600"', '""', "''", '-', '--', ': x', 'a: b', 'a #not', 'a#b', '[a, b: c, {d: e}]', '{a, b: }', '[a,]', '{}', '[]',
  '|\n  literal\n\n  kept\n', '|-\n  stripped\n', '|+\n  kept\n\n', '>\n  folded\n  line\n\n  para\n', '>-\n    more\n  less\n', '|2\n    indented\n',
  'trailing  ', 'ünï “q” 🚀', '"\\/"', '"\\ "', '@at', '`tick', '%pct', '"tab\\there"', 'x:y', 'http://a.b/c?d=e&f=g#h', 'Weights & Biases', 'a * b', "'a\n\n  b'",
];
export const KEYS = ['null', '~', '1', '1.0', 'true', 'True', '__proto__', 'constructor', 'toString', '"x"', "'y'", '""', '-1', '.inf', '0x10', 'a b', 'k'.repeat(1030)];
const CHARS = [':', '-', ' ', '  ', '\n', '#', "'", '"', '[', ']', '{', '}', ',', '|', '>', '&', '*', '!', '?', '%', '@', '`', '\\', 'a', '0', '.', '\t', '~', '\r\n', '\u00a0', '\u2028', '\u0085', '\ufeff'];

export function mutate(text: string, next: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const lines = text.split('\n');
  const line = Math.floor(next() * lines.length);
  const at = Math.floor(next() * (text.length + 1));
  switch (Math.floor(next() * 9)) {
    case 0:
    case 1: {
      // A value replaced: the scalar after `key: ` or `- ` on some line.
      const found = /^(\s*(?:- )?(?:[^:#]+: |- ))(.*)$/.exec(lines[line] ?? '');
      if (!found) return text;
      const indent = ' '.repeat((found[1]!.length) + 2);
      lines[line] = `${found[1]}${pick(SCALARS).replace(/\n/g, `\n${indent}`)}`;
      return lines.join('\n');
    }
    case 2: {
      const found = /^(\s*(?:- )?)([\w-]+)(:.*)$/.exec(lines[line] ?? '');
      if (!found) return text;
      lines[line] = `${found[1]}${pick(KEYS)}${found[3]}`;
      return lines.join('\n');
    }
    case 3:
    case 4:
      return `${text.slice(0, at)}${pick(CHARS)}${text.slice(at)}`;
    case 5:
      return `${text.slice(0, at)}${text.slice(at + 1 + Math.floor(next() * 3))}`;
    case 6: {
      // A line repeated (a duplicate key, an extra item) or removed.
      if (next() < 0.5) lines.splice(line, 0, lines[line] ?? '');
      else lines.splice(line, 1);
      return lines.join('\n');
    }
    case 7: {
      // Indentation one or two spaces off.
      const shift = pick([-2, -1, 1, 2]);
      const current = lines[line] ?? '';
      lines[line] = shift > 0 ? `${' '.repeat(shift)}${current}` : current.replace(new RegExp(`^ {0,${-shift}}`), '');
      return lines.join('\n');
    }
    default: {
      // Two mutations.
      return mutate(mutate(text, next), next);
    }
  }
}


/**
 * A random document (mappings, lists, and raw scalars from `SCALARS` put in the YAML text as they are),
 * written by the `yaml` library in a random block style, then mutated or not.
 */
export function randomYaml(next: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const oneLine = SCALARS.filter((scalar) => !scalar.includes('\n'));
  const raw: string[] = [];
  const node = (depth: number): unknown => {
    const roll = next();
    if (depth < 4 && roll < 0.25) {
      return Object.fromEntries(Array.from({ length: Math.floor(next() * 4) }, (_, index) => [pick([`k${index}`, ...KEYS.slice(0, 10)]), node(depth + 1)]));
    }
    if (depth < 4 && roll < 0.45) return Array.from({ length: Math.floor(next() * 4) }, () => node(depth + 1));
    raw.push(pick(oneLine));
    return `zz${raw.length - 1}zz`;
  };
  const root = Object.fromEntries(Array.from({ length: 1 + Math.floor(next() * 4) }, (_, index) => [`top${index}`, node(0)]));
  const text = stringify(root, { indent: pick([2, 2, 3, 4]), indentSeq: next() < 0.7, lineWidth: 0, flowCollectionPadding: next() < 0.5 }).replace(
    /zz(\d+)zz/g,
    (_, index: string) => raw[Number(index)]!,
  );
  return next() < 0.5 ? text : mutate(text, next);
}
