// The benchmark's baseline: a bare discord.js client that answers every slash command with "pong".
// Same client options that matter for cost (Guilds intent, REST base URL), nothing else.
import { readFileSync } from 'node:fs';
import { Client, Events, GatewayIntentBits, MessageFlags } from 'discord.js';

// BASELINE_PAYLOAD: a JSON file with the reply to send instead of "pong" (to compare equal payloads).
const payload = process.env.BASELINE_PAYLOAD
  ? JSON.parse(readFileSync(process.env.BASELINE_PAYLOAD, 'utf8'))
  : { content: 'pong' };

const client = new Client({
  intents: [GatewayIntentBits.Guilds],
  rest: { api: process.env.DISCORD_API_URL },
  ...(process.env.BASELINE_PAYLOAD && { jsonTransformer: (data) => data }),
});
client.on(Events.InteractionCreate, (interaction) => {
  if (!interaction.isChatInputCommand()) return;
  interaction.reply({ ...payload, flags: MessageFlags.Ephemeral }).catch((error) => {
    process.stderr.write(`reply failed: ${String(error)}\n`);
  });
});
client.once(Events.ClientReady, () => process.stderr.write('baseline ready\n'));
process.once('SIGTERM', () => {
  void client.destroy().then(() => process.exit(0));
});
await client.login(process.env.DISCORD_TOKEN);
