import { basename, join } from 'node:path';
import type { Clock } from '../core/clock.js';
import type { Course } from '../core/course/model.js';
import type { CourseTargets } from '../core/course/schema.js';
import type { StateStore } from '../core/ports.js';
import type { Config } from '../config.js';
import { CourseFileError, type LoadedCourse, formatIssue } from '../course-file/read.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../observability/metrics.js';
import type { Poster } from '../platforms/platform.js';
import { loadPlanImporter } from '../course-file/plan.js';
import { type CourseFileRef, CourseRuntime, InstructorLine } from './runtime.js';
import type { CatalogCourse } from './catalog.js';
import type { ServedCourse } from './scope.js';

export interface FleetOptions {
  readonly config: Config;
  /** The one state store of the deployment, shared by every course (opened by the first call). */
  readonly store: () => StateStore;
  readonly logger: Logger;
  /** Each course's clock, chosen once the course (and so its zone) is known. Default: the system clock. */
  readonly clock?: (course: Course) => Clock;
  readonly metrics?: Metrics;
}

interface Running {
  readonly runtime: CourseRuntime;
  readonly instructors: InstructorLine;
}

/** The courses of a folder as they come and go (see `CourseFleet.followFolder`). */
export interface FollowedFolder {
  /** Called after a course was added, removed or started again while running. */
  onChange(listener: () => void): void;
  /** Looks at the folder again (SIGHUP). */
  rescan(): void;
  /** Stops following the folder. */
  close(): void;
}

/** How long a course that could not start posting waits before it is tried again. */
const START_RETRY_MS = 30_000;

/**
 * The courses of one deployment, one `CourseRuntime` each: one store and one connection per platform shared by
 * all, each course with its own targets, clock, announcer, reminders and instructors. Courses may be added and
 * removed while running; what happens to one course (a file that cannot be read, a channel that fails) never
 * touches another.
 */
export class CourseFleet {
  readonly #options: FleetOptions;
  readonly #running = new Map<string, Running>();
  /** Per key, the last add or remove: the next one for the same key waits for it. */
  readonly #queues = new Map<string, Promise<void>>();
  /** The platforms once they are up; until then courses are loaded but post nothing. */
  #platforms: readonly Poster[] | undefined;
  #stopped = false;

  constructor(options: FleetOptions) {
    this.#options = options;
  }

  /** The running courses, by id. */
  get runtimes(): CourseRuntime[] {
    return [...this.#running.values()].map((entry) => entry.runtime).sort((a, b) => a.id.localeCompare(b.id));
  }

  /** The running courses as the request scope sees them (read per request). */
  served(): ServedCourse[] {
    return this.runtimes.map((runtime) => ({ id: runtime.id, name: runtime.name, targets: runtime.targets, scope: runtime.scope }));
  }

  /** The targets of the running courses (where Discord registers the commands). */
  targets(): CourseTargets[] {
    return this.runtimes.map((runtime) => runtime.targets);
  }

  /**
   * Reads a course's file (unless given as `loaded`, read and checked already) and runs the course under `key`
   * (its id): posting at once when the platforms are up, else once they are. Throws `CourseFileError` for a file
   * that cannot be read (nothing is kept then).
   *
   * When a course already runs under `key` (its `targets:` changed), the new one is loaded first and, with the
   * platforms up, started; only then is it swapped in and the old one stopped, so the course is served all along.
   * When the new one cannot load or start, the old one runs on, its instructors are told in one line, and the
   * error is thrown. While both run for that moment, the store's claims keep every post to once.
   */
  add(key: string, file: CourseFileRef, targets: (loaded: LoadedCourse) => CourseTargets, loaded?: LoadedCourse): Promise<CourseRuntime> {
    return this.#queue(key, async () => {
      if (this.#stopped) throw new Error('the bot is stopping');
      const old = this.#running.get(key);
      const { config, logger, metrics, clock } = this.#options;
      const courseLogger = logger.child({ course: key });
      const instructors = new InstructorLine(courseLogger);
      let runtime: CourseRuntime;
      try {
        runtime = await CourseRuntime.load({
          config,
          file,
          store: this.#options.store,
          logger: courseLogger,
          instructors,
          targets,
          ...(loaded && { loaded }),
          ...(clock && { clock }),
          ...(metrics && { metrics }),
        });
      } catch (error) {
        if (old) this.#keptOld(old, file, error);
        throw error;
      }
      if (this.#stopped) {
        runtime.close();
        throw new Error('the bot is stopping');
      }
      if (this.#platforms) {
        try {
          this.#start(runtime);
        } catch (error) {
          // Not half-started (answering but never announcing): nothing of it runs, and the caller says so.
          await runtime.stop().catch(() => undefined);
          runtime.close();
          if (old) this.#keptOld(old, file, error);
          throw error;
        }
      }
      this.#running.set(key, { runtime, instructors });
      if (old) await this.#stopEntry(old);
      return runtime;
    });
  }

  /** A course's new version could not load or start: the old one runs on, and its instructors hear why, in one line. */
  #keptOld(old: Running, file: CourseFileRef, error: unknown): void {
    const why = error instanceof CourseFileError ? error.issues.map(formatIssue).join('; ') : error instanceof Error ? error.message : String(error);
    const line = `${file.label}: the course could not start again where its changed targets say, so it runs on where it was: ${why}`;
    this.#options.logger.error({ course: old.runtime.id, file: file.label, err: error }, line);
    old.instructors.tell(line);
  }

  /**
   * Runs the courses of a folder (`COURSES_DIR`) and follows it: every course file is read and its course added
   * (resolves once the first ones are loaded); later, a file added starts its course, one removed stops it, a
   * course whose `targets:` changed starts again where they now say (see `add`), and a broken or refused file is
   * the catalog's one log line and never stops another course. The catalog is loaded only here.
   */
  async followFolder(dir: { readonly path: string; readonly label: string }): Promise<FollowedFolder> {
    const { logger, config } = this.#options;
    // The catalog reads the folder's files on this thread as they come: any of them may have `plan:`.
    const [{ CourseCatalog }, { PlanCopies }] = await Promise.all([import('./catalog.js'), import('./plan-copies.js'), loadPlanImporter()]);
    let changed: () => void = () => undefined;
    const loading: Promise<unknown>[] = [];
    let started = false;
    const ownTargets = (loaded: LoadedCourse): CourseTargets => loaded.file.targets ?? {};
    // Plan URLs: a course starts on the copy the store keeps; one never fetched waits for it, the others do not.
    const plans = new PlanCopies({
      store: this.#options.store,
      logger: logger.child({ subsystem: 'plan' }),
      ...(config.plan.sourceToken !== undefined && { token: config.plan.sourceToken }),
      fetched: (paths) => {
        for (const path of paths) void catalog.retry(basename(path));
      },
    });
    const add = (course: CatalogCourse) => {
      const plan = course.live.loaded.plan;
      if (plan?.kind === 'url') plans.keep(course.id, plan.source);
      // The course as the catalog read and checked it: its file is not read a second time.
      const adding = this.add(course.id, { path: course.path, label: course.label }, ownTargets, course.live.loaded).then(
        (runtime) => {
          logger.info({ course: runtime.id, file: course.label, sessions: runtime.loaded.course.sessions.length }, 'course loaded');
          if (started) changed();
        },
        (error: unknown) => logger.error({ course: course.id, file: course.label, err: error }, 'course not started; the other courses run on'),
      );
      if (!started) loading.push(adding);
    };
    // A course whose `targets:` changed starts again where they now say (its announcer, its channels, its
    // registration); any other change the course follows itself.
    const restart = (course: CatalogCourse) => {
      logger.info({ course: course.id, file: course.label }, 'course targets changed; restarting the course');
      const plan = course.live.loaded.plan;
      if (plan?.kind === 'url') plans.keep(course.id, plan.source);
      // One that cannot start again runs on where it was; `add` has told its instructors why.
      this.add(course.id, { path: course.path, label: course.label }, ownTargets, course.live.loaded).then(
        () => changed(),
        () => undefined,
      );
    };
    const catalog: InstanceType<typeof CourseCatalog> = new CourseCatalog({
      dir: dir.path,
      label: dir.label,
      logger: logger.child({ subsystem: 'courses' }),
      readFor: (path) => ({ read: { plan: plans.readerFor(path) }, planTexts: () => plans.texts() }),
      listener: {
        refused: (label, error) => plans.refused(join(dir.path, basename(label)), error),
        added: add,
        removed: (id) =>
          void this.remove(id).then(
            () => changed(),
            (error: unknown) => logger.error({ course: id, err: error }, 'could not stop a course cleanly'),
          ),
        changed: (id) => {
          const course = catalog.course(id);
          if (!course) return;
          const running = this.#running.get(id)?.runtime;
          // A course the catalog took but that could not start (its file changed as it was read): try again.
          if (!running) return add(course);
          if (JSON.stringify(ownTargets(course.live.loaded)) !== JSON.stringify(running.targets)) return restart(course);
          // The course follows its file itself; one changed between the catalog's read and the course's watch
          // starting is read again here.
          if (JSON.stringify(course.live.file) !== JSON.stringify(running.effective.live.file)) running.reload('file changed');
        },
        // A refused file is the catalog's one log line (above: its plan URL is fetched when that is why); its own
        // course (if any) goes on, and reports its own file.
      },
    });
    catalog.load();
    await Promise.all(loading);
    started = true;
    logger.info({ dir: dir.label, courses: this.runtimes.map((runtime) => runtime.id) }, 'courses loaded');
    const stopWatching = catalog.watch();
    return {
      onChange: (listener) => (changed = listener),
      rescan: () => void catalog.rescan('SIGHUP'),
      close: () => {
        stopWatching();
        plans.close();
        catalog.close();
      },
    };
  }

  /** Stops the course under `key` (its announcer, reminders, events, file watch); nothing when there is none. */
  remove(key: string): Promise<void> {
    return this.#queue(key, () => this.#remove(key));
  }

  /** The platforms are up: every course loaded so far starts posting through them, and later ones at once. */
  start(platforms: readonly Poster[]): void {
    this.#platforms = platforms;
    for (const runtime of this.runtimes) this.#startOrRetry(runtime);
  }

  /** Starts a course's posting; one that cannot start right now never stops the others, and is tried again. */
  #startOrRetry(runtime: CourseRuntime): void {
    try {
      this.#start(runtime);
    } catch (error) {
      this.#options.logger.error({ err: error, course: runtime.id }, 'course could not start posting; trying again in 30 s');
      setTimeout(() => {
        if (!this.#stopped && this.runtimes.includes(runtime)) this.#startOrRetry(runtime);
      }, START_RETRY_MS).unref();
    }
  }

  /** Tells the instructors of every course (what concerns them all: the state database). */
  tellAll(text: string): void {
    for (const { instructors } of this.#running.values()) instructors.tell(text);
  }

  /** Stops every course (each stop logged when it fails, the others go on), and waits for adds under way. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all([...this.#queues.values()].map((queued) => queued.catch(() => undefined)));
    for (const key of [...this.#running.keys()]) {
      try {
        await this.#remove(key);
      } catch (error) {
        this.#options.logger.error({ err: error, course: key }, 'could not stop a course cleanly');
      }
    }
  }

  #start(runtime: CourseRuntime): void {
    const binding = { targets: runtime.targets, reminders: runtime.reminders };
    runtime.start(this.#platforms!.map((platform) => platform.forCourse(binding)));
  }

  async #remove(key: string): Promise<void> {
    const entry = this.#running.get(key);
    if (!entry) return;
    this.#running.delete(key);
    await this.#stopEntry(entry);
  }

  async #stopEntry(entry: Running): Promise<void> {
    // Nothing more is told to a course that stops, and nothing more is posted for it.
    entry.instructors.connect([]);
    try {
      await entry.runtime.stop();
    } finally {
      entry.runtime.close();
    }
  }

  #queue<T>(key: string, op: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(key) ?? Promise.resolve();
    const result = previous.then(op);
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.#queues.set(key, settled);
    void settled.then(() => {
      if (this.#queues.get(key) === settled) this.#queues.delete(key);
    });
    return result;
  }
}
