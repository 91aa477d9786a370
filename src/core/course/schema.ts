import * as z from 'zod';
import {
  type IsoDate,
  type Weekday,
  WEEKDAYS,
  isIsoDate,
  canonicalZone,
  isZone,
  normalizeLocalTime,
  parseWeekday,
} from './dates.js';
import { quoted, shown } from './model.js';
import { thousands } from '../text.js';

/** Where a session falls in the course's rhythm. */
export const SESSION_FORMATS = ['exercises', 'project', 'lecture', 'exam', 'other'] as const;
export type SessionFormat = (typeof SESSION_FORMATS)[number];

/**
 * What a course file may hold. Week numbers and years are bounded so that every date the file places
 * stays a `YYYY-MM-DD` date; the session count so that checking the file stays quick.
 */
export const COURSE_LIMITS = {
  /** The highest week number (5,000 weeks is about 96 years). */
  weekNumber: 5_000,
  /** Sessions in the whole file. */
  sessions: 20_000,
  /** The first and last year a date in the file (the start, a session date) may lie in. */
  firstYear: 1900,
  lastYear: 2999,
} as const;

/** A schema-level error: "is required" when the field is missing, else what was expected. */
export function expected(what: string) {
  return (issue: { input?: unknown }): string =>
    issue.input === undefined ? 'is required' : `expected ${what}, got ${describe(issue.input)}`;
}

function describe(value: unknown): string {
  if (value === null) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `string ${quoted(value)}`;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return `${typeof value} ${value}`;
  return typeof value;
}

/** The value a refinement refused, for its message. */
function input(issue: { input?: unknown }): string {
  return typeof issue.input === 'string' ? shown(issue.input) : String(issue.input);
}

/** Within the years a course file may use (see `COURSE_LIMITS`). */
export function isCourseDate(value: string): boolean {
  const year = Number(value.slice(0, 4));
  return isIsoDate(value) && year >= COURSE_LIMITS.firstYear && year <= COURSE_LIMITS.lastYear;
}

const text = z.string({ error: expected('text') }).trim().min(1, 'must not be empty');

const isoDate = z
  .string({ error: expected('a date as YYYY-MM-DD') })
  .refine(isIsoDate, { error: (issue) => `${input(issue)} is not a date (expected YYYY-MM-DD)`, abort: true })
  .refine(isCourseDate, {
    error: (issue) => `${input(issue)} is outside the years ${COURSE_LIMITS.firstYear}–${COURSE_LIMITS.lastYear} a course file may use`,
  });

const localTime = z
  .string({ error: expected('a local time as HH:MM') })
  .transform((value, ctx) => {
    const time = normalizeLocalTime(value);
    if (time === undefined) {
      ctx.addIssue({ code: 'custom', message: `${shown(value)} is not a time (expected HH:MM, 00:00–23:59)` });
      return z.NEVER;
    }
    return time;
  });

const weekday = z.string({ error: expected('a weekday name') }).transform((value, ctx): Weekday => {
  const day = parseWeekday(value);
  if (day === undefined) {
    ctx.addIssue({ code: 'custom', message: `${shown(value)} is not a weekday (expected one of ${WEEKDAYS.join(', ')})` });
    return z.NEVER;
  }
  return day;
});

const urlError = (issue: { input?: unknown }): string =>
  issue.input === undefined
    ? 'is required'
    : typeof issue.input === 'string'
      ? `${shown(issue.input)} is not an http(s) URL`
      : `expected an http(s) URL, got ${describe(issue.input)}`;

/**
 * Whitespace and control characters: a URL has none, and the URL parser drops some without a word
 * (`https://a` + line break + `b` would be read as `https://ab`).
 */
const NOT_IN_URL = /[\s\p{C}]/u;

const httpUrl = z
  .string({ error: urlError })
  .refine((value) => !NOT_IN_URL.test(value), {
    error: (issue) => `${input(issue)} is not an http(s) URL: it has a space, a line break or a control character in it (write a space as %20)`,
    abort: true,
  })
  .pipe(z.url({ protocol: /^https?$/, error: urlError }));

const zone = z
  .string({ error: expected('an IANA time zone such as Europe/Copenhagen') })
  .refine(isZone, { error: (issue) => `${input(issue)} is not a known IANA time zone (such as Europe/Copenhagen)` })
  .transform(canonicalZone);

const slug = z
  .string({ error: expected('an id') })
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be a slug: lowercase letters, digits and single dashes');

/**
 * A string, or a comma-separated string, as a list: `[PyTorch, Hydra]` or `PyTorch, Hydra`. A list is
 * checked item by item, so a wrong item is named (`frameworks[1]: expected text, got a list`).
 */
const stringList = z.preprocess(
  (value) =>
    typeof value === 'string'
      ? value
          .split(',')
          .map((part) => part.trim())
          .filter((part) => part.length > 0)
      : value,
  z.array(text, { error: expected('a list of names') }),
);

export const sessionSchema = z.strictObject({
  day: weekday.optional(),
  date: isoDate.optional(),
  topic: text.optional(),
  frameworks: stringList.default([]),
  format: z.enum(SESSION_FORMATS, { error: expected(`one of ${SESSION_FORMATS.join(', ')}`) }).optional(),
  resources: z.array(slug, { error: expected('a list of resource ids') }).default([]),
  note: text.optional(),
  /** Where the session takes place (a room, an address, a link): the Discord event's location. */
  location: text.optional(),
  /** Local time the session ends (`HH:MM`); else `course.dayEnd`. */
  end: localTime.optional(),
  /** `true`, or the reason: the session stays listed, marked cancelled. */
  cancelled: z.union([z.boolean(), text], { error: expected('true or a reason') }).optional(),
});

export const weekSchema = z.strictObject({
  number: z
    .number({ error: expected('a week number') })
    .min(1, 'must be 1 or more')
    .max(COURSE_LIMITS.weekNumber, {
      error: (issue) =>
        `${String(issue.input)} is too large: week numbers go up to ${thousands(COURSE_LIMITS.weekNumber)} (counted from the course start)`,
      // A huge number is no "whole number" to zod (past 2^53): say only that it is too large.
      abort: true,
    })
    .int('must be a whole number'),
  title: text.optional(),
  summary: text.optional(),
  sessions: z.array(sessionSchema, { error: expected('a list of sessions') }).default([]),
});

export const resourceSchema = z.strictObject({
  id: slug,
  title: text,
  url: httpUrl,
  tags: stringList.default([]),
  description: text.optional(),
});

export const setupStepSchema = z.strictObject({
  title: text,
  command: text.optional(),
  url: httpUrl.optional(),
  description: text.optional(),
});

export const courseInfoSchema = z.strictObject({
  id: slug,
  name: text,
  timezone: zone,
  start: isoDate,
  dayStart: localTime.optional(),
  /** Local time a session day ends (`HH:MM`), unless a session gives its own `end`. */
  dayEnd: localTime.optional(),
  /** Where sessions take place unless a session gives its own `location`. */
  location: text.optional(),
  repository: httpUrl.optional(),
});

export const announcementsSchema = z.strictObject({
  time: localTime.default('08:00'),
  /** A bot started late still posts the day's announcement until this local time. */
  catchUpUntil: localTime.default('12:00'),
  /** Also post an overview of the week on its first session day. */
  weeklyOverview: z.boolean({ error: expected('true or false') }).default(false),
});

/** `30s`, `10m`, `1h`, `1d` (or a bare number of seconds) as milliseconds; undefined when it is none of these. */
export function parseDuration(value: string): number | undefined {
  const match = /^\s*(\d{1,9})\s*(s|m|h|d)?\s*$/i.exec(value);
  if (!match) return undefined;
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(match[2] ?? 's').toLowerCase() as 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

/** How often a plan URL may be checked: no more than every 10 seconds, at least once a week. */
export const PLAN_REFRESH_LIMITS = { minMs: 10_000, maxMs: 7 * 86_400_000, defaultMs: 600_000 } as const;

/**
 * Where a plan comes from: `url` for `https://…` (and `http://` to this machine only: 127.0.0.1, localhost,
 * [::1]), `path` for a file (relative to the course file), or a reason it is neither.
 */
export function planSourceKind(source: string): { readonly kind: 'url' | 'path' } | { readonly kind: 'invalid'; readonly reason: string } {
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(source)) return { kind: 'path' };
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    return { kind: 'invalid', reason: `${shown(source)} is not a URL` };
  }
  if (url.protocol === 'https:') return { kind: 'url' };
  if (url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) return { kind: 'url' };
  if (url.protocol === 'http:') return { kind: 'invalid', reason: `${shown(source)} is plain http: use https:// (http:// only to this machine, 127.0.0.1)` };
  return { kind: 'invalid', reason: `${shown(source)} is neither an https:// URL nor a file path` };
}

const planRefresh = z.string({ error: expected('a duration such as 30s, 10m or 1h') }).refine(
  (value) => {
    const ms = parseDuration(value);
    return ms !== undefined && ms >= PLAN_REFRESH_LIMITS.minMs && ms <= PLAN_REFRESH_LIMITS.maxMs;
  },
  { error: (issue) => `${input(issue)} is not a duration from 10s to 7d (such as 30s, 10m or 1h)` },
);

/** `plan:` — the course's weeks come from its Markdown time plan, a file or a URL. */
export const planSchema = z.strictObject({
  source: text.superRefine((value, ctx) => {
    const kind = planSourceKind(value);
    if (kind.kind === 'invalid') ctx.addIssue({ code: 'custom', message: kind.reason });
  }),
  /** The year of `D/M` dates. */
  year: z
    .number({ error: expected('a year such as 2027') })
    .int('must be a whole year')
    .min(COURSE_LIMITS.firstYear, `must be ${COURSE_LIMITS.firstYear} or later`)
    .max(COURSE_LIMITS.lastYear, `must be ${COURSE_LIMITS.lastYear} or earlier`)
    .optional(),
  /** The first day of week 1, for tables by weekday only. */
  start: isoDate.optional(),
  /** How often a URL is checked (default 10m). */
  refresh: planRefresh.optional(),
});

/**
 * An id a chat platform gave: written in quotes in YAML. An unquoted Discord id is a number to YAML, and
 * one past 2^53 comes back with other last digits, so a number is refused with the fix, not converted.
 */
const platformId = (pattern: RegExp, what: string, example: string, hint: string) =>
  z
    .string({
      error: (issue) =>
        typeof issue.input === 'number'
          ? `write the ${what} in quotes ("${example}"): YAML reads an unquoted id as a number and may change its last digits`
          : expected(`a ${what} such as "${example}"`)(issue),
    })
    .trim()
    .regex(pattern, { error: (issue) => `${input(issue)} is not a ${what} (${hint}, such as "${example}")` });

/** The same id formats `src/config.ts` checks for the single-course environment variables. */
const discordId = platformId(/^\d{15,21}$/, 'Discord id', '123456789012345678', '15–21 digits: Developer Mode → right-click → Copy ID');
const slackChannel = platformId(/^[CG][A-Z0-9]{6,}$/, 'Slack channel id', 'C0123ABCD', 'not a #name: channel details → Copy channel ID');
const slackUser = platformId(/^[UW][A-Z0-9]{6,}$/, 'Slack user id', 'U0123ABCD', 'profile → ⋮ → Copy member ID');
const slackUsergroup = platformId(/^S[A-Z0-9]{6,}$/, 'Slack user group id', 'S0123ABCD', 'S followed by letters and digits');

/** `targets.discord`: the server this course lives in, where it announces, and who its instructors are. */
export const discordTargetsSchema = z.strictObject({
  guildId: discordId.optional(),
  announceChannelId: discordId.optional(),
  /** Members with this role are the course's instructors. */
  instructorRoleId: discordId.optional(),
  /** The role mentioned in announcements. */
  announceRoleId: discordId.optional(),
  /** Where refused files and failed posts are reported. */
  instructorChannelId: discordId.optional(),
  /** Channels whose commands are this course's (where several courses share a server). */
  channels: z.array(discordId, { error: expected('a list of Discord channel ids') }).default([]),
});

/** `targets.slack`: the channels of this course in its workspace and who its instructors are. */
export const slackTargetsSchema = z.strictObject({
  announceChannel: slackChannel.optional(),
  instructorChannel: slackChannel.optional(),
  instructorUserIds: z.array(slackUser, { error: expected('a list of Slack user ids') }).default([]),
  instructorUsergroup: slackUsergroup.optional(),
  /** Channels whose commands are this course's (where several courses share a workspace). */
  channels: z.array(slackChannel, { error: expected('a list of Slack channel ids') }).default([]),
});

/** `targets:` — where the course lives on each platform; absent: the environment variables say (one course). */
export const targetsSchema = z.strictObject({
  discord: discordTargetsSchema.optional(),
  slack: slackTargetsSchema.optional(),
});

export const courseFileSchema = z.strictObject({
  course: courseInfoSchema,
  announcements: announcementsSchema.default({ time: '08:00', catchUpUntil: '12:00', weeklyOverview: false }),
  weeks: z.array(weekSchema, { error: expected('a list of weeks') }).min(1, 'a course needs at least one week'),
  resources: z.array(resourceSchema, { error: expected('a list of resources') }).default([]),
  setup: z.array(setupStepSchema, { error: expected('a list of setup steps') }).default([]),
  /** Where the weeks come from instead of `weeks` (which the plan fills in when the file is read). */
  plan: planSchema.optional(),
  /** Where the course lives on Discord and Slack (many courses in one deployment). */
  targets: targetsSchema.optional(),
});

/** The course file as written (after defaults), before dates are resolved. */
export type CourseFile = z.infer<typeof courseFileSchema>;
export type CourseFileInput = z.input<typeof courseFileSchema>;
export type SessionEntry = z.infer<typeof sessionSchema>;
export type ResourceEntry = z.infer<typeof resourceSchema>;
export type SetupStep = z.infer<typeof setupStepSchema>;
export type PlanEntry = z.infer<typeof planSchema>;
export type CourseTargets = z.infer<typeof targetsSchema>;
export type DiscordTargets = z.infer<typeof discordTargetsSchema>;
export type SlackTargets = z.infer<typeof slackTargetsSchema>;

export type { IsoDate, Weekday };
