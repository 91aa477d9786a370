import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Announcer } from '../../src/announcer/announcer.js';
import { fixedClock } from '../../src/core/clock.js';
import type { Message } from '../../src/core/messages.js';
import type { Actor, Messenger, PostOptions } from '../../src/core/ports.js';
import { LiveCourse } from '../../src/course-file/live-course.js';
import { loadCourseFile } from '../../src/course-file/read.js';
import { FILE_SETTLE_MS, Settle } from '../../src/course-file/settle.js';
import { type TestSchedule, testSchedule } from '../support/schedule.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { captureLogger } from '../support/log.js';

// The hostile report's finding 7: the seed written up to "  - number: 2", then the rest, made students
// two notices ("no session any more", then "new session"). Timers are vitest's fake ones: the test
// moves them by hand, nothing waits on the wall clock.

const seed = readFileSync('data/course.yaml', 'utf8');
const cut = seed.indexOf('  - number: 2\n') + '  - number: 2\n'.length;
const alice: Actor = { platform: 'discord', id: '42', name: 'alice' };

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'course-bot-settle-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

class Channel implements Messenger {
  readonly target = 'fake:1';
  readonly posts: { readonly key: string; readonly message: Message }[] = [];

  post(message: Message, options: PostOptions): Promise<{ id: string }> {
    this.posts.push({ key: options.key, message });
    return Promise.resolve({ id: `m${this.posts.length}` });
  }

  findPosted(key: string): Promise<{ id: string } | undefined> {
    const index = this.posts.findIndex((sent) => sent.key === key);
    return Promise.resolve(index < 0 ? undefined : { id: `m${index + 1}` });
  }

  edit(): Promise<void> {
    return Promise.resolve();
  }

  get notices(): string[] {
    return this.posts.filter((sent) => sent.key.includes(':notice-')).map((sent) => sent.message.description ?? '');
  }
}

/** The course file, its reader and the schedule, wired as main wires them (Tuesday 5 January 2027, 10:00). */
async function bot(name: string) {
  const path = join(dir, name);
  writeFileSync(path, seed);
  const { logger } = captureLogger();
  const channel = new Channel();
  const store = new MemoryStore();
  const clock = fixedClock(new Date('2027-01-05T09:00:00Z'));
  const notices = new Settle(() => schedule.publishInBackground('course file changed'));
  const live: LiveCourse = new LiveCourse({
    path,
    label: name,
    initial: loadCourseFile(path, name),
    logger,
    onInvalid: () => notices.postpone(),
    onChange: () => notices.touch(),
  });
  const announcer = new Announcer({
    course: () => schedule.course,
    clock,
    store,
    messengers: [channel],
    logger,
    owner: 'one',
    leaseMs: 60_000,
    sleep: () => Promise.resolve(),
    random: () => 1,
  });
  const schedule: TestSchedule = testSchedule({ live, store, clock, logger, announcer });
  await schedule.publish('start');
  /** Saves the file and reloads it, as the watcher does. */
  const save = (text: string) => {
    writeFileSync(path, text);
    return live.reload('file changed');
  };
  /** Moves the fake timers on and lets a publish they started finish. */
  const wait = async (ms: number) => {
    vi.advanceTimersByTime(ms);
    await schedule.settle();
  };
  return { channel, schedule, save, wait, notices };
}

describe('a change made by editing the course file is announced once the file is quiet', () => {
  it('posts nothing for a half-saved file followed by the whole one, while the answers follow each save at once', async () => {
    const { channel, schedule, save, wait } = await bot('half.yaml');
    const sessions = schedule.course.sessions.length;
    expect(save(seed.slice(0, cut))).toMatchObject({ ok: true, changed: true });
    expect(schedule.course.sessions.length).toBeLessThan(sessions);
    await wait(1_500);
    expect(save(seed)).toMatchObject({ ok: true, changed: true });
    expect(schedule.course.sessions).toHaveLength(sessions);
    await wait(FILE_SETTLE_MS * 2);
    expect(channel.notices).toEqual([]);
  });

  it('posts a real change once, only after the file has been quiet for the settle time, against what students were told', async () => {
    const { channel, schedule, save, wait } = await bot('real.yaml');
    const edited = seed.replace('topic: Debugging and visualization', 'topic: Profiling and debugging');
    save(seed.slice(0, cut));
    await wait(1_000);
    // A refused save in between extends the wait; it does not end it.
    expect(save(`${edited}\n  oops: [`).ok).toBe(false);
    await wait(FILE_SETTLE_MS - 1_000);
    save(edited);
    expect(schedule.course.sessions.find((session) => session.date === '2027-01-06')?.topic).toBe('Profiling and debugging');
    await wait(FILE_SETTLE_MS - 1);
    expect(channel.notices).toEqual([]);
    await wait(1);
    expect(channel.notices).toEqual(['Wed 6 Jan (tomorrow): now Profiling and debugging · TensorBoard, Weights & Biases (was: Debugging and visualization)']);
    await wait(FILE_SETTLE_MS * 2);
    expect(channel.notices).toHaveLength(1);
  });

  it('still announces a change made in chat at once', async () => {
    const { channel, schedule, save, wait, notices } = await bot('chat.yaml');
    save(seed.replace('topic: Debugging and visualization', 'topic: Profiling and debugging'));
    expect(notices.pending).toBe(true);
    await schedule.change({ kind: 'cancel', date: '2027-01-07' }, alice);
    await schedule.settle();
    // The chat change's notice carries the file's change too: it is what students are told now.
    expect(channel.notices).toHaveLength(1);
    expect(channel.notices[0]).toContain('Thu 7 Jan (in 2 days): cancelled');
    await wait(FILE_SETTLE_MS);
    expect(channel.notices).toHaveLength(1);
  });
});
