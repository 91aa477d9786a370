import * as z from 'zod';
import {
  type IsoDate,
  capitalize,
  normalizeLocalTime,
  parseWeekday,
  placeWeekday,
  weekNumberOf,
  weekdayOf,
} from './dates.js';
import type { Course, CourseIssue, Session, Week } from './model.js';
import { formatPath, quoted } from './model.js';
import { closest, thousands } from '../text.js';
import {
  COURSE_LIMITS,
  type CourseFile,
  type SessionEntry,
  announcementsSchema,
  courseFileSchema,
  courseInfoSchema,
  resourceSchema,
  isCourseDate,
  planSchema,
  sessionSchema,
  setupStepSchema,
  weekSchema,
} from './schema.js';

export type ParseResult =
  | { readonly ok: true; readonly course: Course; readonly file: CourseFile }
  | { readonly ok: false; readonly issues: readonly CourseIssue[] };

/**
 * Validates a course document (already parsed from YAML) and places every session on its date.
 * Reports every problem at once: shape errors from the schema and the cross-field rules.
 */
export function parseCourse(input: unknown): ParseResult {
  // A course file this function returned is valid as it is (files are never changed in place): the effective
  // course of a file with no stored changes to apply is read on every change of the log, and a check of a
  // 10,000-session course costs a third of a second.
  const known = typeof input === 'object' && input !== null ? parsedFiles.get(input) : undefined;
  if (known) return known;
  const raw = withoutExtensions(withoutNulls(input));
  const parsed = checked(courseFileSchema, raw);
  const issues = parsed.success ? [] : parsed.issues;
  // Not pushed as arguments: a file may have hundreds of thousands of problems.
  for (const issue of crossCheck(raw)) issues.push(issue);
  if (!parsed.success || issues.length > 0) return { ok: false, issues: unique(issues) };
  const result = { ok: true, course: resolve(parsed.data), file: parsed.data } as const;
  parsedFiles.set(parsed.data, result);
  return result;
}

/** The results of `parseCourse`, by the course file it returned. */
const parsedFiles = new WeakMap<object, ParseResult & { readonly ok: true }>();

/** The course of a file `parseCourse` returned; undefined for any other file. */
export function parsedCourse(file: CourseFile): Course | undefined {
  return parsedFiles.get(file)?.course;
}

/** Where a session entry sits in a course file: `weeks[week].sessions[index]`. */
export interface SessionPlace {
  readonly week: number;
  readonly index: number;
}

/**
 * `parseCourse` of a file that differs from `base` (a file `parseCourse` returned) only in the session at
 * `at`, given as `session`, with the same day and date: only that session is checked (its fields, and of the
 * rules that span fields the one that can change, its resource ids), and the course is the base's with that
 * one session replaced. The same result as `parseCourse` of the whole file, at a cost that does not grow with
 * the course (an instructor's edit or cancel of a 10,000-session course took 0.1 s). Undefined when it does
 * not apply (`base` not known, the day or date differs): check the whole file then.
 */
export function parseSessionChange(base: CourseFile, at: SessionPlace, session: unknown): ParseResult | undefined {
  const known = parsedFiles.get(base);
  const week = base.weeks[at.week];
  const old = week?.sessions[at.index];
  if (!known || !week || !old) return undefined;
  const raw = withoutNulls(session);
  const fields = record(raw);
  if (!fields || fields.date !== old.date || (typeof fields.day === 'string' ? parseWeekday(fields.day) : fields.day) !== old.day) {
    return undefined;
  }
  const path = ['weeks', at.week, 'sessions', at.index] as const;
  const parsed = checked(sessionSchema, raw, path);
  const issues = parsed.success ? [] : parsed.issues;
  let ids: string[] | undefined;
  list(fields.resources).forEach((id, index) => {
    if (typeof id !== 'string') return;
    ids ??= base.resources.map((resource) => resource.id);
    if (!ids.includes(id)) issues.push({ path: [...path, 'resources', index], message: `unknown resource id ${quoted(id)}${knownIds(ids)}` });
  });
  if (!parsed.success || issues.length > 0) return { ok: false, issues: unique(issues) };
  const file: CourseFile = {
    ...base,
    weeks: base.weeks.map((entry, index) =>
      index !== at.week ? entry : { ...entry, sessions: entry.sessions.map((item, position) => (position === at.index ? parsed.data : item)) },
    ),
  };
  const replaced = resolveSession(base.course.start, week.number, parsed.data);
  const { course } = known;
  const swap = (sessions: readonly Session[]) => sessions.map((item) => (item.date === replaced.date ? replaced : item));
  const result = {
    ok: true,
    course: {
      ...course,
      weeks: course.weeks.map((entry) => (entry.number === week.number ? { ...entry, sessions: swap(entry.sessions) } : entry)),
      sessions: swap(course.sessions),
    },
    file,
  } as const;
  parsedFiles.set(file, result);
  return result;
}

type Checked<T> = { readonly success: true; readonly data: T } | { readonly success: false; readonly issues: CourseIssue[] };

/**
 * The schema's verdict on a value. zod gathers the problems of a list by passing them all as the
 * arguments of one call, which overflows the stack past about 100,000 (a list of that many wrong
 * items, within the YAML limits): then the parts are checked one by one, the items of a list and the
 * fields of a mapping, so every problem is still found at its place.
 */
function checked<T>(schema: z.ZodType<T>, value: unknown, path: readonly (string | number)[] = []): Checked<T> {
  try {
    const parsed = schema.safeParse(value, { error: fallbackMessage });
    if (parsed.success) return parsed;
    return { success: false, issues: parsed.error.issues.flatMap((issue) => toCourseIssues({ ...issue, path: [...path, ...issue.path] })) };
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    const issues = partIssues(schema, value, path);
    if (issues.length === 0) throw error;
    return { success: false, issues };
  }
}

/** The problems of a list's items or a mapping's fields, each checked on its own (see `checked`). */
function partIssues(schema: z.ZodType, value: unknown, path: readonly (string | number)[]): CourseIssue[] {
  const inner = unwrapped(schema);
  if (inner instanceof z.ZodArray && Array.isArray(value)) {
    const element = inner.element as z.ZodType;
    return value.flatMap((item, index) => {
      const result = checked(element, item, [...path, index]);
      return result.success ? [] : result.issues;
    });
  }
  if (inner instanceof z.ZodObject && record(value)) {
    const fields = record(value)!;
    const shape = inner.shape as Record<string, z.ZodType>;
    // The unknown keys, with every known field taken as it is.
    const keys = checked(z.strictObject(Object.fromEntries(Object.keys(shape).map((key) => [key, z.unknown().optional()]))), fields, path);
    return [
      ...(keys.success ? [] : keys.issues),
      ...Object.entries(shape).flatMap(([key, field]) => {
        const result = checked(field, fields[key], [...path, key]);
        return result.success ? [] : result.issues;
      }),
    ];
  }
  return [];
}

/** The schema inside optional, default and preprocessing wrappers (a list of names is preprocessed). */
function unwrapped(schema: z.ZodType): z.ZodType {
  if (schema instanceof z.ZodOptional || schema instanceof z.ZodDefault) return unwrapped(schema.unwrap() as z.ZodType);
  if (schema instanceof z.ZodPipe) return unwrapped(schema.out as z.ZodType);
  return schema;
}

/** An empty field (`topic:`) means the field is absent, at any depth. */
function withoutNulls(value: unknown): unknown {
  // Copied only where something is left out: a course file of 10,000 sessions has 100,000 values, most with no null.
  if (Array.isArray(value)) {
    const items: readonly unknown[] = value;
    let copy: unknown[] | undefined;
    for (let index = 0; index < items.length; index += 1) {
      const item = items[index];
      const kept = withoutNulls(item);
      if (kept !== item) (copy ??= [...items])[index] = kept;
    }
    return copy ?? items;
  }
  if (typeof value !== 'object' || value === null) return value;
  let copy: Record<string, unknown> | undefined;
  const fields = value as Record<string, unknown>;
  // Keys, not entries: no pair is made per field.
  for (const key of Object.keys(fields)) {
    const field = fields[key];
    if (field === null) {
      copy ??= { ...value };
      delete copy[key];
      continue;
    }
    const kept = withoutNulls(field);
    if (kept !== field) (copy ??= { ...value })[key] = kept;
  }
  return copy ?? value;
}

/** Top-level `x-…` keys are the author's own (a place for YAML anchors), as in Compose files. */
function withoutExtensions(value: unknown): unknown {
  const root = record(value);
  if (!root) return value;
  return Object.fromEntries(Object.entries(root).filter(([key]) => !key.startsWith('x-')));
}

function fallbackMessage(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.input === undefined) return 'is required';
  if (issue.code === 'invalid_type') {
    if (issue.expected === 'object') return 'expected a mapping (key: value lines)';
    if (issue.expected === 'array') return 'expected a list (lines starting with "- ")';
  }
  return undefined;
}

const KNOWN_KEYS: Record<string, readonly string[]> = {
  '': Object.keys(courseFileSchema.shape),
  course: Object.keys(courseInfoSchema.shape),
  announcements: Object.keys(announcementsSchema.shape),
  weeks: Object.keys(weekSchema.shape),
  'weeks.sessions': Object.keys(sessionSchema.shape),
  resources: Object.keys(resourceSchema.shape),
  setup: Object.keys(setupStepSchema.shape),
  plan: Object.keys(planSchema.shape),
};

function toCourseIssues(issue: z.core.$ZodIssue): CourseIssue[] {
  if (issue.code === 'unrecognized_keys') {
    const known = KNOWN_KEYS[issue.path.filter((part) => typeof part === 'string').join('.')] ?? [];
    return issue.keys.map((key) => {
      // A long key is no typo of a field name (and comparing it would be slow).
      const guess = key.length <= 40 ? closest(key, known) : undefined;
      const hint = guess ? ` (did you mean "${guess}"?)` : known.length ? ` (known: ${known.join(', ')})` : '';
      return { path: [...toPath(issue.path), key], message: `unknown field ${quoted(key)}${hint}` };
    });
  }
  return [{ path: toPath(issue.path), message: issue.message }];
}

function toPath(path: readonly PropertyKey[]): (string | number)[] {
  return path.map((part) => (typeof part === 'number' ? part : String(part)));
}

function unique(issues: readonly CourseIssue[]): CourseIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${formatPath(issue.path)}\u0000${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

type Json = Record<string, unknown>;

function record(value: unknown): Json | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** A date within the years a course file may use: weeks can be placed from it. */
function courseDateIn(value: unknown): IsoDate | undefined {
  return typeof value === 'string' && isCourseDate(value) ? value : undefined;
}

/** The known resource ids for a message: a few, not thousands. */
function knownIds(ids: readonly string[]): string {
  if (ids.length === 0) return ' (the file lists no resources)';
  const some = ids.slice(0, 10).map((id) => (/^[a-z0-9-]{1,60}$/.test(id) ? id : quoted(id)));
  return ` (known: ${some.join(', ')}${ids.length > 10 ? `, … ${ids.length - 10} more` : ''})`;
}

/**
 * The rules that span fields. They read the raw document defensively, so that they can report
 * alongside shape errors elsewhere in the file.
 */
function crossCheck(raw: unknown): CourseIssue[] {
  const issues: CourseIssue[] = [];
  const root = record(raw);
  if (!root) return issues;
  const start = courseDateIn(record(root.course)?.start);
  const announcements = record(root.announcements);
  const postAt = typeof announcements?.time === 'string' ? normalizeLocalTime(announcements.time) : '08:00';
  const catchUp = typeof announcements?.catchUpUntil === 'string' ? normalizeLocalTime(announcements.catchUpUntil) : '12:00';
  if (postAt && catchUp && catchUp < postAt) {
    issues.push({
      path: announcements?.catchUpUntil === undefined ? ['announcements', 'time'] : ['announcements', 'catchUpUntil'],
      message: `catchUpUntil (${catchUp}) is before the announcement time (${postAt})`,
    });
  }

  const resourceIds = new Map<string, number>();
  list(root.resources).forEach((entry, index) => {
    const id = record(entry)?.id;
    if (typeof id !== 'string') return;
    const first = resourceIds.get(id);
    if (first === undefined) resourceIds.set(id, index);
    else issues.push({ path: ['resources', index, 'id'], message: `resource id ${quoted(id)} is used twice (also resources[${first}])` });
  });

  let known: string | undefined;
  const weekNumbers = new Map<number, number>();
  const taken = new Map<IsoDate, string>();
  list(root.weeks).forEach((entry, weekIndex) => {
    const week = record(entry);
    const number =
      typeof week?.number === 'number' && Number.isInteger(week.number) && week.number >= 1 && week.number <= COURSE_LIMITS.weekNumber
        ? week.number
        : undefined;
    if (number !== undefined) {
      const first = weekNumbers.get(number);
      if (first === undefined) weekNumbers.set(number, weekIndex);
      else issues.push({ path: ['weeks', weekIndex, 'number'], message: `week ${number} is listed twice (also weeks[${first}])` });
    }
    list(week?.sessions).forEach((sessionEntry, sessionIndex) => {
      const session = record(sessionEntry);
      if (!session) return;
      const path = ['weeks', weekIndex, 'sessions', sessionIndex];
      const day = typeof session.day === 'string' ? parseWeekday(session.day) : undefined;
      const date = courseDateIn(session.date);
      if (session.day === undefined && session.date === undefined) {
        issues.push({ path, message: 'a session needs a day, a date or both' });
      }
      if (day && date && weekdayOf(date) !== day) {
        issues.push({
          path: [...path, 'date'],
          message: `${date} is a ${capitalize(weekdayOf(date))}, but day says ${day}`,
        });
      }
      if (date && number !== undefined && start) {
        const actual = weekNumberOf(start, date);
        if (actual !== number && date >= start) {
          issues.push({
            path: [...path, 'date'],
            message: `${date} lies in week ${actual} of a course starting ${start}, but is listed under week ${number}`,
          });
        }
      }
      const placed = date ?? (day && number !== undefined && start ? placeWeekday(start, number, day) : undefined);
      const at = [...path, date ? 'date' : 'day'];
      if (placed && start && placed < start) {
        issues.push({ path: at, message: `${placed} is before the course starts (${start})` });
      }
      if (placed) {
        const other = taken.get(placed);
        if (other) issues.push({ path: at, message: `${placed} already has a session (${other})` });
        else taken.set(placed, formatPath(path));
      }
      list(session.resources).forEach((id, index) => {
        if (typeof id === 'string' && !resourceIds.has(id)) {
          known ??= knownIds([...resourceIds.keys()]);
          issues.push({ path: [...path, 'resources', index], message: `unknown resource id ${quoted(id)}${known}` });
        }
      });
    });
  });
  const sessionCount = list(root.weeks).reduce<number>((sum, week) => sum + list(record(week)?.sessions).length, 0);
  if (list(root.weeks).length > 0 && sessionCount === 0) {
    issues.push({ path: ['weeks'], message: 'the course has no sessions' });
  }
  if (sessionCount > COURSE_LIMITS.sessions) {
    const limit = thousands(COURSE_LIMITS.sessions);
    issues.push({ path: ['weeks'], message: `${thousands(sessionCount)} sessions is too many: a course file holds at most ${limit}` });
  }
  return issues;
}

/** A checked session entry placed on its date, in week `week` of a course starting `start`. */
function resolveSession(start: IsoDate, week: number, entry: SessionEntry): Session {
  const date = entry.date ?? placeWeekday(start, week, entry.day!);
  return {
    date,
    weekday: weekdayOf(date),
    week,
    frameworks: entry.frameworks,
    resources: entry.resources,
    ...(entry.topic !== undefined && { topic: entry.topic }),
    ...(entry.format !== undefined && { format: entry.format }),
    ...(entry.note !== undefined && { note: entry.note }),
    ...(entry.location !== undefined && { location: entry.location }),
    ...(entry.end !== undefined && { end: entry.end }),
    ...(entry.cancelled !== undefined &&
      entry.cancelled !== false && { cancelled: typeof entry.cancelled === 'string' ? { reason: entry.cancelled } : {} }),
  };
}

function resolve(file: CourseFile): Course {
  const weeks: Week[] = file.weeks
    .map((week) => {
      const sessions = week.sessions
        .map((entry) => resolveSession(file.course.start, week.number, entry))
        .sort((a, b) => a.date.localeCompare(b.date));
      return {
        number: week.number,
        sessions,
        ...(week.title !== undefined && { title: week.title }),
        ...(week.summary !== undefined && { summary: week.summary }),
      };
    })
    .sort((a, b) => a.number - b.number);
  return {
    ...file.course,
    announcements: file.announcements,
    weeks,
    sessions: weeks.flatMap((week) => week.sessions).sort((a, b) => a.date.localeCompare(b.date)),
    resources: file.resources,
    setup: file.setup,
  };
}
