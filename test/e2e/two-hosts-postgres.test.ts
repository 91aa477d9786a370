import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseCourse } from '../../src/core/course/parse.js';
import { desiredEvents, formatEventKey } from '../../src/events/plan.js';
import type { PostgresStore } from '../../src/store/postgres-store.js';
import { ReminderBook } from '../../src/store/reminders.js';
import { FakeDiscord } from '../fakes/discord/index.js';
import { SPAWN_TIMEOUT } from '../support/child.js';
import { PostgresHosts } from '../support/postgres.js';

const TIMEOUT = SPAWN_TIMEOUT * 3;
const GUILD = '1100000000000000001';
const ANNOUNCE = '1100000000000000002';
const INSTRUCTORS = '1100000000000000003';
const EVENTS_START = '2027-01-05T08:30';

const parsed = parseCourse(parse(readFileSync('data/course.yaml', 'utf8')));
if (!parsed.ok) throw new Error('data/course.yaml is invalid');
/** The session dates with events when the bot starts (Tuesday 5 January 08:30, Copenhagen), 14 days ahead. */
const EXPECTED = desiredEvents(parsed.course, new Date('2027-01-05T07:30:00Z'), 14);

/**
 * Two hosts on one PostgreSQL (DATABASE_URL), for the two kinds of work besides the morning announcement
 * (announcer-postgres.test.ts): Discord Scheduled Events (one per session) and the reminders students opt into
 * (one per student). The real bot, twice, against the local fake Discord; each host has a SQLite file of its
 * own, so only the PostgreSQL state is shared. The SQLite versions are in discord-events.test.ts and
 * reminders.test.ts.
 */
describe('two instances on one PostgreSQL: events and reminders exactly once', () => {
  let hosts: PostgresHosts | undefined;
  let fake: FakeDiscord;

  const startBot = (at: string, extra: Record<string, string> = {}) =>
    hosts!.startBot(['start', '--at', at], {
      DISCORD_TOKEN: fake.token,
      DISCORD_API_URL: fake.apiUrl,
      DISCORD_GUILD_ID: GUILD,
      DISCORD_INSTRUCTOR_CHANNEL_ID: INSTRUCTORS,
      COURSE_FILE: join(hosts!.dir, 'course.yaml'),
      ANNOUNCE_LEASE_SECONDS: '2',
      ...extra,
    });
  const withStore = <T>(work: (store: PostgresStore, book: ReminderBook) => T): T =>
    hosts!.withStore((store) => work(store, new ReminderBook(store, '18:00', parsed.course.id)));
  const dmsOf = (user: string) => {
    const channel = fake.dms.opened.get(user);
    return channel === undefined ? [] : fake.messages(channel);
  };
  const dmPosts = () => fake.requests.filter((request) => request.method === 'POST' && /^\/channels\/\d+\/messages$/.test(request.path) && request.status === 200);

  beforeAll(async () => {
    hosts = await PostgresHosts.start('course-bot-two-hosts-pg-');
  });
  afterAll(async () => {
    await hosts?.stop();
  });

  beforeEach(async () => {
    await hosts!.begin();
    writeFileSync(join(hosts!.dir, 'course.yaml'), readFileSync('data/course.yaml', 'utf8'));
  });

  afterEach(async () => {
    await hosts!.end();
    await fake.close();
  });

  it('DISCORD_EVENTS=on on both: one scheduled event per session, created once', { timeout: TIMEOUT }, async () => {
    fake = await FakeDiscord.start({ heartbeatInterval: 1_000, guilds: [{ id: GUILD, channels: [ANNOUNCE, INSTRUCTORS] }] });
    const [a, b] = [startBot(EVENTS_START, { DISCORD_EVENTS: 'on', LOG_LEVEL: 'debug' }), startBot(EVENTS_START, { DISCORD_EVENTS: 'on', LOG_LEVEL: 'debug' })];
    await Promise.all([a, b].map((bot) => bot.waitForOutput(/slash commands (registered|unchanged)/, 45_000)));
    await fake.waitFor(() => (fake.scheduledEvents.list(GUILD).length >= EXPECTED.length ? true : undefined), { timeoutMs: 30_000, what: 'every event' });
    // Each has finished a pass: whatever either would create, it has.
    await Promise.all([a, b].map((bot) => bot.waitForOutput(/"subsystem":"events".*scheduled events (synced|in step)/, 30_000)));
    const events = fake.scheduledEvents.list(GUILD);
    const dates = events.map((event) => /:(\d{4}-\d{2}-\d{2})\]$/.exec(event.description ?? '')?.[1]);
    expect(dates.sort()).toEqual(EXPECTED.map((spec) => spec.date));
    expect(events.map((event) => event.name).sort()).toEqual(EXPECTED.map((spec) => spec.name).sort());
    const creates = fake.requests.filter((request) => request.method === 'POST' && request.path.endsWith('/scheduled-events') && request.status === 200);
    expect(creates).toHaveLength(EXPECTED.length);
    // The shared state names each session's event: what the two created is what PostgreSQL records.
    const recorded = withStore((store) => EXPECTED.map((spec) => store.getValue(formatEventKey({ scope: `discord:${GUILD}`, courseId: 'mlops', date: spec.date }))));
    expect(recorded.every((raw) => raw !== undefined && events.some((event) => raw.includes(event.id)))).toBe(true);
  });

  it('the evening reminders: every subscriber gets one DM from the two, and after a SIGKILL of one the other takes over', { timeout: TIMEOUT }, async () => {
    // Slow enough for the two to overlap and for a kill to land mid-fan-out: 10 requests a second, a DM costs two.
    fake = await FakeDiscord.start({ heartbeatInterval: 1_000, globalRateLimit: 10, nonceWindowMs: 0, guilds: [{ id: GUILD, channels: [ANNOUNCE, INSTRUCTORS] }] });
    const students = Array.from({ length: 16 }, (_, index) => `34000000000000${String(index).padStart(4, '0')}`);
    withStore((_store, book) => {
      for (const student of students) book.set('discord', student, 'evening');
    });
    // The lease outlasts the queue behind the rate limit (16 DMs in flight at 10 requests a second), as
    // ANNOUNCE_LEASE_SECONDS must in production (docs/deploy.md): a live peer's claims are never taken over.
    const lease = { ANNOUNCE_LEASE_SECONDS: '20' };
    const both = [startBot('2027-01-05T18:00', lease), startBot('2027-01-05T18:00', lease)];
    const claims = () => withStore((store) => store.listClaims('remind:'));
    const reached = () => (students.filter((student) => dmsOf(student).length > 0).length >= 3 ? true : undefined);
    await fake.waitFor(reached, { timeoutMs: 60_000, what: 'three reminders sent' });
    // Kill the one holding a reminder in flight (its name in the claim carries its process id).
    const pending = claims().filter((claim) => claim.status === 'pending');
    const victim = both.find((bot) => pending.some((claim) => claim.owner.split(':')[1] === String(bot.pid))) ?? both[0]!;
    const survivor = both.find((bot) => bot !== victim)!;
    await victim.stop('SIGKILL');
    const held = claims()
      .filter((claim) => claim.status === 'pending' && claim.owner.split(':')[1] === String(victim.pid))
      .map((claim) => claim.key);
    // A DM cut off by the load (a reset connection) is retried on the next minute's run: minutes, not seconds.
    await fake.waitFor(() => (claims().filter((claim) => claim.status === 'sent').length === students.length ? true : undefined), {
      timeoutMs: 180_000,
      what: 'every reminder recorded as sent',
    });
    // Anything the killed one left in flight has landed by now.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    for (const student of students) expect(dmsOf(student), student).toHaveLength(1);
    expect(dmsOf(students[0]!)[0]!.embeds[0]).toMatchObject({ title: 'Tomorrow in Machine Learning Operations: Week 1 · Wednesday 6 January 2027' });
    expect(dmPosts()).toHaveLength(students.length);
    // What the killed one held, the survivor finished (sent, or found sent and recorded).
    const after = new Map(claims().map((claim) => [claim.key, claim]));
    for (const key of held) expect(after.get(key)?.owner.split(':')[1], key).toBe(String(survivor.pid));
    expect(fake.unhandled).toEqual([]);
  });
});
