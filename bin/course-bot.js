#!/usr/bin/env node
// The `course-bot` command (`npx course-bot`, and `npm start`): the compiled CLI in dist/. In a checkout (src/ is
// here) dist/ is first brought up to date with src/, so that what runs is the source as it is now, never an
// older build; where there is no src/ (the Docker image) dist/ is all there is.
import { existsSync } from 'node:fs';

const checkout = existsSync(new URL('../src/', import.meta.url));

async function bringUpToDate() {
  const { BuildError, ensureBuilt } = await import('../scripts/build.js');
  try {
    ensureBuilt({ log: (line) => console.error(line) });
  } catch (error) {
    if (!(error instanceof BuildError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}

if (checkout) await bringUpToDate();
if (!existsSync(new URL('../dist/cli.js', import.meta.url))) {
  console.error('dist/ has not been built: run npm run build (in the course-bot folder).');
  process.exit(1);
}
let cli;
try {
  cli = await import('../dist/cli.js');
} catch (error) {
  // Another start may be swapping a new build in (two renames: dist/ is absent for a moment): wait for it
  // (it holds the build lock) and load the new one.
  if (!checkout || /** @type {{ code?: string }} */ (error).code !== 'ERR_MODULE_NOT_FOUND') throw error;
  await bringUpToDate();
  cli = await import(`../dist/cli.js?retry=${Date.now()}`);
}
await cli.run(process.argv.slice(2));
