// The benchmark's baseline: a bare discord.js client (the same discord.js, intents, caches and JSON options as
// course-bot's, src/platforms/discord/bot.ts) that answers every slash command with the reply course-bot sent
// for it. So the comparison counts our code, not the size of our answers.
//
// BASELINE_PAYLOADS: a JSON file `{ "<key>": <callback data> }` captured from course-bot by scripts/bench.ts,
// keyed by `payloadKey` below; a command not in it (or no file) is answered "pong".
//
// BASELINE_REQUIRE=1: discord.js is loaded with `require`, as course-bot's bundle loads it, rather than imported
// as an ES module's `import` does (Node then reads its CommonJS exports with a lexer first: more CPU at start).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const { Client, Events, GatewayIntentBits, Options } =
  process.env.BASELINE_REQUIRE === '1' ? createRequire(import.meta.url)('discord.js') : await import('discord.js');

/** `/name opt=value …`: the same key scripts/bench.ts writes. */
function payloadKey(interaction) {
  return [`/${interaction.commandName}`, ...interaction.options.data.map((option) => `${option.name}=${String(option.value)}`)].join(' ');
}

const payloads = process.env.BASELINE_PAYLOADS ? JSON.parse(readFileSync(process.env.BASELINE_PAYLOADS, 'utf8')) : {};
const pong = { content: 'pong', flags: 64 };

const client = new Client({
  intents: [GatewayIntentBits.Guilds],
  makeCache: Options.cacheWithLimits({
    ...Options.DefaultMakeCacheSettings,
    MessageManager: 0,
    GuildMemberManager: { maxSize: 200, keepOverLimit: (member) => member.id === member.client.user.id },
    UserManager: 200,
    PresenceManager: 0,
    ReactionManager: 0,
    GuildEmojiManager: 0,
    GuildStickerManager: 0,
    VoiceStateManager: 0,
    ThreadManager: 0,
  }),
  allowedMentions: { parse: [] },
  rest: { api: process.env.DISCORD_API_URL },
  jsonTransformer: (data) => data,
});
client.on(Events.InteractionCreate, (interaction) => {
  if (!interaction.isChatInputCommand()) return;
  // The captured data is Discord's JSON (snake_case), as course-bot's renderer produces it; allowed_mentions
  // comes from the client's default, as it does in course-bot.
  const { allowed_mentions: _mentions, ...data } = payloads[payloadKey(interaction)] ?? pong;
  interaction.reply(data).catch((error) => {
    process.stderr.write(`reply failed: ${String(error)}\n`);
  });
});
client.once(Events.ClientReady, () => process.stderr.write('baseline ready\n'));
process.once('SIGTERM', () => {
  void client.destroy().then(() => process.exit(0));
});
await client.login(process.env.DISCORD_TOKEN);
