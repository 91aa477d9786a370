import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { commands } from '../../../src/core/commands/registry.js';
import type { CourseTargets } from '../../../src/core/course/schema.js';
import { discordRest } from '../../../src/platforms/discord/bot.js';
import { commandsHash, commandsJson } from '../../../src/platforms/discord/command-json.js';
import {
  commandScopes,
  courseOptionWanted,
  planRegistrations,
  registeredGuildsKey,
  registerGuildCommands,
  registrationKey,
} from '../../../src/platforms/discord/register-guilds.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { FakeDiscord } from '../../fakes/discord/index.js';
import { captureLogger } from '../../support/log.js';

const G1 = '111111111111111111';
const G2 = '222222222222222222';
const G3 = '333333333333333333';
const APP = '999999999999999999';

const inGuild = (guildId?: string): CourseTargets => ({ discord: { channels: [], ...(guildId !== undefined && { guildId }) } });
const slackOnly: CourseTargets = { slack: { channels: [], instructorUserIds: [] } };

describe('commandScopes', () => {
  it('is each guild a course names once, and global where a Discord course names none', () => {
    expect(commandScopes([inGuild(G2), inGuild(G1), inGuild(G1), slackOnly])).toEqual([G1, G2]);
    expect(commandScopes([inGuild(G2), inGuild()])).toEqual(['global', G2]);
    expect(commandScopes([slackOnly])).toEqual([]);
  });
});

describe('courseOptionWanted', () => {
  it('is true where more than one course is served on Discord (Slack-only courses do not count)', () => {
    expect(courseOptionWanted([])).toBe(false);
    expect(courseOptionWanted([inGuild(G1), slackOnly])).toBe(false);
    expect(courseOptionWanted([inGuild(G1), inGuild(G2)])).toBe(true);
    expect(courseOptionWanted([inGuild(), inGuild(G1), slackOnly])).toBe(true);
  });
});

describe('planRegistrations (pure)', () => {
  const body = commandsJson(commands);
  const hashes = new Map<string, string>();
  const plan = (scopes: string[], registeredGuilds: string[] = [], force = false) =>
    planRegistrations({ applicationId: APP, scopes, body: () => body, previous: (key) => hashes.get(key), registeredGuilds, force }).map(
      (step) => `${step.action} ${step.scope}`,
    );

  it('puts where the hash differs, leaves where it is the same, and forces when asked', () => {
    hashes.clear();
    expect(plan([G1, G2])).toEqual([`put ${G1}`, `put ${G2}`]);
    hashes.set(registrationKey(APP, G1), commandsHash(body, registrationKey(APP, G1)));
    expect(plan([G1, G2])).toEqual([`unchanged ${G1}`, `put ${G2}`]);
    expect(plan([G1, G2], [], true)).toEqual([`put ${G1}`, `put ${G2}`]);
  });

  it('uses the key and hash of the single-course registration, so moving to a course file re-registers nothing', () => {
    hashes.clear();
    // What syncCommands records for DISCORD_GUILD_ID=G1.
    hashes.set(`discord:commands:${APP}:${G1}`, commandsHash(body, `discord:commands:${APP}:${G1}`));
    expect(plan([G1])).toEqual([`unchanged ${G1}`]);
  });

  it('clears a guild no course names any more, and global once every course names its guild', () => {
    hashes.clear();
    hashes.set(registrationKey(APP, 'global'), 'old');
    hashes.set(registrationKey(APP, G3), 'old');
    expect(plan([G1], [G3])).toEqual([`put ${G1}`, 'clear global', `clear ${G3}`]);
    hashes.set(registrationKey(APP, 'global'), commandsHash([], registrationKey(APP, 'global')));
    expect(plan([G1], [])).toEqual([`put ${G1}`]);
  });
});

describe('registerGuildCommands (against the fake Discord)', () => {
  let fake: FakeDiscord;
  let store: MemoryStore;
  beforeEach(async () => {
    fake = await FakeDiscord.start({ guilds: [{ id: G1 }, { id: G2 }] });
    store = new MemoryStore();
  });
  afterEach(async () => {
    await fake.close();
  });

  const register = (targets: CourseTargets[], options: { force?: boolean; extra?: string } = {}) => {
    const { logger, lines } = captureLogger();
    const rest = discordRest({ token: fake.token, apiUrl: fake.apiUrl, replyVisibility: 'ephemeral' });
    const perScope = (scope: string) => (options.extra === scope ? commands : commands.filter((command) => command.name !== 'help'));
    return registerGuildCommands({
      rest,
      applicationId: fake.applicationId,
      targets,
      commands: perScope,
      store,
      logger,
      ...(options.force !== undefined && { force: options.force }),
    }).then((report) => ({ report, lines }));
  };
  const names = (scope: string) => fake.commands(scope).map((command) => command.name).sort();
  const expected = [...new Set(commands.filter((command) => command.name !== 'help').map((command) => command.group ?? command.name))].sort();

  it('registers in each named guild (two courses in one guild: once), only when the definitions changed', async () => {
    const targets = [inGuild(G1), inGuild(G1), inGuild(G2)];
    const { report } = await register(targets);
    expect(report).toEqual({ registered: [G1, G2], cleared: [], unchanged: [], failed: [] });
    expect(names(G1)).toEqual(expected);
    expect(names(G2)).toEqual(expected);
    expect(fake.commands('global')).toEqual([]);
    expect(fake.registrations.map((registration) => registration.scope)).toEqual([G1, G2]);

    const again = await register(targets);
    expect(again.report).toEqual({ registered: [], cleared: [], unchanged: [G1, G2], failed: [] });
    expect(fake.registrations).toHaveLength(2);

    // The definitions change in one guild only: only that guild is registered again.
    const changed = await register(targets, { extra: G2 });
    expect(changed.report.registered).toEqual([G2]);
    expect(names(G2)).toContain('help');
    expect(names(G1)).not.toContain('help');

    const forced = await register(targets, { force: true, extra: G2 });
    expect(forced.report.registered).toEqual([G1, G2]);
    expect(fake.registrations).toHaveLength(5);
  });

  it('registers globally for a course that names no guild, and clears what no course needs any more', async () => {
    await register([inGuild(), inGuild(G2)]);
    expect(names('global')).toEqual(expected);
    expect(names(G2)).toEqual(expected);
    const { report } = await register([inGuild(G1)]);
    expect(report).toEqual({ registered: [G1], cleared: ['global', G2], unchanged: [], failed: [] });
    expect(fake.commands('global')).toEqual([]);
    expect(fake.commands(G2)).toEqual([]);
    expect(store.getValue(registeredGuildsKey(fake.applicationId))).toBe(JSON.stringify([G1]));
    const quiet = await register([inGuild(G1)]);
    expect(quiet.report).toEqual({ registered: [], cleared: [], unchanged: [G1], failed: [] });
  });

  it('adds the course option when a second Discord course comes, and takes it away when it goes: each a registration', async () => {
    type Registered = { name: string; options?: { name: string; type: number; options?: { name: string }[] }[] };
    const optionsOf = (scope: string, name: string) => (fake.commands(scope) as Registered[]).find((command) => command.name === name)?.options ?? [];
    const key = registrationKey(fake.applicationId, G1);
    const single = commandsJson(commands.filter((command) => command.name !== 'help'));

    const one = await register([inGuild(G1), slackOnly]);
    expect(one.report.registered).toEqual([G1]);
    expect(optionsOf(G1, 'today').map((option) => option.name)).toEqual(['date']);
    // One course: the definitions and hash of a single-course deployment, exactly.
    expect(fake.commands(G1)).toMatchObject(single);
    expect(store.getValue(key)).toBe(commandsHash(single, key));

    const two = await register([inGuild(G1), inGuild(G1), slackOnly]);
    expect(two.report).toEqual({ registered: [G1], cleared: [], unchanged: [], failed: [] });
    expect(optionsOf(G1, 'today').map((option) => option.name)).toEqual(['date', 'course']);
    expect(optionsOf(G1, 'course').every((sub) => sub.options?.at(-1)?.name === 'course')).toBe(true);
    expect((await register([inGuild(G1), inGuild(G1)])).report.unchanged).toEqual([G1]);

    const back = await register([inGuild(G1)]);
    expect(back.report.registered).toEqual([G1]);
    expect(fake.commands(G1)).toMatchObject(single);
    expect(store.getValue(key)).toBe(commandsHash(single, key));
    expect(fake.registrations.map((registration) => registration.scope)).toEqual([G1, G1, G1]);
  });

  it('goes on past a guild the bot is not in, says what to fix, and tries it again next time', async () => {
    const { report, lines } = await register([inGuild(G3), inGuild(G1)]);
    expect(report.registered).toEqual([G1]);
    expect(report.failed).toEqual([
      {
        scope: G3,
        problem: `could not register slash commands in server ${G3}: the bot is not in that server, or was invited without the applications.commands scope (course-bot invite-url gives the link)`,
      },
    ]);
    expect(lines.join('\n')).toContain(`could not register slash commands in server ${G3}`);
    expect(store.getValue(registrationKey(fake.applicationId, G3))).toBeUndefined();
    const again = await register([inGuild(G3), inGuild(G1)]);
    expect(again.report.unchanged).toEqual([G1]);
    expect(again.report.failed.map((failure) => failure.scope)).toEqual([G3]);
  });
});
