import { describe, expect, it } from 'vitest';
import { ListenError, PlatformError, fromPlatform, listenFailure, platformFailure, platformReason } from '../../src/platforms/failure.js';

const SLACK_TOKEN = ['xoxb', '000000000000', '000000000000', 'FAKEfakeFAKEfake0000'].join('-');

function coded(message: string, code: string, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { code, ...extra });
}

describe('platform start failures', () => {
  it('say one line per platform, in order, for a refusal of each', () => {
    const error = new PlatformError([
      { platform: 'discord', error: coded('An invalid token was provided.', 'TokenInvalid') },
      { platform: 'slack', error: coded('An API error occurred: invalid_auth', 'slack_webapi_platform_error', { data: { error: 'invalid_auth' } }) },
    ]);
    expect(platformFailure(error)).toBe(
      'Discord refused the token: check DISCORD_TOKEN (Developer Portal → Bot → Reset Token).\n' +
        'Slack refused the token (invalid_auth): check SLACK_BOT_TOKEN and SLACK_APP_TOKEN (api.slack.com/apps → your app).',
    );
  });

  it('blame the network of the platform that failed', () => {
    const refused = () => coded('connect ECONNREFUSED 127.0.0.1:9', 'ECONNREFUSED');
    expect(platformReason(refused(), 'slack')).toBe('Could not reach Slack (connect ECONNREFUSED 127.0.0.1:9): check the network and SLACK_API_URL.');
    expect(platformReason(refused(), 'discord')).toBe('Could not reach Discord (connect ECONNREFUSED 127.0.0.1:9): check the network and DISCORD_API_URL.');
  });

  it('give anything unknown one line, its first, with tokens scrubbed and no stack', () => {
    const odd = new Error(`socket closed with ${SLACK_TOKEN}\n    at somewhere (file.js:1:1)`);
    const line = platformReason(odd, 'slack');
    expect(line).toBe('Slack could not start (socket closed with [redacted]): check its settings in .env and the log above.');
    expect(platformReason('a string', 'discord')).toBe('Discord could not start (a string): check its settings in .env and the log above.');
    expect(platformReason(new Error(''), 'discord')).toBe('Discord could not start (no reason given): check its settings in .env and the log above.');
    expect(new PlatformError([{ platform: 'slack', error: odd }]).message.split('\n')).toHaveLength(1);
  });

  it('leave errors that are not about a platform to the caller, whatever their code says', () => {
    expect(platformFailure(new Error('something else'))).toBeUndefined();
    expect(platformFailure('not an error')).toBeUndefined();
    // An .env the bot may not read, a name that does not resolve: not a port, not Discord.
    expect(platformFailure(coded("EACCES: permission denied, open '/app/.env'", 'EACCES'))).toBeUndefined();
    expect(platformFailure(coded('getaddrinfo ENOTFOUND no-such-host.invalid', 'ENOTFOUND'))).toBeUndefined();
    expect(platformFailure(coded('listen EADDRINUSE: address already in use :::8080', 'EADDRINUSE'))).toBeUndefined();
  });

  it('blame the platform an error was marked with where it happened', () => {
    const refused = () => coded('connect ECONNREFUSED 127.0.0.1:9', 'ECONNREFUSED');
    expect(platformFailure(fromPlatform('discord', refused()))).toBe(
      'Could not reach Discord (connect ECONNREFUSED 127.0.0.1:9): check the network and DISCORD_API_URL.',
    );
    expect(platformFailure(fromPlatform('slack', refused()))).toBe('Could not reach Slack (connect ECONNREFUSED 127.0.0.1:9): check the network and SLACK_API_URL.');
    const fetchFailed = Object.assign(new TypeError('fetch failed'), { cause: coded('getaddrinfo ENOTFOUND discord.invalid', 'ENOTFOUND') });
    expect(platformFailure(fromPlatform('discord', fetchFailed))).toBe('Could not reach Discord (fetch failed): check the network and DISCORD_API_URL.');
    const marked = coded('An API error occurred: missing_scope', 'slack_webapi_platform_error', { data: { error: 'missing_scope' } });
    expect(fromPlatform('slack', marked)).toBe(marked);
    expect(platformFailure(marked)).toBe('Slack answered with an error (An API error occurred: missing_scope): check its settings in .env.');
  });
});

describe('a server that cannot listen', () => {
  const http = { host: '0.0.0.0', port: 80, hostSetting: 'HTTP_HOST', portSetting: 'HTTP_PORT' };
  const line = (code: string, target: Partial<typeof http> = {}) =>
    platformFailure(listenFailure(coded(`listen ${code}`, code), { ...http, ...target }));

  it('says in one line which setting to change, for each reason', () => {
    expect(line('EADDRINUSE', { port: 8080 })).toBe(
      'Cannot listen on 0.0.0.0:8080 (EADDRINUSE): another program uses port 8080; stop it, or set HTTP_PORT to a free port.',
    );
    expect(line('EACCES')).toBe(
      'Cannot listen on 0.0.0.0:80 (EACCES): not allowed to use port 80 (ports below 1024 need privileges); set HTTP_PORT to a port from 1024 up.',
    );
    expect(line('EADDRNOTAVAIL', { host: '10.255.255.1', port: 8080 })).toBe(
      'Cannot listen on 10.255.255.1:8080 (EADDRNOTAVAIL): 10.255.255.1 is not an address of this machine; set HTTP_HOST to one of its addresses, or 0.0.0.0 for all.',
    );
    expect(line('ENOTFOUND', { host: 'no-such-host.invalid', port: 8080 })).toBe(
      'Cannot listen on no-such-host.invalid:8080 (ENOTFOUND): HTTP_HOST is not an address or a host name this machine knows; set it to an address, such as 0.0.0.0 (all) or 127.0.0.1.',
    );
    expect(line('EAI_AGAIN', { host: 'example.org' })).toMatch(/^Cannot listen on example\.org:80 \(EAI_AGAIN\): the name in HTTP_HOST could not be looked up/);
    expect(line('EAFNOSUPPORT', { host: '::1' })).toBe('Cannot listen on [::1]:80 (EAFNOSUPPORT): this machine has no IPv6 network; set HTTP_HOST to 0.0.0.0.');
    expect(line('EWHATEVER')).toBe('Cannot listen on 0.0.0.0:80 (listen EWHATEVER): check HTTP_HOST and HTTP_PORT.');
    const slack = { host: '0.0.0.0', port: 3000, hostSetting: 'SLACK_HOST', portSetting: 'SLACK_PORT' };
    expect(platformFailure(new PlatformError([{ platform: 'slack', error: listenFailure(coded('listen EADDRINUSE', 'EADDRINUSE'), slack) }]))).toBe(
      'Cannot listen on 0.0.0.0:3000 (EADDRINUSE): another program uses port 3000; stop it, or set SLACK_PORT to a free port.',
    );
  });

  it('keeps a host with line breaks or quotes on one line, and leaves errors without a code as they are', () => {
    expect(line('ENOTFOUND', { host: 'evil\nhost' })?.split('\n')).toHaveLength(1);
    expect(line('ENOTFOUND', { host: 'evil\nhost' })).toContain('"evil\\nhost"');
    const plain = new Error('no code');
    expect(listenFailure(plain, http)).toBe(plain);
    expect(listenFailure(coded('x', 'EADDRINUSE'), http)).toBeInstanceOf(ListenError);
  });
});
