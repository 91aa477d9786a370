import ICAL from 'ical.js';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { cachedCalendar, calendarIcs, calendarIcsInPieces, courseCalendars } from '../../src/calendar/ics.js';
import { startHttpServer } from '../../src/observability/http.js';
import { Metrics } from '../../src/observability/metrics.js';
import { captureLogger } from '../support/log.js';
import { sessionStart } from '../../src/core/course/calendar.js';
import type { Course } from '../../src/core/course/model.js';
import { loadCourseFile } from '../../src/course-file/read.js';
import { buildCourse, courseDoc } from '../support/course.js';

const NOW = new Date('2026-12-01T10:00:00Z');
const HOUR_MS = 60 * 60 * 1000;

// RFC 7986 NAME and the X-WR-CALNAME convention are text, but ical.js 2 knows neither and would keep
// their escapes: read them as text here, as calendar apps do.
Object.assign(ICAL.design.icalendar.property, { name: { defaultType: 'text' }, 'x-wr-calname': { defaultType: 'text' } });

/** The feed read back by ical.js, Mozilla's parser (it resolves each TZID through the feed's VTIMEZONE). */
function parseFeed(text: string) {
  const calendar = ICAL.Component.fromString(text);
  const events = calendar.getAllSubcomponents('vevent').map((component) => new ICAL.Event(component));
  return { calendar, events };
}

function feed(course: Course, url?: string) {
  return parseFeed(calendarIcs(course, { now: NOW, ...(url !== undefined && { url }) }));
}

function propertyText(component: ICAL.Component, property: string): string | undefined {
  const value = component.getFirstPropertyValue(property);
  return typeof value === 'string' ? value : undefined;
}

function instant(time: ICAL.Time): string {
  return time.toJSDate().toISOString();
}

/** A course in `timezone` starting on `start`, one session a week on the given days, lectures at `dayStart`. */
function zonedCourse(timezone: string, start: string, days: string[], dayStart: string | null = '09:00'): Course {
  return buildCourse(
    courseDoc({
      course: { id: 'zoned', name: 'Zoned', timezone, start, ...(dayStart !== null && { dayStart }) },
      weeks: days.map((day, index) => ({ number: index + 1, sessions: [{ day, topic: `Day ${index + 1}` }] })),
    }),
  );
}

/** Unfolded content lines (RFC 5545 3.1). */
function contentLines(text: string): string[] {
  return text.replace(/\r\n[ \t]/g, '').split('\r\n');
}

const seed = loadCourseFile('data/course.yaml').course;

describe('calendarIcs', () => {
  it('gives the seed course one event a session, each at its lecture start for the teaching day', () => {
    const { calendar, events } = feed(seed);
    expect(events).toHaveLength(15);
    expect(events.map((event) => event.uid)).toEqual(seed.sessions.map((session) => `mlops-${session.date}@course-bot`));
    expect(events.map((event) => instant(event.startDate))).toEqual(
      seed.sessions.map((session) => sessionStart(seed, session)!.toISOString()),
    );
    expect(instant(events[0]!.startDate)).toBe('2027-01-04T08:00:00.000Z');
    expect(instant(events[0]!.endDate)).toBe('2027-01-04T16:00:00.000Z');
    expect(events[0]!.summary).toBe('Week 1 · How autodiff changed the world · PyTorch');
    expect(events[4]!.summary).toBe('Week 1 · Project work');
    expect(calendar.getFirstSubcomponent('vtimezone')?.getFirstPropertyValue('tzid')).toBe('Europe/Copenhagen');
  });

  it('names the calendar, its zone, its maker and how often to refresh it', () => {
    const ics = calendarIcs(seed, { now: NOW, url: 'https://bot.example.org/calendar.ics' });
    const { calendar } = parseFeed(ics);
    expect(propertyText(calendar, 'prodid')).toBe('-//course-bot//mlops//EN');
    expect(propertyText(calendar, 'version')).toBe('2.0');
    expect(propertyText(calendar, 'method')).toBe('PUBLISH');
    expect(propertyText(calendar, 'name')).toBe('Machine Learning Operations');
    expect(propertyText(calendar, 'x-wr-calname')).toBe('Machine Learning Operations');
    expect(propertyText(calendar, 'x-wr-timezone')).toBe('Europe/Copenhagen');
    expect(String(calendar.getFirstPropertyValue('refresh-interval'))).toBe('PT1H');
    expect(propertyText(calendar, 'x-published-ttl')).toBe('PT1H');
    expect(propertyText(calendar, 'url')).toBe('https://bot.example.org/calendar.ics');
    expect(propertyText(calendar, 'source')).toBe('https://bot.example.org/calendar.ics');
    expect(feed(seed).calendar.getFirstProperty('source')).toBeNull();
  });

  it('stamps every event with now, in UTC', () => {
    const ics = calendarIcs(seed, { now: NOW });
    for (const event of parseFeed(ics).events) {
      expect(instant(event.component.getFirstPropertyValue('dtstamp') as ICAL.Time)).toBe(NOW.toISOString());
      expect(instant(event.component.getFirstPropertyValue('last-modified') as ICAL.Time)).toBe(NOW.toISOString());
    }
    expect(contentLines(ics).filter((line) => line.startsWith('DTSTAMP:'))).toEqual(Array(15).fill('DTSTAMP:20261201T100000Z'));
  });

  it('writes the calendar properties before its components, and ends every line with CRLF', () => {
    const lines = calendarIcs(seed, { now: NOW, url: 'https://bot.example.org/calendar.ics' }).split('\r\n');
    const firstComponent = lines.findIndex((line, index) => index > 0 && line.startsWith('BEGIN:'));
    const lastComponent = lines.findLastIndex((line) => line.startsWith('END:') && line !== 'END:VCALENDAR');
    expect(lines[0]).toBe('BEGIN:VCALENDAR');
    expect(lines.slice(1, firstComponent).map((line) => line.split(/[:;]/)[0])).toEqual(
      expect.arrayContaining(['PRODID', 'METHOD', 'NAME', 'REFRESH-INTERVAL', 'X-PUBLISHED-TTL', 'X-WR-TIMEZONE']),
    );
    expect(lines.slice(lastComponent + 1)).toEqual(['END:VCALENDAR', '']);
    expect(lines.every((line) => Buffer.byteLength(line) <= 75)).toBe(true);
  });

  it('keeps each UID when the topic or the time changes', () => {
    const doc = courseDoc();
    const before = feed(buildCourse(doc)).events;
    const [week1, ...rest] = doc.weeks;
    const edited = buildCourse(
      courseDoc({
        course: { ...doc.course, dayStart: '10:15' },
        weeks: [
          { ...week1!, sessions: [{ ...week1!.sessions![0]!, topic: 'Intro, renamed' }, ...week1!.sessions!.slice(1)] },
          ...rest,
        ],
      }),
    );
    const after = feed(edited).events;
    expect(after.map((event) => event.uid)).toEqual(before.map((event) => event.uid));
    expect(before.map((event) => event.uid)).toEqual([
      'demo-2027-01-04@course-bot',
      'demo-2027-01-06@course-bot',
      'demo-2027-01-08@course-bot',
      'demo-2027-01-12@course-bot',
    ]);
    expect(after[0]!.summary).toBe('Week 1 · Intro, renamed · PyTorch');
    expect(before[0]!.summary).toBe('Week 1 · Intro · PyTorch');
    expect(instant(after[0]!.startDate)).toBe('2027-01-04T09:15:00.000Z');
  });

  it('writes a timed event with the course TZID at the local lecture start', () => {
    const ics = calendarIcs(buildCourse(), { now: NOW });
    expect(contentLines(ics)).toContain('DTSTART;TZID=Europe/Copenhagen:20270104T090000');
    expect(contentLines(ics)).toContain('DTEND;TZID=Europe/Copenhagen:20270104T170000');
    const [event] = parseFeed(ics).events;
    expect(event!.startDate.zone?.tzid).toBe('Europe/Copenhagen');
    expect(instant(event!.startDate)).toBe('2027-01-04T08:00:00.000Z');
  });

  it.each([
    // Spring forward on Sunday 28 March 2027: 09:00 is 08:00Z before, 07:00Z after.
    ['Europe/Copenhagen', '2027-03-22', ['friday', 'monday'], ['2027-03-26T08:00:00.000Z', '2027-03-29T07:00:00.000Z']],
    // Fall back on Sunday 31 October 2027.
    ['Europe/Copenhagen', '2027-10-25', ['friday', 'monday'], ['2027-10-29T07:00:00.000Z', '2027-11-01T08:00:00.000Z']],
    // Spring forward on Sunday 14 March 2027.
    ['America/New_York', '2027-03-08', ['friday', 'monday'], ['2027-03-12T14:00:00.000Z', '2027-03-15T13:00:00.000Z']],
    // Daylight saving ends on Sunday 4 April 2027, in the southern autumn.
    ['Australia/Sydney', '2027-03-29', ['friday', 'monday'], ['2027-04-01T22:00:00.000Z', '2027-04-04T23:00:00.000Z']],
    // Over a new year: the VTIMEZONE covers both years.
    [
      'Europe/Copenhagen',
      '2027-12-27',
      ['friday', 'monday', 'friday'],
      ['2027-12-31T08:00:00.000Z', '2028-01-03T08:00:00.000Z', '2028-01-14T08:00:00.000Z'],
    ],
    // A negative offset with half hours: -03:30, then -02:30 from Sunday 14 March 2027.
    ['America/St_Johns', '2027-03-08', ['friday', 'monday'], ['2027-03-12T12:30:00.000Z', '2027-03-15T11:30:00.000Z']],
    ['UTC', '2027-03-22', ['friday'], ['2027-03-26T09:00:00.000Z']],
    ['Asia/Tokyo', '2027-03-22', ['friday', 'monday'], ['2027-03-26T00:00:00.000Z', '2027-03-29T00:00:00.000Z']],
    ['Asia/Kolkata', '2027-03-22', ['friday'], ['2027-03-26T03:30:00.000Z']],
  ])('starts 09:00 in %s (from %s) at the right UTC instants', (timezone, start, days, expected) => {
    const { events } = feed(zonedCourse(timezone, start, days));
    expect(events.map((event) => instant(event.startDate))).toEqual(expected);
    expect(events.map((event) => event.endDate.toJSDate().getTime() - event.startDate.toJSDate().getTime())).toEqual(
      expected.map(() => 8 * HOUR_MS),
    );
  });

  it('describes the zone with one observance a transition in the VTIMEZONE, local start in the old offset', () => {
    const vtimezone = feed(zonedCourse('Europe/Copenhagen', '2027-03-22', ['friday'])).calendar.getFirstSubcomponent('vtimezone')!;
    expect(
      vtimezone.getAllSubcomponents().map((observance) => [
        observance.name,
        String(observance.getFirstPropertyValue('dtstart')),
        String(observance.getFirstPropertyValue('tzoffsetfrom')),
        String(observance.getFirstPropertyValue('tzoffsetto')),
      ]),
    ).toEqual([
      ['standard', '2027-01-01T00:00:00', '+01:00', '+01:00'],
      ['daylight', '2027-03-28T02:00:00', '+01:00', '+02:00'],
      ['standard', '2027-10-31T03:00:00', '+02:00', '+01:00'],
    ]);
    // Around each change, by ical.js's reading of that VTIMEZONE (away from the repeated hour of October,
    // where ical.js, holding wall-clock times, gives the later offset whichever instant it came from).
    const zone = new ICAL.Timezone(vtimezone);
    const offsetAt = (utc: string) => ICAL.Time.fromDateTimeString(utc).convertToZone(zone).utcOffset() / 3600;
    const instants = ['2027-03-28T00:30:00Z', '2027-03-28T01:30:00Z', '2027-10-30T23:30:00Z', '2027-10-31T02:30:00Z'];
    expect(instants.map(offsetAt)).toEqual([1, 2, 2, 1]);
  });

  it('writes all-day events on the dates when the course gives no dayStart', () => {
    for (const timezone of ['Europe/Copenhagen', 'America/Los_Angeles', 'Pacific/Kiritimati']) {
      const course = zonedCourse(timezone, '2027-03-22', ['friday', 'monday'], null);
      const ics = calendarIcs(course, { now: NOW });
      expect(contentLines(ics)).toContain('DTSTART;VALUE=DATE:20270326');
      const { events } = parseFeed(ics);
      expect(events.map((event) => [event.startDate.isDate, event.startDate.toString(), event.endDate.toString()])).toEqual([
        [true, '2027-03-26', '2027-03-27'],
        [true, '2027-03-29', '2027-03-30'],
      ]);
    }
  });

  it('marks a cancelled session CANCELLED, says so in the title and gives the reason', () => {
    const doc = courseDoc();
    const [week1, ...rest] = doc.weeks;
    const [intro, configs, ...others] = week1!.sessions!;
    const course = buildCourse(
      courseDoc({
        weeks: [
          { ...week1!, sessions: [{ ...intro!, cancelled: 'The lecturer is ill' }, { ...configs!, cancelled: true }, ...others] },
          ...rest,
        ],
      }),
    );
    const { events } = feed(course);
    expect(events.map((event) => propertyText(event.component, 'status'))).toEqual(['CANCELLED', 'CANCELLED', 'CONFIRMED', 'CONFIRMED']);
    expect(events.map((event) => propertyText(event.component, 'transp'))).toEqual(['TRANSPARENT', 'TRANSPARENT', 'OPAQUE', 'OPAQUE']);
    expect(events[0]!.summary).toBe('Cancelled: Week 1 · Intro · PyTorch');
    expect(events[1]!.summary).toBe('Cancelled: Week 1 · Configs · Hydra');
    expect(events[2]!.summary).toBe('Week 1 · Project work');
    // As on the session's card: why, and what comes next; no frameworks or links of a day that does not take place.
    expect(events[0]!.description).toBe('Reason: The lecturer is ill\nNext session: Friday 8 January 2027, week 1 — Project work');
    expect(events[1]!.description).toBe('Next session: Friday 8 January 2027, week 1 — Project work');
    expect(events[0]!.component.getFirstProperty('url')).toBeNull();
  });

  it('describes a session with its facts and links, and links the first resource or the repository', () => {
    const course = buildCourse(
      courseDoc({ course: { ...courseDoc().course, repository: 'https://github.com/example/course' } }),
    );
    const { events } = feed(course);
    expect(events[0]!.description).toBe(
      'Frameworks: PyTorch\nFormat: Exercises\n\nPyTorch docs: https://pytorch.org/docs/',
    );
    expect(propertyText(events[0]!.component, 'url')).toBe('https://pytorch.org/docs/');
    expect(events[1]!.description).toBe('Frameworks: Hydra\n\nHydra docs: https://hydra.cc/docs/intro/');
    expect(events[2]!.description).toBeNull();
    expect(propertyText(events[2]!.component, 'url')).toBe('https://github.com/example/course');
    expect(feed(buildCourse()).events[2]!.component.getFirstProperty('url')).toBeNull();
  });

  it('round-trips commas, semicolons, backslashes, new lines and mentions in text', () => {
    const odd = 'Commas, semicolons; back\\slash\nand a new line @everyone';
    const doc = courseDoc();
    const [week1, ...rest] = doc.weeks;
    const [intro, ...others] = week1!.sessions!;
    const course = buildCourse(
      courseDoc({
        course: { ...doc.course, name: 'Ops, Data; ML\\AI\nEdition 2027' },
        weeks: [{ ...week1!, sessions: [{ ...intro!, topic: odd, note: odd, resources: ['odd'] }, ...others] }, ...rest],
        resources: [...doc.resources!, { id: 'odd', title: 'A, b; c', url: 'https://example.org/a,b;c?x=1' }],
      }),
    );
    const ics = calendarIcs(course, { now: NOW });
    const { calendar, events } = parseFeed(ics);
    expect(propertyText(calendar, 'name')).toBe('Ops, Data; ML\\AI\nEdition 2027');
    expect(propertyText(calendar, 'x-wr-calname')).toBe('Ops, Data; ML\\AI\nEdition 2027');
    expect(events).toHaveLength(4);
    expect(events[0]!.summary).toBe(`Week 1 · ${odd} · PyTorch`);
    expect(events[0]!.description).toContain(`Note: ${odd}\n`);
    expect(events[0]!.description).toContain('A, b; c: https://example.org/a,b;c?x=1');
    // A URI is not escaped text: the characters TEXT escapes with a backslash are percent-encoded.
    expect(propertyText(events[0]!.component, 'url')).toBe('https://example.org/a%2Cb%3Bc?x=1');
    expect(contentLines(ics).filter((line) => line.startsWith('BEGIN:VEVENT'))).toHaveLength(4);
  });

  it('puts each timed event where the rest of the bot puts the session, around every change of a year', { timeout: 120_000 }, () => {
    const stamp = (instant: number, zone: string) => DateTime.fromMillis(instant, { zone }).toFormat("yyyyLLdd'T'HHmmss");
    // Gaps and repeats at midnight (Santiago, Havana, Beirut), of half an hour (Lord Howe), south and north.
    const zones = ['Europe/Copenhagen', 'America/New_York', 'Australia/Lord_Howe', 'America/Santiago', 'America/Havana', 'Asia/Beirut'];
    for (const timezone of zones) {
      for (const dayStart of ['00:00', '00:30', '02:15', '02:30', '09:00']) {
        const course = buildCourse(
          courseDoc({
            course: { id: 'year', name: 'Year', timezone, start: '2027-01-04', dayStart },
            weeks: Array.from({ length: 52 }, (_, index) => ({
              number: index + 1,
              // Changes fall on the night to a Sunday (midnight on a Saturday's end in Santiago).
              sessions: ['wednesday', 'saturday', 'sunday'].map((day) => ({ day, topic: 'Day' })),
            })),
            resources: [],
          }),
        );
        const lines = contentLines(calendarIcs(course, { now: NOW }));
        const starts = lines.filter((line) => line.startsWith('DTSTART;'));
        const ends = lines.filter((line) => line.startsWith('DTEND;'));
        const expected = course.sessions.map((session) => sessionStart(course, session)!.getTime());
        expect(starts).toEqual(expected.map((start) => `DTSTART;TZID=${timezone}:${stamp(start, timezone)}`));
        expect(ends).toEqual(expected.map((start) => `DTEND;TZID=${timezone}:${stamp(start + 8 * HOUR_MS, timezone)}`));
      }
    }
  });

  it('folds long lines at 75 octets without splitting a character, and every fold reads back', () => {
    const long = `${'Å'.repeat(50)} ${'😀'.repeat(30)} ${'x'.repeat(200)}`;
    const doc = courseDoc();
    const [week1, ...rest] = doc.weeks;
    const course = buildCourse(courseDoc({ weeks: [{ ...week1!, sessions: [{ ...week1!.sessions![0]!, topic: long, note: long }] }, ...rest] }));
    const ics = calendarIcs(course, { now: NOW });
    expect(ics.split('\r\n').every((line) => Buffer.byteLength(line) <= 75)).toBe(true);
    expect(ics).not.toContain('\uFFFD');
    const [event] = parseFeed(ics).events;
    expect(event!.summary).toBe(`Week 1 · ${long} · PyTorch`);
    expect(event!.description).toContain(`Note: ${long}`);
  });

  it('builds a 10,000-session course, all events in order', { timeout: 120_000 }, async () => {
    const days = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];
    const course = buildCourse(
      courseDoc({
        weeks: Array.from({ length: Math.ceil(10_000 / 7) }, (_, index) => ({
          number: index + 1,
          sessions: days.slice(0, Math.min(7, 10_000 - index * 7)).map((day) => ({ day, topic: `Topic ${index + 1}`, frameworks: ['PyTorch'] })),
        })),
      }),
    );
    expect(course.sessions).toHaveLength(10_000);
    const ics = await calendarIcsInPieces(course, { now: NOW }, 700);
    expect(ics).toBe(calendarIcs(course, { now: NOW }));
    const uids = contentLines(ics).filter((line) => line.startsWith('UID:'));
    expect(uids).toHaveLength(10_000);
    expect(uids.at(-1)).toBe(`UID:demo-${course.sessions.at(-1)!.date}@course-bot`);
  });
});

describe('cachedCalendar', () => {
  it('builds the feed once per course revision, stamped with the time of that build', async () => {
    let course = buildCourse();
    let now = new Date('2027-01-04T10:00:00Z');
    const feed = cachedCalendar({ course: () => course, now: () => now });
    const first = await feed();
    now = new Date('2027-01-04T11:00:00Z');
    const again = await feed();
    expect(again).toBe(first);
    expect(contentLines(again.ics)).toContain('DTSTAMP:20270104T100000Z');
    expect(again.name).toBe('demo');
    course = buildCourse(courseDoc({ course: { ...courseDoc().course, name: 'Renamed' } }));
    const rebuilt = await feed();
    expect(rebuilt).not.toBe(first);
    expect(contentLines(rebuilt.ics)).toContain('NAME:Renamed');
    expect(contentLines(rebuilt.ics)).toContain('DTSTAMP:20270104T110000Z');
  });

  it('shares one build between requests that come while it runs, and lets other work run between its pieces', async () => {
    const course = buildCourse(
      courseDoc({
        weeks: Array.from({ length: 20 }, (_, index) => ({ number: index + 1, sessions: [{ day: 'monday', topic: 'T' }, { day: 'friday', topic: 'F' }] })),
      }),
    );
    const feed = cachedCalendar({ course: () => course, now: () => NOW, sessionsPerPiece: 5 });
    const order: string[] = [];
    const building = feed();
    expect(feed()).toBe(building);
    const built = building.then(() => order.push('built'));
    setImmediate(() => order.push('other work'));
    await built;
    expect(order).toEqual(['other work', 'built']);
    expect(contentLines((await building).ics).filter((line) => line === 'BEGIN:VEVENT')).toHaveLength(40);
  });

  it('builds again after a failed build', async () => {
    let fail = true;
    const course = buildCourse();
    const feed = cachedCalendar({
      course: () => course,
      now: () => {
        if (fail) throw new Error('clock broken');
        return NOW;
      },
    });
    expect(() => feed()).toThrow('clock broken');
    fail = false;
    expect((await feed()).ics).toContain('BEGIN:VCALENDAR');
  });

  it('is itself the calendars of one course, under its id as it is now: served at /calendar/<id>.ics and /calendar.ics', async () => {
    let course = buildCourse();
    const feed = cachedCalendar({ course: () => course, now: () => NOW });
    expect(feed.ids()).toEqual(['demo']);
    expect(feed.get('demo')).toBe(feed);
    expect(feed.get('other')).toBeUndefined();
    const server = await startHttpServer({
      port: 0,
      host: '127.0.0.1',
      logger: captureLogger().logger,
      metrics: new Metrics(),
      health: () => ({}),
      calendars: feed,
    });
    try {
      const url = (path: string) => `http://127.0.0.1:${server.port}${path}`;
      const byId = await fetch(url('/calendar/demo.ics'));
      expect(byId.status).toBe(200);
      expect(await byId.text()).toBe((await feed()).ics);
      expect(await (await fetch(url('/calendar.ics'))).text()).toBe((await feed()).ics);
      course = buildCourse(courseDoc({ course: { ...courseDoc().course, id: 'renamed' } }));
      expect((await fetch(url('/calendar/demo.ics'))).status).toBe(404);
      expect((await fetch(url('/calendar/renamed.ics'))).headers.get('content-disposition')).toBe('inline; filename="renamed.ics"');
    } finally {
      await server.close();
    }
  });
});

describe('courseCalendars', () => {
  it('serves each course’s feed under its id, as the courses are at each request', async () => {
    const demo = cachedCalendar({ course: () => buildCourse(), now: () => NOW });
    const ds = cachedCalendar({ course: () => buildCourse(courseDoc({ course: { ...courseDoc().course, id: 'ds', name: 'Data Science' } })), now: () => NOW });
    let feeds = [demo, ds];
    const calendars = courseCalendars(() => feeds);
    expect(calendars.ids()).toEqual(['demo', 'ds']);
    expect(contentLines((await calendars.get('ds')!()).ics)).toContain('NAME:Data Science');
    expect(calendars.get('nope')).toBeUndefined();
    feeds = [ds];
    expect(calendars.ids()).toEqual(['ds']);
    expect(calendars.get('demo')).toBeUndefined();
  });
});

