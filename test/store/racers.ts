import { spawn } from 'node:child_process';
import { ROOT } from '../support/child.js';

/**
 * Runs the same script in several processes at once and returns what each printed last (JSON). Each
 * process gets its name as `process.argv[1]`, prints `ready` when set up, and starts only when every one is
 * ready (it reads `go` on stdin): a slow start on a busy machine must not let one finish before the other begins.
 * The script awaits `start` (a promise defined before it) before racing.
 */
export async function race<T>(script: string, names: readonly string[]): Promise<T[]> {
  const prelude = `
    import { createInterface } from 'node:readline';
    const lines = createInterface({ input: process.stdin });
    const start = new Promise((go) => lines.on('line', (line) => { if (line === 'go') { lines.close(); go(); } }));
    const ready = () => process.stdout.write('ready\\n');
  `;
  const children = names.map((name) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', prelude + script, name], {
      cwd: ROOT,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    const ready = new Promise<void>((resolve, reject) => {
      const check = () => {
        if (out.startsWith('ready\n')) resolve();
      };
      child.stdout.on('data', check);
      child.on('close', (code) => reject(new Error(`${name} exited ${code} before it was ready:\n${err}`)));
    });
    const done = new Promise<T>((resolve, reject) => {
      child.on('error', reject);
      child.on('close', (code) => {
        if (code !== 0) return reject(new Error(`${name} exited ${code}:\n${err}`));
        try {
          resolve(JSON.parse(out.slice('ready\n'.length)) as T);
        } catch {
          reject(new Error(`${name} printed no JSON:\n${out}\n${err}`));
        }
      });
    });
    return { child, ready, done };
  });
  try {
    await Promise.all(children.map((entry) => entry.ready));
  } catch (error) {
    for (const entry of children) entry.child.kill();
    throw error;
  }
  for (const entry of children) entry.child.stdin.end('go\n');
  return Promise.all(children.map((entry) => entry.done));
}
