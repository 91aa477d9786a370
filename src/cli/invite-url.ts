import type { Command as Program } from 'commander';
import { type CliContext, SetupError } from './context.js';

/**
 * What the bot needs in a channel: View Channels (1 << 10), Send Messages (1 << 11), Embed Links (1 << 14:
 * answers and announcements are embeds) and Read Message History (1 << 16: to find an announcement already
 * posted). Nothing else: it pings only the configured role, which must be set to "allow anyone to mention
 * this role". Spelled out so that printing a link does not load discord.js; a test compares it with
 * discord.js's `PermissionFlagsBits`.
 */
export const BOT_PERMISSIONS = (1n << 10n) | (1n << 11n) | (1n << 14n) | (1n << 16n);

/** Manage Events (1 << 33): create, edit and cancel the server's scheduled events (`DISCORD_EVENTS=on`). */
export const EVENTS_PERMISSION = 1n << 33n;

/**
 * The OAuth2 link that adds the bot to a server: scopes `bot` and `applications.commands`; with `events`,
 * Manage Events too.
 */
export function inviteUrl(applicationId: string, options: { readonly events?: boolean } = {}): string {
  const permissions = options.events ? BOT_PERMISSIONS | EVENTS_PERMISSION : BOT_PERMISSIONS;
  const query = new URLSearchParams({ client_id: applicationId, scope: 'bot applications.commands', permissions: permissions.toString() });
  return `https://discord.com/oauth2/authorize?${query.toString()}`;
}

/** `course-bot invite-url`: the link that adds the bot to a Discord server. */
export function registerInviteUrl(cli: Program, ctx: CliContext): void {
  cli
    .command('invite-url')
    .description('Print the link that invites the bot to a Discord server with the scopes and permissions it needs')
    .action(async () => {
      const settings = ctx.config();
      let id = settings.discordApplicationId;
      if (id === undefined) {
        if (!settings.discord) {
          throw new SetupError(
            'invite-url needs DISCORD_APPLICATION_ID (Developer Portal → your app → General Information), or DISCORD_TOKEN to look it up (see .env.example)',
          );
        }
        const { applicationId, discordRest } = await import('../platforms/discord/bot.js');
        id = await applicationId(discordRest(settings.discord), settings.discord);
      }
      await ctx.print(inviteUrl(id, { events: settings.discordEvents !== undefined }));
    });
}
