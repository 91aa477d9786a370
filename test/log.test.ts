import { Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import type { LogLevel } from '../src/config.js';
import { commandLog, createLogger, type Logger } from '../src/log.js';

// Fake, clearly non-working secrets with the shapes the scrubber must catch.
const DISCORD_TOKEN = ['FAKE'.padEnd(24, 'x'), 'fakeTK', 'not-a-real-discord-token'.padEnd(30, '0')].join('.');
const SLACK_BOT_TOKEN = ['xoxb', '000000000000', '000000000000', 'FAKEfakeFAKEfake0000'].join('-');
const SLACK_APP_TOKEN = ['xapp', '1', 'A00000000', '0000000000000', 'fakefakefakefake'].join('-');

interface Capture {
  readonly log: Logger;
  /** Everything written, raw. */
  text(): string;
  /** Each line, parsed. */
  lines(): Record<string, unknown>[];
}

function capture(level: LogLevel = 'info'): Capture {
  let out = '';
  const destination = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      out += chunk.toString();
      callback();
    },
  });
  const log = createLogger({ level, pretty: false, destination });
  return {
    log,
    text: () => out,
    lines: () =>
      out
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

function only(c: Capture): Record<string, unknown> {
  const lines = c.lines();
  expect(lines).toHaveLength(1);
  return lines[0] ?? {};
}

describe('createLogger output', () => {
  it('writes one JSON line per call, with pino’s numeric level, the message and the fields', () => {
    const c = capture('trace');
    c.log.trace('t');
    c.log.debug('d');
    c.log.info({ course: 'demo', week: 3 }, 'announced');
    c.log.warn('w');
    c.log.error('e');
    c.log.fatal('f');
    expect(c.text().endsWith('\n')).toBe(true);
    const lines = c.lines();
    expect(lines.map((line) => [line.level, line.msg])).toEqual([
      [10, 't'],
      [20, 'd'],
      [30, 'announced'],
      [40, 'w'],
      [50, 'e'],
      [60, 'f'],
    ]);
    expect(lines[2]).toMatchObject({ course: 'demo', week: 3 });
    expect(typeof lines[2]?.time).toBe('number');
  });

  it('has no pid or hostname', () => {
    const c = capture();
    c.log.info('hello');
    const line = only(c);
    expect(line).not.toHaveProperty('pid');
    expect(line).not.toHaveProperty('hostname');
  });

  it('child loggers carry their bindings', () => {
    const c = capture();
    c.log.child({ subsystem: 'announcer' }).info({ date: '2027-01-04' }, 'posted');
    expect(only(c)).toMatchObject({ subsystem: 'announcer', date: '2027-01-04', msg: 'posted', level: 30 });
  });
});

describe('level filtering', () => {
  it('hides debug and trace at info', () => {
    const c = capture('info');
    c.log.trace('hidden trace');
    c.log.debug('hidden debug');
    c.log.info('shown info');
    c.log.warn('shown warn');
    expect(c.lines().map((line) => line.msg)).toEqual(['shown info', 'shown warn']);
    expect(c.log.isLevelEnabled('debug')).toBe(false);
  });

  it('shows debug at debug, but not trace', () => {
    const c = capture('debug');
    c.log.trace('hidden trace');
    c.log.debug('shown debug');
    expect(c.lines().map((line) => line.msg)).toEqual(['shown debug']);
  });

  it('shows only error and fatal at error', () => {
    const c = capture('error');
    c.log.info('no');
    c.log.warn('no');
    c.log.error('yes');
    c.log.fatal('yes too');
    expect(c.lines().map((line) => line.level)).toEqual([50, 60]);
  });

  it('writes nothing at silent', () => {
    const c = capture('silent');
    c.log.fatal('nothing');
    c.log.error('nothing');
    expect(c.text()).toBe('');
  });
});

describe('redaction of secret fields', () => {
  it('redacts a top-level token and keeps the other fields', () => {
    const c = capture();
    c.log.info({ token: 'abc', user: 'u1' }, 'login');
    expect(only(c)).toMatchObject({ token: '[redacted]', user: 'u1', msg: 'login' });
    expect(c.text()).not.toContain('abc');
  });

  it('redacts secret variables inside a config object, keeping the others', () => {
    const c = capture();
    c.log.info(
      {
        config: {
          DISCORD_TOKEN: 'x-discord',
          SLACK_BOT_TOKEN: 'x-slack-bot',
          SLACK_APP_TOKEN: 'x-slack-app',
          SLACK_SIGNING_SECRET: 'x-signing',
          LOG_LEVEL: 'info',
        },
      },
      'config loaded',
    );
    expect(only(c).config).toEqual({
      DISCORD_TOKEN: '[redacted]',
      SLACK_BOT_TOKEN: '[redacted]',
      SLACK_APP_TOKEN: '[redacted]',
      SLACK_SIGNING_SECRET: '[redacted]',
      LOG_LEVEL: 'info',
    });
    for (const secret of ['x-discord', 'x-slack-bot', 'x-slack-app', 'x-signing']) expect(c.text()).not.toContain(secret);
  });

  it('redacts an authorization header, top level and one level down', () => {
    const c = capture();
    c.log.info({ headers: { authorization: 'Bot x', 'content-type': 'application/json' } }, 'request');
    c.log.info({ req: { headers: { authorization: 'Bot y' } } }, 'request');
    const [first, second] = c.lines();
    expect(first?.headers).toEqual({ authorization: '[redacted]', 'content-type': 'application/json' });
    expect(second?.req).toEqual({ headers: { authorization: '[redacted]' } });
    expect(c.text()).not.toMatch(/Bot [xy]/);
  });

  it('redacts botToken, appToken, signingSecret, secret and password, top level and nested', () => {
    const c = capture();
    c.log.info({ botToken: 's1', appToken: 's2', signingSecret: 's3', secret: 's4', password: 's5' }, 'top');
    c.log.info({ slack: { botToken: 's6', appToken: 's7', signingSecret: 's8', secret: 's9', password: 's10', token: 's11' } }, 'nested');
    const [top, nested] = c.lines();
    expect(top).toMatchObject({
      botToken: '[redacted]',
      appToken: '[redacted]',
      signingSecret: '[redacted]',
      secret: '[redacted]',
      password: '[redacted]',
    });
    expect(nested?.slack).toEqual({
      botToken: '[redacted]',
      appToken: '[redacted]',
      signingSecret: '[redacted]',
      secret: '[redacted]',
      password: '[redacted]',
      token: '[redacted]',
    });
    expect(c.text()).not.toMatch(/"s\d+"/);
  });

  it('redacts secrets in child logger bindings', () => {
    const c = capture();
    c.log.child({ token: 'child-secret', subsystem: 'discord' }).info('ready');
    expect(only(c)).toMatchObject({ token: '[redacted]', subsystem: 'discord' });
    expect(c.text()).not.toContain('child-secret');
  });

  it('redacts a token nested two levels deep', () => {
    const c = capture();
    c.log.info({ platform: { slack: { token: 'deep-secret' } } }, 'deep');
    expect(c.text()).not.toContain('deep-secret');
  });
});

describe('scrubbing token-shaped strings', () => {
  it('the fake tokens have the shapes the scrubber targets', () => {
    expect(DISCORD_TOKEN.split('.').map((part) => part.length)).toEqual([24, 6, 30]);
    expect(SLACK_BOT_TOKEN.startsWith('xoxb-')).toBe(true);
  });

  it.each([
    ['a Discord token', DISCORD_TOKEN],
    ['a Slack bot token', SLACK_BOT_TOKEN],
    ['a Slack app token', SLACK_APP_TOKEN],
  ])('scrubs %s from the message', (_kind, token) => {
    const c = capture();
    c.log.info(`logging in with ${token} now`);
    const line = only(c);
    expect(line.msg).toBe('logging in with [redacted] now');
    expect(c.text()).not.toContain(token);
  });

  it('scrubs a Bot/Bearer authorization value from the message', () => {
    const c = capture();
    c.log.info(`sent Authorization: Bearer ${'fakeBearerValue'.padEnd(24, '0')}`);
    expect(only(c).msg).toBe('sent Authorization: [redacted]');
  });

  it('scrubs tokens passed as format arguments', () => {
    const c = capture();
    c.log.info('token is %s', SLACK_BOT_TOKEN);
    expect(only(c).msg).toBe('token is [redacted]');
  });

  it('scrubs the message when fields come first', () => {
    const c = capture();
    c.log.warn({ guild: 'g1' }, `retrying with ${DISCORD_TOKEN}`);
    expect(only(c)).toMatchObject({ guild: 'g1', msg: 'retrying with [redacted]', level: 40 });
  });

  it('scrubs the message of a child logger', () => {
    const c = capture();
    c.log.child({ subsystem: 'slack' }).error(`auth failed for ${SLACK_BOT_TOKEN}`);
    expect(only(c).msg).toBe('auth failed for [redacted]');
  });

  // Interaction and webhook tokens travel in the path of Discord API URLs, which discord.js puts in its errors.
  const INTERACTION_TOKEN = 'aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OTA6ZmFrZQ:FAKEfakeFAKEfake-_0';

  it('scrubs the token of an /interactions/<id>/<token> URL, in the message and in error fields', () => {
    const c = capture();
    const url = `https://discord.com/api/v10/interactions/1234567890123456789/${INTERACTION_TOKEN}/callback?with_response=false`;
    const err = Object.assign(new Error(`Invalid Form Body on POST ${url}`), { url, method: 'POST' });
    c.log.error({ err, request: `POST ${url}` }, `Discord refused ${url}`);
    const line = only(c);
    const scrubbed = 'https://discord.com/api/v10/interactions/1234567890123456789/[redacted]/callback?with_response=false';
    expect(line.msg).toBe(`Discord refused ${scrubbed}`);
    expect(line.request).toBe(`POST ${scrubbed}`);
    expect(line.err).toMatchObject({ message: `Invalid Form Body on POST ${scrubbed}`, url: scrubbed });
    expect(c.text()).not.toContain(INTERACTION_TOKEN);
  });

  it('scrubs the token of a /webhooks/<app>/<token> URL (follow-ups and edits of an interaction answer)', () => {
    const c = capture();
    const edit = `/api/v10/webhooks/1100000000000000009/${INTERACTION_TOKEN}/messages/@original`;
    const encoded = `/webhooks/1100000000000000009/${encodeURIComponent(INTERACTION_TOKEN)}`;
    c.log.warn({ path: edit }, `PATCH ${edit} failed; then POST ${encoded} "quoted"`);
    const line = only(c);
    expect(line.path).toBe('/api/v10/webhooks/1100000000000000009/[redacted]/messages/@original');
    expect(line.msg).toBe(
      'PATCH /api/v10/webhooks/1100000000000000009/[redacted]/messages/@original failed; then POST /webhooks/1100000000000000009/[redacted] "quoted"',
    );
    expect(c.text()).not.toContain(INTERACTION_TOKEN);
    expect(c.text()).not.toContain(encodeURIComponent(INTERACTION_TOKEN));
  });

  it('leaves ordinary text alone', () => {
    const c = capture();
    const text = 'Week 3 · Monday 2027-01-18 09:00 — https://example.org/docs/a.b.c';
    c.log.info(text);
    expect(only(c).msg).toBe(text);
  });
});

describe('errors', () => {
  it('scrubs tokens from the message and stack of an Error logged as {err}', () => {
    const c = capture();
    const err = new Error(`Slack said invalid_auth for ${SLACK_BOT_TOKEN} and ${DISCORD_TOKEN}`);
    c.log.error({ err }, 'login failed');
    const line = only(c);
    const logged = line.err as { type: string; message: string; stack: string };
    expect(line.msg).toBe('login failed');
    expect(logged.type).toBe('Error');
    expect(logged.message).toBe('Slack said invalid_auth for [redacted] and [redacted]');
    expect(logged.stack).toContain('Error: Slack said invalid_auth for [redacted] and [redacted]');
    expect(logged.stack).toMatch(/\n\s+at /);
    expect(c.text()).not.toContain(SLACK_BOT_TOKEN);
    expect(c.text()).not.toContain(DISCORD_TOKEN);
  });

  it('scrubs the err field of an Error logged directly', () => {
    const c = capture();
    c.log.error(new Error(`bad token ${DISCORD_TOKEN}`), 'login failed');
    const line = only(c);
    const logged = line.err as { message: string; stack: string };
    expect(logged.message).toBe('bad token [redacted]');
    expect(line.msg).toBe('login failed');
    expect(c.text()).not.toContain(DISCORD_TOKEN);
  });

  // With no message argument pino copies err.message into `msg`.
  it.each([
    ['log.error(err)', (log: Logger, err: Error) => log.error(err)],
    ['log.error({ err })', (log: Logger, err: Error) => log.error({ err })],
  ])('scrubs the message pino derives from the error: %s', (_call, write) => {
    const c = capture();
    write(c.log, new Error(`bad token ${DISCORD_TOKEN}`));
    expect(only(c).msg).toBe('bad token [redacted]');
    expect(c.text()).not.toContain(DISCORD_TOKEN);
  });

  it('scrubs tokens in an error’s cause', () => {
    const c = capture();
    const err = new Error('request failed', { cause: new Error(`401 for ${SLACK_APP_TOKEN}`) });
    c.log.error({ err }, 'outer');
    expect(c.text()).toContain('[redacted]');
    expect(c.text()).not.toContain(SLACK_APP_TOKEN);
  });

  // Something that is not an Error may be thrown, and logged as `err`.
  it('logging a non-Error value as {err} does not throw', () => {
    const c = capture();
    expect(() => c.log.error({ err: 'a plain string was thrown' }, 'failed')).not.toThrow();
    expect(() => c.log.error({ err: { code: 42 } }, 'failed')).not.toThrow();
    expect(c.lines()).toHaveLength(2);
  });
});

describe('registered secrets', () => {
  it('scrubs a configured secret without a token shape (a Slack signing secret) from any text', async () => {
    const { registerSecrets, scrubSecrets } = await import('../src/log.js');
    registerSecrets(['8f2b1c0d9e7a6b5c4d3e2f1a0b9c8d7e', 'short', undefined]);
    expect(scrubSecrets('signature check with 8f2b1c0d9e7a6b5c4d3e2f1a0b9c8d7e failed')).toBe('signature check with [redacted] failed');
    expect(scrubSecrets('short stays')).toBe('short stays');
  });
});

describe('commandLog (one command’s child logger, made when it writes)', () => {
  it('makes no child while nothing is written at an enabled level, and writes with the bindings, secrets redacted', () => {
    const captured = capture('warn');
    const { log } = captured;
    const made = vi.spyOn(log, 'child');
    const command = commandLog(log, { command: 'today', user: 'u1', token: SLACK_BOT_TOKEN });
    command.debug({ code: 'x' }, 'refused');
    expect(made).not.toHaveBeenCalled();
    command.warn({}, 'instructor command refused to a non-instructor');
    command.error({ ref: 'r1' }, 'command failed');
    expect(made).toHaveBeenCalledTimes(1);
    expect(captured.lines().map((line) => [line.command, line.user, line.token, line.msg])).toEqual([
      ['today', 'u1', '[redacted]', 'instructor command refused to a non-instructor'],
      ['today', 'u1', '[redacted]', 'command failed'],
    ]);
  });
});
