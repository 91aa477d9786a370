import type { Command as Program } from 'commander';
import { type CliContext, SetupError, UsageError, loggerFor } from './context.js';

/** `course-bot register-commands`: the slash commands registered with Discord now. */
export function registerRegisterCommands(cli: Program, ctx: CliContext): void {
  cli
    .command('register-commands')
    .description('Register the slash commands with Discord now, even when unchanged, and print them')
    .option('--guild <id>', 'register in this server (instant) instead of DISCORD_GUILD_ID or globally')
    .action(async (options: { guild?: string }) => {
      if (options.guild !== undefined && !/^\d{15,21}$/.test(options.guild)) {
        throw new UsageError(`--guild: "${options.guild}" is not a Discord id`);
      }
      const settings = ctx.config();
      if (!settings.discord) throw new SetupError('register-commands needs DISCORD_TOKEN (see .env.example)');
      const logger = loggerFor(settings);
      const [{ applicationId, discordRest, syncCommands }, { commandsJson }, { openStateStore }, { commands }] = await Promise.all([
        import('../platforms/discord/bot.js'),
        import('../platforms/discord/command-json.js'),
        import('../store/open.js'),
        import('../core/commands/registry.js'),
      ]);
      const store = openStateStore(settings);
      try {
        const rest = discordRest(settings.discord);
        const guildId = options.guild ?? settings.discord.guildId;
        const registration = await syncCommands({
          rest,
          applicationId: await applicationId(rest, settings.discord),
          ...(guildId && { guildId }),
          commands,
          store,
          logger,
          force: true,
        });
        const lines = commandsJson(commands).map((command) => `  /${command.name} — ${command.description}`);
        await ctx.print([`Registered ${registration.names.length} commands (${registration.scope}):`, ...lines].join('\n'));
      } finally {
        store.close();
      }
    });
}
