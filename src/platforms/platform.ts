import type { Clock } from '../core/clock.js';
import type { ScopeResolver } from '../core/commands/invoke.js';
import type { CourseTargets } from '../core/course/schema.js';
import type { Course } from '../core/course/model.js';
import type { RoutedCourse } from '../core/routing.js';
import type { Messenger, ScheduleAdmin, StateStore } from '../core/ports.js';
import type { DirectMessenger, ReminderSettings } from '../core/reminders.js';
import type { ReminderBook } from '../store/reminders.js';
import type { Config } from '../config.js';
import type { EventPort } from '../events/sync.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../observability/metrics.js';
import type { PlatformName } from './failure.js';

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

/** What one course's commands may use: the course as it is now, its instructor actions, its students' reminders. */
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
  /** Chooses each request's course among the running ones (see `src/courses/scope.ts`). */
  readonly scopes: CourseScopes;
  /**
   * The targets of the running courses, as they are now: where Discord registers the commands (per guild the
   * courses name, global where one names none).
   */
  readonly targets: () => readonly CourseTargets[];
  readonly metrics?: Metrics;
}

/** What a platform knows of who instructs a course beyond what a request carries. */
export interface InstructorLookups {
  /** Slack: the members of a user group (asked of Slack, cached by the adapter). */
  readonly usergroupMembers?: (usergroupId: string) => Promise<ReadonlySet<string>>;
}

/**
 * The single course a dispatcher falls back to when given no resolver: never asked for, since the composition
 * root always hands one (`CourseScopes`). Throws, so that a dispatcher wired without its resolver is a bug found.
 */
export function routedOnly(platform: PlatformName | 'terminal'): () => Course {
  return () => {
    throw new Error(`the ${platform} platform answers through its course resolver`);
  };
}

/** Hands each platform the resolver that chooses a request's course (and tells its instructors) there. */
export interface CourseScopes {
  resolver(platform: PlatformName | 'terminal', lookups?: InstructorLookups): ScopeResolver;
  /**
   * The running courses served on a platform, as they are now (the terminal: every course): the `course`
   * option's autocomplete offers them and `/help` lists them where there are several.
   */
  courses(platform: PlatformName | 'terminal'): readonly RoutedCourse[];
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
  /** The running courses changed (one added or removed): Discord registers its commands where they are now needed. */
  coursesChanged?(): Promise<void>;
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
