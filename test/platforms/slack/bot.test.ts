import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fixedClock } from '../../../src/core/clock.js';
import { commands } from '../../../src/core/commands/registry.js';
import type { ScheduleAdmin, StateStore } from '../../../src/core/ports.js';
import type { SlackConfig } from '../../../src/config.js';
import { SlackBot, type SlackBotOptions, requestTimestampOk } from '../../../src/platforms/slack/bot.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import { SqliteStore } from '../../../src/store/sqlite-store.js';
import { FakeSlack, signedRawRequest, signedRequest, slashCommandBody } from '../../fakes/slack/index.js';
import { at, buildCourse } from '../../support/course.js';
import { captureLogger } from '../../support/log.js';

const SECRET = 'test-signing-secret-0123456789';
const STUDENT = 'U0STUDENT01';
const TEACHER = 'U0TEACHER01';
const course = buildCourse();

/** Instructor actions over a store's change log: enough for `/course cancel`, `undo` and `history`. */
function changeLog(store: StateStore): ScheduleAdmin {
  return {
    change: (change, actor) => Promise.resolve({ record: store.addChange(course.id, change, actor, Date.now()), noticed: false }),
    undo: (actor) => {
      const record = store.undoChange(course.id, actor, Date.now());
      return Promise.resolve(record && { record, noticed: false });
    },
    history: () => store.listChanges(course.id).map((record) => ({ record })),
    reload: () => Promise.resolve({ ok: true, changed: false }),
    announce: () => Promise.resolve({ sent: [], already: [], failed: [], busy: [] }),
  };
}

describe('SlackBot runs each request once (in process, real Bolt, fake Slack)', () => {
  let fake: FakeSlack;
  let dir: string;
  let bots: SlackBot[];
  let logs: string[];

  const config = (overrides: Partial<SlackConfig> = {}): SlackConfig => ({
    botToken: fake.botToken,
    signingSecret: SECRET,
    port: 0,
    host: '127.0.0.1',
    instructorUserIds: [TEACHER],
    commandPrefix: '',
    apiUrl: fake.apiUrl,
    replyVisibility: 'ephemeral',
    ...overrides,
  });

  const startBot = async (store: StateStore, overrides: Partial<SlackConfig> = {}, extra: Pick<SlackBotOptions, 'courses'> = {}) => {
    const captured = captureLogger();
    logs = captured.lines;
    const bot = new SlackBot({
      config: config(overrides),
      logger: captured.logger,
      course: () => course,
      commands,
      clock: fixedClock(at(course, '2027-01-04T10:00')),
      admin: changeLog(store),
      store,
      ...extra,
    });
    bots.push(bot);
    await bot.start();
    return { bot, url: `http://127.0.0.1:${bot.port}/slack/events` };
  };

  /** The answers sent to a user's response URLs, in order. */
  const answersTo = (user: string) => fake.responses.filter((response) => response.user === user).map((response) => String(response.body.text));

  beforeEach(async () => {
    fake = await FakeSlack.start({ pingIntervalMs: 0 });
    dir = mkdtempSync(join(tmpdir(), 'course-bot-slack-bot-'));
    bots = [];
    logs = [];
  });

  afterEach(async () => {
    await Promise.all(bots.map((bot) => bot.stop()));
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a replayed signed /course undo, and a retry of it, are acknowledged and not run again', async () => {
    const store = new MemoryStore();
    const { url } = await startBot(store);
    const actor = { platform: 'slack', id: TEACHER };
    store.addChange(course.id, { kind: 'cancel', date: '2027-01-06' }, actor, Date.now());
    store.addChange(course.id, { kind: 'cancel', date: '2027-01-08' }, actor, Date.now());

    const undo = slashCommandBody(fake, { command: '/course', text: 'undo', user_id: TEACHER });
    const timestamp = Math.floor(Date.now() / 1000);
    expect(await signedRequest(url, SECRET, undo, { timestamp })).toMatchObject({ status: 200 });
    await fake.waitForResponse((response) => response.user === TEACHER);
    // The same bytes, signature and timestamp again, then as Slack's retry.
    expect(await signedRequest(url, SECRET, undo, { timestamp })).toEqual({ status: 200, body: '' });
    const retry = await signedRequest(url, SECRET, undo, { headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } });
    expect(retry).toEqual({ status: 200, body: '' });
    // A new request afterwards is answered: its answer is the next one, so none came in between.
    await signedRequest(url, SECRET, slashCommandBody(fake, { command: '/course', text: 'history', user_id: TEACHER }));
    await fake.waitForResponse((response) => String(response.body.text).startsWith('Schedule changes'));

    expect(answersTo(TEACHER).map((text) => text.split('\n')[0])).toEqual([expect.stringMatching(/^Undone/), 'Schedule changes (2)']);
    expect(store.listChanges(course.id).map((record) => record.undoneAt !== undefined)).toEqual([false, true]);
    const repeats = logs.filter((line) => line.includes('already handled'));
    expect(repeats).toHaveLength(2);
    expect(repeats[1]).toContain('"retry":1');
    expect(logs.join('')).not.toContain(undo.trigger_id);
  });

  it('answers a replayed student command with an empty acknowledgement, and a new one in full', async () => {
    const { url } = await startBot(new MemoryStore());
    const today = slashCommandBody(fake, { command: '/today', user_id: STUDENT });
    const first = await signedRequest(url, SECRET, today);
    expect(first.body).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(/^Week 1 · Monday 4 January 2027/) as unknown });
    expect(await signedRequest(url, SECRET, today)).toEqual({ status: 200, body: '' });
    const again = await signedRequest(url, SECRET, slashCommandBody(fake, { command: '/today', user_id: STUDENT }));
    expect(again.body).toMatchObject({ text: expect.stringMatching(/^Week 1 · Monday 4 January 2027/) as unknown });
  });

  it('two instances sharing one state database: a replay sent to the other instance is not run again', async () => {
    const path = join(dir, 'state.db');
    const [storeA, storeB] = [new SqliteStore(path), new SqliteStore(path)];
    try {
      const a = await startBot(storeA);
      const b = await startBot(storeB);
      const actor = { platform: 'slack', id: TEACHER };
      storeA.addChange(course.id, { kind: 'cancel', date: '2027-01-06' }, actor, Date.now());
      storeA.addChange(course.id, { kind: 'cancel', date: '2027-01-08' }, actor, Date.now());
      const undo = slashCommandBody(fake, { command: '/course', text: 'undo', user_id: TEACHER });
      const timestamp = Math.floor(Date.now() / 1000);
      await signedRequest(a.url, SECRET, undo, { timestamp });
      await fake.waitForResponse((response) => response.user === TEACHER);
      expect(await signedRequest(b.url, SECRET, undo, { timestamp })).toEqual({ status: 200, body: '' });
      await signedRequest(b.url, SECRET, slashCommandBody(fake, { command: '/course', text: 'history', user_id: TEACHER }));
      await fake.waitForResponse((response) => String(response.body.text).startsWith('Schedule changes'));
      expect(storeB.listChanges(course.id).map((record) => record.undoneAt !== undefined)).toEqual([false, true]);
      expect(answersTo(TEACHER)).toHaveLength(2);
    } finally {
      await Promise.all(bots.splice(0).map((bot) => bot.stop()));
      storeA.close();
      storeB.close();
    }
  });

  it('a Socket Mode envelope delivered again is acknowledged and not run again', async () => {
    const store = new MemoryStore();
    await startBot(store, { appToken: fake.appToken, signingSecret: undefined });
    await fake.connected();
    const actor = { platform: 'slack', id: TEACHER };
    store.addChange(course.id, { kind: 'cancel', date: '2027-01-06' }, actor, Date.now());
    store.addChange(course.id, { kind: 'cancel', date: '2027-01-08' }, actor, Date.now());
    const first = await fake.slashCommand({ command: '/course', text: 'undo', user_id: TEACHER });
    await fake.waitForResponse((response) => response.user === TEACHER);
    const again = await fake.redeliver(first.envelope_id);
    expect(again.payload ?? {}).toEqual({});
    const student = await fake.slashCommand({ command: '/today', user_id: STUDENT });
    expect(String((student.payload as { text?: string }).text)).toMatch(/^Week 1 · Monday 4 January 2027/);
    expect(await fake.redeliver(student.envelope_id)).toMatchObject({ envelope_id: student.envelope_id });
    expect(fake.acks.at(-1)?.payload ?? {}).toEqual({});
    expect(store.listChanges(course.id).map((record) => record.undoneAt !== undefined)).toEqual([false, true]);
    expect(answersTo(TEACHER).filter((text) => text.startsWith('Undone'))).toHaveLength(1);
  });

  it('survives a failing response URL and a Socket Mode connection lost while Slack refuses new ones, and answers after', async () => {
    const uncaught: unknown[] = [];
    const collect = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', collect);
    process.on('unhandledRejection', collect);
    try {
      await startBot(new MemoryStore(), { appToken: fake.appToken, signingSecret: undefined });
      await fake.connected();
      const help = async () => String(((await fake.slashCommand({ command: '/help', user_id: STUDENT })).payload as { text?: string }).text);
      // The instructor's answer cannot be delivered: the listener fails (logged), the bot goes on.
      fake.failNext('response_url', { status: 500 }, 6);
      await fake.slashCommand({ command: '/course', text: 'history', user_id: TEACHER });
      await fake.waitFor(() => (logs.some((line) => line.includes('slack listener failed')) ? true : undefined), { timeoutMs: 20_000 });
      expect(await help()).toMatch(/^Demo Course: commands/);
      fake.failNext('apps.connections.open', { status: 500 }, 2);
      fake.dropSocket();
      await fake.connected({ timeoutMs: 30_000 });
      expect(await help()).toMatch(/^Demo Course: commands/);
      expect(uncaught).toEqual([]);
    } finally {
      process.off('uncaughtException', collect);
      process.off('unhandledRejection', collect);
    }
  });

  it('a Socket Mode reconnect refused (the app token revoked) ends the bot through `lost`, never an unhandled rejection', async () => {
    const uncaught: unknown[] = [];
    const collect = (error: unknown) => uncaught.push(error);
    process.on('unhandledRejection', collect);
    try {
      const { bot } = await startBot(new MemoryStore(), { appToken: fake.appToken, signingSecret: undefined });
      await fake.connected();
      let lost: unknown;
      void bot.lost.then((error) => (lost = error));
      fake.failNext('apps.connections.open', { error: 'invalid_auth' }, 10);
      fake.dropSocket();
      await vi.waitFor(() => expect(lost).toBeDefined(), { timeout: 20_000 });
      expect((lost as { data?: { error?: string } }).data?.error).toBe('invalid_auth');
      expect(logs.join('')).toContain('slack refused the token while reconnecting');
      expect(uncaught).toEqual([]);
    } finally {
      process.off('unhandledRejection', collect);
    }
  });

  it('a Socket Mode reconnect that meets server errors past the client’s own retries is tried again until it connects', async () => {
    const uncaught: unknown[] = [];
    const collect = (error: unknown) => uncaught.push(error);
    process.on('unhandledRejection', collect);
    try {
      const { bot } = await startBot(new MemoryStore(), { appToken: fake.appToken, signingSecret: undefined });
      await fake.connected();
      const opened = fake.calls('apps.connections.open').length;
      // Three 500s use up the client's own tries (1 + 2 retries): its reconnect gives up, this one goes on.
      fake.failNext('apps.connections.open', { status: 500 }, 3);
      fake.dropSocket();
      await fake.connected({ timeoutMs: 40_000 });
      expect(fake.calls('apps.connections.open').length - opened).toBe(4);
      expect(logs.join('')).toContain('could not reconnect (Socket Mode); trying again');
      const help = await fake.slashCommand({ command: '/help', user_id: STUDENT });
      expect(String((help.payload as { text?: string }).text)).toMatch(/^Demo Course: commands/);
      expect(bot.connected).toBe(true);
      expect(uncaught).toEqual([]);
    } finally {
      process.off('unhandledRejection', collect);
    }
  });

  it('/help lists the courses it is given where there are several (how to pick one), and says nothing of courses with one', async () => {
    let courses = [
      { id: 'demo', name: 'Demo Course' },
      { id: 'ds', name: 'Data Science' },
    ];
    await startBot(new MemoryStore(), { appToken: fake.appToken, signingSecret: undefined }, { courses: () => courses });
    await fake.connected();
    const several = JSON.stringify((await fake.slashCommand({ command: '/help', user_id: STUDENT })).payload);
    expect(several).toContain('add course:&lt;id&gt;');
    expect(several).toContain('ds — Data Science');
    courses = [{ id: 'demo', name: 'Demo Course' }];
    const one = JSON.stringify((await fake.slashCommand({ command: '/help', user_id: STUDENT })).payload);
    expect(one).toContain('Demo Course: commands');
    expect(one).not.toContain('course:&lt;id&gt;');
  });

  it('refuses a request whose timestamp is missing, not a number, or more than 5 minutes off, either way', async () => {
    let now = Date.parse('2027-01-05T09:00:00Z');
    const captured = captureLogger();
    const bot = new SlackBot({
      config: config(),
      logger: captured.logger,
      course: () => course,
      commands,
      clock: fixedClock(at(course, '2027-01-04T10:00')),
      now: () => now,
    });
    bots.push(bot);
    await bot.start();
    const url = `http://127.0.0.1:${bot.port}/slack/events`;
    const body = () => slashCommandBody(fake, { command: '/today', user_id: STUDENT });
    const seconds = now / 1000;
    expect((await signedRequest(url, SECRET, body(), { timestamp: seconds - 5 * 60 })).status).toBe(200);
    expect((await signedRequest(url, SECRET, body(), { timestamp: seconds + 5 * 60 })).status).toBe(200);
    expect((await signedRequest(url, SECRET, body(), { timestamp: seconds - 5 * 60 - 1 })).status).toBe(401);
    expect((await signedRequest(url, SECRET, body(), { timestamp: seconds + 5 * 60 + 1 })).status).toBe(401);
    // The bot's clock moving does not matter; real time does.
    now += 10 * 60_000;
    expect((await signedRequest(url, SECRET, body(), { timestamp: seconds })).status).toBe(401);
    expect(captured.lines.filter((line) => line.includes('timestamp more than 5 minutes off'))).toHaveLength(3);
  });
});

/** Signed bodies Slack never sends, as JSON and as forms: each gets an HTTP answer, none ends the bot. */
const JSON_BODIES = [
  'null', 'true', '0', '-1e999', '"x"', '[]', '[null]', '[{"type":"block_actions"}]', '{}', '{"type":null}', '{"type":5}',
  '{"type":"url_verification","challenge":null}', '{"type":"event_callback"}', '{"type":"event_callback","event":null,"event_id":"Ev1"}',
  '{"type":"event_callback","event":{"type":null},"event_id":"Ev2"}', '{"type":"block_actions"}',
  '{"type":"block_actions","actions":null,"trigger_id":"1.2.3"}', '{"type":"block_actions","actions":[null],"trigger_id":"1.2.4"}',
  '{"type":"view_submission"}', '{"type":"view_submission","view":null,"trigger_id":"1.2.5"}', '{"type":"shortcut"}',
  '{"type":"message_action","message":null}', '{"command":null}', '{"command":"/today"}', '{"command":"/today","user_id":null,"trigger_id":"1.2.6"}',
  '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}', '{"ssl_check":null}', '{"ssl_check":"1"}',
  '['.repeat(5_000), '{"a":', '', ' ', '\u0000', 'nul',
];
const FORM_BODIES = [
  'payload=null', 'payload=1', 'payload=true', 'payload=%22x%22', 'payload=%5B%5D', 'payload=%5Bnull%5D', 'payload=%7B%7D',
  'payload=%7B', 'payload=', 'payload=null&payload=null', 'payload=%7B%22type%22%3Anull%7D', 'ssl_check=1', 'ssl_check=1&payload=null',
  'command=%2Ftoday', 'command=%2Ftoday&user_id=U1&text=%FF%FE', 'command=%2Fcourse&user_id=U0STUDENT01&text=undo&trigger_id=9.9.9',
  'command=null&user_id=null', 'command[]=x', '__proto__=x&command=%2Ftoday', '', 'a=b', '=', '&&&', `text=${'x'.repeat(20_000)}`,
];

describe('SlackBot in HTTP mode takes any signed body (in process, real Bolt, fake Slack)', () => {
  let fake: FakeSlack;
  let bot: SlackBot;
  let logs: string[];
  let url: string;
  const uncaught: unknown[] = [];
  const collect = (error: unknown) => uncaught.push(error);

  beforeEach(async () => {
    process.on('uncaughtException', collect);
    process.on('unhandledRejection', collect);
    fake = await FakeSlack.start({ pingIntervalMs: 0 });
    const captured = captureLogger();
    logs = captured.lines;
    const store = new MemoryStore();
    bot = new SlackBot({
      config: { botToken: fake.botToken, signingSecret: SECRET, port: 0, host: '127.0.0.1', instructorUserIds: [TEACHER], commandPrefix: '', apiUrl: fake.apiUrl, replyVisibility: 'ephemeral' },
      logger: captured.logger,
      course: () => course,
      commands,
      clock: fixedClock(at(course, '2027-01-04T10:00')),
      admin: changeLog(store),
      store,
    });
    await bot.start();
    url = `http://127.0.0.1:${bot.port}/slack/events`;
  });

  afterEach(async () => {
    await bot.stop();
    await fake.close();
    process.off('uncaughtException', collect);
    process.off('unhandledRejection', collect);
  });

  it('refuses a body of null (JSON, or the form payload=null) with 400, signed or not (401), and goes on answering', async () => {
    expect(await signedRawRequest(url, SECRET, 'null', { contentType: 'application/json' })).toEqual({ status: 400, text: '' });
    expect(await signedRawRequest(url, SECRET, 'payload=null')).toEqual({ status: 400, text: '' });
    expect((await signedRawRequest(url, SECRET, 'null', { contentType: 'application/json', signature: 'v0=00' })).status).toBe(401);
    expect(logs.filter((line) => line.includes('slack request refused: the body is not a JSON object'))).toHaveLength(2);
    const today = await signedRequest(url, SECRET, slashCommandBody(fake, { command: '/today', user_id: STUDENT }));
    expect(today.body).toMatchObject({ text: expect.stringMatching(/^Week 1 · Monday 4 January 2027/) as unknown });
    expect(uncaught).toEqual([]);
  });

  it(`answers each of ${JSON_BODIES.length + FORM_BODIES.length} odd signed bodies with a status, never ends the bot, and still answers`, { timeout: 60_000 }, async () => {
    const sent = [
      ...JSON_BODIES.map((raw) => [raw, 'application/json'] as const),
      ...FORM_BODIES.map((raw) => [raw, 'application/x-www-form-urlencoded'] as const),
      ['null', 'text/plain'] as const,
      ['payload=null', 'application/x-www-form-urlencoded; charset=utf-8'] as const,
    ];
    const results = await Promise.all(
      sent.map(async ([raw, contentType]) => {
        const { status } = await signedRawRequest(url, SECRET, raw, { contentType, timeoutMs: 20_000 });
        return `${status} ${contentType} ${raw.slice(0, 40)}`;
      }),
    );
    // 404: no listener took it (Bolt waits 3 s first); 500: Bolt's own handler caught what it could not read.
    for (const result of results) expect(result).toMatch(/^(200|400|401|404|500) /);
    // Every body that parses to something other than an object was refused before Bolt read it.
    for (const raw of ['null', 'true', '0', '"x"', '[]', '[null]']) expect(results).toContain(`400 application/json ${raw}`);
    for (const raw of ['payload=null', 'payload=1', 'payload=%22x%22', 'payload=%5B%5D']) expect(results).toContain(`400 application/x-www-form-urlencoded ${raw}`);
    // A slash command without a response URL (Slack always sends one) is refused, not half-run.
    expect(results).toContain('200 application/x-www-form-urlencoded command=%2Fcourse&user_id=U0STUDENT01&te');
    expect(logs.join('')).not.toContain('respond is not a function');
    expect(logs.filter((line) => line.includes('(no response_url): refused')).length).toBeGreaterThan(0);
    expect(uncaught).toEqual([]);
    const today = await signedRequest(url, SECRET, slashCommandBody(fake, { command: '/today', user_id: STUDENT }));
    expect(today.body).toMatchObject({ text: expect.stringMatching(/^Week 1 · Monday 4 January 2027/) as unknown });
    expect(Object.prototype).not.toHaveProperty('polluted');
  });
});

describe('requestTimestampOk', () => {
  const now = Date.parse('2027-01-05T09:00:00Z');
  const seconds = now / 1000;

  it('accepts whole seconds within 5 minutes either way', () => {
    expect(requestTimestampOk(String(seconds), now)).toBe(true);
    expect(requestTimestampOk(String(seconds - 300), now)).toBe(true);
    expect(requestTimestampOk(String(seconds + 300), now)).toBe(true);
    expect(requestTimestampOk(` ${seconds} `, now)).toBe(true);
  });

  it('refuses anything else', () => {
    for (const header of [undefined, '', 'abc', '1e9', '-1', `${seconds}.5`, 'Infinity', 'NaN', '0x10', String(seconds - 301), String(seconds + 301), [String(seconds)]]) {
      expect(requestTimestampOk(header, now), String(header)).toBe(false);
    }
  });
});
