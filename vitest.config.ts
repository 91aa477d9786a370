import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The tests start the real `course-bot` (bin/course-bot.js), which runs dist/: compiled once here.
    globalSetup: ['test/support/build-dist.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    // Tests must not depend on the machine's zone.
    env: { TZ: 'Pacific/Kiritimati' },
  },
});
