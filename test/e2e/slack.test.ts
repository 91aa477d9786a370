import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeDiscord } from '../fakes/discord/index.js';
import { FakeSlack, signedRequest, slashCommandBody } from '../fakes/slack/index.js';
import { type RunningChild, runCli, spawnCli, SPAWN_TIMEOUT } from '../support/child.js';

const TIMEOUT = SPAWN_TIMEOUT;
const CHANNEL = 'C0GENERAL01';
const STUDENT = 'U0STUDENT01';
const TEACHER = 'U0TEACHER01';
const SECRET = 'test-signing-secret-0123456789';

/** Every student command, its text, and the title its answer must have. */
const STUDENT_COMMANDS: readonly [string, string, RegExp][] = [
  ['/today', '', /Week 1 · Tuesday 5 January 2027/],
  ['/tomorrow', '', /Week 1 · Wednesday 6 January 2027/],
  ['/week', '2', /Week 2 · Scalability/],
  ['/next', '', /Next \(tomorrow\)/],
  ['/schedule', '', /Machine Learning Operations: schedule/],
  ['/resources', 'hydra', /Resources for "hydra"/],
  ['/setup', '', /Getting set up/],
  ['/help', '', /Machine Learning Operations: commands/],
];

interface Reply {
  response_type?: string;
  text?: string;
  blocks?: { type: string; text?: { text: string } }[];
}

/** Every text of a reply's blocks, joined: what a reader sees. */
function shown(reply: Reply | undefined): string {
  return (reply?.blocks ?? []).map((block) => JSON.stringify(block)).join('\n');
}

/**
 * Slack, end to end: the real Bolt app as `npm start` runs it, against the local fake Slack in Socket
 * Mode and in HTTP mode.
 */
describe('the Slack app, end to end against a local fake Slack', () => {
  let fake: FakeSlack;
  let dir: string;
  let bots: RunningChild[];

  const env = (extra: Record<string, string> = {}) => ({
    SLACK_BOT_TOKEN: fake.botToken,
    SLACK_APP_TOKEN: fake.appToken,
    SLACK_API_URL: fake.apiUrl,
    SLACK_ANNOUNCE_CHANNEL: CHANNEL,
    SLACK_INSTRUCTOR_USERGROUP: 'S0TUTORS01',
    STATE_DB: join(dir, 'state.db'),
    COURSE_FILE: join(dir, 'course.yaml'),
    ANNOUNCE_LEASE_SECONDS: '2',
    ...extra,
  });
  const startBot = async (at: string, extra: Record<string, string> = {}, ready = /slack ready/) => {
    const bot = spawnCli(['start', '--at', at], env(extra));
    bots.push(bot);
    await bot.waitForOutput(ready, 30_000);
    return bot;
  };
  const announcements = () => fake.messages(CHANNEL).filter((message) => message.metadata?.event_type === 'course_bot_post');
  const morning = () => announcements().filter((message) => String(message.metadata?.event_payload?.key).includes(':daily:'));

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'course-bot-slack-'));
    // A topic that tries to notify the whole channel.
    writeFileSync(
      join(dir, 'course.yaml'),
      readFileSync('data/course.yaml', 'utf8').replace('topic: Deployment', 'topic: "Deployment <!channel> <!here> <@U0STUDENT01>"'),
    );
    fake = await FakeSlack.start({ pingIntervalMs: 0 });
    bots = [];
  });

  afterEach(async () => {
    await Promise.all(bots.map((bot) => bot.stop('SIGKILL')));
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers every student command in Socket Mode, in the ack, ephemerally, as Block Kit with a text fallback', { timeout: TIMEOUT }, async () => {
    await startBot('2027-01-05T10:00');
    await fake.connected();
    for (const [command, text, title] of STUDENT_COMMANDS) {
      const ack = await fake.slashCommand({ command, text, user_id: STUDENT, channel_id: CHANNEL });
      const reply = ack.payload as Reply;
      expect(reply.response_type).toBe('ephemeral');
      expect(reply.text).toMatch(title);
      expect(reply.blocks?.[0]?.type).toBe('header');
    }
    const bad = (await fake.slashCommand({ command: '/week', text: '9', user_id: STUDENT })).payload as Reply;
    expect(bad).toMatchObject({ response_type: 'ephemeral', text: 'There is no week 9. The course has weeks 1, 2, 3.' });
  });

  it('escapes course text so <!channel>, <!here> and user mentions never notify', { timeout: TIMEOUT }, async () => {
    await startBot('2027-01-05T10:00');
    await fake.connected();
    const reply = (await fake.slashCommand({ command: '/today', text: '2027-01-20', user_id: STUDENT })).payload as Reply;
    expect(reply.text).toContain('Deployment &lt;!channel&gt; &lt;!here&gt; &lt;@U0STUDENT01&gt;');
    expect(`${reply.text}${shown(reply)}`).not.toMatch(/<!channel>|<!here>|<@U0STUDENT01>/);
  });

  it('lets instructors change the schedule and refuses students, who get told ephemerally', { timeout: TIMEOUT }, async () => {
    const bot = await startBot('2027-01-05T10:00');
    await fake.connected();
    await fake.slashCommand({ command: '/course', text: 'cancel 2027-01-06', user_id: STUDENT, channel_id: CHANNEL });
    const refused = await fake.waitForResponse((response) => response.user === STUDENT);
    expect(refused.body).toMatchObject({ response_type: 'ephemeral', text: 'Only instructors can use this command.' });
    await bot.waitForOutput(new RegExp(`"user":"${STUDENT}".*instructor command refused`));

    await fake.slashCommand({ command: '/course', text: 'cancel 2027-01-06 reason: "guest lecturer ill"', user_id: TEACHER, channel_id: CHANNEL });
    const done = await fake.waitForResponse((response) => response.user === TEACHER);
    expect(done.body).toMatchObject({ response_type: 'ephemeral' });
    expect(String(done.body.text)).toMatch(/^Done: Cancel Wed 6 Jan \(guest lecturer ill\)/);
    const notice = await fake.waitForMessage(CHANNEL, (message) => message.text.startsWith('Schedule change'));
    expect(notice.text).toContain('Wed 6 Jan (tomorrow): cancelled: Debugging and visualization');
    const tomorrow = (await fake.slashCommand({ command: '/tomorrow', user_id: STUDENT })).payload as Reply;
    expect(tomorrow.text).toContain('Cancelled: Debugging and visualization');
    expect(fake.messages(CHANNEL).filter((message) => message.text.startsWith('Schedule change'))).toHaveLength(1);
  });

  it('posts the morning announcement once across a lost response, a crash and a restart', { timeout: TIMEOUT }, async () => {
    // The first post lands, but its answer is lost: the bot must find it (metadata) instead of posting again.
    fake.failNext('chat.postMessage', { landsButResponseLost: true });
    const first = await startBot('2027-01-05T08:00:05');
    await fake.waitFor(() => (morning().length > 0 ? true : undefined), { timeoutMs: 20_000 });
    await first.stop('SIGKILL');
    await startBot('2027-01-05T08:00:30');
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(morning()).toHaveLength(1);
    expect(morning()[0]!.metadata?.event_payload).toEqual({ key: `mlops:2027-01-05:daily:slack:${CHANNEL}` });
    expect(fake.calls('conversations.history').length).toBeGreaterThan(0);
  });

  it('in HTTP mode, answers signed requests and refuses bad, stale and future signatures', { timeout: TIMEOUT }, async () => {
    const bot = await startBot('2027-01-05T10:00', { SLACK_APP_TOKEN: '', SLACK_SIGNING_SECRET: SECRET, SLACK_PORT: '0', SLACK_HOST: '127.0.0.1' });
    const port = /"mode":"http","port":(\d+)/.exec(bot.output().stderr)?.[1];
    expect(port).toBeDefined();
    const url = `http://127.0.0.1:${port}/slack/events`;
    for (const [command, text, title] of STUDENT_COMMANDS) {
      const signed = await signedRequest(url, SECRET, slashCommandBody(fake, { command, text, user_id: STUDENT, channel_id: CHANNEL }));
      expect(signed.status).toBe(200);
      expect((signed.body as Reply).response_type).toBe('ephemeral');
      expect((signed.body as Reply).text).toMatch(title);
    }
    // An instructor command is acknowledged at once and answered through the response URL.
    const body = slashCommandBody(fake, { command: '/course', text: 'history', user_id: TEACHER, channel_id: CHANNEL });
    expect((await signedRequest(url, SECRET, body)).status).toBe(200);
    const history = await fake.waitForResponse((response) => response.user === TEACHER);
    expect(history.body).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(/^No schedule changes yet/) as unknown });
    // The same signed request again (a replay inside the signature window) is acknowledged and not run again.
    expect(await signedRequest(url, SECRET, body)).toEqual({ status: 200, body: '' });
    await bot.waitForOutput(/slack request already handled/);
    const now = Math.floor(Date.now() / 1000);
    expect((await signedRequest(url, 'wrong-secret', body)).status).toBe(401);
    expect((await signedRequest(url, SECRET, body, { timestamp: now - 6 * 60 })).status).toBe(401);
    expect((await signedRequest(url, SECRET, body, { timestamp: now + 6 * 60 })).status).toBe(401);
    expect(fake.responses.filter((response) => response.user === TEACHER)).toHaveLength(1);
    // The bot logged (so an empty log cannot pass the checks below), and never a secret.
    expect(bot.output().stderr).toContain('"msg":"slack ready"');
    expect(bot.output().stderr).not.toContain(SECRET);
    expect(bot.output().stderr).not.toContain(fake.botToken);
  });

  it('explains a refused token in one line and exits 1, never printing it', { timeout: TIMEOUT }, async () => {
    const wrong = 'xoxb-0000000000-wrong-token-value';
    const result = await runCli(['start'], { env: env({ SLACK_BOT_TOKEN: wrong, LOG_LEVEL: 'info' }) });
    expect(result.code).toBe(1);
    // The bot logged before it failed: an empty log would pass the checks below for nothing.
    expect(result.stderr).toContain('"msg":"course loaded"');
    expect(result.stderr).toContain('Slack refused the token (invalid_auth): check SLACK_BOT_TOKEN');
    expect(`${result.stdout}${result.stderr}`).not.toContain(wrong);
    expect(`${result.stdout}${result.stderr}`).not.toContain(fake.appToken);
    expect(result.stderr).not.toMatch(/UnhandledPromiseRejection|at .*node_modules/);
  });

  it('stops promptly on SIGTERM while Slack cannot be reached', { timeout: TIMEOUT }, async () => {
    const bot = spawnCli(['start'], env({ SLACK_API_URL: 'http://127.0.0.1:9/api/' }));
    bots.push(bot);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const stopping = Date.now();
    await bot.stop('SIGTERM', 15_000);
    expect(Date.now() - stopping).toBeLessThan(10_000);
  });

  it('with Discord and Slack configured together, posts one announcement per platform', { timeout: TIMEOUT }, async () => {
    const discord = await FakeDiscord.start({ heartbeatInterval: 1_000 });
    try {
      const env = {
        DISCORD_TOKEN: discord.token,
        DISCORD_API_URL: discord.apiUrl,
        DISCORD_GUILD_ID: discord.guildId,
        DISCORD_ANNOUNCE_CHANNEL_ID: discord.channelId,
      };
      // Two instances on one database, both on both platforms.
      await Promise.all([startBot('2027-01-05T08:00:05', env), startBot('2027-01-05T08:00:05', env)]);
      await fake.waitFor(() => (morning().length > 0 ? true : undefined), { timeoutMs: 20_000 });
      await discord.waitFor(() => (discord.messages(discord.channelId).length > 0 ? true : undefined), { timeoutMs: 20_000 });
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      expect(morning()).toHaveLength(1);
      expect(discord.messages(discord.channelId)).toHaveLength(1);
      expect(discord.messages(discord.channelId)[0]?.embeds?.[0]?.footer?.text).toContain(`mlops:2027-01-05:daily:discord:${discord.channelId}`);
    } finally {
      await Promise.all(bots.map((bot) => bot.stop('SIGKILL')));
      await discord.close();
    }
  });
});
