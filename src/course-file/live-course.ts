import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Course } from '../core/course/model.js';
import type { CourseFile } from '../core/course/schema.js';
import type { Logger } from '../log.js';
import { CourseFileError, type LoadedCourse, formatIssue, loadCourseFile } from './read.js';

export type ReloadResult =
  | { readonly ok: true; readonly changed: boolean }
  | { readonly ok: false; readonly error: CourseFileError };

/**
 * The course as it is now, read again when the file changes (or on request). A valid new file replaces
 * the old one at once; an invalid one is refused with its errors and the last good course stays live.
 */
export class LiveCourse {
  #loaded: LoadedCourse;
  #text: string;
  readonly #path: string;
  readonly #label: string;
  readonly #logger: Logger;
  readonly #onInvalid: (error: CourseFileError) => void;
  readonly #onChange: () => void;

  constructor(options: {
    readonly path: string;
    readonly label: string;
    readonly initial: LoadedCourse;
    readonly logger: Logger;
    /** Called with the errors of a refused file (e.g. to tell instructors). */
    readonly onInvalid?: (error: CourseFileError) => void;
    /** Called after a new valid file replaced the old one. */
    readonly onChange?: () => void;
  }) {
    this.#path = options.path;
    this.#label = options.label;
    this.#loaded = options.initial;
    this.#text = JSON.stringify([options.initial.file, options.initial.exported]);
    this.#logger = options.logger;
    this.#onInvalid = options.onInvalid ?? (() => undefined);
    this.#onChange = options.onChange ?? (() => undefined);
  }

  get course(): Course {
    return this.#loaded.course;
  }

  /** The file as loaded (validated, defaults filled in). */
  get file(): CourseFile {
    return this.#loaded.file;
  }

  /** The load as a whole: file, course and the export marker; a new object on every reload. */
  get loaded(): LoadedCourse {
    return this.#loaded;
  }

  /** Reads the file again; `reason` goes to the log (watch, SIGHUP, /course reload). */
  reload(reason: string): ReloadResult {
    try {
      const loaded = loadCourseFile(this.#path, this.#label);
      const text = JSON.stringify([loaded.file, loaded.exported]);
      if (text === this.#text) return { ok: true, changed: false };
      this.#loaded = loaded;
      this.#text = text;
      this.#logger.info({ file: this.#label, reason, sessions: loaded.course.sessions.length }, 'course file reloaded');
      this.#onChange();
      return { ok: true, changed: true };
    } catch (error) {
      if (!(error instanceof CourseFileError)) throw error;
      this.#logger.error(
        { file: this.#label, reason, problems: error.issues.map(formatIssue) },
        'course file refused; the last good schedule stays live',
      );
      this.#onInvalid(error);
      return { ok: false, error };
    }
  }

  /**
   * Reloads when the file changes. Watches the directory, since editors often replace a file
   * (write a copy, rename it over) rather than change it in place; bursts of events are debounced.
   */
  watch(debounceMs = 250): () => void {
    let timer: NodeJS.Timeout | undefined;
    let watcher: FSWatcher | undefined;
    try {
      watcher = watch(dirname(this.#path), (_event, name) => {
        if (name !== null && name !== basename(this.#path)) return;
        clearTimeout(timer);
        timer = setTimeout(() => this.reload('file changed'), debounceMs);
      });
      watcher.on('error', (error) => this.#logger.warn({ err: error }, 'cannot watch the course file; SIGHUP still reloads it'));
    } catch (error) {
      this.#logger.warn({ err: error }, 'cannot watch the course file; SIGHUP still reloads it');
    }
    return () => {
      clearTimeout(timer);
      watcher?.close();
    };
  }
}
