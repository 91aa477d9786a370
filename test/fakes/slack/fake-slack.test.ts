import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { App, LogLevel, type Logger, SocketModeReceiver, webApi } from '@slack/bolt';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { FakeSlack, type FakeSlackOptions, signedRequest, slashCommandBody } from './index.js';

let fake: FakeSlack | undefined;
const apps: App[] = [];

afterEach(async () => {
  try {
    for (const app of apps.splice(0)) await app.stop();
    // socket-mode's stop() does not wait for the close handshake; waiting here lets it finish cleanly.
    await fake?.socketsClosed({ timeoutMs: 2000 });
    expect(fake?.serverErrors ?? []).toEqual([]);
  } finally {
    await fake?.close();
    fake = undefined;
  }
});

interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly text: string;
}

/** A Bolt/WebClient logger that keeps every line, whatever the level, so tests can assert on warnings and errors. */
function recordingLogger(): Logger & { readonly lines: LogLine[]; problems(): string[] } {
  const lines: LogLine[] = [];
  let level = LogLevel.DEBUG;
  const at =
    (name: LogLine['level']) =>
    (...message: unknown[]): void => {
      lines.push({ level: name, text: message.map(String).join(' ') });
    };
  return {
    lines,
    problems: () => lines.filter((line) => line.level === 'warn' || line.level === 'error').map((line) => line.text),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    setLevel: (next) => {
      level = next;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}

async function startFake(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  fake = await FakeSlack.start(options);
  return fake;
}

/** A WebClient on the fake; quick retries so fault tests stay fast. */
function webClient(slack: FakeSlack, options: webApi.WebClientOptions = {}): webApi.WebClient {
  return new webApi.WebClient(slack.botToken, {
    slackApiUrl: slack.apiUrl,
    logger: recordingLogger(),
    retryConfig: webApi.retryPolicies.rapidRetryPolicy,
    ...options,
  });
}

/** Registers `/today`: acks, then answers "hi" through the response URL. */
function answerToday(app: App, responseType: 'ephemeral' | 'in_channel' = 'ephemeral'): void {
  app.command('/today', async ({ ack, respond, command }) => {
    await ack();
    await respond({ text: `hi ${command.user_name}: ${command.text}`, response_type: responseType });
  });
}

/**
 * A Bolt App in Socket Mode on the fake. `clientPingTimeout` is also socket-mode's reconnect delay, and App does not
 * pass it through, so tests that reconnect build the SocketModeReceiver themselves.
 */
async function startSocketApp(slack: FakeSlack, options: { readonly clientPingTimeout?: number } = {}) {
  const logger = recordingLogger();
  const clientOptions = { slackApiUrl: slack.apiUrl };
  const app =
    options.clientPingTimeout === undefined
      ? new App({
          token: slack.botToken,
          appToken: slack.appToken,
          socketMode: true,
          clientOptions,
          logger,
          logLevel: LogLevel.ERROR,
        })
      : new App({
          token: slack.botToken,
          receiver: new SocketModeReceiver({
            appToken: slack.appToken,
            clientPingTimeout: options.clientPingTimeout,
            logger,
            installerOptions: { clientOptions },
          }),
          clientOptions,
          logger,
        });
  apps.push(app);
  answerToday(app);
  await app.start();
  return { app, logger };
}

describe('FakeSlack with the real WebClient', () => {
  it('auth.test names the bot; a wrong token is invalid_auth, the app token is refused for bot methods', async () => {
    const slack = await startFake();
    const auth = await webClient(slack).auth.test();
    expect(auth).toMatchObject({ ok: true, user_id: slack.botUserId, team_id: slack.teamId, bot_id: slack.botId });

    const wrong = new webApi.WebClient('xoxb-wrong', { slackApiUrl: slack.apiUrl, logger: recordingLogger() });
    await expect(wrong.auth.test()).rejects.toMatchObject({
      code: webApi.ErrorCode.PlatformError,
      data: { ok: false, error: 'invalid_auth' },
    });
    const appClient = new webApi.WebClient(slack.appToken, { slackApiUrl: slack.apiUrl, logger: recordingLogger() });
    await expect(appClient.chat.postMessage({ channel: slack.channelId, text: 'x' })).rejects.toMatchObject({
      data: { error: 'not_allowed_token_type' },
    });
    expect(slack.calls().map((call) => [call.method, call.tokenType, call.result?.error])).toEqual([
      ['auth.test', 'bot', undefined],
      ['auth.test', 'unknown', 'invalid_auth'],
      ['chat.postMessage', 'app', 'not_allowed_token_type'],
    ]);
  });

  it('posts with blocks, metadata and unfurl flags; ts values are unique and increasing', async () => {
    const slack = await startFake();
    const client = webClient(slack);
    const blocks = [
      { type: 'header', text: { type: 'plain_text', text: 'Monday' } },
      { type: 'section', text: { type: 'mrkdwn', text: '*Lecture* 10:00' } },
    ];
    const metadata = { event_type: 'course_announcement', event_payload: { date: '2025-10-13', kind: 'morning' } };
    const first = await client.chat.postMessage({
      channel: slack.channelId,
      text: 'Monday: Lecture 10:00',
      blocks,
      metadata,
      unfurl_links: false,
      unfurl_media: false,
    });
    expect(first).toMatchObject({
      ok: true,
      channel: slack.channelId,
      message: { text: 'Monday: Lecture 10:00', blocks, metadata, user: slack.botUserId, bot_id: slack.botId },
    });
    const second = await client.chat.postMessage({ channel: '#general', text: 'second' });
    expect(second.channel).toBe(slack.channelId);
    expect(first.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(Number(second.ts)).toBeGreaterThan(Number(first.ts));

    const stored = slack.messages();
    expect(stored.map((message) => [message.ts, message.text, message.via])).toEqual([
      [first.ts, 'Monday: Lecture 10:00', 'chat.postMessage'],
      [second.ts, 'second', 'chat.postMessage'],
    ]);
    expect(stored[0]?.flags).toEqual({ unfurl_links: false, unfurl_media: false });
    const call = slack.calls('chat.postMessage')[0];
    expect(call).toMatchObject({ encoding: 'form', tokenType: 'bot', body: { blocks, metadata } });
    expect(call?.body).not.toHaveProperty('token');
  });

  it('conversations.history: newest first, metadata only on request, oldest and cursor pages', async () => {
    const slack = await startFake();
    const client = webClient(slack);
    const metadata = { event_type: 'course_announcement', event_payload: { date: '2025-10-13' } };
    const sent = [];
    for (const text of ['one', 'two', 'three']) {
      sent.push(await client.chat.postMessage({ channel: slack.channelId, text, metadata }));
    }
    const plain = await client.conversations.history({ channel: slack.channelId });
    expect(plain.messages?.map((message) => message.text)).toEqual(['three', 'two', 'one']);
    expect(plain.messages?.[0]).not.toHaveProperty('metadata');

    const withMetadata = await client.conversations.history({ channel: slack.channelId, include_all_metadata: true });
    expect(withMetadata.messages?.[0]?.metadata).toEqual(metadata);

    const since = await client.conversations.history({ channel: slack.channelId, oldest: sent[0]?.ts });
    expect(since.messages?.map((message) => message.text)).toEqual(['three', 'two']);

    const page = await client.conversations.history({ channel: slack.channelId, limit: 2 });
    expect(page.messages?.map((message) => message.text)).toEqual(['three', 'two']);
    expect(page.has_more).toBe(true);
    const cursor = page.response_metadata?.next_cursor;
    const rest = await client.conversations.history({ channel: slack.channelId, limit: 2, cursor });
    expect(rest.messages?.map((message) => message.text)).toEqual(['one']);
    expect(rest.has_more).toBe(false);

    const pages: string[][] = [];
    for await (const result of client.paginate('conversations.history', { channel: slack.channelId, limit: 1 })) {
      const { messages = [] } = result as { messages?: Array<{ text: string }> };
      pages.push(messages.map((message) => message.text));
    }
    expect(pages).toEqual([['three'], ['two'], ['one']]);
  });

  it('chat.update edits text and keeps the ts; unknown ts is message_not_found', async () => {
    const slack = await startFake();
    const client = webClient(slack);
    const posted = await client.chat.postMessage({ channel: slack.channelId, text: 'draft' });
    const ts = posted.ts ?? '';
    const updated = await client.chat.update({ channel: slack.channelId, ts, text: 'final' });
    expect(updated).toMatchObject({ ok: true, ts, text: 'final', message: { edited: { user: slack.botUserId } } });
    expect(slack.messages().map((message) => [message.ts, message.text])).toEqual([[ts, 'final']]);
    await expect(client.chat.update({ channel: slack.channelId, ts: '1.000001', text: 'x' })).rejects.toMatchObject({
      data: { error: 'message_not_found' },
    });
  });

  it('refuses what Slack refuses and stores nothing', async () => {
    const slack = await startFake();
    const client = webClient(slack);
    const random = 'C0RANDOM001';
    const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
    const header = (text: string) => ({ type: 'header', text: { type: 'plain_text', text } });
    const post = (blocks: unknown) =>
      client.apiCall('chat.postMessage', { channel: slack.channelId, text: 'x', blocks });
    const attempts: Array<[string, Promise<unknown>]> = [
      ['channel_not_found', client.chat.postMessage({ channel: 'C0NOPE', text: 'x' })],
      ['not_in_channel', client.chat.postMessage({ channel: random, text: 'x' })],
      ['no_text', client.chat.postMessage({ channel: slack.channelId, text: '' })],
      ['msg_too_long', client.chat.postMessage({ channel: slack.channelId, text: 'x'.repeat(40_001) })],
      ['invalid_blocks', post([section('y'.repeat(3001))])],
      ['invalid_blocks', post([header('y'.repeat(151))])],
      ['invalid_blocks', post(Array.from({ length: 51 }, () => section('y')))],
      ['invalid_blocks', post([{ type: 'carousel' }])],
      ['invalid_blocks_format', post('[{')],
      ['not_in_channel', client.conversations.history({ channel: random })],
    ];
    for (const [error, attempt] of attempts) await expect(attempt).rejects.toMatchObject({ data: { error } });
    await expect(post([section('y'.repeat(3001))])).rejects.toMatchObject({
      data: { errors: ['must be less than 3001 characters [json-pointer:/blocks/0/text/text]'] },
    });
    expect(slack.messages()).toEqual([]);

    const fits = [section('y'.repeat(3000)), header('h'.repeat(150))];
    await client.chat.postMessage({ channel: slack.channelId, text: 'x'.repeat(40_000), blocks: fits });
    slack.setBotMember(random, true);
    await client.chat.postMessage({ channel: random, text: 'now invited' });
    expect(slack.messages(random).map((message) => message.text)).toEqual(['now invited']);
  });

  it('postEphemeral, usergroups.users.list and users.info; ts comes from the fake clock', async () => {
    const slack = await startFake({ now: () => Date.UTC(2025, 0, 15, 8) });
    const client = webClient(slack);
    const ephemeral = await client.chat.postEphemeral({ channel: slack.channelId, user: slack.userId, text: 'psst' });
    expect(ephemeral.message_ts).toBe('1736928000.000000');
    expect(slack.ephemerals).toEqual([
      { channel: slack.channelId, user: slack.userId, message_ts: '1736928000.000000', text: 'psst' },
    ]);
    await expect(
      client.chat.postEphemeral({ channel: slack.channelId, user: 'U0NOBODY', text: 'psst' }),
    ).rejects.toMatchObject({ data: { error: 'user_not_found' } });
    expect(slack.messages()).toEqual([]);
    const group = await client.usergroups.users.list({ usergroup: 'S0TUTORS01' });
    expect(group.users).toEqual(['U0TEACHER01']);
    await expect(client.usergroups.users.list({ usergroup: 'S0NOPE' })).rejects.toMatchObject({
      data: { error: 'no_such_subteam' },
    });
    const info = await client.users.info({ user: slack.userId });
    expect(info.user).toMatchObject({ id: slack.userId, name: 'student', tz: 'Europe/Berlin', is_bot: false });
    expect(info.user?.tz_offset).toBe(3600);
  });

  it('accepts JSON bodies with a Bearer token, as the real API does, but not a token inside JSON', async () => {
    const slack = await startFake();
    const post = (headers: Record<string, string>, body: unknown) =>
      fetch(`${slack.apiUrl}chat.postMessage`, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
        body: JSON.stringify(body),
      }).then(async (response) => ({ status: response.status, body: await response.json() }));
    const ok = await post({ authorization: `Bearer ${slack.botToken}` }, { channel: slack.channelId, text: 'json' });
    expect(ok).toMatchObject({ status: 200, body: { ok: true, channel: slack.channelId } });
    const inBody = await post({}, { token: slack.botToken, channel: slack.channelId, text: 'json' });
    expect(inBody).toEqual({ status: 200, body: { ok: false, error: 'not_authed' } });
    const empty = await post({ authorization: `Bearer ${slack.botToken}` }, { channel: slack.channelId });
    expect(empty.body).toEqual({ ok: false, error: 'no_text' });
    expect(slack.calls('chat.postMessage').map((call) => call.encoding)).toEqual(['json', 'json', 'json']);
    expect(slack.messages().map((message) => message.text)).toEqual(['json']);

    const nope = await fetch(`${slack.apiUrl}reactions.add`, { method: 'POST', body: `token=${slack.botToken}` });
    expect(await nope.json()).toEqual({ ok: false, error: 'unknown_method', req_method: 'reactions.add' });
    expect(slack.unhandled.map((call) => call.method)).toEqual(['reactions.add']);
  });
});

describe('FakeSlack faults with the real WebClient', () => {
  it('a 429 carries Retry-After; WebClient waits it out, retries, and the message lands once', async () => {
    const slack = await startFake();
    const client = webClient(slack);
    const limited: number[] = [];
    client.on(webApi.WebClientEvent.RATE_LIMITED, (seconds: number) => limited.push(seconds));
    slack.failNext('chat.postMessage', { status: 429, retryAfter: 1 });
    const started = performance.now();
    await client.chat.postMessage({ channel: slack.channelId, text: 'after the limit' });
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(limited).toEqual([1]);
    expect(slack.calls('chat.postMessage').map((call) => [call.status, call.fault])).toEqual([
      [429, 'status 429'],
      [200, undefined],
    ]);
    expect(slack.messages()).toHaveLength(1);
  });

  it('ok:false errors surface as platform errors and are not retried; a 500 is retried', async () => {
    const slack = await startFake();
    const client = webClient(slack);
    slack.failNext('chat.postMessage', { error: 'ratelimited' });
    await expect(client.chat.postMessage({ channel: slack.channelId, text: 'x' })).rejects.toMatchObject({
      code: webApi.ErrorCode.PlatformError,
      data: { ok: false, error: 'ratelimited' },
    });
    expect(slack.calls('chat.postMessage')).toHaveLength(1);

    slack.failNext(/^chat\./, { status: 500 }, 2);
    await client.chat.postMessage({ channel: slack.channelId, text: 'eventually' });
    expect(slack.calls('chat.postMessage').map((call) => call.status)).toEqual([200, 500, 500, 200]);
    expect(slack.pendingFaults).toBe(0);

    slack.failNext('chat.postMessage', { status: 503 });
    const noRetry = webClient(slack, { retryConfig: { retries: 0 } });
    await expect(noRetry.chat.postMessage({ channel: slack.channelId, text: 'x' })).rejects.toMatchObject({
      code: webApi.ErrorCode.HTTPError,
      statusCode: 503,
    });
    expect(slack.messages().map((message) => message.text)).toEqual(['eventually']);
  });

  it('a lost response after the message landed: WebClient retries the POST and Slack stores it twice', async () => {
    const slack = await startFake();
    slack.failNext('chat.postMessage', { landsButResponseLost: true });
    const posted = await webClient(slack).chat.postMessage({ channel: slack.channelId, text: 'Good morning' });
    // Slack has no idempotency key for chat.postMessage: a retry after a lost answer is a second message.
    expect(slack.messages().map((message) => message.text)).toEqual(['Good morning', 'Good morning']);
    expect(slack.calls('chat.postMessage').map((call) => [call.fault, call.status])).toEqual([
      ['lands, response lost', undefined],
      [undefined, 200],
    ]);
    expect(posted.ts).toBe(slack.messages()[1]?.ts);

    slack.failNext('chat.postMessage', { landsButResponseLost: true });
    const noRetry = webClient(slack, { retryConfig: { retries: 0 } });
    await expect(noRetry.chat.postMessage({ channel: slack.channelId, text: 'lost' })).rejects.toMatchObject({
      code: webApi.ErrorCode.RequestError,
    });
    expect(slack.messages().at(-1)?.text).toBe('lost');
  });

  it('a delayed answer arrives late but intact', async () => {
    const slack = await startFake();
    slack.failNext('auth.test', { delayMs: 200 });
    const started = performance.now();
    await expect(webClient(slack).auth.test()).resolves.toMatchObject({ ok: true });
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(slack.calls('auth.test')[0]?.fault).toBe('delay 200 ms');
  });
});

describe('FakeSlack with a real Bolt App in Socket Mode', () => {
  it('connects with the app token, acks /today, and the ephemeral response lands on the response URL', async () => {
    const slack = await startFake();
    const { logger } = await startSocketApp(slack);
    expect(slack.calls().map((call) => [call.method, call.tokenType])).toEqual([
      ['auth.test', 'bot'],
      ['apps.connections.open', 'app'],
    ]);
    const ack = await slack.slashCommand({ command: '/today', text: 'week 3' });
    expect(ack).toMatchObject({ payload: {}, connection: 1 });
    expect(ack.envelope_id).toBe(slack.envelopes[0]?.envelope_id);
    const response = await slack.waitForResponse();
    expect(response).toMatchObject({
      via: 'response_url',
      command: '/today',
      channel: slack.channelId,
      user: slack.userId,
      body: { text: 'hi student: week 3', response_type: 'ephemeral' },
    });
    expect(slack.messages()).toEqual([]);
    expect(logger.problems()).toEqual([]);
  });

  it('an in_channel response and say() both land in the channel; an ack with text is a response too', async () => {
    const slack = await startFake();
    const logger = recordingLogger();
    const app = new App({
      token: slack.botToken,
      appToken: slack.appToken,
      socketMode: true,
      clientOptions: { slackApiUrl: slack.apiUrl },
      logger,
    });
    apps.push(app);
    app.command('/announce', async ({ ack, respond, say }) => {
      await ack({ text: 'on it' });
      await respond({ text: 'announced', response_type: 'in_channel' });
      await say({ text: 'said', metadata: { event_type: 'course_announcement', event_payload: { n: 1 } } });
    });
    await app.start();
    const ack = await slack.slashCommand({ command: '/announce' });
    expect(ack.payload).toEqual({ text: 'on it' });
    await slack.waitForMessage(slack.channelId, (message) => message.text === 'said');
    expect(slack.messages().map((message) => [message.text, message.via])).toEqual([
      ['announced', 'response_url'],
      ['said', 'chat.postMessage'],
    ]);
    expect(slack.responses.map((response) => [response.via, response.body.text])).toEqual([
      ['ack', 'on it'],
      ['response_url', 'announced'],
    ]);
    expect(logger.problems()).toEqual([]);
  });

  it('reconnects after a disconnect message (closing with 1000) and the next command works', async () => {
    const slack = await startFake();
    const { logger } = await startSocketApp(slack, { clientPingTimeout: 400 });
    expect(slack.disconnectSocket({ reason: 'refresh_requested' })).toBe(1);
    await slack.connected();
    expect(slack.connectionCount).toBe(2);
    expect(slack.closeCodes).toEqual([1000]);
    const ack = await slack.slashCommand({ command: '/today' });
    expect(ack.connection).toBe(2);
    await slack.waitForResponse();
    expect(slack.calls('apps.connections.open')).toHaveLength(2);
    // socket-mode pings every clientPingTimeout / 3 ms; the fake answers with pongs, so the connection stays up.
    await slack.waitFor(() => (slack.clientPings >= 3 ? true : undefined), { what: 'three client pings' });
    expect(slack.connectionCount).toBe(2);
    expect(logger.problems()).toEqual([]);
  });

  it('reconnects after the TCP connection drops (socket-mode logs errors) and the next command works', async () => {
    const slack = await startFake();
    const { logger } = await startSocketApp(slack, { clientPingTimeout: 400 });
    expect(slack.dropSocket()).toBe(1);
    await slack.connected();
    const ack = await slack.slashCommand({ command: '/today' });
    expect(ack.connection).toBe(2);
    await slack.waitForResponse();
    expect(slack.closeCodes).toEqual([1006]);
    expect(logger.problems().some((line) => line.startsWith('WebSocket error'))).toBe(true);
  });

  it('an envelope nobody acks times out, as Slack would show the user a failure after 3 s', async () => {
    const slack = await startFake({ ackTimeoutMs: 300 });
    await startSocketApp(slack);
    await expect(slack.slashCommand({ command: '/unknown' })).rejects.toThrow(/Timed out after 300 ms.*\/unknown/);
    slack.dropSocket();
    await expect(slack.slashCommand({ command: '/today' })).rejects.toThrow(/no Socket Mode connection is open/);
  });

  it('a wrong app token makes app.start() fail (invalid_auth is unrecoverable for socket-mode)', async () => {
    const slack = await startFake();
    const app = new App({
      token: slack.botToken,
      appToken: 'xapp-1-wrong',
      socketMode: true,
      clientOptions: { slackApiUrl: slack.apiUrl },
      logger: recordingLogger(),
    });
    await expect(app.start()).rejects.toMatchObject({ data: { error: 'invalid_auth' } });
    expect(slack.connectionCount).toBe(0);
  });
});

describe('FakeSlack with a real Bolt App in HTTP mode', () => {
  const signingSecret = 'fake-signing-secret';

  async function startHttpApp(slack: FakeSlack) {
    const app = new App({
      token: slack.botToken,
      signingSecret,
      clientOptions: { slackApiUrl: slack.apiUrl },
      logger: recordingLogger(),
    });
    apps.push(app);
    const handled: string[] = [];
    app.command('/today', async ({ ack, respond, command }) => {
      handled.push(command.text);
      await ack();
      await respond({ text: 'hi over http', response_type: 'in_channel' });
    });
    const server = await app.start({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
    return { url, handled };
  }

  it('a correctly signed slash command is acked 200 and the response lands in the channel', async () => {
    const slack = await startFake();
    const { url, handled } = await startHttpApp(slack);
    const reply = await signedRequest(url, signingSecret, slashCommandBody(slack, { command: '/today', text: 'w1' }));
    expect(reply).toEqual({ status: 200, body: '' });
    const message = await slack.waitForMessage();
    expect(message).toMatchObject({ text: 'hi over http', via: 'response_url', user: slack.botUserId });
    expect(handled).toEqual(['w1']);
  });

  it('a bad signature or a stale timestamp is refused with 401 and never reaches the listener', async () => {
    const slack = await startFake();
    const { url, handled } = await startHttpApp(slack);
    const body = slashCommandBody(slack, { command: '/today' });
    const forged = await signedRequest(url, signingSecret, body, { signature: `v0=${'0'.repeat(64)}` });
    expect(forged.status).toBe(401);
    const wrongSecret = await signedRequest(url, 'another-secret', body);
    expect(wrongSecret.status).toBe(401);
    const stale = await signedRequest(url, signingSecret, body, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect(stale.status).toBe(401);
    expect(handled).toEqual([]);
  });

  it('Bolt 5.1 accepts a timestamp an hour in the future: it only rejects stale ones', async () => {
    const slack = await startFake();
    const { url, handled } = await startHttpApp(slack);
    const future = Math.floor(Date.now() / 1000) + 60 * 60;
    const reply = await signedRequest(url, signingSecret, slashCommandBody(slack, { command: '/today' }), {
      timestamp: future,
    });
    expect(reply.status).toBe(200);
    expect(handled).toEqual(['']);
  });
});

describe('FakeSlack on the wire', () => {
  async function openConnection(slack: FakeSlack, token: string): Promise<Record<string, unknown>> {
    const response = await fetch(`${slack.apiUrl}apps.connections.open`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
    });
    return (await response.json()) as Record<string, unknown>;
  }

  it('apps.connections.open wants the app token; a ticket opens one socket that says hello', async () => {
    const slack = await startFake();
    expect(await openConnection(slack, slack.botToken)).toEqual({ ok: false, error: 'not_allowed_token_type' });
    const opened = await openConnection(slack, slack.appToken);
    const expected = new RegExp(`^ws://127\\.0\\.0\\.1:${slack.port}/socket\\?ticket=\\w+&app_id=${slack.appId}$`);
    expect(opened.url).toMatch(expected);
    const url = String(opened.url);

    const socket = new WebSocket(url);
    const [hello] = (await once(socket, 'message')) as [Buffer];
    expect(JSON.parse(hello.toString('utf8'))).toMatchObject({
      type: 'hello',
      num_connections: 1,
      connection_info: { app_id: slack.appId },
      debug_info: { host: expect.any(String) as unknown },
    });
    const envelope = slack.slashCommand({ command: '/today' });
    const [raw] = (await once(socket, 'message')) as [Buffer];
    const sent = JSON.parse(raw.toString('utf8')) as { envelope_id: string; payload: Record<string, string> };
    expect(sent).toMatchObject({ type: 'slash_commands', accepts_response_payload: true });
    expect(Object.keys(sent.payload).sort()).toEqual(
      [
        'api_app_id',
        'channel_id',
        'channel_name',
        'command',
        'is_enterprise_install',
        'response_url',
        'team_domain',
        'team_id',
        'text',
        'token',
        'trigger_id',
        'user_id',
        'user_name',
      ].sort(),
    );
    socket.send(JSON.stringify({ envelope_id: sent.envelope_id }));
    await expect(envelope).resolves.toEqual(expect.objectContaining({ envelope_id: sent.envelope_id }));
    expect((await envelope).payload).toBeUndefined();

    const reused = new WebSocket(url);
    const [error] = (await once(reused, 'error')) as [Error];
    expect(error.message).toMatch(/401/);
    socket.terminate();
  });

  it('a response URL takes five posts; bad JSON and empty messages are refused', async () => {
    const slack = await startFake();
    const { response_url: url } = slack.commandPayload({ command: '/today' });
    const post = (body: string) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then((r) => r.status);
    slack.failNext('response_url', { status: 500 });
    expect(await post(JSON.stringify({ text: 'lost' }))).toBe(500);
    expect(await post('{nope')).toBe(400);
    expect(await post(JSON.stringify({ text: '' }))).toBe(400);
    const statuses = [];
    for (let index = 0; index < 6; index += 1) statuses.push(await post(JSON.stringify({ text: `n${index}` })));
    expect(statuses).toEqual([200, 200, 200, 200, 200, 404]);
    expect(slack.responses.map((response) => response.body.text)).toEqual(['n0', 'n1', 'n2', 'n3', 'n4']);
  });

  it('in_channel responses post, replace_original edits that message, delete_original removes it', async () => {
    const slack = await startFake();
    const { response_url: url } = slack.commandPayload({ command: '/today' });
    const post = (body: Record<string, unknown>) =>
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await post({ text: 'draft', response_type: 'in_channel' });
    const [posted] = slack.messages();
    await post({ text: 'final', response_type: 'in_channel', replace_original: true });
    expect(slack.messages().map((message) => [message.ts, message.text])).toEqual([[posted?.ts, 'final']]);
    expect(slack.messages()[0]?.edited?.user).toBe(slack.botUserId);
    await post({ delete_original: true });
    expect(slack.messages()).toEqual([]);
    expect(slack.responses.map((response) => response.ts)).toEqual([posted?.ts, posted?.ts, undefined]);
  });
});
