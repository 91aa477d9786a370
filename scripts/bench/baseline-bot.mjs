// The benchmark's baseline: a bare discord.js client that answers every slash command with "pong".
// Same client options that matter for cost (Guilds intent, REST base URL), nothing else.
import { Client, Events, GatewayIntentBits, MessageFlags } from 'discord.js';

const client = new Client({ intents: [GatewayIntentBits.Guilds], rest: { api: process.env.DISCORD_API_URL } });
client.on(Events.InteractionCreate, (interaction) => {
  if (!interaction.isChatInputCommand()) return;
  interaction.reply({ content: 'pong', flags: MessageFlags.Ephemeral }).catch((error) => {
    process.stderr.write(`reply failed: ${String(error)}\n`);
  });
});
client.once(Events.ClientReady, () => process.stderr.write('baseline ready\n'));
process.once('SIGTERM', () => {
  void client.destroy().then(() => process.exit(0));
});
await client.login(process.env.DISCORD_TOKEN);
