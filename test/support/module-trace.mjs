// `node --import ./test/support/module-trace.mjs …` with MODULE_TRACE=<file>: appends to that file the URL of
// every module the process resolves through `import`, and at exit the path of every CommonJS module it
// required (packages such as discord.js load their own parts with `require`). Plain JavaScript: it runs
// before anything compiles TypeScript.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const trace = process.env.MODULE_TRACE;
if (trace) {
  register(new URL('./module-trace-hooks.mjs', import.meta.url));
  const require = createRequire(import.meta.url);
  process.on('exit', () => {
    const paths = Object.keys(require.cache);
    if (paths.length > 0) appendFileSync(trace, `${paths.join('\n')}\n`);
  });
}
