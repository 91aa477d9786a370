import { Document, Scalar, visit } from 'yaml';
import type { CourseFile, CourseFileInput } from '../core/course/schema.js';
import type { ExportMarker } from './read.js';

type Json = Record<string, unknown>;

/** Drops what the schema fills in anyway (empty lists, `cancelled: false`), so the file stays short. */
function compact(value: Json): Json {
  return Object.fromEntries(
    Object.entries(value).filter(([, field]) => field !== undefined && field !== false && !(Array.isArray(field) && field.length === 0)),
  );
}

/** The course file as instructors write it: no empty lists, sessions in date order within each week. */
export function exportable(file: CourseFile): CourseFileInput {
  return {
    course: file.course,
    announcements: file.announcements,
    weeks: file.weeks.map((week) => ({
      ...compact({ ...week, sessions: undefined }),
      sessions: week.sessions.map((session) => compact({ ...session })),
    })) as CourseFileInput['weeks'],
    ...(file.resources.length > 0 && { resources: file.resources.map((resource) => compact({ ...resource })) as CourseFileInput['resources'] }),
    ...(file.setup.length > 0 && { setup: file.setup }),
    ...(file.targets !== undefined && { targets: file.targets }),
  };
}

// Plain scalars that a YAML 1.1 reader (PyYAML, older Ruby and Go libraries, many CI tools) reads as something
// other than the string they are: booleans (`on`, `no`), nulls, integers with leading zeros (octal), sexagesimal
// numbers (`08:00` is 480), floats, timestamps with a time, merge keys. Wider than the specification's patterns:
// quoting one more string costs nothing. A plain `YYYY-MM-DD` stays plain: every reader takes it as that date.
const YAML_1_1_NOT_A_STRING = [
  /^(?:y|yes|n|no|true|false|on|off)$/i,
  /^(?:~|null|)$/i,
  /^[-+]?(?:0b[01_]+|0x[0-9a-f_]+|[0-9][0-9_]*)$/i,
  /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/,
  /^[-+]?(?:[0-9][0-9_]*)?\.[0-9._]*(?:e[-+]?[0-9]+)?$/i,
  /^[-+]?\.(?:inf|nan)$/i,
  /^\d{4}-\d\d?-\d\d?(?:[Tt]|[ \t]+)\d\d?:\d\d/,
  /^(?:<<|=)$/,
];

/** Whether a YAML 1.1 reader would not read `text`, written plain, as this string. */
export function misreadByYaml11(text: string): boolean {
  return YAML_1_1_NOT_A_STRING.some((pattern) => pattern.test(text));
}

/**
 * YAML for a course file that every reader reads as written: besides what YAML 1.2 needs, strings a YAML 1.1
 * reader would take for a number, a boolean or a time (`time: "08:00"`, `topic: "No"`) are quoted.
 */
export function courseFileYaml(value: unknown): string {
  const doc = new Document(value);
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && misreadByYaml11(node.value)) node.type = Scalar.QUOTE_DOUBLE;
    },
  });
  return doc.toString({ lineWidth: 0 });
}

/** `#3`, `#3 and #5`, `#3, #5 and #8`. */
function ids(list: readonly number[]): string {
  const named = list.map((id) => `#${id}`);
  return named.length > 1 ? `${named.slice(0, -1).join(', ')} and ${named.at(-1)!}` : (named[0] ?? '');
}

/**
 * YAML of the effective course (file + instructor changes), with a header saying where it came from.
 * `exported` (the state database, its newest change, and the changes up to it that were skipped because they no
 * longer applied) is written as `x-course-bot`: when the file is the course file again, the changes it holds are
 * known to be in it and are not applied a second time, and the skipped ones are still applied (or skipped) as
 * before, never taken for part of the file.
 */
export function exportYaml(file: CourseFile, source: string, exported?: ExportMarker): string {
  const through = exported?.changesThrough ?? 0;
  const skipped = exported?.skipped ?? [];
  const except = skipped.length > 0 ? ` (but ${ids(skipped)}, which ${skipped.length > 1 ? 'no longer apply' : 'no longer applies'})` : '';
  const header = [
    `# Exported by course-bot from ${source}${through ? `, with the schedule changes up to #${through}${except}` : ''}.`,
    '# Commit it as the course file; check it with: course-bot validate <this file>',
  ].join('\n');
  const marker =
    exported && through
      ? { 'x-course-bot': { database: exported.database, changesThrough: through, ...(skipped.length > 0 && { skipped: [...skipped] }) } }
      : {};
  return `${header}\n${courseFileYaml({ ...marker, ...exportable(file) })}`;
}
