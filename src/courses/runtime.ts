import { startTicking } from '../announcer/tick.js';
import { Reminders } from '../announcer/reminders.js';
import { type Clock, systemClock } from '../core/clock.js';
import type { Course } from '../core/course/model.js';
import type { StateStore } from '../core/ports.js';
import type { Config } from '../config.js';
import type { LiveCourse } from '../course-file/live-course.js';
import { PLAN_FETCHED, PlanSource, type RefreshOutcome } from '../course-file/plan-source.js';
import { watchPlanFile } from '../course-file/plan-watch.js';
import { CourseFileError, type LoadedCourse } from '../course-file/read.js';
import { Settle } from '../course-file/settle.js';
import { type RunningEventSync, runEventSync } from '../events/run.js';
import { EventSync } from '../events/sync.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../observability/metrics.js';
import type { CourseTargets } from '../core/course/schema.js';
import type { CoursePorts, CourseScope } from '../platforms/platform.js';
import type { CourseAdmin } from '../schedule/admin.js';
import { courseSchedule } from '../schedule/course-schedule.js';
import type { LiveEffectiveCourse } from '../schedule/effective-course.js';
import { NO_ANNOUNCEMENTS, type SchedulePublisher } from '../schedule/publisher.js';
import { storeName } from '../store/database-url.js';
import { ReminderBook } from '../store/reminders.js';
import { createAnnouncer, instanceName } from './announcing.js';
import { PinnedCourse } from './pinned-course.js';

/** Where one course's instructors are told things: dropped until the platforms are up, then every report line. */
export class InstructorLine {
  #reporters: readonly ((text: string) => Promise<void>)[] = [];

  constructor(private readonly logger: Logger) {}

  /** From now on, tell instructors through these. */
  connect(reporters: readonly ((text: string) => Promise<void>)[]): void {
    this.#reporters = reporters;
  }

  /** Tells the course's instructors (failures are logged); nothing while starting. */
  tell(text: string): void {
    for (const report of this.#reporters) report(text).catch((error: unknown) => this.logger.error({ err: error }, 'could not tell instructors'));
  }
}

/** A course file: its path, and how to name it to a person. */
export interface CourseFileRef {
  readonly path: string;
  readonly label: string;
}

export interface CourseRuntimeOptions {
  readonly config: Config;
  /** The course's file (`COURSE_FILE`, the bundled course, or one file of `COURSES_DIR`). */
  readonly file: CourseFileRef;
  /** The state store; opened by the first call (a broken course file stops the start before it is created). */
  readonly store: () => StateStore;
  readonly logger: Logger;
  /** Where the course's instructors are told (a refused course file, a plan URL that fails, a lost database). */
  readonly instructors: InstructorLine;
  /** The clock, chosen once the course (and so its zone) is known. Default: the system clock. */
  readonly clock?: (course: Course) => Clock;
  readonly metrics?: Metrics;
  /**
   * Where the course posts and tells its instructors, from the file as first read (a `COURSE_FILE` course:
   * `singleCourseTargets`; a `COURSES_DIR` course: its own `targets:`).
   */
  readonly targets: (loaded: LoadedCourse) => CourseTargets;
  /**
   * The course as already read and checked (a `COURSES_DIR` course, by the catalog): not read a second time.
   * Without it the file is read here (and a plan URL fetched before the course starts).
   */
  readonly loaded?: LoadedCourse;
}

/** A stop of something running, awaited in turn. */
type Stop = () => Promise<void> | void;

/**
 * One course at run time: its course source (the file, its plan, the watchers), its schedule (effective course,
 * admin, publisher), and once the platforms are up its announcer, scheduled events and reminders. `main` builds
 * one; each course of a deployment gets its own.
 */
export class CourseRuntime {
  readonly loaded: LoadedCourse;
  readonly clock: Clock;
  readonly effective: LiveEffectiveCourse;
  readonly admin: CourseAdmin;
  readonly publisher: SchedulePublisher;
  readonly reminders: ReminderBook;
  readonly targets: CourseTargets;
  readonly #options: CourseRuntimeOptions;
  readonly #store: StateStore;
  readonly #live: LiveCourse;
  readonly #plans: PlanSource;
  readonly #watching: readonly Stop[];
  readonly #eventSyncs: RunningEventSync[] = [];
  readonly #running: Stop[] = [];
  /** The plan URL is fetched once the course starts posting (it started from the copy kept in the store). */
  readonly #fetchAtStart: boolean;

  /**
   * Reads the course file (and its plan: a URL is fetched, or read from the copy the store keeps), unless it was
   * read already (`loaded`), and starts following it; throws `CourseFileError` for a broken file, before anything
   * is created.
   */
  static async load(options: CourseRuntimeOptions): Promise<CourseRuntime> {
    const { config, instructors } = options;
    // The state store is opened for the course only when its plan is a URL (whose last good copy it keeps).
    const plans = new PlanSource({
      store: { getValue: (key) => options.store().getValue(key), setValue: (key, value) => options.store().setValue(key, value) },
      logger: options.logger.child({ subsystem: 'plan' }),
      ...(config.plan.sourceToken !== undefined && { token: config.plan.sourceToken }),
      tell: (text) => instructors.tell(text),
    });
    if (!options.loaded) return new CourseRuntime(options, plans, await plans.load(options.file.path, options.file.label), false);
    // Read already: a plan URL starts from the copy it was read from (kept in the store), and is fetched once the
    // course starts posting, without holding up the other courses.
    const plan = options.loaded.plan;
    if (plan?.kind === 'url') {
      try {
        plans.reader({ kind: 'url', source: plan.source, courseId: options.loaded.course.id });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw new CourseFileError(options.file.label, [{ file: options.file.label, path: 'plan.source', message }]);
      }
    }
    return new CourseRuntime(options, plans, options.loaded, plan?.kind === 'url');
  }

  private constructor(options: CourseRuntimeOptions, plans: PlanSource, loaded: LoadedCourse, fetchAtStart: boolean) {
    const { config, instructors, logger, file } = options;
    this.#fetchAtStart = fetchAtStart;
    this.#options = options;
    this.#plans = plans;
    this.loaded = loaded;
    this.targets = options.targets(loaded);
    this.clock = options.clock?.(loaded.course) ?? systemClock;
    this.#store = options.store();
    logger.debug({ db: storeName(config) }, 'state store open');
    // A change made by editing the file is announced once the file has been quiet (a half-saved file
    // is never announced); the notice compares with what students were last told.
    const fileNotices = new Settle(() => this.publisher.publishInBackground('course file changed'));
    this.#live = new PinnedCourse({
      path: file.path,
      label: file.label,
      initial: loaded,
      logger: logger.child({ subsystem: 'course-file' }),
      onInvalid: (error) => {
        fileNotices.postpone();
        // Problems named in another file than the course file are the time plan's (`plan:`).
        const what = error.issues.some((issue) => issue.file !== file.label) ? 'The time plan was not taken' : 'The course file was not reloaded';
        instructors.tell(`${what}; the last good schedule stays live.\n${error.message}`);
      },
      onRecovered: () => instructors.tell(`Course file accepted again: ${file.label} has no errors now, and the schedule follows it.`),
      // A version naming another course id is not taken: said once, to this course's instructors and the log.
      onIdChanged: (line) => {
        fileNotices.postpone();
        logger.error({ file: file.label }, line);
        instructors.tell(line);
      },
      // A plan fetched from its URL is a whole push, told at once; an edited file (or plan file) once it has been quiet.
      onChange: (reason) => {
        planWatch.retarget();
        if (reason.startsWith(PLAN_FETCHED)) this.publisher.publishInBackground('plan changed');
        else fileNotices.touch();
      },
      read: { plan: plans.reader },
      planTexts: () => plans.texts(),
    });
    const { effective, admin, publisher } = courseSchedule({
      live: this.#live,
      store: this.#store,
      clock: this.clock,
      logger: logger.child({ subsystem: 'schedule' }),
      onPublish: () => {
        for (const sync of this.#eventSyncs) sync.trigger();
      },
    });
    this.effective = effective;
    this.admin = admin;
    this.publisher = publisher;
    this.reminders = new ReminderBook(this.#store, config.reminders.evening, loaded.course.id);
    const stopWatching = this.#live.watch();
    const planWatch = watchPlanFile(this.#live);
    const stopFollowing = plans.follow(this.#live);
    const live = this.#live;
    this.#watching = [stopWatching, () => fileNotices.stop(), () => live.close(), () => planWatch.stop(), stopFollowing];
  }

  /** The effective course as it is now. */
  readonly course = (): Course => this.effective.course;

  /** The course's id (`course.id`), as first read: the key it runs under. */
  get id(): string {
    return this.loaded.course.id;
  }

  /**
   * The course's name as it is now: the course file's (as last read). Stored changes edit sessions only, so the
   * name never needs the change log: routing reads it for every running course on every command, and must not
   * query the store once per course per request.
   */
  get name(): string {
    return this.#live.course.name;
  }

  /** The file the course is read from. */
  get file(): CourseFileRef {
    return this.#options.file;
  }

  /** What the platforms' commands answer for: this course, its admin, its students' reminders. */
  get scope(): CourseScope {
    return { course: this.course, admin: this.admin, reminders: this.reminders };
  }

  /** Reads the course file again in a worker thread (SIGHUP): the bot goes on answering meanwhile. */
  reload(reason: string): void {
    void this.#live.reloadOffThread(reason);
  }

  /** Fetches the plan now (the webhook). */
  refreshPlan(reason: string): Promise<RefreshOutcome> {
    return this.#plans.refresh(reason);
  }

  /**
   * Starts what posts, once the platforms are up: instructors told through `ports`' reports, the announcer
   * (off without an announcement channel), the scheduled events, the reminders, and a publish of changes
   * made while the bot was down.
   */
  start(ports: readonly CoursePorts[]): void {
    const { config, logger, instructors, metrics } = this.#options;
    const store = this.#store;
    const { clock, course } = this;
    // The zone of the file as last read (schedule changes never change it): read without the store, so a store
    // that fails right now cannot stop the course from starting.
    const timezone = this.#live.loaded.course.timezone;
    instructors.connect(ports.flatMap((port) => (port.report ? [port.report] : [])));
    const planNotice = this.#plans.startNotice();
    if (planNotice !== undefined) instructors.tell(planNotice);
    // A failure is told to the instructors (connected now) by the plan source, once a streak.
    if (this.#fetchAtStart) void this.#plans.refresh('start').catch((error: unknown) => logger.error({ err: error }, 'plan refresh failed'));
    const messengers = ports.flatMap((port) => port.announce);
    if (messengers.length > 0) {
      const announcer = createAnnouncer({ config, logger, store, clock, course, messengers, ...(metrics && { metrics }) });
      this.#running.push(startTicking(announcer, { timezone, clock, logger: logger.child({ subsystem: 'announcer' }) }));
      this.publisher.connect(announcer);
    } else {
      this.publisher.connect(NO_ANNOUNCEMENTS);
      logger.info('no announcement channel (DISCORD_ANNOUNCE_CHANNEL_ID, SLACK_ANNOUNCE_CHANNEL): morning announcements are off');
    }
    for (const port of ports) {
      if (!port.events) continue;
      const sync = new EventSync({
        port: port.events,
        store,
        course,
        clock,
        days: config.discordEvents?.days ?? 14,
        owner: instanceName(),
        leaseMs: config.announcer.leaseMs,
        logger: logger.child({ subsystem: 'events', platform: port.platform }),
        tell: (text) => instructors.tell(text),
      });
      this.#eventSyncs.push(runEventSync(sync));
    }
    const remindersLogger = logger.child({ subsystem: 'reminders' });
    const reminders = new Reminders({
      course,
      clock,
      store,
      book: this.reminders,
      messengers: ports.flatMap((port) => port.direct),
      logger: remindersLogger,
      owner: instanceName(),
      leaseMs: config.announcer.leaseMs,
    });
    this.#running.push(startTicking(reminders, { timezone, clock, logger: remindersLogger }));
    // Changes made to the file while the bot was down are announced now (and the events synced).
    this.publisher.publishInBackground('start');
  }

  /**
   * Stops what posts: notices stop waiting for other instances, the events, the announcer and the reminders
   * stop, and a notice being posted is waited for.
   */
  async stop(): Promise<void> {
    this.publisher.stop();
    for (const sync of this.#eventSyncs) await sync.stop();
    for (const stop of this.#running) await stop();
    await this.publisher.settle();
  }

  /** Stops following the course file and its plan. */
  close(): void {
    for (const stop of this.#watching) void stop();
  }
}
