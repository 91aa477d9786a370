import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The tests start the real `course-bot` (bin/course-bot.js), which runs dist/: compiled once here.
    globalSetup: ['test/support/build-dist.ts'],
    // Room for a loaded machine (2 cores shared by several suites): many tests start processes or servers.
    // A test that starts the bot sets SPAWN_TIMEOUT (test/support/child.ts) itself.
    testTimeout: 60_000,
    // Most of the time goes to waiting (processes starting, servers answering, timers), not to the CPU: three
    // files at once halve the run on 2 cores (9.5 → 4.8 min), where the default (cores − 1) runs them one by one.
    maxWorkers: 3,
    hookTimeout: 60_000,
    // Tests must not depend on the machine's zone.
    env: { TZ: 'Pacific/Kiritimati' },
  },
});
