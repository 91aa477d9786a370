import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

/**
 * The timeout of a test that starts a process or a few: a start takes about 1 s on an idle machine and many
 * times that on a busy one (2 cores shared by several suites), so this leaves room for 10× or more.
 */
export const SPAWN_TIMEOUT = 120_000;

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ChildOptions {
  /** Written to stdin; stdin is ended afterwards unless `keepOpen`. Without it stdin is closed. */
  readonly input?: string;
  readonly keepOpen?: boolean;
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Standard output: collected (default), an open file descriptor (`/dev/full`), or `closed`: the reading end
   * is closed at once, as when the reader of a pipe went away (`| head -1`).
   */
  readonly stdout?: number | 'closed';
  /** Run as this user and group (the tests run as root in CI, where permissions are not checked). */
  readonly uid?: number;
  readonly gid?: number;
  /** Killed after this long (ms); default a little less than {@link SPAWN_TIMEOUT}, so its output is seen. */
  readonly timeout?: number;
}

/**
 * Runs a command in the repository with piped stdio and a zone far from the course's, logs silenced,
 * no course file configured (empty wins over a developer's .env), and no npm update check.
 */
export function runChild(command: string, args: readonly string[], options: ChildOptions = {}): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: {
        ...process.env,
        // The machine's zone must not matter: UTC+14 is far from Europe/Copenhagen.
        TZ: 'Pacific/Kiritimati',
        LOG_LEVEL: 'silent',
        COURSE_FILE: '',
        npm_config_update_notifier: 'false',
        ...options.env,
      },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', typeof options.stdout === 'number' ? options.stdout : 'pipe', 'pipe'],
      ...(options.uid !== undefined && { uid: options.uid }),
      ...(options.gid !== undefined && { gid: options.gid }),
    });
    if (options.stdout === 'closed') child.stdout!.destroy();
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeout ?? SPAWN_TIMEOUT - 10_000);
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
    if (options.input !== undefined && child.stdin) {
      // The child may exit (on /quit) before it has read everything.
      child.stdin.on('error', () => undefined);
      child.stdin.write(options.input);
      if (!options.keepOpen) child.stdin.end();
    }
  });
}

/**
 * The command users run: bin/course-bot.js (what `npx course-bot` and `npm start` run), which compiles what
 * changed in src/ to dist/ and runs dist/ (the test run's global setup has compiled it once already).
 */
export const CLI_ENTRY = ['bin/course-bot.js'] as const;

/** The real `course-bot` CLI in a child process. */
export function runCli(args: readonly string[], options: ChildOptions = {}): Promise<Run> {
  return runChild(process.execPath, [...CLI_ENTRY, ...args], options);
}

/** A long-running child process whose output is collected as it comes. */
export interface RunningChild {
  readonly pid: number;
  output(): { readonly stdout: string; readonly stderr: string };
  /** Resolves when a line of stdout or stderr matches. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends a signal and resolves with the exit code (SIGKILL after `graceMs`). */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number | null>;
  readonly exited: Promise<number | null>;
}

/** Starts the real `course-bot` CLI and leaves it running. */
export function spawnCli(args: readonly string[], env: Readonly<Record<string, string>> = {}): RunningChild {
  const child = spawn(process.execPath, [...CLI_ENTRY, ...args], {
    cwd: ROOT,
    env: { ...process.env, TZ: 'Pacific/Kiritimati', LOG_LEVEL: 'info', COURSE_FILE: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach((waiter) => waiter());
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    notify();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    notify();
  });
  const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  return {
    pid: child.pid!,
    exited,
    output: () => ({ stdout, stderr }),
    waitForOutput(pattern, timeoutMs = 60_000) {
      return new Promise((done, fail) => {
        const check = () => {
          const line = `${stdout}\n${stderr}`.split('\n').find((candidate) => pattern.test(candidate));
          if (line === undefined) return;
          clearTimeout(timer);
          waiters.delete(check);
          done(line);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          fail(new Error(`no output matching ${String(pattern)} within ${timeoutMs} ms:\n${stdout}\n${stderr}`));
        }, timeoutMs);
        waiters.add(check);
        check();
        void exited.then(() => {
          if (waiters.has(check)) {
            waiters.delete(check);
            clearTimeout(timer);
            fail(new Error(`exited before output matching ${String(pattern)}:\n${stdout}\n${stderr}`));
          }
        });
      });
    },
    async stop(signal = 'SIGTERM', graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
