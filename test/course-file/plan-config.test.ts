import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('PLAN_SOURCE_TOKEN and PLAN_WEBHOOK_SECRET', () => {
  it('are read when set, and absent when empty', () => {
    const set = loadConfig({ env: { PLAN_SOURCE_TOKEN: 'ghp_abc', PLAN_WEBHOOK_SECRET: '0123456789abcdef0123' }, dotenv: false });
    expect(set.plan).toEqual({ sourceToken: 'ghp_abc', webhookSecret: '0123456789abcdef0123' });
    expect(loadConfig({ env: { PLAN_SOURCE_TOKEN: '', PLAN_WEBHOOK_SECRET: ' ' }, dotenv: false }).plan).toEqual({});
  });

  it('refuse a short webhook secret without showing it', () => {
    const error = (() => {
      try {
        loadConfig({ env: { PLAN_WEBHOOK_SECRET: 'short-secret' }, dotenv: false });
      } catch (caught) {
        return caught;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'PLAN_WEBHOOK_SECRET: must be at least 16 characters (a random string: openssl rand -hex 32) (got a hidden value)',
    ]);
  });
});
