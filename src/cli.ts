#!/usr/bin/env node
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command as Program, CommanderError } from 'commander';
import { DiscordAPIError, PermissionFlagsBits, Routes } from 'discord.js';
import { DateTime } from 'luxon';
import { morningAnnouncement } from './core/announcement.js';
import { shiftedClock, systemClock } from './core/clock.js';
import { today } from './core/course/calendar.js';
import { formatLongDate, isIsoDate } from './core/course/dates.js';
import type { Course } from './core/course/model.js';
import { runCommandLine } from './core/commands/parse.js';
import { commands } from './core/commands/registry.js';
import { isUserFacingError } from './core/errors.js';
import { type Config, ConfigError, PACKAGE_ROOT, label, loadConfig } from './config.js';
import { ImportError, courseYaml, importTimePlan } from './course-file/import-markdown.js';
import { CourseFileError, type LoadedCourse, loadCourseFile } from './course-file/read.js';
import { createLogger, registerSecrets } from './log.js';
import { applicationId, discordRest, syncCommands } from './platforms/discord/bot.js';
import { commandsJson } from './platforms/discord/command-json.js';
import { SqliteStore } from './store/sqlite-store.js';
import { StateDbError } from './store/state-db-error.js';
import { platformFailure } from './platforms/failure.js';
import { effectiveCourse } from './schedule/live-schedule.js';
import { exportYaml } from './course-file/export.js';
import type { Messenger } from './core/ports.js';
import { courseSummary, createAnnouncer, start } from './main.js';
import { DiscordMessenger } from './platforms/discord/messenger.js';
import { TerminalMessenger } from './platforms/terminal/messenger.js';

/** Exit codes: 0 done, 1 bad data or configuration, 2 bad usage. */
const EXIT_INVALID = 1;
const EXIT_USAGE = 2;

class UsageError extends Error {}

function version(): string {
  const pkg: unknown = JSON.parse(readFileSync(resolve(PACKAGE_ROOT, 'package.json'), 'utf8'));
  return (pkg as { version?: string }).version ?? '0.0.0';
}

/** The logger the configuration asks for: JSON or pretty, or pretty only on a terminal (`auto`). */
function loggerFor(settings: Config) {
  return createLogger({ level: settings.logLevel, ...(settings.logFormat !== 'auto' && { pretty: settings.logFormat === 'pretty' }) });
}

function config(): Config {
  const settings = loadConfig();
  registerSecrets([settings.discord?.token, settings.slack?.botToken, settings.slack?.appToken, settings.slack?.signingSecret]);
  return settings;
}

/** The course named by `--course`, or the configured one. */
function course(file: string | undefined): LoadedCourse {
  if (file) return loadCourseFile(resolve(file), label(resolve(file)));
  const settings = config();
  return loadCourseFile(settings.courseFile, settings.courseFileLabel);
}

/** Writes beside the target, then renames: a reader (the bot's file watcher) never sees half a file. */
function writeAtomically(file: string, text: string): void {
  const temporary = `${file}.tmp-${process.pid}`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

/** `--at`: an ISO date or date-time; without an offset it is read in the course's zone. */
function parseAt(value: string, zone: string): Date {
  const at = DateTime.fromISO(value.trim(), { zone, setZone: true });
  if (!at.isValid) {
    throw new UsageError(`--at: "${value}" is not an ISO date or date-time (such as 2027-01-05 or 2027-01-05T08:30)`);
  }
  return at.toJSDate();
}

function program(): Program {
  const cli = new Program('course-bot')
    .description('A course assistant for Discord and Slack: schedule, announcements, resources.')
    .version(version())
    .showHelpAfterError()
    .exitOverride();

  cli
    .command('start')
    .description('Run the bot (a local terminal chat when no platform token is set)')
    .option('--at <when>', 'run with the clock starting at this ISO date or date-time (to try a course before it begins)')
    .action(async (options: { at?: string }) => {
      const settings = config();
      const logger = loggerFor(settings);
      const { at } = options;
      const clock = at ? (current: Course) => shiftedClock(parseAt(at, current.timezone)) : undefined;
      // A stop must not hang: whatever is still open 10 s after SIGTERM/SIGINT, the process ends.
      const watchdog = () =>
        setTimeout(() => {
          logger.error('shutdown took longer than 10 s; exiting anyway');
          process.exit(1);
        }, 10_000).unref();
      process.once('SIGTERM', watchdog);
      process.once('SIGINT', watchdog);
      await start({ config: settings, logger, ...(clock && { clock }) });
      // Everything is closed; a socket still waiting for a peer's goodbye (ws waits up to 30 s for a
      // close frame from a gateway that went away) must not keep a stopping bot alive.
      setTimeout(() => process.exit(), 2_000).unref();
    });

  cli
    .command('ask')
    .description('Answer one chat command, such as "/week 2", and print the answer')
    .argument('<command line>', 'the command as typed in chat: "/today", "/week 2", "/resources hydra"')
    .option('--at <when>', 'answer as if it were this ISO date or date-time (course zone unless an offset is given)')
    .option('--course <file>', 'a course file other than the configured one')
    .action(async (line: string, options: { at?: string; course?: string }) => {
      const { course: current } = course(options.course);
      const now = options.at ? parseAt(options.at, current.timezone) : systemClock.now();
      const answer = await runCommandLine(line, { course: current, now, commands });
      console.log(answer.text);
    });

  cli
    .command('validate')
    .description('Check a course file and print a summary, or every problem with its line')
    .argument('[file]', 'the course file (default: the configured one)')
    .action((file: string | undefined) => {
      const loaded = course(file);
      console.log(`${loaded.path}: valid. ${courseSummary(loaded)}`);
    });

  cli
    .command('import')
    .description("Read a course's Markdown time plan and write a course file that passes validate")
    .argument('<file.md>', 'the time plan: "## Week N" sections, each with a table by weekday or by date')
    .option('--start <YYYY-MM-DD>', 'the first day of week 1 (needed when the tables have no dates)')
    .option('--year <YYYY>', 'the year of dates written as D/M')
    .option('--timezone <zone>', 'the course time zone (IANA name)', 'UTC')
    .option('--name <name>', 'the course name (default: the first "# " heading)')
    .option('--id <id>', 'the course id (default: from the name)')
    .option('--out <file>', 'write here instead of printing (an existing file is replaced only on success)')
    .action((file: string, options: { start?: string; year?: string; timezone: string; name?: string; id?: string; out?: string }) => {
      if (options.year !== undefined && !/^\d{4}$/.test(options.year)) throw new UsageError(`--year: "${options.year}" is not a year`);
      let markdown: string;
      try {
        markdown = readFileSync(file, 'utf8');
      } catch {
        throw new UsageError(`${file}: cannot be read`);
      }
      const doc = importTimePlan(markdown, {
        source: file,
        timezone: options.timezone,
        ...(options.start !== undefined && { start: options.start }),
        ...(options.year !== undefined && { year: Number(options.year) }),
        ...(options.name !== undefined && { name: options.name }),
        ...(options.id !== undefined && { id: options.id }),
      });
      const yamlText = courseYaml(doc, file);
      if (!options.out) {
        process.stdout.write(yamlText);
        return;
      }
      writeAtomically(options.out, yamlText);
      const sessions = (doc.weeks ?? []).reduce((sum, week) => sum + (week.sessions?.length ?? 0), 0);
      console.log(`${options.out}: ${doc.weeks?.length ?? 0} weeks, ${sessions} sessions from ${file}`);
    });

  cli
    .command('export')
    .description('Write the effective course (the course file with the schedule changes made in chat) as a course file')
    .option('--out <file>', 'write here instead of printing (an existing file is replaced only when complete)')
    .action((options: { out?: string }) => {
      const settings = config();
      const loaded = loadCourseFile(settings.courseFile, settings.courseFileLabel);
      const store = new SqliteStore(settings.stateDb);
      try {
        const applied = effectiveCourse(loaded, store);
        for (const { id, reason } of applied.skipped) console.error(`Change #${id} is not in the export: ${reason}`);
        const text = exportYaml(applied.file, settings.courseFileLabel, applied.marker);
        if (!options.out) {
          process.stdout.write(text);
          return;
        }
        writeAtomically(options.out, text);
        console.log(`${options.out}: ${courseSummary({ ...loaded, course: applied.course, file: applied.file })}`);
      } finally {
        store.close();
      }
    });

  cli
    .command('calendar')
    .description('Write the schedule (with the changes made in chat) as an iCalendar file students can import or subscribe to')
    .option('--out <file>', 'write here instead of printing')
    .action(async (options: { out?: string }) => {
      const settings = config();
      const loaded = loadCourseFile(settings.courseFile, settings.courseFileLabel);
      const { calendarIcs } = await import('./calendar/ics.js');
      const store = new SqliteStore(settings.stateDb);
      try {
        const { course: current } = effectiveCourse(loaded, store);
        const ics = calendarIcs(current, { now: systemClock.now() });
        if (!options.out) {
          process.stdout.write(ics);
          return;
        }
        writeAtomically(options.out, ics);
        console.log(`${options.out}: ${current.sessions.length} events (${current.name}, ${current.timezone})`);
      } finally {
        store.close();
      }
    });

  cli
    .command('invite-url')
    .description('Print the link that invites the bot to a Discord server with the scopes and permissions it needs')
    .action(async () => {
      const settings = config();
      if (!settings.discord) throw new UsageError('invite-url needs DISCORD_TOKEN, to look up the application id (see .env.example)');
      const id = await applicationId(discordRest(settings.discord), settings.discord);
      console.log(inviteUrl(id));
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
      process.stdout.write(manifestJson(manifest));
      const configured = settings.slack?.commandPrefix ?? '';
      if (options.prefix !== undefined && options.prefix !== configured) {
        console.error(`Set SLACK_COMMAND_PREFIX=${options.prefix} too: the bot answers /${configured}today…, the manifest registers /${options.prefix}today….`);
      }
    });

  cli
    .command('register-commands')
    .description('Register the slash commands with Discord now, even when unchanged, and print them')
    .option('--guild <id>', 'register in this server (instant) instead of DISCORD_GUILD_ID or globally')
    .action(async (options: { guild?: string }) => {
      const settings = config();
      if (!settings.discord) throw new UsageError('register-commands needs DISCORD_TOKEN (see .env.example)');
      if (options.guild !== undefined && !/^\d{15,21}$/.test(options.guild)) {
        throw new UsageError(`--guild: "${options.guild}" is not a Discord id`);
      }
      const logger = loggerFor(settings);
      const store = new SqliteStore(settings.stateDb);
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
        console.log(`Registered ${registration.names.length} commands (${registration.scope}):`);
        for (const command of commandsJson(commands)) console.log(`  /${command.name} — ${command.description}`);
      } finally {
        store.close();
      }
    });

  cli
    .command('announce')
    .description("Post today's announcement now (--now), or print a day's announcement (--dry-run)")
    .option('--now', "post today's announcement now, through the same exactly-once path as the morning post")
    .option('--dry-run', 'print the announcement instead of posting it')
    .option('--date <YYYY-MM-DD>', 'with --dry-run: the day to show (default: today in the course zone)')
    .option('--course <file>', 'with --dry-run: a course file other than the configured one')
    .action(async (options: { now?: boolean; dryRun?: boolean; date?: string; course?: string }) => {
      if (options.dryRun) {
        const { course: current } = course(options.course);
        if (options.date !== undefined && !isIsoDate(options.date)) {
          throw new UsageError(`--date: "${options.date}" is not a date (use YYYY-MM-DD)`);
        }
        printAnnouncement(current, options.date ?? today(current, systemClock.now()));
        return;
      }
      if (!options.now) throw new UsageError('announce needs --now (post) or --dry-run (print)');
      if (options.date !== undefined || options.course !== undefined) {
        throw new UsageError('--date and --course go with --dry-run; --now posts today’s announcement of the configured course');
      }
      await announceNow(config());
    });

  return cli;
}

/** `announce --now`: today's announcements through the announcer, so a later morning run never repeats them. */
async function announceNow(settings: Config): Promise<void> {
  const file = loadCourseFile(settings.courseFile, settings.courseFileLabel);
  const logger = loggerFor(settings);
  const store = new SqliteStore(settings.stateDb);
  try {
    // What the bot posts: the file with the instructors' changes.
    const loaded = effectiveCourse(file, store);
    // The same targets, and so the same keys, as the running bot: every configured announcement channel.
    const messengers: Messenger[] = [];
    if (settings.discord?.announceChannelId) {
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
      const [{ slackClient }, { SlackMessenger }] = await Promise.all([
        import('./platforms/slack/bot.js'),
        import('./platforms/slack/messenger.js'),
      ]);
      messengers.push(
        new SlackMessenger({
          client: slackClient(settings.slack, logger, { retries: 0 }),
          channel: settings.slack.announceChannel,
          ...(settings.slack.instructorChannel && { instructorChannel: settings.slack.instructorChannel }),
        }),
      );
    }
    if (messengers.length === 0) messengers.push(new TerminalMessenger(process.stdout));
    const announcer = createAnnouncer({ config: settings, logger, store, clock: systemClock, course: () => loaded.course, messengers });
    const date = today(loaded.course, systemClock.now());
    if (!morningAnnouncement(loaded.course, date)) {
      console.log(`No announcement on ${formatLongDate(date)}: there is no session that day.`);
      return;
    }
    const report = await announcer.announceNow();
    if (report.sent.length + report.recovered.length + report.failed.length + report.busy.length === 0) {
      console.log(`Today's announcement (${formatLongDate(date)}) was already posted to ${announcer.targets.join(', ')}.`);
    }
    for (const key of report.sent) console.log(`Posted ${key}`);
    for (const key of report.recovered) console.log(`Already posted (found in the channel): ${key}`);
    for (const key of report.busy) console.log(`Another instance is posting ${key} right now.`);
    for (const key of report.failed) console.error(`Failed: ${key} (see the log)`);
    if (report.failed.length) process.exitCode = EXIT_INVALID;
  } finally {
    store.close();
  }
}

function printAnnouncement(current: Course, date: string): void {
  const announcement = morningAnnouncement(current, date);
  if (!announcement) {
    console.log(`No announcement on ${formatLongDate(date)}: there is no session that day.`);
    return;
  }
  console.log(`Announcement for ${formatLongDate(date)} at ${current.announcements.time} (${current.timezone}):\n`);
  console.log(announcement.text);
}

/**
 * What the bot needs in a channel: View Channels, Send Messages, Embed Links (answers and announcements are
 * embeds) and Read Message History (to find an announcement already posted). Nothing else: it pings only
 * the configured role, which must be set to "allow anyone to mention this role".
 */
export const BOT_PERMISSIONS =
  PermissionFlagsBits.ViewChannel | PermissionFlagsBits.SendMessages | PermissionFlagsBits.EmbedLinks | PermissionFlagsBits.ReadMessageHistory;

/** The OAuth2 link that adds the bot to a server: scopes `bot` and `applications.commands`. */
export function inviteUrl(applicationId: string): string {
  const query = new URLSearchParams({ client_id: applicationId, scope: 'bot applications.commands', permissions: BOT_PERMISSIONS.toString() });
  return `https://discord.com/oauth2/authorize?${query.toString()}`;
}

/** Runs the CLI and returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    await program().parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE;
    if (error instanceof UsageError || isUserFacingError(error)) {
      console.error(error.message);
      return EXIT_USAGE;
    }
    if (error instanceof DiscordAPIError) {
      console.error(`Discord refused ${error.method} ${new URL(error.url).pathname}: ${error.status} ${error.message}`);
      return EXIT_INVALID;
    }
    const reason = platformFailure(error);
    if (reason) {
      console.error(reason);
      return EXIT_INVALID;
    }
    if (error instanceof CourseFileError || error instanceof ConfigError || error instanceof ImportError || error instanceof StateDbError) {
      console.error(error.message);
      return EXIT_INVALID;
    }
    throw error;
  }
}

process.exitCode = await main(process.argv.slice(2));
