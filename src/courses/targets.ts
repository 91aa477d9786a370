import type { Config } from '../config.js';
import type { CourseTargets, DiscordTargets, SlackTargets } from '../core/course/schema.js';

/**
 * Today's single-course environment variables (`DISCORD_GUILD_ID`, `SLACK_ANNOUNCE_CHANNEL`, …) as the
 * targets of the one course, so that a setup without `targets:` in its course file keeps working as it is.
 * A platform without its token has no targets.
 */
export function targetsFromConfig(config: Pick<Config, 'discord' | 'slack'>): CourseTargets {
  const { discord, slack } = config;
  return {
    ...(discord && {
      discord: {
        ...defined({
          guildId: discord.guildId,
          announceChannelId: discord.announceChannelId,
          instructorRoleId: discord.instructorRoleId,
          announceRoleId: discord.announceRoleId,
          instructorChannelId: discord.instructorChannelId,
        }),
        channels: [],
      } satisfies DiscordTargets,
    }),
    ...(slack && {
      slack: {
        ...defined({
          announceChannel: slack.announceChannel,
          instructorChannel: slack.instructorChannel,
          instructorUsergroup: slack.instructorUsergroup,
        }),
        instructorUserIds: [...slack.instructorUserIds],
        channels: [],
      } satisfies SlackTargets,
    }),
  };
}

/**
 * The targets of the one course of a `COURSE_FILE` setup: per platform, the file's own `targets:` block
 * when it has one, else the environment variables. (In a `COURSES_DIR` every course names its own.)
 */
export function singleCourseTargets(file: CourseTargets | undefined, config: Pick<Config, 'discord' | 'slack'>): CourseTargets {
  const env = targetsFromConfig(config);
  const discord = file?.discord ?? env.discord;
  const slack = file?.slack ?? env.slack;
  return { ...(discord && { discord }), ...(slack && { slack }) };
}

function defined<T extends Record<string, string | undefined>>(values: T): { [K in keyof T]?: string } {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as { [K in keyof T]?: string };
}
