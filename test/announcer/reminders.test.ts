import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Reminders } from '../../src/announcer/reminders.js';
import type { Clock } from '../../src/core/clock.js';
import type { Message } from '../../src/core/messages.js';
import { PostError, type StateStore } from '../../src/core/ports.js';
import { type DirectMessenger, type DirectOptions, RecipientError } from '../../src/core/reminders.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { ReminderBook } from '../../src/store/reminders.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { at, buildCourse } from '../support/course.js';
import { captureLogger } from '../support/log.js';

const course = buildCourse();
const dir = mkdtempSync(join(tmpdir(), 'course-bot-reminders-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** DMs that land in a shared inbox per user; users can have closed DMs or be gone; sends can hang (a crash). */
class FakeDms implements DirectMessenger {
  readonly platform = 'discord';
  closed = new Set<string>();
  gone = new Set<string>();
  /** Sends after this many land, then never answer (the process dies with them in flight). */
  hangAfter = Infinity;
  failures: Error[] = [];

  constructor(readonly inbox: Map<string, { key: string; message: Message }[]>) {}

  send(userId: string, message: Message, options: DirectOptions): Promise<{ id: string }> {
    if (this.gone.has(userId)) return Promise.reject(new RecipientError('gone', 'Unknown Member'));
    if (this.closed.has(userId)) return Promise.reject(new RecipientError('closed', 'Cannot send messages to this user'));
    const failure = this.failures.shift();
    if (failure) return Promise.reject(failure);
    const box = this.inbox.get(userId) ?? [];
    this.inbox.set(userId, box);
    if (this.hangAfter <= 0) {
      // Half of the hanging ones landed before the crash: the platform has them, the store does not.
      if (userId.endsWith('0') || userId.endsWith('2')) box.push({ key: options.key, message });
      return new Promise(() => undefined);
    }
    this.hangAfter -= 1;
    box.push({ key: options.key, message });
    return Promise.resolve({ id: `${userId}:${box.length}` });
  }

  findSent(userId: string, { key }: DirectOptions): Promise<{ id: string } | undefined> {
    const index = (this.inbox.get(userId) ?? []).findIndex((entry) => entry.key === key);
    return Promise.resolve(index < 0 ? undefined : { id: `${userId}:${index + 1}` });
  }
}

function clockAt(local: string) {
  let now = at(course, local).getTime();
  const clock: Clock & { set(local: string): void; advance(ms: number): void } = {
    now: () => new Date(now),
    set: (value) => (now = at(course, value).getTime()),
    advance: (ms) => (now += ms),
  };
  return clock;
}

function instance(store: StateStore, dms: DirectMessenger, clock: Clock, owner: string) {
  const { logger, lines } = captureLogger('info');
  const book = new ReminderBook(store, '18:00', course.id);
  const reminders = new Reminders({ course: () => course, clock, store, book, messengers: [dms], logger, owner, leaseMs: 30_000, concurrency: 8 });
  return { reminders, book, lines };
}

function subscribe(book: ReminderBook, count: number, kind: 'evening' | 'morning' = 'evening'): string[] {
  const users = Array.from({ length: count }, (_, index) => `9000${index}`);
  for (const user of users) book.set('discord', user, kind);
  return users;
}

describe('Reminders', () => {
  it('sends each subscriber one evening reminder, and nothing on a second run', async () => {
    const inbox = new Map<string, { key: string; message: Message }[]>();
    const clock = clockAt('2027-01-05T18:00');
    const { reminders, book, lines } = instance(new MemoryStore(), new FakeDms(inbox), clock, 'a');
    const users = subscribe(book, 20);
    book.set('discord', 'm1', 'morning');
    expect(await reminders.run()).toMatchObject({ sent: 20, failed: 0 });
    expect(await reminders.run()).toMatchObject({ sent: 0 });
    for (const user of users) expect(inbox.get(user)!.map((entry) => entry.message.title)).toEqual(['Tomorrow in Demo Course: Week 1 · Wednesday 6 January 2027']);
    expect(inbox.has('m1')).toBe(false);
    clock.set('2027-01-06T08:00');
    expect(await reminders.run()).toMatchObject({ sent: 1 });
    expect(inbox.get('m1')!.map((entry) => entry.key)).toEqual(['remind:demo:2027-01-06:discord:m1']);
    // No user id reaches the logs above debug.
    expect(lines.join('')).not.toMatch(/9000\d|m1/);
  });

  it('two courses on one store: a student subscribed in course A only is reminded of A only', async () => {
    const store = new MemoryStore();
    const other = { ...course, id: 'other', name: 'Other Course' };
    const inbox = new Map<string, { key: string; message: Message }[]>();
    const clock = clockAt('2027-01-05T18:00');
    const { logger } = captureLogger('info');
    const books = { a: new ReminderBook(store, '18:00', course.id), b: new ReminderBook(store, '18:00', other.id) };
    const run = (of: typeof course, book: ReminderBook) =>
      new Reminders({ course: () => of, clock, store, book, messengers: [new FakeDms(inbox)], logger, owner: 'x', leaseMs: 30_000 }).run();
    books.a.set('discord', 'a1', 'evening');
    books.b.set('discord', 'b1', 'evening');
    expect(await run(course, books.a)).toMatchObject({ sent: 1 });
    expect(await run(other, books.b)).toMatchObject({ sent: 1 });
    expect(inbox.get('a1')!.map((entry) => [entry.key, entry.message.title])).toEqual([
      ['remind:demo:2027-01-06:discord:a1', 'Tomorrow in Demo Course: Week 1 · Wednesday 6 January 2027'],
    ]);
    expect(inbox.get('b1')!.map((entry) => [entry.key, entry.message.title])).toEqual([
      ['remind:other:2027-01-06:discord:b1', 'Tomorrow in Other Course: Week 1 · Wednesday 6 January 2027'],
    ]);
    // /remind off in course B leaves course A's reminder on.
    books.b.set('discord', 'a1', 'off');
    expect(books.a.get('discord', 'a1')).toEqual({ kind: 'evening' });
  });

  it('a crash mid-fan-out, then a restart: every subscriber exactly once', async () => {
    const store = new SqliteStore(join(dir, 'crash.db'));
    const inbox = new Map<string, { key: string; message: Message }[]>();
    const clock = clockAt('2027-01-05T18:00');
    const dying = new FakeDms(inbox);
    dying.hangAfter = 25;
    const first = instance(store, dying, clock, 'dies');
    const users = subscribe(first.book, 60);
    void first.reminders.run();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const landedBefore = [...inbox.values()].flat().length;
    expect(landedBefore).toBeGreaterThan(25);
    // The process is gone: its claims stay pending until their lease ends.
    const second = instance(store, new FakeDms(inbox), clock, 'restart');
    expect((await second.reminders.run()).busy).toBeGreaterThan(0);
    clock.advance(31_000);
    const report = await second.reminders.run();
    expect(report.recovered).toBeGreaterThan(0);
    expect(report.sent + report.recovered + report.busy).toBeGreaterThan(0);
    for (const user of users) expect(inbox.get(user)?.length, user).toBe(1);
    expect(store.listClaims('remind:').filter((record) => record.status === 'sent')).toHaveLength(60);
    store.close();
  });

  it('two instances on one store send each reminder once', async () => {
    const path = join(dir, 'two.db');
    const stores = [new SqliteStore(path), new SqliteStore(path)];
    const inbox = new Map<string, { key: string; message: Message }[]>();
    const clock = clockAt('2027-01-05T18:10');
    const [a, b] = stores.map((store, index) => instance(store, new FakeDms(inbox), clock, `i${index}`));
    const users = subscribe(a!.book, 40);
    const reports = await Promise.all([a!.reminders.run(), b!.reminders.run()]);
    expect(reports[0].sent + reports[1].sent).toBe(40);
    for (const user of users) expect(inbox.get(user)).toHaveLength(1);
    for (const store of stores) store.close();
  });

  it('records closed DMs, skips that day, and turns the reminder off after 3 days', async () => {
    const store = new MemoryStore();
    const dms = new FakeDms(new Map());
    dms.closed.add('c1');
    const clock = clockAt('2027-01-05T18:00');
    const { reminders, book } = instance(store, dms, clock, 'a');
    book.set('discord', 'c1', 'evening');
    expect(await reminders.run()).toMatchObject({ closed: 1 });
    expect(store.getClaim('remind:demo:2027-01-06:discord:c1')).toMatchObject({ status: 'failed', error: 'direct messages closed' });
    // Not tried again that day (nor for that session).
    expect(await reminders.run()).toMatchObject({ closed: 0, sent: 0 });
    clock.set('2027-01-07T18:00');
    expect(await reminders.run()).toMatchObject({ closed: 1 });
    expect(book.get('discord', 'c1')).toEqual({ kind: 'evening' });
    clock.set('2027-01-11T18:00');
    expect(await reminders.run()).toMatchObject({ closed: 1 });
    expect(book.get('discord', 'c1')).toEqual({ stopped: 'closed-dms' });
    expect(book.subscribers()).toEqual([]);
  });

  it('stops reminding a student who left', async () => {
    const dms = new FakeDms(new Map());
    dms.gone.add('g1');
    const { reminders, book } = instance(new MemoryStore(), dms, clockAt('2027-01-05T18:00'), 'a');
    book.set('discord', 'g1', 'evening');
    book.rememberDmChannel('discord', 'g1', 'dm1');
    expect(await reminders.run()).toMatchObject({ gone: 1 });
    expect(book.get('discord', 'g1')).toEqual({ stopped: 'left' });
    expect(book.dmChannel('discord', 'g1')).toBeUndefined();
  });

  it('leaves a reminder that failed for a passing reason to the next run, and gives up on one that cannot pass', async () => {
    const inbox = new Map<string, { key: string; message: Message }[]>();
    const dms = new FakeDms(inbox);
    dms.failures = [new PostError('Discord 503', true)];
    const store = new MemoryStore();
    const clock = clockAt('2027-01-05T18:00');
    const { reminders, book } = instance(store, dms, clock, 'a');
    book.set('discord', 'r1', 'evening');
    expect(await reminders.run()).toMatchObject({ retry: 1, sent: 0 });
    clock.advance(60_000);
    expect(await reminders.run()).toMatchObject({ sent: 1 });
    expect(inbox.get('r1')).toHaveLength(1);
    dms.failures = [new PostError('Discord 400 50035: Invalid Form Body', false)];
    book.set('discord', 'r2', 'evening');
    expect(await reminders.run()).toMatchObject({ failed: 1 });
    expect(store.getClaim('remind:demo:2027-01-06:discord:r2')).toMatchObject({ status: 'failed', error: 'Discord 400 50035: Invalid Form Body' });
  });
});

describe('Reminders after a crash, restarted too late to send', () => {
  it('records those that landed as sent and the others as not sent, and sends nothing late', async () => {
    const store = new MemoryStore();
    const inbox = new Map<string, { key: string; message: Message }[]>();
    const clock = clockAt('2027-01-05T18:00');
    const dying = new FakeDms(inbox);
    dying.hangAfter = 0;
    const first = instance(store, dying, clock, 'dies');
    // Users ending in 0 or 2 got theirs before the crash; the others did not.
    const users = ['u10', 'u11', 'u12', 'u13'];
    for (const user of users) first.book.set('discord', user, 'evening');
    void first.reminders.run();
    await new Promise((resolve) => setTimeout(resolve, 20));
    clock.set('2027-01-06T09:30');
    const restarted = instance(store, new FakeDms(inbox), clock, 'late');
    expect(await restarted.reminders.run()).toMatchObject({ recovered: 2, failed: 2, sent: 0 });
    expect(users.map((user) => store.getClaim(`remind:demo:2027-01-06:discord:${user}`)?.status)).toEqual(['sent', 'failed', 'sent', 'failed']);
    expect(store.getClaim('remind:demo:2027-01-06:discord:u11')?.error).toBe('not sent: the bot was down until the session began');
    expect(users.map((user) => inbox.get(user)?.length ?? 0)).toEqual([1, 0, 1, 0]);
  });
});
