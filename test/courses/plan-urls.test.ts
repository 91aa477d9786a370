import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { Message } from '../../src/core/messages.js';
import type { Messenger, PostOptions } from '../../src/core/ports.js';
import { planCacheKey } from '../../src/course-file/plan-source.js';
import { CourseFleet, type FollowedFolder } from '../../src/courses/fleet.js';
import type { CourseBinding, CoursePorts, Poster } from '../../src/platforms/platform.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { captureLogger } from '../support/log.js';
import { servedPlan, startPlanServer } from '../support/plan-server.js';

/** A time plan whose Tuesday topic is `topic`. */
const plan = (topic: string) => `# Time plan

## Week 1: Basics

| Date | Day | Topic | Frameworks |
|------|-----|-------|------------|
| 4/1/2027 | Monday | Introduction | Git |
| 5/1/2027 | Tuesday | ${topic} | pytest |
`;

/** A fake platform that records what each course's instructors are told, by its Slack instructor channel. */
class Reports implements Poster {
  readonly told = new Map<string, string[]>();
  forCourse(course: CourseBinding): CoursePorts {
    const channel = course.targets.slack?.instructorChannel ?? '';
    const silent: Messenger = {
      target: 'fake:none',
      post: (_message: Message, _options: PostOptions) => Promise.resolve({ id: 'm' }),
      findPosted: () => Promise.resolve(undefined),
    };
    return {
      platform: 'fake',
      announce: [silent],
      direct: [],
      report: (text) => {
        this.told.set(channel, [...(this.told.get(channel) ?? []), text]);
        return Promise.resolve();
      },
    };
  }
}

/** Files added later are checked in a worker thread: seconds on a busy machine. */
const WAIT = { timeout: 30_000 };

/** The Slack channel id part of a course's channels (`C0…` to announce in, `C1…` for its instructors). */
const channel = (id: string) => id.toUpperCase().padEnd(7, 'X');

describe('plan URLs in COURSES_DIR: each course follows its own, and one failing never stops another', () => {
  let server: Awaited<ReturnType<typeof startPlanServer>>;
  const served: Record<string, string> = { a: plan('Testing A'), b: plan('Testing B') };
  let down = false;
  let hold: Promise<void> | undefined;
  let dir: string;
  let fleet: CourseFleet | undefined;
  let folder: FollowedFolder | undefined;

  beforeAll(async () => {
    server = await startPlanServer({
      '/a.md': servedPlan(() => served.a!),
      '/b.md': (request, response) => {
        if (down) response.writeHead(503).end('down');
        else servedPlan(() => served.b!)(request, response);
      },
      '/slow.md': (request, response) => void hold?.then(() => servedPlan(() => plan('Slow, fetched'))(request, response)),
      '/missing.md': (_request, response) => response.writeHead(404).end('not found'),
    });
  });
  afterAll(async () => {
    await server?.close();
  });
  afterEach(async () => {
    down = false;
    served.a = plan('Testing A');
    folder?.close();
    await fleet?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  function courses(files: Record<string, string>): string {
    dir = mkdtempSync(join(tmpdir(), 'course-bot-plan-urls-'));
    const folderPath = join(dir, 'courses');
    mkdirSync(folderPath);
    for (const [id, path] of Object.entries(files)) {
      writeFileSync(
        join(folderPath, `${id}.yaml`),
        [
          `course: { id: ${id}, name: Course ${id}, timezone: Europe/Copenhagen, dayStart: "09:00" }`,
          'announcements: { time: "08:00" }',
          `plan: { source: ${server.url(path)}, refresh: 1h }`,
          `targets: { slack: { announceChannel: C0${channel(id)}, instructorChannel: C1${channel(id)} } }`,
          '',
        ].join('\n'),
      );
    }
    return folderPath;
  }

  async function follow(folderPath: string, store = new MemoryStore()) {
    const config = loadConfig({ env: { STATE_DB: ':memory:', COURSES_DIR: folderPath }, dotenv: false });
    const { logger, lines } = captureLogger();
    fleet = new CourseFleet({ config, store: () => store, logger, clock: () => ({ now: () => new Date('2027-01-05T09:00:00Z') }) });
    folder = await fleet.followFolder(config.coursesDir!);
    return { fleet, lines, store };
  }

  const topics = (courses: CourseFleet, id: string) =>
    courses.runtimes.find((runtime) => runtime.id === id)?.course().sessions.map((session) => session.topic) ?? [];

  it('each course starts on its own plan fetched from its URL; one URL failing leaves the other running, and is one log line', async () => {
    const folderPath = courses({ a: '/a.md', b: '/b.md', gone: '/missing.md' });
    const { fleet: running, lines } = await follow(folderPath);
    // Never fetched before: each course starts once its plan is fetched, without waiting for the others.
    await vi.waitFor(() => expect(running.runtimes.map((runtime) => runtime.id)).toEqual(['a', 'b']), WAIT);
    expect(topics(running, 'a')).toEqual(['Introduction', 'Testing A']);
    expect(topics(running, 'b')).toEqual(['Introduction', 'Testing B']);
    await vi.waitFor(() =>
      expect(lines.filter((line) => line.includes('plan URL cannot be fetched'))).toEqual([
        expect.stringContaining(
          `plan URL cannot be fetched (HTTP 404 Not Found (a private repository needs PLAN_SOURCE_TOKEN)) and no copy of it is kept yet; its course starts once it can be (tried again in 60 s), the other courses run on`,
        ),
      ]),
      WAIT,
    );
    // Each follows its own URL once posting: a's plan changed, b's URL fails and b's last good plan stays live.
    served.a = plan('Unit testing A');
    down = true;
    const platform = new Reports();
    running.start([platform]);
    await vi.waitFor(() => expect(topics(running, 'a')).toEqual(['Introduction', 'Unit testing A']), WAIT);
    await vi.waitFor(
      () => expect(platform.told.get(`C1${channel('b')}`)).toEqual([expect.stringMatching(/^The plan at http:\/\/127\.0\.0\.1:\d+\/b\.md cannot be fetched \(HTTP 503 Service Unavailable/)]),
      WAIT,
    );
    expect(topics(running, 'b')).toEqual(['Introduction', 'Testing B']);
    // The webhook fetches each course's own plan.
    served.a = plan('Again A');
    expect(await running.runtimes.find((runtime) => runtime.id === 'a')!.refreshPlan('webhook')).toBe('changed');
    expect(await running.runtimes.find((runtime) => runtime.id === 'b')!.refreshPlan('webhook')).toBe('failed');
    expect(topics(running, 'a')).toEqual(['Introduction', 'Again A']);
    expect(topics(running, 'b')).toEqual(['Introduction', 'Testing B']);
    expect(platform.told.get(`C1${channel('a')}`)).toBeUndefined();
    // a's targets change: the course starts again on the plan it follows now, not the one the folder first read.
    const before = running.runtimes.find((runtime) => runtime.id === 'a');
    const file = join(folderPath, 'a.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(`instructorChannel: C1${channel('a')}`, `instructorChannel: C2${channel('a')}`));
    await vi.waitFor(() => expect(running.runtimes.find((runtime) => runtime.id === 'a')).not.toBe(before), WAIT);
    expect(running.runtimes.find((runtime) => runtime.id === 'a')!.targets.slack?.instructorChannel).toBe(`C2${channel('a')}`);
    expect(topics(running, 'a')).toEqual(['Introduction', 'Again A']);
  });

  it('a course with a kept copy starts on it at once, however long its URL takes, then follows the URL', async () => {
    let release: () => void = () => undefined;
    hold = new Promise((resolve) => (release = resolve));
    const store = new MemoryStore();
    const slowUrl = server.url('/slow.md');
    store.setValue(planCacheKey('slow'), JSON.stringify({ url: slowUrl, text: plan('Slow, kept'), fetchedAt: '2027-01-01T00:00:00.000Z' }));
    const { fleet: running } = await follow(courses({ slow: '/slow.md', a: '/a.md' }), store);
    // Started on the kept copy, before its URL answered; a (never fetched) starts once its own plan is fetched.
    expect(topics(running, 'slow')).toEqual(['Introduction', 'Slow, kept']);
    await vi.waitFor(() => expect(topics(running, 'a')).toEqual(['Introduction', 'Testing A']), WAIT);
    // Once posting, it fetches its URL, and follows it when it answers.
    running.start([new Reports()]);
    release();
    await vi.waitFor(() => expect(topics(running, 'slow')).toEqual(['Introduction', 'Slow, fetched']), WAIT);
    expect(JSON.parse(store.getValue(planCacheKey('slow'))!)).toMatchObject({ url: slowUrl, text: plan('Slow, fetched') });
  });
});
