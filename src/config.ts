import { closeSync, constants, existsSync, fstatSync, lstatSync, openSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import dotenv from 'dotenv';
import * as z from 'zod';
import { specialKind, tooLargeMessage } from './regular-file.js';
import { shownUrl } from './store/database-url.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** The package's own folder (the same from `src/` under tsx and from `dist/`). */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The course the package ships with, used when no course file is configured or found. */
export const BUNDLED_COURSE_FILE = resolve(PACKAGE_ROOT, 'data/course.yaml');

/** Variables whose values are never printed, not even in configuration errors. */
const SECRET_NAME = /TOKEN|SECRET|PASSWORD|KEY/i;

const optionalText = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

/** A Discord id: a snowflake, digits only. */
const snowflake = optionalText.pipe(
  z
    .string()
    .regex(/^\d{15,21}$/, 'must be a Discord id (15–21 digits; Developer Mode → right-click → Copy ID)')
    .optional(),
);

const httpBase = optionalText.pipe(z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional());

/** A Slack id: a letter for its kind (C channel, G private channel, U/W user, S user group), then letters and digits. */
const slackId = (kinds: string, what: string) =>
  optionalText.pipe(
    z
      .string()
      .regex(new RegExp(`^[${kinds}][A-Z0-9]{6,}$`), `must be a Slack ${what} id (such as ${kinds[0]}0123ABCD; not a #name)`)
      .optional(),
  );

const slackToken = (prefix: string, what: string) =>
  optionalText.pipe(z.string().startsWith(prefix, `must be ${what} (${prefix}…)`).optional());

const visibility = optionalText.transform((value) => value?.toLowerCase()).pipe(
  z
    .enum(['ephemeral', 'public'], { error: 'must be ephemeral or public' })
    .optional()
    .transform((value) => value ?? 'ephemeral'),
);

/** The most days ahead with events: one session a day stays under Discord's 100 events per server, with room for others. */
export const MAX_EVENT_DAYS = 90;

const envSchema = z.object({
  /** A folder of course files, one course each: the alternative to `COURSE_FILE`. */
  COURSES_DIR: optionalText,
  COURSE_FILE: optionalText,
  STATE_DB: optionalText.default('var/course-bot.db'),
  DATABASE_URL: optionalText.pipe(
    z
      .string()
      .refine(databaseUrlProblem, 'must be a PostgreSQL URL such as postgres://user:password@host:5432/database')
      .optional(),
  ),
  LOG_LEVEL: optionalText.transform((value) => value?.toLowerCase()).pipe(
    z
      .enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` })
      .optional()
      .transform((value) => value ?? 'info'),
  ),
  LOG_FORMAT: optionalText.transform((value) => value?.toLowerCase()).pipe(
    z
      .enum(['auto', 'json', 'pretty'], { error: 'must be auto, json or pretty' })
      .optional()
      .transform((value) => value ?? 'auto'),
  ),
  DISCORD_TOKEN: optionalText,
  DISCORD_APPLICATION_ID: snowflake,
  DISCORD_GUILD_ID: snowflake,
  DISCORD_ANNOUNCE_CHANNEL_ID: snowflake,
  DISCORD_INSTRUCTOR_ROLE_ID: snowflake,
  DISCORD_ANNOUNCE_ROLE_ID: snowflake,
  DISCORD_INSTRUCTOR_CHANNEL_ID: snowflake,
  DISCORD_EVENTS: optionalText.transform((value) => value?.toLowerCase()).pipe(
    z
      .enum(['on', 'off'], { error: 'must be on or off' })
      .optional()
      .transform((value) => value ?? 'off'),
  ),
  DISCORD_EVENTS_DAYS: optionalText
    .transform((value) => (value === undefined ? undefined : Number(value)))
    .pipe(
      z
        .number({ error: 'must be a number of days' })
        .int('must be whole days')
        .min(1, 'must be 1 or more')
        .max(MAX_EVENT_DAYS, `must be ${MAX_EVENT_DAYS} or less (Discord allows 100 scheduled events per server; the rest are left for others)`)
        .optional(),
    ),
  ANNOUNCE_LEASE_SECONDS: optionalText
    .transform((value) => (value === undefined ? undefined : Number(value)))
    .pipe(z.number({ error: 'must be a number of seconds' }).int('must be whole seconds').min(2).max(600).optional()),
  ANNOUNCE_RETRY_MINUTES: optionalText
    .transform((value) => (value === undefined ? undefined : Number(value)))
    .pipe(z.number({ error: 'must be a number of minutes' }).positive('must be more than 0').max(24 * 60).optional()),
  REMINDER_EVENING: optionalText.pipe(
    z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time of day HH:MM, such as 18:00 (course time)').optional(),
  ),
  DISCORD_API_URL: httpBase,
  DISCORD_REPLY_VISIBILITY: visibility,
  SLACK_BOT_TOKEN: slackToken('xoxb-', 'a bot token'),
  SLACK_APP_TOKEN: slackToken('xapp-', 'an app-level token with connections:write'),
  SLACK_SIGNING_SECRET: optionalText,
  SLACK_PORT: optionalText
    .transform((value) => (value === undefined ? undefined : Number(value)))
    .pipe(z.number({ error: 'must be a port number' }).int('must be a port number').min(0).max(65_535).optional()),
  SLACK_HOST: optionalText,
  SLACK_ANNOUNCE_CHANNEL: slackId('CG', 'channel'),
  SLACK_INSTRUCTOR_CHANNEL: slackId('CG', 'channel'),
  SLACK_INSTRUCTOR_USER_IDS: optionalText.pipe(
    z
      .string()
      .transform((value) => value.split(',').map((part) => part.trim()).filter(Boolean))
      .pipe(z.array(z.string().regex(/^[UW][A-Z0-9]{6,}$/, 'must be Slack user ids (U…), comma-separated')))
      .optional(),
  ),
  SLACK_INSTRUCTOR_USERGROUP: slackId('S', 'user group'),
  SLACK_COMMAND_PREFIX: optionalText.pipe(
    z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,19}$/, 'must be up to 20 lowercase letters, digits, - or _ (such as mlops-)')
      .optional(),
  ),
  SLACK_API_URL: httpBase,
  HTTP_PORT: optionalText
    .transform((value) => (value === undefined ? undefined : Number(value)))
    .pipe(z.number({ error: 'must be a port number' }).int('must be a port number').min(0).max(65_535).optional()),
  HTTP_HOST: optionalText,
  PLAN_SOURCE_TOKEN: optionalText,
  PLAN_WEBHOOK_SECRET: optionalText.pipe(z.string().min(16, 'must be at least 16 characters (a random string: openssl rand -hex 32)').optional()),
  SLACK_REPLY_VISIBILITY: visibility,
});

/** The Discord settings; present when `DISCORD_TOKEN` is set. */
export interface DiscordConfig {
  readonly token: string;
  readonly applicationId?: string;
  readonly guildId?: string;
  readonly announceChannelId?: string;
  readonly instructorRoleId?: string;
  readonly announceRoleId?: string;
  readonly instructorChannelId?: string;
  /** Base URL of the HTTP API without version, e.g. `https://discord.com/api`. */
  readonly apiUrl: string;
  readonly replyVisibility: 'ephemeral' | 'public';
}

/** The Slack settings; present when `SLACK_BOT_TOKEN` is set. */
export interface SlackConfig {
  readonly botToken: string;
  /** Socket Mode (no public URL) when set; otherwise HTTP mode on `port`, verified with the signing secret. */
  readonly appToken?: string;
  readonly signingSecret?: string;
  readonly port: number;
  readonly host: string;
  readonly announceChannel?: string;
  readonly instructorChannel?: string;
  readonly instructorUserIds: readonly string[];
  readonly instructorUsergroup?: string;
  /** `mlops-` makes `/mlops-today`. */
  readonly commandPrefix: string;
  /** Base URL of the Web API, ending in `/`, e.g. `https://slack.com/api/`. */
  readonly apiUrl: string;
  readonly replyVisibility: 'ephemeral' | 'public';
}

/** Slack's own Web API base, used unless `SLACK_API_URL` says otherwise. */
export const SLACK_API_DEFAULT = 'https://slack.com/api/';

/** Discord's own API base, used unless `DISCORD_API_URL` says otherwise. */
export const DISCORD_API_DEFAULT = 'https://discord.com/api';

export type LogLevel = (typeof LOG_LEVELS)[number];

/** Everything the bot reads from its environment, checked. */
export interface Config {
  /** Absolute path of the course file. */
  readonly courseFile: string;
  /** How to name the course file to a person (relative to the working directory when inside it). */
  readonly courseFileLabel: string;
  /** Whether the course file is the package's bundled one because none was configured or found. */
  readonly courseFileIsBundled: boolean;
  /** `COURSES_DIR`: the folder of course files (many courses), instead of `courseFile`; absolute, and its label. */
  readonly coursesDir?: { readonly path: string; readonly label: string };
  /** Absolute path of the SQLite state database, or `:memory:`. */
  readonly stateDb: string;
  /**
   * `DATABASE_URL`: the state store on a PostgreSQL server instead of `stateDb` (instances on several hosts).
   * `shown` is the URL without its password, for logs and messages.
   */
  readonly database?: { readonly url: string; readonly shown: string };
  readonly logLevel: LogLevel;
  /** Whether `LOG_LEVEL` was set (the terminal chat hides info lines unless it was). */
  readonly logLevelSet: boolean;
  /** `json` (production), `pretty` (readable), or `auto`: pretty when stderr is a terminal. */
  readonly logFormat: 'auto' | 'json' | 'pretty';
  readonly discord?: DiscordConfig;
  /** `DISCORD_APPLICATION_ID`, also without a token (`course-bot invite-url` needs nothing else). */
  readonly discordApplicationId?: string;
  readonly slack?: SlackConfig;
  /** `DISCORD_EVENTS=on`: sessions as Discord Scheduled Events, `days` ahead (`DISCORD_EVENTS_DAYS`, default 14). */
  readonly discordEvents?: { readonly days: number };
  /** The health, metrics and calendar server (`HTTP_PORT`); off when unset. */
  readonly http?: { readonly port: number; readonly host: string };
  /** A course plan at a URL: `PLAN_SOURCE_TOKEN` (a bearer token, for private repositories), `PLAN_WEBHOOK_SECRET` (POST /hooks/plan). */
  readonly plan: { readonly sourceToken?: string; readonly webhookSecret?: string };
  readonly announcer: {
    /** How long a claimed, unfinished post keeps other instances away (renewed while posting). */
    readonly leaseMs: number;
    /** How long a failing post is retried before it is recorded as failed and reported. */
    readonly retryForMs: number;
  };
  /** Reminders students opt into with `/remind`. */
  readonly reminders: {
    /** `REMINDER_EVENING`: local `HH:MM` (course time) of the evening-before reminder. */
    readonly evening: string;
  };
}

/**
 * A configuration that cannot be used; the message names every bad variable (under `Invalid configuration:`),
 * or, for a `.env` that cannot be read as one, is one line per problem, each naming `.env` (`heading` null).
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    readonly problems: readonly string[],
    heading: string | null = 'Invalid configuration:',
  ) {
    super(heading === null ? problems.join('\n') : `${heading}\n${problems.map((problem) => `  ${problem}`).join('\n')}`);
  }
}

export interface LoadConfigOptions {
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Read `.env` from the working directory first (variables already set win). Default true. */
  readonly dotenv?: boolean;
}

/** Reads and checks the environment (and `.env`). Throws `ConfigError` listing every problem. */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const cwd = options.cwd ?? process.cwd();
  const env: NodeJS.ProcessEnv = { ...(options.env ?? process.env) };
  if (options.dotenv ?? true) {
    const text = readDotenv(resolve(cwd, '.env'));
    if (text !== undefined) {
      for (const [key, value] of Object.entries(dotenv.parse(text))) env[key] ??= value;
    }
  }
  const result = envSchema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const name = String(issue.path[0]);
        const shown = SECRET_NAME.test(name)
          ? 'a hidden value'
          : name === 'DATABASE_URL'
            ? databaseUrlShown(String(env[name]))
            : `"${String(env[name])}"`;
        return `${name}: ${issue.message} (got ${shown})`;
      }),
    );
  }
  const values = result.data;
  if (values.SLACK_BOT_TOKEN !== undefined && values.SLACK_APP_TOKEN === undefined && values.SLACK_SIGNING_SECRET === undefined) {
    throw new ConfigError([
      'SLACK_BOT_TOKEN: needs SLACK_APP_TOKEN (Socket Mode, no public URL) or SLACK_SIGNING_SECRET (HTTP mode on SLACK_PORT)',
    ]);
  }
  if (values.DISCORD_EVENTS === 'on' && values.DISCORD_TOKEN !== undefined && values.DISCORD_GUILD_ID === undefined) {
    throw new ConfigError(['DISCORD_EVENTS: needs DISCORD_GUILD_ID (the server whose Events list the bot keeps)']);
  }
  if (values.COURSES_DIR !== undefined && values.COURSE_FILE !== undefined) {
    throw new ConfigError(['COURSES_DIR: set COURSE_FILE (one course) or COURSES_DIR (a folder of course files), not both']);
  }
  const coursesDir = values.COURSES_DIR === undefined ? undefined : resolve(cwd, values.COURSES_DIR);
  const configured = values.COURSE_FILE !== undefined;
  const local = resolve(cwd, values.COURSE_FILE ?? 'data/course.yaml');
  const bundled = !configured && !existsSync(local);
  const courseFile = bundled ? BUNDLED_COURSE_FILE : local;
  return {
    courseFile,
    courseFileLabel: label(courseFile, cwd),
    courseFileIsBundled: bundled,
    ...(coursesDir !== undefined && { coursesDir: { path: coursesDir, label: label(coursesDir, cwd) } }),
    stateDb: values.STATE_DB === ':memory:' ? ':memory:' : resolve(cwd, values.STATE_DB),
    ...(values.DATABASE_URL !== undefined && { database: { url: values.DATABASE_URL, shown: shownUrl(values.DATABASE_URL) } }),
    logLevel: values.LOG_LEVEL,
    logLevelSet: env.LOG_LEVEL !== undefined && env.LOG_LEVEL.trim() !== '',
    logFormat: values.LOG_FORMAT,
    ...(values.DISCORD_APPLICATION_ID !== undefined && { discordApplicationId: values.DISCORD_APPLICATION_ID }),
    ...(values.DISCORD_EVENTS === 'on' && { discordEvents: { days: values.DISCORD_EVENTS_DAYS ?? 14 } }),
    ...(values.HTTP_PORT !== undefined && { http: { port: values.HTTP_PORT, host: values.HTTP_HOST ?? '0.0.0.0' } }),
    plan: defined({ sourceToken: values.PLAN_SOURCE_TOKEN, webhookSecret: values.PLAN_WEBHOOK_SECRET }),
    announcer: {
      leaseMs: (values.ANNOUNCE_LEASE_SECONDS ?? 120) * 1000,
      retryForMs: (values.ANNOUNCE_RETRY_MINUTES ?? 10) * 60_000,
    },
    reminders: { evening: values.REMINDER_EVENING ?? '18:00' },
    ...(values.DISCORD_TOKEN !== undefined && {
      discord: {
        token: values.DISCORD_TOKEN,
        apiUrl: (values.DISCORD_API_URL ?? DISCORD_API_DEFAULT).replace(/\/+$/, ''),
        replyVisibility: values.DISCORD_REPLY_VISIBILITY,
        ...defined({
          applicationId: values.DISCORD_APPLICATION_ID,
          guildId: values.DISCORD_GUILD_ID,
          announceChannelId: values.DISCORD_ANNOUNCE_CHANNEL_ID,
          instructorRoleId: values.DISCORD_INSTRUCTOR_ROLE_ID,
          announceRoleId: values.DISCORD_ANNOUNCE_ROLE_ID,
          instructorChannelId: values.DISCORD_INSTRUCTOR_CHANNEL_ID,
        }),
      },
    }),
    ...(values.SLACK_BOT_TOKEN !== undefined && {
      slack: {
        botToken: values.SLACK_BOT_TOKEN,
        port: values.SLACK_PORT ?? 3000,
        host: values.SLACK_HOST ?? '0.0.0.0',
        instructorUserIds: values.SLACK_INSTRUCTOR_USER_IDS ?? [],
        commandPrefix: values.SLACK_COMMAND_PREFIX ?? '',
        apiUrl: (values.SLACK_API_URL ?? SLACK_API_DEFAULT).replace(/\/*$/, '/'),
        replyVisibility: values.SLACK_REPLY_VISIBILITY,
        ...defined({
          appToken: values.SLACK_APP_TOKEN,
          signingSecret: values.SLACK_SIGNING_SECRET,
          announceChannel: values.SLACK_ANNOUNCE_CHANNEL,
          instructorChannel: values.SLACK_INSTRUCTOR_CHANNEL,
          instructorUsergroup: values.SLACK_INSTRUCTOR_USERGROUP,
        }),
      },
    }),
  };
}

const DOTENV_MAX_BYTES = 1024 * 1024;
const DOTENV_SHAPE = 'NAME=value lines, as in .env.example';
/** The lines of problems shown; a file with more is most likely no .env at all. */
const DOTENV_MAX_PROBLEMS = 20;

/**
 * The text of the `.env` at `path`, or undefined when there is none. Anything that is not a readable UTF-8
 * file of `NAME=value` lines dotenv would read as written (a folder, a FIFO, a link to nothing, UTF-16 or
 * binary content, a quote never closed…) is a `ConfigError` with one line per problem, never a silent skip:
 * a token that is quietly not read looks like a platform failure much later.
 */
function readDotenv(path: string): string | undefined {
  const refuse = (...problems: string[]): never => {
    throw new ConfigError(problems, null);
  };
  let fd: number;
  try {
    // Without O_NONBLOCK a FIFO nobody writes to would block the open itself (regular files ignore the flag).
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      const target = danglingLink(path);
      if (target === undefined) return undefined;
      return refuse(`.env is a link to ${target}, which does not exist: point it at a file of ${DOTENV_SHAPE}, or remove it.`);
    }
    if (code === 'EACCES' || code === 'EPERM') {
      const uid = process.getuid?.();
      return refuse(`.env cannot be read (permission denied): let ${uid === undefined ? 'this user' : `uid ${uid}`} read it, or remove it.`);
    }
    if (code === 'ELOOP') return refuse('.env cannot be read (too many symlinks: a symlink loop?): point it at a file, or remove it.');
    // A socket cannot be opened (ENXIO): name it as the other special files are named.
    const kind = code === 'ENXIO' ? kindAt(path) : undefined;
    if (kind) return refuse(`.env is ${kind}, not a regular file: it must be a regular file of ${DOTENV_SHAPE}; replace it with one, or remove it.`);
    return refuse(`.env cannot be read (${code ?? String(error)}): fix it, or remove it.`);
  }
  let bytes: Buffer;
  try {
    const stat = fstatSync(fd);
    const kind = specialKind(stat);
    if (kind === 'a directory') refuse(`.env is a directory: it must be a file of ${DOTENV_SHAPE}; move the folder away.`);
    if (kind) refuse(`.env is ${kind}, not a regular file: it must be a regular file of ${DOTENV_SHAPE}; replace it with one, or remove it.`);
    if (stat.size > DOTENV_MAX_BYTES) refuse(`.env ${tooLargeMessage(stat.size, DOTENV_MAX_BYTES, 'a .env file')} (${DOTENV_SHAPE}).`);
    bytes = readFileSync(fd);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    return refuse(`.env cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)}): fix it, or remove it.`);
  } finally {
    closeSync(fd);
  }
  if (bytes.length > DOTENV_MAX_BYTES) refuse(`.env ${tooLargeMessage(bytes.length, DOTENV_MAX_BYTES, 'a .env file')} (${DOTENV_SHAPE}).`);
  if (isUtf32(bytes)) refuse(`.env is UTF-32 text: save it as UTF-8 (${DOTENV_SHAPE}).`);
  if (isUtf16(bytes)) refuse(`.env is UTF-16 text: save it as UTF-8 (${DOTENV_SHAPE}).`);
  if (bytes.includes(0)) refuse(`.env is not text (it holds NUL bytes, as a binary file does): it must be UTF-8 text of ${DOTENV_SHAPE}.`);
  const text = decodeLines(bytes);
  const problems = dotenvProblems(text);
  if (problems.length > DOTENV_MAX_PROBLEMS) {
    const more = problems.length - DOTENV_MAX_PROBLEMS;
    refuse(...problems.slice(0, DOTENV_MAX_PROBLEMS), `.env has ${more} more line${more === 1 ? '' : 's'} like these: is it a .env file of ${DOTENV_SHAPE}?`);
  }
  if (problems.length > 0) refuse(...problems);
  return text;
}

/** Where the symlink at `path` points when that is missing; undefined when `path` is no link (nothing is there). */
function danglingLink(path: string): string | undefined {
  try {
    if (!lstatSync(path).isSymbolicLink()) return undefined;
    return resolve(dirname(path), readlinkSync(path));
  } catch {
    return undefined;
  }
}

/** What is at `path` when it is not a regular file (`a socket`), through links; undefined when unknown. */
function kindAt(path: string): string | undefined {
  try {
    return specialKind(statSync(path));
  } catch {
    return undefined;
  }
}

/** Whether `bytes` start with a UTF-32 byte order mark (which also starts like UTF-16's). */
function isUtf32(bytes: Buffer): boolean {
  const head = bytes.subarray(0, 4).toString('hex');
  return head === 'fffe0000' || head === '0000feff';
}

/** Whether `bytes` look like UTF-16: a byte order mark, or NUL in every other byte as (nearly) all text in UTF-16 has. */
function isUtf16(bytes: Buffer): boolean {
  if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) return true;
  if (bytes.length < 2 || bytes.length % 2 !== 0) return false;
  const nuls = [0, 0];
  for (let index = 0; index < bytes.length; index++) if (bytes[index] === 0) nuls[index % 2]!++;
  const half = bytes.length / 2;
  return (nuls[0] === 0 && nuls[1]! >= half * 0.75) || (nuls[1] === 0 && nuls[0]! >= half * 0.75);
}

/** The UTF-8 text of `bytes` without a byte order mark; a `ConfigError` naming every line that is not UTF-8. */
function decodeLines(bytes: Buffer): string {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const bad: string[] = [];
  let start = 0;
  for (let line = 1; start <= bytes.length; line++) {
    const end = bytes.indexOf(0x0a, start);
    const stop = end === -1 ? bytes.length : end;
    try {
      decoder.decode(bytes.subarray(start, stop));
    } catch {
      bad.push(`.env line ${line} is not UTF-8 text: save the file as UTF-8.`);
    }
    start = stop + 1;
  }
  if (bad.length > 0) throw new ConfigError(bad, null);
  return bytes.toString('utf8').replace(/^\ufeff/, '');
}

const DOTENV_ASSIGNMENT = /^[ \t]*(?:export[ \t]+)?([\w.-]+)(?:[ \t]*=|:[ \t])[ \t]*/;
const DOTENV_QUOTED: Record<string, RegExp> = { "'": /'(?:\\'|[^'])*'/y, '"': /"(?:\\"|[^"])*"/y, '`': /`(?:\\`|[^`])*`/y };

/**
 * One line per line of `text` that dotenv would not read as written: no `NAME=value` (nor a comment), a
 * quote never closed (dotenv keeps the quote and what follows as the value, or swallows the next lines), text
 * after a closing quote. Values are never shown: they may be secrets.
 */
function dotenvProblems(text: string): string[] {
  const normalized = text.replace(/\r\n?/g, '\n');
  const lines = normalized.split('\n');
  const starts: number[] = [];
  for (let index = 0, offset = 0; index < lines.length; offset += lines[index]!.length + 1, index++) starts.push(offset);
  const lineAt = (offset: number) => {
    let index = 0;
    while (index + 1 < starts.length && starts[index + 1]! <= offset) index++;
    return index;
  };
  const problems: string[] = [];
  for (let index = 0; index < lines.length; ) {
    const line = lines[index]!;
    const number = index + 1;
    index++;
    if (line.trim() === '' || line.trim().startsWith('#')) continue;
    const assignment = DOTENV_ASSIGNMENT.exec(line);
    if (!assignment) {
      problems.push(`.env line ${number} is not a NAME=value line (nor a # comment): fix it or remove it.`);
      continue;
    }
    const name = assignment[1]!;
    const quote = line[assignment[0].length];
    if (quote === undefined || !(quote in DOTENV_QUOTED)) continue;
    const pattern = DOTENV_QUOTED[quote]!;
    pattern.lastIndex = starts[number - 1]! + assignment[0].length;
    const closed = pattern.exec(normalized);
    const end = closed ? pattern.lastIndex : -1;
    const endLine = closed ? lineAt(end - 1) : -1;
    const rest = closed ? normalized.slice(end, endLine + 1 < starts.length ? starts[endLine + 1]! - 1 : normalized.length) : '';
    if (closed && /^[ \t]*(?:#.*)?$/.test(rest)) {
      index = endLine + 1;
    } else if (closed && endLine === number - 1) {
      problems.push(`.env line ${number}: the value of ${name} has text after its closing ${quote} quote: put all of it inside the quotes, or a # before a comment.`);
    } else {
      // A closing quote on a later line with text after it is most likely the next value's opening quote.
      problems.push(`.env line ${number}: the value of ${name} opens a ${quote} quote that is never closed: close it (${name}=${quote}…${quote}) or remove the quote.`);
    }
  }
  return problems;
}

/** The entries whose value is set. */
function defined<T extends Record<string, string | undefined>>(values: T): Partial<Record<keyof T, string>> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Partial<
    Record<keyof T, string>
  >;
}

/** A path as a person would type it from `cwd`. */
export function label(path: string, cwd: string = process.cwd()): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

/** Whether `value` is a URL the PostgreSQL store can connect to: postgres(ql)://, a host, a database name. */
function databaseUrlProblem(value: string): boolean {
  try {
    const url = new URL(value);
    return /^postgres(ql)?:$/.test(url.protocol) && url.hostname !== '' && url.pathname.length > 1;
  } catch {
    return false;
  }
}


/** How a bad `DATABASE_URL` is shown: without its password; not at all when it is no URL with a host (it may hold one). */
function databaseUrlShown(value: string): string {
  let host = '';
  try {
    host = new URL(value).host;
  } catch {
    // Shown as no URL below.
  }
  // Without a host (`user:password@db`), the password would be read as a scheme and a path.
  return host === '' ? 'a value that is not a URL, not shown: it may hold a password' : `"${shownUrl(value)}"`;
}

/**
 * Runs `work` (synchronous) with `process.env` a plain copy of itself, put back after. The YAML parser reads
 * `process.env.LOG_TOKENS` for every token, and the real `process.env` asks the operating system each time:
 * a fifth of the parse of a large course file. Nothing else runs meanwhile, and the copy holds the same
 * values. Here because this is the one module that touches `process.env`.
 */
export function withPlainEnv<T>(work: () => T): T {
  const env = process.env;
  let swapped = false;
  try {
    process.env = { ...env };
    swapped = true;
  } catch {
    // A process whose env cannot be replaced parses at the usual speed.
  }
  try {
    return work();
  } finally {
    if (swapped) process.env = env;
  }
}
