import { isUtf8 } from 'node:buffer';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { isIsoDate, isZone } from '../core/course/dates.js';
import type { CourseIssue } from '../core/course/model.js';
import { type CourseFileInput, PLAN_REFRESH_LIMITS, type PlanEntry, parseDuration, planSchema, planSourceKind } from '../core/course/schema.js';
import { FileRefusal, readRegularFile } from '../regular-file.js';
import { ImportError } from './plan/import-error.js';
import type { importPlan as ImportPlan } from './plan/import-plan.js';
import type { LocatedIssue } from './read.js';

/** A plan is Markdown text: a larger one is refused (a file) or cut off (a URL). */
export const PLAN_MAX_BYTES = 1024 * 1024;

/** A plan's text, and how to name it. */
export interface PlanText {
  readonly text: string;
  /** How problems name it: the file's label, or the URL. */
  readonly name: string;
  /** The URL it came from: the base for relative links. */
  readonly baseUrl?: string;
}

/** What a course file's `plan:` asks for. */
export interface PlanRequest {
  readonly source: string;
  readonly kind: 'url' | 'path';
  /** For a path: where it is, absolute. */
  readonly path?: string;
  /** For a path: how to name it to a person (next to the course file's own label). */
  readonly label?: string;
  /** The course id the file gives, when it gives one (the key of a URL's cached copy). */
  readonly courseId?: string;
}

/** The plan cannot be had (a file missing, a URL never fetched): one line, shown at `plan.source`. */
export class PlanUnavailable extends Error {
  override readonly name = 'PlanUnavailable';
}

/** Gets the text of a plan; throws `PlanUnavailable` when it cannot. */
export type PlanReader = (request: PlanRequest) => PlanText;

/** Where the effective schedule comes from, for `course-bot plan` and the watchers. */
export interface PlanInfo {
  readonly source: string;
  readonly kind: 'url' | 'path';
  /** The plan file, absolute (a path source). */
  readonly path?: string;
  /** The file's label or the URL. */
  readonly name: string;
  /** How often a URL is checked. */
  readonly refreshMs: number;
  /** What the import did not understand or guessed, one line each (`timeplan.md:12 …`). */
  readonly warnings: readonly string[];
}

/** A plan read as a file, relative to the course file. Refuses URLs: reading those is `PlanSource`'s. */
export const readPlanFile: PlanReader = (request) => {
  if (request.kind === 'url' || request.path === undefined) {
    throw new PlanUnavailable('is a URL, which this command does not read (`course-bot start` and `validate` fetch it)');
  }
  let bytes: Buffer;
  try {
    bytes = readRegularFile(request.path, PLAN_MAX_BYTES, 'a time plan');
  } catch (error) {
    if (!(error instanceof FileRefusal)) throw error;
    throw new PlanUnavailable(`${request.label ?? request.source} ${error.message}`);
  }
  if (!isUtf8(bytes)) throw new PlanUnavailable(`${request.label ?? request.source} is not UTF-8 text: save it as UTF-8`);
  return { text: bytes.toString('utf8'), name: request.label ?? request.source };
};

/** The texts of plan URLs as plain data (URL → text), for a reader in another thread. */
export type PlanTexts = Readonly<Record<string, PlanText>>;

/**
 * A reader over plan texts given as data (a worker thread cannot call back into `PlanSource`): a URL from
 * `texts`, a file from disk.
 */
export function planTextsReader(texts: PlanTexts): PlanReader {
  return (request) => {
    if (request.kind === 'path') return readPlanFile(request);
    const text = Object.hasOwn(texts, request.source) ? texts[request.source] : undefined;
    if (!text) throw new PlanUnavailable(`${request.source} has not been fetched yet`);
    return text;
  };
}

/** What the plan's import gave: a course file with weeks (and its guesses), and what it warned about. */
export interface PlanImport {
  readonly course: CourseFileInput;
  readonly warnings: readonly PlanProblem[];
}

export interface PlanProblem {
  /** 1-based line in the plan, when known. */
  readonly line?: number;
  readonly message: string;
}

/** A plan that cannot be imported, with its problems. */
export class PlanImportError extends Error {
  override readonly name = 'PlanImportError';

  constructor(readonly problems: readonly PlanProblem[]) {
    super(problems.map((problem) => problem.message).join('\n'));
  }
}

export interface PlanImportOptions {
  readonly source: string;
  readonly year?: number;
  readonly start?: string;
  readonly timezone?: string;
  readonly name?: string;
  readonly id?: string;
  /** The plan's URL: relative links are resolved against it. */
  readonly baseUrl?: string;
}

/** The Markdown importer (`./plan/import-plan.js`): what `planToWeeks` calls. */
export interface PlanImporter {
  readonly importPlan: typeof ImportPlan;
}

let importer: PlanImporter | undefined;

/**
 * The Markdown importer is loaded only where a plan may be read: it is a third of the modules a command
 * loads (mdast, micromark), and a course file without `plan:` never needs it. The running bot gives it
 * here when it loads (see `live-course.ts`); a command line that reads a course loads it when a file asks
 * for it (`withPlanImporter`).
 */
export function usePlanImporter(given: PlanImporter): void {
  importer = given;
}

/** Loads the Markdown importer, once. */
export async function loadPlanImporter(): Promise<void> {
  importer ??= await import('./plan/import-plan.js');
}

/** A course file has `plan:`, and the Markdown importer has not been loaded: see `withPlanImporter`. */
export class PlanImporterMissing extends Error {
  override readonly name = 'PlanImporterMissing';
  constructor() {
    super('the Markdown importer is not loaded: read the course file through withPlanImporter');
  }
}

/**
 * `read()` (which reads a course file), done again with the Markdown importer loaded when the file turned
 * out to have `plan:` and the importer was not loaded yet. The first try has no effect but the check.
 */
export async function withPlanImporter<T>(read: () => T | Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (!(error instanceof PlanImporterMissing)) throw error;
    await loadPlanImporter();
    return read();
  }
}

/**
 * The one place the course file meets the Markdown importer: the plan's text → a course file with weeks.
 * Throws `PlanImportError`.
 */
export function planToWeeks(markdown: string, options: PlanImportOptions): PlanImport {
  if (!importer) throw new PlanImporterMissing();
  try {
    const result = importer.importPlan(markdown, options);
    return {
      course: result.course,
      warnings: result.warnings.map((warning) => ({ line: warning.line, message: forCourseFile(warning.row ? `${warning.row}: ${warning.message}` : warning.message) })),
    };
  } catch (error) {
    if (!(error instanceof ImportError)) throw error;
    const prefix = `${options.source}:`;
    throw new PlanImportError(
      error.problems.map((problem) => {
        // The importer names each problem `source:line: …`; here the plan's own name is added where it is shown.
        const match = problem.startsWith(prefix) ? /^(\d+): (.*)$/s.exec(problem.slice(prefix.length)) : null;
        return match ? { line: Number(match[1]), message: forCourseFile(match[2]!) } : { message: forCourseFile(problem) };
      }),
    );
  }
}

/** The importer speaks to the command line; here the course file's `plan:` says it. */
function forCourseFile(message: string): string {
  return message
    .replace(/pass --start(?: YYYY-MM-DD)?/g, 'set plan.start: YYYY-MM-DD')
    .replace(/pass --year(?: YYYY)?/g, 'set plan.year')
    .replace(/pass --base-url <[^>]*>/g, 'give plan.source as a URL');
}

/** The expanded course document, or the problems that stop it. */
export type PlanExpansion =
  | { readonly ok: true; readonly root: unknown; readonly plan?: PlanInfo }
  | { readonly ok: false; readonly issues: readonly CourseIssue[]; readonly planIssues: readonly LocatedIssue[] };

type Json = Record<string, unknown>;

function record(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

/**
 * A course document whose `plan:` names a time plan, with the plan's weeks in it: the YAML's course
 * fields win over the plan's guesses, and its resources are added to the plan's (replacing one of the
 * same id). A document without `plan:` is returned as it is. `file`: the course file's absolute path,
 * `label`: its name for people.
 */
export function expandPlan(root: unknown, file: { readonly path: string; readonly label: string }, read: PlanReader): PlanExpansion {
  const doc = record(root);
  if (doc?.plan === undefined || doc.plan === null) return { ok: true, root };
  if (doc.weeks !== undefined && doc.weeks !== null) {
    return {
      ok: false,
      issues: [{ path: ['plan'], message: 'a course file has weeks or a plan, not both: remove weeks (the plan gives them) or plan' }],
      planIssues: [],
    };
  }
  const parsed = planSchema.safeParse(doc.plan);
  if (!parsed.success) {
    return {
      ok: false,
      issues: parsed.error.issues.map((issue) => ({
        path: ['plan', ...issue.path.filter((part): part is string | number => typeof part !== 'symbol')],
        message: issue.code === 'unrecognized_keys' ? `unknown field (${issue.keys.join(', ')}): a plan has source, year, start and refresh` : issue.message,
      })),
      planIssues: [],
    };
  }
  const plan: PlanEntry = parsed.data;
  const course = record(doc.course) ?? {};
  const kind = planSourceKind(plan.source).kind === 'url' ? 'url' : 'path';
  const request: PlanRequest =
    kind === 'url'
      ? { source: plan.source, kind, ...(typeof course.id === 'string' && { courseId: course.id }) }
      : {
          source: plan.source,
          kind,
          path: resolve(dirname(file.path), plan.source),
          label: isAbsolute(plan.source) ? plan.source : join(dirname(file.label), plan.source),
          ...(typeof course.id === 'string' && { courseId: course.id }),
        };
  let text: PlanText;
  try {
    text = read(request);
  } catch (error) {
    if (!(error instanceof PlanUnavailable)) throw error;
    return { ok: false, issues: [{ path: ['plan', 'source'], message: error.message }], planIssues: [] };
  }
  const start = plan.start ?? (typeof course.start === 'string' && isIsoDate(course.start) ? course.start : undefined);
  let imported: PlanImport;
  try {
    imported = planToWeeks(text.text, {
      source: text.name,
      ...(plan.year !== undefined && { year: plan.year }),
      ...(start !== undefined && { start }),
      ...(typeof course.timezone === 'string' && isZone(course.timezone) && { timezone: course.timezone }),
      ...(typeof course.name === 'string' && course.name.trim() !== '' && { name: course.name }),
      ...(typeof course.id === 'string' && { id: course.id }),
      ...(text.baseUrl !== undefined && { baseUrl: text.baseUrl }),
    });
  } catch (error) {
    if (!(error instanceof PlanImportError)) throw error;
    return {
      ok: false,
      issues: [],
      planIssues: error.problems.map((problem) => ({
        file: text.name,
        ...(problem.line !== undefined && { line: problem.line, column: 1 }),
        path: '',
        message: problem.message,
      })),
    };
  }
  const yamlResources: unknown[] = Array.isArray(doc.resources) ? (doc.resources as unknown[]) : [];
  const yamlIds = new Set(yamlResources.map((resource) => record(resource)?.id).filter((id) => typeof id === 'string'));
  const planResources = (imported.course.resources ?? []).filter((resource) => !yamlIds.has(resource.id));
  const expanded: Json = {
    ...doc,
    course: { ...record(imported.course.course), ...course },
    weeks: imported.course.weeks,
    resources: [...planResources, ...yamlResources],
  };
  const info: PlanInfo = {
    source: plan.source,
    kind,
    ...(request.path !== undefined && { path: request.path }),
    name: text.name,
    refreshMs: (plan.refresh === undefined ? undefined : parseDuration(plan.refresh)) ?? PLAN_REFRESH_LIMITS.defaultMs,
    warnings: imported.warnings.map((warning) => (warning.line === undefined ? `${text.name} ${warning.message}` : `${text.name}:${warning.line} ${warning.message}`)),
  };
  return { ok: true, root: expanded, plan: info };
}
