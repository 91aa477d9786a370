import { describe, expect, it } from 'vitest';
import { type Config, loadConfig } from '../../src/config.js';
import { CourseFileError, formatIssue, parseCourseText } from '../../src/course-file/read.js';
import { exportYaml } from '../../src/course-file/export.js';
import { singleCourseTargets, targetsFromConfig } from '../../src/courses/targets.js';

const BASE = `course:
  id: demo
  name: Demo
  timezone: Europe/Copenhagen
  start: 2027-01-04
weeks:
  - number: 1
    sessions:
      - day: monday
        topic: Intro
`;

function problems(text: string): string[] {
  try {
    parseCourseText(text, 'courses/demo.yaml');
  } catch (error) {
    if (error instanceof CourseFileError) return error.issues.map(formatIssue);
    throw error;
  }
  return [];
}

const config = (env: Record<string, string>): Config => loadConfig({ env, dotenv: false, cwd: '/tmp' });

describe('targets: in the course file', () => {
  it('reads both platforms, with empty lists by default', () => {
    const loaded = parseCourseText(
      `${BASE}targets:
  discord:
    guildId: "123456789012345678"
    announceChannelId: "223456789012345678"
    instructorRoleId: "323456789012345678"
    announceRoleId: "423456789012345678"
    instructorChannelId: "523456789012345678"
    channels: ["623456789012345678"]
  slack:
    announceChannel: C0123ABCD
    instructorChannel: G0123ABCD
    instructorUserIds: [U0123ABCD, W0123ABCD]
    instructorUsergroup: S0123ABCD
`,
      'courses/demo.yaml',
    );
    expect(loaded.file.targets).toEqual({
      discord: {
        guildId: '123456789012345678',
        announceChannelId: '223456789012345678',
        instructorRoleId: '323456789012345678',
        announceRoleId: '423456789012345678',
        instructorChannelId: '523456789012345678',
        channels: ['623456789012345678'],
      },
      slack: {
        announceChannel: 'C0123ABCD',
        instructorChannel: 'G0123ABCD',
        instructorUserIds: ['U0123ABCD', 'W0123ABCD'],
        instructorUsergroup: 'S0123ABCD',
        channels: [],
      },
    });
  });

  it('is optional: a file without it has none', () => {
    expect(parseCourseText(BASE, 'courses/demo.yaml').file.targets).toBeUndefined();
  });

  it('names field, file and line of every wrong id, and asks for quotes around an unquoted Discord id', () => {
    expect(
      problems(`${BASE}targets:
  discord:
    guildId: 123456789012345678
    announceChannelId: "abc"
    channels: ["623456789012345678", "x"]
  slack:
    announceChannel: "#general"
    instructorUserIds: U0123ABCD
    instructorUsergroup: G0123ABCD
    teams: 1
  teams: {}
`),
    ).toEqual([
      'courses/demo.yaml:13:5 targets.discord.guildId: write the Discord id in quotes ("123456789012345678"): YAML reads an unquoted id as a number and may change its last digits',
      'courses/demo.yaml:14:5 targets.discord.announceChannelId: abc is not a Discord id (15–21 digits: Developer Mode → right-click → Copy ID, such as "123456789012345678")',
      'courses/demo.yaml:15:38 targets.discord.channels[1]: x is not a Discord id (15–21 digits: Developer Mode → right-click → Copy ID, such as "123456789012345678")',
      'courses/demo.yaml:17:5 targets.slack.announceChannel: #general is not a Slack channel id (not a #name: channel details → Copy channel ID, such as "C0123ABCD")',
      'courses/demo.yaml:18:5 targets.slack.instructorUserIds: expected a list of Slack user ids, got string "U0123ABCD"',
      'courses/demo.yaml:19:5 targets.slack.instructorUsergroup: G0123ABCD is not a Slack user group id (S followed by letters and digits, such as "S0123ABCD")',
      'courses/demo.yaml:20:5 targets.slack.teams: unknown field "teams"',
      'courses/demo.yaml:21:3 targets.teams: unknown field "teams"',
    ]);
  });

  it('survives course-bot export', () => {
    const loaded = parseCourseText(`${BASE}targets:\n  slack:\n    announceChannel: C0123ABCD\n`, 'courses/demo.yaml');
    const again = parseCourseText(exportYaml(loaded.file, 'courses/demo.yaml'), 'courses/demo.yaml');
    expect(again.file.targets).toEqual({ slack: { announceChannel: 'C0123ABCD', instructorUserIds: [], channels: [] } });
  });
});

describe('the single-course environment variables as the one course targets', () => {
  const env = {
    DISCORD_TOKEN: 'token',
    DISCORD_GUILD_ID: '123456789012345678',
    DISCORD_ANNOUNCE_CHANNEL_ID: '223456789012345678',
    DISCORD_INSTRUCTOR_ROLE_ID: '323456789012345678',
    SLACK_BOT_TOKEN: 'xoxb-1',
    SLACK_APP_TOKEN: 'xapp-1',
    SLACK_ANNOUNCE_CHANNEL: 'C0123ABCD',
    SLACK_INSTRUCTOR_USER_IDS: 'U0123ABCD,U0123ABCE',
    SLACK_INSTRUCTOR_USERGROUP: 'S0123ABCD',
  };

  it('turns Config.discord and Config.slack into targets', () => {
    expect(targetsFromConfig(config(env))).toEqual({
      discord: {
        guildId: '123456789012345678',
        announceChannelId: '223456789012345678',
        instructorRoleId: '323456789012345678',
        channels: [],
      },
      slack: {
        announceChannel: 'C0123ABCD',
        instructorUserIds: ['U0123ABCD', 'U0123ABCE'],
        instructorUsergroup: 'S0123ABCD',
        channels: [],
      },
    });
  });

  it('has no targets for a platform without its token', () => {
    expect(targetsFromConfig(config({ DISCORD_GUILD_ID: '123456789012345678' }))).toEqual({});
  });

  it("lets the file's own block win per platform", () => {
    const file = { discord: { guildId: '923456789012345678', channels: [] } };
    const targets = singleCourseTargets(file, config(env));
    expect(targets.discord).toEqual({ guildId: '923456789012345678', channels: [] });
    expect(targets.slack?.announceChannel).toBe('C0123ABCD');
  });
});
