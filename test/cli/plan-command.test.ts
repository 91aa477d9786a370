import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planCacheKey } from '../../src/course-file/plan-source.js';
import { SqliteStore } from '../../src/store/sqlite-store.js';
import { runMain } from '../support/main.js';
import { servedPlan, startPlanServer } from '../support/plan-server.js';

const PLAN = `# Plan

## Week 1

| Date | Day | Topic | Frameworks |
|------|-----|-------|------------|
| 4/1/2027 | Monday | Intro | Git |
| 5/1/2027 | Tuesday | Testing | pytest |
`;

let dir: string;
let server: Awaited<ReturnType<typeof startPlanServer>>;
let status: number | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'plan-command-'));
  server = await startPlanServer({
    '/plan.md': (request, response) => {
      if (status !== undefined) response.writeHead(status).end();
      else servedPlan(() => PLAN)(request, response);
    },
  });
  const course = (source: string) => `course: { id: demo, name: Demo, timezone: Europe/Copenhagen }\nplan:\n  source: ${source}\n  refresh: 30s\n`;
  writeFileSync(join(dir, 'local.yaml'), course('plan.md'));
  writeFileSync(join(dir, 'plan.md'), PLAN);
  writeFileSync(join(dir, 'url.yaml'), course(server.url('/plan.md')));
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('course-bot plan and validate with a plan', () => {
  it('names a local plan file', async () => {
    const run = await runMain(['plan', '--course', join(dir, 'local.yaml'), '--state-db', ':memory:']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Schedule from: the plan file ');
    expect(run.stdout).toMatch(/plan\.md \(watched: saving it reloads the schedule\)/);
    expect(run.stdout).toContain('Schedule: Demo (demo): 1 week, 2 sessions');
    expect(run.stdout).toContain('Warnings: none');
  });

  it('lists the plan import warnings once each, with the plan file and line', async () => {
    writeFileSync(join(dir, 'linked.md'), PLAN.replace('| Intro |', '| [Intro](slides/intro.pdf) |'));
    writeFileSync(join(dir, 'linked.yaml'), 'course: { id: demo, name: Demo, timezone: Europe/Copenhagen }\nplan:\n  source: linked.md\n');
    const run = await runMain(['plan', '--course', join(dir, 'linked.yaml'), '--state-db', ':memory:']);
    expect(run.code).toBe(0);
    const warnings = run.stdout.split('\n').filter((line) => line.includes('slides/intro.pdf'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^ {2}\S*linked\.md:7 Week 1, row 1: relative link slides\/intro\.pdf dropped: give plan\.source as a URL to keep it as a resource$/);
  });

  it('validate fetches a plan URL; plan shows the copy the bot keeps, or that there is none yet', async () => {
    const valid = await runMain(['validate', join(dir, 'url.yaml')]);
    expect(valid.code).toBe(0);
    expect(valid.stdout).toContain('valid. Demo (demo): 1 week, 2 sessions');

    const db = join(dir, 'state.db');
    const never = await runMain(['plan', '--course', join(dir, 'url.yaml'), '--state-db', db]);
    expect(never.code).toBe(0);
    expect(never.stdout).toContain(`Schedule from: the plan at ${server.url('/plan.md')}`);
    expect(never.stdout).toContain('Last fetched: never');

    const store = new SqliteStore(db);
    store.setValue(
      planCacheKey('demo'),
      JSON.stringify({ url: server.url('/plan.md'), text: PLAN, etag: '"abc"', fetchedAt: '2027-01-03T12:00:00.000Z' }),
    );
    store.close();
    const kept = await runMain(['plan', '--course', join(dir, 'url.yaml'), '--state-db', db]);
    const asked = await runMain(['ask', '/today', '--at', '2027-01-05T10:00', '--course', join(dir, 'url.yaml'), '--state-db', db]);
    expect(asked.code).toBe(0);
    expect(asked.stdout).toContain('Testing');
    expect(kept.stdout.split('\n').slice(1, 4)).toEqual([
      `Schedule from: the plan at ${server.url('/plan.md')} (checked every 30s, and on POST /hooks/plan)`,
      'Last fetched: 2027-01-03T12:00:00.000Z',
      'ETag: "abc"',
    ]);
  });

  it('announce --now reads a plan URL from the copy the bot keeps, and says in one line when there is none', async () => {
    const env = { COURSE_FILE: join(dir, 'url.yaml'), STATE_DB: join(dir, 'now.db'), LOG_LEVEL: 'silent' };
    const none = await runMain(['announce', '--now'], env);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/plan\.source: .* has not been fetched by a bot using this state database yet/);
    expect(none.stderr).not.toMatch(/\n\s+at /);
    const store = new SqliteStore(env.STATE_DB);
    store.setValue(planCacheKey('demo'), JSON.stringify({ url: server.url('/plan.md'), text: PLAN, fetchedAt: '2027-01-03T12:00:00.000Z' }));
    store.close();
    const kept = await runMain(['announce', '--now'], env);
    expect(kept.stderr).toBe('');
    expect(kept.code).toBe(0);
    // Today is not a session day of the plan (January 2027): the course was read, and nothing is posted.
    expect(kept.stdout).toMatch(/^No announcement on .*: there is no session that day\.\n$/);
  });

  it('ask without a kept copy says what to do in one line', async () => {
    const run = await runMain(['ask', '/today', '--course', join(dir, 'url.yaml'), '--state-db', ':memory:']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/plan\.source: http:\/\/127\.0\.0\.1:\d+\/plan\.md has not been fetched by a bot using this state database yet: `course-bot start` fetches it/);
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('validate names a URL it cannot fetch in one line, exit 1', async () => {
    status = 404;
    try {
      const run = await runMain(['validate', join(dir, 'url.yaml')]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/plan\.source: http:\/\/127\.0\.0\.1:\d+\/plan\.md could not be fetched \(HTTP 404 Not Found/);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    } finally {
      status = undefined;
    }
  });
});
