import { once } from 'node:events';
import { type ChatInputCommandInteraction, Client, Events, GatewayIntentBits, MessageFlags, Routes } from 'discord.js';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeDiscord, chatInput } from './index.js';

let fake: FakeDiscord | undefined;
let client: Client | undefined;

afterEach(async () => {
  await client?.destroy();
  client = undefined;
  await fake?.close();
  fake = undefined;
});

/** A real discord.js client on a fake with a short callback window; `answer` handles each slash command. */
async function start(answer: (interaction: ChatInputCommandInteraction, reply: (content: string) => Promise<unknown>) => Promise<void>): Promise<FakeDiscord> {
  fake = await FakeDiscord.start({ heartbeatInterval: 1000, callbackWindowMs: 300 });
  client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: fake.apiUrl } });
  client.on(Events.InteractionCreate, (interaction) => {
    if (!interaction.isChatInputCommand()) return;
    const reply = (content: string) => interaction.reply({ content, flags: MessageFlags.Ephemeral });
    answer(interaction, reply).catch(() => undefined);
  });
  const ready = once(client, Events.ClientReady);
  await client.login(fake.token);
  await ready;
  return fake;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('FakeDiscord.burst', () => {
  it('counts answered, missed, too-late (10062) and second (40060) callbacks of a paced burst, until the late ones stop', async () => {
    const discord = await start(async (interaction, reply) => {
      const name = interaction.commandName;
      if (name === 'fast') await reply('ok');
      if (name === 'twice') {
        await reply('one');
        // discord.js refuses a second reply itself: send it as a raw callback, as a confused bot would.
        const body = { type: 4, data: { content: 'two' } };
        await interaction.client.rest.post(Routes.interactionCallback(interaction.id, interaction.token), { body, auth: false });
      }
      // Each late one answers 300 ms after the one before, the last 800 ms after the window has closed.
      const late = { late1: 500, late2: 800, late3: 1100 }[name];
      if (late !== undefined) {
        await sleep(late);
        await reply('too late').catch(() => reply('fallback'));
      }
      // 'silent' is never answered.
    });
    const inputs = [
      ...Array.from({ length: 6 }, () => chatInput('fast')),
      chatInput('twice'),
      chatInput('late1'),
      chatInput('late2'),
      chatInput('late3'),
      chatInput('silent'),
    ];
    const result = await discord.burst(inputs, { perSecond: 100, settleMs: 400 });
    // Counting went on while late callbacks kept coming (each 300 ms after the last, under the 400 ms settle):
    // all three late ones and their fallbacks were refused with 10062.
    expect(result).toMatchObject({ sent: 11, answered: 7, missed: 4, unknownInteraction: 6, alreadyAcknowledged: 1 });
    expect(result.latencies).toHaveLength(7);
    // 11 at 100 a second: the last goes out about 100 ms after the first, not all at once.
    expect(result.dispatchMs).toBeGreaterThanOrEqual(90);
  });
});
