import type { SlackConfig } from '../../config.js';
import { commands } from '../../core/commands/registry.js';
import type { Logger } from '../../log.js';
import type { CourseBinding, CoursePorts, Platform, PlatformModule, Poster } from '../platform.js';
import { observed, routedOnly, settled } from '../platform.js';

/** A course's messengers on Slack (the Web API: posting needs no Socket Mode or HTTP listener). */
async function slackPoster(config: SlackConfig, logger: Logger): Promise<Poster> {
  const [{ slackClient }, { SlackMessenger }, { commandNamer }, { SlackDirectMessenger }] = await Promise.all([
    import('./bot.js'),
    import('./messenger.js'),
    import('./render.js'),
    import('./direct.js'),
  ]);
  // Posting does not retry on its own: the announcer looks for an earlier attempt before posting again.
  const client = slackClient(config, logger, { retries: 0 });
  const nameCommands = commandNamer(commands, config.commandPrefix);
  return {
    forCourse(course: CourseBinding): CoursePorts {
      const { announceChannel, instructorChannel } = course.targets.slack ?? {};
      const messenger = (channel: string) =>
        new SlackMessenger({ client, channel, nameCommands, ...(instructorChannel && { instructorChannel }) });
      return {
        platform: 'slack',
        announce: announceChannel ? [messenger(announceChannel)] : [],
        direct: [new SlackDirectMessenger({ client, book: course.reminders, nameCommands })],
        ...(instructorChannel && { report: (text: string) => messenger(instructorChannel).report(text) }),
      };
    },
  };
}

/** Slack: the Bolt app (commands, over Socket Mode or HTTP), and the Web API for posts, direct messages and reports. */
export const slackPlatform: PlatformModule = {
  name: 'slack',
  async start(deps): Promise<Platform> {
    const config = deps.config.slack!;
    const { SlackBot } = await import('./bot.js');
    const { metrics } = deps;
    const bot: InstanceType<typeof SlackBot> = new SlackBot({
      config,
      commands,
      store: deps.store,
      clock: deps.clock,
      logger: deps.logger,
      course: routedOnly('slack'),
      // A course's user group is asked of Slack only when one of its instructor commands is asked.
      scope: deps.scopes.resolver('slack', { usergroupMembers: (usergroup) => bot.usergroupMembers(usergroup) }),
      courses: () => deps.scopes.courses('slack'),
      ...(metrics && { observe: metrics.command }),
    });
    const ready = observed(bot.start());
    const poster = await slackPoster(config, deps.logger);
    return {
      name: 'slack',
      health: () => (bot.connected ? 'ok' : config.appToken ? 'not connected (Socket Mode)' : 'not listening'),
      ready,
      lost: bot.lost,
      ended: new Promise<void>(() => undefined),
      forCourse: (course) => poster.forCourse(course),
      stop: async () => {
        // Stop first: a start still connecting (or retrying) then gives up instead of holding the stop.
        await bot.stop();
        await settled(ready);
      },
    };
  },
  poster: (config, logger) => slackPoster(config.slack!, logger),
};
