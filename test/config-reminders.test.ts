import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { ROOT } from './support/child.js';

describe('REMINDER_EVENING', () => {
  it('defaults to 18:00 and takes a time of day', () => {
    expect(loadConfig({ env: {}, cwd: ROOT, dotenv: false }).reminders).toEqual({ evening: '18:00' });
    expect(loadConfig({ env: { REMINDER_EVENING: ' 19:30 ' }, cwd: ROOT, dotenv: false }).reminders).toEqual({ evening: '19:30' });
  });

  it('refuses anything else in one line naming the variable', () => {
    for (const value of ['18', '6pm', '24:00', '18:60', '18:00:00']) {
      let error: unknown;
      try {
        loadConfig({ env: { REMINDER_EVENING: value }, cwd: ROOT, dotenv: false });
      } catch (caught) {
        error = caught;
      }
      expect(error, value).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([`REMINDER_EVENING: must be a time of day HH:MM, such as 18:00 (course time) (got "${value}")`]);
    }
  });
});
