import { describe, expect, it } from 'vitest';
import { PlatformError, platformFailure, platformReason } from '../../src/platforms/failure.js';

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

  it('leave errors that are not about a platform to the caller', () => {
    expect(platformFailure(new Error('something else'))).toBeUndefined();
    expect(platformFailure('not an error')).toBeUndefined();
  });
});
