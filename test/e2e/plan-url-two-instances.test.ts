import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDiscord } from '../fakes/discord/index.js';
import { type RunningChild, spawnCli, SPAWN_TIMEOUT } from '../support/child.js';
import { servedPlan, startPlanServer } from '../support/plan-server.js';

const SECRET = 'the-plan-webhook-secret-for-tests';
const ANNOUNCE = '1100000000000000002';
const INSTRUCTORS = '1100000000000000003';
const PLAN = `# Machine Learning Operations

## Week 1

| Date | Day | Topic | Frameworks |
|------|-----|-------|------------|
| 4/1/2027 | Monday | Deep learning software | PyTorch |
| 5/1/2027 | Tuesday | Testing | pytest |
`;

/**
 * Two instances of the bot (a rolling restart, a standby) on one state database follow one plan URL: a push
 * reaches both (each fetches it), and students are told once.
 */
describe('two bots following one plan URL', () => {
  let fake: FakeDiscord;
  let dir: string;
  let plans: Awaited<ReturnType<typeof startPlanServer>>;
  let served = PLAN;
  const bots: { child: RunningChild; hook: string }[] = [];

  const start = async () => {
    const child = spawnCli(['start', '--at', '2027-01-04T10:00'], {
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
    });
    const listening = await child.waitForOutput(/http server listening/, 30_000);
    await child.waitForOutput(/slash commands (registered|unchanged)/, 30_000);
    return { child, hook: `http://127.0.0.1:${(JSON.parse(listening) as { port: number }).port}/hooks/plan` };
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'course-bot-plan-two-'));
    plans = await startPlanServer({ '/timeplan.md': (request, response) => servedPlan(() => served)(request, response) });
    writeFileSync(
      join(dir, 'course.yaml'),
      `course: { id: mlops, name: Machine Learning Operations, timezone: Europe/Copenhagen }\nplan:\n  source: ${plans.url('/timeplan.md')}\n  refresh: 1h\n`,
    );
    fake = await FakeDiscord.start({ heartbeatInterval: 1_000, guilds: [{ id: '1100000000000000001', channels: [ANNOUNCE, INSTRUCTORS] }] });
    bots.push(await start());
    bots.push(await start());
  }, SPAWN_TIMEOUT);

  afterAll(async () => {
    for (const bot of bots) await bot.child.stop();
    await fake?.close();
    await plans?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a push signalled to both: each takes the new plan, one "Schedule change" notice', async () => {
    served = PLAN.replace('| Testing |', '| Unit testing and coverage |');
    const body = JSON.stringify({ ref: 'refs/heads/main' });
    const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
    const answers = await Promise.all(
      bots.map(({ hook }) =>
        fetch(hook, { method: 'POST', headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': signature }, body }),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual([202, 202]);
    for (const { child } of bots) await child.waitForOutput(/course file reloaded.*plan fetched|plan fetched.*course file reloaded/, 30_000);
    const notices = () => fake.messages(ANNOUNCE).filter((message) => message.embeds?.[0]?.title?.startsWith('Schedule change'));
    await fake.waitFor(() => (notices().length > 0 ? true : undefined), { timeoutMs: 15_000, what: 'the schedule change notice' });
    // Time for a second notice to arrive, were there one.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(notices()).toHaveLength(1);
    expect(JSON.stringify(notices()[0])).toContain('Unit testing and coverage');
  });
});
