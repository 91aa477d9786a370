import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LiveCourse } from '../../src/course-file/live-course.js';
import { PlanSource, fetchPlan, shownUrl } from '../../src/course-file/plan-source.js';
import { planTextsReader } from '../../src/course-file/plan.js';
import { CourseFileError, loadCourseFile } from '../../src/course-file/read.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { captureLogger } from '../support/log.js';
import { servedPlan, startPlanServer } from '../support/plan-server.js';

const PLAN = `# Plan

## Week 1

| Day | Topic | Frameworks |
|-----|-------|------------|
| Monday | Intro | Git |
`;

let server: Awaited<ReturnType<typeof startPlanServer>>;

beforeAll(async () => {
  server = await startPlanServer({
    '/plan.md': servedPlan(() => PLAN),
    '/gone.md': (_request, response) => response.writeHead(404, { 'content-type': 'text/plain' }).end('no'),
    '/broken.md': (_request, response) => response.writeHead(500).end('oops'),
    // Headers at once, then nothing: the answer never completes within the timeout.
    '/slow.md': (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/markdown' });
      response.write('# Plan\n');
    },
    '/huge.md': (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/markdown' });
      response.end('x'.repeat(5 * 1024 * 1024));
    },
    '/huge-declared.md': (_request, response) => {
      response.writeHead(200, { 'content-type': 'text/markdown', 'content-length': String(5 * 1024 * 1024) });
      response.end('x'.repeat(5 * 1024 * 1024));
    },
    '/loop-a': (_request, response) => response.writeHead(302, { location: '/loop-b' }).end(),
    '/loop-b': (_request, response) => response.writeHead(302, { location: '/loop-a' }).end(),
    '/moved': (_request, response) => response.writeHead(301, { location: '/plan.md' }).end(),
    '/elsewhere': (_request, response) => response.writeHead(302, { location: 'http://example.org/plan.md' }).end(),
    '/binary.md': (_request, response) => response.writeHead(200).end(Buffer.from([0xff, 0xfe, 0x00, 0x41])),
  });
});

afterAll(() => server.close());

describe('fetchPlan against a local server', () => {
  it('200 with an ETag gives the text and its validators; the same tag again gives 304 (unchanged)', async () => {
    const first = await fetchPlan(server.url('/plan.md'));
    expect(first).toMatchObject({ kind: 'new', text: PLAN, etag: expect.stringMatching(/^".+"$/) as unknown });
    const etag = (first as { etag: string }).etag;
    expect(await fetchPlan(server.url('/plan.md'), { etag })).toEqual({ kind: 'unchanged' });
    expect(server.requests.at(-1)!.headers['if-none-match']).toBe(etag);
  });

  it('404 and 500 fail with the status, in one line', async () => {
    expect(await fetchPlan(server.url('/gone.md'))).toEqual({
      kind: 'failed',
      reason: 'HTTP 404 Not Found (a private repository needs PLAN_SOURCE_TOKEN)',
    });
    expect(await fetchPlan(server.url('/broken.md'))).toEqual({ kind: 'failed', reason: 'HTTP 500 Internal Server Error' });
  });

  it('a slow answer fails after the timeout', async () => {
    expect(await fetchPlan(server.url('/slow.md'), { limits: { timeoutMs: 300 } })).toEqual({
      kind: 'failed',
      reason: 'no complete answer within 0.3 s',
    });
  });

  it('a 5 MB answer fails, declared or not, without reading it all', async () => {
    expect(await fetchPlan(server.url('/huge.md'))).toEqual({ kind: 'failed', reason: 'the plan is more than the 1.0 MB a plan may be' });
    expect(await fetchPlan(server.url('/huge-declared.md'))).toEqual({
      kind: 'failed',
      reason: 'the plan is 5.0 MB, more than the 1.0 MB a plan may be',
    });
  });

  it('follows a redirect, refuses a loop after 5 and a redirect to plain http elsewhere', async () => {
    expect(await fetchPlan(server.url('/moved'))).toMatchObject({ kind: 'new', text: PLAN });
    const before = server.requests.length;
    expect(await fetchPlan(server.url('/loop-a'))).toEqual({ kind: 'failed', reason: 'more than 5 redirects (a redirect loop?)' });
    expect(server.requests.length - before).toBe(6);
    expect(await fetchPlan(server.url('/elsewhere'))).toEqual({
      kind: 'failed',
      reason: 'a redirect to http://example.org/plan.md, which is not https://',
    });
  });

  it('refuses bytes that are not UTF-8, and a server that is down', async () => {
    expect(await fetchPlan(server.url('/binary.md'))).toEqual({
      kind: 'failed',
      reason: 'the answer is not UTF-8 text (is the URL the raw Markdown file?)',
    });
    const down = await startPlanServer({});
    const url = down.url('/plan.md');
    await down.close();
    expect(await fetchPlan(url)).toEqual({ kind: 'failed', reason: 'connection refused' });
  });

  it('sends PLAN_SOURCE_TOKEN as a bearer token to the plan’s origin only', async () => {
    await fetchPlan(server.url('/plan.md'), { token: 'secret-token' });
    expect(server.requests.at(-1)!.headers.authorization).toBe('Bearer secret-token');
  });

  it('shows a URL without its credentials or query', () => {
    expect(shownUrl('https://user:pw@example.org/a/plan.md?private_token=abc')).toBe('https://example.org/a/plan.md?…');
  });
});

describe('PlanSource: a course that follows a plan URL', () => {
  const TWO = PLAN.replace('| Monday | Intro | Git |', '| Monday | Intro | Git |\n| Tuesday | Testing | pytest |');
  const BAD = PLAN.replace('| Monday |', '| Mondai |');

  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  async function setup(served: { text: string; status?: number }) {
    const source = await startPlanServer({
      '/course-plan.md': (request, response) => {
        if (served.status !== undefined) response.writeHead(served.status).end('down');
        else servedPlan(() => served.text)(request, response);
      },
    });
    const dir = mkdtempSync(join(tmpdir(), 'plan-source-'));
    dirs.push(dir);
    const path = join(dir, 'course.yaml');
    writeFileSync(
      path,
      `course: { id: demo, name: Demo, timezone: Europe/Copenhagen, start: 2027-01-04 }\nplan:\n  source: ${source.url('/course-plan.md')}\n  refresh: 10s\n`,
    );
    const store = new MemoryStore();
    const told: string[] = [];
    const make = () => {
      const { logger, lines } = captureLogger();
      return { plans: new PlanSource({ store, logger, tell: (text) => told.push(text), now: () => new Date('2027-01-03T12:00:00Z') }), lines };
    };
    return { source, path, store, told, make };
  }

  it('fetches at start, keeps the copy, follows a change, and keeps the last good schedule through failures', async () => {
    const served = { text: PLAN } as { text: string; status?: number };
    const { source, path, store, told, make } = await setup(served);
    try {
      const { plans } = make();
      const loaded = await plans.load(path, 'course.yaml');
      expect(loaded.course.sessions.map((session) => session.topic)).toEqual(['Intro']);
      expect(loaded.plan).toMatchObject({ kind: 'url', refreshMs: 10_000 });
      expect(JSON.parse(store.getValue('plan-cache:demo')!)).toMatchObject({ url: source.url('/course-plan.md'), text: PLAN, fetchedAt: '2027-01-03T12:00:00.000Z' });

      const changes: string[] = [];
      const invalid: string[] = [];
      const live = new LiveCourse({
        path,
        label: 'course.yaml',
        initial: loaded,
        logger: captureLogger().logger,
        read: { plan: plans.reader },
        onChange: () => changes.push('change'),
        onInvalid: (error) => invalid.push(error.message),
      });
      const stop = plans.follow(live);
      try {
        expect(await plans.refresh('webhook')).toBe('unchanged');
        served.text = TWO;
        expect(await plans.refresh('webhook')).toBe('changed');
        expect(live.course.sessions.map((session) => session.topic)).toEqual(['Intro', 'Testing']);
        expect(changes).toEqual(['change']);

        served.status = 500;
        expect(await plans.refresh('refresh')).toBe('failed');
        expect(await plans.refresh('refresh')).toBe('failed');
        expect(told).toEqual([expect.stringMatching(/^The plan at http:\/\/127\.0\.0\.1:\d+\/course-plan\.md cannot be fetched \(HTTP 500 Internal Server Error\); the last good schedule stays live/)]);
        expect(live.course.sessions).toHaveLength(2);

        delete served.status;
        served.text = BAD;
        expect(await plans.refresh('refresh')).toBe('refused');
        // The same bad plan again (no 304 for it once tags are kept): not tried, not reported again.
        expect(await plans.refresh('refresh')).toBe('unchanged');
        expect(told).toHaveLength(2);
        expect(told[1]).toMatch(/can be fetched again/);
        expect(invalid).toHaveLength(1);
        expect(invalid[0]).toMatch(/Week 1, row 1: "Mondai" is not a weekday/);
        expect(live.course.sessions.map((session) => session.topic)).toEqual(['Intro', 'Testing']);
        // A course-file reload meanwhile reads the last good copy, not the refused one.
        expect(live.reload('SIGHUP').ok).toBe(true);
        expect(live.course.sessions).toHaveLength(2);

        served.text = PLAN;
        expect(await plans.refresh('webhook')).toBe('changed');
        expect(live.course.sessions.map((session) => session.topic)).toEqual(['Intro']);
        expect(changes).toEqual(['change', 'change']);
      } finally {
        stop();
      }

      // A restart while the URL is down starts on the kept copy, and says so in one line.
      served.status = 503;
      const restarted = make();
      const again = await restarted.plans.load(path, 'course.yaml');
      expect(again.course.sessions.map((session) => session.topic)).toEqual(['Intro']);
      const warned = restarted.lines.filter((line) => line.includes('starting on the copy'));
      expect(warned).toHaveLength(1);
      expect(warned[0]).toMatch(/plan URL cannot be fetched \(HTTP 503 Service Unavailable\); starting on the copy fetched at 2027-01-03T12:00:00.000Z/);
      expect(restarted.plans.status).toMatchObject({ failing: true, startedOnCache: true });
      expect(restarted.plans.startNotice()).toMatch(/could not be fetched at start; the bot runs on the copy fetched at 2027-01-03T12:00:00.000Z/);
      expect(restarted.plans.startNotice()).toBeUndefined();
      // The same text as data, for a reload in a worker thread: the same course.
      const texts = restarted.plans.texts();
      expect(Object.keys(texts)).toEqual([source.url('/course-plan.md')]);
      const viaData = loadCourseFile(path, 'course.yaml', { plan: planTextsReader(structuredClone(texts)) });
      expect(viaData.course.sessions).toEqual(again.course.sessions);
      expect(() => loadCourseFile(path, 'course.yaml', { plan: planTextsReader({}) })).toThrow(/plan\.source: .* has not been fetched yet/);
    } finally {
      await source.close();
    }
  });

  it('checks the URL again every plan.refresh, without a webhook', async () => {
    const served = { text: PLAN } as { text: string; status?: number };
    const { source, path, make } = await setup(served);
    const { plans } = make();
    const live = new LiveCourse({ path, label: 'course.yaml', initial: await plans.load(path, 'course.yaml'), logger: captureLogger().logger, read: { plan: plans.reader } });
    // plan.refresh is at least 10 s in a course file: this test checks every 100 ms instead.
    const real = live.loaded;
    vi.spyOn(live, 'loaded', 'get').mockImplementation(() => (live.course === real.course ? { ...real, plan: { ...real.plan!, refreshMs: 100 } } : real));
    const stop = plans.follow(live);
    try {
      const asked = source.requests.length;
      served.text = TWO;
      for (let waited = 0; waited < 10_000 && live.course.sessions.length < 2; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(live.course.sessions.map((session) => session.topic)).toEqual(['Intro', 'Testing']);
      expect(source.requests.length).toBeGreaterThan(asked);
    } finally {
      stop();
      await source.close();
    }
  });

  it('cannot start on a URL that fails with no copy kept: one line naming plan.source', async () => {
    const { source, path, make } = await setup({ text: PLAN, status: 404 });
    try {
      const error = await make().plans.load(path, 'course.yaml').catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(CourseFileError);
      expect((error as Error).message.split('\n')[1]).toMatch(
        /^course\.yaml plan\.source: http:\/\/127\.0\.0\.1:\d+\/course-plan\.md could not be fetched \(HTTP 404 Not Found \(a private repository needs PLAN_SOURCE_TOKEN\)\) and no copy of it is kept yet: check the URL and the network, then start again$/,
      );
    } finally {
      await source.close();
    }
  });
});
