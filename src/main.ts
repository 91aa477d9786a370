import { randomUUID } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { Announcer, DEFAULT_RETRY } from './announcer/announcer.js';
import { LiveSchedule } from './schedule/live-schedule.js';
import { type Clock, systemClock } from './core/clock.js';
import type { Course } from './core/course/model.js';
import { commands } from './core/commands/registry.js';
import type { Config, DiscordConfig, SlackConfig } from './config.js';
import { courseSummary } from './course-file/summary.js';
import { LiveCourse } from './course-file/live-course.js';
import { Settle } from './course-file/settle.js';
import { PLAN_FETCHED, PlanSource } from './course-file/plan-source.js';
import { watchPlanFile } from './course-file/plan-watch.js';
import { type Logger, chatLogLevel, createLogger } from './log.js';
import { startTicking } from './announcer/tick.js';
import type { Messenger, ScheduleAdmin, StateStore } from './core/ports.js';
import type { HealthChecks } from './observability/http.js';
import type { Metrics } from './observability/metrics.js';
import { FAILED_STARTS_KEY, backOffAfterFailedStarts, markStartGood } from './startup.js';
import { DiscordBot, discordRest } from './platforms/discord/bot.js';
import { DiscordMessenger, postNotice } from './platforms/discord/messenger.js';
import { type PlatformFailure, type PlatformName, PlatformError } from './platforms/failure.js';
import { TerminalMessenger } from './platforms/terminal/messenger.js';
import { PromptScreen } from './platforms/terminal/screen.js';
import { runTerminal } from './platforms/terminal/terminal.js';
import { openStateStore } from './store/open.js';
import { type EventPort, EventSync } from './events/sync.js';
import { type RunningEventSync, runEventSync } from './events/run.js';
import { DiscordEventPort } from './platforms/discord/events.js';
import { Reminders } from './announcer/reminders.js';
import type { DirectMessenger } from './core/reminders.js';
import { ReminderBook } from './store/reminders.js';
import { DiscordDirectMessenger } from './platforms/discord/direct.js';
import { TerminalDirectMessenger } from './platforms/terminal/messenger.js';
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

/** A name for this process in announcement claims: unique per start. */
export function instanceName(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

export interface AnnouncerInput {
  readonly config: Config;
  readonly logger: Logger;
  readonly store: StateStore;
  readonly clock: Clock;
  readonly course: () => Course;
  readonly messengers: readonly Messenger[];
  readonly metrics?: Metrics;
}

/** The announcer for these messengers, configured from the environment. */
export function createAnnouncer(input: AnnouncerInput): Announcer {
  return new Announcer({
    course: input.course,
    clock: input.clock,
    store: input.store,
    messengers: input.messengers,
    logger: input.logger.child({ subsystem: 'announcer' }),
    owner: instanceName(),
    leaseMs: input.config.announcer.leaseMs,
    retry: { ...DEFAULT_RETRY, giveUpAfterMs: input.config.announcer.retryForMs },
    ...(input.metrics && { onOutcome: input.metrics.announcement }),
  });
}

/** The announcer for these messengers, ticking; returns it and the function that stops it. */
export function startAnnouncer(input: AnnouncerInput): { readonly announcer: Announcer; readonly stop: () => Promise<void> } {
  const announcer = createAnnouncer(input);
  const stop = startTicking(announcer, {
    timezone: input.course().timezone,
    clock: input.clock,
    logger: input.logger.child({ subsystem: 'announcer' }),
  });
  return { announcer, stop };
}

/** The reminders students opted into, sent through these messengers, ticking; returns the function that stops them. */
export function startReminders(input: Omit<AnnouncerInput, 'messengers'> & { readonly book: ReminderBook; readonly messengers: readonly DirectMessenger[] }): () => Promise<void> {
  const logger = input.logger.child({ subsystem: 'reminders' });
  const reminders = new Reminders({
    course: input.course,
    clock: input.clock,
    store: input.store,
    book: input.book,
    messengers: input.messengers,
    logger,
    owner: instanceName(),
    leaseMs: input.config.announcer.leaseMs,
  });
  return startTicking(reminders, { timezone: input.course().timezone, clock: input.clock, logger });
}

/** A chat platform once started: where it announces, how it tells instructors, how it stops. */
interface Platform {
  readonly name: PlatformName;
  /** `ok` while connected, else why not (for `/healthz`). */
  health(): string;
  /** Resolves when connected (rejects when it cannot start: a refused token, no network). */
  readonly ready: Promise<void>;
  /** Resolves, with the reason, when the platform shuts the bot out for good while it runs (a revoked token). */
  readonly lost: Promise<unknown>;
  /** The announcement targets, once ready. */
  messengers(): Messenger[];
  /** Where reminders are sent as direct messages, once ready. */
  directMessengers(): DirectMessenger[];
  readonly tell?: (text: string) => Promise<void>;
  /** Where the course's sessions are kept as scheduled events (Discord with `DISCORD_EVENTS=on`). */
  readonly events?: EventPort;
  stop(): Promise<void>;
}

interface PlatformDeps {
  readonly store: StateStore;
  readonly course: () => Course;
  readonly clock: Clock;
  readonly admin: ScheduleAdmin;
  readonly reminders: ReminderBook;
  readonly logger: Logger;
  readonly metrics?: Metrics;
  /** `DISCORD_EVENTS=on`. */
  readonly discordEvents?: Config['discordEvents'];
}

/** How long the other platforms may take to say whether they could start, once one could not. */
const START_GRACE_MS = 5_000;

/**
 * The start of a platform, its failure observed at once: a refusal that comes while the next platform is
 * still being set up must not count as unhandled (Node ends the process with a stack trace then).
 * `allReady` reports it.
 */
function observed(ready: Promise<void>): Promise<void> {
  ready.catch(() => undefined);
  return ready;
}

/**
 * Resolves once every platform is ready, or a stop was asked for. When one cannot start, the others get
 * a few seconds to say whether they can (a refused token is known within a second), then a
 * `PlatformError` names each platform that failed, one line each.
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
          failures.push({ platform: platform.name, error });
          failed();
        },
      ),
    ),
  );
  await Promise.race([everyOutcome, firstFailure, stopped]);
  if (failures.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([everyOutcome, stopped, new Promise((resolve) => (timer = setTimeout(resolve, START_GRACE_MS)))]);
  clearTimeout(timer);
  const order = platforms.map((platform) => platform.name);
  throw new PlatformError([...failures].sort((a, b) => order.indexOf(a.platform) - order.indexOf(b.platform)));
}

/** Waits for a start to end, but no more than 2 s: an API that does not answer must not hold a stop. */
async function settled(ready: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([ready.catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, 2_000)))]);
  clearTimeout(timer);
}

function discordPlatform(config: DiscordConfig, deps: PlatformDeps): Platform {
  const bot = new DiscordBot({ config, commands, ...deps, ...(deps.metrics && { observe: deps.metrics.command }) });
  deps.metrics?.gatewayPing('discord', () => bot.client.ws.ping);
  const ready = observed(bot.start());
  const instructorChannelId = config.instructorChannelId;
  const rest = instructorChannelId ? discordRest(config) : undefined;
  return {
    name: 'discord',
    health: () => (bot.connected ? 'ok' : 'not connected to the gateway'),
    ready,
    lost: bot.lost,
    messengers: () =>
      config.announceChannelId
        ? [
            new DiscordMessenger({
              rest: discordRest(config, { retries: 0 }),
              channelId: config.announceChannelId,
              ...(bot.client.user && { botUserId: bot.client.user.id }),
              ...(config.announceRoleId && { mentionRoleId: config.announceRoleId }),
              ...(instructorChannelId && { instructorChannelId }),
            }),
          ]
        : [],
    directMessengers: () => [
      new DiscordDirectMessenger({
        rest: discordRest(config, { retries: 0 }),
        book: deps.reminders,
        ...(config.guildId && { guildId: config.guildId }),
        ...(bot.client.user && { botUserId: bot.client.user.id }),
      }),
    ],
    ...(rest && instructorChannelId && { tell: (text: string) => postNotice(rest, instructorChannelId, text) }),
    ...(deps.discordEvents &&
      config.guildId && {
        events: new DiscordEventPort({ rest: discordRest(config, { retries: 0 }), guildId: config.guildId, botUserId: () => bot.client.user?.id }),
      }),
    stop: async () => {
      await bot.stop();
      await settled(ready);
    },
  };
}

// Slack, metrics, the HTTP server and the calendar are loaded only when configured: a Discord-only bot
// starts without Bolt (and Express), prom-client or the calendar library in memory.
async function slackPlatform(config: SlackConfig, deps: PlatformDeps): Promise<Platform> {
  const [{ SlackBot, slackClient }, { SlackMessenger }, { commandNamer }, { SlackDirectMessenger }] = await Promise.all([
    import('./platforms/slack/bot.js'),
    import('./platforms/slack/messenger.js'),
    import('./platforms/slack/render.js'),
    import('./platforms/slack/direct.js'),
  ]);
  const bot = new SlackBot({ config, commands, ...deps, ...(deps.metrics && { observe: deps.metrics.command }) });
  const ready = observed(bot.start());
  // Posting does not retry on its own: the announcer looks for an earlier attempt before posting again.
  const client = slackClient(config, deps.logger, { retries: 0 });
  const messenger = (channel: string) =>
    new SlackMessenger({
      client,
      channel,
      nameCommands: commandNamer(commands, config.commandPrefix),
      ...(config.instructorChannel && { instructorChannel: config.instructorChannel }),
    });
  const instructorChannel = config.instructorChannel;
  return {
    name: 'slack',
    health: () => (bot.connected ? 'ok' : config.appToken ? 'not connected (Socket Mode)' : 'not listening'),
    ready,
    lost: bot.lost,
    messengers: () => (config.announceChannel ? [messenger(config.announceChannel)] : []),
    directMessengers: () => [new SlackDirectMessenger({ client, book: deps.reminders, nameCommands: commandNamer(commands, config.commandPrefix) })],
    ...(instructorChannel && { tell: (text: string) => messenger(instructorChannel).report(text) }),
    stop: async () => {
      // Stop first: a start still connecting (or retrying) then gives up instead of holding the stop.
      await bot.stop();
      await settled(ready);
    },
  };
}

/**
 * The composition root: config → logger → course → store → platforms (Discord and/or Slack when their
 * tokens are set, else the terminal chat) → announcer → signals.
 * The course file is read before anything connects; a broken one throws `CourseFileError`. A platform
 * that cannot start (a refused token, no network) stops the others and throws `PlatformError`,
 * one line per failed platform. It never ends the process: that is its caller's (the CLI's) decision.
 */
export async function start(options: StartOptions): Promise<void> {
  const { config } = options;
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  // The terminal chat in a person's terminal: log lines would land between the answers and break the
  // prompt. Only warnings and errors show (unless LOG_LEVEL is set), and they are written above the prompt.
  const screen = !config.discord && !config.slack && (input as { isTTY?: boolean }).isTTY ? new PromptScreen(output) : undefined;
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
  let store: StateStore | undefined;
  let cleanUp: () => void = () => undefined;
  try {
    // Where a refused course file is reported, once a platform is up.
    let tellInstructors: (text: string) => void = () => undefined;
    const openStore = (): StateStore =>
      (store ??= openStateStore(config, {
        // Once per incident (the file deleted or replaced, the disk full or failing), found by a write, the
        // health check or the minute check below.
        onTrouble: (error) => {
          logger.error({ db: config.stateDb, problem: error.problem, ...(error.recovered && { recovered: error.recovered }) }, error.message);
          tellInstructors(error.message);
        },
        onRecovered: (message) => {
          logger.info({ db: config.stateDb }, message);
          tellInstructors(message);
        },
      }));
    // The state store is opened for the course only when its plan is a URL (whose last good copy it keeps):
    // a broken course file stops the start before anything is created.
    const plans = new PlanSource({
      store: { getValue: (key) => openStore().getValue(key), setValue: (key, value) => openStore().setValue(key, value) },
      logger: logger.child({ subsystem: 'plan' }),
      ...(config.plan.sourceToken !== undefined && { token: config.plan.sourceToken }),
      tell: (text) => tellInstructors(text),
    });
    const loaded = await plans.load(config.courseFile, config.courseFileLabel);
    const clock = options.clock?.(loaded.course) ?? systemClock;
    // Undefined while starting; `off` when no announcement channel is configured.
    let announcer: Announcer | 'off' | undefined;
    store = openStore();
    logger.debug({ db: config.stateDb }, 'state store open');
    // A change made by editing the file is announced once the file has been quiet (a half-saved file
    // is never announced); the notice compares with what students were last told. Called only after
    // start-up, once `schedule` exists.
    const fileNotices = new Settle(() => schedule.publishInBackground('course file changed'));
    const live = new LiveCourse({
      path: config.courseFile,
      label: config.courseFileLabel,
      initial: loaded,
      logger: logger.child({ subsystem: 'course-file' }),
      onInvalid: (error) => {
        fileNotices.postpone();
        // Problems named in another file than the course file are the time plan's (`plan:`).
        const what = error.issues.some((issue) => issue.file !== config.courseFileLabel) ? 'The time plan was not taken' : 'The course file was not reloaded';
        tellInstructors(`${what}; the last good schedule stays live.\n${error.message}`);
      },
      onRecovered: () => tellInstructors(`Course file accepted again: ${config.courseFileLabel} has no errors now, and the schedule follows it.`),
      // Called only after start-up, once `schedule` and `planWatch` exist. A plan fetched from its URL is a
      // whole push, told at once; an edited file (or plan file) is told once it has been quiet.
      onChange: (reason) => {
        planWatch.retarget();
        if (reason.startsWith(PLAN_FETCHED)) schedule.publishInBackground('plan changed');
        else fileNotices.touch();
      },
      read: { plan: plans.reader },
      planTexts: () => plans.texts(),
    });
    // The scheduled events being kept (Discord with DISCORD_EVENTS=on), once the platforms are up.
    const eventSyncs: RunningEventSync[] = [];
    const schedule = new LiveSchedule({
      live,
      store,
      clock,
      logger: logger.child({ subsystem: 'schedule' }),
      announcer: () => announcer,
      onPublish: () => {
        for (const sync of eventSyncs) sync.trigger();
      },
    });
    // Checked in a worker thread: the bot goes on answering (and can stop) while a large file is read.
    const onHangUp = () => void live.reloadOffThread('SIGHUP');
    process.on('SIGHUP', onHangUp);
    const stopWatching = live.watch();
    const planWatch = watchPlanFile(live);
    const stopFollowing = plans.follow(live);
    cleanUp = () => {
      process.off('SIGHUP', onHangUp);
      stopWatching();
      fileNotices.stop();
      live.close();
      planWatch.stop();
      stopFollowing();
    };
    const course = () => schedule.course;
    logger.info(
      { file: config.courseFileLabel, bundled: config.courseFileIsBundled, sessions: loaded.course.sessions.length },
      'course loaded',
    );
    const platformStore = store;
    const metrics = config.http ? new (await import('./observability/metrics.js')).Metrics() : undefined;
    const storeHealth = () => {
      try {
        platformStore.assertWritable();
        return { database: 'ok' };
      } catch (error) {
        if (error instanceof StateDbError) return { database: error.message };
        return { database: `not writable: ${error instanceof Error ? error.message : String(error)}` };
      }
    };
    // A database deleted or replaced under the bot, or a disk that filled up, is found within a minute even when
    // nothing writes (and a copy of a lost database that could not be saved is tried again).
    const fileCheck = setInterval(storeHealth, 60_000).unref();
    const stopFileCheck = cleanUp;
    cleanUp = () => {
      clearInterval(fileCheck);
      stopFileCheck();
    };
    let health: () => HealthChecks = storeHealth;
    if (config.http && metrics) {
      const [{ startHttpServer }, { cachedCalendar }, { planHook }] = await Promise.all([
        import('./observability/http.js'),
        import('./calendar/ics.js'),
        import('./course-file/plan-hook.js'),
      ]);
      const server = await startHttpServer({
        ...config.http,
        logger: logger.child({ subsystem: 'http' }),
        metrics,
        health: () => health(),
        calendar: cachedCalendar({ course: () => schedule.course, now: () => clock.now() }),
        planHook: planHook({
          ...(config.plan.webhookSecret !== undefined && { secret: config.plan.webhookSecret }),
          refresh: () => void plans.refresh('webhook').catch((error: unknown) => logger.error({ err: error }, 'plan refresh failed')),
          logger: logger.child({ subsystem: 'plan-hook' }),
        }),
      });
      const previous = cleanUp;
      cleanUp = () => {
        previous();
        void server.close();
      };
    }
    if (config.discord || config.slack) {
      const stopped = new Promise<void>((resolve) => {
        if (shutdown.signal.aborted) resolve();
        shutdown.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      const reminders = new ReminderBook(platformStore, config.reminders.evening);
      const deps = {
        store: platformStore,
        course,
        clock,
        admin: schedule,
        reminders,
        ...(metrics && { metrics }),
        ...(config.discordEvents && { discordEvents: config.discordEvents }),
      };
      const platforms: Platform[] = [];
      let stopTicking: (() => Promise<void>) | undefined;
      let stopReminders: (() => Promise<void>) | undefined;
      try {
        health = () => ({
          ...storeHealth(),
          ...(platforms.length > 0
            ? Object.fromEntries(platforms.map((platform) => [platform.name, platform.health()]))
            : { platforms: 'starting (waiting after failed starts)' }),
        });
        const failedBefore = await backOffAfterFailedStarts(platformStore, logger, shutdown.signal);
        let reachedReady = false;
        if (!shutdown.signal.aborted) {
          if (config.discord) platforms.push(discordPlatform(config.discord, { ...deps, logger: logger.child({ platform: 'discord' }) }));
          if (config.slack) platforms.push(await slackPlatform(config.slack, { ...deps, logger: logger.child({ platform: 'slack' }) }));
        }
        // A signal while still connecting stops the bots too; a platform that cannot start stops them all
        // (below) and ends the process with exit 1, so that a supervisor restarts it.
        await allReady(platforms, stopped);
        if (!shutdown.signal.aborted) {
          const reporters = platforms.flatMap((platform) => (platform.tell ? [platform.tell] : []));
          tellInstructors = (text) => {
            for (const tell of reporters) tell(text).catch((error: unknown) => logger.error({ err: error }, 'could not tell instructors'));
          };
          const planNotice = plans.startNotice();
          if (planNotice !== undefined) tellInstructors(planNotice);
          const messengers = platforms.flatMap((platform) => platform.messengers());
          if (messengers.length > 0) {
            const started = startAnnouncer({ config, logger, store: platformStore, clock, course, messengers, ...(metrics && { metrics }) });
            announcer = started.announcer;
            stopTicking = started.stop;
          } else {
            announcer = 'off';
            logger.info('no announcement channel (DISCORD_ANNOUNCE_CHANNEL_ID, SLACK_ANNOUNCE_CHANNEL): morning announcements are off');
          }
          for (const platform of platforms) {
            if (!platform.events) continue;
            const sync = new EventSync({
              port: platform.events,
              store: platformStore,
              course,
              clock,
              days: config.discordEvents?.days ?? 14,
              owner: instanceName(),
              leaseMs: config.announcer.leaseMs,
              logger: logger.child({ subsystem: 'events', platform: platform.name }),
              tell: (text) => tellInstructors(text),
            });
            eventSyncs.push(runEventSync(sync));
          }
          const direct = platforms.flatMap((platform) => platform.directMessengers());
          stopReminders = startReminders({ config, logger, store: platformStore, clock, course, book: reminders, messengers: direct });
          // Changes made to the file while the bot was down are announced now (and the events synced).
          schedule.publishInBackground('start');
          markStartGood(platformStore, shutdown.signal, { logger });
          reachedReady = true;
        }
        const lost = await Promise.race([
          stopped.then(() => undefined),
          ...platforms.map((platform) => platform.lost.then((error): PlatformFailure => ({ platform: platform.name, error }))),
        ]);
        if (lost && !shutdown.signal.aborted) {
          // A bot shut out of a platform answers nobody there: end, so that a supervisor restarts it (and the
          // restart says what to fix).
          logger.error({ platform: lost.platform }, 'a platform shut the bot out; stopping');
          throw new PlatformError([lost]);
        }
        // A clean stop after connecting is not a failed start; one before (during the backoff wait, say)
        // leaves the count as it was, so a supervisor's restarts neither reset nor raise it.
        platformStore.setValue(FAILED_STARTS_KEY, reachedReady ? '0' : String(failedBefore));
      } finally {
        schedule.stop();
        for (const sync of eventSyncs) await sync.stop();
        await stopTicking?.();
        await stopReminders?.();
        await schedule.settle();
        for (const platform of platforms.reverse()) {
          await platform.stop().catch((error: unknown) => logger.error({ err: error, platform: platform.name }, 'could not stop cleanly'));
        }
      }
      return;
    }
    const terminalStore = store;
    // Above the prompt in an interactive terminal.
    const printer = new TerminalMessenger(screen ? screen.stream(output) : output);
    let stopTicking: (() => Promise<void>) | undefined;
    let stopReminders: (() => Promise<void>) | undefined;
    const reminders = new ReminderBook(terminalStore, config.reminders.evening);
    try {
      await runTerminal({
        input,
        output,
        ...(screen && { screen }),
        course,
        commands,
        clock,
        signal: shutdown.signal,
        onReady: () => {
          // Whoever runs the terminal is the course's instructor: what instructors are told is printed in the chat.
          tellInstructors = (text) => void printer.tell(text);
          const started = startAnnouncer({
            config,
            logger,
            store: terminalStore,
            clock,
            course,
            messengers: [printer],
          });
          announcer = started.announcer;
          stopTicking = started.stop;
          stopReminders = startReminders({ config, logger, store: terminalStore, clock, course, book: reminders, messengers: [new TerminalDirectMessenger(printer.output)] });
          schedule.publishInBackground('start');
        },
        admin: schedule,
        reminders,
        actor: { platform: 'terminal', id: userInfo().username },
        logger: logger.child({ platform: 'terminal' }),
        banner: [
          `course-bot: ${courseSummary(loaded)}`,
          `Course file: ${config.courseFileLabel}${config.courseFileIsBundled ? ' (bundled default)' : ''}`,
          'No platform token: terminal mode. Type /help for the commands, /quit or Ctrl-D to leave.',
          '',
        ].join('\n'),
      });
      if (config.http && !shutdown.signal.aborted && !(input as { isTTY?: boolean }).isTTY) {
        // A server (a container without a platform token): the input has ended, but announcements, health,
        // metrics and the calendar go on until a signal, rather than exiting into a restart loop.
        logger.info('terminal input ended; still serving HTTP and printing announcements until stopped');
        await new Promise<void>((resolve) => shutdown.signal.addEventListener('abort', () => resolve(), { once: true }));
      }
    } finally {
      schedule.stop();
      await stopTicking?.();
      await stopReminders?.();
      await schedule.settle();
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    cleanUp();
    store?.close();
    logger.debug('stopped');
  }
}
