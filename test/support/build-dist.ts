import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './child.js';

/**
 * Vitest global setup: brings dist/ up to date with src/ once, before any test starts the real `course-bot`
 * (bin/course-bot.js runs dist/ and would otherwise compile it in whichever test starts first). Later
 * edits (watch mode) are compiled by the next start, file by file.
 */
export default function setup(): void {
  const build = spawnSync(process.execPath, [join(ROOT, 'scripts/build.js')], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`scripts/build.js could not bring dist/ up to date:\n${build.stderr}${build.stdout}`);
}
