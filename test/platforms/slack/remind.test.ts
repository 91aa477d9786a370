import { describe, expect, it } from 'vitest';
import { fixedClock } from '../../../src/core/clock.js';
import { commands } from '../../../src/core/commands/registry.js';
import { type SlackReply, handleSlashCommand } from '../../../src/platforms/slack/dispatch.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { ReminderBook } from '../../../src/store/reminders.js';
import { at, buildCourse } from '../../support/course.js';
import { captureLogger } from '../../support/log.js';

const course = buildCourse();

describe('/remind on Slack', () => {
  it('sets the asker’s reminder and answers only them, even with public replies', async () => {
    const book = new ReminderBook(new MemoryStore(), '18:00', 'mlops');
    const acks: (SlackReply | undefined)[] = [];
    const run = (text: string, user: string) =>
      handleSlashCommand(
        { command: '/mlops-remind', text, user_id: user },
        (reply) => {
          acks.push(reply);
          return Promise.resolve();
        },
        () => Promise.resolve(),
        {
          course: () => course,
          commands,
          clock: fixedClock(at(course, '2027-01-04T10:00')),
          logger: captureLogger().logger,
          replyVisibility: 'public',
          prefix: 'mlops-',
          isInstructor: () => Promise.resolve(false),
          reminders: book,
        },
      );
    expect(await run('evening', 'U0STUDENT01')).toBe('ok');
    expect(acks[0]).toMatchObject({
      response_type: 'ephemeral',
      text: expect.stringContaining('Done. Reminders: on, the evening before each session at 18:00 (Europe/Copenhagen), as a direct message. /mlops-remind off stops them.') as string,
    });
    expect(await run('', 'U0STUDENT02')).toBe('ok');
    expect(acks[1]).toMatchObject({ response_type: 'ephemeral', text: expect.stringContaining('Reminders: off. /mlops-remind evening') as string });
    expect(book.subscribers()).toEqual([{ platform: 'slack', userId: 'U0STUDENT01', kind: 'evening', closedDays: [] }]);
  });
});
