import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { PLAN_HOOK_MAX_BYTES, githubSignatureValid, planHook } from '../../src/course-file/plan-hook.js';
import { type RunningHttpServer, oneCalendar, startHttpServer } from '../../src/observability/http.js';
import { Metrics } from '../../src/observability/metrics.js';
import { captureLogger } from '../support/log.js';

const SECRET = 'a-webhook-secret-of-some-length';
const BODY = JSON.stringify({ ref: 'refs/heads/main', commits: [{ modified: ['pages/timeplan.md'] }] });
const sign = (body: string, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

describe('POST /hooks/plan', () => {
  let server: RunningHttpServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  const start = async (secret: string | null = SECRET) => {
    const refreshes: number[] = [];
    const { logger, lines } = captureLogger();
    server = await startHttpServer({
      port: 0,
      host: '127.0.0.1',
      logger,
      metrics: new Metrics(),
      health: () => ({ database: 'ok' }),
      calendars: oneCalendar('x', () => ({ ics: '', name: 'x' })),
      planHook: planHook({ ...(secret !== null && { secret }), refresh: () => refreshes.push(1), logger }),
    });
    const post = (headers: Record<string, string>, body: string = BODY) =>
      fetch(`http://127.0.0.1:${server!.port}/hooks/plan`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    return { refreshes, lines, post };
  };

  it("accepts GitHub's signature and GitLab's token made with the secret, and fetches once per call", async () => {
    const { refreshes, post } = await start();
    const github = await post({ 'x-hub-signature-256': sign(BODY), 'x-github-event': 'push' });
    expect(github.status).toBe(202);
    expect(await github.text()).toBe('Accepted: fetching the plan\n');
    expect((await post({ 'x-gitlab-token': SECRET, 'x-gitlab-event': 'Push Hook' })).status).toBe(202);
    expect(refreshes).toHaveLength(2);
  });

  it('refuses everything else with 401 and fetches nothing, never logging the secret', async () => {
    const { refreshes, post, lines } = await start();
    const wrong: Record<string, string>[] = [
      {},
      { 'x-hub-signature-256': sign(BODY, 'another-secret-entirely') },
      { 'x-hub-signature-256': sign(`${BODY} `) },
      { 'x-hub-signature-256': sign(BODY).replace('sha256=', 'sha1=') },
      { 'x-hub-signature-256': sign(BODY).slice(0, -2) },
      { 'x-hub-signature-256': 'sha256=' },
      { 'x-gitlab-token': `${SECRET}x` },
      { 'x-gitlab-token': SECRET.slice(0, -1) },
      { 'x-gitlab-token': '' },
      { authorization: `Bearer ${SECRET}` },
    ];
    const statuses = [];
    for (const headers of wrong) statuses.push((await post(headers)).status);
    expect(statuses).toEqual(wrong.map(() => 401));
    expect(refreshes).toHaveLength(0);
    expect(lines.join('')).not.toContain(SECRET);
    expect(lines.filter((line) => line.includes('plan webhook refused (401)'))).toHaveLength(wrong.length);
  });

  it('refuses every call when PLAN_WEBHOOK_SECRET is not set, saying so', async () => {
    const { refreshes, post } = await start(null);
    const response = await post({ 'x-hub-signature-256': sign(BODY) });
    expect(response.status).toBe(401);
    expect(await response.text()).toBe('Unauthorized: PLAN_WEBHOOK_SECRET is not set on the bot\n');
    expect(refreshes).toHaveLength(0);
  });

  it('refuses a body over the limit with 413, and GET with 405', async () => {
    const { refreshes, post } = await start();
    const big = 'x'.repeat(PLAN_HOOK_MAX_BYTES + 1);
    expect((await post({ 'x-hub-signature-256': sign(big) }, big)).status).toBe(413);
    expect((await fetch(`http://127.0.0.1:${server!.port}/hooks/plan`)).status).toBe(405);
    expect(refreshes).toHaveLength(0);
  });

  it('checks the signature of the raw bytes', () => {
    const body = Buffer.from(BODY);
    expect(githubSignatureValid(sign(BODY), body, SECRET)).toBe(true);
    expect(githubSignatureValid(sign(BODY), Buffer.from(JSON.stringify(JSON.parse(BODY), null, 1)), SECRET)).toBe(false);
  });
});
