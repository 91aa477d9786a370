import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationCommandOptionType, InteractionResponseType, InteractionType, MessageFlags } from 'discord-api-types/v10';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commands } from '../../src/core/commands/registry.js';
import { MALFORMED_OPTIONS } from '../../src/platforms/discord/dispatch.js';
import { FakeDiscord, autocomplete, chatInput } from '../fakes/discord/index.js';
import { type RunningChild, spawnCli, SPAWN_TIMEOUT } from '../support/child.js';
import { answerOf, dataOf } from '../support/discord.js';

const { String: STRING, Integer: INTEGER } = ApplicationCommandOptionType;
const TIMEOUT = SPAWN_TIMEOUT;

/** What a slash command's callback carried, when it was an immediate message. */
function replyData(callback: { type: number; data?: unknown }) {
  expect(callback.type).toBe(InteractionResponseType.ChannelMessageWithSource);
  return dataOf(callback) as {
    content?: string;
    flags?: number;
    embeds?: { title?: string; description?: string; fields?: { name: string; value: string }[] }[];
    components?: { components: { url?: string; label?: string }[] }[];
    allowed_mentions?: { parse?: string[]; roles?: string[] };
  };
}

describe('the Discord bot, end to end against a local fake Discord', () => {
  let fake: FakeDiscord;
  let dir: string;
  let bot: RunningChild;

  const env = () => ({
    DISCORD_TOKEN: fake.token,
    DISCORD_API_URL: fake.apiUrl,
    DISCORD_GUILD_ID: fake.guildId,
    STATE_DB: join(dir, 'state.db'),
    COURSE_FILE: join(dir, 'course.yaml'),
    DISCORD_INSTRUCTOR_CHANNEL_ID: fake.channelId,
  });

  /** The real bot as `npm start` runs it, with its clock set inside the course. */
  const startBot = async () => {
    const child = spawnCli(['start', '--at', '2027-01-05T10:00'], env());
    await child.waitForOutput(/slash commands (registered|unchanged)/, 30_000);
    return child;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'course-bot-discord-'));
    // The seed course with a topic that tries to ping everyone and a role.
    const { readFileSync } = await import('node:fs');
    const seed = readFileSync('data/course.yaml', 'utf8').replace(
      'topic: Deployment',
      'topic: "Deployment @everyone <@&123456789012345678> @here"',
    );
    writeFileSync(join(dir, 'course.yaml'), seed);
    fake = await FakeDiscord.start({ heartbeatInterval: 1_000 });
    bot = await startBot();
  }, TIMEOUT);

  afterAll(async () => {
    await bot?.stop();
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers the registry commands in the guild on first start', () => {
    expect(fake.registrations).toHaveLength(1);
    const [registration] = fake.registrations;
    expect(registration!.scope).toBe(fake.guildId);
    expect((registration!.body as { name: string }[]).map((command) => command.name)).toEqual([
      ...new Set(commands.map((command) => command.group ?? command.name)),
    ]);
    expect(fake.identifies[0]).toMatchObject({ intents: 1 });
  });

  it('answers /today with the day card as an ephemeral embed with a timestamp and link buttons', async () => {
    const { callback } = await fake.interact(chatInput('today'));
    const data = replyData(callback);
    expect(data.flags).toBe(MessageFlags.Ephemeral);
    expect(data.allowed_mentions).toEqual({ parse: [] });
    expect(data.embeds?.[0]?.title).toBe('Week 1 · Tuesday 5 January 2027');
    expect(data.embeds?.[0]?.description).toBe('Code organisation: why it matters');
    expect(data.embeds?.[0]?.fields?.[0]).toEqual({ name: 'Lecture starts', value: '<t:1799136000:t> (<t:1799136000:R>)', inline: false });
    expect(data.components?.[0]?.components.map((button) => button.url)).toEqual([
      'https://docs.conda.io/en/latest/',
      'https://docs.github.com/en',
      'https://docs.docker.com/',
    ]);
  });

  it('answers every student command', async () => {
    const cases: [ReturnType<typeof chatInput>, RegExp][] = [
      [chatInput('today', [{ name: 'date', type: STRING, value: '2027-01-18' }]), /^Week 3 · Monday 18 January 2027$/],
      [chatInput('tomorrow'), /^Week 1 · Wednesday 6 January 2027$/],
      [chatInput('week'), /^Week 1 · Getting set up$/],
      [chatInput('week', [{ name: 'number', type: INTEGER, value: 2 }]), /^Week 2 · Scalability$/],
      [chatInput('next'), /^Next \(tomorrow\): Week 1 · Wednesday 6 January 2027$/],
      [chatInput('schedule'), /^Machine Learning Operations: schedule$/],
      [chatInput('resources', [{ name: 'topic', type: STRING, value: 'hydra' }]), /^Resources for "hydra"$/],
      [chatInput('resources'), /^Machine Learning Operations: resources$/],
      [chatInput('setup'), /^Getting set up for Machine Learning Operations$/],
      [chatInput('help'), /^Machine Learning Operations: commands$/],
    ];
    for (const [input, title] of cases) {
      const { callback } = await fake.interact(input);
      expect(replyData(callback).embeds?.[0]?.title).toMatch(title);
    }
    expect(fake.unhandled).toEqual([]);
  });

  it('suggests topics, weeks and session dates while typing', async () => {
    const topics = await fake.interact(autocomplete('resources', [{ name: 'topic', type: STRING, value: 'py', focused: true }]));
    expect(topics.callback.type).toBe(InteractionResponseType.ApplicationCommandAutocompleteResult);
    const choices = (dataOf(topics.callback) as { choices: { name: string; value: string }[] }).choices;
    expect(choices.map((choice) => choice.value)).toEqual(['pysyft', 'pytorch', 'pytorch lightning']);

    const weeks = await fake.interact(autocomplete('week', [{ name: 'number', type: INTEGER, value: '', focused: true }]));
    expect((dataOf(weeks.callback) as { choices: { value: number }[] }).choices.map((choice) => choice.value)).toEqual([1, 2, 3]);

    const dates = await fake.interact(autocomplete('today', [{ name: 'date', type: STRING, value: '', focused: true }]));
    const dateChoices = (dataOf(dates.callback) as { choices: { name: string; value: string }[] }).choices;
    expect(dateChoices.length).toBeLessThanOrEqual(25);
    expect(dateChoices[0]).toEqual({ name: '2027-01-05 · Tue 5 Jan — Code organisation: why it matters · Conda, GitHub, Docker', value: '2027-01-05' });
  });

  it('answers a bad option with a clear ephemeral error', async () => {
    const badDate = replyData((await fake.interact(chatInput('today', [{ name: 'date', type: STRING, value: '5/1/2027' }]))).callback);
    expect(badDate.flags).toBe(MessageFlags.Ephemeral);
    expect(badDate.content).toBe('/today date: "5/1/2027" is not a date; use YYYY-MM-DD, such as 2027-01-05.');
    const badWeek = replyData((await fake.interact(chatInput('week', [{ name: 'number', type: INTEGER, value: 9 }]))).callback);
    expect(badWeek.flags).toBe(MessageFlags.Ephemeral);
    expect(badWeek.content).toBe('There is no week 9. The course has weeks 1, 2, 3.');
    // A malformed payload (discord.js would throw building it, outside any listener) is refused, and the
    // process goes on answering.
    const malformed = replyData(
      (await fake.interact({ type: InteractionType.ApplicationCommand, data: { name: 'week', type: 1, options: [null] } as never })).callback,
    );
    expect(malformed).toMatchObject({ flags: MessageFlags.Ephemeral, content: MALFORMED_OPTIONS });
    const nulled = replyData((await fake.interact(chatInput('week', [{ name: 'number', type: INTEGER, value: null as never }]))).callback);
    expect(nulled).toMatchObject({ flags: MessageFlags.Ephemeral, content: MALFORMED_OPTIONS });
    expect(replyData((await fake.interact(chatInput('help'))).callback).embeds?.[0]?.title).toBe('Machine Learning Operations: commands');
  });

  it('never pings from course text', async () => {
    const data = replyData((await fake.interact(chatInput('today', [{ name: 'date', type: STRING, value: '2027-01-20' }]))).callback);
    expect(data.embeds?.[0]?.description).toContain('@everyone <@&123456789012345678> @here');
    expect(data.allowed_mentions).toEqual({ parse: [] });
  });

  it('keeps answering after a gateway reconnect request and a dropped connection', async () => {
    const resumes = fake.resumeCount;
    fake.requestReconnect();
    await fake.waitFor(() => (fake.resumeCount > resumes ? true : undefined), { timeoutMs: 15_000, what: 'a RESUME after op 7' });
    expect(replyData((await fake.interact(chatInput('week', [{ name: 'number', type: INTEGER, value: 3 }]))).callback).embeds?.[0]?.title).toBe(
      'Week 3 · Extensions',
    );
    fake.dropConnections();
    await fake.waitFor(() => (fake.resumeCount > resumes + 1 ? true : undefined), { timeoutMs: 15_000, what: 'a RESUME after a drop' });
    expect(replyData((await fake.interact(chatInput('help'))).callback).embeds?.[0]?.title).toBe('Machine Learning Operations: commands');
  });

  it('does not register again on a second identical start, and stops cleanly on SIGTERM', async () => {
    expect(await bot.stop('SIGTERM')).toBe(0);
    expect(bot.output().stderr).toMatch(/"msg":"shutting down"/);
    bot = await startBot();
    expect(bot.output().stderr).toMatch(/slash commands unchanged; not registering/);
    expect(fake.registrations).toHaveLength(1);
    expect(fake.identifyCount).toBe(2);
    expect(replyData((await fake.interact(chatInput('today'))).callback).embeds?.[0]?.title).toBe('Week 1 · Tuesday 5 January 2027');
  });

  it('reloads the course file on SIGHUP; a broken one is refused, reported, and the old schedule stays', async () => {
    const file = join(dir, 'course.yaml');
    const { readFileSync } = await import('node:fs');
    const good = readFileSync(file, 'utf8');
    const topicOn20th = async () =>
      replyData((await fake.interact(chatInput('today', [{ name: 'date', type: STRING, value: '2027-01-20' }]))).callback).embeds?.[0]
        ?.description;
    writeFileSync(file, good.replace('topic: "Deployment', 'topic: "Serving'));
    process.kill(bot.pid, 'SIGHUP');
    await bot.waitForOutput(/course file reloaded/);
    expect(await topicOn20th()).toMatch(/^Serving/);
    writeFileSync(file, good.replace('timezone: Europe/Copenhagen', 'timezone: Europe/Atlantis'));
    process.kill(bot.pid, 'SIGHUP');
    const notice = await fake.waitForMessage(fake.channelId, (message) => message.content?.includes('was not reloaded') ?? false);
    expect(notice.content).toMatch(/course\.yaml:\d+:\d+ course\.timezone: Europe\/Atlantis is not a known IANA time zone/);
    expect(await topicOn20th()).toMatch(/^Serving/);
    writeFileSync(file, good);
  });

  it('two instances on one STATE_DB (a rolling restart, a standby): each change runs once, each interaction is answered once', { timeout: TIMEOUT }, async () => {
    // Both at debug, so that the one that drops an interaction says so.
    await bot.stop();
    const debug = () => spawnCli(['start', '--at', '2027-01-05T10:00'], { ...env(), LOG_LEVEL: 'debug' });
    const instances = [debug(), debug()];
    bot = instances[0]!;
    try {
      const sessions = fake.identifyCount;
      await Promise.all(instances.map((instance) => instance.waitForOutput(/slash commands (registered|unchanged)/, 60_000)));
      expect(fake.identifyCount).toBe(sessions + 2);
      const teacher = { actor: { permissions: String(1n << 5n) } };
      const course = (name: string, options: { name: string; type: number; value: string }[] = []) =>
        chatInput('course', [{ name, type: ApplicationCommandOptionType.Subcommand, options }], teacher);
      /**
       * Sends an interaction; resolves with its answer once the other instance has dropped it (or answered too).
       * A read-only command is not claimed: both instances answer, Discord takes the first callback and refuses
       * the second (40060), which that instance logs at debug.
       */
      const once = async (input: ReturnType<typeof chatInput>, readOnly = false) => {
        const { callback, interaction } = await fake.interact(input, { timeoutMs: 15_000 });
        const tries = () => fake.requests.filter((request) => request.path.startsWith(`/interactions/${interaction.id}/`));
        const said = (text: string) =>
          instances.some((instance) => instance.output().stderr.split('\n').some((line) => line.includes(`"interaction":"${interaction.id}"`) && line.includes(text)));
        await fake.waitFor(
          () => ((readOnly ? said('(40060') : said('interaction already taken') || tries().length > 1) ? true : undefined),
          { timeoutMs: 30_000, what: `the other instance to drop ${interaction.id}` },
        );
        expect(tries().map((request) => request.status).sort()).toEqual(readOnly ? [204, 400] : [204]);
        // An instructor command is deferred, then its answer is an edit of the original response.
        const answer = await answerOf(fake, { callback, interaction });
        return answer.deferred ? (answer.data as ReturnType<typeof replyData>) : replyData(callback);
      };
      for (const date of ['2027-01-13', '2027-01-14']) {
        expect((await once(course('cancel', [{ name: 'date', type: STRING, value: date }]))).embeds?.[0]?.title).toBe(`Done: Cancel ${date === '2027-01-13' ? 'Wed 13' : 'Thu 14'} Jan`);
      }
      expect((await once(course('undo'))).embeds?.[0]?.title).toMatch(/^Undone/);
      expect((await once(chatInput('today'), true)).embeds?.[0]?.title).toBe('Week 1 · Tuesday 5 January 2027');
      // Two changes, the second one undone: the undo ran once.
      const history = (await once(course('history'))).embeds?.[0];
      expect(history?.title).toBe('Schedule changes (2)');
      expect(history?.description?.split('\n').map((line) => line.replace(/^#(\d) · .* · (Cancel .*)$/, '#$1 $2'))).toEqual([
        '#1 Cancel Wed 13 Jan',
        '#2 Cancel Thu 14 Jan — undone by student',
      ]);
      for (const instance of instances) {
        expect(instance.output().stderr).not.toContain('Discord refused the answer');
        expect(instance.output().stderr).not.toMatch(/"level":(50|60)/);
      }
    } finally {
      await instances[1]!.stop();
    }
  });

  it('never prints the token', () => {
    const { stdout, stderr } = bot.output();
    // It logged (an empty log would pass for nothing), with the fields that sit next to secrets.
    expect(stderr).toContain('"msg":"discord ready"');
    expect(stderr).toContain('"msg":"slash commands unchanged; not registering"');
    expect(`${stdout}${stderr}`).not.toContain(fake.token);
  });
});
