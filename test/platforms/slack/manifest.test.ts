import { describe, expect, it } from 'vitest';
import { defineCommand } from '../../../src/core/commands/command.js';
import { commands } from '../../../src/core/commands/registry.js';
import { message } from '../../../src/core/messages.js';
import { slashCommandNames } from '../../../src/platforms/slack/dispatch.js';
import {
  BOT_SCOPES,
  type SlackManifest,
  manifestJson,
  manifestProblems,
  slackManifest,
} from '../../../src/platforms/slack/manifest.js';

const STUDENT_COMMANDS = ['today', 'tomorrow', 'week', 'next', 'schedule', 'resources', 'setup', 'remind', 'help'];

function withCommands(manifest: SlackManifest, slash: SlackManifest['features']['slash_commands']): SlackManifest {
  return { ...manifest, features: { ...manifest.features, slash_commands: slash } };
}

describe('Slack app manifest', () => {
  it('is generated from the registry: one slash command per top-level command, /course folded into one', () => {
    const manifest = slackManifest(commands, { name: 'MLOps Course Bot' });
    const slash = manifest.features.slash_commands;
    expect(slash.map((command) => command.command)).toEqual([...STUDENT_COMMANDS, 'course'].map((name) => `/${name}`));
    expect(slash.map((command) => command.command)).toEqual(slashCommandNames(commands));
    expect(slash.find((command) => command.command === '/course')).toEqual({
      command: '/course',
      description: 'Instructors: change the schedule, preview and post announcements',
      usage_hint: 'edit|cancel|move|add|undo|history|preview|announce|reload …',
      should_escape: false,
    });
    expect(slash.find((command) => command.command === '/today')).toMatchObject({ usage_hint: '[date]', should_escape: false });
    expect(slash.find((command) => command.command === '/help')).not.toHaveProperty('usage_hint');
    expect(slash.every((command) => command.url === undefined)).toBe(true);
    expect(manifestProblems(manifest)).toEqual([]);
  });

  it('shows required options as <name> and optional ones as [name]', () => {
    const move = defineCommand({
      name: 'move',
      description: 'Move',
      audience: 'instructors',
      options: [
        { name: 'from', type: 'date', description: 'From', required: true },
        { name: 'to', type: 'date', description: 'To', required: true },
        { name: 'reason', type: 'string', description: 'Why' },
      ],
      run: () => message({ title: 'moved' }),
    });
    expect(slackManifest([move], { name: 'Bot' }).features.slash_commands[0]?.usage_hint).toBe('<from> <to> [reason]');
  });

  it('puts the prefix before every command, as the dispatcher expects it', () => {
    const manifest = slackManifest(commands, { name: 'MLOps Course Bot', prefix: 'mlops-' });
    const names = manifest.features.slash_commands.map((command) => command.command);
    expect(names).toContain('/mlops-today');
    expect(names).toContain('/mlops-course');
    expect(names).toEqual(slashCommandNames(commands, 'mlops-'));
    expect(manifestProblems(manifest)).toEqual([]);
  });

  it('asks for the bot scopes it uses and nothing more, in Socket Mode by default', () => {
    const manifest = slackManifest(commands, { name: 'MLOps Course Bot', description: 'The MLOps course' });
    expect(manifest.oauth_config.scopes.bot).toEqual(['commands', 'chat:write', 'channels:history', 'groups:history', 'usergroups:read', 'im:write', 'im:history']);
    expect(manifest.oauth_config.scopes.bot).toEqual([...BOT_SCOPES]);
    expect(manifest.display_information).toEqual({ name: 'MLOps Course Bot', description: 'The MLOps course' });
    expect(manifest.features.bot_user).toEqual({ display_name: 'mlops-course-bot', always_online: true });
    expect(manifest.settings).toEqual({ org_deploy_enabled: false, socket_mode_enabled: true, token_rotation_enabled: false });
    expect(manifest).not.toHaveProperty('settings.interactivity');
  });

  it('over HTTP, gives every command the request URL, and says when one is missing', () => {
    const url = 'https://bot.example.org/slack/events';
    const http = slackManifest(commands, { name: 'Bot', socketMode: false, requestUrl: url });
    expect(http.settings.socket_mode_enabled).toBe(false);
    expect(http.features.slash_commands.map((command) => command.url)).toEqual(http.features.slash_commands.map(() => url));
    expect(manifestProblems(http)).toEqual([]);
    const missing = manifestProblems(slackManifest(commands, { name: 'Bot', socketMode: false }));
    expect(missing).toHaveLength(commands.filter((command) => command.group === undefined).length + 1);
    expect(missing[0]).toBe('/today: needs a request URL when Socket Mode is off');
    expect(manifestProblems(slackManifest(commands, { name: 'Bot', socketMode: false, requestUrl: 'http://bot.example.org/' }))).toContain(
      '/today: request URL must be https',
    );
  });

  it('catches names, duplicates and lengths Slack would refuse', () => {
    const base = slackManifest(commands, { name: 'Bot' });
    const today = base.features.slash_commands[0]!;
    const broken = withCommands(base, [
      { ...today, command: '/Today' },
      { ...today, command: '/two words' },
      { ...today, command: 'today' },
      { ...today, command: `/${'x'.repeat(32)}` },
      { ...today, command: '/week' },
      { ...today, command: '/week' },
      { ...today, command: '/long', description: 'x'.repeat(2001), usage_hint: 'y'.repeat(1001) },
      { ...today, command: '/empty', description: ' ' },
    ]);
    expect(manifestProblems(broken)).toEqual([
      '/Today: must be a slash and lowercase letters, digits, - or _, 32 characters in all',
      '/two words: must be a slash and lowercase letters, digits, - or _, 32 characters in all',
      'today: must be a slash and lowercase letters, digits, - or _, 32 characters in all',
      `/${'x'.repeat(32)}: must be a slash and lowercase letters, digits, - or _, 32 characters in all`,
      '/week: defined twice',
      '/long: description must be 1–2000 characters',
      '/long: usage hint must be at most 1000 characters',
      '/empty: description must be 1–2000 characters',
    ]);
    expect(manifestProblems(slackManifest(commands, { name: 'Bot', prefix: 'MLOps ' }))).toHaveLength(10);
    expect(manifestProblems(slackManifest(commands, { name: 'A course bot with a very long name indeed' }))).toEqual([
      'app name must be 1–35 characters (has 41)',
    ]);
    const tooMany = withCommands(base, Array.from({ length: 51 }, (_, index) => ({ ...today, command: `/c${index}` })));
    expect(manifestProblems(tooMany)).toEqual(['51 slash commands, at most 50']);
  });

  it('prints as JSON that reads back as the same manifest', () => {
    const manifest = slackManifest(commands, { name: 'MLOps Course Bot', prefix: 'mlops-' });
    const json = manifestJson(manifest);
    expect(json.endsWith('}\n')).toBe(true);
    expect(JSON.parse(json)).toEqual(manifest);
  });
});
