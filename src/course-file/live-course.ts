import { type FSWatcher, lstatSync, readlinkSync, realpathSync, statSync, watch } from 'node:fs';
import { basename, dirname, join, parse, resolve, sep } from 'node:path';
import type { Course } from '../core/course/model.js';
import type { CourseFile } from '../core/course/schema.js';
import type { Logger } from '../log.js';
import { loadOffThread } from './load-off-thread.js';
import type { PlanTexts } from './plan.js';
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
  readonly #onChange: (reason: string) => void;
  readonly #onRecovered: () => void;
  /** While watching: finds the folders to watch again (a reload on SIGHUP or in chat calls it too). */
  #follow: (() => void) | undefined;
  /** The reloads off the thread, one after another. */
  #queue: Promise<unknown> = Promise.resolve();
  readonly #closed = new AbortController();
  readonly #timeLimitMs: number | undefined;
  readonly #read: ReadOptions;
  readonly #planTexts: () => PlanTexts;

  constructor(options: {
    readonly path: string;
    readonly label: string;
    readonly initial: LoadedCourse;
    readonly logger: Logger;
    /** Called with the errors of a refused file (e.g. to tell instructors). */
    readonly onInvalid?: (error: CourseFileError) => void;
    /** Called after a new valid file replaced the old one. */
    readonly onChange?: (reason: string) => void;
    /** Called when a file is accepted after a refused one (e.g. to tell instructors the errors are fixed). */
    readonly onRecovered?: () => void;
    /** How long `reloadOffThread` may take (default `RELOAD_TIME_LIMIT_MS`). */
    readonly timeLimitMs?: number;
    /** How the file is read on this thread (how its `plan:` text is had). */
    readonly read?: ReadOptions;
    /** The plan URLs' texts, as data, for a reload in a worker thread (which cannot call `read.plan`). */
    readonly planTexts?: () => PlanTexts;
  }) {
    this.#timeLimitMs = options.timeLimitMs;
    this.#read = options.read ?? {};
    this.#planTexts = options.planTexts ?? (() => ({}));
    this.#path = options.path;
    this.#label = options.label;
    this.#loaded = options.initial;
    this.#text = JSON.stringify([options.initial.file, options.initial.exported]);
    this.#logger = options.logger;
    this.#onInvalid = options.onInvalid ?? (() => undefined);
    this.#onChange = options.onChange ?? (() => undefined);
    this.#onRecovered = options.onRecovered ?? (() => undefined);
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

  /**
   * Reads the file again on this thread; `reason` goes to the log. Never throws. For the start and for
   * tests: a running bot reloads with `reloadOffThread`.
   */
  reload(reason: string): ReloadResult {
    if (this.#follow) this.#call('follow', this.#follow);
    try {
      return this.#take(loadCourseFile(this.#path, this.#label, this.#read), reason);
    } catch (error) {
      return this.#refuse(error instanceof CourseFileError ? error : unexpected(this.#label, error), reason);
    }
  }

  /**
   * Reads the file again in a worker thread (watch, SIGHUP, `/course reload`), so that a large or hostile
   * file never holds up health checks, chat answers or a stop; a file that takes longer than the time
   * limit is refused. Reloads run one at a time, in the order asked. Never rejects.
   */
  reloadOffThread(reason: string): Promise<ReloadResult> {
    const run = this.#queue.then(async () => {
      if (this.#follow) this.#call('follow', this.#follow);
      this.#logger.debug({ file: this.#label, reason }, 'checking the course file in a worker thread');
      try {
        const loaded = await loadOffThread(this.#path, this.#label, {
          timeLimitMs: this.#timeLimitMs,
          signal: this.#closed.signal,
          planTexts: this.#planTexts(),
        });
        return this.#take(loaded, reason);
      } catch (error) {
        return this.#refuse(error instanceof CourseFileError ? error : unexpected(this.#label, error), reason);
      }
    });
    this.#queue = run.then(() => undefined);
    return run;
  }

  /** Ends a reload under way (its worker thread) and refuses those asked after: the bot is stopping. */
  close(): void {
    this.#closed.abort();
  }

  #take(loaded: LoadedCourse, reason: string): ReloadResult {
    let text: string;
    try {
      text = JSON.stringify([loaded.file, loaded.exported]);
    } catch (error) {
      return this.#refuse(unexpected(this.#label, error), reason);
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
    this.#call('onChange', () => this.#onChange(reason));
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
   * copy, rename it over) rather than change it in place; also the directory of every symlink anywhere on
   * the path (`current -> releases/2` in the middle of it, a Kubernetes ConfigMap's `..data`) and of the
   * file it resolves to. The whole path is resolved again after every event and every reload, and a folder
   * replaced under the same name (moved away and made again) is watched anew. Bursts of events are
   * debounced. As a safety net for file systems and swaps that send no event, the file's identity
   * (real path, device, inode, size, times) is compared every `pollMs`. `path`: another file whose change
   * reloads the course (its plan), watched the same way.
   */
  watch(debounceMs = 250, pollMs = 5_000, path = this.#path): () => void {
    /** Per directory: its watcher and the identity (device, inode) of the folder it watches. */
    const watchers = new Map<string, { readonly watcher: FSWatcher; readonly id: string }>();
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
        void this.reloadOffThread('file changed');
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
      for (const [dir, watched] of watchers) {
        if (targets.dirs.has(dir) && watched.id === folderId(dir)) continue;
        watched.watcher.close();
        watchers.delete(dir);
      }
      for (const dir of targets.dirs) {
        if (watchers.has(dir)) continue;
        const id = folderId(dir);
        if (id === undefined) continue;
        try {
          const watcher = watch(dir, (_event, name) => onEvent(name));
          watcher.on('error', (error) => {
            // A watched directory that went away (the old target of a swapped link) is no failure.
            watcher.close();
            if (watchers.get(dir)?.watcher === watcher) watchers.delete(dir);
            if (dir === home) warn(error);
            else onEvent(null);
          });
          watchers.set(dir, { watcher, id });
        } catch (error) {
          if (dir === home) warn(error);
        }
      }
    };
    follow();
    // The course file's own watch is the one a reload re-resolves.
    if (path === this.#path) this.#follow = follow;
    const poll = setInterval(() => {
      if (!timer) onPoll();
    }, pollMs);
    poll.unref();
    const onPoll = () => {
      try {
        follow();
        if (fingerprintOf(path) === fingerprint) return;
        relevant = true;
        check();
      } catch (error) {
        this.#logger.error({ err: error }, 'watching the course file failed; SIGHUP still reloads it');
      }
    };
    return () => {
      stopped = true;
      if (this.#follow === follow) this.#follow = undefined;
      clearTimeout(timer);
      clearInterval(poll);
      for (const { watcher } of watchers.values()) watcher.close();
      watchers.clear();
    };
  }
}

/**
 * The directories to watch for a course file and the names in them that matter: the directory the path
 * names, the directory holding each symlink met anywhere on the path (a link in the middle, such as
 * `current -> releases/2`, as well as a link at its end), and the real file's directory.
 */
function watchTargets(path: string): { readonly dirs: Set<string>; readonly names: Set<string> } {
  const dirs = new Set<string>();
  const names = new Set<string>();
  const start = resolve(path);
  dirs.add(realDirectory(dirname(start)));
  names.add(basename(start));
  // Resolve the path one part at a time, following each link where it is met.
  let rest = start.split(sep).filter((part) => part !== '');
  let done = parse(start).root;
  for (let hops = 0; rest.length > 0 && hops < 40; ) {
    const part = rest.shift()!;
    const here = join(done, part);
    let target: string | undefined;
    try {
      if (lstatSync(here).isSymbolicLink()) target = readlinkSync(here);
    } catch {
      break;
    }
    if (target === undefined) {
      done = here;
      continue;
    }
    hops += 1;
    dirs.add(realDirectory(done));
    names.add(part);
    const next = resolve(done, target);
    rest = [...next.split(sep).filter((item) => item !== ''), ...rest];
    done = parse(next).root;
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

/** A folder's identity (device and inode): another folder made under the same name has another one. */
function folderId(dir: string): string | undefined {
  try {
    const stat = statSync(dir);
    return `${stat.dev}:${stat.ino}`;
  } catch {
    return undefined;
  }
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
