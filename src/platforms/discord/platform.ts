import type { REST } from 'discord.js';
import type { DiscordConfig } from '../../config.js';
import { commands } from '../../core/commands/registry.js';
import type { CourseBinding, CoursePorts, Platform, PlatformModule, Poster } from '../platform.js';
import { observed, routedOnly, settled } from '../platform.js';

interface PosterInput {
  readonly config: DiscordConfig;
  /** `DISCORD_EVENTS=on`: the course's sessions kept as the server's scheduled events. */
  readonly events: boolean;
  readonly botUserId: () => string | undefined;
}

/** A course's messengers on Discord (posting needs no gateway connection: the HTTP API only). */
async function discordPoster(input: PosterInput): Promise<Poster> {
  const [{ discordRest }, { DiscordMessenger, postNotice }, { DiscordDirectMessenger }, { DiscordEventPort }, { PACED_REQUESTS_PER_SECOND, Pacer, paced }] =
    await Promise.all([import('./bot.js'), import('./messenger.js'), import('./direct.js'), import('./events.js'), import('./pacing.js')]);
  const { config } = input;
  // One client per bot token for every course: Discord's global rate limit is the bot's, and a client per course
  // would each spend the whole budget at once (a fan-out of N courses met N-fold 429s). Posting does not retry
  // on its own: the announcer looks for an earlier attempt before posting again. Both clients (one token) take
  // turns at one pacer a little under Discord's 50 a second, so a fan-out meets no 429 (see pacing.ts).
  const pacer = new Pacer({ perSecond: PACED_REQUESTS_PER_SECOND });
  const posting: REST = paced(discordRest(config, { retries: 0 }), pacer);
  let reportingClient: REST | undefined;
  const reportingRest = (): REST => (reportingClient ??= paced(discordRest(config), pacer));
  return {
    forCourse(course: CourseBinding): CoursePorts {
      const targets: Partial<NonNullable<CourseBinding['targets']['discord']>> = course.targets.discord ?? {};
      const botUserId = input.botUserId();
      const { announceChannelId, instructorChannelId, guildId } = targets;
      const reporting = instructorChannelId ? reportingRest() : undefined;
      return {
        platform: 'discord',
        announce: announceChannelId
          ? [
              new DiscordMessenger({
                rest: posting,
                channelId: announceChannelId,
                ...(botUserId && { botUserId }),
                ...(targets.announceRoleId && { mentionRoleId: targets.announceRoleId }),
                ...(instructorChannelId && { instructorChannelId }),
              }),
            ]
          : [],
        direct: [
          new DiscordDirectMessenger({ rest: posting, book: course.reminders, ...(guildId && { guildId }), ...(botUserId && { botUserId }) }),
        ],
        ...(reporting && instructorChannelId && { report: (text: string) => postNotice(reporting, instructorChannelId, text) }),
        ...(input.events && guildId && { events: new DiscordEventPort({ rest: posting, guildId, botUserId: input.botUserId }) }),
      };
    },
  };
}

/** Discord: the gateway client (commands), and the HTTP API for posts, direct messages, reports and events. */
export const discordPlatform: PlatformModule = {
  name: 'discord',
  async start(deps): Promise<Platform> {
    const config = deps.config.discord!;
    const { DiscordBot } = await import('./bot.js');
    const { metrics } = deps;
    const bot = new DiscordBot({
      config,
      commands,
      store: deps.store,
      clock: deps.clock,
      logger: deps.logger,
      course: routedOnly('discord'),
      scope: deps.scopes.resolver('discord'),
      courses: () => deps.scopes.courses('discord'),
      registration: deps.targets,
      ...(metrics && { metrics, observe: metrics.command, dropped: metrics.dropped }),
      ...(deps.config.discordEvents && { discordEvents: deps.config.discordEvents }),
    });
    metrics?.gatewayPing('discord', () => bot.client.ws.ping);
    const ready = observed(bot.start());
    const poster = await discordPoster({ config, events: deps.config.discordEvents !== undefined, botUserId: () => bot.client.user?.id });
    return {
      name: 'discord',
      health: () => (bot.connected ? 'ok' : 'not connected to the gateway'),
      ready,
      lost: bot.lost,
      ended: new Promise<void>(() => undefined),
      forCourse: (course) => poster.forCourse(course),
      coursesChanged: () => bot.registerCommands(),
      stop: async () => {
        await bot.stop();
        await settled(ready);
      },
    };
  },
  async poster(config) {
    const discord = config.discord!;
    // Through bot.ts: the build loads discord.js with require, and import() of it would give only a default export.
    const { Routes, discordRest } = await import('./bot.js');
    // Who the bot is, to find an announcement it already posted; asked only when there is a channel to post to.
    const me = discord.announceChannelId ? ((await discordRest(discord, { retries: 0 }).get(Routes.user())) as { id: string }) : undefined;
    return discordPoster({ config: discord, events: false, botUserId: () => me?.id });
  },
};
