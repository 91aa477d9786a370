#!/usr/bin/env node
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command as Program, CommanderError } from 'commander';
import { morningAnnouncement } from './core/announcement.js';
import { INSTANT_FORMS, parseInstant, shiftedClock, systemClock } from './core/clock.js';
import { today } from './core/course/calendar.js';
import { formatLongDate, isIsoDate } from './core/course/dates.js';
import { type Course, printable } from './core/course/model.js';
import { COURSE_LIMITS, type CourseFile } from './core/course/schema.js';
import { runCommandLine } from './core/commands/parse.js';
import { commands } from './core/commands/registry.js';
import { isUserFacingError } from './core/errors.js';
import type { Messenger, StateStore } from './core/ports.js';
import { type Config, ConfigError, PACKAGE_ROOT, label, loadConfig } from './config.js';
import { ImportError, courseYaml, importPlan } from './course-file/import-markdown.js';
import { COURSE_FILE_LIMITS, CourseFileError, type ExportMarker, type LoadedCourse, loadCourseFile } from './course-file/read.js';
import { courseSummary } from './course-file/summary.js';
import { registerMigrate } from './cli/migrate.js';
import { OutputError, writeFileAtomically, writeToStream } from './cli/output.js';
import { createLogger, registerSecrets } from './log.js';
import { platformFailure } from './platforms/failure.js';
import { FileRefusal, readRegularFile } from './regular-file.js';
import { effectiveCourse } from './schedule/live-schedule.js';
import { MemoryStore } from './store/memory-store.js';
import { StateDbError } from './store/state-db-error.js';

/** Exit codes: 0 done, 1 bad data or configuration (or output that cannot be written), 2 bad usage. */
const EXIT_INVALID = 1;
const EXIT_USAGE = 2;
/** What a shell reports for a writer whose reader went away (128 + SIGPIPE), as for `yes | head -1`. */
const EXIT_BROKEN_PIPE = 141;

class UsageError extends Error {}

/** A setting the command needs is missing; exits 1 like every configuration problem. */
class SetupError extends Error {}

/** Where the command line reads its settings and writes its output; the process's own by default. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** The environment (and `.env` in `cwd`) read for the configuration. */
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

function version(): string {
  const pkg: unknown = JSON.parse(readFileSync(resolve(PACKAGE_ROOT, 'package.json'), 'utf8'));
  return (pkg as { version?: string }).version ?? '0.0.0';
}

/** The logger the configuration asks for: JSON or pretty, or pretty only on a terminal (`auto`). */
function loggerFor(settings: Config) {
  return createLogger({ level: settings.logLevel, ...(settings.logFormat !== 'auto' && { pretty: settings.logFormat === 'pretty' }) });
}

/**
 * `--at`: a date or date-time; without an offset it is read in the course's zone. Its year must be one a
 * course file may use (`COURSE_LIMITS`): the calendar works a little past them (a running clock rolls over
 * into the next year, a week ahead), but not thousands of years past (year 10000 has no `YYYY-MM-DD`).
 */
function parseAt(value: string, zone: string): Date {
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
 * The state database for a command that only reads the schedule, opened so that it creates and changes
 * nothing (see `openForReading`): a user who may read the bot's database but not write it can run it. A
 * database that does not exist holds no changes yet: it is not created (only the bot and the commands that
 * post create it).
 */
async function readingStore(path: string): Promise<StateStore & { close(): void }> {
  if (path === ':memory:' || nothingAt(path)) return new MemoryStore();
  // The store refuses what is not a database file (a folder, a FIFO, a device) in one line of its own.
  const { openForReading } = await import('./store/sqlite-store.js');
  return openForReading(path);
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

/** `--course` and `--state-db`: which course file and state database a command reads. */
interface SourceOptions {
  readonly course?: string;
  readonly stateDb?: string;
}

/** The course the bot would serve: the course file with the changes made in chat, as `course-bot start` reads them. */
interface Effective {
  readonly loaded: LoadedCourse;
  readonly course: Course;
  readonly file: CourseFile;
  readonly marker?: ExportMarker;
  readonly skipped: readonly { readonly id: number; readonly reason: string }[];
  readonly courseLabel: string;
}

function program(io: CliIo, setStatus: (code: number) => void): Program {
  const cwd = io.cwd ?? process.cwd();
  const print = (text: string) => writeToStream(io.stdout, text.endsWith('\n') ? text : `${text}\n`);
  const warn = (text: string) => writeToStream(io.stderr, `${text}\n`, 'standard error');

  const config = (): Config => {
    const settings = loadConfig({ ...(io.env && { env: io.env }), cwd });
    registerSecrets([settings.discord?.token, settings.slack?.botToken, settings.slack?.appToken, settings.slack?.signingSecret]);
    registerSecrets([settings.plan.sourceToken, settings.plan.webhookSecret]);
    return settings;
  };

  /** The course named by `--course`, or the configured one; a plan URL is fetched. */
  const course = async (file: string | undefined): Promise<LoadedCourse> => {
    const { loadFetchingPlan } = await import('./cli/plan.js');
    if (!file) {
      const settings = config();
      return loadFetchingPlan(settings.courseFile, settings.courseFileLabel, settings.plan.sourceToken);
    }
    let token: string | undefined;
    try {
      token = config().plan.sourceToken;
    } catch (error) {
      // A file named on the command line is checked without the bot's configuration.
      if (!(error instanceof ConfigError)) throw error;
    }
    return loadFetchingPlan(resolve(cwd, file), label(resolve(cwd, file), cwd), token);
  };

  /** The course file and state database `--course` and `--state-db` name, else the configured ones. */
  const sources = (options: SourceOptions) => {
    if (options.stateDb?.trim() === '') throw new UsageError('--state-db needs a file name (the bot’s STATE_DB)');
    const settings = config();
    const path = options.course === undefined ? settings.courseFile : resolve(cwd, options.course);
    const courseLabel = options.course === undefined ? settings.courseFileLabel : label(path, cwd);
    const stateDb = options.stateDb === undefined ? settings.stateDb : options.stateDb === ':memory:' ? ':memory:' : resolve(cwd, options.stateDb);
    return { path, courseLabel, stateDb };
  };

  const effective = async (options: SourceOptions, skippedAs: string): Promise<Effective> => {
    const { path, courseLabel, stateDb } = sources(options);
    const [{ cachedPlanReader }, store] = await Promise.all([import('./cli/plan.js'), readingStore(stateDb)]);
    try {
      // A plan URL is read from the copy the bot keeps in the state database.
      const loaded = loadCourseFile(path, courseLabel, { plan: cachedPlanReader(store) });
      const applied = effectiveCourse(loaded, store);
      for (const { id, reason } of applied.skipped) await warn(`Change #${id} ${skippedAs}: ${reason}`);
      return { loaded, courseLabel, ...applied };
    } finally {
      store.close();
    }
  };

  /** Prints `text`, or writes it to `--out` and prints `summary` of it. */
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

  const cli = new Program('course-bot')
    .description('A course assistant for Discord and Slack: schedule, announcements, resources.')
    .version(version())
    .configureOutput({
      writeOut: (text) => void writeToStream(io.stdout, text).catch(() => undefined),
      writeErr: (text) => void writeToStream(io.stderr, text).catch(() => undefined),
    })
    .showHelpAfterError()
    .exitOverride();

  const courseOption = ['--course <file>', 'the course file (default: COURSE_FILE or data/course.yaml)'] as const;
  const stateDbOption = [
    '--state-db <file>',
    'the state database whose schedule changes apply (default: STATE_DB); not created when missing',
  ] as const;

  cli
    .command('start')
    .description('Run the bot (a local terminal chat when no platform token is set)')
    .option('--at <when>', 'run with the clock starting at this date or date-time (to try a course before it begins)')
    .action(async (options: { at?: string }) => {
      const settings = config();
      const logger = loggerFor(settings);
      const { at } = options;
      // Checked before anything starts; the course's zone is known only once the bot has read the file.
      if (at !== undefined) parseAt(at, 'UTC');
      const clock = at !== undefined ? (current: Course) => shiftedClock(parseAt(at, current.timezone)) : undefined;
      // A stop must not hang: whatever is still open 10 s after SIGTERM/SIGINT, the process ends.
      const watchdog = () =>
        setTimeout(() => {
          logger.error('shutdown took longer than 10 s; exiting anyway');
          process.exit(1);
        }, 10_000).unref();
      process.once('SIGTERM', watchdog);
      process.once('SIGINT', watchdog);
      const { start } = await import('./main.js');
      try {
        await start({ config: settings, logger, ...(clock && { clock }) });
      } finally {
        // Stopped, or a platform refused (everything is closed either way): a socket still waiting for a
        // peer's goodbye (ws waits up to 30 s for a close frame from a gateway that went away) must not
        // keep the process alive, since a supervisor restarts it only once it has exited. The exit code
        // is the one `run` sets.
        setTimeout(() => process.exit(), 2_000).unref();
      }
    });

  cli
    .command('ask')
    .description('Answer one chat command, such as "/week 2", as the bot would (schedule changes made in chat included)')
    .argument('<command line>', 'the command as typed in chat: "/today", "/week 2", "/resources hydra"')
    .option('--at <when>', 'answer as if it were this date or date-time (course zone unless an offset is given)')
    .option(...courseOption)
    .option(...stateDbOption)
    .action(async (line: string, options: SourceOptions & { at?: string }) => {
      const { course: current } = await effective(options, 'is not applied');
      const now = options.at !== undefined ? parseAt(options.at, current.timezone) : systemClock.now();
      const answer = await runCommandLine(line, { course: current, now, commands });
      await print(answer.text);
    });

  cli
    .command('validate')
    .description('Check a course file and print a summary, or every problem with its line')
    .argument('[file]', 'the course file (default: the configured one)')
    .action(async (file: string | undefined) => {
      if (file?.trim() === '') throw new UsageError('validate needs a file name (leave it out to check the configured course file)');
      const loaded = await course(file);
      await print(`${printable(loaded.path)}: valid. ${courseSummary(loaded)}`);
    });

  cli
    .command('plan')
    .description('Print where the schedule comes from: the course file, a plan file, or a plan URL (last fetched, ETag, warnings)')
    .option(...courseOption)
    .option(...stateDbOption)
    .action(async (options: SourceOptions) => {
      const { path, courseLabel, stateDb } = sources(options);
      const [{ planReport }, store] = await Promise.all([import('./cli/plan.js'), readingStore(stateDb)]);
      try {
        await print(planReport(path, courseLabel, store));
      } finally {
        store.close();
      }
    });

  cli
    .command('import')
    .description("Read a course's Markdown time plan and write a course file that passes validate")
    .argument('<file.md>', 'the time plan: tables of sessions by date or weekday, one table a week or one for the course')
    .option('--start <YYYY-MM-DD>', 'the first day of week 1 (needed when the tables have no dates)')
    .option('--year <YYYY>', 'the year of dates written as D/M')
    .option('--timezone <zone>', 'the course time zone (IANA name; default UTC, said so)')
    .option('--name <name>', 'the course name (default: the front matter title, else the first heading)')
    .option('--id <id>', 'the course id (default: from the name)')
    .option('--base-url <url>', "the plan's web address: relative links in it become resources (else they are dropped)")
    .option('--strict', 'refuse the plan (exit 1) when anything was not understood, instead of warning')
    .option('--out <file>', 'write here instead of printing (replaced only when complete; a link is written through)')
    .action(
      async (
        file: string,
        options: { start?: string; year?: string; timezone?: string; name?: string; id?: string; baseUrl?: string; strict?: boolean; out?: string },
      ) => {
        if (options.year !== undefined && !/^\d{4}$/.test(options.year)) throw new UsageError(`--year: "${options.year}" is not a year`);
        if (options.baseUrl !== undefined && !/^https?:\/\/[^/\s]+/i.test(options.baseUrl)) {
          throw new UsageError(`--base-url: "${options.baseUrl}" is not an http(s) URL`);
        }
        if (file.trim() === '') throw new UsageError('import needs the Markdown file of the time plan');
        let bytes: Buffer;
        try {
          // Read as the course file is: only a regular file (a FIFO or /dev/zero would wait, or read, forever).
          bytes = readRegularFile(resolve(cwd, file), COURSE_FILE_LIMITS.bytes, 'a time plan');
        } catch (error) {
          if (!(error instanceof FileRefusal)) throw error;
          throw new UsageError(`${file}: ${error.message}`);
        }
        const markdown = markdownText(bytes, file);
        const { course: doc, warnings, guesses } = importPlan(markdown, {
          source: file,
          ...(options.timezone !== undefined && { timezone: options.timezone }),
          ...(options.start !== undefined && { start: options.start }),
          ...(options.year !== undefined && { year: Number(options.year) }),
          ...(options.name !== undefined && { name: options.name }),
          ...(options.id !== undefined && { id: options.id }),
          ...(options.baseUrl !== undefined && { baseUrl: options.baseUrl }),
        });
        if (options.strict && warnings.length) {
          throw new ImportError(file, [...warnings.map((warning) => warning.text), `--strict: ${warnings.length} warning(s) above; nothing written`]);
        }
        // After the write: an --out that cannot be written is then the one line the user sees.
        await emit(courseYaml(doc, file), options.out, () => {
          const sessions = (doc.weeks ?? []).reduce((sum, week) => sum + (week.sessions?.length ?? 0), 0);
          return `${doc.weeks?.length ?? 0} weeks, ${sessions} sessions from ${file}`;
        });
        for (const warning of warnings) await warn(`warning: ${warning.text}`);
        for (const guess of guesses) await warn(`guessed: ${guess.text}`);
      },
    );

  cli
    .command('export')
    .description('Write the effective course (the course file with the schedule changes made in chat) as a course file')
    .option('--out <file>', 'write here instead of printing (replaced only when complete; a link is written through)')
    .option(...courseOption)
    .option(...stateDbOption)
    .action(async (options: SourceOptions & { out?: string }) => {
      const applied = await effective(options, 'is not in the export');
      const { exportYaml } = await import('./course-file/export.js');
      const text = exportYaml(applied.file, applied.courseLabel, applied.marker);
      await emit(text, options.out, () => courseSummary(applied));
    });

  cli
    .command('reminders')
    .description('Count the reminders students opted into with /remind, by kind (counts only: subscriptions are student data)')
    .option(...stateDbOption)
    .action(async (options: Pick<SourceOptions, 'stateDb'>) => {
      const { stateDb } = sources(options);
      const [{ ReminderBook }, store] = await Promise.all([import('./store/reminders.js'), readingStore(stateDb)]);
      try {
        const counts = new ReminderBook(store, config().reminders.evening).counts();
        await print(
          [
            `evening: ${counts.evening}`,
            `morning: ${counts.morning}`,
            `turned off by the bot, direct messages closed: ${counts.stoppedClosedDms}`,
            `turned off by the bot, left the server: ${counts.stoppedLeft}`,
          ].join('\n'),
        );
      } finally {
        store.close();
      }
    });

  cli
    .command('calendar')
    .description('Write the schedule (with the changes made in chat) as an iCalendar file students can import or subscribe to')
    .option('--out <file>', 'write here instead of printing (replaced only when complete; a link is written through)')
    .option(...courseOption)
    .option(...stateDbOption)
    .action(async (options: SourceOptions & { out?: string }) => {
      const { course: current } = await effective(options, 'is not in the calendar');
      const { calendarIcs } = await import('./calendar/ics.js');
      const ics = calendarIcs(current, { now: systemClock.now() });
      await emit(ics, options.out, () => `${current.sessions.length} events (${current.name}, ${current.timezone})`);
    });

  cli
    .command('invite-url')
    .description('Print the link that invites the bot to a Discord server with the scopes and permissions it needs')
    .action(async () => {
      const settings = config();
      let id = settings.discordApplicationId;
      if (id === undefined) {
        if (!settings.discord) {
          throw new SetupError(
            'invite-url needs DISCORD_APPLICATION_ID (Developer Portal → your app → General Information), or DISCORD_TOKEN to look it up (see .env.example)',
          );
        }
        const { applicationId, discordRest } = await import('./platforms/discord/bot.js');
        id = await applicationId(discordRest(settings.discord), settings.discord);
      }
      await print(inviteUrl(id, { events: settings.discordEvents !== undefined }));
    });

  cli
    .command('slack-manifest')
    .description('Print the Slack app manifest (JSON) for "Create New App → From a manifest": commands, scopes, Socket Mode')
    .option('--name <name>', 'the app name in Slack (default: the course name, at most 35 characters)')
    .option('--prefix <prefix>', 'put before every command, e.g. mlops- for /mlops-today (default: SLACK_COMMAND_PREFIX)')
    .option('--request-url <url>', 'HTTP mode instead of Socket Mode: the https URL Slack posts commands to (…/slack/events)')
    .action(async (options: { name?: string; prefix?: string; requestUrl?: string }) => {
      const settings = config();
      const { manifestJson, manifestProblems, slackManifest } = await import('./platforms/slack/manifest.js');
      const { course: current } = loadCourseFile(settings.courseFile, settings.courseFileLabel);
      const manifest = slackManifest(commands, {
        name: options.name ?? current.name.slice(0, 35),
        ...((options.prefix ?? settings.slack?.commandPrefix) && { prefix: options.prefix ?? settings.slack?.commandPrefix }),
        ...(options.requestUrl && { socketMode: false, requestUrl: options.requestUrl }),
      });
      const problems = manifestProblems(manifest);
      if (problems.length) throw new UsageError(`The manifest would be refused by Slack:\n  ${problems.join('\n  ')}`);
      await print(manifestJson(manifest));
      const configured = settings.slack?.commandPrefix ?? '';
      if (options.prefix !== undefined && options.prefix !== configured) {
        await warn(`Set SLACK_COMMAND_PREFIX=${options.prefix} too: the bot answers /${configured}today…, the manifest registers /${options.prefix}today….`);
      }
    });

  cli
    .command('register-commands')
    .description('Register the slash commands with Discord now, even when unchanged, and print them')
    .option('--guild <id>', 'register in this server (instant) instead of DISCORD_GUILD_ID or globally')
    .action(async (options: { guild?: string }) => {
      if (options.guild !== undefined && !/^\d{15,21}$/.test(options.guild)) {
        throw new UsageError(`--guild: "${options.guild}" is not a Discord id`);
      }
      const settings = config();
      if (!settings.discord) throw new SetupError('register-commands needs DISCORD_TOKEN (see .env.example)');
      const logger = loggerFor(settings);
      const [{ applicationId, discordRest, syncCommands }, { commandsJson }, { openStateStore }] = await Promise.all([
        import('./platforms/discord/bot.js'),
        import('./platforms/discord/command-json.js'),
        import('./store/open.js'),
      ]);
      const store = openStateStore(settings);
      try {
        const rest = discordRest(settings.discord);
        const guildId = options.guild ?? settings.discord.guildId;
        const registration = await syncCommands({
          rest,
          applicationId: await applicationId(rest, settings.discord),
          ...(guildId && { guildId }),
          commands,
          store,
          logger,
          force: true,
        });
        const lines = commandsJson(commands).map((command) => `  /${command.name} — ${command.description}`);
        await print([`Registered ${registration.names.length} commands (${registration.scope}):`, ...lines].join('\n'));
      } finally {
        store.close();
      }
    });

  cli
    .command('announce')
    .description("Post today's announcement now (--now), or print a day's announcement (--dry-run) as the bot would post it")
    .option('--now', "post today's announcement now, through the same exactly-once path as the morning post")
    .option('--dry-run', 'print the announcement instead of posting it (schedule changes made in chat included)')
    .option('--date <YYYY-MM-DD>', 'with --dry-run: the day to show (default: today in the course zone)')
    .option(courseOption[0], `with --dry-run: ${courseOption[1]}`)
    .option(stateDbOption[0], `with --dry-run: ${stateDbOption[1]}`)
    .action(async (options: SourceOptions & { now?: boolean; dryRun?: boolean; date?: string }) => {
      if (options.dryRun) {
        if (options.date !== undefined && !isIsoDate(options.date)) {
          throw new UsageError(`--date: "${options.date}" is not a date (use YYYY-MM-DD)`);
        }
        const { course: current } = await effective(options, 'is not applied');
        await print(announcementText(current, options.date ?? today(current, systemClock.now())));
        return;
      }
      if (!options.now) throw new UsageError('announce needs --now (post) or --dry-run (print)');
      if (options.date !== undefined || options.course !== undefined || options.stateDb !== undefined) {
        throw new UsageError('--date, --course and --state-db go with --dry-run; --now posts today’s announcement of the configured course');
      }
      setStatus(await announceNow(config(), io, print));
    });

  registerMigrate(cli, { config, print, cwd });
  return cli;
}

/** `announce --now`: today's announcements through the announcer, so a later morning run never repeats them. */
async function announceNow(settings: Config, io: CliIo, print: (text: string) => Promise<void>): Promise<number> {
  // The course is checked first (a broken file creates nothing); a plan URL is then read from the copy the
  // bot keeps in the state database, as the bot itself starts when the URL is down.
  const plain = (() => {
    try {
      return loadCourseFile(settings.courseFile, settings.courseFileLabel);
    } catch (error) {
      if (error instanceof CourseFileError && error.issues.every((issue) => issue.path === 'plan.source')) return undefined;
      throw error;
    }
  })();
  const logger = loggerFor(settings);
  const [{ openStateStore }, { createAnnouncer }, { cachedPlanReader }] = await Promise.all([
    import('./store/open.js'),
    import('./main.js'),
    import('./cli/plan.js'),
  ]);
  const store = openStateStore(settings);
  try {
    const file = plain ?? loadCourseFile(settings.courseFile, settings.courseFileLabel, { plan: cachedPlanReader(store) });
    // What the bot posts: the file with the instructors' changes.
    const loaded = effectiveCourse(file, store);
    // The same targets, and so the same keys, as the running bot: every configured announcement channel.
    const messengers: Messenger[] = [];
    if (settings.discord?.announceChannelId) {
      const [{ Routes }, { discordRest }, { DiscordMessenger }] = await Promise.all([
        import('discord.js'),
        import('./platforms/discord/bot.js'),
        import('./platforms/discord/messenger.js'),
      ]);
      const rest = discordRest(settings.discord, { retries: 0 });
      const me = (await rest.get(Routes.user())) as { id: string };
      messengers.push(
        new DiscordMessenger({
          rest,
          channelId: settings.discord.announceChannelId,
          botUserId: me.id,
          ...(settings.discord.announceRoleId && { mentionRoleId: settings.discord.announceRoleId }),
          ...(settings.discord.instructorChannelId && { instructorChannelId: settings.discord.instructorChannelId }),
        }),
      );
    }
    if (settings.slack?.announceChannel) {
      const [{ slackClient }, { SlackMessenger }, { commandNamer }] = await Promise.all([
        import('./platforms/slack/bot.js'),
        import('./platforms/slack/messenger.js'),
        import('./platforms/slack/render.js'),
      ]);
      messengers.push(
        new SlackMessenger({
          client: slackClient(settings.slack, logger, { retries: 0 }),
          channel: settings.slack.announceChannel,
          nameCommands: commandNamer(commands, settings.slack.commandPrefix),
          ...(settings.slack.instructorChannel && { instructorChannel: settings.slack.instructorChannel }),
        }),
      );
    }
    if (messengers.length === 0) {
      const { TerminalMessenger } = await import('./platforms/terminal/messenger.js');
      messengers.push(new TerminalMessenger(io.stdout));
    }
    const announcer = createAnnouncer({ config: settings, logger, store, clock: systemClock, course: () => loaded.course, messengers });
    const date = today(loaded.course, systemClock.now());
    if (!morningAnnouncement(loaded.course, date)) {
      await print(`No announcement on ${formatLongDate(date)}: there is no session that day.`);
      return 0;
    }
    const report = await announcer.announceNow();
    const lines: string[] = [];
    if (report.sent.length + report.recovered.length + report.failed.length + report.busy.length === 0) {
      lines.push(`Today's announcement (${formatLongDate(date)}) was already posted to ${announcer.targets.join(', ')}.`);
    }
    for (const key of report.sent) lines.push(`Posted ${key}`);
    for (const key of report.recovered) lines.push(`Already posted (found in the channel): ${key}`);
    for (const key of report.busy) lines.push(`Another instance is posting ${key} right now.`);
    if (lines.length) await print(lines.join('\n'));
    for (const key of report.failed) await writeToStream(io.stderr, `Failed: ${key} (see the log)\n`, 'standard error');
    return report.failed.length ? EXIT_INVALID : 0;
  } finally {
    store.close();
  }
}

/** The morning announcement of `date` with a heading, or a line saying there is none. */
function announcementText(current: Course, date: string): string {
  const announcement = morningAnnouncement(current, date);
  if (!announcement) return `No announcement on ${formatLongDate(date)}: there is no session that day.`;
  return `Announcement for ${formatLongDate(date)} at ${current.announcements.time} (${current.timezone}):\n\n${announcement.text}`;
}

/**
 * What the bot needs in a channel: View Channels (1 << 10), Send Messages (1 << 11), Embed Links (1 << 14:
 * answers and announcements are embeds) and Read Message History (1 << 16: to find an announcement already
 * posted). Nothing else: it pings only the configured role, which must be set to "allow anyone to mention
 * this role". Spelled out so that printing a link does not load discord.js; a test compares it with
 * discord.js's `PermissionFlagsBits`.
 */
export const BOT_PERMISSIONS = (1n << 10n) | (1n << 11n) | (1n << 14n) | (1n << 16n);

/** Manage Events (1 << 33): create, edit and cancel the server's scheduled events (`DISCORD_EVENTS=on`). */
export const EVENTS_PERMISSION = 1n << 33n;

/**
 * The OAuth2 link that adds the bot to a server: scopes `bot` and `applications.commands`; with `events`,
 * Manage Events too.
 */
export function inviteUrl(applicationId: string, options: { readonly events?: boolean } = {}): string {
  const permissions = options.events ? BOT_PERMISSIONS | EVENTS_PERMISSION : BOT_PERMISSIONS;
  const query = new URLSearchParams({ client_id: applicationId, scope: 'bot applications.commands', permissions: permissions.toString() });
  return `https://discord.com/oauth2/authorize?${query.toString()}`;
}

/** A refusal from Discord's HTTP API (discord.js's `DiscordAPIError`, recognised without loading discord.js). */
function discordRefusal(error: unknown): string | undefined {
  if (!(error instanceof Error) || !error.name.startsWith('DiscordAPIError')) return undefined;
  const { method, url, status } = error as Error & { method?: string; url?: string; status?: number };
  if (typeof method !== 'string' || typeof url !== 'string') return undefined;
  let path = url;
  try {
    path = new URL(url).pathname;
  } catch {
    // Not a URL: show it as it is.
  }
  return `Discord refused ${method} ${path}: ${String(status)} ${error.message}`;
}

/** A Markdown file's text: UTF-8 (a BOM is fine); UTF-16 or binary is refused in one line. */
function markdownText(bytes: Buffer, file: string): string {
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    throw new UsageError(`${file}: is UTF-16 text; save it as UTF-8 (most editors: "Save with encoding") and import again`);
  }
  if (bytes.includes(0)) throw new UsageError(`${file}: is not a text file (it holds NUL bytes); give the Markdown time plan`);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError(`${file}: is not UTF-8 text; save it as UTF-8 and import again`);
  }
}

/** The exit code for what went wrong, after printing it in as few lines as it takes (none for a closed pipe). */
async function report(error: unknown, io: CliIo): Promise<number> {
  const say = (text: string) => writeToStream(io.stderr, `${text}\n`, 'standard error').catch(() => undefined);
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE;
  if (error instanceof OutputError) {
    if (error.code === 'EPIPE') return EXIT_BROKEN_PIPE;
    await say(error.message);
    return error.usage ? EXIT_USAGE : EXIT_INVALID;
  }
  if (error instanceof UsageError || isUserFacingError(error)) {
    await say(error.message);
    return EXIT_USAGE;
  }
  // Before the platform check: that one reads error codes (EACCES…), which a file problem may carry too.
  if (
    error instanceof SetupError ||
    error instanceof CourseFileError ||
    error instanceof ConfigError ||
    error instanceof ImportError ||
    error instanceof StateDbError
  ) {
    await say(error.message);
    return EXIT_INVALID;
  }
  const refusal = discordRefusal(error) ?? platformFailure(error);
  if (refusal) {
    await say(refusal);
    return EXIT_INVALID;
  }
  throw error;
}

/** Runs the command line `argv` (without `node` and the script) and returns its exit code. */
export async function main(argv: readonly string[], io: CliIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let status = 0;
  try {
    await program(io, (code) => (status = code)).parseAsync([...argv], { from: 'user' });
    return status;
  } catch (error) {
    return report(error, io);
  }
}

/**
 * Runs the command line of this process and sets its exit code. Errors of standard output and standard
 * error (a closed pipe, a full disk) reach the writes that caused them, never an unhandled `error` event.
 */
export async function run(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => undefined);
  process.exitCode = await main(argv);
}

/** Whether this module is the script node was started with (`node dist/cli.js`, `tsx src/cli.ts`). */
function isEntry(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntry()) await run();
