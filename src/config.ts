import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import dotenv from 'dotenv';
import { z } from 'zod';

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

const envSchema = z.object({
  COURSE_FILE: optionalText,
  STATE_DB: optionalText.default('var/course-bot.db'),
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
  ANNOUNCE_LEASE_SECONDS: optionalText
    .transform((value) => (value === undefined ? undefined : Number(value)))
    .pipe(z.number({ error: 'must be a number of seconds' }).int('must be whole seconds').min(2).max(600).optional()),
  ANNOUNCE_RETRY_MINUTES: optionalText
    .transform((value) => (value === undefined ? undefined : Number(value)))
    .pipe(z.number({ error: 'must be a number of minutes' }).positive('must be more than 0').max(24 * 60).optional()),
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
  /** Absolute path of the SQLite state database, or `:memory:`. */
  readonly stateDb: string;
  readonly logLevel: LogLevel;
  /** Whether `LOG_LEVEL` was set (the terminal chat hides info lines unless it was). */
  readonly logLevelSet: boolean;
  /** `json` (production), `pretty` (readable), or `auto`: pretty when stderr is a terminal. */
  readonly logFormat: 'auto' | 'json' | 'pretty';
  readonly discord?: DiscordConfig;
  /** `DISCORD_APPLICATION_ID`, also without a token (`course-bot invite-url` needs nothing else). */
  readonly discordApplicationId?: string;
  readonly slack?: SlackConfig;
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
}

/** A configuration that cannot be used; the message names every bad variable. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  ${problem}`).join('\n')}`);
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
    const path = resolve(cwd, '.env');
    if (existsSync(path)) {
      const parsed = dotenv.parse(readFileSync(path, 'utf8'));
      for (const [key, value] of Object.entries(parsed)) env[key] ??= value;
    }
  }
  const result = envSchema.safeParse(env);
  if (!result.success) {
    throw new ConfigError(
      result.error.issues.map((issue) => {
        const name = String(issue.path[0]);
        const shown = SECRET_NAME.test(name) ? 'a hidden value' : `"${String(env[name])}"`;
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
  const configured = values.COURSE_FILE !== undefined;
  const local = resolve(cwd, values.COURSE_FILE ?? 'data/course.yaml');
  const bundled = !configured && !existsSync(local);
  const courseFile = bundled ? BUNDLED_COURSE_FILE : local;
  return {
    courseFile,
    courseFileLabel: label(courseFile, cwd),
    courseFileIsBundled: bundled,
    stateDb: values.STATE_DB === ':memory:' ? ':memory:' : resolve(cwd, values.STATE_DB),
    logLevel: values.LOG_LEVEL,
    logLevelSet: env.LOG_LEVEL !== undefined && env.LOG_LEVEL.trim() !== '',
    logFormat: values.LOG_FORMAT,
    ...(values.DISCORD_APPLICATION_ID !== undefined && { discordApplicationId: values.DISCORD_APPLICATION_ID }),
    ...(values.HTTP_PORT !== undefined && { http: { port: values.HTTP_PORT, host: values.HTTP_HOST ?? '0.0.0.0' } }),
    plan: defined({ sourceToken: values.PLAN_SOURCE_TOKEN, webhookSecret: values.PLAN_WEBHOOK_SECRET }),
    announcer: {
      leaseMs: (values.ANNOUNCE_LEASE_SECONDS ?? 120) * 1000,
      retryForMs: (values.ANNOUNCE_RETRY_MINUTES ?? 10) * 60_000,
    },
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
