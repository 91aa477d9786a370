import type { Clock } from '../core/clock.js';
import type { Course } from '../core/course/model.js';
import type { Messenger, ScheduleAdmin, StateStore } from '../core/ports.js';
import type { DirectMessenger, ReminderSettings } from '../core/reminders.js';
import type { ReminderBook } from '../store/reminders.js';
import type { Config } from '../config.js';
import type { EventPort } from '../events/sync.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../observability/metrics.js';
import type { PlatformName } from './failure.js';

/** Where one course is announced and its instructors told, per platform (today: the `DISCORD_*` / `SLACK_*` variables). */
export interface CourseTargets {
  readonly discord?: {
    readonly guildId?: string;
    readonly announceChannelId?: string;
    readonly announceRoleId?: string;
    readonly instructorChannelId?: string;
  };
  readonly slack?: {
    readonly announceChannel?: string;
    readonly instructorChannel?: string;
  };
}

/** The targets of the one course the environment configures. */
export function environmentTargets(config: Config): CourseTargets {
  const { discord, slack } = config;
  return {
    ...(discord && {
      discord: {
        ...(discord.guildId && { guildId: discord.guildId }),
        ...(discord.announceChannelId && { announceChannelId: discord.announceChannelId }),
        ...(discord.announceRoleId && { announceRoleId: discord.announceRoleId }),
        ...(discord.instructorChannelId && { instructorChannelId: discord.instructorChannelId }),
      },
    }),
    ...(slack && {
      slack: {
        ...(slack.announceChannel && { announceChannel: slack.announceChannel }),
        ...(slack.instructorChannel && { instructorChannel: slack.instructorChannel }),
      },
    }),
  };
}

/** One course as a platform serves it: its targets, and the reminder settings its students keep. */
export interface CourseBinding {
  readonly targets: CourseTargets;
  readonly reminders: ReminderBook;
}

/** What one course uses on one platform: its announcement messengers, direct messages, instructor reports, events. */
export interface CoursePorts {
  readonly platform: string;
  /** Where announcements and notices are posted (none when no announcement channel is configured). */
  readonly announce: readonly Messenger[];
  /** Where reminders are sent as direct messages. */
  readonly direct: readonly DirectMessenger[];
  /** Tells the course's instructors (their channel), when it has one. */
  readonly report?: (text: string) => Promise<void>;
  /** Where the course's sessions are kept as scheduled events (Discord with `DISCORD_EVENTS=on`). */
  readonly events?: EventPort;
}

/** Hands out a course's messengers on a platform; the same for the running bot and for `announce --now`. */
export interface Poster {
  forCourse(course: CourseBinding): CoursePorts;
}

/** The course a platform's commands answer for (one today; chosen per request once there are several). */
export interface CourseScope {
  readonly course: () => Course;
  readonly admin: ScheduleAdmin;
  readonly reminders: ReminderSettings;
}

/** What every platform gets from the composition root. */
export interface PlatformDeps {
  readonly config: Config;
  readonly store: StateStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly scope: CourseScope;
  readonly metrics?: Metrics;
}

/** A chat platform once started: its health, its start and its loss, its stop, and the messengers it hands out. */
export interface Platform extends Poster {
  readonly name: PlatformName | 'terminal';
  /** `ok` while connected, else why not (for `/healthz`). */
  health(): string;
  /** Resolves when connected (rejects when it cannot start: a refused token, no network). */
  readonly ready: Promise<void>;
  /** Resolves, with the reason, when the platform shuts the bot out for good while it runs (a revoked token). */
  readonly lost: Promise<unknown>;
  /** Resolves when the platform's own session ends (the terminal's input closed); never for a chat server. */
  readonly ended: Promise<void>;
  stop(): Promise<void>;
}

/**
 * A chat platform: reads its own slice of the configuration, connects, and hands out messengers. Adding a
 * platform is a folder with one of these and a line in `PLATFORMS`.
 */
export interface PlatformModule {
  /** Also the key of its slice of the configuration (`config.discord`), present when its token is set. */
  readonly name: PlatformName;
  /** Connects; `ready` on the result says when it is up. */
  start(deps: PlatformDeps): Promise<Platform>;
  /** Posting only, without connecting (`course-bot announce --now`). */
  poster(config: Config, logger: Logger): Promise<Poster>;
}

/**
 * The chat platforms, in the order they start and are named in errors. Each is loaded only when configured:
 * a Discord-only bot starts without Bolt (and Express) in memory.
 */
export const PLATFORMS: readonly { readonly name: PlatformName; readonly load: () => Promise<PlatformModule> }[] = [
  { name: 'discord', load: async () => (await import('./discord/platform.js')).discordPlatform },
  { name: 'slack', load: async () => (await import('./slack/platform.js')).slackPlatform },
];

/** Whether the configuration turns any chat platform on (else the bot runs the terminal chat). */
export function chatConfigured(config: Config): boolean {
  return PLATFORMS.some((entry) => config[entry.name] !== undefined);
}

/** The chat platforms the configuration turns on (their slice of it is set), loaded. */
export function configuredPlatforms(config: Config): Promise<PlatformModule[]> {
  return Promise.all(PLATFORMS.filter((entry) => config[entry.name] !== undefined).map((entry) => entry.load()));
}

/**
 * The start of a platform, its failure observed at once: a refusal that comes while the next platform is
 * still being set up must not count as unhandled (Node ends the process with a stack trace then).
 */
export function observed(ready: Promise<void>): Promise<void> {
  ready.catch(() => undefined);
  return ready;
}

/** Waits for a start to end, but no more than 2 s: an API that does not answer must not hold a stop. */
export async function settled(ready: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([ready.catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, 2_000)))]);
  clearTimeout(timer);
}
