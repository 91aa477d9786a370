import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { INSTANT_FORMS, parseInstant } from '../core/clock.js';
import type { Course } from '../core/course/model.js';
import { COURSE_LIMITS, type CourseFile } from '../core/course/schema.js';
import type { StateStore } from '../core/ports.js';
import { type Config, ConfigError, label, loadConfig } from '../config.js';
import type { ExportMarker, LoadedCourse } from '../course-file/read.js';
import { createLogger, registerSecrets } from '../log.js';
import { writeFileAtomically, writeToStream } from './output.js';

/** Exit codes: 0 done, 1 bad data or configuration (or output that cannot be written), 2 bad usage. */
export const EXIT_INVALID = 1;
export const EXIT_USAGE = 2;

/** The command line was used wrongly; exits 2 with the line. */
export class UsageError extends Error {}

/** A setting the command needs is missing; exits 1 like every configuration problem. */
export class SetupError extends Error {}

/** Where the command line reads its settings and writes its output; the process's own by default. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** The environment (and `.env` in `cwd`) read for the configuration. */
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

/** The logger the configuration asks for: JSON or pretty, or pretty only on a terminal (`auto`). */
export function loggerFor(settings: Config) {
  return createLogger({ level: settings.logLevel, ...(settings.logFormat !== 'auto' && { pretty: settings.logFormat === 'pretty' }) });
}

/**
 * `--at`: a date or date-time; without an offset it is read in the course's zone. Its year must be one a
 * course file may use (`COURSE_LIMITS`): the calendar works a little past them (a running clock rolls over
 * into the next year, a week ahead), but not thousands of years past (year 10000 has no `YYYY-MM-DD`).
 */
export function parseAt(value: string, zone: string): Date {
  const at = parseInstant(value, zone);
  if (!at) throw new UsageError(`--at: ${JSON.stringify(value)} is not a date or date-time; use ${INSTANT_FORMS}`);
  const year = Number(value.trim().slice(0, 4));
  if (year < COURSE_LIMITS.firstYear || year > COURSE_LIMITS.lastYear) {
    throw new UsageError(
      `--at: ${JSON.stringify(value)} is in the year ${year}; give a date in ${COURSE_LIMITS.firstYear}–${COURSE_LIMITS.lastYear}, the years a course file may use`,
    );
  }
  return at;
}

/**
 * Nothing is at `path` (or only a link to nothing): a database not created yet. A link that loops or a file
 * where a folder should be is no missing database: the store names it.
 */
function nothingAt(path: string): boolean {
  try {
    statSync(path);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT';
  }
}

/** Where a command reads the bot's state: a SQLite file (`STATE_DB`, `--state-db`), or PostgreSQL (`DATABASE_URL`). */
export type StateDbRef = string | NonNullable<Config['database']>;

/**
 * The state database for a command that only reads the schedule, opened so that it creates and changes
 * nothing (see `openForReading`): a user who may read the bot's database but not write it can run it. A
 * database that does not exist holds no changes yet: it is not created (only the bot and the commands that
 * post create it).
 */
export async function readingStore(where: StateDbRef): Promise<StateStore & { close(): void }> {
  if (typeof where !== 'string') {
    // DATABASE_URL: the PostgreSQL database the bots share (its password is kept out of every line).
    const { openStateStore } = await import('../store/open.js');
    return openStateStore({ stateDb: ':memory:', database: where });
  }
  const path = where;
  if (path === ':memory:' || nothingAt(path)) return new (await import('../store/memory-store.js')).MemoryStore();
  // The store refuses what is not a database file (a folder, a FIFO, a device) in one line of its own.
  const { openForReading } = await import('../store/sqlite-store.js');
  return openForReading(path);
}

/** `--course` and `--state-db`: which course file and state database a command reads. */
export interface SourceOptions {
  readonly course?: string;
  readonly stateDb?: string;
}

/** The course the bot would serve: the course file with the changes made in chat, as `course-bot start` reads them. */
export interface Effective {
  readonly loaded: LoadedCourse;
  readonly course: Course;
  readonly file: CourseFile;
  readonly marker?: ExportMarker;
  readonly skipped: readonly { readonly id: number; readonly reason: string }[];
  readonly courseLabel: string;
}

export const COURSE_OPTION = [
  '--course <id or file>',
  'the course: its course.id when COURSES_DIR is set, else a course file (default: COURSE_FILE or data/course.yaml)',
] as const;
export const STATE_DB_OPTION = [
  '--state-db <file>',
  'the state database whose schedule changes apply (default: STATE_DB); not created when missing',
] as const;

/** What every subcommand gets: output, the configuration, and the course and state database it reads. */
export interface CliContext {
  readonly io: CliIo;
  readonly cwd: string;
  /** Sets the exit code of a command that finished (a post that failed). */
  readonly setStatus: (code: number) => void;
  print(text: string): Promise<void>;
  warn(text: string): Promise<void>;
  /** The configuration; its secrets are kept out of every line printed from now on. */
  config(): Config;
  /** The course file named on the command line, or the configured one; a plan URL is fetched. */
  course(file: string | undefined): Promise<LoadedCourse>;
  /**
   * The course file and state database `--course` and `--state-db` name, else the configured ones. With
   * `COURSES_DIR`, `--course` is a course id (needed when the folder holds several courses).
   */
  sources(options: SourceOptions): Promise<{ readonly path: string; readonly courseLabel: string; readonly stateDb: StateDbRef }>;
  /** The state database `--state-db` names, else the configured one. */
  stateDb(options: Pick<SourceOptions, 'stateDb'>): StateDbRef;
  /** The effective course of those sources; skipped changes are warned about as `skippedAs`. */
  effective(options: SourceOptions, skippedAs: string): Promise<Effective>;
  /** Prints `text`, or writes it to `--out` and prints `summary` of it. */
  emit(text: string, out: string | undefined, summary: () => string): Promise<void>;
}

/** The context of one run of the command line. */
export function cliContext(io: CliIo, setStatus: (code: number) => void): CliContext {
  const cwd = io.cwd ?? process.cwd();
  const print = (text: string) => writeToStream(io.stdout, text.endsWith('\n') ? text : `${text}\n`);
  const warn = (text: string) => writeToStream(io.stderr, `${text}\n`, 'standard error');

  const config = (): Config => {
    const settings = loadConfig({ ...(io.env && { env: io.env }), cwd });
    registerSecrets([settings.discord?.token, settings.slack?.botToken, settings.slack?.appToken, settings.slack?.signingSecret]);
    registerSecrets([settings.plan.sourceToken, settings.plan.webhookSecret]);
    return settings;
  };

  const course = async (file: string | undefined): Promise<LoadedCourse> => {
    const [{ loadFetchingPlan }, { withPlanImporter }] = await Promise.all([import('./plan-reading.js'), import('../course-file/plan.js')]);
    if (!file) {
      const settings = config();
      return withPlanImporter(() => loadFetchingPlan(settings.courseFile, settings.courseFileLabel, settings.plan.sourceToken));
    }
    let token: string | undefined;
    try {
      token = config().plan.sourceToken;
    } catch (error) {
      // A file named on the command line is checked without the bot's configuration.
      if (!(error instanceof ConfigError)) throw error;
    }
    return withPlanImporter(() => loadFetchingPlan(resolve(cwd, file), label(resolve(cwd, file), cwd), token));
  };

  /** The course file `--course` names: an id of `COURSES_DIR` (a file name still works there), else a file. */
  const courseSource = async (settings: Config, course: string | undefined): Promise<{ path: string; courseLabel: string }> => {
    if (course?.trim() === '') throw new UsageError('--course needs a course id or file');
    if (settings.coursesDir !== undefined) {
      const { dirCourses, looksLikeFile, pickDirCourse } = await import('./courses-dir.js');
      const byFile = course !== undefined && looksLikeFile(course) && !dirCourses(settings.coursesDir).some((entry) => entry.id === course.trim());
      if (!byFile) {
        const picked = pickDirCourse(settings, course);
        return { path: picked.path, courseLabel: picked.label };
      }
    }
    if (course === undefined) return { path: settings.courseFile, courseLabel: settings.courseFileLabel };
    const path = resolve(cwd, course);
    return { path, courseLabel: label(path, cwd) };
  };

  const stateDb = (options: Pick<SourceOptions, 'stateDb'>): StateDbRef => {
    if (options.stateDb?.trim() === '') throw new UsageError('--state-db needs a file name (the bot’s STATE_DB)');
    // `--state-db` names a SQLite file; without it, the bot's own store (PostgreSQL when DATABASE_URL is set).
    if (options.stateDb === undefined) {
      const settings = config();
      return settings.database ?? settings.stateDb;
    }
    return options.stateDb === ':memory:' ? ':memory:' : resolve(cwd, options.stateDb);
  };

  const sources = async (options: SourceOptions) => {
    const database = stateDb(options);
    const { path, courseLabel } = await courseSource(config(), options.course);
    return { path, courseLabel, stateDb: database };
  };

  const effective = async (options: SourceOptions, skippedAs: string): Promise<Effective> => {
    const { path, courseLabel, stateDb } = await sources(options);
    const [{ cachedPlanReader }, { loadCourseFile }, { withPlanImporter }, { effectiveCourse }, store] = await Promise.all([
      import('./plan-reading.js'),
      import('../course-file/read.js'),
      import('../course-file/plan.js'),
      import('../schedule/effective-course.js'),
      readingStore(stateDb),
    ]);
    try {
      // A plan URL is read from the copy the bot keeps in the state database.
      const loaded = await withPlanImporter(() => loadCourseFile(path, courseLabel, { plan: cachedPlanReader(store) }));
      const applied = effectiveCourse(loaded, store);
      for (const { id, reason } of applied.skipped) await warn(`Change #${id} ${skippedAs}: ${reason}`);
      return { loaded, courseLabel, ...applied };
    } finally {
      store.close();
    }
  };

  const emit = async (text: string, out: string | undefined, summary: () => string) => {
    // `-` is standard output, as for most tools (`./-` names a file called "-").
    if (out === undefined || out === '-') return print(text);
    if (out.trim() === '') throw new UsageError('--out needs a file name (leave it out to print to standard output)');
    if (/[/\\]$/.test(out)) throw new UsageError(`--out ${out}: names a folder; give a file name`);
    const { otherLinks } = writeFileAtomically(resolve(cwd, out), text, { shown: out });
    if (otherLinks > 0) {
      await warn(
        `--out ${out}: had ${otherLinks === 1 ? 'another name (a hard link)' : `${otherLinks} other names (hard links)`}; only ${out} holds the new text, the other ${otherLinks === 1 ? 'name keeps' : 'names keep'} the old`,
      );
    }
    await print(`${out}: ${summary()}`);
  };

  return { io, cwd, setStatus, print, warn, config, course, sources, stateDb, effective, emit };
}
