import { once } from 'node:events';
import { Client, Events, GatewayIntentBits, type Guild, type Interaction, Routes } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeDiscord } from './index.js';
import { chatInput } from './builders.js';

// The fake Discord as the many-courses work needs it: 200 course channels over several guilds, two
// courses sharing one guild, a channel the bot may not post in, and a guild joined while running.

let fake: FakeDiscord | undefined;
let client: Client | undefined;
afterEach(async () => {
  await client?.destroy();
  await fake?.close();
  client = undefined;
  fake = undefined;
});

const guildId = (index: number) => `10000000000000000${index}`;
const channelId = (guild: number, channel: number) => `2${String(guild).padStart(2, '0')}${String(channel).padStart(15, '0')}`;
const roleId = (guild: number, course: number) => `3${String(guild).padStart(2, '0')}${String(course).padStart(15, '0')}`;

async function start(guilds: number, channelsPerGuild: number): Promise<{ fake: FakeDiscord; client: Client }> {
  fake = await FakeDiscord.start({
    heartbeatInterval: 1000,
    guilds: Array.from({ length: guilds }, (_, guild) => ({
      id: guildId(guild),
      name: `Server ${guild}`,
      channels: Array.from({ length: channelsPerGuild }, (_, channel) => ({ id: channelId(guild, channel), name: `course-${channel}` })),
      roles: Array.from({ length: channelsPerGuild }, (_, course) => ({ id: roleId(guild, course), name: `instructors-${course}` })),
    })),
  });
  client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: fake.apiUrl } });
  const ready = once(client, Events.ClientReady);
  await client.login(fake.token);
  await ready;
  return { fake, client };
}

describe('the fake Discord with many guilds', () => {
  it('serves 200 course channels over 4 guilds: each post lands in its own channel once', { timeout: 60_000 }, async () => {
    const { fake, client } = await start(4, 50);
    await fake.waitFor(() => (client.guilds.cache.size === 4 ? true : undefined), { what: '4 guilds in the cache' });
    expect(fake.guilds.map((guild) => guild.channelIds.length)).toEqual([50, 50, 50, 50]);
    const channels = fake.guilds.flatMap((guild) => guild.channelIds);
    await Promise.all(channels.map((id) => client.rest.post(Routes.channelMessages(id), { body: { content: `announcement for ${id}` } })));
    for (const id of channels) expect(fake.messages(id).map((message) => message.content)).toEqual([`announcement for ${id}`]);
    expect(fake.unhandled).toEqual([]);
  });

  it('keeps a channel the bot may not post in failing while the others in the same guild post', async () => {
    const { fake, client } = await start(1, 3);
    const denied = channelId(0, 1);
    fake.failNext(`POST /channels/${denied}/messages`, { status: 403, code: 50013, message: 'Missing Permissions' }, 1_000);
    const results = await Promise.allSettled(
      [0, 1, 2].map((channel) => client.rest.post(Routes.channelMessages(channelId(0, channel)), { body: { content: 'hello' } })),
    );
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 50013, status: 403 });
    expect([0, 1, 2].map((channel) => fake.messages(channelId(0, channel)).length)).toEqual([1, 0, 1]);
  });

  it('carries the guild, channel and member roles of an interaction in a shared guild', async () => {
    const { fake, client } = await start(2, 2);
    const seen: Array<{ guild: string | null; channel: string | null; roles: string[] }> = [];
    client.on(Events.InteractionCreate, (interaction: Interaction) => {
      if (!interaction.isChatInputCommand()) return;
      const roles = interaction.member?.roles;
      seen.push({
        guild: interaction.guildId,
        channel: interaction.channelId,
        roles: Array.isArray(roles) ? roles : [...(roles?.cache.keys() ?? [])].filter((id) => id !== interaction.guildId),
      });
      void interaction.reply({ content: 'ok' });
    });
    // Two courses in guild 1: a student of course 0 asking in course 1's channel, and course 1's instructor.
    await fake.interact(chatInput('today', [], { guild_id: guildId(1), channel_id: channelId(1, 1), actor: { roles: [] } }));
    await fake.interact(chatInput('today', [], { guild_id: guildId(1), channel_id: channelId(1, 1), actor: { roles: [roleId(1, 1)] } }));
    expect(seen).toEqual([
      { guild: guildId(1), channel: channelId(1, 1), roles: [] },
      { guild: guildId(1), channel: channelId(1, 1), roles: [roleId(1, 1)] },
    ]);
  });

  it('joins a guild while running: the client gets its GUILD_CREATE, and commands and posts work there', async () => {
    const { fake, client } = await start(1, 1);
    const created = once(client, Events.GuildCreate) as Promise<[Guild]>;
    expect(fake.addGuild({ id: guildId(7), name: 'New course server', channels: [channelId(7, 0)] })).toBe(1);
    const [guild] = await created;
    expect(guild.name).toBe('New course server');
    expect(() => fake.addGuild({ id: guildId(7) })).toThrow(`addGuild: the fake already serves guild ${guildId(7)}`);
    await client.rest.put(Routes.applicationGuildCommands(fake.applicationId, guildId(7)), {
      body: [{ name: 'today', description: 'Today', type: 1 }],
    });
    expect(fake.commands(guildId(7)).map((command) => command.name)).toEqual(['today']);
    await client.rest.post(Routes.channelMessages(channelId(7, 0)), { body: { content: 'first post' } });
    expect(fake.messages(channelId(7, 0)).map((message) => message.content)).toEqual(['first post']);
  });
});
