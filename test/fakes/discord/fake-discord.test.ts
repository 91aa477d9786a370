import { once } from 'node:events';
import {
  ActionRowBuilder,
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ButtonBuilder,
  ButtonStyle,
  type ChatInputApplicationCommandData,
  Client,
  ComponentType,
  DiscordAPIError,
  Events,
  GatewayIntentBits,
  type Interaction,
  InteractionType,
  MessageFlags,
  Routes,
  type SendableChannels,
} from 'discord.js';
import { GatewayCloseCodes, GatewayOpcodes, InteractionResponseType } from 'discord-api-types/v10';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { FakeDiscord, type FakeDiscordOptions, autocomplete, chatInput } from './index.js';
import { snowflakeAt } from './snowflake.js';

/** When the id says it was created (ms since 1970): Discord's epoch plus the top 42 bits. */
const snowflakeTime = (id: string): number => Number(BigInt(id) >> 22n) + 1_420_070_400_000;

let fake: FakeDiscord | undefined;
let client: Client | undefined;

afterEach(async () => {
  await client?.destroy();
  client = undefined;
  await fake?.close();
  fake = undefined;
});

interface Bot {
  readonly fake: FakeDiscord;
  readonly client: Client;
  /** Errors thrown by interaction handlers; tests assert it stays empty. */
  readonly errors: Error[];
}

/** Starts a fake (1 s heartbeats) and logs the real discord.js client in to it. */
async function startBot(options: FakeDiscordOptions = {}): Promise<Bot> {
  fake = await FakeDiscord.start({ heartbeatInterval: 1000, ...options });
  client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: fake.apiUrl } });
  const ready = once(client, Events.ClientReady);
  await client.login(fake.token);
  await ready;
  return { fake, client, errors: [] };
}

/** Runs `handler` for each interaction; what it throws lands in `bot.errors`. */
function onInteraction(bot: Bot, handler: (interaction: Interaction) => Promise<unknown>): void {
  bot.client.on(Events.InteractionCreate, (interaction) => {
    handler(interaction).catch((error: unknown) => {
      bot.errors.push(error instanceof Error ? error : new Error(String(error)));
    });
  });
}

/** Answers /ping with an ephemeral "pong". */
function answerPing(bot: Bot): void {
  onInteraction(bot, async (interaction) => {
    if (interaction.isChatInputCommand() && interaction.commandName === 'ping') {
      await interaction.reply({ content: 'pong', flags: MessageFlags.Ephemeral });
    }
  });
}

function sendable(bot: Bot, channelId = bot.fake.channelId): SendableChannels {
  const channel = bot.client.channels.cache.get(channelId);
  if (!channel?.isSendable()) throw new Error(`channel ${channelId} is not cached as sendable`);
  return channel;
}

const posts = (bot: Bot): Array<number | undefined> =>
  bot.fake.requests.filter((request) => request.method === 'POST').map((request) => request.status);

describe('FakeDiscord with the real discord.js client: login and gateway', () => {
  it('logs in: READY, the guild and its channel cached, only the Guilds intent, heartbeats acknowledged', async () => {
    const bot = await startBot();
    const guild = bot.client.guilds.cache.get(bot.fake.guildId);
    expect(bot.client.guilds.cache.has(bot.fake.guildId)).toBe(true);
    expect(guild?.name).toBe('Course Server');
    expect(guild?.channels.cache.get(bot.fake.channelId)?.name).toBe('general');
    expect(guild?.roles.everyone.id).toBe(bot.fake.guildId);
    expect(guild?.members.me?.id).toBe(bot.fake.botUserId);
    expect(bot.client.user?.id).toBe(bot.fake.botUserId);
    expect(bot.client.application?.id).toBe(bot.fake.applicationId);
    expect(bot.fake.identifyCount).toBe(1);
    expect(bot.fake.identifies[0]?.intents).toBe(GatewayIntentBits.Guilds);
    expect(bot.fake.gatewayBotCount).toBe(1);
    const gatewayRequest = bot.fake.requests.find((request) => request.path === '/gateway/bot');
    expect(gatewayRequest?.headers.authorization).toBe(`Bot ${bot.fake.token}`);
    // The token is readable but never printed with the record.
    expect(JSON.stringify(gatewayRequest)).not.toContain(bot.fake.token);
    expect(gatewayRequest?.headers['user-agent']).toMatch(/^DiscordBot/);
    await bot.fake.waitForReady();
    // The first heartbeat comes after a random part of the 1 s interval.
    await bot.fake.waitFor(() => (bot.fake.heartbeatCount > 0 ? true : undefined), { timeoutMs: 3000, what: 'a beat' });
    await vi.waitFor(() => expect(bot.client.ws.ping).toBeGreaterThanOrEqual(0), { timeout: 1000 });
    expect(bot.fake.unhandled).toEqual([]);
  });

  it('a wrong token is refused over REST (401) before the gateway is tried', async () => {
    fake = await FakeDiscord.start();
    client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: fake.apiUrl } });
    await expect(client.login('not-the-token')).rejects.toMatchObject({ code: 'TokenInvalid' });
    expect(fake.requests.map((request) => [request.path, request.status])).toEqual([['/gateway/bot', 401]]);
    expect(fake.connectionCount).toBe(0);
  });

  it('op 7, a dropped socket and a resumable op 9 lead to RESUME; events sent while away are replayed', async () => {
    const bot = await startBot();
    answerPing(bot);
    const resumed = once(bot.client, Events.ShardResume);
    bot.fake.requestReconnect();
    await resumed;
    expect(bot.fake.resumeCount).toBe(1);
    expect(bot.fake.clientCloseCodes).toContain(4200);
    await bot.fake.waitForReady();
    expect((await bot.fake.interact(chatInput('ping'))).callback).toMatchObject({ data: { content: 'pong' } });

    bot.fake.dropConnections();
    await bot.fake.waitFor(() => (bot.fake.openSockets === 0 ? true : undefined));
    // Dispatched while the client is away: it must arrive with the replay on RESUME.
    const answered = await bot.fake.interact(chatInput('ping'));
    expect(answered.callback).toMatchObject({ data: { content: 'pong' } });
    expect(bot.fake.resumeCount).toBe(2);

    bot.fake.invalidateSession(true);
    await bot.fake.waitFor(() => (bot.fake.resumeCount === 3 ? true : undefined), { what: 'a RESUME after op 9' });
    expect((await bot.fake.interact(chatInput('ping'))).callback).toMatchObject({ data: { content: 'pong' } });
    expect(bot.fake.identifyCount).toBe(1);
    expect(bot.errors).toEqual([]);
  });

  it('op 9 (not resumable) makes the client IDENTIFY again; interactions still work', { timeout: 15_000 }, async () => {
    const bot = await startBot();
    answerPing(bot);
    bot.fake.invalidateSession(false);
    // @discordjs/ws waits out its 5 s identify window (max_concurrency 1) before identifying again.
    await bot.fake.waitFor(() => (bot.fake.identifyCount === 2 ? true : undefined), {
      timeoutMs: 10_000,
      what: 'a second IDENTIFY',
    });
    await bot.fake.waitForReady();
    expect(bot.fake.resumeCount).toBe(0);
    expect((await bot.fake.interact(chatInput('ping'))).callback).toMatchObject({ data: { content: 'pong' } });
    expect(bot.errors).toEqual([]);
  });
});

describe('FakeDiscord with the real discord.js client: interactions', () => {
  it('an interaction is answered with an ephemeral reply; a second callback is refused with 40060', async () => {
    const bot = await startBot();
    answerPing(bot);
    const { callback, interaction } = await bot.fake.interact(chatInput('ping'));
    expect(callback).toEqual({
      type: InteractionResponseType.ChannelMessageWithSource,
      data: expect.objectContaining({ content: 'pong', flags: MessageFlags.Ephemeral }) as unknown,
    });
    expect(bot.fake.callbacks.get(interaction.id)).toHaveLength(1);
    const request = bot.fake.requests.find((candidate) => candidate.path.includes(interaction.id));
    // The callback authenticates with the interaction token in the URL, not the bot token.
    expect(request?.headers.authorization).toBeUndefined();
    expect(request?.status).toBe(204);
    // Ephemeral: not a channel message.
    expect(bot.fake.messages()).toEqual([]);
    expect(bot.fake.originals.get(interaction.id)?.flags).toBe(MessageFlags.Ephemeral);

    const again = bot.client.rest.post(Routes.interactionCallback(interaction.id, interaction.token), {
      body: { type: InteractionResponseType.ChannelMessageWithSource, data: { content: 'twice' } },
      auth: false,
    });
    await expect(again).rejects.toMatchObject({ status: 400, code: 40060 });
    expect(bot.errors).toEqual([]);
    expect(bot.fake.unhandled).toEqual([]);
  });

  it('passes options, member and roles through; withResponse returns the message', async () => {
    const guild = '2100000000000000001';
    const role = '2100000000000000003';
    const bot = await startBot({ guilds: [{ id: guild, channels: ['2100000000000000002'], roles: [role] }] });
    onInteraction(bot, async (interaction) => {
      if (!interaction.isChatInputCommand()) return;
      const week = interaction.options.getInteger('number', true);
      // discord.js adds the @everyone role (id = guild id) to the member's roles.
      const member = interaction.member;
      const roles = member && 'cache' in member.roles ? [...member.roles.cache.keys()] : [];
      const content = `week ${week} for ${interaction.user.username} roles ${roles.join(',')}`;
      const response = await interaction.reply({ content, withResponse: true });
      if (response.resource?.message?.content !== content) throw new Error('withResponse did not return the message');
    });
    const { callback, interaction } = await bot.fake.interact(
      chatInput('week', [{ name: 'number', type: ApplicationCommandOptionType.Integer, value: 2 }], {
        actor: { id: '2200000000000000001', username: 'ada', roles: [role] },
      }),
    );
    const content = `week 2 for ada roles ${guild},${role}`;
    expect(callback).toMatchObject({ data: { content } });
    expect(interaction.guild_id).toBe(guild);
    // Not ephemeral: the response is a message in the channel.
    expect(bot.fake.messages('2100000000000000002').map((message) => message.content)).toEqual([content]);
    await vi.waitFor(() => expect(bot.errors).toEqual([]));
  });

  it('deferReply then editReply: waitForOriginal sees the edit, a follow-up is stored too', async () => {
    const bot = await startBot();
    onInteraction(bot, async (interaction) => {
      if (!interaction.isChatInputCommand()) return;
      await interaction.deferReply({ flags: MessageFlags.Ephemeral });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const edited = await interaction.editReply({ content: 'done thinking' });
      if (edited.content !== 'done thinking') throw new Error(`editReply returned ${edited.content}`);
      await interaction.followUp({ content: 'one more thing', flags: MessageFlags.Ephemeral });
    });
    const { callback, interaction } = await bot.fake.interact(chatInput('slow'));
    expect(callback).toEqual({
      type: InteractionResponseType.DeferredChannelMessageWithSource,
      data: { flags: MessageFlags.Ephemeral },
    });
    const original = await bot.fake.waitForOriginal(interaction.id);
    expect(original.content).toBe('done thinking');
    expect(original.flags).toBe(MessageFlags.Ephemeral);
    await bot.fake.waitFor(() => bot.fake.followUps.get(interaction.id)?.[0]);
    expect(bot.fake.followUps.get(interaction.id)?.map((message) => message.content)).toEqual(['one more thing']);
    const patch = bot.fake.requests.find((request) => request.method === 'PATCH');
    expect(patch?.path).toBe(`/webhooks/${bot.fake.applicationId}/${interaction.token}/messages/@original`);
    expect(bot.errors).toEqual([]);
  });

  it('a reply after the callback window gets 10062 Unknown interaction', async () => {
    const bot = await startBot({ callbackWindowMs: 100 });
    onInteraction(bot, async (interaction) => {
      if (!interaction.isChatInputCommand()) return;
      await new Promise((resolve) => setTimeout(resolve, 200));
      await interaction.reply({ content: 'too late' });
    });
    const late = bot.fake.interact(chatInput('late'), { timeoutMs: 600 });
    await expect(late).rejects.toThrow(/callback requests: POST → 404/);
    expect(bot.errors).toHaveLength(1);
    expect(bot.errors[0]).toMatchObject({ code: 10062 });
  });

  it("an interaction's id carries its creation time (discord.js reads it as createdTimestamp)", async () => {
    const bot = await startBot();
    const created: number[] = [];
    onInteraction(bot, async (interaction) => {
      if (!interaction.isChatInputCommand()) return;
      created.push(interaction.createdTimestamp);
      await interaction.reply({ content: 'ok' });
    });
    const before = Date.now();
    const { interaction } = await bot.fake.interact(chatInput('when'));
    const after = Date.now();
    expect(snowflakeTime(interaction.id)).toBeGreaterThanOrEqual(before);
    expect(snowflakeTime(interaction.id)).toBeLessThanOrEqual(after);
    expect(created).toEqual([snowflakeTime(interaction.id)]);
    // An id a test gives (here: one made 3 s ago) is kept as given.
    const old = bot.fake.dispatchInteraction({ ...chatInput('when'), id: snowflakeAt(before - 3_000) });
    expect(snowflakeTime(old.id)).toBe(before - 3_000);
  });

  it('autocomplete gets the focused option and its choices are recorded', async () => {
    const bot = await startBot();
    onInteraction(bot, async (interaction) => {
      if (!interaction.isAutocomplete()) return;
      const focused = interaction.options.getFocused(true);
      await interaction.respond([{ name: `${focused.name}:${focused.value}`, value: focused.value }]);
    });
    const { callback } = await bot.fake.interact(
      autocomplete('topic', [{ name: 'query', type: ApplicationCommandOptionType.String, value: 'dock' }]),
    );
    expect(callback).toEqual({
      type: InteractionResponseType.ApplicationCommandAutocompleteResult,
      data: { choices: [{ name: 'query:dock', value: 'dock' }] },
    });
    expect(bot.errors).toEqual([]);
  });

  it('a DM interaction carries a user and a DM channel', async () => {
    const bot = await startBot();
    onInteraction(bot, async (interaction) => {
      if (!interaction.isChatInputCommand()) return;
      await interaction.reply({ content: `dm:${String(interaction.inGuild())}:${interaction.user.id}` });
    });
    const { callback, interaction } = await bot.fake.interact(chatInput('ping', [], { dm: true, actor: { id: '42' } }));
    expect(callback).toMatchObject({ data: { content: 'dm:false:42' } });
    expect(interaction.guild_id).toBeUndefined();
    expect(bot.errors).toEqual([]);
  });

  it('a button click updates the message it came from', async () => {
    const bot = await startBot();
    const row = new ActionRowBuilder<ButtonBuilder>().addComponents(
      new ButtonBuilder().setCustomId('more').setLabel('More').setStyle(ButtonStyle.Primary),
    );
    const sent = await sendable(bot).send({ content: 'Monday', components: [row] });
    onInteraction(bot, async (interaction) => {
      if (interaction.isButton()) await interaction.update({ content: 'Monday and Tuesday', components: [] });
    });
    const stored = bot.fake.messages()[0];
    if (!stored) throw new Error('the message was not stored');
    const { callback } = await bot.fake.interact({
      type: InteractionType.MessageComponent,
      data: { custom_id: 'more', component_type: ComponentType.Button },
      message: stored,
    });
    expect(callback.type).toBe(InteractionResponseType.UpdateMessage);
    expect(bot.fake.messages().map((message) => [message.id, message.content, message.components])).toEqual([
      [sent.id, 'Monday and Tuesday', []],
    ]);
    expect(bot.errors).toEqual([]);
  });

  it('records global and guild bulk overwrites, keeps ids across a re-registration, and uses them', async () => {
    const bot = await startBot();
    const application = bot.client.application;
    if (!application) throw new Error('no application after READY');
    const definitions: ChatInputApplicationCommandData[] = [
      { name: 'ping', description: 'Replies with pong' },
      {
        name: 'week',
        description: 'One week',
        options: [{ name: 'number', description: 'Week', type: ApplicationCommandOptionType.Integer, required: true }],
      },
    ];
    const global = await application.commands.set(definitions);
    const guild = await application.commands.set([{ name: 'admin', description: 'Staff only' }], bot.fake.guildId);
    expect(bot.fake.registrations.map((registration) => registration.scope)).toEqual(['global', bot.fake.guildId]);
    expect(bot.fake.registrations[0]?.body).toHaveLength(2);
    expect([...global.values()].map((command) => command.name).sort()).toEqual(['ping', 'week']);
    expect(guild.first()?.guildId).toBe(bot.fake.guildId);
    const stored = bot.fake.commands();
    expect(stored.map((command) => [command.application_id, command.type])).toEqual([
      [bot.fake.applicationId, ApplicationCommandType.ChatInput],
      [bot.fake.applicationId, ApplicationCommandType.ChatInput],
    ]);
    expect(bot.fake.commands(bot.fake.guildId)[0]).toMatchObject({ name: 'admin', guild_id: bot.fake.guildId });

    const again = await application.commands.set(definitions);
    expect([...again.keys()].sort()).toEqual([...global.keys()].sort());
    expect(bot.fake.commands().map((command) => command.version)).toEqual(stored.map((command) => command.version));

    answerPing(bot);
    const { interaction } = await bot.fake.interact(chatInput('ping'));
    const commandId = interaction.data && 'id' in interaction.data ? interaction.data.id : undefined;
    expect(commandId).toBe(stored.find((command) => command.name === 'ping')?.id);

    const bad = application.commands.set([{ name: 'Bad Name', description: 'x' }]);
    await expect(bad).rejects.toMatchObject({ status: 400, code: 50035 });
    expect(bot.fake.unhandled).toEqual([]);
  });
});

describe('FakeDiscord with the real discord.js client: channel messages and faults', () => {
  it('channel.send with the same nonce and enforceNonce stores one message', async () => {
    const bot = await startBot();
    const channel = sendable(bot);
    const options = {
      content: 'Good morning',
      nonce: 'announce-1',
      enforceNonce: true,
      allowedMentions: { parse: [] },
    };
    const first = await channel.send(options);
    const second = await channel.send(options);
    expect(second.id).toBe(first.id);
    const stored = bot.fake.messages();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({
      content: 'Good morning',
      nonce: 'announce-1',
      allowed_mentions: { parse: [] },
      author: { id: bot.fake.botUserId },
    });
    const listed = (await bot.client.rest.get(Routes.channelMessages(bot.fake.channelId))) as Array<{ id: string }>;
    expect(listed.map((message) => message.id)).toEqual([first.id]);
    // Discord's list does not carry nonces reliably; the fake leaves them out so nobody depends on them.
    expect(listed[0]).not.toHaveProperty('nonce');
  });

  it('lists messages newest first with limit, before and after; edits and files work', async () => {
    const bot = await startBot();
    const channel = sendable(bot);
    const sent = [];
    for (const content of ['one', 'two', 'three', 'four']) sent.push(await channel.send({ content }));
    const page = await channel.messages.fetch({ limit: 2 });
    expect([...page.values()].map((message) => message.content)).toEqual(['four', 'three']);
    const before = await channel.messages.fetch({ before: sent[2]?.id, limit: 10 });
    expect([...before.values()].map((message) => message.content)).toEqual(['two', 'one']);
    const after = await channel.messages.fetch({ after: sent[0]?.id, limit: 2 });
    expect([...after.values()].map((message) => message.content)).toEqual(['three', 'two']);
    const edited = await sent[0]?.edit({ content: 'uno' });
    expect(edited?.editedTimestamp).not.toBeNull();
    expect(bot.fake.messages()[0]?.content).toBe('uno');

    const files = [{ attachment: Buffer.from('pdf?'), name: 'week1.pdf' }];
    const withFile = await channel.send({ content: 'slides', files });
    expect(withFile.attachments.first()?.name).toBe('week1.pdf');
    const upload = bot.fake.requests.at(-1);
    expect(upload).toMatchObject({ body: { content: 'slides' }, files: [{ name: 'week1.pdf', size: 4 }] });
  });

  it('refuses what Discord refuses: unknown channel, too-long content, empty message', async () => {
    const bot = await startBot();
    await expect(bot.client.channels.fetch('999999999999999999')).rejects.toMatchObject({ status: 404, code: 10003 });
    const channel = sendable(bot);
    await expect(channel.send({ content: 'x'.repeat(2001) })).rejects.toBeInstanceOf(DiscordAPIError);
    await expect(channel.send({ content: 'x'.repeat(2001) })).rejects.toMatchObject({
      code: 50035,
      rawError: { errors: { content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH' }] } } },
    });
    const empty = bot.client.rest.post(Routes.channelMessages(bot.fake.channelId), { body: { content: '' } });
    await expect(empty).rejects.toMatchObject({ code: 50006 });
    expect(bot.fake.messages()).toEqual([]);
  });

  it('a 429 with Retry-After 1 on POST /channels/ is waited out and retried; the message arrives once', async () => {
    const bot = await startBot();
    const limits: Array<{ scope: string }> = [];
    bot.client.rest.on('rateLimited', (info) => limits.push({ scope: info.scope }));
    bot.fake.failNext('POST /channels/', { status: 429, retryAfter: 1 });
    const started = Date.now();
    const message = await sendable(bot).send({ content: 'after the limit' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(message.content).toBe('after the limit');
    expect(posts(bot)).toEqual([429, 200]);
    expect(bot.fake.messages()).toHaveLength(1);
    expect(limits).toEqual([{ scope: 'user' }]);
  });

  it('a 500 is retried by discord.js (retries: 3) and the message arrives once', async () => {
    const bot = await startBot();
    bot.fake.failNext('POST /channels/', { status: 500 }, 2);
    const message = await sendable(bot).send({ content: 'eventually' });
    expect(message.content).toBe('eventually');
    expect(posts(bot)).toEqual([500, 500, 200]);
    expect(bot.fake.messages()).toHaveLength(1);
    expect(bot.fake.pendingFaults).toBe(0);
  });

  it('an injected 403 reaches the caller as a DiscordAPIError with its code', async () => {
    const bot = await startBot();
    bot.fake.failNext(/^POST \/channels\/\d+\/messages$/, { status: 403, code: 50013, message: 'Missing Permissions' });
    await expect(sendable(bot).send({ content: 'no' })).rejects.toMatchObject({ status: 403, code: 50013 });
    expect(bot.fake.messages()).toEqual([]);
  });

  it('a lost answer (reset after the message was created) is retried and deduplicated by the nonce', async () => {
    const bot = await startBot();
    bot.fake.failNext('POST /channels/', { drop: true, reset: true, afterHandling: true });
    const message = await sendable(bot).send({ content: 'exactly once', nonce: 'n-1', enforceNonce: true });
    const attempts = bot.fake.requests.filter((request) => request.method === 'POST');
    expect(attempts.map((request) => [request.fault, request.status])).toEqual([
      ['drop (reset) after handling', undefined],
      [undefined, 200],
    ]);
    expect(bot.fake.messages().map((stored) => stored.id)).toEqual([message.id]);
  });

  it('a dropped connection without reset fails the request (discord.js does not retry it)', async () => {
    const bot = await startBot();
    bot.fake.failNext('POST /channels/', { drop: true });
    await expect(sendable(bot).send({ content: 'lost' })).rejects.toThrow(/other side closed/);
    expect(bot.fake.messages()).toEqual([]);
  });
});

describe('FakeDiscord on the wire', () => {
  /** A raw gateway client: `next()` yields the payloads in order. */
  async function connect(url: string): Promise<{ socket: WebSocket; next: () => Promise<Record<string, unknown>> }> {
    const socket = new WebSocket(`${url}/?v=10&encoding=json`);
    const queue: Array<Record<string, unknown>> = [];
    const waiting: Array<(payload: Record<string, unknown>) => void> = [];
    socket.on('message', (data: Buffer) => {
      const payload = JSON.parse(data.toString('utf8')) as Record<string, unknown>;
      const waiter = waiting.shift();
      if (waiter) waiter(payload);
      else queue.push(payload);
    });
    await once(socket, 'open');
    const next = (): Promise<Record<string, unknown>> => {
      const queued = queue.shift();
      return queued ? Promise.resolve(queued) : new Promise((resolve) => waiting.push(resolve));
    };
    return { socket, next };
  }

  it('sends HELLO, closes with 4004 on a bad token, refuses an unknown RESUME with op 9 false', async () => {
    fake = await FakeDiscord.start({ heartbeatInterval: 1234 });
    const first = await connect(fake.gatewayUrl);
    expect(await first.next()).toMatchObject({ op: GatewayOpcodes.Hello, d: { heartbeat_interval: 1234 } });
    const closed = once(first.socket, 'close');
    const identify = (token: string): string =>
      JSON.stringify({ op: GatewayOpcodes.Identify, d: { token, intents: 1, properties: {} } });
    first.socket.send(identify('wrong'));
    const [code] = (await closed) as [number];
    expect(code).toBe(GatewayCloseCodes.AuthenticationFailed);

    const second = await connect(fake.gatewayUrl);
    await second.next();
    const resume = { token: fake.token, session_id: 'nope', seq: 3 };
    second.socket.send(JSON.stringify({ op: GatewayOpcodes.Resume, d: resume }));
    expect(await second.next()).toEqual({ op: GatewayOpcodes.InvalidSession, d: false });
    second.socket.send(JSON.stringify({ op: GatewayOpcodes.Heartbeat, d: null }));
    expect(await second.next()).toEqual({ op: GatewayOpcodes.HeartbeatAck });
    second.socket.send(identify(fake.token));
    expect(await second.next()).toMatchObject({
      op: 0,
      t: 'READY',
      s: 1,
      d: { v: 10, resume_gateway_url: fake.gatewayUrl, user: { bot: true }, shard: [0, 1] },
    });
    expect(await second.next()).toMatchObject({ op: 0, t: 'GUILD_CREATE', s: 2, d: { id: fake.guildId } });
    expect(fake.dispatch('CUSTOM_EVENT', { x: 1 })).toBe(1);
    expect(await second.next()).toEqual({ op: 0, t: 'CUSTOM_EVENT', s: 3, d: { x: 1 } });
    second.socket.terminate();
  });

  it('answers 204 without a body or JSON content type, 401 without the bot token, 404 for unknown routes', async () => {
    fake = await FakeDiscord.start();
    const unauthorized = await fetch(`${fake.apiUrl}/v10/users/@me`);
    expect(unauthorized.status).toBe(401);
    expect(await unauthorized.json()).toEqual({ message: '401: Unauthorized', code: 0 });

    const headers = { authorization: `Bot ${fake.token}`, 'content-type': 'application/json' };
    const unknown = await fetch(`${fake.apiUrl}/v10/guilds/${fake.guildId}/bans`, { headers });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ message: '404: Not Found', code: 0 });
    const unhandled = fake.unhandled.map((request) => `${request.method} ${request.path}`);
    expect(unhandled).toEqual([`GET /guilds/${fake.guildId}/bans`]);

    const messages = `${fake.apiUrl}/v10/channels/${fake.channelId}/messages`;
    const created = await fetch(messages, { method: 'POST', headers, body: JSON.stringify({ content: 'bye' }) });
    const { id } = (await created.json()) as { id: string };
    const deleted = await fetch(`${messages}/${id}`, { method: 'DELETE', headers });
    expect(deleted.status).toBe(204);
    expect(deleted.headers.get('content-type')).toBeNull();
    expect(await deleted.text()).toBe('');
    expect(fake.messages()).toEqual([]);
  });
});
