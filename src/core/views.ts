import { DateTime } from 'luxon';
import { dayStatus, lastHeldSession, nextSessionAfter, sessionStart } from './course/calendar.js';
import { type IsoDate, daysBetween, formatLongDate, formatShortDate } from './course/dates.js';
import type { Course, Resource, Session, Week } from './course/model.js';
import type { SessionFormat } from './course/schema.js';
import { type Link, type Message, type MessageTime, type Section, message } from './messages.js';

const FORMAT_LABELS: Record<SessionFormat, string> = {
  exercises: 'Exercises',
  project: 'Project work',
  lecture: 'Lecture',
  exam: 'Exam',
  other: 'Other',
};

/** Lowercase with single spaces: how tags, frameworks and queries are compared. */
export function normalize(value: string): string {
  return value.trim().toLowerCase().replace(/\s+/g, ' ');
}

const resourcesBySession = new WeakMap<Course, WeakMap<Session, Resource[]>>();

/** The resources a session names, then those whose tags match one of its frameworks. */
export function sessionResources(course: Course, session: Session): Resource[] {
  // Courses and sessions are immutable: work this out once per session of a loaded course.
  let known = resourcesBySession.get(course);
  if (!known) resourcesBySession.set(course, (known = new WeakMap()));
  let resources = known.get(session);
  if (!resources) known.set(session, (resources = findSessionResources(course, session)));
  return resources;
}

/** A course's resources by id and by normalized tag (in file order), made once per course. */
interface ResourceIndex {
  readonly byId: ReadonlyMap<string, Resource>;
  readonly byTag: ReadonlyMap<string, readonly Resource[]>;
  readonly order: ReadonlyMap<Resource, number>;
}

const resourceIndexes = new WeakMap<Course, ResourceIndex>();

/** The course's resources indexed by id and tag, and their places in the file (see `ResourceIndex`). */
export function resourceIndex(course: Course): ResourceIndex {
  let index = resourceIndexes.get(course);
  if (index) return index;
  const byId = new Map<string, Resource>();
  const byTag = new Map<string, Resource[]>();
  const order = new Map<Resource, number>();
  course.resources.forEach((resource, place) => {
    byId.set(resource.id, resource);
    order.set(resource, place);
    for (const tag of new Set(resource.tags.map(normalize))) {
      const tagged = byTag.get(tag);
      if (tagged) tagged.push(resource);
      else byTag.set(tag, [resource]);
    }
  });
  resourceIndexes.set(course, (index = { byId, byTag, order }));
  return index;
}

function findSessionResources(course: Course, session: Session): Resource[] {
  const { byId } = resourceIndex(course);
  const named = session.resources.map((id) => byId.get(id)!);
  const matched = frameworkResources(course, session.frameworks);
  return named.length === 0 ? [...matched] : [...new Set([...named, ...matched])];
}

const resourcesByFrameworks = new WeakMap<Course, Map<string, readonly Resource[]>>();

/**
 * The resources whose tags match one of these frameworks, in file order, worked out once per list of frameworks
 * (a long course has thousands of sessions but few different lists).
 */
function frameworkResources(course: Course, frameworks: readonly string[]): readonly Resource[] {
  let known = resourcesByFrameworks.get(course);
  if (!known) resourcesByFrameworks.set(course, (known = new Map<string, readonly Resource[]>()));
  const key = JSON.stringify(frameworks);
  let matched = known.get(key);
  if (!matched) {
    const { byTag, order } = resourceIndex(course);
    const found = [...new Set(frameworks.flatMap((framework) => byTag.get(normalize(framework)) ?? []))];
    found.sort((a, b) => order.get(a)! - order.get(b)!);
    known.set(key, (matched = found));
  }
  return matched;
}

export function resourceLink(resource: Resource): Link {
  return { label: resource.title, url: resource.url, ...(resource.description && { description: resource.description }) };
}

/** `How autodiff changed the world`, or what kind of day it is when there is no presentation. */
export function sessionHeadline(session: Pick<Session, 'topic' | 'format' | 'cancelled'>): string {
  const headline = session.topic ?? (session.format ? FORMAT_LABELS[session.format] : 'No presentation');
  return session.cancelled ? `Cancelled: ${headline}` : headline;
}

/** `Mon 4 Jan — How autodiff changed the world · PyTorch`; a cancelled day without its frameworks. */
export function sessionLine(session: Session): string {
  const frameworks = session.frameworks.length && !session.cancelled ? ` · ${session.frameworks.join(', ')}` : '';
  return `${formatShortDate(session.date)} — ${sessionHeadline(session)}${frameworks}`;
}

/** `Week 1 · Monday 4 January 2027` */
export function sessionTitle(session: Session): string {
  return `Week ${session.week} · ${formatLongDate(session.date)}`;
}

/** `today`, `tomorrow`, `in 3 days`, `3 days ago` */
export function relativeDay(from: IsoDate, to: IsoDate): string {
  const days = daysBetween(from, to);
  if (days === 0) return 'today';
  if (days === 1) return 'tomorrow';
  if (days === -1) return 'yesterday';
  return days > 0 ? `in ${days} days` : `${-days} days ago`;
}

const lectureTimes = new WeakMap<Course, WeakMap<Session, MessageTime>>();

/**
 * When the session's lecture starts. `local` is the time of day in the course zone: every message
 * that shows it names the date already.
 */
export function lectureTime(course: Course, session: Session): MessageTime | undefined {
  // A day without a topic has no presentation, so nothing starts at dayStart.
  if (!course.dayStart || !session.topic || session.cancelled) return undefined;
  let known = lectureTimes.get(course);
  if (!known) lectureTimes.set(course, (known = new WeakMap()));
  let time = known.get(session);
  if (!time) {
    const start = DateTime.fromJSDate(sessionStart(course, session)!, { zone: course.timezone });
    time = {
      label: 'Lecture starts',
      at: start.toISO()!,
      local: `${start.toFormat('HH:mm')} (${course.timezone})`,
    };
    known.set(session, time);
  }
  return time;
}

/**
 * What a session's card says under its headline. A held session: frameworks, its format (unless the
 * headline is the format already), note. A cancelled one: why, the note, and the next session
 * (counted down from `today` when given), as its frameworks and links no longer apply.
 */
export function sessionSections(course: Course, session: Session, today?: IsoDate): Section[] {
  const note: Section[] = session.note ? [{ heading: 'Note', lines: [session.note] }] : [];
  if (session.cancelled) {
    const next = nextSessionAfter(course, session.date, true);
    return [
      ...(session.cancelled.reason ? [{ heading: 'Reason', lines: [session.cancelled.reason] }] : []),
      ...note,
      { heading: 'Next session', lines: [next ? nextSessionText(next, today) : 'none: the course has no more sessions'] },
    ];
  }
  return [
    ...(session.frameworks.length ? [{ heading: 'Frameworks', lines: [session.frameworks.join(', ')], inline: true }] : []),
    ...(session.format && session.topic ? [{ heading: 'Format', lines: [FORMAT_LABELS[session.format]], inline: true }] : []),
    ...note,
  ];
}

/**
 * The card of one session: week and weekday, topic, frameworks, format, note, lecture start, links;
 * for a cancelled session, why and what comes next. `today` counts the next session down.
 */
export function sessionCard(
  course: Course,
  session: Session,
  options: { readonly title?: string; readonly today?: IsoDate } = {},
): Message {
  const time = lectureTime(course, session);
  return message({
    title: options.title ?? sessionTitle(session),
    description: sessionHeadline(session),
    sections: sessionSections(course, session, options.today),
    links: session.cancelled ? [] : sessionResources(course, session).map(resourceLink),
    ...(time && { time }),
    footer: course.name,
  });
}

/** ` (in 3 days)` when `date` is today or later, else nothing: a past date needs no countdown. */
function countdown(today: IsoDate, date: IsoDate): string {
  return date >= today ? ` (${relativeDay(today, date)})` : '';
}

/** `Monday 11 January 2027 (in 3 days), week 2 — Training in the sky` */
function nextSessionText(session: Session, today?: IsoDate): string {
  const when = today === undefined ? '' : countdown(today, session.date);
  return `${formatLongDate(session.date)}${when}, week ${session.week} — ${sessionHeadline(session)}`;
}

function nextLine(session: Session, today: IsoDate): string {
  return `Next session: ${nextSessionText(session, today)}`;
}

/**
 * What a date holds for a student: its session, or that there is none and what comes next.
 * `today` is the course's current date; the wording differs when another date was asked about.
 */
export function dayView(course: Course, date: IsoDate, today: IsoDate): Message {
  const status = dayStatus(course, date);
  const first = course.sessions[0]!;
  const last = course.sessions[course.sessions.length - 1]!;
  // Wording names the last session that takes place: a cancelled one at the end is no "last session".
  const held = lastHeldSession(course);
  switch (status.kind) {
    case 'session':
      return sessionCard(course, status.session, { today });
    case 'free':
      return message({
        title: `No session on ${formatLongDate(date)}`,
        description: status.next ? nextLine(status.next, today) : 'There are no more sessions.',
        footer: course.name,
      });
    case 'before':
      return message({
        title: today < first.date ? `${course.name} has not started yet` : `No session on ${formatLongDate(date)}`,
        description:
          today < first.date
            ? `It starts on ${formatLongDate(first.date)}${countdown(today, first.date)} with: ${sessionHeadline(first)}.`
            : today === first.date
              ? 'That is before the course, which started today.'
              : `That is before the course, which started on ${formatLongDate(first.date)}.`,
        footer: course.name,
      });
    case 'after':
      return message({
        title: today > last.date ? `${course.name} has ended` : `No session on ${formatLongDate(date)}`,
        description:
          today > last.date
            ? `The last session was on ${formatLongDate(held.date)}.`
            : today === held.date
              ? 'That is after the course, whose last session is today.'
              : `That is after the course, whose last session ${held.date < today ? 'was' : 'is'} on ${formatLongDate(held.date)}${countdown(today, held.date)}.`,
        footer: course.name,
      });
  }
}

export function weekDateRange(course: Course, week: Week): string | undefined {
  const first = week.sessions[0];
  const last = week.sessions[week.sessions.length - 1];
  if (!first || !last) return undefined;
  return first === last ? formatLongDate(first.date) : `${formatLongDate(first.date)} – ${formatLongDate(last.date)}`;
}

export function weekHeading(week: Week): string {
  return week.title ? `Week ${week.number} · ${week.title}` : `Week ${week.number}`;
}

/**
 * A week: its dates, `note` (where this week stands, when it needs saying) and summary, then a
 * section per session day, worded as the day's card (a cancelled day: `Cancelled: …`, `Reason: …`).
 */
export function weekMessage(course: Course, week: Week, title: string, note?: string): Message {
  const description = [weekDateRange(course, week), note, week.summary].filter(Boolean).join('\n');
  return message({
    title,
    description,
    sections: week.sessions.map((session) => ({
      heading: formatLongDate(session.date),
      lines: [
        sessionHeadline(session),
        ...(session.cancelled?.reason ? [`Reason: ${session.cancelled.reason}`] : []),
        ...(session.frameworks.length && !session.cancelled ? [`Frameworks: ${session.frameworks.join(', ')}`] : []),
        ...(session.note ? [`Note: ${session.note}`] : []),
      ],
    })),
    footer: course.name,
  });
}
