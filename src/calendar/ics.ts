import { DateTime, IANAZone } from 'luxon';
import { sessionStart } from '../core/course/calendar.js';
import type { Course, Session } from '../core/course/model.js';
import { sessionHeadline, sessionResources, sessionSections } from '../core/views.js';
import type { Calendars } from '../observability/http.js';

/** How long a timed session lasts: the teaching day (lecture, then exercises or project work). */
export const SESSION_HOURS = 8;

/** How often a subscribed calendar app should fetch the feed again (`REFRESH-INTERVAL`, `X-PUBLISHED-TTL`). */
export const REFRESH_SECONDS = 60 * 60;

export interface CalendarOptions {
  /** The instant the feed is made: every event's `DTSTAMP` and `LAST-MODIFIED`. */
  readonly now: Date;
  /** Where the feed is served, written as the calendar's `URL` and `SOURCE`. */
  readonly url?: string;
}

/**
 * The course schedule as an iCalendar feed (RFC 5545, with RFC 7986 `NAME` / `REFRESH-INTERVAL`),
 * one `VEVENT` per session, cancelled ones included with `STATUS:CANCELLED`.
 *
 * - With `dayStart`, a session is a timed event in the course zone (`TZID` plus a `VTIMEZONE` made from
 *   the runtime's zone data) from the lecture start for {@link SESSION_HOURS} hours: a session is the
 *   whole teaching day, not only the lecture, so a day without a topic (project work) is timed too.
 *   Without `dayStart`, it is an all-day event on its date.
 * - The UID is `<course id>-<date>@course-bot`: editing the topic, time or anything else keeps it, so
 *   calendar apps update the event in place. Moving a session to another date is a new UID: the event
 *   of the old date disappears from the feed and a new one appears.
 * - `SEQUENCE` stays 0 (it is for scheduling messages; a subscription replaces its events on every
 *   fetch), and `LAST-MODIFIED` is `now` so that apps which compare it take every fetch as current.
 *
 * Written line by line (a 10,000-session course in well under a second): calendar libraries fold
 * lines character by character and cost seconds at that size.
 */
export function calendarIcs(course: Course, options: CalendarOptions): string {
  return [...calendarPieces(course, options)].join('');
}

/**
 * {@link calendarIcs}, built a slice of sessions at a time with a turn of the event loop between
 * slices, so that a server building a large course's feed keeps answering other requests meanwhile.
 */
export async function calendarIcsInPieces(course: Course, options: CalendarOptions, sessionsPerPiece = 250): Promise<string> {
  const pieces: string[] = [];
  for (const piece of calendarPieces(course, options, sessionsPerPiece)) {
    pieces.push(piece);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return pieces.join('');
}

/** A built feed: the iCalendar text and the file name it is served under. */
export interface CalendarFile {
  readonly ics: string;
  readonly name: string;
}

/**
 * A course's feed, and the one-course set of calendars the HTTP server takes: the feed at
 * `/calendar/<course id>.ics` (and so at `/calendar.ics`).
 */
export type CachedCalendar = (() => Promise<CalendarFile>) & Calendars;

/**
 * The feed of the course as it is now, built once per course revision: `course()` returns the same
 * object while neither the file nor the stored changes changed, and a new one after, so the object is
 * the revision. Built in pieces ({@link calendarIcsInPieces}); requests during a build share it, and
 * every `DTSTAMP` is the instant the build started. The feed is served under the course's id.
 */
export function cachedCalendar(options: {
  readonly course: () => Course;
  readonly now: () => Date;
  readonly url?: string;
  readonly sessionsPerPiece?: number;
}): CachedCalendar {
  let built: { readonly course: Course; readonly file: Promise<CalendarFile> } | undefined;
  const feed = (): Promise<CalendarFile> => {
    const course = options.course();
    if (built?.course !== course) {
      const file = calendarIcsInPieces(
        course,
        { now: options.now(), ...(options.url !== undefined && { url: options.url }) },
        options.sessionsPerPiece,
      ).then((ics) => ({ ics, name: course.id }));
      const current = { course, file };
      built = current;
      // A failed build is not kept: the next request tries again.
      file.catch(() => {
        if (built === current) built = undefined;
      });
    }
    return built.file;
  };
  return Object.assign(feed, {
    ids: () => [options.course().id],
    get: (id: string) => (id === options.course().id ? feed : undefined),
  });
}

/**
 * The calendars of several courses as one set for the HTTP server: each course's feed under its id, in
 * the order given (asked per request, so courses added or removed are served or not at once).
 */
export function courseCalendars(feeds: () => readonly Calendars[]): Calendars {
  return {
    ids: () => feeds().flatMap((feed) => feed.ids()),
    get: (id) => {
      for (const feed of feeds()) {
        const found = feed.get(id);
        if (found) return found;
      }
      return undefined;
    },
  };
}

/** The feed's text in pieces: the calendar's head, then the events of up to `sessionsPerPiece` sessions a piece. */
function* calendarPieces(course: Course, options: CalendarOptions, sessionsPerPiece = Infinity): Generator<string> {
  const stamp = utcStamp(options.now);
  // Times in UTC are written as UTC (`…Z`), with no zone to describe.
  const zone = course.dayStart && course.timezone !== 'UTC' ? yield* readZone(course) : undefined;
  const head = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    `PRODID:-//course-bot//${course.id}//EN`,
    ...(options.url !== undefined ? [`URL:${uriValue(options.url)}`, `SOURCE;VALUE=URI:${uriValue(options.url)}`] : []),
    'METHOD:PUBLISH',
    `NAME:${text(course.name)}`,
    `X-WR-CALNAME:${text(course.name)}`,
    `REFRESH-INTERVAL;VALUE=DURATION:${duration(REFRESH_SECONDS)}`,
    `X-PUBLISHED-TTL:${duration(REFRESH_SECONDS)}`,
    `X-WR-TIMEZONE:${text(course.timezone)}`,
    ...(zone ? vtimezone(zone) : []),
  ];
  yield contentLines(head);
  for (let index = 0; index < course.sessions.length; index += sessionsPerPiece) {
    const events = course.sessions.slice(index, index + sessionsPerPiece).flatMap((session) => sessionEvent(course, session, stamp, zone));
    yield contentLines(events);
  }
  yield contentLines(['END:VCALENDAR']);
}

/** Content lines, folded, each ended with CRLF. */
function contentLines(lines: readonly string[]): string {
  return lines.map((line) => `${fold(line)}\r\n`).join('');
}

function sessionEvent(course: Course, session: Session, stamp: string, zone: ZoneTable | undefined): string[] {
  const sections = sessionSections(course, session);
  // As on the session's card: a cancelled day says why and what is next, and links nothing.
  const resources = (session.cancelled ? [] : sessionResources(course, session)).filter(
    (resource, index, all) => all.findIndex((other) => other.url === resource.url) === index,
  );
  const links = resources.map((resource) => `${resource.title}: ${resource.url}`);
  const facts = sections.map((section) => `${section.heading}: ${section.lines.join('\n')}`);
  const description = [facts.join('\n'), links.join('\n')].filter(Boolean).join('\n\n');
  const url = resources[0]?.url ?? course.repository;
  return [
    'BEGIN:VEVENT',
    `UID:${course.id}-${session.date}@course-bot`,
    'SEQUENCE:0',
    `DTSTAMP:${stamp}`,
    ...eventTime(course, session, zone),
    `SUMMARY:${text(eventTitle(session))}`,
    `TRANSP:${session.cancelled ? 'TRANSPARENT' : 'OPAQUE'}`,
    ...(description ? [`DESCRIPTION:${text(description)}`] : []),
    ...(url !== undefined ? [`URL;VALUE=URI:${uriValue(url)}`] : []),
    `STATUS:${session.cancelled ? 'CANCELLED' : 'CONFIRMED'}`,
    `LAST-MODIFIED:${stamp}`,
    'END:VEVENT',
  ];
}

/** `Week 2 · Training in the sky · AWS, Azure`, prefixed `Cancelled: ` when called off. */
function eventTitle(session: Session): string {
  const { cancelled, ...held } = session;
  const frameworks = session.frameworks.length ? ` · ${session.frameworks.join(', ')}` : '';
  const title = `Week ${session.week} · ${sessionHeadline(held)}${frameworks}`;
  return cancelled ? `Cancelled: ${title}` : title;
}

function eventTime(course: Course, session: Session, zone: ZoneTable | undefined): string[] {
  if (!course.dayStart) {
    const day = session.date.replaceAll('-', '');
    const next = DateTime.fromISO(session.date, { zone: 'utc' }).plus({ days: 1 }).toFormat('yyyyLLdd');
    return [
      `DTSTART;VALUE=DATE:${day}`,
      `DTEND;VALUE=DATE:${next}`,
      'X-MICROSOFT-CDO-ALLDAYEVENT:TRUE',
      'X-MICROSOFT-MSNCALENDAR-ALLDAYEVENT:TRUE',
    ];
  }
  if (!zone) {
    const start = sessionStart(course, session)!;
    const end = new Date(start.getTime() + SESSION_HOURS * HOUR_MS);
    return [`DTSTART:${utcStamp(start)}`, `DTEND:${utcStamp(end)}`];
  }
  const start = zone.instant(session.date, course.dayStart);
  const end = start + SESSION_HOURS * HOUR_MS;
  return [`DTSTART;TZID=${zone.name}:${zone.localStamp(start)}`, `DTEND;TZID=${zone.name}:${zone.localStamp(end)}`];
}

/** `20261201T100000Z` */
function utcStamp(instant: Date): string {
  return `${wallStamp(instant.getTime())}Z`;
}

/** `20270104T090000`: the fields of a wall-clock time held as milliseconds since 1970 (UTC fields). */
function wallStamp(ms: number): string {
  const time = new Date(ms);
  return (
    `${pad(time.getUTCFullYear(), 4)}${pad(time.getUTCMonth() + 1)}${pad(time.getUTCDate())}` +
    `T${pad(time.getUTCHours())}${pad(time.getUTCMinutes())}${pad(time.getUTCSeconds())}`
  );
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

/** `PT1H`, `PT1H30M`, `PT45S`: an iCalendar duration. */
function duration(seconds: number): string {
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  return `PT${hours ? `${hours}H` : ''}${minutes ? `${minutes}M` : ''}${rest || seconds === 0 ? `${rest}S` : ''}`;
}

/** A TEXT value (RFC 5545 3.3.11): backslash, semicolon and comma escaped, line breaks as `\n`. */
function text(value: string): string {
  return value.replace(/[\\;,]/g, (char) => `\\${char}`).replace(/\r\n|\r|\n/g, '\\n');
}

/**
 * A URI value is not text: parsers would read a backslash escape as part of the address, so the
 * characters TEXT escapes are percent-encoded instead, and line breaks (never valid in a URI) too.
 */
function uriValue(url: string): string {
  return url.replace(/[\\;,\r\n]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

/**
 * RFC 5545 3.1: a content line longer than 75 octets is folded (CRLF and a space) without splitting a
 * UTF-8 character. Content is cut at 74 octets a line, so a continuation with its space is at most 75.
 */
function fold(line: string): string {
  const ascii = !/[^\p{ASCII}]/u.test(line);
  if (ascii && line.length <= 74) return line;
  if (ascii) return (line.match(/[^]{1,74}/g) ?? []).join('\r\n ');
  let result = '';
  let size = 0;
  for (const char of line) {
    const code = char.codePointAt(0)!;
    const bytes = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    size += bytes;
    if (size > 74) {
      result += '\r\n ';
      size = bytes;
    }
    result += char;
  }
  return result;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/**
 * A zone's offsets over the calendar years of a course, read once from the runtime's time zone data
 * (the same data luxon uses for every other time the bot computes): the feed's thousands of local
 * times are then looked up, not asked of `Intl` one by one.
 */
interface ZoneTable {
  readonly name: string;
  readonly zone: IANAZone;
  /** Start of the first year, start of the year after the last. */
  readonly from: number;
  readonly to: number;
  /** The offset at `from`, then each change: the instant and the offset from then on (minutes). */
  readonly initial: number;
  readonly changes: readonly { readonly at: number; readonly offset: number }[];
  /** Offset in minutes at an instant. */
  offset(at: number): number;
  /** `20270104T090000`: the local time at an instant. */
  localStamp(at: number): string;
  /**
   * The instant of a local date and time, resolved as {@link sessionStart} does: a time skipped by a
   * change is the change itself (the first valid minute after), a time that occurs twice the first.
   */
  instant(date: string, time: string): number;
}

/**
 * Reads the course zone's changes over the course's years. That asks `Intl` once a day of those
 * years, so it yields an empty piece after each year.
 */
function* readZone(course: Course): Generator<string, ZoneTable | undefined> {
  const name = course.timezone;
  const zone = IANAZone.create(name);
  if (!zone.isValid) return undefined;
  const first = course.sessions[0]?.date ?? course.start;
  const last = course.sessions[course.sessions.length - 1]?.date ?? course.start;
  const from = DateTime.fromISO(first, { zone: name }).startOf('year').toMillis();
  const to = DateTime.fromISO(last, { zone: name }).plus({ years: 1 }).startOf('year').toMillis();
  const initial = zone.offset(from);
  const changes: { at: number; offset: number }[] = [];
  for (let year = from; year < to; year += 366 * DAY_MS) {
    changes.push(...transitions(zone, year, Math.min(year + 366 * DAY_MS, to)).map((at) => ({ at, offset: zone.offset(at) })));
    yield '';
  }
  const offset = (at: number): number => {
    // Outside the years of the course (a day's end past new year), ask the zone.
    if (at < from || at >= to) return zone.offset(at);
    let low = 0;
    let high = changes.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if (changes[middle]!.at <= at) low = middle + 1;
      else high = middle;
    }
    return low === 0 ? initial : changes[low - 1]!.offset;
  };
  return {
    name,
    zone,
    from,
    to,
    initial,
    changes,
    offset,
    localStamp: (at) => wallStamp(at + offset(at) * MINUTE_MS),
    instant(date, time) {
      const [year, month, day] = date.split('-').map(Number) as [number, number, number];
      const [hour, minute] = time.split(':').map(Number) as [number, number];
      const wall = Date.UTC(year, month - 1, day, hour, minute);
      const candidates = [...new Set([offset(wall - DAY_MS), offset(wall), offset(wall + DAY_MS)])].map(
        (minutes) => wall - minutes * MINUTE_MS,
      );
      const valid = candidates.filter((at) => wall - offset(at) * MINUTE_MS === at);
      if (valid.length > 0) return Math.min(...valid);
      // Skipped by a change: the change between the readings in the offsets before and after it.
      const [low, high] = [Math.min(...candidates), Math.max(...candidates)];
      return changes.find((change) => change.at > low && change.at <= high)?.at ?? high;
    },
  };
}

/** A `VTIMEZONE` for the course zone: one observance a transition, over the calendar years of the course. */
function vtimezone(table: ZoneTable): string[] {
  const { name, zone, from, initial, changes } = table;
  const observances = [
    observance(zone, from, initial),
    ...changes.map(({ at }, index) => observance(zone, at, index === 0 ? initial : changes[index - 1]!.offset)),
  ];
  return ['BEGIN:VTIMEZONE', `TZID:${name}`, `X-LIC-LOCATION:${name}`, ...observances.flat(), 'END:VTIMEZONE'];
}

/** The instants in [from, to) at which the zone's offset changes, to the minute. */
function transitions(zone: IANAZone, from: number, to: number): number[] {
  const found: number[] = [];
  let offset = zone.offset(from);
  for (let day = from; day < to; day += DAY_MS) {
    let before = day;
    let after = Math.min(day + DAY_MS, to);
    const next = zone.offset(after);
    if (next !== offset) {
      while (after - before > MINUTE_MS) {
        const middle = before + Math.floor((after - before) / 2 / MINUTE_MS) * MINUTE_MS;
        if (zone.offset(middle) === offset) before = middle;
        else after = middle;
      }
      found.push(after);
    }
    offset = next;
  }
  return found;
}

/** An observance starting at `at`, whose `DTSTART` is local time in the offset before it (RFC 5545 3.6.5). */
function observance(zone: IANAZone, at: number, offsetFrom: number): string[] {
  const offsetTo = zone.offset(at);
  const kind = DateTime.fromMillis(at, { zone }).isInDST ? 'DAYLIGHT' : 'STANDARD';
  const start = DateTime.fromMillis(at + offsetFrom * MINUTE_MS, { zone: 'utc' }).toFormat("yyyyLLdd'T'HHmmss");
  return [
    `BEGIN:${kind}`,
    `DTSTART:${start}`,
    `TZOFFSETFROM:${utcOffset(offsetFrom)}`,
    `TZOFFSETTO:${utcOffset(offsetTo)}`,
    `END:${kind}`,
  ];
}

/** `+0100`, `-0330` */
function utcOffset(minutes: number): string {
  const sign = minutes < 0 ? '-' : '+';
  const absolute = Math.abs(minutes);
  return `${sign}${String(Math.floor(absolute / 60)).padStart(2, '0')}${String(absolute % 60).padStart(2, '0')}`;
}
