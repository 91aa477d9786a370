import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nonceFor } from '../../../src/announcer/plan.js';
import { message } from '../../../src/core/messages.js';
import { RecipientError } from '../../../src/core/reminders.js';
import { slackClient } from '../../../src/platforms/slack/bot.js';
import { SlackDirectMessenger } from '../../../src/platforms/slack/direct.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { ReminderBook } from '../../../src/store/reminders.js';
import { FakeSlack } from '../../fakes/slack/index.js';
import { captureLogger } from '../../support/log.js';

const KEY = 'remind:demo:2027-01-06:slack:U0STUDENT01';

describe('Slack direct messages on the fake Slack', () => {
  let fake: FakeSlack;
  let book: ReminderBook;
  let dms: SlackDirectMessenger;

  beforeEach(async () => {
    fake = await FakeSlack.start();
    book = new ReminderBook(new MemoryStore(), '18:00', 'mlops');
    const config = { botToken: fake.botToken, signingSecret: 'x'.repeat(32), port: 0, host: '127.0.0.1', instructorUserIds: [], commandPrefix: '', apiUrl: fake.apiUrl, replyVisibility: 'ephemeral' as const };
    dms = new SlackDirectMessenger({ client: slackClient(config, captureLogger().logger, { retries: 0 }), book });
  });

  afterEach(async () => {
    await fake.close();
  });

  const reminder = message({ title: 'Tomorrow in Demo Course: Week 1 · Wednesday 6 January 2027', description: 'Configs <b>' });

  it('opens the DM once, caches it, posts the reminder escaped, and finds it again by its nonce', async () => {
    const sent = await dms.send(fake.userId, reminder, { key: KEY, nonce: nonceFor(KEY) });
    const channel = fake.dms.opened.get(fake.userId)!;
    expect(book.dmChannel('slack', fake.userId)).toBe(channel);
    const [posted] = fake.messages(channel);
    expect(posted).toMatchObject({ ts: sent.id, metadata: { event_type: 'course_bot_post', event_payload: { key: nonceFor(KEY) } } });
    expect(posted!.text).toContain('Configs &lt;b&gt;');
    await dms.send(fake.userId, reminder, { key: 'k2', nonce: 'n2' });
    expect(fake.calls('conversations.open')).toHaveLength(1);
    expect(await dms.findSent(fake.userId, { key: KEY, nonce: nonceFor(KEY) })).toEqual({ id: sent.id });
    expect(await dms.findSent(fake.userId, { key: 'k3', nonce: 'n3' })).toBeUndefined();
  });

  it('cannot_dm_bot is closed DMs; user_not_found is a user who left', async () => {
    fake.dms.closed.add(fake.userId);
    await expect(dms.send(fake.userId, reminder, { key: KEY, nonce: 'n' })).rejects.toMatchObject({ reason: 'closed' });
    const gone = await dms.send('U0NOBODY01', reminder, { key: KEY, nonce: 'n' }).catch((error: unknown) => error);
    expect(gone).toBeInstanceOf(RecipientError);
    expect(gone).toMatchObject({ reason: 'gone', message: 'Slack: user_not_found' });
  });
});
