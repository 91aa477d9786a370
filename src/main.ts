import { userInfo } from 'node:os';
import { type Clock, systemClock } from './core/clock.js';
import type { Course } from './core/course/model.js';
import type { StateStore } from './core/ports.js';
import type { Config } from './config.js';
import { CourseFleet } from './courses/fleet.js';
import type { CourseRuntime } from './courses/runtime.js';
import { courseScopes } from './courses/scope.js';
import { singleCourseTargets } from './courses/targets.js';
import { courseSummary } from './course-file/summary.js';
import { type Logger, chatLogLevel, createLogger } from './log.js';
import type { Calendars, HealthChecks, RunningHttpServer } from './observability/http.js';
import type { Metrics } from './observability/metrics.js';
import { FAILED_STARTS_KEY, backOffAfterFailedStarts, markStartGood } from './startup.js';
import { type PlatformFailure, PlatformError } from './platforms/failure.js';
import { type Platform, type PlatformDeps, chatConfigured, configuredPlatforms } from './platforms/platform.js';
import { PromptScreen } from './platforms/terminal/screen.js';
import { storeName } from './store/database-url.js';
import { type StoreHooks, openStateStore } from './store/open.js';
import { StateDbError } from './store/state-db-error.js';

export interface StartOptions {
  readonly config: Config;
  readonly logger: Logger;
  /** The clock, chosen once the course (and so its zone) is known. Default: the system clock. */
  readonly clock?: (course: Course) => Clock;
  readonly input?: NodeJS.ReadableStream;
  readonly output?: NodeJS.WritableStream;
  /** Where the interactive terminal chat writes its log lines (above the prompt). Default: stderr. */
  readonly errorOutput?: NodeJS.WritableStream;
}

/** The state store the bot keeps its claims, changes and settings in, and closes when it stops. */
export type BotStore = StateStore;

/** Opens the configured state store: the one place that chooses which store a deployment uses. */
export function openStore(config: Config, hooks: StoreHooks): BotStore {
  return openStateStore(config, hooks);
}

/** How long the other platforms may take to say whether they could start, once one could not. */
const START_GRACE_MS = 5_000;

/**
 * Resolves once every platform is ready, or a stop was asked for. When one cannot start, the others get
 * a few seconds to say whether they can (a refused token is known within a second), then a
 * `PlatformError` names each platform that failed, one line each. A terminal whose output fails before it
 * is ready rejects with that error.
 */
async function allReady(platforms: readonly Platform[], stopped: Promise<void>): Promise<void> {
  const failures: PlatformFailure[] = [];
  let failed: () => void = () => undefined;
  const firstFailure = new Promise<void>((resolve) => (failed = resolve));
  const everyOutcome = Promise.all(
    platforms.map((platform) =>
      platform.ready.then(
        () => undefined,
        (error: unknown) => {
          if (platform.name === 'terminal') throw error;
          failures.push({ platform: platform.name, error });
          failed();
        },
      ),
    ),
  );
  const ended = platforms.map((platform) => platform.ended.then(() => new Promise<void>(() => undefined)));
  await Promise.race([everyOutcome, firstFailure, stopped, ...ended]);
  if (failures.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([everyOutcome, stopped, new Promise((resolve) => (timer = setTimeout(resolve, START_GRACE_MS)))]);
  clearTimeout(timer);
  const order = platforms.map((platform) => platform.name);
  throw new PlatformError([...failures].sort((a, b) => order.indexOf(a.platform) - order.indexOf(b.platform)));
}

/** What is running, stopped in the reverse of the order it was started; a stop that fails is logged, the rest go on. */
class Stoppers {
  readonly #stops: { readonly what: string; readonly stop: () => Promise<void> | void }[] = [];

  constructor(private readonly logger: Logger) {}

  add(what: string, stop: () => Promise<void> | void): void {
    this.#stops.push({ what, stop });
  }

  async stopAll(): Promise<void> {
    for (const { what, stop } of this.#stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (error) {
        this.logger.error({ err: error, what }, 'could not stop cleanly');
      }
    }
  }
}

/** The health of the store: `ok`, or the line that says what is wrong. */
function storeHealth(store: BotStore): HealthChecks {
  try {
    store.assertWritable();
    return { database: 'ok' };
  } catch (error) {
    if (error instanceof StateDbError) return { database: error.message };
    return { database: `not writable: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/** What the HTTP server serves: health, metrics, the course's calendar, and the plan webhook. */
interface HttpInput {
  readonly http: NonNullable<Config['http']>;
  readonly plan: Config['plan'];
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly health: () => HealthChecks;
  /** The running courses: each served at `/calendar/<course id>.ics` (`/calendar.ics` while there is one). */
  readonly courses: () => readonly CourseRuntime[];
}

/** Starts the health, metrics and calendar server (`HTTP_PORT`); loaded only when configured. */
async function serveHttp(input: HttpInput): Promise<RunningHttpServer> {
  const { logger, courses } = input;
  const [{ startHttpServer }, { cachedCalendar, courseCalendars }, { planHook }] = await Promise.all([
    import('./observability/http.js'),
    import('./calendar/ics.js'),
    import('./course-file/plan-hook.js'),
  ]);
  // One cached feed per running course, served at /calendar/<course id>.ics (and /calendar.ics for one course).
  const feeds = new WeakMap<CourseRuntime, Calendars>();
  const calendarOf = (runtime: CourseRuntime): Calendars => {
    let feed = feeds.get(runtime);
    if (!feed) {
      feed = cachedCalendar({ course: () => runtime.course(), now: () => runtime.clock.now() });
      feeds.set(runtime, feed);
    }
    return feed;
  };
  return startHttpServer({
    ...input.http,
    logger: logger.child({ subsystem: 'http' }),
    metrics: input.metrics,
    health: input.health,
    calendars: courseCalendars(() => courses().map(calendarOf)),
    planHook: planHook({
      ...(input.plan.webhookSecret !== undefined && { secret: input.plan.webhookSecret }),
      // Every course fetches its own plan URL (a course without one has nothing to fetch).
      refresh: () => {
        for (const course of courses()) {
          void course.refreshPlan('webhook').catch((error: unknown) => logger.error({ err: error, course: course.id }, 'plan refresh failed'));
        }
      },
      logger: logger.child({ subsystem: 'plan-hook' }),
    }),
  });
}

/** The courses of the deployment as they come and go: the catalog's folder, or the one course file. */
interface LoadedCourses {
  /** Called after a course was added or removed while running. */
  onChange(listener: () => void): void;
  /** Looks at the folder again (SIGHUP); absent for one course file. */
  readonly rescan?: () => void;
  close(): void;
}

/**
 * Loads the deployment's courses into `fleet`: every file of `COURSES_DIR` (followed by the fleet), or the one
 * course of `COURSE_FILE` / the bundled course, whose targets are its file's `targets:` or else the environment's
 * (a broken file throws `CourseFileError` before anything connects, as it always has).
 */
async function loadCourses(input: { readonly config: Config; readonly logger: Logger; readonly fleet: CourseFleet }): Promise<LoadedCourses> {
  const { config, logger, fleet } = input;
  if (config.coursesDir) return fleet.followFolder(config.coursesDir);
  const file = { path: config.courseFile, label: config.courseFileLabel };
  const course = await fleet.add('course', file, (loaded) => singleCourseTargets(loaded.file.targets, config));
  logger.info({ file: config.courseFileLabel, bundled: config.courseFileIsBundled, sessions: course.loaded.course.sessions.length }, 'course loaded');
  return { onChange: () => undefined, close: () => undefined };
}

/**
 * The composition root: config → logger → course → store → platforms (Discord and/or Slack when their
 * tokens are set, else the terminal chat) → the course's announcer, events and reminders → signals.
 * The course file is read before anything connects; a broken one throws `CourseFileError`. A platform
 * that cannot start (a refused token, no network) stops the others and throws `PlatformError`,
 * one line per failed platform. It never ends the process: that is its caller's (the CLI's) decision.
 */
export async function start(options: StartOptions): Promise<void> {
  const { config } = options;
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const interactive = Boolean((input as { isTTY?: boolean }).isTTY);
  const chat = chatConfigured(config);
  // The terminal chat in a person's terminal: log lines would land between the answers and break the
  // prompt. Only warnings and errors show (unless LOG_LEVEL is set), and they are written above the prompt.
  const screen = !chat && interactive ? new PromptScreen(output) : undefined;
  const logger = screen
    ? createLogger({
        level: chatLogLevel(config.logLevel, { interactive: true, levelSet: config.logLevelSet }),
        ...(config.logFormat !== 'auto' && { pretty: config.logFormat === 'pretty' }),
        destination: screen.stream(options.errorOutput ?? process.stderr),
      })
    : options.logger;
  // Listen first: a signal that arrives before Node has a listener ends the process on the spot.
  const shutdown = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'shutting down');
    shutdown.abort();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const stopped = new Promise<void>((resolve) => shutdown.signal.addEventListener('abort', () => resolve(), { once: true }));
  const running = new Stoppers(logger);
  try {
    const modules = await configuredPlatforms(config);
    let opened: BotStore | undefined;
    // One store for every course. What goes wrong with it concerns every course's instructors.
    const store = (): BotStore =>
      (opened ??= openStore(config, {
        // Once per incident (the file deleted or replaced, the disk full or failing), found by a write, the
        // health check or the minute check below.
        onTrouble: (error) => {
          logger.error({ db: storeName(config), problem: error.problem, ...(error.recovered && { recovered: error.recovered }) }, error.message);
          fleet.tellAll(error.message);
        },
        onRecovered: (message) => {
          logger.info({ db: storeName(config) }, message);
          fleet.tellAll(message);
        },
      }));
    running.add('state store', () => opened?.close());
    const metrics = config.http ? new (await import('./observability/metrics.js')).Metrics() : undefined;
    const fleet = new CourseFleet({ config, store, logger, ...(options.clock && { clock: options.clock }), ...(metrics && { metrics }) });
    running.add('courses', () => fleet.stop());
    const courses = await loadCourses({ config, logger, fleet });
    // Reminder subscriptions made before they belonged to a course go to the course they were made in.
    if (fleet.runtimes.length > 0) {
      const { adoptOldReminders } = await import('./courses/old-reminders.js');
      adoptOldReminders({ store: store(), courses: fleet.runtimes.map((runtime) => runtime.id), ...(config.coursesDir && { dir: config.coursesDir.label }), logger });
    }
    running.add('course files watch', () => courses.close());
    const first = fleet.runtimes[0];
    // The clock commands read "now" from (an instant: each course's zone is its own).
    const clock = first?.clock ?? systemClock;
    // Checked in a worker thread: the bot goes on answering (and can stop) while a large file is read.
    const onHangUp = () => {
      for (const runtime of fleet.runtimes) runtime.reload('SIGHUP');
      courses.rescan?.();
    };
    process.on('SIGHUP', onHangUp);
    running.add('SIGHUP', () => void process.off('SIGHUP', onHangUp));
    // A database deleted or replaced under the bot, or a disk that filled up, is found within a minute even when
    // nothing writes (and a copy of a lost database that could not be saved is tried again).
    const fileCheck = setInterval(() => storeHealth(store()), 60_000).unref();
    running.add('database check', () => clearInterval(fileCheck));
    const platforms: Platform[] = [];
    const health = (): HealthChecks => ({
      ...storeHealth(store()),
      ...(chat &&
        (platforms.length > 0
          ? Object.fromEntries(platforms.map((platform) => [platform.name, platform.health()]))
          : { platforms: 'starting (waiting after failed starts)' })),
    });
    if (config.http && metrics) {
      const server = await serveHttp({ http: config.http, plan: config.plan, logger, metrics, health, courses: () => fleet.runtimes });
      running.add('http server', () => void server.close());
    }
    // A chat platform that keeps failing to start waits first (Discord allows 1000 logins a day).
    const failedBefore = chat ? await backOffAfterFailedStarts(store(), logger, shutdown.signal) : 0;
    const deps: PlatformDeps = {
      config,
      store: store(),
      clock,
      logger,
      scopes: courseScopes(() => fleet.served()),
      targets: () => fleet.targets(),
      ...(metrics && { metrics }),
    };
    if (!shutdown.signal.aborted) {
      for (const module of modules) {
        const platform = await module.start({ ...deps, logger: logger.child({ platform: module.name }) });
        platforms.push(platform);
        running.add(`${platform.name} platform`, () => platform.stop());
      }
      if (!chat) {
        const { startTerminal } = await import('./platforms/terminal/platform.js');
        const terminal = await startTerminal({
          ...deps,
          logger: logger.child({ platform: 'terminal' }),
          input,
          output,
          ...(screen && { screen }),
          actor: { platform: 'terminal', id: userInfo().username },
          banner: [
            ...(config.coursesDir
              ? [`course-bot: ${fleet.runtimes.length === 1 ? '1 course' : `${fleet.runtimes.length} courses`} from ${config.coursesDir.label}: ${fleet.runtimes.map((runtime) => runtime.id).join(', ')}`]
              : [
                  `course-bot: ${first ? courseSummary(first.loaded) : ''}`,
                  `Course file: ${config.courseFileLabel}${config.courseFileIsBundled ? ' (bundled default)' : ''}`,
                ]),
            'No platform token: terminal mode. Type /help for the commands, /quit or Ctrl-D to leave.',
            '',
          ].join('\n'),
        });
        platforms.push(terminal);
        running.add('terminal', () => terminal.stop());
      }
    }
    // The courses stop posting before the platforms they post through stop.
    running.add('courses', () => fleet.stop());
    // A signal while still connecting stops the bots too; a platform that cannot start stops them all
    // and ends the process with exit 1, so that a supervisor restarts it.
    await allReady(platforms, stopped);
    const reachedReady = !shutdown.signal.aborted;
    if (reachedReady) {
      // Every course posts through every platform, each to its own targets; courses added later start at once,
      // and Discord registers the commands where the new set of courses needs them.
      fleet.start(platforms);
      courses.onChange(() => {
        for (const platform of platforms) void platform.coursesChanged?.();
      });
      if (chat) markStartGood(store(), shutdown.signal, { logger });
    }
    const outcome = await Promise.race([
      stopped.then(() => 'stopped' as const),
      ...platforms.map((platform) => platform.ended.then(() => 'ended' as const)),
      ...platforms.map((platform) => platform.lost.then((error) => ({ platform: platform.name, error }))),
    ]);
    if (typeof outcome === 'object' && outcome.platform !== 'terminal' && !shutdown.signal.aborted) {
      // A bot shut out of a platform answers nobody there: end, so that a supervisor restarts it (and the
      // restart says what to fix).
      logger.error({ platform: outcome.platform }, 'a platform shut the bot out; stopping');
      throw new PlatformError([{ platform: outcome.platform, error: outcome.error }]);
    }
    if (outcome === 'ended' && config.http && !shutdown.signal.aborted && !interactive) {
      // A server (a container without a platform token): the input has ended, but announcements, health,
      // metrics and the calendar go on until a signal, rather than exiting into a restart loop.
      logger.info('terminal input ended; still serving HTTP and printing announcements until stopped');
      await stopped;
    }
    // A clean stop after connecting is not a failed start; one before (during the backoff wait, say)
    // leaves the count as it was, so a supervisor's restarts neither reset nor raise it.
    if (chat) store().setValue(FAILED_STARTS_KEY, reachedReady ? '0' : String(failedBefore));
  } finally {
    await running.stopAll();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    logger.debug('stopped');
  }
}
