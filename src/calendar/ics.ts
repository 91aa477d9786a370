import ical, { ICalCalendarMethod, ICalEventStatus, ICalEventTransparency, escape, type ICalEventData } from 'ical-generator';
import { DateTime, IANAZone } from 'luxon';
import { sessionStart } from '../core/course/calendar.js';
import type { Course, Session } from '../core/course/model.js';
import { sessionCard, sessionHeadline } from '../core/views.js';

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
 */
export function calendarIcs(course: Course, options: CalendarOptions): string {
  const calendar = ical({
    prodId: `//course-bot//${course.id}//EN`,
    // ical-generator writes NAME and X-WR-CALNAME as given: they are text, so escape them here.
    name: escape(course.name, false),
    method: ICalCalendarMethod.PUBLISH,
    ttl: REFRESH_SECONDS,
    // Only the generator, no calendar-wide zone name: with one, ical-generator 10 writes DTSTAMP and
    // LAST-MODIFIED as local times without `Z` (and reads a Date's fields in the machine's zone).
    timezone: { name: null, generator: (zone) => vtimezone(zone, course) },
    x: { 'X-WR-TIMEZONE': course.timezone },
    ...(options.url !== undefined && { url: options.url, source: options.url }),
  });
  for (const session of course.sessions) calendar.createEvent(sessionEvent(course, session, options.now));
  return propertiesFirst(calendar.toString());
}

/**
 * RFC 5545 3.6: a calendar's properties come before its components, and every line ends with CRLF.
 * ical-generator 10 writes the VTIMEZONE before REFRESH-INTERVAL and its X- properties after the
 * events, and leaves the last line open: move the properties up and close the last line.
 */
function propertiesFirst(text: string): string {
  const lines = text.split('\r\n');
  const [begin, end] = [lines.shift(), lines.pop()];
  const properties: string[] = [];
  const components: string[] = [];
  let depth = 0;
  for (const line of lines) {
    // A folded continuation starts with a space, so BEGIN: and END: open a line only as delimiters.
    if (line.startsWith('BEGIN:')) depth += 1;
    (depth > 0 ? components : properties).push(line);
    if (line.startsWith('END:')) depth -= 1;
  }
  return [begin, ...properties, ...components, end, ''].join('\r\n');
}

function sessionEvent(course: Course, session: Session, now: Date): ICalEventData {
  const card = sessionCard(course, session);
  const links = card.links.map((link) => `${link.label}: ${link.url}`);
  const facts = card.sections.map((section) => `${section.heading}: ${section.lines.join('\n')}`);
  const url = card.links[0]?.url ?? course.repository;
  return {
    id: `${course.id}-${session.date}@course-bot`,
    summary: eventTitle(session),
    description: [facts.join('\n'), links.join('\n')].filter(Boolean).join('\n\n') || null,
    ...(url !== undefined && { url: uriValue(url) }),
    ...eventTime(course, session),
    stamp: now,
    lastModified: now,
    status: session.cancelled ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
    transparency: session.cancelled ? ICalEventTransparency.TRANSPARENT : ICalEventTransparency.OPAQUE,
  };
}

/** `Week 2 · Training in the sky · AWS, Azure`, prefixed `Cancelled: ` when called off. */
function eventTitle(session: Session): string {
  const { cancelled, ...held } = session;
  const frameworks = session.frameworks.length ? ` · ${session.frameworks.join(', ')}` : '';
  const title = `Week ${session.week} · ${sessionHeadline(held)}${frameworks}`;
  return cancelled ? `Cancelled: ${title}` : title;
}

function eventTime(course: Course, session: Session): Pick<ICalEventData, 'start' | 'end' | 'allDay' | 'timezone'> {
  const start = sessionStart(course, session);
  if (!start) {
    // A zone other than the system's makes ical-generator write the date as it is, not its UTC date.
    const day = DateTime.fromISO(session.date, { zone: course.timezone });
    return { allDay: true, start: day, end: day.plus({ days: 1 }) };
  }
  // A luxon DateTime, not a Date: for a Date with a TZID, ical-generator reads the machine's local fields.
  const local = DateTime.fromJSDate(start, { zone: course.timezone });
  return { timezone: course.timezone, start: local, end: local.plus({ hours: SESSION_HOURS }) };
}

/**
 * ical-generator escapes `URL` like text (`,` → `\,`), but a URI value is not text and parsers read
 * the backslash as part of the address: percent-encode the characters it would escape instead.
 */
function uriValue(url: string): string {
  return url.replace(/[\\;,]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/**
 * A `VTIMEZONE` for `zone` from the runtime's time zone data (the same data luxon uses for every
 * other time the bot computes): one observance a transition, over the calendar years of the course.
 */
function vtimezone(zone: string, course: Course): string | null {
  const iana = IANAZone.create(zone);
  if (!iana.isValid) return null;
  const first = course.sessions[0]?.date ?? course.start;
  const last = course.sessions[course.sessions.length - 1]?.date ?? course.start;
  const from = DateTime.fromISO(first, { zone }).startOf('year').toMillis();
  const to = DateTime.fromISO(last, { zone }).plus({ years: 1 }).startOf('year').toMillis();
  const observances = [
    observance(iana, from, iana.offset(from)),
    ...transitions(iana, from, to).map((at) => observance(iana, at, iana.offset(at - MINUTE_MS))),
  ];
  return ['BEGIN:VTIMEZONE', `TZID:${zone}`, `X-LIC-LOCATION:${zone}`, ...observances.flat(), 'END:VTIMEZONE'].join('\r\n');
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
