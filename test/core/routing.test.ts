import { describe, expect, it } from 'vitest';
import type { CourseTargets } from '../../src/core/course/schema.js';
import {
  type DiscordMember,
  MAX_SUGGESTIONS,
  type RequestPlace,
  type RoutedCourse,
  isDiscordInstructor,
  isSlackInstructor,
  routeRequest,
  suggestCourses,
} from '../../src/core/routing.js';

const G1 = '100000000000000001';
const G2 = '100000000000000002';
const ROLE_ML = '200000000000000001';
const ROLE_DB = '200000000000000002';
const ROLE_OS = '200000000000000003';
const CH_ML = '300000000000000001';
const CH_ML_ANNOUNCE = '300000000000000002';
const CH_DB = '300000000000000003';
const CH_DB_INSTRUCTORS = '300000000000000004';
const CH_LOBBY = '300000000000000005';
const CH_OS = '300000000000000006';

function course(id: string, name: string, targets: CourseTargets): RoutedCourse {
  return { id, name, targets };
}

const discord = (fields: Partial<NonNullable<CourseTargets['discord']>>) => ({ channels: [], ...fields });
const slack = (fields: Partial<NonNullable<CourseTargets['slack']>>) => ({ channels: [], instructorUserIds: [], ...fields });

/** Two courses sharing server G1 by channel, one alone in G2, one on Slack only. */
const ML = course('mlops', 'Machine Learning Operations', {
  discord: discord({ guildId: G1, instructorRoleId: ROLE_ML, channels: [CH_ML], announceChannelId: CH_ML_ANNOUNCE }),
});
const DB = course('databases', 'Databases', {
  discord: discord({ guildId: G1, instructorRoleId: ROLE_DB, channels: [CH_DB], instructorChannelId: CH_DB_INSTRUCTORS }),
});
const OS = course('os', 'Operating Systems', { discord: discord({ guildId: G2, instructorRoleId: ROLE_OS, channels: [CH_OS] }) });
const WEB = course('web', 'Web Development', {
  slack: slack({ channels: ['C0000WEB'], announceChannel: 'C0000WEBA', instructorUserIds: ['U000WEB'], instructorUsergroup: 'S000WEB' }),
});
const AI = course('ai', 'Artificial Intelligence', { slack: slack({ channels: ['C00000AI'], instructorUserIds: ['U0000AI'] }) });
const ALL = [ML, DB, OS, WEB, AI];

const at = (platform: 'discord' | 'slack', guildId?: string, channelId?: string): RequestPlace => ({
  platform,
  ...(guildId !== undefined && { guildId }),
  ...(channelId !== undefined && { channelId }),
});

describe('routeRequest', () => {
  const cases: ReadonlyArray<[string, RequestPlace, string | undefined, string, string]> = [
    ['the one course of a server', at('discord', G2, CH_LOBBY), undefined, 'os', 'place'],
    ['the one course of a server, the option naming it', at('discord', G2), 'Operating Systems', 'os', 'place'],
    ['a shared server: the channel in `channels`', at('discord', G1, CH_ML), undefined, 'mlops', 'channel'],
    ['a shared server: the announce channel', at('discord', G1, CH_ML_ANNOUNCE), undefined, 'mlops', 'channel'],
    ['a shared server: the instructor channel', at('discord', G1, CH_DB_INSTRUCTORS), undefined, 'databases', 'channel'],
    ['a shared server, another channel: the option by id', at('discord', G1, CH_LOBBY), 'databases', 'databases', 'option'],
    ['a shared server, another channel: the option by name, any case', at('discord', G1, CH_LOBBY), '  machine learning   OPERATIONS ', 'mlops', 'option'],
    ['a DM: the option picks among every Discord course', at('discord', undefined, undefined), 'os', 'os', 'option'],
    ['Slack: the channel decides between two courses', at('slack', 'T1', 'C0000WEB'), undefined, 'web', 'channel'],
    ['Slack: the announce channel decides', at('slack', 'T1', 'C0000WEBA'), undefined, 'web', 'channel'],
    ['Slack: elsewhere, the option', at('slack', 'T1', 'C0000XYZ'), 'ai', 'ai', 'option'],
  ];
  it.each(cases)('%s', (_name, place, option, id, by) => {
    const route = routeRequest(ALL, place, option);
    expect(route).toMatchObject({ ok: true, course: { id }, by });
  });

  it('without a channel or option in a shared server, lists the courses there (id and name) and how to pick', () => {
    const route = routeRequest(ALL, at('discord', G1, CH_LOBBY));
    expect(route.ok).toBe(false);
    if (route.ok) return;
    expect(route.message.title).toBe('Which course?');
    expect(route.message.description).toBe('Several courses are served here. Add the course option to your command, for example `course:mlops`.');
    expect(route.message.sections).toEqual([{ heading: 'Courses', lines: ['mlops — Machine Learning Operations', 'databases — Databases'] }]);
  });

  it('in a DM without an option, lists every Discord course', () => {
    const route = routeRequest(ALL, at('discord'));
    expect(route.ok ? [] : route.message.sections[0]?.lines).toEqual([
      'mlops — Machine Learning Operations',
      'databases — Databases',
      'os — Operating Systems',
    ]);
  });

  it('names an unknown course and lists those it could be', () => {
    const route = routeRequest(ALL, at('discord', G1, CH_LOBBY), 'os');
    expect(route.ok).toBe(false);
    if (route.ok) return;
    expect(route.message.description).toBe('There is no course "os" here. Add the course option to your command, for example `course:mlops`.');
    expect(route.message.sections[0]?.lines).toEqual(['mlops — Machine Learning Operations', 'databases — Databases']);
  });

  it('refuses an option naming another course than the place decides (never answers for it silently)', () => {
    const route = routeRequest(ALL, at('discord', G1, CH_ML), 'databases');
    expect(route.ok).toBe(false);
    if (route.ok) return;
    expect(route.message.title).toBe('Commands here are for Machine Learning Operations');
    expect(route.message.description).toContain('not to "databases"');
  });

  it('says so where no course is served', () => {
    const route = routeRequest([OS], at('slack', 'T1', 'C0000WEB'));
    expect(route.ok ? '' : route.message.title).toBe('No course here');
  });

  it('serves the one course of a setup without a server id everywhere (today’s single-course setup)', () => {
    const single = course('mlops', 'MLOps', { discord: discord({}) });
    expect(routeRequest([single], at('discord', G1, CH_LOBBY))).toMatchObject({ ok: true, course: { id: 'mlops' }, by: 'place' });
    expect(routeRequest([single], at('discord'))).toMatchObject({ ok: true, course: { id: 'mlops' }, by: 'place' });
  });

  it('does not let a channel claimed by two courses decide', () => {
    const a = course('a', 'A', { discord: discord({ guildId: G1, channels: [CH_LOBBY] }) });
    const b = course('b', 'B', { discord: discord({ guildId: G1, channels: [CH_LOBBY] }) });
    expect(routeRequest([a, b], at('discord', G1, CH_LOBBY)).ok).toBe(false);
    expect(routeRequest([a, b], at('discord', G1, CH_LOBBY), 'b')).toMatchObject({ ok: true, course: { id: 'b' }, by: 'option' });
  });
});

describe('suggestCourses', () => {
  it('offers the courses of the place, by id or name, those starting with the text first', () => {
    expect(suggestCourses(ALL, at('discord', G1, CH_LOBBY), '')).toEqual([
      { name: 'Machine Learning Operations (mlops)', value: 'mlops' },
      { name: 'Databases (databases)', value: 'databases' },
    ]);
    expect(suggestCourses(ALL, at('discord', G1), 'BASE')).toEqual([{ name: 'Databases (databases)', value: 'databases' }]);
    expect(suggestCourses(ALL, at('discord'), 'o').map((choice) => choice.value)).toEqual(['os', 'mlops']);
    expect(suggestCourses(ALL, at('slack', 'T1'), 'web')).toEqual([{ name: 'Web Development (web)', value: 'web' }]);
    // Where the place decides (a course's channel, a server with one course), only that course.
    expect(suggestCourses(ALL, at('discord', G1, CH_ML), '')).toEqual([{ name: 'Machine Learning Operations (mlops)', value: 'mlops' }]);
    expect(suggestCourses(ALL, at('discord', G2, CH_LOBBY), 'data')).toEqual([]);
    expect(suggestCourses(ALL, at('discord', G1), 'zzz')).toEqual([]);
  });

  it('keeps at most 25, and names within Discord’s 100 characters', () => {
    const many = Array.from({ length: 40 }, (_, index) =>
      course(`course-${index}`, `${'Long name '.repeat(15)}${index}`, { discord: discord({ guildId: G1 }) }),
    );
    const choices = suggestCourses(many, at('discord', G1), 'course');
    expect(choices).toHaveLength(MAX_SUGGESTIONS);
    expect(choices[0]).toEqual({ name: `${'Long name '.repeat(15).slice(0, 100 - ' (course-0)'.length - 1)}… (course-0)`, value: 'course-0' });
    for (const choice of choices) expect(choice.name.length).toBeLessThanOrEqual(100);
  });
});

describe('instructors per course', () => {
  const member = (guildId: string | undefined, roleIds: string[], manageGuild = false): DiscordMember => ({
    ...(guildId !== undefined && { guildId }),
    roleIds,
    manageGuild,
  });

  const discordCases: ReadonlyArray<[string, RoutedCourse, DiscordMember, boolean]> = [
    ['the course role', ML, member(G1, [ROLE_ML]), true],
    ['another course’s role in the same server', ML, member(G1, [ROLE_DB]), false],
    ['the course role, asked in another server', ML, member(G2, [ROLE_ML]), false],
    ['no role', ML, member(G1, []), false],
    ['a DM', ML, member(undefined, [ROLE_ML]), false],
    ['Manage Server where the server is shared and the course has a role', ML, member(G1, [], true), false],
    ['Manage Server where the course is alone in its server (today’s rule)', OS, member(G2, [], true), true],
    ['Manage Server in another server', OS, member(G1, [], true), false],
    ['a course on Slack only', WEB, member(G1, [ROLE_ML], true), false],
  ];
  it.each(discordCases)('Discord: %s', (_name, target, who, expected) => {
    expect(isDiscordInstructor(target, ALL, who)).toBe(expected);
  });

  it('Discord: Manage Server counts for a course without an instructor role (today’s rule), also in a shared server', () => {
    const open = course('open', 'Open', { discord: discord({ guildId: G1 }) });
    expect(isDiscordInstructor(open, [...ALL, open], member(G1, [], true))).toBe(true);
    expect(isDiscordInstructor(open, [...ALL, open], member(G1, [ROLE_ML]))).toBe(false);
  });

  it('Discord: the single-course setup keeps today’s rule (the role, or Manage Server)', () => {
    const single = course('mlops', 'MLOps', { discord: discord({ instructorRoleId: ROLE_ML }) });
    expect(isDiscordInstructor(single, [single], member(G1, [ROLE_ML]))).toBe(true);
    expect(isDiscordInstructor(single, [single], member(G2, [], true))).toBe(true);
    expect(isDiscordInstructor(single, [single], member(G2, [ROLE_DB]))).toBe(false);
  });

  it('Discord: a course that names no server is not changed by any server’s admin once there are other courses', () => {
    const everywhere = course('everywhere', 'Everywhere', { discord: discord({}) });
    const withRole = course('roled', 'Roled', { discord: discord({ instructorRoleId: ROLE_ML }) });
    for (const target of [everywhere, withRole]) {
      expect(isDiscordInstructor(target, [...ALL, target], member(G1, [], true))).toBe(false);
      expect(isDiscordInstructor(target, [...ALL, target], member(G2, [], true))).toBe(false);
      // Alone on Discord (the single-course setup without DISCORD_GUILD_ID): today's rule.
      expect(isDiscordInstructor(target, [target], member(G2, [], true))).toBe(true);
    }
    expect(isDiscordInstructor(withRole, [...ALL, withRole], member(G2, [ROLE_ML]))).toBe(true);
  });

  const slackCases: ReadonlyArray<[string, RoutedCourse, string, string[], boolean]> = [
    ['listed', WEB, 'U000WEB', [], true],
    ['in the course user group', WEB, 'U0000XX', ['S000WEB'], true],
    ['listed for another course', WEB, 'U0000AI', [], false],
    ['in another user group', WEB, 'U0000XX', ['S0000AI'], false],
    ['a course on Discord only', ML, 'U000WEB', ['S000WEB'], false],
  ];
  it.each(slackCases)('Slack: %s', (_name, target, userId, usergroupIds, expected) => {
    expect(isSlackInstructor(target, { userId, usergroupIds })).toBe(expected);
  });

  it('instructors of one course can never change another', () => {
    const discordMembers: DiscordMember[] = [
      member(G1, [ROLE_ML]),
      member(G1, [ROLE_DB]),
      member(G2, [ROLE_OS], true),
      member(G1, [ROLE_ML], true),
    ];
    for (const who of discordMembers) {
      const theirs = ALL.filter((target) => isDiscordInstructor(target, ALL, who));
      expect(theirs.length).toBeLessThanOrEqual(1);
    }
    expect(ALL.filter((target) => isDiscordInstructor(target, ALL, member(G1, [ROLE_ML], true))).map((c) => c.id)).toEqual(['mlops']);
    for (const userId of ['U000WEB', 'U0000AI']) {
      expect(ALL.filter((target) => isSlackInstructor(target, { userId, usergroupIds: [] }))).toHaveLength(1);
    }
  });
});
