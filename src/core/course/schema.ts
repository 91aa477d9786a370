import { z } from 'zod';
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
  /** `true`, or the reason: the session stays listed, marked cancelled. */
  cancelled: z.union([z.boolean(), text], { error: expected('true or a reason') }).optional(),
});

export const weekSchema = z.strictObject({
  number: z
    .number({ error: expected('a week number') })
    .min(1, 'must be 1 or more')
    .max(COURSE_LIMITS.weekNumber, {
      error: (issue) =>
        `${String(issue.input)} is too large: week numbers go up to ${COURSE_LIMITS.weekNumber.toLocaleString('en-US')} (counted from the course start)`,
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
  repository: httpUrl.optional(),
});

export const announcementsSchema = z.strictObject({
  time: localTime.default('08:00'),
  /** A bot started late still posts the day's announcement until this local time. */
  catchUpUntil: localTime.default('12:00'),
  /** Also post an overview of the week on its first session day. */
  weeklyOverview: z.boolean({ error: expected('true or false') }).default(false),
});

export const courseFileSchema = z.strictObject({
  course: courseInfoSchema,
  announcements: announcementsSchema.default({ time: '08:00', catchUpUntil: '12:00', weeklyOverview: false }),
  weeks: z.array(weekSchema, { error: expected('a list of weeks') }).min(1, 'a course needs at least one week'),
  resources: z.array(resourceSchema, { error: expected('a list of resources') }).default([]),
  setup: z.array(setupStepSchema, { error: expected('a list of setup steps') }).default([]),
});

/** The course file as written (after defaults), before dates are resolved. */
export type CourseFile = z.infer<typeof courseFileSchema>;
export type CourseFileInput = z.input<typeof courseFileSchema>;
export type SessionEntry = z.infer<typeof sessionSchema>;
export type ResourceEntry = z.infer<typeof resourceSchema>;
export type SetupStep = z.infer<typeof setupStepSchema>;

export type { IsoDate, Weekday };
