import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InteractionResponseType } from 'discord-api-types/v10';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDiscord, chatInput } from '../fakes/discord/index.js';
import { type RunningChild, spawnCli, SPAWN_TIMEOUT } from '../support/child.js';
import { dataOf } from '../support/discord.js';
import { servedPlan, startPlanServer } from '../support/plan-server.js';

const TIMEOUT = SPAWN_TIMEOUT;
const SECRET = 'the-plan-webhook-secret-for-tests';
const TOKEN = 'plan-source-token-never-logged';
const ANNOUNCE = '1100000000000000002';
const INSTRUCTORS = '1100000000000000003';

const PLAN = `# Machine Learning Operations: time plan

## Week 1: Development practices

| Date | Day | Topic | Frameworks |
|------|-----|-------|------------|
| 4/1/2027 | Monday | Deep learning software | Conda, PyTorch |
| 5/1/2027 | Tuesday | Testing | pytest |
| 6/1/2027 | Wednesday | Containers | Docker |
`;
const CHANGED = PLAN.replace('| Testing |', '| Unit testing and coverage |');

/**
 * A course that follows its plan at a URL, end to end: the real bot (as `npm start` runs it) against the fake
 * Discord and a local server holding the plan; a signed webhook makes it fetch at once.
 */
describe('a bot following a plan URL', () => {
  let fake: FakeDiscord;
  let dir: string;
  let bot: RunningChild;
  let plans: Awaited<ReturnType<typeof startPlanServer>>;
  let served = PLAN;
  let status: number | undefined;
  let hookUrl = '';

  const env = () => ({
    DISCORD_TOKEN: fake.token,
    DISCORD_API_URL: fake.apiUrl,
    DISCORD_GUILD_ID: fake.guildId,
    DISCORD_ANNOUNCE_CHANNEL_ID: ANNOUNCE,
    DISCORD_INSTRUCTOR_CHANNEL_ID: INSTRUCTORS,
    STATE_DB: join(dir, 'state.db'),
    COURSE_FILE: join(dir, 'course.yaml'),
    HTTP_PORT: '0',
    HTTP_HOST: '127.0.0.1',
    PLAN_WEBHOOK_SECRET: SECRET,
    PLAN_SOURCE_TOKEN: TOKEN,
  });
  const startBot = async () => {
    const child = spawnCli(['start', '--at', '2027-01-05T10:00'], env());
    const listening = await child.waitForOutput(/http server listening/, 30_000);
    hookUrl = `http://127.0.0.1:${(JSON.parse(listening) as { port: number }).port}/hooks/plan`;
    await child.waitForOutput(/slash commands (registered|unchanged)/, 30_000);
    return child;
  };
  const today = async (): Promise<string> => {
    const { callback } = await fake.interact(chatInput('today'), { timeoutMs: 10_000 });
    expect(callback.type).toBe(InteractionResponseType.ChannelMessageWithSource);
    return JSON.stringify(dataOf(callback));
  };
  const notices = () => fake.messages(ANNOUNCE).filter((message) => message.embeds?.[0]?.title?.startsWith('Schedule change'));
  const hook = (body: string, signature: string) =>
    fetch(hookUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': signature }, body });
  const sign = (body: string, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'course-bot-plan-url-'));
    plans = await startPlanServer({
      '/timeplan.md': (request, response) => {
        if (status !== undefined) response.writeHead(status).end('down');
        else servedPlan(() => served)(request, response);
      },
    });
    writeFileSync(
      join(dir, 'course.yaml'),
      [
        'course: { id: mlops, name: Machine Learning Operations, timezone: Europe/Copenhagen, dayStart: "09:00" }',
        'announcements: { time: "08:00" }',
        'plan:',
        `  source: ${plans.url('/timeplan.md')}`,
        '  refresh: 1h',
        '',
      ].join('\n'),
    );
    fake = await FakeDiscord.start({ heartbeatInterval: 1_000, guilds: [{ id: '1100000000000000001', channels: [ANNOUNCE, INSTRUCTORS] }] });
    bot = await startBot();
  }, TIMEOUT);

  afterAll(async () => {
    await bot?.stop();
    await fake?.close();
    await plans?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts on the plan fetched from the URL, with PLAN_SOURCE_TOKEN as a bearer token', async () => {
    expect(plans.requests).toHaveLength(1);
    expect(plans.requests[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(await today()).toContain('Testing');
  });

  it('a wrong signature gets 401 and changes nothing (the plan is not even fetched)', async () => {
    served = CHANGED;
    const asked = plans.requests.length;
    const body = JSON.stringify({ ref: 'refs/heads/main' });
    expect((await hook(body, sign(body, 'not-the-secret-at-all'))).status).toBe(401);
    expect((await hook(body, sign(`${body}\n`))).status).toBe(401);
    expect(plans.requests.length).toBe(asked);
    const answer = await today();
    expect(answer).toContain('Testing');
    expect(answer).not.toContain('Unit testing');
    expect(notices()).toHaveLength(0);
  });

  it('a signed webhook after a push: one notice, and /today answers from the new plan within seconds', async () => {
    const body = JSON.stringify({ ref: 'refs/heads/main', commits: [{ modified: ['pages/timeplan.md'] }] });
    expect((await hook(body, sign(body))).status).toBe(202);
    await fake.waitFor(() => (notices().length > 0 ? true : undefined), { timeoutMs: 15_000, what: 'the schedule change notice' });
    expect(await today()).toContain('Unit testing and coverage');
    // The same push delivered twice (GitHub redelivers): the plan is unchanged (304), no second notice.
    expect((await hook(body, sign(body))).status).toBe(202);
    await bot.waitForOutput(/plan webhook accepted/);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(notices()).toHaveLength(1);
    expect(JSON.stringify(notices()[0])).toContain('Unit testing and coverage');
    const { stdout, stderr } = bot.output();
    expect(stdout + stderr).not.toContain(TOKEN);
    expect(stdout + stderr).not.toContain(SECRET);
  });

  it('a pushed plan with a mistake is refused: instructors are told it is the plan, the last good schedule stays', async () => {
    served = CHANGED.replace('| 6/1/2027 | Wednesday |', '| 6/1/2027 | Friday |');
    const body = JSON.stringify({ ref: 'refs/heads/main' });
    expect((await hook(body, sign(body))).status).toBe(202);
    const told = await fake.waitFor(
      () => fake.messages(INSTRUCTORS).find((message) => message.content?.startsWith('The time plan was not taken')),
      { timeoutMs: 15_000, what: 'the instructors told that the plan was refused' },
    );
    expect(told.content).toMatch(/^The time plan was not taken; the last good schedule stays live\.\n/);
    expect(told.content).toMatch(/timeplan\.md:9:1 Week 1, row 3: 6\/1\/2027 is a Wednesday, but the Day column says Friday/);
    expect(await today()).toContain('Unit testing and coverage');
    expect(notices()).toHaveLength(1);
    served = CHANGED;
  });

  it('starts on the kept copy when the URL is down at a restart, and says so', async () => {
    await bot.stop();
    status = 503;
    bot = await startBot();
    expect(bot.output().stderr + bot.output().stdout).toMatch(/plan URL cannot be fetched \(HTTP 503 Service Unavailable\); starting on the copy fetched at/);
    expect(await today()).toContain('Unit testing and coverage');
    // The instructors hear it once, when the bot is up.
    const told = await fake.waitFor(
      () => fake.messages(INSTRUCTORS).find((message) => message.content?.includes('could not be fetched at start')),
      { timeoutMs: 10_000, what: 'the instructors told that the bot started on the kept copy' },
    );
    expect(told.content).toMatch(/^The plan at http:\/\/127\.0\.0\.1:\d+\/timeplan\.md could not be fetched at start; the bot runs on the copy fetched at /);
    const { stdout, stderr } = bot.output();
    expect(stdout + stderr).not.toContain(TOKEN);
    expect(stdout + stderr).not.toContain(SECRET);
  });
}, TIMEOUT);
