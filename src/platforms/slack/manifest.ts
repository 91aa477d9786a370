import type { webApi } from '@slack/bolt';
import { type Command, type OptionDefinition, groupDescription } from '../../core/commands/command.js';

/** Slack's own type of an app manifest (`apps.manifest.create`), from the Web API client Bolt ships. */
type Manifest = webApi.AppsManifestCreateArguments['manifest'];
type BotScope = NonNullable<NonNullable<NonNullable<Manifest['oauth_config']>['scopes']>['bot']>[number];

/**
 * Slack's limits on a manifest (docs.slack.dev/reference/app-manifest, as written in `@slack/web-api`'s
 * `Manifest` type): app name 35, bot display name 80 (`a-z 0-9 - _ .`), 50 slash commands, a command 32
 * characters with its slash, its description 2000 and its usage hint 1000.
 */
export const MANIFEST_LIMITS = {
  appName: 35,
  appDescription: 140,
  botDisplayName: 80,
  slashCommands: 50,
  command: 32,
  commandDescription: 2000,
  usageHint: 1000,
} as const;

/**
 * What the bot asks for when installed, and why; nothing more.
 * - `commands`: the slash commands.
 * - `chat:write`: posting and updating announcements, change notices and reports to instructors. The bot is
 *   invited to its channels (it must be a member to read their history anyway), so `chat:write.public` is not
 *   needed.
 * - `channels:history`, `groups:history`: reading the announcement channel (public or private) to find an
 *   announcement already posted, so a restart or a second instance never posts it twice.
 * - `usergroups:read`: whether the person running a `/course` command is in the instructors' user group.
 * - `im:write`, `im:history`: opening a direct message to a student who asked for reminders (`/remind`), and
 *   reading it back to find a reminder already sent, so a restart never sends it twice.
 */
export const BOT_SCOPES = [
  'commands',
  'chat:write',
  'channels:history',
  'groups:history',
  'usergroups:read',
  'im:write',
  'im:history',
] as const satisfies readonly BotScope[];

/** The manifest's parts this bot writes; it is also a valid `Manifest` for Slack's API. */
export interface SlackManifest {
  readonly _metadata: { readonly major_version: number; readonly minor_version: number };
  readonly display_information: { readonly name: string; readonly description?: string };
  readonly features: {
    readonly bot_user: { readonly display_name: string; readonly always_online: boolean };
    readonly slash_commands: readonly SlashCommand[];
  };
  readonly oauth_config: { readonly scopes: { readonly bot: readonly BotScope[] } };
  readonly settings: {
    readonly org_deploy_enabled: boolean;
    readonly socket_mode_enabled: boolean;
    readonly token_rotation_enabled: boolean;
  };
}

export interface SlashCommand {
  readonly command: string;
  readonly description: string;
  readonly usage_hint?: string;
  readonly should_escape: boolean;
  /** Only over HTTP: where Slack posts the command. In Socket Mode commands arrive on the socket. */
  readonly url?: string;
}

export interface ManifestOptions {
  /** The app's name in Slack (at most 35 characters); the bot user's display name is made from it. */
  readonly name: string;
  readonly description?: string;
  /** Put before every command, e.g. `mlops-` for `/mlops-today`: Slack's slash commands are not namespaced. */
  readonly prefix?: string;
  /** Socket Mode (the default) needs no public URL, but an app-level token with `connections:write`. */
  readonly socketMode?: boolean;
  /** Over HTTP: the full https URL Slack posts commands to, e.g. `https://bot.example.org/slack/events`. */
  readonly requestUrl?: string;
}

const DEFAULT_DESCRIPTION = 'The course schedule, morning announcements and resources';

/** `<from> <to> [reason]` */
function optionsHint(options: readonly OptionDefinition[]): string {
  return options.map((option) => (option.required ? `<${option.name}>` : `[${option.name}]`)).join(' ');
}

/** `MLOps Course Bot` → `mlops-course-bot`: the characters Slack allows in a bot's display name. */
function displayName(name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, MANIFEST_LIMITS.botDisplayName);
  return slug || 'course-bot';
}

/**
 * A Slack app manifest for the bot: one slash command per top-level command of the registry, a group such as
 * `/course` folded into one command whose usage hint lists its subcommands (Slack has no subcommands: the
 * dispatcher reads the first word), the bot scopes in {@link BOT_SCOPES}, Socket Mode unless told otherwise.
 */
export function slackManifest(commands: readonly Command[], options: ManifestOptions): SlackManifest {
  const prefix = options.prefix ?? '';
  const http = options.socketMode === false;
  const slash: SlashCommand[] = [];
  const seen = new Set<string>();
  for (const command of commands) {
    const name = command.group ?? command.name;
    if (seen.has(name)) continue;
    seen.add(name);
    const members = command.group === undefined ? [command] : commands.filter((member) => member.group === command.group);
    const hint =
      command.group === undefined
        ? optionsHint(command.options)
        : `${members.map((member) => member.name).join('|')}${members.some((member) => member.options.length) ? ' …' : ''}`;
    slash.push({
      command: `/${prefix}${name}`,
      description: command.group === undefined ? command.description : groupDescription(name),
      ...(hint && { usage_hint: hint }),
      // Off: the dispatcher parses the typed text itself, as in the terminal.
      should_escape: false,
      ...(http && options.requestUrl && { url: options.requestUrl }),
    });
  }
  const manifest = {
    _metadata: { major_version: 1, minor_version: 1 },
    display_information: { name: options.name, description: options.description ?? DEFAULT_DESCRIPTION },
    features: {
      bot_user: { display_name: displayName(options.name), always_online: true },
      slash_commands: slash,
    },
    oauth_config: { scopes: { bot: [...BOT_SCOPES] } },
    settings: { org_deploy_enabled: false, socket_mode_enabled: !http, token_rotation_enabled: false },
  } satisfies SlackManifest;
  // Checked against Slack's own type, so a misspelt key or scope fails to compile.
  return manifest satisfies Manifest;
}

/** The manifest as JSON, the form `apps.manifest.create`, the Slack CLI and the app settings page all take. */
export function manifestJson(manifest: SlackManifest): string {
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

// Our rule, stricter than Slack documents: lowercase letters, digits, - and _ after the slash.
const COMMAND = /^\/[a-z0-9][a-z0-9_-]*$/;
const DISPLAY_NAME = /^[a-z0-9._-]+$/;

/** Every way the manifest breaks Slack's rules for an app manifest; empty when Slack would accept it. */
export function manifestProblems(manifest: SlackManifest): string[] {
  const problems: string[] = [];
  const name = manifest.display_information.name;
  if (name.trim().length < 1 || name.length > MANIFEST_LIMITS.appName) {
    problems.push(`app name must be 1–${MANIFEST_LIMITS.appName} characters (has ${name.length})`);
  }
  const description = manifest.display_information.description;
  if (description !== undefined && description.length > MANIFEST_LIMITS.appDescription) {
    problems.push(`app description must be at most ${MANIFEST_LIMITS.appDescription} characters (has ${description.length})`);
  }
  const bot = manifest.features.bot_user.display_name;
  if (!DISPLAY_NAME.test(bot) || bot.length > MANIFEST_LIMITS.botDisplayName) {
    problems.push(`bot display name "${bot}" must be 1–${MANIFEST_LIMITS.botDisplayName} of a-z 0-9 - _ .`);
  }
  const commands = manifest.features.slash_commands;
  if (commands.length > MANIFEST_LIMITS.slashCommands) {
    problems.push(`${commands.length} slash commands, at most ${MANIFEST_LIMITS.slashCommands}`);
  }
  const http = !manifest.settings.socket_mode_enabled;
  const seen = new Set<string>();
  for (const command of commands) {
    const where = command.command;
    if (!COMMAND.test(command.command) || command.command.length > MANIFEST_LIMITS.command) {
      problems.push(`${where}: must be a slash and lowercase letters, digits, - or _, ${MANIFEST_LIMITS.command} characters in all`);
    }
    if (seen.has(command.command)) problems.push(`${where}: defined twice`);
    seen.add(command.command);
    if (command.description.trim().length < 1 || command.description.length > MANIFEST_LIMITS.commandDescription) {
      problems.push(`${where}: description must be 1–${MANIFEST_LIMITS.commandDescription} characters`);
    }
    if (command.usage_hint !== undefined && command.usage_hint.length > MANIFEST_LIMITS.usageHint) {
      problems.push(`${where}: usage hint must be at most ${MANIFEST_LIMITS.usageHint} characters`);
    }
    if (command.url !== undefined && !/^https:\/\/\S+$/.test(command.url)) {
      problems.push(`${where}: request URL must be https`);
    }
    if (http && command.url === undefined) problems.push(`${where}: needs a request URL when Socket Mode is off`);
  }
  return problems;
}
