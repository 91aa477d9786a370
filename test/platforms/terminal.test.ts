import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixedClock } from '../../src/core/clock.js';
import { commands } from '../../src/core/commands/registry.js';
import type { ScopeResolver } from '../../src/core/commands/invoke.js';
import { message } from '../../src/core/messages.js';
import type { Course } from '../../src/core/course/model.js';
import { OutputError } from '../../src/cli/output.js';
import { loadConfig } from '../../src/config.js';
import { chatLogLevel, createLogger } from '../../src/log.js';
import { start } from '../../src/main.js';
import { PromptScreen } from '../../src/platforms/terminal/screen.js';
import { runTerminal } from '../../src/platforms/terminal/terminal.js';
import { CLI_ENTRY, type ChildOptions, ROOT, type Run, SPAWN_TIMEOUT, runChild } from '../support/child.js';
import { at, buildCourse, courseDoc } from '../support/course.js';

const TIMEOUT = SPAWN_TIMEOUT;
const BANNER = 'No platform token: terminal mode. Type /help for the commands, /quit or Ctrl-D to leave.';

let tmp: string;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'course-bot-terminal-'));
});

afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** Runs a command with its state DB in the test's temp dir. */
function run(command: string, args: readonly string[], options: ChildOptions): Promise<Run> {
  return runChild(command, args, { ...options, env: { STATE_DB: join(tmp, 'state.db'), ...options.env } });
}

function startCli(options: ChildOptions): Promise<Run> {
  return run(process.execPath, [...CLI_ENTRY, 'start', '--at', '2027-01-05T10:00'], options);
}

describe('course-bot start in terminal mode (piped)', () => {
  it('prints the banner and answers each line until end of input', { timeout: TIMEOUT }, async () => {
    const db = join(tmp, 'piped.db');
    const result = await startCli({ input: '/today\n/week 2\n', env: { STATE_DB: db } });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const out = result.stdout;
    expect(out.startsWith('course-bot: Machine Learning Operations (mlops): 3 weeks, 15 sessions')).toBe(true);
    expect(out).toContain('Course file: data/course.yaml\n');
    expect(out).toContain(BANNER);
    expect(out).toContain('Week 1 · Tuesday 5 January 2027\nCode organisation: why it matters');
    expect(out).toContain('Week 2 · Scalability');
    expect(out).toContain('Training in the sky');
    // Answers come in the order asked, after the banner; no prompt is printed when stdin is not a TTY.
    expect(out.indexOf(BANNER)).toBeLessThan(out.indexOf('Code organisation'));
    expect(out.indexOf('Code organisation')).toBeLessThan(out.indexOf('Training in the sky'));
    expect(out).not.toContain('> ');
    // The state store went where STATE_DB said.
    expect(existsSync(db)).toBe(true);
  });

  it('answers an unknown command with the error and goes on', { timeout: TIMEOUT }, async () => {
    const result = await startCli({ input: '/nope\n/week 2\n' });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Unknown command /nope.');
    expect(result.stdout).toContain('Training in the sky');
    expect(result.stdout.indexOf('Unknown command /nope.')).toBeLessThan(result.stdout.indexOf('Training in the sky'));
  });

  it('stops at /quit before later lines, even while stdin stays open', { timeout: TIMEOUT }, async () => {
    const result = await startCli({ input: '/today\n/quit\n/week 2\n', keepOpen: true });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Code organisation: why it matters');
    expect(result.stdout).not.toContain('Training in the sky');
  });

  it('ends quietly with 141 when its output is closed (`yes /today | course-bot start | head -2`), never answering on', { timeout: TIMEOUT }, async () => {
    // Input that stays open and holds far more lines than a closed pipe takes: without an end, only the
    // failed write can stop the chat.
    const result = await startCli({ input: '/today\n'.repeat(20_000), keepOpen: true, stdout: 'closed', timeout: 60_000 });
    expect(result.code).toBe(141);
    expect(result.stderr).toBe('');
  });

  it('runs through npm start', { timeout: TIMEOUT }, async () => {
    const result = await run('npm', ['start', '--silent'], { input: '/help\n' });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(BANNER);
    expect(result.stdout).toContain('Machine Learning Operations: commands');
    expect(result.stdout).toMatch(/^ {2}\/today \[date\] — /m);
    expect(result.stdout).toMatch(/^ {2}\/week \[number\] — /m);
  });
});

describe('runTerminal', () => {
  const course = buildCourse(courseDoc());
  const monday = fixedClock(at(course, '2027-01-04T10:00'));
  const silent = createLogger({ level: 'silent' });

  /** Runs a chat over PassThrough streams; resolves with everything written once the chat ends. */
  async function chat(
    lines: string,
    options: { course?: () => Course; logger?: ReturnType<typeof createLogger>; endInput?: boolean; scope?: ScopeResolver } = {},
  ): Promise<string> {
    const input = new PassThrough();
    const output = new PassThrough();
    const written = text(output);
    input.write(lines);
    if (options.endInput ?? true) input.end();
    await runTerminal({
      input,
      output,
      course: options.course ?? (() => course),
      commands,
      clock: monday,
      logger: options.logger ?? silent,
      banner: 'BANNER',
      ...(options.scope && { scope: options.scope }),
    });
    output.end();
    return written;
  }

  it('writes the banner, then each answer followed by a blank line', async () => {
    const out = await chat('/today\n/week 2\n');
    expect(out.startsWith('BANNER\n')).toBe(true);
    expect(out).toContain('Week 1 · Monday 4 January 2027\nIntro\n');
    expect(out).toContain('Deployment');
    expect(out.indexOf('Intro')).toBeLessThan(out.indexOf('Deployment'));
    expect(out.endsWith('— Demo Course\n\n')).toBe(true);
    expect(out).not.toContain('> ');
  });

  it('answers with the clock it is given', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const written = text(output);
    input.end('/today\n');
    await runTerminal({
      input,
      output,
      course: () => course,
      commands,
      clock: fixedClock(at(course, '2027-01-06T10:00')),
      logger: silent,
      banner: '',
    });
    output.end();
    const out = await written;
    expect(out).toContain('Wednesday 6 January 2027');
    expect(out).toContain('Configs');
    expect(out).not.toContain('Intro');
  });

  it('ignores blank lines, trims whitespace and carriage returns', async () => {
    const out = await chat('\n   \n  /week 2  \r\n\n');
    const answers = out.split('Week 2').length - 1;
    expect(answers).toBe(1);
    expect(out).toContain('Deployment');
    expect(out).not.toContain('Unknown command');
    expect(out).not.toContain('Type a command');
  });

  it('lists the /course commands in /help: whoever runs the terminal is the course’s instructor', async () => {
    const out = await chat('/help\n');
    expect(out).toContain('For instructors');
    expect(out).toContain('/course edit');
  });

  it('asks its scope resolver for each line’s course, as asked in the terminal, and prints its choice when it has none', async () => {
    const asked: string[] = [];
    let lines = 0;
    const out = await chat('/today\n/today\n', {
      scope: (request) => {
        asked.push(request.place.platform);
        lines += 1;
        return lines === 1 ? { course, instructor: () => false } : { choose: message({ title: 'Which course? demo or other.' }) };
      },
    });
    expect(asked).toEqual(['terminal', 'terminal']);
    expect(out).toContain('Week 1 · Monday 4 January 2027');
    expect(out).toContain('Which course? demo or other.');
  });

  it('takes a course:<id> word out of each line as its course, and lists the courses in /help where there are several', async () => {
    const other = buildCourse(courseDoc({ course: { id: 'ds', name: 'Data Science', timezone: 'UTC', start: '2027-01-04' } }));
    const asked: (string | undefined)[] = [];
    const input = new PassThrough();
    const output = new PassThrough();
    const written = text(output);
    input.end('/today course:ds\ncourse:"Demo Course" /today\n/help\n');
    await runTerminal({
      input,
      output,
      course: () => course,
      commands,
      clock: monday,
      logger: silent,
      banner: 'BANNER',
      scope: (request) => {
        asked.push(request.course);
        return { course: request.course === 'ds' ? other : course, instructor: () => true };
      },
      courses: () => [
        { id: 'demo', name: 'Demo Course' },
        { id: 'ds', name: 'Data Science' },
      ],
    });
    output.end();
    const out = await written;
    expect(asked).toEqual(['ds', 'Demo Course', undefined]);
    expect(out).toContain('— Data Science\n');
    expect(out).toContain('— Demo Course\n');
    expect(out).toContain('Every command takes [course]: add course:<id>');
    expect(out).toContain('ds — Data Science');
  });

  it('with one course, answers a line naming it and refuses one naming another course, in one line', async () => {
    const out = await chat('/week 2 course:demo\n/today course:ds\n');
    expect(out).toContain('Deployment');
    expect(out).toContain('No such course here\nThis bot serves one course, Demo Course (demo), not "ds": leave out the course option.');
  });

  it('shows a user error and keeps answering', async () => {
    const out = await chat('/nope\n/week two\n/today\n');
    expect(out).toContain('Unknown command /nope.');
    expect(out).toContain('/week number: "two" is not a whole number.');
    expect(out).toContain('Intro');
  });

  it('stops at /quit (in any case) without waiting for the end of input', async () => {
    for (const quit of ['/quit', 'EXIT', '/Exit']) {
      const out = await chat(`/today\n${quit}\n/week 2\n`, { endInput: false });
      expect(out).toContain('Intro');
      expect(out).not.toContain('Deployment');
    }
  });

  it('hides an unexpected error behind a reference that is in the log, and goes on', async () => {
    const logs = new PassThrough();
    const logged = text(logs);
    const logger = createLogger({ level: 'error', destination: logs, pretty: false });
    let calls = 0;
    const flaky = (): Course => {
      calls += 1;
      if (calls === 1) throw new Error('disk on fire');
      return course;
    };
    const out = await chat('/today\n/week 2\n', { course: flaky, logger });
    logs.end();
    const ref = /Something went wrong \(ref ([0-9a-f]{8})\)\. Please tell an instructor\./.exec(out)?.[1];
    expect(ref).toBeDefined();
    expect(out).not.toContain('disk on fire');
    expect(out).toContain('Deployment');
    const entries = (await logged)
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { msg?: string; ref?: string; line?: string; err?: { message?: string } });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ msg: 'command failed', ref, line: '/today', err: { message: 'disk on fire' } });
  });

  it('ends with an OutputError (EPIPE) when the output’s reader is gone, and answers no further', async () => {
    let read = 0;
    const endless = new Readable({
      read() {
        read += 1;
        // More lines than the closed output takes; ending at all keeps a regression from spinning forever.
        this.push(read > 500 ? null : '/today\n');
      },
    });
    let written = 0;
    const closed = new Writable({
      write(_chunk, _encoding, done) {
        written += 1;
        // The reader goes away after the banner and one answer.
        if (written > 2) done(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
        else done();
      },
    });
    closed.on('error', () => undefined);
    const chatting = runTerminal({ input: endless, output: closed, course: () => course, commands, clock: monday, logger: silent, banner: 'BANNER' });
    await expect(chatting).rejects.toBeInstanceOf(OutputError);
    await expect(chatting).rejects.toMatchObject({ code: 'EPIPE' });
    // Readline reads ahead into its buffer; what matters is that nothing more is answered into the closed output.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(written).toBe(3);
    endless.destroy();
  });

  it('reads the course again for every line', async () => {
    const renamed = buildCourse(courseDoc({ course: { ...courseDoc().course, name: 'Renamed Course' } }));
    const versions = [course, renamed];
    let index = 0;
    const out = await chat('/today\n/today\n', { course: () => versions[Math.min(index++, 1)]! });
    expect(out).toContain('— Demo Course');
    expect(out).toContain('— Renamed Course');
    expect(out.indexOf('— Demo Course')).toBeLessThan(out.indexOf('— Renamed Course'));
  });
});

/** A stream that reads as a terminal: readline draws its prompt and echo on it, as on a screen. */
function fakeTty<T extends PassThrough>(stream: T): T & { isTTY: true; columns: number } {
  return Object.assign(stream, { isTTY: true as const, columns: 120 });
}

/** What a screen shows, roughly: ANSI control sequences removed. */
function plain(screen: string): string {
  // eslint-disable-next-line no-control-regex
  return screen.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
}

/** Resolves once `output` has written something matching `pattern`. */
function waitForText(collected: () => string, pattern: RegExp): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const check = () => {
      if (pattern.test(plain(collected()))) return resolve();
      if (Date.now() - started > 15_000) return reject(new Error(`no ${String(pattern)} in:\n${plain(collected())}`));
      setTimeout(check, 10);
    };
    check();
  });
}

describe('the interactive terminal chat: logs never break the prompt', () => {
  const course = buildCourse(courseDoc());
  const monday = fixedClock(at(course, '2027-01-04T10:00'));

  it('chooses warn for an interactive terminal unless LOG_LEVEL was set, and the configured level elsewhere', () => {
    expect(chatLogLevel('info', { interactive: true, levelSet: false })).toBe('warn');
    expect(chatLogLevel('debug', { interactive: true, levelSet: true })).toBe('debug');
    expect(chatLogLevel('info', { interactive: true, levelSet: true })).toBe('info');
    expect(chatLogLevel('info', { interactive: false, levelSet: false })).toBe('info');
    expect(chatLogLevel('error', { interactive: false, levelSet: true })).toBe('error');
    const levelSet = (env: Record<string, string>) => loadConfig({ env, dotenv: false }).logLevelSet;
    expect([levelSet({}), levelSet({ LOG_LEVEL: '' }), levelSet({ LOG_LEVEL: ' ' }), levelSet({ LOG_LEVEL: 'info' })]).toEqual([false, false, false, true]);
  });

  it('writes a line that comes while the prompt is shown above it, then draws the prompt again with what was typed', async () => {
    const input = fakeTty(new PassThrough());
    const output = fakeTty(new PassThrough());
    let shown = '';
    output.on('data', (chunk: Buffer) => (shown += chunk.toString()));
    const screen = new PromptScreen(output);
    const logger = createLogger({ level: 'warn', pretty: false, destination: screen.stream(output) });
    const chatting = runTerminal({ input, output, course: () => course, commands, clock: monday, logger, banner: 'BANNER', screen });
    await waitForText(() => shown, /BANNER\n> $/);
    input.write('/tod');
    await waitForText(() => shown, /> \/tod$/);
    const before = shown.length;
    logger.warn('the course file was not reloaded');
    const after = shown.slice(before);
    // The half-typed line is cleared first (so the log line does not start after "> /tod")…
    expect(after.startsWith('\x1b[2K')).toBe(true);
    expect(plain(after)).toMatch(/^\{"level":40,.*"msg":"the course file was not reloaded"\}\n> \/tod$/);
    // …and what was typed is still there: finishing the line answers /today.
    input.write('ay\n');
    await waitForText(() => shown, /Week 1 · Monday 4 January 2027/);
    input.write('/quit\n');
    await chatting;
    // Once the chat has ended, text is written as it comes.
    screen.write(output, 'after\n');
    expect(plain(shown)).toMatch(/> \/quit\r?\nafter\n$/);
    expect(plain(shown).split('"level":')).toHaveLength(2);
  });

  it('start(): what instructors are told is printed in the chat above the prompt, the all-clear too', { timeout: 60_000 }, async () => {
    const file = join(tmp, 'told.yaml');
    copyFileSync(join(ROOT, 'data/course.yaml'), file);
    const good = readFileSync(file, 'utf8');
    const input = fakeTty(new PassThrough());
    const output = fakeTty(new PassThrough());
    let shown = '';
    output.on('data', (chunk: Buffer) => (shown += chunk.toString()));
    const config = loadConfig({ env: { STATE_DB: join(tmp, 'told.db'), COURSE_FILE: file }, dotenv: false });
    const running = start({
      config,
      logger: createLogger({ level: config.logLevel, pretty: false, destination: output }),
      clock: (current) => fixedClock(at(current, '2027-01-05T10:00')),
      input,
      output,
      errorOutput: output,
    });
    await waitForText(() => shown, /terminal mode\. Type \/help.*\n\n> $/s);
    input.write('/tod');
    writeFileSync(file, good.replace('timezone: Europe/Copenhagen', 'timezone: Europe/Atlantis'));
    await waitForText(() => shown, /🔔 The course file was not reloaded; the last good schedule stays live\.\n.*told\.yaml: 1 problem\n.*told\.yaml:\d+:\d+ course\.timezone: Europe\/Atlantis/);
    writeFileSync(file, good);
    await waitForText(() => shown, /🔔 Course file accepted again: .*told\.yaml has no errors now, and the schedule follows it\.\n\n> \/tod$/);
    // Above the prompt, which is drawn again with what was typed; the info line behind it stays hidden.
    expect(plain(shown)).not.toContain('course file accepted again"');
    input.write('ay\n/quit\n');
    await running;
    expect(plain(shown)).toContain('Week 1 · Tuesday 5 January 2027');
  });

  it('start(): the banner comes first, info lines are hidden, and LOG_LEVEL brings them back', async () => {
    const run = async (env: Record<string, string>) => {
      const input = fakeTty(new PassThrough());
      const output = fakeTty(new PassThrough());
      let shown = '';
      output.on('data', (chunk: Buffer) => (shown += chunk.toString()));
      const config = loadConfig({ env: { STATE_DB: join(tmp, `start-${Object.keys(env).length}.db`), COURSE_FILE: join(ROOT, 'data/course.yaml'), ...env }, dotenv: false });
      input.write('/today\n/quit\n');
      await start({
        config,
        // What the CLI would pass: a logger on the same screen, at the configured level.
        logger: createLogger({ level: config.logLevel, pretty: false, destination: output }),
        clock: (current) => fixedClock(at(current, '2027-01-05T10:00')),
        input,
        output,
        errorOutput: output,
      });
      return plain(shown);
    };
    const quiet = await run({});
    expect(quiet.startsWith('course-bot: Machine Learning Operations (mlops)')).toBe(true);
    expect(quiet).toContain('Week 1 · Tuesday 5 January 2027');
    expect(quiet).not.toContain('course loaded');
    const chatty = await run({ LOG_LEVEL: 'info' });
    expect(chatty).toContain('course loaded');
    expect(chatty.indexOf('course loaded')).toBeLessThan(chatty.indexOf('course-bot: Machine Learning Operations'));
  });
});
