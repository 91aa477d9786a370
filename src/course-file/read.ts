import { isUtf8 } from 'node:buffer';
import { Composer, type Document, LineCounter, type Node, type YAMLError, type YAMLMap, isMap, isScalar, isSeq } from 'yaml';
import { type ParseResult, parseCourse } from '../core/course/parse.js';
import { type Course, type CourseIssue, formatPath, printable, quoted } from '../core/course/model.js';
import type { CourseFile } from '../core/course/schema.js';
import { FileRefusal, readRegularFile, tooLargeMessage } from '../regular-file.js';
import { type GuardIssue, YAML_LIMITS, checkAliases, checkKeys, keyName, parseTokens, rangeStart, toPlainData, tooDeep } from './yaml-guard.js';
import { type PlanExpansion, type PlanInfo, PlanImporterMissing, type PlanReader, expandPlan, readPlanFile } from './plan.js';
import { quickRead } from './quick-read.js';

/**
 * What a course file may be, beyond its format (see also `COURSE_LIMITS` and `YAML_LIMITS`): a larger
 * file is refused before it is parsed, and no more problems than this are listed.
 */
export const COURSE_FILE_LIMITS = {
  bytes: 10 * 1024 * 1024,
  problems: 100,
  ...YAML_LIMITS,
} as const;

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

/**
 * `data/course.yaml:14:9 weeks[0].sessions[1].date: 2027-01-05 is a Tuesday, but day says monday`, or for
 * the whole file `data/course.yaml cannot be read: no such file`. Always one line.
 */
export function formatIssue(issue: LocatedIssue): string {
  // The name too: a file name may hold a line break or an escape code.
  const file = printable(issue.file);
  const where = issue.line === undefined ? file : `${file}:${issue.line}:${issue.column ?? 1}`;
  const message = printable(issue.message);
  return issue.path ? `${where} ${printable(issue.path)}: ${message}` : `${where} ${message}`;
}

/** A course file that cannot be used, with every problem found in it (the first hundred). */
export class CourseFileError extends Error {
  override readonly name = 'CourseFileError';
  readonly issues: readonly LocatedIssue[];
  /** How many problems the file has (more than `issues` lists past the limit). */
  readonly count: number;

  /**
   * `cause`: the unexpected error behind a refusal, for the log. `count`: the issues are the listed ones
   * of a refusal made elsewhere (in the reload's worker thread), and the file has this many problems.
   */
  constructor(
    readonly file: string,
    issues: readonly LocatedIssue[],
    options?: { readonly cause?: unknown; readonly count?: number },
  ) {
    const limit = COURSE_FILE_LIMITS.problems;
    const listed =
      options?.count === undefined && issues.length > limit
        ? [...issues.slice(0, limit), { file, path: '', message: `has ${issues.length - limit} more problems, not listed: fix these first` }]
        : issues;
    const total = options?.count ?? issues.length;
    const count = total === 1 ? '1 problem' : `${total} problems`;
    super(`${printable(file)}: ${count}\n${listed.map(formatIssue).join('\n')}`, options?.cause === undefined ? undefined : { cause: options.cause });
    this.issues = listed;
    this.count = total;
  }
}

export interface LoadedCourse {
  readonly course: Course;
  readonly file: CourseFile;
  readonly path: string;
  /** Written by `course-bot export`: the changes of that state database up to this id are in the file. */
  readonly exported?: ExportMarker;
  /** Where the weeks came from, when the file has `plan:` instead of `weeks`. */
  readonly plan?: PlanInfo;
}

/** How a course file is read: `plan`, how a `plan:` source's text is had (default: files only). */
export interface ReadOptions {
  readonly plan?: PlanReader;
  /** The course file's own path, when `file` is only its label (a relative plan is found next to it). */
  readonly path?: string;
  /**
   * `false`: read with the full reader only, never the quick one (see `quick-read.ts`). The answer is the
   * same either way; the tests and the bench compare the two.
   */
  readonly quick?: boolean;
}

/** `x-course-bot: { database, changesThrough, skipped }` at the top of an exported course file. */
export interface ExportMarker {
  /** The id of the state database the changes came from (change ids count per database). */
  readonly database: string;
  /** Every change up to this id is in the file, but the `skipped` ones. */
  readonly changesThrough: number;
  /** Changes up to `changesThrough` that are not in the file: they no longer applied when it was exported. */
  readonly skipped?: readonly number[];
}

function exportMarker(root: unknown): ExportMarker | undefined {
  const marker = (root as { 'x-course-bot'?: { database?: unknown; changesThrough?: unknown; skipped?: unknown } } | null)?.['x-course-bot'];
  const through = marker?.changesThrough;
  if (typeof marker?.database !== 'string' || typeof through !== 'number' || !Number.isInteger(through) || through < 0) return undefined;
  // Markers written before `skipped` existed have none. A list that cannot be read claims nothing: every change is applied again.
  const skipped = marker.skipped;
  if (skipped === undefined) return { database: marker.database, changesThrough: through };
  if (!Array.isArray(skipped) || !skipped.every((id) => typeof id === 'number' && Number.isInteger(id) && id > 0)) return undefined;
  return { database: marker.database, changesThrough: through, skipped: skipped as number[] };
}

/**
 * Parses course YAML text; `file` names it in errors. Throws `CourseFileError` with every problem, and
 * nothing else: an unexpected error inside becomes a refusal that says so (with the error as its cause).
 */
export function parseCourseText(text: string, file: string, options: ReadOptions = {}): LoadedCourse {
  try {
    return parseChecked(text, file, options);
  } catch (error) {
    // The caller loads the Markdown importer and reads again (see `withPlanImporter`).
    if (error instanceof CourseFileError || error instanceof PlanImporterMissing) throw error;
    throw unexpected(file, error);
  }
}

/** Reads and validates a course file from disk: a regular file of UTF-8 text. Throws `CourseFileError` only. */
export function loadCourseFile(path: string, displayName = path, options: ReadOptions = {}): LoadedCourse {
  let bytes: Buffer;
  try {
    bytes = readRegularFile(path, COURSE_FILE_LIMITS.bytes, 'a course file');
  } catch (error) {
    if (!(error instanceof FileRefusal)) throw error;
    throw whole(displayName, error.message);
  }
  return parseCourseText(decode(bytes, displayName), displayName, { ...options, path });
}

/** A refusal for an error nothing expected (a bug): one line naming it; the stack stays on `cause`. */
export function unexpected(file: string, error: unknown): CourseFileError {
  const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const reason = quoted(what).slice(1, -1);
  return new CourseFileError(
    file,
    [{ file, path: '', message: `could not be checked (${reason}): a bug in course-bot, please report it with the file` }],
    { cause: error },
  );
}

function whole(file: string, message: string): CourseFileError {
  return new CourseFileError(file, [{ file, path: '', message }]);
}

function tooLarge(file: string, bytes: number): CourseFileError {
  return whole(file, tooLargeMessage(bytes, COURSE_FILE_LIMITS.bytes, 'a course file'));
}

const SAVE_AS_UTF8 = 'save it as UTF-8 (in most editors: "Save with encoding" or "File encoding", then UTF-8)';

/** The text of a course file: UTF-8, with or without a byte order mark. UTF-16 and other bytes are refused. */
function decode(bytes: Buffer, file: string): string {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    const utf32 = bytes[0] === 0xff && bytes[2] === 0 && bytes[3] === 0;
    throw whole(file, `is ${utf32 ? 'UTF-32' : 'UTF-16'} text (it starts with a byte order mark for it): ${SAVE_AS_UTF8}`);
  }
  if (bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 0xfe && bytes[3] === 0xff) {
    throw whole(file, `is UTF-32 text (it starts with a byte order mark for it): ${SAVE_AS_UTF8}`);
  }
  if (looksLikeUtf32(bytes)) throw whole(file, `looks like UTF-32 text (three bytes in every four are zero): ${SAVE_AS_UTF8}`);
  if (looksLikeUtf16(bytes)) throw whole(file, `looks like UTF-16 text (every other byte is zero): ${SAVE_AS_UTF8}`);
  if (!isUtf8(bytes)) {
    const at = invalidUtf8At(bytes);
    const before = bytes.subarray(0, at);
    const lineStart = before.lastIndexOf(0x0a) + 1;
    const line = before.reduce((count, byte) => count + (byte === 0x0a ? 1 : 0), 1);
    const column = before.subarray(lineStart).toString('utf8').length + 1;
    const byte = bytes[at]!.toString(16).padStart(2, '0');
    throw new CourseFileError(file, [
      { file, line, column, path: '', message: `is not UTF-8 text (byte 0x${byte} here): ${SAVE_AS_UTF8}` },
    ]);
  }
  return bytes.toString('utf8');
}

/**
 * UTF-32 without a byte order mark: in its first bytes, of each four, the same three places are mostly zero
 * (the last three in little-endian, the first three in big-endian order) and the fourth mostly not.
 */
function looksLikeUtf32(bytes: Buffer): boolean {
  const sample = bytes.subarray(0, 4096 - (Math.min(bytes.length, 4096) % 4));
  if (sample.length < 8) return false;
  const zeros = [0, 0, 0, 0];
  sample.forEach((byte, index) => {
    if (byte === 0) zeros[index % 4]! += 1;
  });
  const quarter = sample.length / 4;
  const mostly = (count: number) => count >= quarter * 0.9;
  const rarely = (count: number) => count <= quarter * 0.05;
  const [a, b, c, d] = zeros as [number, number, number, number];
  return (rarely(a) && mostly(b) && mostly(c) && mostly(d)) || (mostly(a) && mostly(b) && mostly(c) && rarely(d));
}

/** UTF-16 without a byte order mark: in its first bytes, zeros fill mostly the odd or mostly the even places. */
function looksLikeUtf16(bytes: Buffer): boolean {
  const sample = bytes.subarray(0, 4096);
  if (sample.length < 4) return false;
  let even = 0;
  let odd = 0;
  sample.forEach((byte, index) => {
    if (byte !== 0) return;
    if (index % 2 === 0) even += 1;
    else odd += 1;
  });
  const half = sample.length / 2;
  return Math.max(even, odd) >= half * 0.6 && Math.min(even, odd) <= half * 0.05;
}

/** The offset of the first byte that does not belong to valid UTF-8 (the file is known to hold one). */
function invalidUtf8At(bytes: Uint8Array): number {
  let index = 0;
  while (index < bytes.length) {
    const lead = bytes[index]!;
    if (lead < 0x80) {
      index += 1;
      continue;
    }
    const length = lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
    if (length === 0) return index;
    // The second byte's range excludes overlong forms, surrogates and code points past U+10FFFF.
    const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
    const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
    const second = bytes[index + 1];
    if (second === undefined || second < low || second > high) return index;
    for (let next = 2; next < length; next += 1) {
      const byte = bytes[index + next];
      if (byte === undefined || byte < 0x80 || byte > 0xbf) return index;
    }
    index += length;
  }
  return bytes.length;
}

// The full reader's options. Keys are checked by `checkKeys`, in one pass: the library's own check is quadratic.
export const YAML_OPTIONS = { uniqueKeys: false, schema: 'core', merge: true } as const;

function parseChecked(text: string, file: string, options: ReadOptions): LoadedCourse {
  const size = text.length > COURSE_FILE_LIMITS.bytes ? text.length : Buffer.byteLength(text);
  if (size > COURSE_FILE_LIMITS.bytes) throw tooLarge(file, size);
  // A UTF-8 byte order mark is allowed; it is no part of the first line's columns.
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const nul = source.indexOf('\u0000');
  if (nul >= 0) {
    const sample = source.slice(0, 400);
    const nuls = sample.split('\u0000').length - 1;
    const message =
      nuls >= sample.length / 4 && nuls <= (sample.length * 3) / 4
        ? `looks like UTF-16 text read as UTF-8 (NUL characters between the letters): ${SAVE_AS_UTF8}`
        : 'contains a NUL character (is it a binary file?): a course file is UTF-8 text';
    throw new CourseFileError(file, [{ file, ...positionOf(source, nul), path: '', message }]);
  }
  // YAML reads a lone CR as no line break at all: a file saved with old Mac line endings would be one line.
  const cr = /\r(?!\n)/.exec(source);
  if (cr) {
    const message = 'has a line break that is a lone CR (old Mac style): save it with LF (Unix) or CRLF (Windows) line endings';
    throw new CourseFileError(file, [{ file, ...positionOf(source, cr.index), path: '', message }]);
  }

  const expand = (root: unknown): PlanExpansion =>
    expandPlan(root, { path: options.path ?? file, label: file }, options.plan ?? readPlanFile);
  // The quick reader first: a sound file (the usual case) is read several times faster. A file it does not
  // read is read in full; one it reads into a course with problems is read in full too, to locate them, and
  // the problems already found (on the same data) are kept, so a plan is not read twice.
  let checked: { readonly expanded: PlanExpansion; readonly result?: ParseResult } | undefined;
  if (options.quick !== false) {
    const quick = quickRead(source);
    if (quick.ok) {
      const expanded = expand(quick.data);
      const result = expanded.ok ? parseCourse(expanded.root) : undefined;
      if (expanded.ok && result?.ok) return loadedCourse(file, quick.data, result, expanded);
      checked = { expanded, ...(result && { result }) };
    }
  }

  const lineCounter = new LineCounter();
  const at = (offset: number | undefined, message: string, path = ''): LocatedIssue => {
    if (offset === undefined) return { file, path, message };
    const { line, col } = lineCounter.linePos(offset);
    return { file, line, column: col, path, message };
  };
  const docs = composed(source, lineCounter, (problem, tooMany) => {
    // Too long for the full reader, which is what locating problems costs. When the quick reader read the
    // YAML and found the course's problems, those are said (without their lines): it reads any number of tokens.
    if (tooMany && checked) return new CourseFileError(file, unlocatedIssues(file, checked.expanded, checked.result));
    return problem.offset === undefined ? whole(file, problem.message) : new CourseFileError(file, [at(problem.offset, problem.message)]);
  });
  const doc = docs[0]!;
  const syntax: { readonly offset: number; readonly issue: LocatedIssue }[] = doc.errors.map((error) => {
    const offset = error.pos[0] >= 0 ? error.pos[0] : 0;
    return { offset, issue: yamlIssue(error, offset, at) };
  });
  if (docs.length > 1) {
    const offset = docs[1]!.range[0];
    syntax.push({ offset, issue: at(offset, 'a second YAML document starts here (after "---"): a course file is one document') });
  }
  const keys = checkKeys(doc);
  for (const { offset, key, path, first } of keys.duplicates) {
    const firstLine = at(first, '').line ?? 1;
    syntax.push({
      offset,
      issue: at(offset, `the key ${quoted(key)} appears twice in this mapping (first on line ${firstLine}): keep one`, formatPath(path)),
    });
  }
  for (const issue of keys.issues) syntax.push({ offset: issue.offset ?? 0, issue: at(issue.offset, issue.message) });
  if (syntax.length > 0) throw new CourseFileError(file, syntax.sort((a, b) => a.offset - b.offset).map(({ issue }) => issue));
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null && doc.contents.source === '')) {
    throw whole(file, 'is empty (only blank lines or comments): a course file starts with "course:", see data/README.md');
  }
  const aliases = checkAliases(doc);
  if (aliases.length > 0) throw new CourseFileError(file, aliases.map((issue) => at(issue.offset, issue.message)));

  const root = toPlainData(doc);
  const keyIndex = new WeakMap<YAMLMap, Map<string, number>>();
  const expanded = checked?.expanded ?? expand(root);
  if (!expanded.ok) {
    throw new CourseFileError(file, [...expanded.issues.map((issue) => locate(issue, doc.contents, lineCounter, file, keyIndex)), ...expanded.planIssues]);
  }
  const result: ParseResult = checked?.result ?? parseCourse(expanded.root);
  if (!result.ok) {
    const located = result.issues.map((issue) => locate(issue, doc.contents, lineCounter, file, keyIndex));
    located.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
    throw new CourseFileError(file, located);
  }
  return loadedCourse(file, root, result, expanded);
}

/** The problems of a course read by the quick reader, by field (without their lines). */
function unlocatedIssues(file: string, expanded: PlanExpansion, result: ParseResult | undefined): LocatedIssue[] {
  const byField = (issues: readonly CourseIssue[]) => issues.map((issue) => ({ file, path: formatPath(issue.path), message: issue.message }));
  if (!expanded.ok) return [...byField(expanded.issues), ...expanded.planIssues];
  return result && !result.ok ? byField(result.issues) : [];
}

/** The course read from a file's plain data `root`, once it is known to be sound. */
function loadedCourse(file: string, root: unknown, result: ParseResult & { ok: true }, expanded: PlanExpansion & { ok: true }): LoadedCourse {
  const exported = exportMarker(root);
  return { course: result.course, file: result.file, path: file, ...(exported && { exported }), ...(expanded.plan && { plan: expanded.plan }) };
}

/**
 * The YAML documents of the text, built from the parser's tree once its length and nesting are checked
 * (`refuse` makes the error thrown of a problem). The tree, the largest
 * thing built, is let go before the checks that follow.
 */
function composed(
  source: string,
  lineCounter: LineCounter,
  refuse: (problem: GuardIssue, tooMany?: boolean) => Error,
): Document.Parsed[] {
  const parsed = parseTokens(source, lineCounter.addNewLine);
  if (parsed.tooMany) throw refuse(parsed.tooMany, true);
  const deep = tooDeep(parsed.tokens);
  if (deep) throw refuse(deep);
  return Array.from(new Composer(YAML_OPTIONS).compose(parsed.tokens, true, source.length));
}

/** The 1-based line and column of an offset, for checks made before the YAML parser counts lines. */
function positionOf(source: string, offset: number): { readonly line: number; readonly column: number } {
  const lines = source.slice(0, offset).split('\n');
  return { line: lines.length, column: lines.at(-1)!.length + 1 };
}

/** A YAML syntax error at its place, in one line. */
function yamlIssue(error: YAMLError, offset: number, at: (offset: number | undefined, message: string) => LocatedIssue): LocatedIssue {
  // The library quotes the source it did not expect, which may be a whole paragraph (or megabytes).
  const message = error.message.split('\n')[0] ?? error.message;
  return at(offset, message.length > 160 ? `${message.slice(0, 159)}…` : message);
}

/** Finds the YAML node a path points at: the key of a field when it exists, else the nearest parent. */
function locate(
  issue: CourseIssue,
  root: Node | null,
  lines: LineCounter,
  file: string,
  keyIndex: WeakMap<YAMLMap, Map<string, number>>,
): LocatedIssue {
  let node: unknown = root;
  let offset = rangeStart(root) ?? 0;
  for (const part of issue.path) {
    if (isMap(node)) {
      const pair = node.items[indexOf(node, String(part), keyIndex) ?? -1];
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

/**
 * The place of a key in a mapping, from an index built once per mapping: a file with thousands of
 * problems in a large mapping is located in one pass, not one search per problem.
 */
function indexOf(map: YAMLMap, key: string, keyIndex: WeakMap<YAMLMap, Map<string, number>>): number | undefined {
  let index = keyIndex.get(map);
  if (!index) {
    index = new Map();
    for (const [position, pair] of map.items.entries()) {
      const name = isScalar(pair.key) ? keyName(pair.key.value) : undefined;
      if (name !== undefined && !index.has(name)) index.set(name, position);
    }
    keyIndex.set(map, index);
  }
  return index.get(key);
}
