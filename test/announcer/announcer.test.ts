import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Announcer, type AnnouncerOptions } from '../../src/announcer/announcer.js';
import { nonceFor } from '../../src/announcer/plan.js';
import { type Clock } from '../../src/core/clock.js';
import type { Message } from '../../src/core/messages.js';
import { type Messenger, type PostOptions, PostError, type StateStore } from '../../src/core/ports.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { at, buildCourse, courseDoc } from '../support/course.js';
import { captureLogger } from '../support/log.js';

const course = buildCourse();
const KEY = 'demo:2027-01-04:daily:fake:1';
const dir = mkdtempSync(join(tmpdir(), 'course-bot-announcer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A channel that records posts and can be told to fail. */
class FakeMessenger implements Messenger {
  readonly target = 'fake:1';
  readonly posts: { message: Message; options: PostOptions }[] = [];
  readonly reports: string[] = [];
  failures: Error[] = [];
  existing: { id: string } | undefined;

  post(message: Message, options: PostOptions): Promise<{ id: string }> {
    if (this.landedFailure) {
      const failure = this.landedFailure;
      this.landedFailure = undefined;
      this.posts.push({ message, options });
      this.existing = { id: `m${this.posts.length}` };
      return Promise.reject(failure);
    }
    const failure = this.failures.shift();
    if (failure) return Promise.reject(failure);
    this.posts.push({ message, options });
    return Promise.resolve({ id: `m${this.posts.length}` });
  }

  lookups = 0;
  lookupFailure: Error | undefined;
  /** A failure whose post lands anyway (the answer was lost). */
  landedFailure: Error | undefined;

  findPosted(): Promise<{ id: string } | undefined> {
    this.lookups += 1;
    if (this.lookupFailure) return Promise.reject(this.lookupFailure);
    return Promise.resolve(this.existing);
  }

  report(text: string): Promise<void> {
    this.reports.push(text);
    return Promise.resolve();
  }
}

function setup(overrides: Partial<AnnouncerOptions> & { local?: string } = {}) {
  const messenger = new FakeMessenger();
  const store: StateStore = overrides.store ?? new MemoryStore();
  const { logger, lines } = captureLogger();
  let now = at(course, overrides.local ?? '2027-01-04T08:00').getTime();
  const clock: Clock = { now: () => new Date(now) };
  const sleeps: number[] = [];
  const announcer = new Announcer({
    course: () => course,
    clock,
    store,
    messengers: [messenger],
    logger,
    owner: 'test',
    leaseMs: 60_000,
    retry: { baseMs: 1_000, maxDelayMs: 8_000, giveUpAfterMs: 30_000 },
    sleep: (ms) => {
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
    random: () => 1,
    ...overrides,
  });
  return { announcer, messenger, store, lines, sleeps, advance: (ms: number) => (now += ms) };
}

describe('Announcer', () => {
  it('posts the day card once, with the key’s nonce, and records the message id', async () => {
    const { announcer, messenger, store } = setup();
    expect(await announcer.run()).toMatchObject({ sent: [KEY] });
    expect(messenger.posts).toHaveLength(1);
    expect(messenger.posts[0]!.options).toMatchObject({ key: KEY, nonce: nonceFor(KEY), mention: true });
    expect(messenger.posts[0]!.message.title).toBe('Good morning! Today in Demo Course: Week 1 · Monday 4 January 2027');
    expect(store.getClaim(KEY)).toMatchObject({ status: 'sent', messageId: 'm1' });
    expect(await announcer.run()).toMatchObject({ sent: [] });
    expect(messenger.posts).toHaveLength(1);
  });

  it('does nothing before the time and on free days', async () => {
    expect((await setup({ local: '2027-01-04T07:59' }).announcer.run()).sent).toEqual([]);
    expect((await setup({ local: '2027-01-05T08:30' }).announcer.run()).sent).toEqual([]);
  });

  it('lets only one of two instances on one database post', async () => {
    const path = join(dir, 'two.db');
    const first = setup({ store: new SqliteStore(path), owner: 'one' });
    const second = setup({ store: new SqliteStore(path), owner: 'two' });
    const [a, b] = await Promise.all([first.announcer.run(), second.announcer.run()]);
    expect(first.messenger.posts.length + second.messenger.posts.length).toBe(1);
    expect([...a.sent, ...b.sent]).toEqual([KEY]);
  });

  it('records a message a crashed instance had posted, instead of posting again', async () => {
    const { announcer, messenger, store, lines } = setup();
    store.claim(KEY, { owner: 'crashed', now: 0, leaseMs: 1 });
    messenger.existing = { id: 'already-there' };
    expect(await announcer.run()).toMatchObject({ recovered: [KEY] });
    expect(messenger.posts).toHaveLength(0);
    expect(store.getClaim(KEY)).toMatchObject({ status: 'sent', messageId: 'already-there', owner: 'test' });
    expect(lines.join('')).toContain('announcement was already posted; recorded it');
  });

  it('wakes at once for an announcement that fell due during a run planned before its time (not at the next post time)', async () => {
    const { announcer, messenger, advance } = setup({ local: '2027-01-04T07:59:59' });
    expect(await announcer.run()).toMatchObject({ sent: [] });
    expect(announcer.nextWakeUp()?.getTime()).toBe(at(course, '2027-01-04T08:00').getTime());
    // The run ended after 08:00 (a busy process): the timer is set for now, not for the next session's morning.
    advance(2_000);
    expect(announcer.nextWakeUp()?.getTime()).toBe(at(course, '2027-01-04T08:00:01').getTime());
    expect(await announcer.run()).toMatchObject({ sent: [KEY] });
    expect(messenger.posts).toHaveLength(1);
    expect(announcer.nextWakeUp()?.getTime()).toBe(at(course, '2027-01-06T08:00').getTime());
  });

  it('posts what a crashed instance had claimed but not posted, once its lease is over', async () => {
    const { announcer, messenger, store, advance } = setup();
    store.claim(KEY, { owner: 'crashed', now: at(course, '2027-01-04T08:00').getTime(), leaseMs: 60_000 });
    expect(await announcer.run()).toMatchObject({ busy: [KEY] });
    expect(announcer.nextWakeUp()?.getTime()).toBe(at(course, '2027-01-04T08:01').getTime());
    advance(60_000);
    expect(await announcer.run()).toMatchObject({ sent: [KEY] });
    expect(messenger.posts).toHaveLength(1);
  });

  it('retries server errors and timeouts with exponential backoff and jitter, then posts once', async () => {
    const { announcer, messenger, sleeps } = setup({ random: () => 0 });
    messenger.failures = [new PostError('Discord 503', true), new Error('timeout'), new PostError('Discord 502', true)];
    expect(await announcer.run()).toMatchObject({ sent: [KEY] });
    expect(messenger.posts).toHaveLength(1);
    // Half of 1 s, 2 s, 4 s with the lowest jitter.
    expect(sleeps).toEqual([500, 1_000, 2_000]);
  });

  it('records a post Discord refuses as failed, reports it, and does not try again', async () => {
    const { announcer, messenger, store, lines } = setup();
    messenger.failures = [new PostError('Discord 403 50001: Missing Access', false)];
    expect(await announcer.run()).toMatchObject({ failed: [KEY] });
    expect(store.getClaim(KEY)).toMatchObject({ status: 'failed', error: 'Discord 403 50001: Missing Access' });
    expect(messenger.reports).toEqual([`The announcement ${KEY} could not be posted: Discord 403 50001: Missing Access`]);
    expect(lines.join('')).toContain('"level":50');
    expect(await announcer.run()).toMatchObject({ sent: [], failed: [] });
    expect(messenger.posts).toHaveLength(0);
  });

  it('gives up after the retry budget', async () => {
    const { announcer, messenger, sleeps } = setup();
    messenger.failures = Array.from({ length: 20 }, () => new PostError('Discord 500', true));
    expect(await announcer.run()).toMatchObject({ failed: [KEY] });
    expect(sleeps.reduce((sum, ms) => sum + ms, 0)).toBeLessThanOrEqual(30_000);
    expect(messenger.reports).toHaveLength(1);
  });

  it('skips and logs once when started after the catch-up window', async () => {
    const { announcer, messenger, lines } = setup({ local: '2027-01-04T12:30' });
    expect(await announcer.run()).toMatchObject({ missed: [KEY] });
    await announcer.run();
    expect(messenger.posts).toHaveLength(0);
    expect(lines.filter((line) => line.includes('announcement skipped'))).toHaveLength(1);
  });

  it('posts now when asked, with the same key, so the morning run does not post again', async () => {
    const { announcer, messenger, advance } = setup({ local: '2027-01-04T06:00' });
    expect(await announcer.announceNow()).toMatchObject({ sent: [KEY] });
    advance(2 * 60 * 60_000);
    expect(await announcer.run()).toMatchObject({ sent: [] });
    expect(messenger.posts).toHaveLength(1);
  });

  it('posts again on request after a failure', async () => {
    const { announcer, messenger } = setup();
    messenger.failures = [new PostError('no access', false)];
    await announcer.run();
    expect(await announcer.announceNow()).toMatchObject({ sent: [KEY] });
    expect(messenger.posts).toHaveLength(1);
  });

  it('looks for a failed attempt’s message before posting again, and records it when it landed', async () => {
    const { announcer, messenger, store } = setup();
    messenger.landedFailure = new PostError('socket hang up', true);
    expect(await announcer.run()).toMatchObject({ sent: [KEY] });
    expect(messenger.posts).toHaveLength(1);
    expect(messenger.lookups).toBe(1);
    expect(store.getClaim(KEY)).toMatchObject({ status: 'sent', messageId: 'm1' });
  });

  it('does not post blind over an old claim it cannot check: it fails and reports', async () => {
    const { announcer, messenger, store } = setup();
    store.claim(KEY, { owner: 'crashed', now: at(course, '2027-01-04T08:00').getTime() - 10 * 60_000, leaseMs: 1_000 });
    messenger.lookupFailure = new PostError('Discord 403 50001: Missing Access', false);
    expect(await announcer.run()).toMatchObject({ failed: [KEY] });
    expect(messenger.posts).toHaveLength(0);
    expect(messenger.reports[0]).toContain('could not check whether it was already posted: Discord 403 50001: Missing Access');
  });

  it('settles a claim left pending on an earlier day: recorded if it landed, else reported', async () => {
    const yesterday = 'demo:2027-01-04:daily:fake:1';
    const found = setup({ local: '2027-01-05T09:00' });
    found.store.claim(yesterday, { owner: 'crashed', now: at(course, '2027-01-04T08:00').getTime(), leaseMs: 1_000 });
    found.messenger.existing = { id: 'landed' };
    expect(await found.announcer.run()).toMatchObject({ recovered: [yesterday] });
    expect(found.store.getClaim(yesterday)).toMatchObject({ status: 'sent', messageId: 'landed' });

    const lost = setup({ local: '2027-01-05T09:00' });
    lost.store.claim(yesterday, { owner: 'crashed', now: at(course, '2027-01-04T08:00').getTime(), leaseMs: 1_000 });
    expect(await lost.announcer.run()).toMatchObject({ failed: [yesterday] });
    expect(lost.messenger.reports[0]).toContain('it was not posted, and the bot was down until it was too late');
    expect(lost.messenger.posts).toHaveLength(0);
  });

  it('leaves alone claims that only start like its own: a course named "remind" and another course’s reminders', async () => {
    const base = courseDoc();
    const remind = buildCourse({ ...base, course: { ...base.course, id: 'remind' } });
    const reminder = 'remind:demo:2027-01-04:fake:1';
    const { announcer, store, messenger } = setup({ course: () => remind, local: '2027-01-05T09:00' });
    store.claim(reminder, { owner: 'crashed', now: at(course, '2027-01-04T08:00').getTime(), leaseMs: 1_000 });
    const report = await announcer.run();
    expect(report.recovered).toEqual([]);
    expect(report.failed).toEqual([]);
    expect(messenger.lookups).toBe(0);
    expect(store.getClaim(reminder)).toMatchObject({ status: 'pending', owner: 'crashed' });
  });

  it('stops during a retry wait at once, handing the claim back (pending, lease ended) for the next start', async () => {
    const { announcer, messenger, store } = setup({ sleep: (_ms, signal) => new Promise((resolve) => signal.addEventListener('abort', () => resolve())) });
    messenger.failures = [new PostError('Discord 503', true)];
    const running = announcer.run();
    await new Promise((resolve) => setTimeout(resolve, 10));
    await announcer.stop();
    expect(await running).toMatchObject({ sent: [], failed: [] });
    const claim = store.getClaim(KEY)!;
    expect(claim.status).toBe('pending');
    expect(messenger.posts).toHaveLength(0);
    // Another instance can take it over at once, without waiting for the lease.
    const outcome = store.claim(KEY, { owner: 'next', now: claim.updatedAt + 1, leaseMs: 60_000 });
    expect(outcome.kind).toBe('taken-over');
  });
});
