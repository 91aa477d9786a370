import { DateTime, IANAZone } from 'luxon';

/** Weekday names in ISO order (index 0 is Monday = ISO weekday 1). */
export const WEEKDAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** A calendar date as `YYYY-MM-DD`, independent of any zone. */
export type IsoDate = string;

const DAY_MS = 24 * 60 * 60 * 1000;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const LOCAL_TIME = /^([01]?\d|2[0-3]):([0-5]\d)$/;

/**
 * Remembers a pure function's results by key. Bounded: past `limit` entries the oldest is let go, one at a
 * time (emptying the whole cache when it filled made every call of a course with more dates than the limit a
 * miss, and each miss a luxon computation).
 */
function memoize<A extends unknown[], R>(fn: (...args: A) => R, key: (...args: A) => string, limit = 20_000): (...args: A) => R {
  const cache = new Map<string, R>();
  return (...args: A) => {
    const id = key(...args);
    const hit = cache.get(id);
    if (hit !== undefined) return hit;
    const value = fn(...args);
    if (cache.size >= limit) cache.delete(cache.keys().next().value!);
    cache.set(id, value);
    return value;
  };
}

/** A date-only value as a luxon DateTime at midnight UTC, for calendar arithmetic; undefined when invalid. */
export function dateOf(iso: string): DateTime | undefined {
  if (!ISO_DATE.test(iso)) return undefined;
  const value = DateTime.fromISO(iso, { zone: 'utc' });
  return value.isValid ? value : undefined;
}

function mustDate(iso: IsoDate): DateTime {
  const value = dateOf(iso);
  if (!value) throw new RangeError(`not a date: ${iso}`);
  return value;
}

/**
 * Days since 1970-01-01 of a `YYYY-MM-DD` date (proleptic Gregorian, as luxon counts); undefined when it is
 * no date. Plain arithmetic: a course file places thousands of dates, and luxon objects are slow to make.
 */
function epochDay(iso: string): number | undefined {
  if (!ISO_DATE.test(iso)) return undefined;
  const year = Number(iso.slice(0, 4));
  const month = Number(iso.slice(5, 7));
  const day = Number(iso.slice(8, 10));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  // H. Hinnant's days_from_civil (not Date.UTC: it reads the years 0–99 as 1900–1999).
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

function daysInMonth(year: number, month: number): number {
  if (month !== 2) return [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
}

function mustDay(iso: IsoDate): number {
  const day = epochDay(iso);
  if (day === undefined) throw new RangeError(`not a date: ${iso}`);
  return day;
}

function isoOfDay(day: number): IsoDate {
  // Days to a proleptic Gregorian date (H. Hinnant's civil_from_days): plain arithmetic, no Date made.
  const shifted = day + 719_468;
  const era = Math.floor(shifted / 146_097);
  const dayOfEra = shifted - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthIndex = Math.floor((5 * dayOfYear + 2) / 153);
  const dayOfMonth = dayOfYear - Math.floor((153 * monthIndex + 2) / 5) + 1;
  const month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  // Years past 9999 (or before 0) have no YYYY-MM-DD date.
  if (year < 0 || year > 9999) throw new RangeError(`not a date: ${new Date(day * DAY_MS).toISOString().slice(0, -14)}`);
  return `${String(year).padStart(4, '0')}-${month < 10 ? '0' : ''}${month}-${dayOfMonth < 10 ? '0' : ''}${dayOfMonth}`;
}

/** Monday = 0 … Sunday = 6; 1970-01-01 was a Thursday. */
function weekdayIndex(day: number): number {
  return (((day + 3) % 7) + 7) % 7;
}

export function isIsoDate(value: string): boolean {
  return epochDay(value) !== undefined;
}

export function isZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

/** The zone's canonical spelling: `europe/copenhagen` → `Europe/Copenhagen`. */
export function canonicalZone(zone: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
}

/** `"8:00"` → `"08:00"`; undefined when malformed. */
export function normalizeLocalTime(value: string): string | undefined {
  const match = LOCAL_TIME.exec(value.trim());
  if (!match) return undefined;
  return `${match[1]!.padStart(2, '0')}:${match[2]!}`;
}

export function parseWeekday(value: string): Weekday | undefined {
  const lower = value.trim().toLowerCase();
  return WEEKDAYS.find((day) => day === lower || (lower.length >= 3 && day.startsWith(lower)));
}

export function weekdayOf(date: IsoDate): Weekday {
  return WEEKDAYS[weekdayIndex(mustDay(date))]!;
}

export function addDays(date: IsoDate, days: number): IsoDate {
  return isoOfDay(mustDay(date) + days);
}

/** Whole days from `a` to `b` (negative when b is earlier). */
export function daysBetween(a: IsoDate, b: IsoDate): number {
  return mustDay(b) - mustDay(a);
}

/** The Monday of the week that contains `date`. */
export function mondayOf(date: IsoDate): IsoDate {
  const day = mustDay(date);
  return isoOfDay(day - weekdayIndex(day));
}

/** Week N of a course is the Monday–Sunday week N-1 weeks after the week that contains `start`. */
export function weekNumberOf(start: IsoDate, date: IsoDate): number {
  return Math.floor(daysBetween(mondayOf(start), mondayOf(date)) / 7) + 1;
}

/** The date of `weekday` in week `week` of a course starting on `start`. */
export function placeWeekday(start: IsoDate, week: number, weekday: Weekday): IsoDate {
  return addDays(mondayOf(start), (week - 1) * 7 + WEEKDAYS.indexOf(weekday));
}

const dayFormatters = new Map<string, Intl.DateTimeFormat>();

/** The local calendar date of an instant in `zone`. */
export function localDateOf(instant: Date, zone: string): IsoDate {
  let formatter = dayFormatters.get(zone);
  if (!formatter) {
    // en-CA writes dates as YYYY-MM-DD.
    formatter = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dayFormatters.set(zone, formatter);
  }
  return formatter.format(instant);
}

/**
 * The instant of a local wall-clock time on a date in `zone`. A time skipped by a DST change
 * resolves to the first valid minute after it; a time that occurs twice resolves to the first.
 */
export const zonedInstant = memoize(computeZonedInstant, (date: IsoDate, time: string, zone: string) => `${date} ${time} ${zone}`);

function computeZonedInstant(date: IsoDate, time: string, zone: string): DateTime {
  const [hour, minute] = time.split(':').map(Number) as [number, number];
  const { year, month, day } = mustDate(date);
  const wanted = DateTime.fromObject({ year, month, day, hour, minute }, { zone });
  if (wanted.hour === hour && wanted.minute === minute) {
    // Luxon's choice between two offsets of a repeated time is not always the earlier one:
    // try the offsets in force a day before and a day after, keep the first valid instant.
    const wall = DateTime.fromObject({ year, month, day, hour, minute }, { zone: 'utc' }).toMillis();
    const ianaZone = IANAZone.create(zone);
    const firstValid = [wanted.toMillis() - DAY_MS, wanted.toMillis() + DAY_MS]
      .map((probe) => ianaZone.offset(probe))
      .map((offset) => ({ offset, instant: wall - offset * 60_000 }))
      .filter(({ offset, instant }) => ianaZone.offset(instant) === offset)
      .reduce((min, { instant }) => Math.min(min, instant), wanted.toMillis());
    return DateTime.fromMillis(firstValid, { zone });
  }
  // Skipped by spring forward: luxon moved it forward by the gap. Walk back to the transition,
  // the first valid minute after the wanted time.
  let first = wanted;
  for (let step = 0; step < 24 * 60; step += 1) {
    const previous = first.minus({ minutes: 1 });
    if (previous.toISODate() !== date || previous.toFormat('HH:mm') < time) break;
    first = previous;
  }
  return first;
}

const WEEKDAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;
const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'] as const;
/** en-GB's short months (CLDR): September is `Sept`. */
const SHORT_MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sept', 'Oct', 'Nov', 'Dec'] as const;

/**
 * The weekday, day, month and year of a `YYYY-MM-DD` date, by plain arithmetic (what luxon's en-GB
 * `cccc d LLLL yyyy` gives, at a small part of its cost: `/schedule` of a long course formats every date).
 */
function dateParts(date: IsoDate): { weekday: string; day: number; month: number; year: string } {
  const weekday = WEEKDAY_NAMES[weekdayIndex(mustDay(date))]!;
  return { weekday, day: Number(date.slice(8, 10)), month: Number(date.slice(5, 7)) - 1, year: date.slice(0, 4) };
}

/** `Monday 4 January 2027` */
export function formatLongDate(date: IsoDate): string {
  const { weekday, day, month, year } = dateParts(date);
  return `${weekday} ${day} ${MONTH_NAMES[month]!} ${year}`;
}

/** `Mon 4 Jan` */
export function formatShortDate(date: IsoDate): string {
  const { weekday, day, month } = dateParts(date);
  return `${weekday.slice(0, 3)} ${day} ${SHORT_MONTH_NAMES[month]!}`;
}

export function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
