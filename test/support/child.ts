import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

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
  /** Killed after this long (ms). */
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
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeout ?? 25_000);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
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

/** The real `course-bot` CLI from source in a child process. */
export function runCli(args: readonly string[], options: ChildOptions = {}): Promise<Run> {
  return runChild(process.execPath, ['--import', 'tsx', 'src/cli.ts', ...args], options);
}
