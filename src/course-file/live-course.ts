import { type FSWatcher, lstatSync, readlinkSync, realpathSync, statSync, watch } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Course } from '../core/course/model.js';
import type { CourseFile } from '../core/course/schema.js';
import type { Logger } from '../log.js';
import { CourseFileError, type LoadedCourse, type ReadOptions, formatIssue, loadCourseFile, unexpected } from './read.js';

/** What a reload did: the file accepted (changed or not), or refused with its problems. */
export type ReloadResult =
  | {
      readonly ok: true;
      readonly changed: boolean;
      /** The file read before was refused: this one is the first accepted since (the all-clear). */
      readonly recovered: boolean;
    }
  | { readonly ok: false; readonly error: CourseFileError };

/**
 * The course as it is now, read again when the file changes (or on request). A valid new file replaces
 * the old one at once; an invalid one is refused with its errors and the last good course stays live.
 * A reload never throws: whatever goes wrong in it is a refusal.
 */
export class LiveCourse {
  #loaded: LoadedCourse;
  #text: string;
  /** The last reload refused the file: the next accepted one is announced as such. */
  #refused = false;
  readonly #path: string;
  readonly #label: string;
  readonly #logger: Logger;
  readonly #onInvalid: (error: CourseFileError) => void;
  readonly #onChange: () => void;
  readonly #onRecovered: () => void;
  readonly #read: ReadOptions;

  constructor(options: {
    readonly path: string;
    readonly label: string;
    readonly initial: LoadedCourse;
    readonly logger: Logger;
    /** Called with the errors of a refused file (e.g. to tell instructors). */
    readonly onInvalid?: (error: CourseFileError) => void;
    /** Called after a new valid file replaced the old one. */
    readonly onChange?: () => void;
    /** Called when a file is accepted after a refused one (e.g. to tell instructors the errors are fixed). */
    readonly onRecovered?: () => void;
    /** How the file is read (how its `plan:` text is had). */
    readonly read?: ReadOptions;
  }) {
    this.#path = options.path;
    this.#label = options.label;
    this.#loaded = options.initial;
    this.#text = JSON.stringify([options.initial.file, options.initial.exported]);
    this.#logger = options.logger;
    this.#onInvalid = options.onInvalid ?? (() => undefined);
    this.#onChange = options.onChange ?? (() => undefined);
    this.#onRecovered = options.onRecovered ?? (() => undefined);
    this.#read = options.read ?? {};
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

  /** Reads the file again; `reason` goes to the log (watch, SIGHUP, /course reload). Never throws. */
  reload(reason: string): ReloadResult {
    let loaded: LoadedCourse;
    let text: string;
    try {
      loaded = loadCourseFile(this.#path, this.#label, this.#read);
      text = JSON.stringify([loaded.file, loaded.exported]);
    } catch (error) {
      return this.#refuse(error instanceof CourseFileError ? error : unexpected(this.#label, error), reason);
    }
    const recovered = this.#refused;
    this.#refused = false;
    if (recovered) {
      this.#logger.info({ file: this.#label, reason }, 'course file accepted again');
      this.#call('onRecovered', this.#onRecovered);
    }
    if (text === this.#text) return { ok: true, changed: false, recovered };
    this.#loaded = loaded;
    this.#text = text;
    this.#logger.info({ file: this.#label, reason, sessions: loaded.course.sessions.length }, 'course file reloaded');
    this.#call('onChange', this.#onChange);
    return { ok: true, changed: true, recovered };
  }

  #refuse(error: CourseFileError, reason: string): ReloadResult {
    this.#refused = true;
    this.#logger.error(
      { file: this.#label, reason, problems: error.issues.map(formatIssue), ...(error.cause !== undefined && { err: error.cause }) },
      'course file refused; the last good schedule stays live',
    );
    this.#call('onInvalid', () => this.#onInvalid(error));
    return { ok: false, error };
  }

  /** A listener's failure is logged: it must not undo a reload, nor end the process from a watcher. */
  #call(name: string, listener: () => void): void {
    try {
      listener();
    } catch (error) {
      this.#logger.error({ err: error, listener: name }, 'course file listener failed');
    }
  }

  /**
   * Reloads when the file changes. Watches the directory, since editors often replace a file (write a
   * copy, rename it over) rather than change it in place; when the path is a symlink, also the directory
   * of every link on the way and of the file it resolves to, found again after each change (a Kubernetes
   * ConfigMap swaps a `..data` link to a new directory). Bursts of events are debounced. `path`: another
   * file whose change reloads the course (its plan), watched the same way.
   */
  watch(debounceMs = 250, path = this.#path): () => void {
    const watchers = new Map<string, FSWatcher>();
    const home = realDirectory(dirname(resolve(path)));
    let names = new Set<string>();
    let fingerprint = fingerprintOf(path);
    let timer: NodeJS.Timeout | undefined;
    let relevant = false;
    let stopped = false;
    let warned = false;
    const warn = (error: unknown) => {
      if (warned) return;
      warned = true;
      this.#logger.warn({ err: error }, 'cannot watch the course file; SIGHUP still reloads it');
    };
    const check = () => {
      timer = undefined;
      if (stopped) return;
      // Runs from a timer: whatever fails here is logged, never thrown into the process.
      try {
        follow();
        const now = fingerprintOf(path);
        if (!relevant && now === fingerprint) return;
        relevant = false;
        fingerprint = now;
        this.reload('file changed');
      } catch (error) {
        this.#logger.error({ err: error }, 'watching the course file failed; SIGHUP still reloads it');
      }
    };
    const onEvent = (name: string | null) => {
      // The file's own name: wait for the burst to end. Another name (a `..data` link swapped, a
      // neighbour written): look once, soon, without postponing a reload already due.
      if (name === null || names.has(name)) {
        relevant = true;
        clearTimeout(timer);
      } else if (timer) {
        return;
      }
      timer = setTimeout(check, debounceMs);
    };
    const follow = () => {
      const targets = watchTargets(path);
      names = targets.names;
      for (const [dir, watcher] of watchers) {
        if (targets.dirs.has(dir)) continue;
        watcher.close();
        watchers.delete(dir);
      }
      for (const dir of targets.dirs) {
        if (watchers.has(dir)) continue;
        try {
          const watcher = watch(dir, (_event, name) => onEvent(name));
          watcher.on('error', (error) => {
            // A watched directory that went away (the old target of a swapped link) is no failure.
            watcher.close();
            watchers.delete(dir);
            if (dir === home) warn(error);
            else onEvent(null);
          });
          watchers.set(dir, watcher);
        } catch (error) {
          if (dir === home) warn(error);
        }
      }
    };
    follow();
    return () => {
      stopped = true;
      clearTimeout(timer);
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    };
  }
}

/**
 * The directories to watch for a course file and the names in them that are the file (or a link to
 * it): its own directory, the directory of each symlink it leads through, and the real file's.
 */
function watchTargets(path: string): { readonly dirs: Set<string>; readonly names: Set<string> } {
  const dirs = new Set<string>();
  const names = new Set<string>();
  let current = resolve(path);
  for (let hop = 0; hop < 40; hop += 1) {
    dirs.add(realDirectory(dirname(current)));
    names.add(basename(current));
    let target: string;
    try {
      if (!lstatSync(current).isSymbolicLink()) break;
      target = readlinkSync(current);
    } catch {
      break;
    }
    current = resolve(dirname(current), target);
  }
  try {
    const real = realpathSync(path);
    dirs.add(dirname(real));
    names.add(basename(real));
  } catch {
    // Missing for now: the directories above still see it come back.
  }
  return { dirs, names };
}

function realDirectory(dir: string): string {
  try {
    return realpathSync(dir);
  } catch {
    return dir;
  }
}

/** What the path resolves to and that file's identity and times: changes when the file or a link on the way does. */
function fingerprintOf(path: string): string {
  try {
    const stat = statSync(path);
    return `${realpathSync(path)}|${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}`;
  } catch {
    return 'missing';
  }
}
