import { type FSWatcher, readdirSync, statSync, watch } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import { LiveCourse } from '../course-file/live-course.js';
import { loadOffThread } from '../course-file/load-off-thread.js';
import type { PlanTexts } from '../course-file/plan.js';
import { CourseFileError, type LoadedCourse, type ReadOptions, formatIssue, loadCourseFile, unexpected } from '../course-file/read.js';

/** A running course of the catalog: its file and the course as it is now. */
export interface CatalogCourse {
  /** `course.id`, unique in the catalog. */
  readonly id: string;
  /** The file's absolute path, and how to name it to a person. */
  readonly path: string;
  readonly label: string;
  /** The course, read again when its file changes (a refused change keeps the last good one). */
  readonly live: LiveCourse;
}

/** What the catalog tells the rest of the bot. Every listener is optional; one that throws is logged. */
export interface CatalogListener {
  /** A course file was accepted (at the first load, or added to the folder later): start the course. */
  readonly added?: (course: CatalogCourse) => void;
  /** A course's file was removed (or its id changed): stop the course. */
  readonly removed?: (id: string) => void;
  /** A file that is no running course: it cannot be read, or its `course.id` is taken by another file. */
  readonly refused?: (label: string, error: CourseFileError) => void;
  /** A running course's changed file was refused; its last good version keeps running (tell ITS instructors). */
  readonly invalid?: (id: string, error: CourseFileError) => void;
  /** A running course's file changed and was accepted. */
  readonly changed?: (id: string, reason: string) => void;
  /** A running course's file was accepted after a refused one. */
  readonly recovered?: (id: string) => void;
}

export interface CatalogOptions {
  /** The folder (`COURSES_DIR`), absolute, and its label. */
  readonly dir: string;
  readonly label: string;
  readonly logger: Logger;
  readonly listener?: CatalogListener;
  /**
   * How each course's file is read (per file: each course has its own `plan:` source): `read` on this thread,
   * `planTexts` the plan URLs' texts for a check in a worker thread. Default: files only.
   */
  readonly readFor?: (path: string) => { readonly read?: ReadOptions; readonly planTexts?: () => PlanTexts };
  /** Read files added or changed later in a worker thread (default true), as a running bot does. */
  readonly offThread?: boolean;
  /** How long a check in a worker thread may take (default `RELOAD_TIME_LIMIT_MS`). */
  readonly timeLimitMs?: number;
}

/** What a course of the folder whose `plan:` is a URL is told, while the catalog reads files only (no `readFor`). */
export const PLAN_URL_REFUSED =
  'is a URL: plan URLs work only with COURSE_FILE for now; in COURSES_DIR give plan.source as a Markdown file next to the course file (the other courses run on)';

/**
 * The refusal of a course file with its plan URL's unreadable copy (`has not been fetched yet`, `is a URL, which
 * this command does not read`) said as {@link PLAN_URL_REFUSED}; any other refusal as it is.
 */
export function planUrlRefused(error: CourseFileError): CourseFileError {
  const isUrlLine = (message: string) => /^(?:\S+ has not been fetched yet|is a URL, which this command does not read\b.*)$/s.test(message);
  if (!error.issues.some((issue) => issue.path === 'plan.source' && isUrlLine(issue.message))) return error;
  const issues = error.issues.map((issue) => (issue.path === 'plan.source' && isUrlLine(issue.message) ? { ...issue, message: PLAN_URL_REFUSED } : issue));
  return new CourseFileError(error.file, issues, { count: error.count });
}

/** The folder of courses cannot be read at all (missing, not a folder, no permission). */
export class CatalogError extends Error {
  override readonly name = 'CatalogError';
}

/**
 * Whether a name in the folder is a course file: `*.yaml` or `*.yml`, not hidden. Editors' lock, backup
 * and swap files (`.#x.yaml`, `x.yaml~`, `.x.yaml.swp`, `#x.yaml#`) are none.
 */
export function isCourseFileName(name: string): boolean {
  return /\.ya?ml$/i.test(name) && !name.startsWith('.') && !name.startsWith('#');
}

type Entry =
  | { readonly kind: 'course'; readonly course: CatalogCourse; fingerprint: string }
  | { readonly kind: 'refused'; readonly fingerprint: string; readonly takenId?: string };

/**
 * The courses of a folder, one per file. Files are read with the course-file reader; each course is a
 * `LiveCourse`. A `course.id` must be unique: the second file with a taken id is refused with a line naming
 * both files, and the first keeps running (the second is tried again when the first goes away or either
 * changes). The folder is watched: a file added starts its course (`added`), one removed stops it
 * (`removed`), a changed one is reloaded. One broken file never stops the others: it is reported for
 * itself only. Looks at the folder one scan at a time; a scan never throws. Files are read on this thread: the
 * Markdown importer must be loaded first (`loadPlanImporter`, as `CourseFleet.followFolder` does).
 */
export class CourseCatalog {
  readonly #options: CatalogOptions;
  readonly #logger: Logger;
  readonly #listener: CatalogListener;
  /** By file name in the folder. */
  readonly #entries = new Map<string, Entry>();
  /** Course id → file name. */
  readonly #ids = new Map<string, string>();
  #queue: Promise<void> = Promise.resolve();
  #pending: Promise<void> | undefined;
  #unreadable = false;
  #closed = false;

  constructor(options: CatalogOptions) {
    this.#options = options;
    this.#logger = options.logger;
    this.#listener = options.listener ?? {};
  }

  /** The running courses, in file-name order. */
  get courses(): CatalogCourse[] {
    return [...this.#entries.keys()]
      .sort()
      .map((name) => this.#entries.get(name)!)
      .flatMap((entry) => (entry.kind === 'course' ? [entry.course] : []));
  }

  /** The running course with this id. */
  course(id: string): CatalogCourse | undefined {
    const name = this.#ids.get(id);
    const entry = name === undefined ? undefined : this.#entries.get(name);
    return entry?.kind === 'course' ? entry.course : undefined;
  }

  /**
   * The first load, on this thread: every course file of the folder. Throws `CatalogError` only when the
   * folder itself cannot be read; broken files are refused one by one (`refused`) and returned.
   */
  load(): CourseFileError[] {
    const names = this.#list();
    if (names === undefined) {
      throw new CatalogError(`COURSES_DIR ${this.#options.label}: ${this.#why()}: point COURSES_DIR at the folder of course files (one *.yaml per course)`);
    }
    const refused: CourseFileError[] = [];
    for (const [name, fingerprint] of names) {
      const path = join(this.#options.dir, name);
      const label = this.#label(name);
      let loaded: LoadedCourse;
      try {
        loaded = loadCourseFile(path, label, this.#reading(path).read);
      } catch (error) {
        refused.push(this.#refuse(name, fingerprint, error instanceof CourseFileError ? error : unexpected(label, error)));
        continue;
      }
      const error = this.#admit(name, fingerprint, loaded);
      if (error) refused.push(error);
    }
    if (names.size === 0) this.#logger.warn({ dir: this.#options.label }, 'no course files (*.yaml) in COURSES_DIR yet');
    return refused;
  }

  /**
   * Looks at the folder again (a watch event, SIGHUP): files gone stop their course, new ones start
   * theirs, changed ones are reloaded, refused ones are tried again. Scans run one at a time; a scan asked
   * while one runs is done once after it. Never rejects.
   */
  rescan(reason: string): Promise<void> {
    if (this.#pending) return this.#pending;
    const next = this.#queue.then(async () => {
      this.#pending = undefined;
      try {
        await this.#scan(reason);
      } catch (error) {
        this.#logger.error({ err: error, dir: this.#options.label }, 'looking at COURSES_DIR failed; the running courses stay');
      }
    });
    this.#pending = next;
    this.#queue = next;
    return next;
  }

  /**
   * Reads a refused file again at the next scan (its plan URL was fetched since, say), even though the file
   * itself did not change; `name` is the file's name in the folder. Never rejects.
   */
  retry(name: string): Promise<void> {
    const entry = this.#entries.get(name);
    if (entry?.kind === 'refused') this.#entries.set(name, { ...entry, fingerprint: '' });
    return this.rescan('read again');
  }

  /**
   * Rescans when the folder changes: a watch on the folder (bursts debounced), and, for file systems and
   * swaps that send no event, a look every `pollMs`. Returns the stop.
   */
  watch(debounceMs = 250, pollMs = 5_000): () => void {
    let timer: NodeJS.Timeout | undefined;
    let watcher: FSWatcher | undefined;
    const soon = () => {
      clearTimeout(timer);
      timer = setTimeout(() => void this.rescan('folder changed'), debounceMs);
    };
    try {
      watcher = watch(this.#options.dir, soon);
      watcher.on('error', (error) => {
        this.#logger.warn({ err: error, dir: this.#options.label }, 'cannot watch COURSES_DIR; it is still looked at every few seconds');
        watcher?.close();
      });
    } catch (error) {
      this.#logger.warn({ err: error, dir: this.#options.label }, 'cannot watch COURSES_DIR; it is still looked at every few seconds');
    }
    const poll = setInterval(() => void this.rescan('poll'), pollMs);
    poll.unref();
    return () => {
      clearTimeout(timer);
      clearInterval(poll);
      watcher?.close();
    };
  }

  /** Stops every course's reloads (the bot is stopping); later scans do nothing. */
  close(): void {
    this.#closed = true;
    for (const entry of this.#entries.values()) if (entry.kind === 'course') entry.course.live.close();
  }

  async #scan(reason: string): Promise<void> {
    if (this.#closed) return;
    const names = this.#list();
    if (names === undefined) {
      if (!this.#unreadable) this.#logger.warn({ dir: this.#options.label, reason: this.#why() }, 'cannot read COURSES_DIR; the running courses stay');
      this.#unreadable = true;
      return;
    }
    this.#unreadable = false;
    // Removals first: a file renamed (a.yaml → b.yaml, same id) stops and starts again under its new name.
    for (const [name, entry] of [...this.#entries]) {
      if (names.has(name)) continue;
      this.#entries.delete(name);
      if (entry.kind === 'course') this.#stop(name, entry.course, 'its file was removed');
    }
    for (const [name, fingerprint] of names) {
      if (this.#closed) return;
      const entry = this.#entries.get(name);
      if (entry?.kind === 'course') {
        if (entry.fingerprint !== fingerprint) {
          entry.fingerprint = fingerprint;
          await this.#reload(name, entry.course, reason);
        }
        continue;
      }
      const retry = entry === undefined || entry.fingerprint !== fingerprint || (entry.takenId !== undefined && !this.#ids.has(entry.takenId));
      if (retry) await this.#add(name, fingerprint);
    }
    // A file refused for a taken id whose holder let go of it later in this scan (a reload changed its id).
    for (const [name, entry] of [...this.#entries]) {
      if (this.#closed) return;
      if (entry.kind === 'refused' && entry.takenId !== undefined && !this.#ids.has(entry.takenId)) await this.#add(name, entry.fingerprint);
    }
  }

  async #add(name: string, fingerprint: string): Promise<void> {
    const path = join(this.#options.dir, name);
    const label = this.#label(name);
    const reading = this.#reading(path);
    let loaded: LoadedCourse;
    try {
      loaded =
        this.#options.offThread === false
          ? loadCourseFile(path, label, reading.read)
          : await loadOffThread(path, label, {
              ...(this.#options.timeLimitMs !== undefined && { timeLimitMs: this.#options.timeLimitMs }),
              ...(reading.planTexts && { planTexts: reading.planTexts() }),
            });
    } catch (error) {
      this.#refuse(name, fingerprint, error instanceof CourseFileError ? error : unexpected(label, error));
      return;
    }
    if (!this.#closed) this.#admit(name, fingerprint, loaded);
  }

  async #reload(name: string, course: CatalogCourse, reason: string): Promise<void> {
    const result =
      this.#options.offThread === false ? course.live.reload('file changed') : await course.live.reloadOffThread(`file changed (${reason})`);
    if (!result.ok || course.live.course.id === course.id) return;
    // The id itself changed: the old course stops, and the file is taken as a new one (unless its id is taken).
    const entry = this.#entries.get(name);
    this.#entries.delete(name);
    this.#stop(name, course, `its course.id changed to ${course.live.course.id}`);
    this.#admit(name, entry?.fingerprint ?? '', course.live.loaded);
  }

  /** Starts the course of a loaded file, or refuses it when its id is another file's. */
  #admit(name: string, fingerprint: string, loaded: LoadedCourse): CourseFileError | undefined {
    const id = loaded.course.id;
    const label = this.#label(name);
    const holder = this.#ids.get(id);
    if (holder !== undefined && holder !== name) {
      const message = `"${id}" is already the id of the course in ${this.#label(holder)}: give this course another id (${this.#label(holder)} keeps running)`;
      return this.#refuse(name, fingerprint, new CourseFileError(label, [{ file: label, path: 'course.id', message }]), id);
    }
    const path = join(this.#options.dir, name);
    const reading = this.#reading(path);
    const live: LiveCourse = new LiveCourse({
      path,
      label,
      initial: loaded,
      logger: this.#logger,
      ...(reading.read !== undefined && { read: reading.read }),
      ...(reading.planTexts !== undefined && { planTexts: reading.planTexts }),
      ...(this.#options.timeLimitMs !== undefined && { timeLimitMs: this.#options.timeLimitMs }),
      onInvalid: (error) => {
        const told = this.#options.readFor ? error : planUrlRefused(error);
        this.#tell('invalid', () => this.#listener.invalid?.(live.course.id, told));
      },
      onChange: (why) => this.#tell('changed', () => this.#listener.changed?.(live.course.id, why)),
      onRecovered: () => this.#tell('recovered', () => this.#listener.recovered?.(live.course.id)),
    });
    const course: CatalogCourse = { id, path, label, live };
    this.#entries.set(name, { kind: 'course', course, fingerprint });
    this.#ids.set(id, name);
    this.#logger.info({ course: id, file: label }, 'course started');
    this.#tell('added', () => this.#listener.added?.(course));
    return undefined;
  }

  #refuse(name: string, fingerprint: string, refusal: CourseFileError, takenId?: string): CourseFileError {
    const error = this.#options.readFor ? refusal : planUrlRefused(refusal);
    this.#entries.set(name, { kind: 'refused', fingerprint, ...(takenId !== undefined && { takenId }) });
    this.#logger.error({ file: error.file, problems: error.issues.map(formatIssue) }, 'course file refused; the other courses run on');
    this.#tell('refused', () => this.#listener.refused?.(error.file, error));
    return error;
  }

  #stop(name: string, course: CatalogCourse, why: string): void {
    course.live.close();
    if (this.#ids.get(course.id) === name) this.#ids.delete(course.id);
    this.#logger.info({ course: course.id, file: course.label, why }, 'course stopped');
    this.#tell('removed', () => this.#listener.removed?.(course.id));
  }

  /** A listener's failure is logged: it must not stop the scan, nor the other courses. */
  #tell(event: string, call: () => void): void {
    try {
      call();
    } catch (error) {
      this.#logger.error({ err: error, listener: event }, 'course catalog listener failed');
    }
  }

  /** The course files of the folder and their identity (device, inode, size, times); undefined when it cannot be read. */
  #list(): Map<string, string> | undefined {
    let names: string[];
    try {
      names = readdirSync(this.#options.dir);
    } catch {
      return undefined;
    }
    const files = new Map<string, string>();
    for (const name of names.filter(isCourseFileName).sort()) {
      try {
        const stat = statSync(join(this.#options.dir, name));
        if (stat.isFile()) files.set(name, `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}`);
      } catch {
        // Gone between the listing and the look, or a link to nothing: not a course file now.
      }
    }
    return files;
  }

  #why(): string {
    try {
      return statSync(this.#options.dir).isDirectory() ? 'cannot be read' : 'is not a folder';
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return code === 'ENOENT' ? 'no such folder' : `cannot be read (${code ?? String(error)})`;
    }
  }

  #reading(path: string): { readonly read?: ReadOptions; readonly planTexts?: () => PlanTexts } {
    return this.#options.readFor?.(path) ?? {};
  }

  #label(name: string): string {
    return join(this.#options.label, name);
  }
}
