import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.js';
import type { Message } from '../../src/core/messages.js';
import type { Messenger, PostOptions } from '../../src/core/ports.js';
import { CourseFileError } from '../../src/course-file/read.js';
import { CourseFleet } from '../../src/courses/fleet.js';
import { courseScopes } from '../../src/courses/scope.js';
import type { CourseBinding, CoursePorts, Poster } from '../../src/platforms/platform.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { courseDoc } from '../support/course.js';
import { captureLogger } from '../support/log.js';

const dir = mkdtempSync(join(tmpdir(), 'course-bot-fleet-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One channel of a fake platform: what was posted there, or a refusal (a channel the bot may not post in). */
class Channel implements Messenger {
  readonly posts: { key: string; text: string }[] = [];
  constructor(
    readonly target: string,
    private readonly refuse = false,
  ) {}
  post(message: Message, options: PostOptions): Promise<{ id: string }> {
    if (this.refuse) return Promise.reject(Object.assign(new Error('Missing Permissions'), { code: 50013 }));
    this.posts.push({ key: options.key, text: message.text });
    return Promise.resolve({ id: `m${this.posts.length}` });
  }
  findPosted(): Promise<undefined> {
    return Promise.resolve(undefined);
  }
}

/** A fake platform: each course's announcement channel and instructor channel, by its Slack targets. */
class FakePlatform implements Poster {
  readonly channels = new Map<string, Channel>();
  readonly reports = new Map<string, string[]>();
  constructor(private readonly refused: ReadonlySet<string> = new Set()) {}
  channel(id: string): Channel {
    let channel = this.channels.get(id);
    if (!channel) this.channels.set(id, (channel = new Channel(`fake:${id}`, this.refused.has(id))));
    return channel;
  }
  forCourse(course: CourseBinding): CoursePorts {
    const { announceChannel, instructorChannel } = course.targets.slack ?? {};
    return {
      platform: 'fake',
      announce: announceChannel ? [this.channel(announceChannel)] : [],
      direct: [],
      ...(instructorChannel && {
        report: (text: string) => {
          this.reports.set(instructorChannel, [...(this.reports.get(instructorChannel) ?? []), text]);
          return Promise.resolve();
        },
      }),
    };
  }
}

/** A course's channels, as Slack ids: `C0…` to announce in, `C1…` for its instructors. */
const announceOf = (id: string) => `C0${id.toUpperCase().padEnd(7, 'X')}`;
const instructorsOf = (id: string) => `C1${id.toUpperCase().padEnd(7, 'X')}`;

function courseFile(id: string, timezone: string): { path: string; label: string } {
  const path = join(dir, `${id}.yaml`);
  const doc = courseDoc({ course: { id, name: `Course ${id}`, timezone, start: '2027-01-04', dayStart: '09:00' } });
  writeFileSync(path, stringify({ ...doc, targets: { slack: { announceChannel: announceOf(id), instructorChannel: instructorsOf(id) } } }));
  return { path, label: `courses/${id}.yaml` };
}

const ownTargets = (loaded: { file: { targets?: unknown } }) => (loaded.file.targets ?? {}) as never;

function fleet() {
  const config = loadConfig({ env: { STATE_DB: ':memory:' }, dotenv: false });
  const { logger, lines } = captureLogger();
  const store = new MemoryStore();
  return { fleet: new CourseFleet({ config, store: () => store, logger }), lines, store };
}

const alice = { platform: 'test', id: 'alice' };

describe('CourseFleet: many courses, each on its own', () => {
  afterEach(() => vi.useRealTimers());

  it('announces each course at ITS local time (08:00 in Copenhagen, 08:00 in New York), once each', async () => {
    // Wednesday 6 January 2027, 07:59:30 in Copenhagen, 01:59:30 in New York: nothing due yet anywhere.
    vi.useFakeTimers({ now: new Date('2027-01-06T06:59:30Z') });
    const { fleet: courses } = fleet();
    await courses.add('cph', courseFile('cph', 'Europe/Copenhagen'), ownTargets);
    await courses.add('nyc', courseFile('nyc', 'America/New_York'), ownTargets);
    const platform = new FakePlatform();
    try {
      courses.start([platform]);
      await vi.advanceTimersByTimeAsync(10_000);
      expect(platform.channel(announceOf('cph')).posts).toEqual([]);
      expect(platform.channel(announceOf('nyc')).posts).toEqual([]);
      // 08:00:30 in Copenhagen: its morning announcement; New York sleeps on.
      await vi.advanceTimersByTimeAsync(60_000);
      expect(platform.channel(announceOf('cph')).posts.map((post) => post.key)).toEqual(['cph:2027-01-06:daily:fake:' + announceOf('cph')]);
      expect(platform.channel(announceOf('nyc')).posts).toEqual([]);
      // 07:59:30 in New York, then 08:00:30.
      vi.setSystemTime(new Date('2027-01-06T12:59:30Z'));
      await vi.advanceTimersByTimeAsync(10_000);
      expect(platform.channel(announceOf('nyc')).posts).toEqual([]);
      await vi.advanceTimersByTimeAsync(60_000);
      expect(platform.channel(announceOf('nyc')).posts.map((post) => post.key)).toEqual(['nyc:2027-01-06:daily:fake:' + announceOf('nyc')]);
      expect(platform.channel(announceOf('cph')).posts).toHaveLength(1);
    } finally {
      await courses.stop();
    }
  });

  it('a channel that refuses one course never stops another’s announcement; a broken file refuses its course only', async () => {
    // Wednesday 6 January 2027, 10:00 in Copenhagen: after the morning time, both catch up at start.
    const clock = { now: () => new Date('2027-01-06T09:00:00Z') };
    const config = loadConfig({ env: { STATE_DB: ':memory:' }, dotenv: false });
    const withClock = new CourseFleet({ config, store: () => new MemoryStore(), logger: captureLogger().logger, clock: () => clock });
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'course: [not, a, course]\n');
    await expect(withClock.add('broken', { path: broken, label: 'courses/broken.yaml' }, ownTargets)).rejects.toBeInstanceOf(CourseFileError);
    await withClock.add('aaa', courseFile('aaa', 'Europe/Copenhagen'), ownTargets);
    await withClock.add('bbb', courseFile('bbb', 'Europe/Copenhagen'), ownTargets);
    expect(withClock.runtimes.map((runtime) => runtime.id)).toEqual(['aaa', 'bbb']);
    const platform = new FakePlatform(new Set([announceOf('aaa')]));
    try {
      withClock.start([platform]);
      await vi.waitFor(() => expect(platform.channel(announceOf('bbb')).posts.map((post) => post.key)).toEqual(['bbb:2027-01-06:daily:fake:' + announceOf('bbb')]));
      expect(platform.channel(announceOf('aaa')).posts).toEqual([]);
    } finally {
      await withClock.stop();
    }
  });

  it('a course that cannot start posting (its store failing right now) never stops another; added so, it is not half-started', async () => {
    const clock = { now: () => new Date('2027-01-06T09:00:00Z') };
    const config = loadConfig({ env: { STATE_DB: ':memory:' }, dotenv: false });
    const { logger, lines } = captureLogger();
    const courses = new CourseFleet({ config, store: () => new MemoryStore(), logger, clock: () => clock });
    const platform = new FakePlatform();
    let failing = new Set([announceOf('aaa'), announceOf('ccc')]);
    const flaky: Poster = {
      forCourse(course) {
        if (failing.has(course.targets.slack?.announceChannel ?? '')) throw new Error('database unreachable (test)');
        return platform.forCourse(course);
      },
    };
    await courses.add('aaa', courseFile('aaa', 'Europe/Copenhagen'), ownTargets);
    await courses.add('bbb', courseFile('bbb', 'Europe/Copenhagen'), ownTargets);
    try {
      courses.start([flaky]);
      await vi.waitFor(() => expect(platform.channel(announceOf('bbb')).posts).toHaveLength(1));
      expect(lines.some((line) => line.includes('"course":"aaa"') && line.includes('course could not start posting; trying again in 30 s'))).toBe(true);
      await expect(courses.add('ccc', courseFile('ccc', 'Europe/Copenhagen'), ownTargets)).rejects.toThrow('database unreachable (test)');
      expect(courses.runtimes.map((runtime) => runtime.id)).toEqual(['aaa', 'bbb']);
      failing = new Set();
      await courses.add('ccc', courseFile('ccc', 'Europe/Copenhagen'), ownTargets);
      await vi.waitFor(() => expect(platform.channel(announceOf('ccc')).posts).toHaveLength(1));
    } finally {
      await courses.stop();
    }
  });

  it('tells a course’s own instructors what concerns it (its file refused), never another course’s', async () => {
    const { fleet: courses } = fleet();
    const aaa = courseFile('aaa2', 'Europe/Copenhagen');
    await courses.add('aaa2', aaa, ownTargets);
    await courses.add('bbb2', courseFile('bbb2', 'Europe/Copenhagen'), ownTargets);
    const platform = new FakePlatform();
    try {
      courses.start([platform]);
      writeFileSync(aaa.path, 'course: {id: aaa2}\nweeks: nope\n');
      courses.runtimes.find((runtime) => runtime.id === 'aaa2')!.reload('test');
      await vi.waitFor(() => expect(platform.reports.get(instructorsOf('aaa2'))?.join('\n')).toContain('The course file was not reloaded'), { timeout: 10_000 });
      expect(platform.reports.get(instructorsOf('bbb2'))).toBeUndefined();
      // Every course's instructors hear what concerns them all (the state database).
      courses.tellAll('The state database is back.');
      await vi.waitFor(() => expect(platform.reports.get(instructorsOf('bbb2'))).toEqual(['The state database is back.']));
      expect(platform.reports.get(instructorsOf('aaa2'))).toContain('The state database is back.');
    } finally {
      await courses.stop();
    }
  });

  it('a course added while running posts at once; removed, it is no longer served nor registered anywhere', async () => {
    const clock = { now: () => new Date('2027-01-06T09:00:00Z') };
    const config = loadConfig({ env: { STATE_DB: ':memory:' }, dotenv: false });
    const courses = new CourseFleet({ config, store: () => new MemoryStore(), logger: captureLogger().logger, clock: () => clock });
    const platform = new FakePlatform();
    try {
      courses.start([platform]);
      await courses.add('late', courseFile('late', 'Europe/Copenhagen'), ownTargets);
      await vi.waitFor(() => expect(platform.channel(announceOf('late')).posts.map((post) => post.key)).toEqual(['late:2027-01-06:daily:fake:' + announceOf('late')]));
      expect(courses.served().map((course) => [course.id, course.name])).toEqual([['late', 'Course late']]);
      await courses.remove('late');
      expect(courses.served()).toEqual([]);
      expect(courses.targets()).toEqual([]);
    } finally {
      await courses.stop();
    }
  });

  it('a course file edited to carry another running course’s id is not taken: no change nor claim under that id, one line to its instructors', async () => {
    // Wednesday 6 January 2027, 10:00 in Copenhagen: after the morning time, both catch up once they post.
    const clock = { now: () => new Date('2027-01-06T09:00:00Z') };
    const config = loadConfig({ env: { STATE_DB: ':memory:' }, dotenv: false });
    const { logger, lines } = captureLogger();
    const store = new MemoryStore();
    const courses = new CourseFleet({ config, store: () => store, logger, clock: () => clock });
    const aaa = courseFile('ida', 'Europe/Copenhagen');
    await courses.add('ida', aaa, ownTargets);
    await courses.add('idb', courseFile('idb', 'Europe/Copenhagen'), ownTargets);
    const platform = new FakePlatform();
    const keyOf = (id: string) => `${id}:2027-01-06:daily:fake:${announceOf(id)}`;
    try {
      courses.start([platform]);
      await vi.waitFor(() => expect(platform.channel(announceOf('ida')).posts.map((post) => post.key)).toEqual([keyOf('ida')]));
      await vi.waitFor(() => expect(platform.channel(announceOf('idb')).posts.map((post) => post.key)).toEqual([keyOf('idb')]));
      const runtime = courses.runtimes.find((candidate) => candidate.id === 'ida')!;
      // The file of course ida now says it is idb (its targets still ida's).
      const doc = courseDoc({ course: { id: 'idb', name: 'Course ida as idb', timezone: 'Europe/Copenhagen', start: '2027-01-04', dayStart: '09:00' } });
      writeFileSync(aaa.path, stringify({ ...doc, targets: { slack: { announceChannel: announceOf('ida'), instructorChannel: instructorsOf('ida') } } }));
      const line =
        'courses/ida.yaml: course.id changed from "ida" to "idb"; a course\'s id cannot change while it runs, so this version was not taken ' +
        'and the course runs on as "ida": put course.id back, or remove the file and add it again under the new id';
      expect(await runtime.admin.reload(alice)).toEqual({ ok: false, problems: [`courses/ida.yaml course.id: ${line.slice('courses/ida.yaml: '.length)}`] });
      // The course runs on as ida, under its own name.
      expect(runtime.course().id).toBe('ida');
      expect(runtime.name).toBe('Course ida');
      expect(runtime.effective.id).toBe('ida');
      // A change made through it goes to ida's log, never idb's.
      expect(await runtime.admin.change({ kind: 'cancel', date: '2027-01-08' }, alice)).toMatchObject({ record: { id: 1 } });
      expect(store.listChanges('ida').map((record) => record.change)).toEqual([{ kind: 'cancel', date: '2027-01-08' }]);
      expect(store.listChanges('idb')).toEqual([]);
      // An instructor's announcement through it asks for ida's claim, never idb's; no morning post is repeated.
      expect(await runtime.admin.announce(alice)).toMatchObject({ sent: [], already: [keyOf('ida')] });
      const daily = (id: string) => platform.channel(announceOf(id)).posts.filter((post) => post.key.includes(':daily:')).map((post) => post.key);
      expect(daily('ida')).toEqual([keyOf('ida')]);
      expect(daily('idb')).toEqual([keyOf('idb')]);
      // The change's notice went to ida's channel, under ida's key.
      await vi.waitFor(() => expect(platform.channel(announceOf('ida')).posts.filter((post) => !post.key.includes(':daily:')).map((post) => post.key)).toEqual([expect.stringMatching(/^ida:/)]));
      expect(platform.channel(announceOf('idb')).posts).toHaveLength(1);
      // Told once (a second save that still says idb is refused without telling again), to ida's instructors only.
      writeFileSync(aaa.path, `${readFileSync(aaa.path, 'utf8')}\n# edited again\n`);
      expect(runtime.effective.live.reload('test')).toMatchObject({ ok: false });
      await vi.waitFor(() => expect(platform.reports.get(instructorsOf('ida'))).toEqual([line]));
      expect(platform.reports.get(instructorsOf('idb'))).toBeUndefined();
      expect(lines.filter((text) => text.includes('course.id changed from'))).toHaveLength(1);
      // The file given its own id back is taken again (and said so).
      writeFileSync(aaa.path, readFileSync(courseFile('ida', 'Europe/Copenhagen').path));
      expect(runtime.effective.live.reload('test')).toMatchObject({ ok: true });
      expect(platform.reports.get(instructorsOf('ida'))).toContain('Course file accepted again: courses/ida.yaml has no errors now, and the schedule follows it.');
    } finally {
      await courses.stop();
    }
  });

  it('a targets change loads the new version first: one that cannot load leaves the old running, and its instructors hear one line', async () => {
    const { fleet: courses } = fleet();
    const file = courseFile('swp', 'Europe/Copenhagen');
    const old = await courses.add('swp', file, ownTargets);
    const platform = new FakePlatform();
    try {
      courses.start([platform]);
      writeFileSync(file.path, 'course: {id: swp}\nweeks: nope\n');
      await expect(courses.add('swp', file, ownTargets)).rejects.toBeInstanceOf(CourseFileError);
      // Still served, by the same runtime, where it was.
      expect(courses.runtimes).toEqual([old]);
      expect(courses.served().map((course) => [course.id, course.targets.slack?.announceChannel])).toEqual([['swp', announceOf('swp')]]);
      // (Its own file watch may report the broken file too, in its own words.)
      const kept = () => (platform.reports.get(instructorsOf('swp')) ?? []).filter((text) => text.includes('could not start again'));
      await vi.waitFor(() =>
        expect(kept()).toEqual([
          'courses/swp.yaml: the course could not start again where its changed targets say, so it runs on where it was: ' +
            'courses/swp.yaml:1:9 course.name: is required; courses/swp.yaml:1:9 course.timezone: is required; ' +
            'courses/swp.yaml:1:9 course.start: is required; courses/swp.yaml:2:1 weeks: expected a list of weeks, got string "nope"',
        ]),
      );
    } finally {
      await courses.stop();
    }
  });

  it('a targets change swapped in while the old version posts the morning announcement posts it once', async () => {
    // Wednesday 6 January 2027, 10:00 in Copenhagen: the morning announcement is due at once.
    const clock = { now: () => new Date('2027-01-06T09:00:00Z') };
    const config = loadConfig({ env: { STATE_DB: ':memory:' }, dotenv: false });
    const store = new MemoryStore();
    const courses = new CourseFleet({ config, store: () => store, logger: captureLogger().logger, clock: () => clock });
    const file = courseFile('gate', 'Europe/Copenhagen');
    const old = await courses.add('gate', file, ownTargets);
    const platform = new FakePlatform();
    // The announcement channel holds the first post until released: the old version is mid-post during the swap.
    const channel = platform.channel(announceOf('gate'));
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const post = channel.post.bind(channel);
    let attempts = 0;
    channel.post = async (message, options) => {
      attempts += 1;
      await held;
      return post(message, options);
    };
    const keyOf = `gate:2027-01-06:daily:fake:${announceOf('gate')}`;
    try {
      courses.start([platform]);
      await vi.waitFor(() => expect(attempts).toBe(1));
      // The course's instructor channel moves; its announcement channel stays.
      const doc = courseDoc({ course: { id: 'gate', name: 'Course gate', timezone: 'Europe/Copenhagen', start: '2027-01-04', dayStart: '09:00' } });
      writeFileSync(file.path, stringify({ ...doc, targets: { slack: { announceChannel: announceOf('gate'), instructorChannel: instructorsOf('moved') } } }));
      const swapping = courses.add('gate', file, ownTargets);
      // The new version is served (and has run its announcer) while the old one's post is still under way.
      await vi.waitFor(() => expect(courses.runtimes[0]).not.toBe(old));
      const fresh = courses.runtimes[0]!;
      expect(fresh.targets.slack?.instructorChannel).toBe(instructorsOf('moved'));
      release();
      await swapping;
      expect(courses.runtimes).toEqual([fresh]);
      // The new version asks for the claim itself: already posted, by the old one, once.
      expect(await fresh.admin.announce(alice)).toMatchObject({ sent: [], already: [keyOf] });
      expect(channel.posts.map((posted) => posted.key)).toEqual([keyOf]);
      expect(attempts).toBe(1);
    } finally {
      release();
      await courses.stop();
    }
  });

  it('an instructor command that began before its course started again acts through the course running now', async () => {
    const clock = { now: () => new Date('2027-01-06T09:00:00Z') };
    const config = loadConfig({ env: { STATE_DB: ':memory:' }, dotenv: false });
    const store = new MemoryStore();
    const courses = new CourseFleet({ config, store: () => store, logger: captureLogger().logger, clock: () => clock });
    const file = courseFile('dfr', 'Europe/Copenhagen');
    const old = await courses.add('dfr', file, ownTargets);
    const platform = new FakePlatform();
    const resolve = courseScopes(() => courses.served()).resolver('terminal');
    const ask = { place: { platform: 'terminal' as const }, asker: { actor: alice } };
    try {
      courses.start([platform]);
      const news = platform.channel(announceOf('dfr'));
      await vi.waitFor(() => expect(news.posts).toHaveLength(1));
      // A command's course is chosen (a deferred Discord command: acknowledged, then run) ...
      const scope = resolve(ask);
      if ('choose' in scope) throw new Error(scope.choose.text);
      // ... its course starts again meanwhile (its instructor channel moved) ...
      const doc = courseDoc({ course: { id: 'dfr', name: 'Course dfr', timezone: 'Europe/Copenhagen', start: '2027-01-04', dayStart: '09:00' } });
      writeFileSync(file.path, stringify({ ...doc, targets: { slack: { announceChannel: announceOf('dfr'), instructorChannel: instructorsOf('moved') } } }));
      const fresh = await courses.add('dfr', file, ownTargets);
      expect(fresh).not.toBe(old);
      // ... and then it runs: the change is noticed at once by the course that runs now (the stopped one posts nothing).
      expect(await scope.admin!.change({ kind: 'cancel', date: '2027-01-08', reason: 'ill' }, alice)).toMatchObject({ record: { id: 1 }, noticed: true });
      await vi.waitFor(() => expect(news.posts.map((post) => post.text).join('\n')).toContain('ill'));
      expect(news.posts).toHaveLength(2);
      expect(scope.admin!.history().map((entry) => entry.record.id)).toEqual([1]);
      // A command whose course was removed meanwhile changes nothing, and says why.
      await courses.remove('dfr');
      await expect(scope.admin!.undo(alice)).rejects.toThrow('The course "dfr" is no longer running here (its file was removed): nothing was done.');
      expect(store.listChanges('dfr').map((record) => record.undoneAt)).toEqual([undefined]);
    } finally {
      await courses.stop();
    }
  });
});
