import { readFileSync } from 'node:fs';
import { LineCounter, type Node, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import { type ParseResult, parseCourse } from '../core/course/parse.js';
import { type Course, type CourseIssue, formatPath } from '../core/course/model.js';
import type { CourseFile } from '../core/course/schema.js';

/** A course file problem with its place in the file. */
export interface LocatedIssue {
  readonly file: string;
  /** 1-based; absent when the whole file is concerned (it cannot be read). */
  readonly line?: number;
  readonly column?: number;
  /** The field path, such as `weeks[0].sessions[1].date`; empty for syntax errors. */
  readonly path: string;
  readonly message: string;
}

/** `data/course.yaml:14:9 weeks[0].sessions[1].date: 2027-01-05 is a Tuesday, but day says monday` */
export function formatIssue(issue: LocatedIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}:${issue.column ?? 1}`;
  return issue.path ? `${where} ${issue.path}: ${issue.message}` : `${where} ${issue.message}`;
}

/** A course file that cannot be used, with every problem found in it. */
export class CourseFileError extends Error {
  override readonly name = 'CourseFileError';

  constructor(
    readonly file: string,
    readonly issues: readonly LocatedIssue[],
  ) {
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super(`${file}: ${count}\n${issues.map(formatIssue).join('\n')}`);
  }
}

export interface LoadedCourse {
  readonly course: Course;
  readonly file: CourseFile;
  readonly path: string;
  /** Written by `course-bot export`: the changes of that state database up to this id are in the file. */
  readonly exported?: ExportMarker;
}

/** `x-course-bot: { database, changesThrough }` at the top of an exported course file. */
export interface ExportMarker {
  /** The id of the state database the changes came from (change ids count per database). */
  readonly database: string;
  readonly changesThrough: number;
}

function exportMarker(root: unknown): ExportMarker | undefined {
  const marker = (root as { 'x-course-bot'?: { database?: unknown; changesThrough?: unknown } } | null)?.['x-course-bot'];
  const through = marker?.changesThrough;
  if (typeof marker?.database !== 'string' || typeof through !== 'number' || !Number.isInteger(through) || through < 0) return undefined;
  return { database: marker.database, changesThrough: through };
}

/** Parses course YAML text; `file` names it in errors. Throws `CourseFileError` with every problem. */
export function parseCourseText(text: string, file: string): LoadedCourse {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true, schema: 'core', merge: true });
  if (doc.errors.length > 0) {
    throw new CourseFileError(
      file,
      doc.errors.map((error) => ({
        file,
        line: error.linePos?.[0].line ?? 1,
        column: error.linePos?.[0].col ?? 1,
        path: '',
        message: (error.message.split('\n')[0] ?? error.message).replace(/ at line \d+, column \d+:?$/, ''),
      })),
    );
  }
  const root: unknown = doc.toJS({ maxAliasCount: 1000 });
  const result: ParseResult = parseCourse(root);
  if (!result.ok) {
    const located = result.issues.map((issue) => locate(issue, doc.contents, lineCounter, file));
    located.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
    throw new CourseFileError(file, located);
  }
  const exported = exportMarker(root);
  return { course: result.course, file: result.file, path: file, ...(exported && { exported }) };
}

/** Reads and validates a course file from disk. Throws `CourseFileError`. */
export function loadCourseFile(path: string, displayName = path): LoadedCourse {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String((error as Error).message);
    throw new CourseFileError(displayName, [{ file: displayName, path: '', message: `cannot be read: ${reason}` }]);
  }
  return parseCourseText(text, displayName);
}

/** Finds the YAML node a path points at: the key of a field when it exists, else the nearest parent. */
function locate(issue: CourseIssue, root: Node | null, lines: LineCounter, file: string): LocatedIssue {
  let node: unknown = root;
  let offset = rangeStart(root) ?? 0;
  for (const part of issue.path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(part));
      if (!pair) {
        offset = rangeStart(node) ?? offset;
        break;
      }
      offset = rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof part === 'number') {
      const item: unknown = node.items[part];
      if (!item) break;
      offset = rangeStart(item) ?? offset;
      node = item;
    } else {
      break;
    }
  }
  const { line, col } = lines.linePos(offset);
  return { file, line, column: col, path: formatPath(issue.path), message: issue.message };
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as { range?: [number, number, number] } | null)?.range;
  return range?.[0];
}
