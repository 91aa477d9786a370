import { readFileSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationCommandOptionType, InteractionResponseType } from 'discord-api-types/v10';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ChatInputOption, FakeDiscord, autocomplete, chatInput } from '../fakes/discord/index.js';
import { FakeSlack } from '../fakes/slack/index.js';
import { type RunningChild, SPAWN_TIMEOUT, spawnCli } from '../support/child.js';
import { answerOf, dataOf } from '../support/discord.js';

const TIMEOUT = SPAWN_TIMEOUT;
const GUILD = '1100000000000000001';
/** Course A and course B share the server, each with its own channel, announcement channel and instructor role. */
const CH_A = '1100000000000000011';
const CH_A_NEWS = '1100000000000000012';
const CH_B = '1100000000000000021';
const CH_B_NEWS = '1100000000000000022';
const CH_D = '1100000000000000041';
const CH_D_NEWS = '1100000000000000042';
const CH_F_NEWS = '1100000000000000051';
const CH_F_TEACH = '1100000000000000052';
const CH_G_NEWS = '1100000000000000061';
const CH_LOBBY = '1100000000000000002';
const GUILD_E = '1200000000000000001';
const CH_E_NEWS = '1200000000000000002';
const CH_E_MOVED = '1200000000000000003';
const ROLE_A = '1100000000000000101';
const ROLE_B = '1100000000000000102';
/** Course C lives on Slack. */
const SLACK_NEWS = 'C0GENERAL01';
const STUDENT = 'U0STUDENT01';
const TEACHER = 'U0TEACHER01';

/** The seed course under another id and name, with `targets:`. */
function courseFile(id: string, name: string, targets: string): string {
  const seed = readFileSync('data/course.yaml', 'utf8').replace('id: mlops', `id: ${id}`).replace('name: Machine Learning Operations', `name: ${name}`);
  return `${seed}\ntargets:\n${targets}`;
}

const discordTargets = (channel: string, news: string, role?: string, guild = GUILD) =>
  [
    '  discord:',
    `    guildId: "${guild}"`,
    `    channels: ["${channel}"]`,
    `    announceChannelId: "${news}"`,
    ...(role ? [`    instructorRoleId: "${role}"`] : []),
  ].join('\n');

interface Reply {
  content?: string;
  embeds?: { title?: string; description?: string; footer?: { text?: string } }[];
}

/**
 * Issue 14's "done when": one bot process (the real CLI: real discord.js and real Bolt against the fakes) runs
 * three course files from COURSES_DIR, two sharing one Discord server by channel and one on Slack; each answers,
 * announces and is changed only by its own instructors; a fourth file dropped in starts without a restart, and
 * removing it stops it.
 */
describe('many courses from one deployment, end to end', () => {
  let discord: FakeDiscord;
  let slack: FakeSlack;
  let dir: string;
  let courses: string;
  let bot: RunningChild;

  /** Asks on Discord in `channel` (as `roles`), and returns the answer (an instructor command's comes after a deferral). */
  const ask = async (channel: string, name: string, options: Parameters<typeof chatInput>[1] = [], roles: string[] = []): Promise<Reply> => {
    const result = await discord.interact(chatInput(name, options, { channel_id: channel, actor: { roles } }), { timeoutMs: 15_000 });
    const answer = await answerOf(discord, result);
    if (!answer.deferred) expect(result.callback.type).toBe(InteractionResponseType.ChannelMessageWithSource);
    return answer.data;
  };
  const courseCommand = (sub: string, options: { name: string; type: ApplicationCommandOptionType.String; value: string }[]): ChatInputOption[] => [
    { name: sub, type: ApplicationCommandOptionType.Subcommand, options },
  ];
  const daily = (channel: string) => discord.messages(channel).filter((message) => message.embeds?.[0]?.footer?.text?.includes(':daily:'));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'course-bot-many-'));
    courses = join(dir, 'courses');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(courses);
    writeFileSync(join(courses, 'a.yaml'), courseFile('course-a', 'Course A', discordTargets(CH_A, CH_A_NEWS, ROLE_A)));
    writeFileSync(join(courses, 'b.yaml'), courseFile('course-b', 'Course B', discordTargets(CH_B, CH_B_NEWS, ROLE_B)));
    writeFileSync(
      join(courses, 'c.yaml'),
      courseFile('course-c', 'Course C', ['  slack:', `    announceChannel: ${SLACK_NEWS}`, `    instructorUserIds: [${TEACHER}]`].join('\n')),
    );
    discord = await FakeDiscord.start({
      heartbeatInterval: 1_000,
      guilds: [{ id: GUILD, name: 'Department', channels: [CH_LOBBY, CH_A, CH_A_NEWS, CH_B, CH_B_NEWS, CH_D, CH_D_NEWS, CH_F_NEWS, CH_F_TEACH, CH_G_NEWS], roles: [ROLE_A, ROLE_B] }],
    });
    slack = await FakeSlack.start({ pingIntervalMs: 0 });
    // Tuesday 5 January 2027, just after the morning announcement time (08:00) of every course.
    bot = spawnCli(['start', '--at', '2027-01-05T08:00:05'], {
      DISCORD_TOKEN: discord.token,
      DISCORD_API_URL: discord.apiUrl,
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_APP_TOKEN: slack.appToken,
      SLACK_API_URL: slack.apiUrl,
      STATE_DB: join(dir, 'state.db'),
      COURSES_DIR: courses,
      HTTP_PORT: '0',
      HTTP_HOST: '127.0.0.1',
    });
    await Promise.all([
      bot.waitForOutput(/slash commands registered/, 60_000),
      bot.waitForOutput(/slack ready/, 60_000),
      bot.waitForOutput(/http server listening/, 60_000),
    ]);
    await slack.connected();
  }, TIMEOUT);

  afterAll(async () => {
    await bot?.stop();
    await discord?.close();
    await slack?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers the commands once, in the server the courses name', () => {
    expect(discord.registrations.map((registration) => registration.scope)).toEqual([GUILD]);
  });

  it('registers every command with the optional, autocompleted course option (several courses)', () => {
    const registered = discord.commands(GUILD) as { name: string; options?: { type: ApplicationCommandOptionType; name: string; required?: boolean; autocomplete?: boolean; options?: { name: string }[] }[] }[];
    expect(registered.map((command) => command.name)).toContain('today');
    for (const command of registered) {
      const subcommands = (command.options ?? []).filter((option) => option.type === ApplicationCommandOptionType.Subcommand);
      const lists = subcommands.length > 0 ? subcommands.map((sub) => sub.options ?? []) : [command.options ?? []];
      for (const options of lists) expect(options.at(-1), `/${command.name}`).toMatchObject({ name: 'course', type: ApplicationCommandOptionType.String, required: false, autocomplete: true });
    }
  });

  it('serves each course’s calendar at /calendar/<id>.ics, and /calendar.ics says where they are', { timeout: TIMEOUT }, async () => {
    const port = Number(/"port":(\d+),"host":"127\.0\.0\.1".*http server listening/.exec(bot.output().stderr)?.[1]);
    const get = (path: string) => fetch(`http://127.0.0.1:${port}${path}`);
    for (const [id, name] of [['course-a', 'Course A'], ['course-b', 'Course B'], ['course-c', 'Course C']]) {
      const response = await get(`/calendar/${id}.ics`);
      expect(response.status).toBe(200);
      const ics = await response.text();
      expect(ics).toContain(`X-WR-CALNAME:${name}`);
      expect(ics).toContain(`UID:${id}-2027-01-05@course-bot`);
    }
    const old = await get('/calendar.ics');
    expect(old.status).toBe(404);
    expect(await old.text()).toContain('this deployment serves 3 courses; their calendars are at /calendar/course-a.ics, /calendar/course-b.ics, /calendar/course-c.ics');
  });

  it('answers each course in its own channel, and asks which course where the channel does not say', { timeout: TIMEOUT }, async () => {
    expect((await ask(CH_A, 'schedule')).embeds?.[0]?.title).toBe('Course A: schedule');
    expect((await ask(CH_B, 'schedule')).embeds?.[0]?.title).toBe('Course B: schedule');
    expect((await ask(CH_A, 'today')).embeds?.[0]?.title).toBe('Week 1 · Tuesday 5 January 2027');
    const lobby = await ask(CH_LOBBY, 'today');
    expect(JSON.stringify(lobby)).toContain('Which course?');
    expect(JSON.stringify(lobby)).toContain('course-a — Course A');
    const onSlack = (await slack.slashCommand({ command: '/schedule', user_id: STUDENT, channel_id: SLACK_NEWS })).payload as { text?: string };
    expect(onSlack.text).toMatch(/Course C: schedule/);
  });

  it('announces each course once, in its own channel', { timeout: TIMEOUT }, async () => {
    await discord.waitFor(() => (daily(CH_A_NEWS).length > 0 && daily(CH_B_NEWS).length > 0 ? true : undefined), { timeoutMs: 30_000 });
    await slack.waitFor(() => (slack.messages(SLACK_NEWS).some((message) => String(message.metadata?.event_payload?.key).includes(':daily:')) ? true : undefined), {
      timeoutMs: 30_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(daily(CH_A_NEWS).map((message) => message.embeds?.[0]?.footer?.text)).toEqual([expect.stringContaining(`course-a:2027-01-05:daily:discord:${CH_A_NEWS}`)]);
    expect(daily(CH_B_NEWS).map((message) => message.embeds?.[0]?.footer?.text)).toEqual([expect.stringContaining(`course-b:2027-01-05:daily:discord:${CH_B_NEWS}`)]);
    const slackDaily = slack.messages(SLACK_NEWS).filter((message) => String(message.metadata?.event_payload?.key).includes(':daily:'));
    expect(slackDaily.map((message) => message.metadata?.event_payload)).toEqual([{ key: `course-c:2027-01-05:daily:slack:${SLACK_NEWS}` }]);
    expect(discord.messages(CH_LOBBY)).toEqual([]);
  });

  it('is changed only by its own instructors: course A’s instructor is refused in course B’s channel', { timeout: TIMEOUT }, async () => {
    const cancel = courseCommand('cancel', [{ name: 'date', type: ApplicationCommandOptionType.String as const, value: '2027-01-13' }]);
    const refused = await ask(CH_B, 'course', cancel, [ROLE_A]);
    expect(refused.content).toBe('Only instructors can use this command.');
    await bot.waitForOutput(/instructor command refused/);
    expect((await ask(CH_A, 'course', cancel, [ROLE_A])).embeds?.[0]?.title).toBe('Done: Cancel Wed 13 Jan');
    // Course B's schedule is untouched; course A's has the change.
    expect(JSON.stringify(await ask(CH_A, 'today', [{ name: 'date', type: ApplicationCommandOptionType.String, value: '2027-01-13' }]))).toContain('Cancelled');
    expect(JSON.stringify(await ask(CH_B, 'today', [{ name: 'date', type: ApplicationCommandOptionType.String, value: '2027-01-13' }]))).not.toContain('Cancelled');
    // On Slack, course C's listed instructor may change course C; a student may not.
    await slack.slashCommand({ command: '/course', text: 'cancel 2027-01-14', user_id: STUDENT, channel_id: SLACK_NEWS });
    const refusedOnSlack = await slack.waitForResponse((response) => response.user === STUDENT && String(response.body.text).startsWith('Only'));
    expect(refusedOnSlack.body).toMatchObject({ response_type: 'ephemeral', text: 'Only instructors can use this command.' });
    await slack.slashCommand({ command: '/course', text: 'cancel 2027-01-14', user_id: TEACHER, channel_id: SLACK_NEWS });
    const doneOnSlack = await slack.waitForResponse((response) => response.user === TEACHER && String(response.body.text).startsWith('Done'));
    expect(String(doneOnSlack.body.text)).toMatch(/^Done: Cancel Thu 14 Jan/);
  });

  it('in a channel no course owns, the course option picks the course (autocompleted from the server’s courses); on Slack too', { timeout: TIMEOUT }, async () => {
    const on13 = { name: 'date', type: ApplicationCommandOptionType.String as const, value: '2027-01-13' };
    const pick = (id: string) => ({ name: 'course', type: ApplicationCommandOptionType.String as const, value: id });
    expect(JSON.stringify(await ask(CH_LOBBY, 'today', [on13]))).toContain('Which course?');
    // Course A's instructor cancelled the 13th (the test before): the option decides whose day is shown.
    const forA = await ask(CH_LOBBY, 'today', [on13, pick('course-a')]);
    expect(forA.embeds?.[0]?.title).toBe('Week 2 · Wednesday 13 January 2027');
    expect(JSON.stringify(forA)).toContain('Cancelled');
    const forB = await ask(CH_LOBBY, 'today', [on13, pick('course-b')]);
    expect(forB.embeds?.[0]?.title).toBe('Week 2 · Wednesday 13 January 2027');
    expect(JSON.stringify(forB)).not.toContain('Cancelled');
    expect((await ask(CH_LOBBY, 'schedule', [pick('course-b')])).embeds?.[0]?.title).toBe('Course B: schedule');

    // /help in a course's channel tells how to pick a course, and lists the running ones.
    const help = JSON.stringify(await ask(CH_A, 'help'));
    expect(help).toContain('course-b — Course B');

    const { callback } = await discord.interact(
      autocomplete('today', [{ name: 'course', type: ApplicationCommandOptionType.String, value: '', focused: true }], { channel_id: CH_LOBBY }),
      { timeoutMs: 15_000 },
    );
    expect(callback.type).toBe(InteractionResponseType.ApplicationCommandAutocompleteResult);
    expect(dataOf(callback)).toEqual({ choices: [{ name: 'Course A (course-a)', value: 'course-a' }, { name: 'Course B (course-b)', value: 'course-b' }] });

    const slackToday = (await slack.slashCommand({ command: '/today', text: '2027-01-14 course:course-c', user_id: STUDENT, channel_id: SLACK_NEWS })).payload as { text?: string };
    expect(slackToday.text).toMatch(/Thursday 14 January 2027/);
    expect(slackToday.text).toMatch(/Cancelled/);
    const elsewhere = (await slack.slashCommand({ command: '/today', text: 'course:course-a', user_id: STUDENT, channel_id: SLACK_NEWS })).payload as { text?: string };
    expect(elsewhere.text).toMatch(/Commands here are for Course C/);
  });

  it('starts a fourth course dropped into COURSES_DIR without a restart (answers, announces), and stops it when removed', { timeout: TIMEOUT }, async () => {
    const file = join(courses, 'd.yaml');
    writeFileSync(file, courseFile('course-d', 'Course D', discordTargets(CH_D, CH_D_NEWS)));
    await bot.waitForOutput(/"course":"course-d".*"msg":"course loaded"/, 30_000);
    expect((await ask(CH_D, 'schedule')).embeds?.[0]?.title).toBe('Course D: schedule');
    await discord.waitFor(() => (daily(CH_D_NEWS).length > 0 ? true : undefined), { timeoutMs: 30_000 });
    expect(daily(CH_D_NEWS).map((message) => message.embeds?.[0]?.footer?.text)).toEqual([expect.stringContaining(`course-d:2027-01-05:daily:discord:${CH_D_NEWS}`)]);
    unlinkSync(file);
    await bot.waitForOutput(/"course":"course-d".*"msg":"course stopped"/, 30_000);
    // Course D's channel belongs to no course now: the server's two courses are offered.
    const after = JSON.stringify(await ask(CH_D, 'schedule'));
    expect(after).toContain('Which course?');
    expect(after).not.toContain('course-d');
    expect((await ask(CH_A, 'schedule')).embeds?.[0]?.title).toBe('Course A: schedule');
    expect(bot.output().stderr).not.toMatch(/"level":(50|60)/);
  });

  it('registers the commands in a server a course added while running names, without a restart', { timeout: TIMEOUT }, async () => {
    discord.addGuild({ id: GUILD_E, name: 'Another department', channels: [CH_E_NEWS, CH_E_MOVED] });
    writeFileSync(join(courses, 'e.yaml'), courseFile('course-e', 'Course E', discordTargets(CH_E_NEWS, CH_E_NEWS, undefined, GUILD_E)));
    await discord.waitFor(() => (discord.registrations.some((registration) => registration.scope === GUILD_E) ? true : undefined), { timeoutMs: 30_000 });
    expect(discord.registrations.map((registration) => registration.scope)).toEqual([GUILD, GUILD_E]);
    const { callback } = await discord.interact(chatInput('schedule', [], { guild_id: GUILD_E, channel_id: CH_E_NEWS }), { timeoutMs: 15_000 });
    expect((dataOf(callback) as Reply).embeds?.[0]?.title).toBe('Course E: schedule');
  });

  it('a broken file, or one whose id is taken, is one log line; every course runs on', { timeout: TIMEOUT }, async () => {
    const posts = () => [CH_LOBBY, CH_A, CH_A_NEWS, CH_B, CH_B_NEWS].map((channel) => discord.messages(channel).length);
    const before = posts();
    writeFileSync(join(courses, 'broken.yaml'), 'course: [not, a, course]\n');
    writeFileSync(join(courses, 'twin.yaml'), courseFile('course-a', 'Course A again', discordTargets(CH_LOBBY, CH_LOBBY)));
    await bot.waitForOutput(/broken\.yaml.*course file refused/, 30_000);
    await bot.waitForOutput(/twin\.yaml.*course file refused/, 30_000);
    const refusals = bot.output().stderr.split('\n').filter((line) => line.includes('course file refused'));
    expect(refusals).toHaveLength(2);
    expect(refusals.find((line) => line.includes('twin.yaml'))).toContain('is already the id of the course in');
    expect((await ask(CH_A, 'schedule')).embeds?.[0]?.title).toBe('Course A: schedule');
    expect(posts()).toEqual(before);
  });

  it('a course whose targets change in its file starts again where they now say', { timeout: TIMEOUT }, async () => {
    writeFileSync(join(courses, 'e.yaml'), courseFile('course-e', 'Course E', discordTargets(CH_E_NEWS, CH_E_MOVED, undefined, GUILD_E)));
    await bot.waitForOutput(/"course":"course-e".*"msg":"course targets changed; restarting the course"/, 30_000);
    await discord.waitFor(() => (daily(CH_E_MOVED).length > 0 ? true : undefined), { timeoutMs: 30_000 });
    expect(daily(CH_E_MOVED).map((message) => message.embeds?.[0]?.footer?.text)).toEqual([
      expect.stringContaining(`course-e:2027-01-05:daily:discord:${CH_E_MOVED}`),
    ]);
    expect((await ask(CH_A, 'schedule')).embeds?.[0]?.title).toBe('Course A: schedule');
  });

  it('a course whose channel refuses the bot (Missing Permissions) is told in ITS instructor channel; another course announces on', { timeout: TIMEOUT }, async () => {
    discord.failNext(`POST /channels/${CH_F_NEWS}/messages`, { status: 403, code: 50013, message: 'Missing Permissions' }, 100);
    const others = () => [CH_A_NEWS, CH_B_NEWS, CH_LOBBY].map((channel) => discord.messages(channel).length);
    const before = others();
    writeFileSync(join(courses, 'f.yaml'), courseFile('course-f', 'Course F', `${discordTargets(CH_F_NEWS, CH_F_NEWS)}\n    instructorChannelId: "${CH_F_TEACH}"`));
    writeFileSync(join(courses, 'g.yaml'), courseFile('course-g', 'Course G', discordTargets(CH_G_NEWS, CH_G_NEWS)));
    await discord.waitFor(() => (daily(CH_G_NEWS).length > 0 ? true : undefined), { timeoutMs: 30_000 });
    const told = await discord.waitForMessage(CH_F_TEACH, (message) => message.content.includes('could not be posted'), { timeoutMs: 30_000 });
    expect(told.content).toContain(`course-f:2027-01-05:daily:discord:${CH_F_NEWS}`);
    expect(discord.messages(CH_F_NEWS)).toEqual([]);
    expect(daily(CH_G_NEWS)).toHaveLength(1);
    expect(discord.messages(CH_G_NEWS).some((message) => message.content.includes('could not be posted'))).toBe(false);
    expect(others()).toEqual(before);
    discord.clearFaults();
  });
});
