import * as z from 'zod';
import { UserFacingError } from '../errors.js';
import { type IsoDate, addDays, formatShortDate, isIsoDate, placeWeekday, weekNumberOf } from './dates.js';
import type { Course, Session } from './model.js';
import { formatPath } from './model.js';
import { firstAtLeast, firstOnOrAfter, sessionOn } from './calendar.js';
import { parseCourse, parseSessionChange, parsedCourse } from './parse.js';
import { type CourseFile, SESSION_FORMATS, type SessionEntry } from './schema.js';

const date = z.string().refine(isIsoDate, 'expected a date as YYYY-MM-DD');
const text = z.string().trim().min(1);

/**
 * One instructor change to the schedule, as stored (a SQLite row's JSON, checked with this schema).
 * `frameworks: []` and `note: null` in an edit clear the field.
 */
export const scheduleChangeSchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('edit'),
    date,
    topic: text.optional(),
    frameworks: z.array(text).optional(),
    note: text.nullable().optional(),
  }),
  z.strictObject({ kind: z.literal('cancel'), date, reason: text.optional() }),
  z.strictObject({ kind: z.literal('move'), from: date, to: date }),
  z.strictObject({ kind: z.literal('add'), date, topic: text, frameworks: z.array(text).optional() }),
]);
export type ScheduleChange = z.infer<typeof scheduleChangeSchema>;

/** A stored change: its id, in the order changes are applied. */
export interface NumberedChange {
  readonly id: number;
  readonly change: ScheduleChange;
}

/** `Cancel Tue 6 Jan (ill)`: one line for history and logs. */
export function describeChange(change: ScheduleChange): string {
  switch (change.kind) {
    case 'edit': {
      const parts = [
        change.topic !== undefined && `topic "${change.topic}"`,
        change.frameworks !== undefined && (change.frameworks.length ? `frameworks ${change.frameworks.join(', ')}` : 'no frameworks'),
        change.note !== undefined && (change.note === null ? 'no note' : `note "${change.note}"`),
      ].filter(Boolean);
      return `Edit ${formatShortDate(change.date)}: ${parts.join(', ')}`;
    }
    case 'cancel':
      return `Cancel ${formatShortDate(change.date)}${change.reason ? ` (${change.reason})` : ''}`;
    case 'move':
      return `Move ${formatShortDate(change.from)} to ${formatShortDate(change.to)}`;
    case 'add':
      return `Add ${formatShortDate(change.date)}: "${change.topic}"${change.frameworks?.length ? ` · ${change.frameworks.join(', ')}` : ''}`;
  }
}

interface Located {
  readonly week: number;
  readonly index: number;
  readonly session: SessionEntry;
}

function placed(file: CourseFile, weekNumber: number, session: SessionEntry): IsoDate {
  return session.date ?? placeWeekday(file.course.start, weekNumber, session.day!);
}

function locate(file: CourseFile, at: IsoDate): Located | undefined {
  // A checked file's course says which week holds the date: one week's sessions are placed, not the course's.
  const course = parsedCourse(file);
  if (course) {
    const session = sessionOn(course, at);
    const week = session ? file.weeks.findIndex((entry) => entry.number === session.week) : -1;
    const entry = file.weeks[week];
    const index = entry ? entry.sessions.findIndex((item) => placed(file, entry.number, item) === at) : -1;
    return index >= 0 ? { week, index, session: entry!.sessions[index]! } : undefined;
  }
  for (const [week, entry] of file.weeks.entries()) {
    const index = entry.sessions.findIndex((session) => placed(file, entry.number, session) === at);
    if (index >= 0) return { week, index, session: entry.sessions[index]! };
  }
  return undefined;
}

/** The digest of a course's sessions from `from` to `to` only (what a change's notice is decided on). */
export function scheduleDigestWithin(course: Course, from: IsoDate, to: IsoDate): ScheduleDigest {
  const entries: Record<IsoDate, SessionDigest> = {};
  for (let index = firstOnOrAfter(course.sessions, from); index < course.sessions.length; index += 1) {
    const session = course.sessions[index]!;
    if (session.date > to) break;
    entries[session.date] = sessionDigest(session);
  }
  return entries;
}

function refuse(message: string): never {
  throw new UserFacingError('bad-option', message);
}

function withSession(file: CourseFile, at: Located, session: SessionEntry | undefined): CourseFile {
  return {
    ...file,
    weeks: file.weeks.map((week, index) =>
      index !== at.week
        ? week
        : {
            ...week,
            sessions: session
              ? week.sessions.map((entry, position) => (position === at.index ? session : entry))
              : week.sessions.filter((_entry, position) => position !== at.index),
          },
    ),
  };
}

/** Adds a session on `at`, under the week the date lies in (a new week entry when the file has none). */
function insert(file: CourseFile, at: IsoDate, session: Omit<SessionEntry, 'date' | 'day'>): CourseFile {
  if (at < file.course.start) refuse(`${at} is before the course starts (${file.course.start}).`);
  const number = weekNumberOf(file.course.start, at);
  const entry: SessionEntry = { ...session, date: at };
  const exists = file.weeks.some((week) => week.number === number);
  const weeks = exists
    ? file.weeks.map((week) => (week.number === number ? { ...week, sessions: [...week.sessions, entry] } : week))
    : [...file.weeks, { number, sessions: [entry] }].sort((a, b) => a.number - b.number);
  return { ...file, weeks };
}

function same(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

/**
 * Applies one change to a course file and checks the result like a course file. `replay` is for
 * changes stored earlier and applied again over a (possibly edited) file: a change whose effect
 * the file already shows (it was exported and committed) is then a no-op instead of an error.
 * `check: false` leaves out the course-file check (the caller checks once after several changes).
 */
export function applyChange(
  file: CourseFile,
  change: ScheduleChange,
  options: { readonly replay?: boolean; readonly check?: boolean } = {},
): CourseFile {
  const replay = options.replay ?? false;
  let result: CourseFile;
  /** An edit or a cancel: the one session replaced, on the same date (checked on its own when the file is known). */
  let replaced: { readonly at: Located; readonly session: SessionEntry } | undefined;
  switch (change.kind) {
    case 'edit': {
      const at = locate(file, change.date) ?? refuse(`There is no session on ${change.date} to edit.`);
      const { note: _note, ...rest } = at.session;
      const session: SessionEntry = {
        ...(change.note === null ? rest : at.session),
        ...(change.topic !== undefined && { topic: change.topic }),
        ...(change.frameworks !== undefined && { frameworks: change.frameworks }),
        ...(change.note !== undefined && change.note !== null && { note: change.note }),
      };
      const unchanged =
        session.topic === at.session.topic && session.note === at.session.note && same(session.frameworks, at.session.frameworks);
      if (unchanged && !replay) refuse(`The session on ${change.date} already looks like that: nothing to change.`);
      replaced = { at, session };
      result = withSession(file, at, session);
      break;
    }
    case 'cancel': {
      const at = locate(file, change.date) ?? refuse(`There is no session on ${change.date} to cancel.`);
      if (at.session.cancelled !== undefined && at.session.cancelled !== false && !replay) {
        refuse(`The session on ${change.date} is already cancelled (undo brings back a cancelled session).`);
      }
      const kept = replay && typeof at.session.cancelled === 'string' ? at.session.cancelled : true;
      replaced = { at, session: { ...at.session, cancelled: change.reason ?? kept } };
      result = withSession(file, at, replaced.session);
      break;
    }
    case 'move': {
      if (change.from === change.to) refuse('Moving a session needs two different dates.');
      const from = locate(file, change.from);
      const target = locate(file, change.to);
      if (!from && target && replay) return file;
      if (!from) refuse(`There is no session on ${change.from} to move.`);
      if (target) refuse(`${change.to} already has a session (${target.session.topic ?? 'no topic'}); cancel or move it first.`);
      const { day: _day, date: _date, ...session } = from.session;
      result = insert(withSession(file, from, undefined), change.to, session);
      break;
    }
    case 'add': {
      const existing = locate(file, change.date);
      if (existing && replay && existing.session.topic === change.topic) return file;
      if (existing) refuse(`${change.date} already has a session (${existing.session.topic ?? 'no topic'}); use edit to change it.`);
      result = insert(file, change.date, { topic: change.topic, frameworks: change.frameworks ?? [], resources: [] });
      break;
    }
  }
  if (options.check === false) return result;
  const checked = (replaced && parseSessionChange(file, replaced.at, replaced.session)) ?? parseCourse(result);
  if (!checked.ok) {
    refuse(`That change would make the course invalid: ${checked.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`).join('; ')}`);
  }
  if (!replay) lastChecked.set(file, { change: canonicalJson(change), file: checked.file });
  return checked.file;
}

/**
 * The change last checked on a course file (by `applyChange`, as an instructor makes it) and the checked
 * result. The change is stored next, and the effective course then applies it, read back, on top of the
 * same file (`applyMoreChanges`): that is the very result, already checked, so the whole course is checked
 * once per edit, not twice. (Applied again, a change that applied as new gives the same file: `replay`
 * changes only what a new change is refused for.)
 */
const lastChecked = new WeakMap<CourseFile, { readonly change: string; readonly file: CourseFile }>();

/** The course with stored changes applied in order; a change that no longer applies is skipped, with why. */
export interface AppliedChanges {
  readonly file: CourseFile;
  readonly course: Course;
  readonly skipped: readonly { readonly id: number; readonly reason: string }[];
  /** Changes the file already holds (it was exported with them): not applied again. */
  readonly included: readonly number[];
  /**
   * The changes applied together broke a course rule, so each was checked on its own and those that broke
   * it are skipped. More changes cannot be added on top of such a result (`applyMoreChanges`): apply all again.
   */
  readonly checkedEach?: true;
}

interface Replayed {
  readonly file: CourseFile;
  readonly skipped: { id: number; reason: string }[];
  readonly included: number[];
}

/**
 * Which stored changes a course file already holds: it was exported by course-bot with every change up to
 * `includedThrough` in it (`x-course-bot.changesThrough`), but those in `notIncluded` (`x-course-bot.skipped`:
 * they no longer applied then).
 */
export interface InFile {
  readonly includedThrough?: number;
  readonly notIncluded?: readonly number[];
}

function replayChanges(file: CourseFile, changes: readonly NumberedChange[], inFile: InFile, checkEach: boolean): Replayed {
  let current = file;
  const skipped: { id: number; reason: string }[] = [];
  const included: number[] = [];
  const { includedThrough, notIncluded = [] } = inFile;
  for (const { id, change } of changes) {
    if (includedThrough !== undefined && id <= includedThrough && !notIncluded.includes(id)) {
      included.push(id);
      continue;
    }
    try {
      current = applyChange(current, change, { replay: true, check: checkEach });
    } catch (error) {
      if (!(error instanceof UserFacingError)) throw error;
      skipped.push({ id, reason: error.message });
    }
  }
  return { file: current, skipped, included };
}

/**
 * Applies stored changes over a course file, but those it holds already (`options`, see {@link InFile}).
 *
 * A change that does not fit the file (no session on its date, a date taken) is skipped. The course-file
 * rules are checked once, on the result: checking them after every change made an edit cost grow with the
 * number of stored changes. Only when the result breaks a rule is each change checked on its own, and
 * those that break it are skipped.
 */
export function applyChanges(file: CourseFile, changes: readonly NumberedChange[], options: InFile = {}): AppliedChanges {
  const together = replayChanges(file, changes, options, false);
  const parsed = parseCourse(together.file);
  if (parsed.ok) return { file: parsed.file, course: parsed.course, skipped: together.skipped, included: together.included };
  const each = replayChanges(file, changes, options, true);
  const checked = parseCourse(each.file);
  // Every step was checked; the file itself was valid when loaded.
  if (!checked.ok) throw new Error(`course with changes is invalid: ${checked.issues.map((issue) => issue.message).join('; ')}`);
  return { file: checked.file, course: checked.course, skipped: each.skipped, included: each.included, checkedEach: true };
}

/**
 * Applies changes stored after those of `applied` on top of it, with the same result as `applyChanges` over
 * all of them, at a cost that does not depend on how many came before. Undefined when that cannot be done
 * (the earlier result needed the one-by-one check, or the new changes break a rule together): apply all again.
 */
export function applyMoreChanges(applied: AppliedChanges, changes: readonly NumberedChange[], options: InFile = {}): AppliedChanges | undefined {
  if (applied.checkedEach) return undefined;
  if (changes.length === 0) return applied;
  const checked = justChecked(applied.file, changes, options);
  if (checked) {
    const known = parseCourse(checked);
    if (known.ok) return { file: known.file, course: known.course, skipped: applied.skipped, included: applied.included };
  }
  const more = replayChanges(applied.file, changes, options, false);
  const parsed = parseCourse(more.file);
  if (!parsed.ok) return undefined;
  return {
    file: parsed.file,
    course: parsed.course,
    skipped: [...applied.skipped, ...more.skipped],
    included: [...applied.included, ...more.included],
  };
}

/** The checked result of `changes` on `file`, when they are the one change `applyChange` just checked on it. */
function justChecked(file: CourseFile, changes: readonly NumberedChange[], inFile: InFile): CourseFile | undefined {
  const [only, ...others] = changes;
  if (!only || others.length > 0) return undefined;
  const { includedThrough, notIncluded = [] } = inFile;
  if (includedThrough !== undefined && only.id <= includedThrough && !notIncluded.includes(only.id)) return undefined;
  const last = lastChecked.get(file);
  return last && last.change === canonicalJson(only.change) ? last.file : undefined;
}

/** What students see of a session, for telling changes apart (stored: the schedule last announced). */
export const sessionDigestSchema = z.object({
  week: z.number().int(),
  frameworks: z.array(z.string()),
  topic: z.string().optional(),
  format: z.enum(SESSION_FORMATS).optional(),
  note: z.string().optional(),
  cancelled: z.object({ reason: z.string().optional() }).optional(),
});
export type SessionDigest = Pick<Session, 'week' | 'topic' | 'frameworks' | 'format' | 'note' | 'cancelled'>;

/** The schedule by date, as compared between what was announced and what is live now. */
export type ScheduleDigest = Readonly<Record<IsoDate, SessionDigest>>;

/** JSON with object keys sorted: equal values give equal text whatever order their keys were built in. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, field: unknown) =>
    typeof field === 'object' && field !== null && !Array.isArray(field)
      ? Object.fromEntries(Object.entries(field).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : field,
  );
}

/**
 * What students see of each session, by date. Kept per course and per session (courses are never changed in
 * place, and an edit keeps the other sessions' objects): a change of a 10,000-session course builds one.
 */
export function scheduleDigest(course: Course): ScheduleDigest {
  let digest = digests.get(course);
  if (!digest) {
    const entries: Record<IsoDate, SessionDigest> = {};
    const dates: IsoDate[] = [];
    const sessions: SessionDigest[] = [];
    for (const session of course.sessions) {
      const day = sessionDigest(session);
      entries[session.date] = day;
      dates.push(session.date);
      sessions.push(day);
    }
    digest = entries;
    digests.set(course, digest);
    // The course's sessions are in date order, and so were the keys added.
    inOrder.set(digest, { dates, sessions, keyOrder: true });
  }
  return digest;
}

const digests = new WeakMap<Course, ScheduleDigest>();
const sessionDigests = new WeakMap<Session, SessionDigest>();

/**
 * A digest's dates in order with their sessions, and whether that is also the order of its keys (its JSON
 * text's order). Kept per digest: comparing, searching and writing a 10,000-date mapping key by key at every
 * change cost milliseconds each.
 */
interface InOrder {
  readonly dates: readonly IsoDate[];
  readonly sessions: readonly SessionDigest[];
  readonly keyOrder: boolean;
}

const inOrder = new WeakMap<ScheduleDigest, InOrder>();

function inOrderOf(digest: ScheduleDigest): InOrder {
  let found = inOrder.get(digest);
  if (!found) {
    const keys = Object.keys(digest);
    // A digest read back from the store was written in date order: then no sort is needed.
    const keyOrder = keys.every((day, index) => index === 0 || keys[index - 1]! < day);
    const dates = keyOrder ? keys : [...keys].sort();
    found = { dates, sessions: dates.map((day) => digest[day]!), keyOrder };
    inOrder.set(digest, found);
  }
  return found;
}

function sessionDigest(session: Session): SessionDigest {
  let digest = sessionDigests.get(session);
  if (!digest) {
    digest = {
      week: session.week,
      frameworks: session.frameworks,
      ...(session.topic !== undefined && { topic: session.topic }),
      ...(session.format !== undefined && { format: session.format }),
      ...(session.note !== undefined && { note: session.note }),
      ...(session.cancelled !== undefined && { cancelled: session.cancelled }),
    };
    sessionDigests.set(session, digest);
  }
  return digest;
}

/** Whether two sessions look the same to students (every field of {@link sessionDigestSchema}). */
export function sameSession(a: SessionDigest | undefined, b: SessionDigest | undefined): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  return (
    a.week === b.week &&
    a.topic === b.topic &&
    a.format === b.format &&
    a.note === b.note &&
    same(a.frameworks, b.frameworks) &&
    (a.cancelled === undefined) === (b.cancelled === undefined) &&
    a.cancelled?.reason === b.cancelled?.reason
  );
}

/** Whether two schedules look the same to students: the same dates, each session the same. */
export function sameSchedule(a: ScheduleDigest, b: ScheduleDigest): boolean {
  if (a === b) return true;
  const [left, right] = [inOrderOf(a), inOrderOf(b)];
  if (left.dates.length !== right.dates.length) return false;
  for (let index = 0; index < left.dates.length; index += 1) {
    if (left.dates[index] !== right.dates[index] || !sameSession(left.sessions[index], right.sessions[index])) return false;
  }
  return true;
}

/** One date whose session changed: what it was and what it is now (absent: no session). */
export interface DayChange {
  readonly date: IsoDate;
  readonly before?: SessionDigest;
  readonly after?: SessionDigest;
}

/** The dates from `from` to `to` (inclusive) whose session differs between two digests, in date order. */
export function scheduleDiff(before: ScheduleDigest, after: ScheduleDigest, from: IsoDate, to: IsoDate): DayChange[] {
  const dates = [...new Set([...datesWithin(before, from, to), ...datesWithin(after, from, to)])].sort();
  return dates.flatMap((day) => {
    const was = Object.hasOwn(before, day) ? before[day] : undefined;
    const now = Object.hasOwn(after, day) ? after[day] : undefined;
    if (sameSession(was, now)) return [];
    return [{ date: day, ...(was && { before: was }), ...(now && { after: now }) }];
  });
}

/** The dates of `digest` from `from` to `to` (inclusive), in order. */
function datesWithin(digest: ScheduleDigest, from: IsoDate, to: IsoDate): readonly string[] {
  const { dates } = inOrderOf(digest);
  const within: string[] = [];
  for (let index = firstAtLeast(dates, (day) => day, from); index < dates.length && dates[index]! <= to; index += 1) within.push(dates[index]!);
  return within;
}

/**
 * The JSON text of a digest, the same as `JSON.stringify(digest)`, built from each session's text, kept per
 * session: the stored schedule of a 10,000-session course is a megabyte, written again at every change.
 */
export function scheduleDigestJson(digest: ScheduleDigest): string {
  const { dates, sessions, keyOrder } = inOrderOf(digest);
  if (!keyOrder) return JSON.stringify(digest);
  const parts = new Array<string>(dates.length);
  for (let index = 0; index < dates.length; index += 1) {
    const day = dates[index]!;
    const session = sessions[index]!;
    const kept = entryJson.get(session);
    if (kept?.day === day) {
      parts[index] = kept.text;
    } else {
      // One string made at once (joined again at every change; a concatenation would be a tree to walk).
      const text = JSON.stringify({ [day]: session }).slice(1, -1);
      entryJson.set(session, { day, text });
      parts[index] = text;
    }
  }
  return `{${parts.join(',')}}`;
}

/** The text of a digest's entry (`"2027-01-04":{…}`), by its session. */
const entryJson = new WeakMap<SessionDigest, { readonly day: string; readonly text: string }>();

/** The window a change must touch to be announced: today and the next 7 days. */
export function noticeWindow(today: IsoDate): { readonly from: IsoDate; readonly to: IsoDate } {
  return { from: today, to: addDays(today, 7) };
}
