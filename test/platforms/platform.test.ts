import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { InstructorLine } from '../../src/courses/runtime.js';
import { configuredPlatforms } from '../../src/platforms/platform.js';
import { terminalPoster } from '../../src/platforms/terminal/platform.js';
import { MemoryStore } from '../../src/store/memory-store.js';
import { ReminderBook } from '../../src/store/reminders.js';
import { captureLogger } from '../support/log.js';

const env = {
  DISCORD_TOKEN: 'token',
  DISCORD_GUILD_ID: '100000000000000001',
  DISCORD_ANNOUNCE_CHANNEL_ID: '200000000000000002',
  DISCORD_INSTRUCTOR_CHANNEL_ID: '300000000000000003',
  DISCORD_ANNOUNCE_ROLE_ID: '400000000000000004',
  SLACK_BOT_TOKEN: 'xoxb-1',
  SLACK_APP_TOKEN: 'xapp-1',
  SLACK_ANNOUNCE_CHANNEL: 'C0123ABCD',
  SLACK_INSTRUCTOR_CHANNEL: 'C0123EFGH',
};

describe('platform modules', () => {
  it('only the platforms whose token is set are composed, in the list’s order', async () => {
    expect((await configuredPlatforms(loadConfig({ env, dotenv: false }))).map((module) => module.name)).toEqual(['discord', 'slack']);
    const slackOnly = { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' };
    expect((await configuredPlatforms(loadConfig({ env: slackOnly, dotenv: false }))).map((module) => module.name)).toEqual(['slack']);
    expect(await configuredPlatforms(loadConfig({ env: {}, dotenv: false }))).toEqual([]);
  });

  it('the Slack poster hands a course its channel, direct messages and instructor reports for its targets', async () => {
    const config = loadConfig({ env, dotenv: false });
    const modules = await configuredPlatforms(config);
    const slack = await modules.find((module) => module.name === 'slack')!.poster(config, captureLogger().logger);
    const reminders = new ReminderBook(new MemoryStore(), '19:00', 'mlops');
    const ports = slack.forCourse({ targets: { slack: { announceChannel: 'C0999ZZZZ', instructorUserIds: [], channels: [] } }, reminders });
    expect(ports.announce.map((messenger) => messenger.target)).toEqual(['slack:C0999ZZZZ']);
    expect(ports.direct).toHaveLength(1);
    expect(ports.report).toBeUndefined();
    expect(slack.forCourse({ targets: {}, reminders }).announce).toEqual([]);
  });

  it('the terminal prints announcements, reminders and what instructors are told', async () => {
    const output = new PassThrough();
    let printed = '';
    output.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    const ports = terminalPoster(output).forCourse({ targets: {}, reminders: new ReminderBook(new MemoryStore(), '19:00', 'mlops') });
    await ports.announce[0]!.post({ text: 'Today: Configs' } as never, { key: 'k', nonce: 'n' });
    await ports.direct[0]!.send('me', { text: 'Tomorrow: Deployment' } as never, { key: 'r', nonce: 'n' });
    await ports.report!('The course file was not reloaded');
    expect(printed).toBe('\n📣 Today: Configs\n\n\n⏰ Reminder: Tomorrow: Deployment\n\n\n🔔 The course file was not reloaded\n\n');
  });

  it('instructors are told nothing while the platforms start, then through every report line', async () => {
    const { logger } = captureLogger();
    const line = new InstructorLine(logger);
    const told: string[] = [];
    line.tell('before');
    line.connect([(text) => Promise.resolve(void told.push(`a:${text}`)), (text) => Promise.resolve(void told.push(`b:${text}`))]);
    line.tell('after');
    await Promise.resolve();
    expect(told).toEqual(['a:after', 'b:after']);
  });
});
