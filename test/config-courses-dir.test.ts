import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';

const load = (env: Record<string, string>) => loadConfig({ env, dotenv: false, cwd: '/srv/bot' });

describe('COURSES_DIR', () => {
  it('is the folder of course files, resolved against the working directory, with a label', () => {
    expect(load({ COURSES_DIR: 'courses' }).coursesDir).toEqual({ path: '/srv/bot/courses', label: 'courses' });
    expect(load({ COURSES_DIR: '/etc/courses/' }).coursesDir).toEqual({ path: '/etc/courses', label: '/etc/courses' });
  });

  it('is absent when unset or empty (the one course of COURSE_FILE, as before)', () => {
    expect(load({}).coursesDir).toBeUndefined();
    expect(load({ COURSES_DIR: '  ' }).coursesDir).toBeUndefined();
    expect(load({ COURSE_FILE: 'data/x.yaml' }).courseFile).toBe('/srv/bot/data/x.yaml');
  });

  it('with COURSE_FILE too is refused with one line', () => {
    let error: unknown;
    try {
      load({ COURSES_DIR: 'courses', COURSE_FILE: 'data/course.yaml' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'COURSES_DIR: set COURSE_FILE (one course) or COURSES_DIR (a folder of course files), not both',
    ]);
  });
});
