import { DateTime } from 'luxon';

/** Where "now" comes from. Core code never reads the system time itself. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock stopped at one instant (tests, `ask --at`). */
export function fixedClock(instant: Date): Clock {
  const ms = instant.getTime();
  return { now: () => new Date(ms) };
}

/**
 * A clock that runs from `instant` onwards at normal speed (`start --at`): it reads `instant` at `from` (default:
 * now). `start --at` passes the moment the command began, so that instances started together with the same
 * `--at` agree however long each took to read its course.
 */
export function shiftedClock(instant: Date, base: Clock = systemClock, from: Date = base.now()): Clock {
  const offset = instant.getTime() - from.getTime();
  return { now: () => new Date(base.now().getTime() + offset) };
}

/** The forms {@link parseInstant} reads, as a person would be shown them. */
export const INSTANT_FORMS = '2027-01-05, 2027-01-05 10:00, 2027-01-05 10:00:30, 2027-01-05T10:00 or 2027-01-05T10:00+01:00';

// A date, then a time after a "T" or spaces (as people type it), then an optional Z or ±HH[:MM] offset.
const INSTANT = /^([1-9]\d{3}-\d{2}-\d{2})(?:(?:T|[ \t]+)(\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?)[ \t]*(Z|[+-]\d{2}(?::?\d{2})?)?)?$/i;
/** The offsets clocks use: UTC−12:00 to UTC+14:00. */
const MAX_OFFSET_MINUTES = 14 * 60;

/**
 * The instant a person means by `text` (`--at`): a date (its midnight) or a date and time, read in `zone`
 * unless it carries an offset. Undefined when it is none of {@link INSTANT_FORMS}, not a real date or time, or
 * outside the years 1000–9999 in `zone` (course dates are `YYYY-MM-DD`).
 */
export function parseInstant(text: string, zone: string): Date | undefined {
  const match = INSTANT.exec(text.trim());
  if (!match) return undefined;
  const [, date, time, offset] = match;
  const iso = `${date}${time ? `T${time}` : ''}${offset ? offset.toUpperCase() : ''}`;
  const at = DateTime.fromISO(iso, { zone, setZone: true });
  if (!at.isValid || Math.abs(at.offset) > MAX_OFFSET_MINUTES) return undefined;
  const year = at.setZone(zone).year;
  return year >= 1000 && year <= 9999 ? at.toJSDate() : undefined;
}
