import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_ENTRY, SPAWN_TIMEOUT, runChild } from '../support/child.js';

const tmp = mkdtempSync(join(tmpdir(), 'course-bot-terminal-remind-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const startCli = (at: string, input: string) =>
  runChild(process.execPath, [...CLI_ENTRY, 'start', '--at', at], { input, env: { STATE_DB: join(tmp, 'state.db') } });

describe('/remind in terminal mode', () => {
  it('sets a reminder for whoever runs the terminal, prints it once when due', { timeout: SPAWN_TIMEOUT * 3 }, async () => {
    const set = await startCli('2027-01-05T10:00', '/remind evening\n');
    expect(set.code).toBe(0);
    expect(set.stdout).toContain('Done. Reminders: on, the evening before each session at 18:00 (Europe/Copenhagen), as a direct message.');
    const due = await startCli('2027-01-05T18:00:30', '/remind\n');
    expect(due.code).toBe(0);
    expect(due.stdout).toContain('⏰ Reminder: Tomorrow in Machine Learning Operations: Week 1 · Wednesday 6 January 2027');
    expect(due.stdout).toContain('To prepare:');
    const again = await startCli('2027-01-05T18:05', '/remind off\n');
    expect(again.stdout).not.toContain('⏰ Reminder');
    expect(again.stdout).toContain('Done. Reminders: off.');
  });
});
