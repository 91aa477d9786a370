import type { Command as Program } from 'commander';
import { type CliContext, UsageError } from './context.js';

/** `course-bot slack-manifest`: the Slack app manifest. */
export function registerSlackManifest(cli: Program, ctx: CliContext): void {
  cli
    .command('slack-manifest')
    .description('Print the Slack app manifest (JSON) for "Create New App → From a manifest": commands, scopes, Socket Mode')
    .option('--name <name>', 'the app name in Slack (default: the course name, at most 35 characters)')
    .option('--prefix <prefix>', 'put before every command, e.g. mlops- for /mlops-today (default: SLACK_COMMAND_PREFIX)')
    .option('--request-url <url>', 'HTTP mode instead of Socket Mode: the https URL Slack posts commands to (…/slack/events)')
    .action(async (options: { name?: string; prefix?: string; requestUrl?: string }) => {
      const settings = ctx.config();
      const [{ manifestJson, manifestProblems, slackManifest }, { loadCourseFile }, { commands }] = await Promise.all([
        import('../platforms/slack/manifest.js'),
        import('../course-file/read.js'),
        import('../core/commands/registry.js'),
      ]);
      const { course: current } = loadCourseFile(settings.courseFile, settings.courseFileLabel);
      const manifest = slackManifest(commands, {
        name: options.name ?? current.name.slice(0, 35),
        ...((options.prefix ?? settings.slack?.commandPrefix) && { prefix: options.prefix ?? settings.slack?.commandPrefix }),
        ...(options.requestUrl && { socketMode: false, requestUrl: options.requestUrl }),
      });
      const problems = manifestProblems(manifest);
      if (problems.length) throw new UsageError(`The manifest would be refused by Slack:\n  ${problems.join('\n  ')}`);
      await ctx.print(manifestJson(manifest));
      const configured = settings.slack?.commandPrefix ?? '';
      if (options.prefix !== undefined && options.prefix !== configured) {
        await ctx.warn(`Set SLACK_COMMAND_PREFIX=${options.prefix} too: the bot answers /${configured}today…, the manifest registers /${options.prefix}today….`);
      }
    });
}
