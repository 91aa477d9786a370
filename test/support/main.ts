import { Writable } from 'node:stream';
import { main } from '../../src/cli.js';
import { ROOT, type Run } from './child.js';

/** A stream that keeps what is written to it. */
function collector(): Writable & { text: string } {
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      stream.text += chunk.toString();
      done();
    },
  }) as Writable & { text: string };
  stream.text = '';
  return stream;
}

/**
 * `course-bot` in this process (`main` with its output collected), configured as the child processes are: the
 * repository as working directory, no course file or platform token (empty wins over a developer's .env), logs
 * silenced; `env` adds to that (give `STATE_DB`). For what a process adds nothing to; the real command (exit
 * codes, standard output errors, `--out`): `runCli`.
 */
export async function runMain(args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<Run> {
  const stdout = collector();
  const stderr = collector();
  const code = await main(args, {
    stdout,
    stderr,
    cwd: ROOT,
    env: { COURSE_FILE: '', DISCORD_TOKEN: '', SLACK_BOT_TOKEN: '', LOG_LEVEL: 'silent', ...env },
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
