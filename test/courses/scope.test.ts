import { describe, expect, it } from 'vitest';
import type { CommandRequest, Scope, ScopeChoice } from '../../src/core/commands/invoke.js';
import type { CourseTargets } from '../../src/core/course/schema.js';
import type { ScheduleAdmin } from '../../src/core/ports.js';
import type { ReminderSettings } from '../../src/core/reminders.js';
import { type ServedCourse, courseScopes } from '../../src/courses/scope.js';
import { buildCourse, courseDoc } from '../support/course.js';

const G1 = '100000000000000001';
const ROLE_ML = '200000000000000001';
const ROLE_DB = '200000000000000002';
const CH_ML = '300000000000000001';
const CH_DB = '300000000000000003';
const CH_LOBBY = '300000000000000005';

function served(id: string, name: string, targets: CourseTargets): ServedCourse {
  const course = buildCourse(courseDoc({ course: { id, name, timezone: 'Europe/Copenhagen', start: '2027-01-04' } }));
  return { id, name, targets, scope: { course: () => course, admin: {} as ScheduleAdmin, reminders: {} as ReminderSettings } };
}

const ML = served('mlops', 'Machine Learning Operations', {
  discord: { guildId: G1, instructorRoleId: ROLE_ML, channels: [CH_ML] },
  slack: { channels: ['C0ML'], instructorUserIds: ['U0TEACHML'] },
});
const DB = served('databases', 'Databases', {
  discord: { guildId: G1, instructorRoleId: ROLE_DB, channels: [CH_DB] },
  slack: { channels: ['C0DB'], instructorUserIds: [], instructorUsergroup: 'S0DBTEACH' },
});

function discordAsk(channelId: string, roleIds: string[], extra: Partial<CommandRequest> = {}): CommandRequest {
  return {
    place: { platform: 'discord', guildId: G1, channelId },
    asker: { actor: { platform: 'discord', id: '1' }, roleIds, manageGuild: false },
    ...extra,
  };
}

function chosen(result: Scope | ScopeChoice): Scope {
  if ('choose' in result) throw new Error(`no course chosen: ${result.choose.text}`);
  return result;
}

describe('courseScopes: the request’s course among the running ones, and its instructors', () => {
  const scopes = courseScopes(() => [ML, DB]);

  it('on Discord, the channel decides the course where two share a server; elsewhere it asks which', () => {
    const resolve = scopes.resolver('discord');
    expect(chosen(resolve(discordAsk(CH_ML, []))).course.id).toBe('mlops');
    expect(chosen(resolve(discordAsk(CH_DB, []))).course.id).toBe('databases');
    const lobby = resolve(discordAsk(CH_LOBBY, []));
    expect('choose' in lobby && lobby.choose.text).toContain('Which course?');
    expect('choose' in lobby && lobby.choose.text).toContain('mlops — Machine Learning Operations');
    // The course option (W2 passes it as request.course) picks where the place does not decide.
    expect(chosen(resolve(discordAsk(CH_LOBBY, [], { course: 'databases' }))).course.id).toBe('databases');
  });

  it('an instructor of one course is a student of another (its role names one course only), even with Manage Server', async () => {
    const resolve = scopes.resolver('discord');
    expect(await chosen(resolve(discordAsk(CH_ML, [ROLE_ML]))).instructor()).toBe(true);
    expect(await chosen(resolve(discordAsk(CH_DB, [ROLE_ML]))).instructor()).toBe(false);
    const manager: CommandRequest = { ...discordAsk(CH_DB, []), asker: { actor: { platform: 'discord', id: '2' }, roleIds: [], manageGuild: true } };
    expect(await chosen(resolve(manager)).instructor()).toBe(false);
  });

  it('on Slack, a course’s listed users and the members of ITS user group (asked of Slack) instruct it, nobody else', async () => {
    const asked: string[] = [];
    const resolve = scopes.resolver('slack', {
      usergroupMembers: (group) => {
        asked.push(group);
        return Promise.resolve(new Set(group === 'S0DBTEACH' ? ['U0TEACHDB'] : []));
      },
    });
    const ask = (channelId: string, userId: string): CommandRequest => ({
      place: { platform: 'slack', guildId: 'T0', channelId },
      asker: { actor: { platform: 'slack', id: userId } },
    });
    expect(await chosen(resolve(ask('C0ML', 'U0TEACHML'))).instructor()).toBe(true);
    expect(await chosen(resolve(ask('C0DB', 'U0TEACHML'))).instructor()).toBe(false);
    expect(await chosen(resolve(ask('C0DB', 'U0TEACHDB'))).instructor()).toBe(true);
    expect(await chosen(resolve(ask('C0ML', 'U0TEACHDB'))).instructor()).toBe(false);
    expect(asked).toEqual(['S0DBTEACH', 'S0DBTEACH']);
  });

  it('in the terminal, one course answers at once, several need the course option, and the runner instructs each', async () => {
    const terminal: CommandRequest = { place: { platform: 'terminal' }, asker: {} };
    const one = courseScopes(() => [ML]).resolver('terminal');
    expect(chosen(one(terminal)).course.id).toBe('mlops');
    const resolve = scopes.resolver('terminal');
    const which = resolve(terminal);
    expect('choose' in which && which.choose.text).toContain('Which course?');
    const picked = chosen(resolve({ ...terminal, course: 'Databases' }));
    expect(picked.course.id).toBe('databases');
    expect(await picked.instructor()).toBe(true);
  });

  it('lists the running courses of each platform (the terminal: all), read each time', () => {
    const SLACK_ONLY = served('stats', 'Statistics', { slack: { channels: ['C0ST'], instructorUserIds: [] } });
    let running: ServedCourse[] = [ML, SLACK_ONLY];
    const listed = courseScopes(() => running);
    const ids = (platform: 'discord' | 'slack' | 'terminal') => listed.courses(platform).map((course) => course.id);
    expect(ids('discord')).toEqual(['mlops']);
    expect(ids('slack')).toEqual(['mlops', 'stats']);
    expect(ids('terminal')).toEqual(['mlops', 'stats']);
    expect(listed.courses('discord')[0]).toEqual({ id: 'mlops', name: 'Machine Learning Operations', targets: ML.targets });
    running = [ML, DB];
    expect(ids('discord')).toEqual(['mlops', 'databases']);
  });

  it('sees a course added or removed at once (the courses are read per request)', () => {
    let running: ServedCourse[] = [ML];
    const resolve = courseScopes(() => running).resolver('discord');
    expect(chosen(resolve(discordAsk(CH_LOBBY, []))).course.id).toBe('mlops');
    running = [ML, DB];
    expect('choose' in resolve(discordAsk(CH_LOBBY, []))).toBe(true);
    running = [];
    const none = resolve(discordAsk(CH_ML, []));
    expect('choose' in none && none.choose.text).toContain('No course here');
  });
});
