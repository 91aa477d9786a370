#!/usr/bin/env node
// Builds src/ into dist/, and keeps dist/ current: `course-bot` (and so `npm start`) calls `ensureBuilt` before
// it runs dist/, so what runs is always the source as it is now, never an older build.
//
// Plain JavaScript on purpose: it runs where nothing compiles TypeScript yet (a fresh checkout, `npm install`).
//
//   node scripts/build.js            bring dist/ up to date (build again only when a source changed)
//   node scripts/build.js --force    build again (`npm run build`, after the type check)
//   node scripts/build.js --prepare  as the first, but skip quietly where there is nothing to build with
//                                    (no src/ as in the Docker image's install step; no esbuild as in a
//                                    production install): npm's `prepare`, run by `npm install`
//
// How: esbuild bundles src/ with the pure-JavaScript packages it uses (zod, luxon, yaml, commander, dotenv, the
// Markdown parser) into a few ES modules: the entry dist/cli.js, the course parser's worker, and chunks that
// each command loads when it needs them (`import()` stays lazy: `validate` loads no discord.js). Packages with
// native code, worker files or optional parts of their own (discord.js, Bolt, better-sqlite3, pg, pino,
// prom-client, node-cron) stay in node_modules, loaded with `require` (see REQUIRED). One bundle instead of about 300 module files starts faster and
// leaves V8's young generation smaller (issue 15's figures are in `npm run bench`). Type errors are `npm run
// typecheck`'s business; esbuild stops only at syntax errors.
//
// dist/.build.json records each source's size, mtime and hash; a source whose size or mtime differ is hashed, and
// the bundle is built again only when some content did change, so a checkout, a copy or an unpacked tarball (new
// mtimes) does not count as an edit. A build writes the new dist/ in a temporary folder and renames it into
// place, under a lock folder (dist.lock), so that several starts at once (tests, two instances on one host) never
// see half a dist/ nor build it twice.
import { createHash, randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package folder: the one holding src/, dist/ and package.json. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const STAMP = '.build.json';
const STAMP_VERSION = 2;
/** Files whose change changes every output. */
const CONFIGS = ['tsconfig.json', 'tsconfig.build.json', 'package.json'];
/**
 * The entry points, by their name in dist/: the CLI, and the course parser's worker thread (started by
 * src/course-file/load-off-thread.ts as `./parse-worker.js` next to the chunk that holds that module).
 */
const ENTRIES = { cli: 'src/cli.ts', 'parse-worker': 'src/course-file/parse-worker.ts' };
/**
 * Packages left in node_modules, loaded from there at run time: native code (better-sqlite3), files of their
 * own started as workers or children (pino's transports, pg in the bridge's worker, node-cron's background
 * tasks), optional peers looked up at run time (discord.js's zlib-sync and bufferutil, prom-client's
 * OpenTelemetry), or simply large and loaded only by the platform that needs it (Bolt). Everything else a
 * source imports from a package is bundled.
 */
const EXTERNAL = [
  'discord.js',
  '@discordjs/*',
  '@slack/*',
  'better-sqlite3',
  'pg',
  'pg-*',
  'pino',
  'pino-*',
  'thread-stream',
  'prom-client',
  'node-cron',
];
/**
 * Bundled CommonJS packages (dotenv, commander) call `require` for Node's own modules; an ES module has none,
 * so each output file makes one from its own URL.
 */
const REQUIRE_SHIM = "import { createRequire as __courseBotRequire } from 'node:module';\nconst require = __courseBotRequire(import.meta.url);";
/**
 * External CommonJS packages that the bundle loads with `require` rather than `import`. Node reads a CommonJS
 * package imported from an ES module with its export lexer first, file by file through its re-exports:
 * discord.js cost 0.17 s of CPU more at every start when imported than when required, a fifth of the bot's
 * start. Each is aliased to a two-line CommonJS module (written at build time, see {@link requireShims}) whose
 * `require` esbuild leaves to Node; the names it exports are the same either way.
 */
export const REQUIRED = ['discord.js', 'better-sqlite3', 'pino', 'prom-client', 'node-cron', '@slack/bolt', 'pg'];

/**
 * Writes the modules that {@link REQUIRED} packages are aliased to, under `dir`, and returns esbuild's `alias`.
 * The name is held in a variable so that esbuild leaves the `require` to Node (and so to the package's
 * CommonJS build) instead of resolving it back to the alias.
 * @param {string} dir
 * @returns {Record<string, string>}
 */
function requireShims(dir) {
  mkdirSync(dir, { recursive: true });
  return Object.fromEntries(
    REQUIRED.map((name, index) => {
      const path = join(dir, `required-${index}.cjs`);
      writeFileSync(path, `const name = ${JSON.stringify(name)};\nmodule.exports = require(name);\n`);
      return [name, path];
    }),
  );
}

/** A lock held longer than this is taken to be left by a build that died (a build takes seconds). */
const LOCK_STALE_MS = 3 * 60_000;

/** A build that cannot be done; the message is one line (or the compiler's lines) saying what to do. */
export class BuildError extends Error {
  name = 'BuildError';
}

/** @param {string} path */
function hashOf(path) {
  return createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 32);
}

/**
 * The TypeScript sources under src/, as paths relative to src/ with `/` separators, sorted.
 * @param {string} root
 */
function sourceFiles(root) {
  const src = join(root, 'src');
  return readdirSync(src, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    // `path` before Node 20.12.
    .map((entry) => relative(src, join(entry.parentPath ?? entry.path, entry.name)).split(sep).join('/'))
    .sort();
}

/**
 * @typedef {{ size: number, mtimeMs: number, hash: string }} Signature
 * @typedef {{ version: number, config: string, files: Record<string, Signature>, outputs?: string[] }} Stamp
 */

/** @param {string} root @returns {Stamp | undefined} */
function readStamp(root) {
  try {
    const stamp = JSON.parse(readFileSync(join(root, 'dist', STAMP), 'utf8'));
    return stamp && stamp.version === STAMP_VERSION && typeof stamp.files === 'object' ? stamp : undefined;
  } catch {
    return undefined;
  }
}

/** @param {string} root */
function configHash(root) {
  const hash = createHash('sha256');
  for (const name of CONFIGS) hash.update(existsSync(join(root, name)) ? readFileSync(join(root, name)) : '-').update('\0');
  return hash.digest('hex').slice(0, 32);
}

/**
 * What differs between src/ and dist/: `full` when nothing usable was built before (or the compiler settings
 * changed), else the sources to compile again and the ones that are gone. Cheap: a stat per source, and a hash
 * only of those whose size or mtime moved.
 * @param {string} [root]
 * @returns {{ current: boolean, full: boolean, changed: string[], removed: string[], files: Record<string, Signature>, config: string }}
 */
export function staleness(root = ROOT) {
  const stamp = readStamp(root);
  const config = configHash(root);
  const full = stamp === undefined || stamp.config !== config || !existsSync(join(root, 'dist'));
  /** @type {Record<string, Signature>} */
  const files = {};
  const changed = [];
  for (const file of sourceFiles(root)) {
    const path = join(root, 'src', file);
    const { size, mtimeMs } = statSync(path);
    const before = full ? undefined : stamp.files[file];
    if (before && before.size === size && before.mtimeMs === mtimeMs) {
      files[file] = before;
      continue;
    }
    const hash = hashOf(path);
    files[file] = { size, mtimeMs, hash };
    if (!before || before.hash !== hash || before.size !== size) changed.push(file);
  }
  const removed = full ? [] : Object.keys(stamp.files).filter((file) => !(file in files));
  // Sources with only a new mtime (a checkout, a copy) are hashed on each check until the next build: a few ms.
  return { current: !full && changed.length === 0 && removed.length === 0, full, changed, removed, files, config };
}

/** esbuild, from the package's own node_modules (a dev dependency: absent in a production install). @param {string} root */
function loadEsbuild(root) {
  try {
    return createRequire(join(root, 'package.json'))('esbuild');
  } catch {
    return undefined;
  }
}

/** @param {number} ms */
function pause(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Takes the build lock (a folder: `mkdir` is atomic), waiting for another build to finish; one left by a
 * process that is gone, or older than a build can take, is taken over. Returns the release.
 * @param {string} root
 * @param {(line: string) => void} log
 */
function lock(root, log) {
  const path = join(root, 'dist.lock');
  const since = Date.now();
  let told = false;
  for (;;) {
    try {
      mkdirSync(path);
      writeFileSync(join(path, 'owner'), String(process.pid));
      return () => rmSync(path, { recursive: true, force: true });
    } catch (error) {
      if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'EEXIST') throw error;
    }
    let stale = false;
    try {
      stale = Date.now() - statSync(path).mtimeMs > LOCK_STALE_MS;
      stale ||= !alive(Number(readFileSync(join(path, 'owner'), 'utf8')));
    } catch {
      // Just released, or its owner has not written its pid yet: look again.
    }
    if (stale) {
      // Renamed first, so that of several who found it stale only one removes it.
      const doomed = `${path}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
      try {
        renameSync(path, doomed);
        rmSync(doomed, { recursive: true, force: true });
      } catch {
        // Someone else took it over first.
      }
      continue;
    }
    if (!told && Date.now() - since > 5_000) {
      told = true;
      log(`Waiting for another build of dist/ to finish (${path}) …`);
    }
    pause(100);
  }
}

/** @param {number} pid */
function alive(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return /** @type {NodeJS.ErrnoException} */ (error).code === 'EPERM';
  }
}

/**
 * Bundles src/ into `out` (see the top of this file), with source maps that point at src/. Throws `BuildError`
 * listing syntax errors (file:line:column and the message, as the compiler said it); writes nothing then.
 * @param {any} esbuild
 * @param {string} root
 * @param {string} out
 */
function bundle(esbuild, root, out) {
  let result;
  const shims = `${out}.required`;
  try {
    result = esbuild.buildSync({
      absWorkingDir: root,
      entryPoints: ENTRIES,
      outdir: out,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      external: EXTERNAL,
      banner: { js: REQUIRE_SHIM },
      alias: requireShims(shims),
      chunkNames: '[name]-[hash]',
      sourcemap: 'linked',
      sourcesContent: false,
      logLevel: 'silent',
      tsconfig: join(root, 'tsconfig.build.json'),
    });
  } catch (error) {
    const errors = /** @type {{ errors?: { text: string, location?: { file: string, line: number, column: number } }[] }} */ (error).errors;
    if (!errors) throw error;
    const problems = errors.map(({ text, location }) =>
      location ? `${location.file}:${location.line}:${location.column + 1} ${text}` : text,
    );
    throw new BuildError(`${problems.join('\n')}\nThe build stopped: fix the errors above (dist/ is left as it was).`);
  } finally {
    rmSync(shims, { recursive: true, force: true });
  }
  return result;
}

/** @param {string} root */
function removeLeftovers(root) {
  for (const name of readdirSync(root)) {
    if (/^dist\.(tmp|old|lock\.stale)-/.test(name)) rmSync(join(root, name), { recursive: true, force: true });
  }
}

/**
 * Makes dist/ current with src/ (built again when any source changed; always with `force`), or does nothing
 * when it is. Throws `BuildError` when it cannot: no esbuild here (a production install), or a syntax error.
 * @param {{ root?: string, force?: boolean, log?: (line: string) => void }} [options]
 * @returns {boolean} whether anything was built
 */
export function ensureBuilt({ root = ROOT, force = false, log = () => undefined } = {}) {
  if (!force && staleness(root).current) return false;
  const esbuild = loadEsbuild(root);
  if (!esbuild) {
    throw new BuildError(
      existsSync(join(root, 'dist', 'cli.js'))
        ? 'dist/ is older than src/, and esbuild (a dev dependency) is not installed here to build it: run npm install, then npm run build.'
        : 'dist/ has not been built, and esbuild (a dev dependency) is not installed here to build it: run npm install, then npm run build.',
    );
  }
  let release;
  try {
    release = lock(root, log);
  } catch (error) {
    throw unwritable(root, error);
  }
  try {
    // Another start may have built it while this one waited.
    const state = staleness(root);
    if (!force && state.current) return false;
    removeLeftovers(root);
    const why = state.full || force ? 'src/' : [...state.changed, ...state.removed].length === 1 ? `src/${[...state.changed, ...state.removed][0]}` : `${state.changed.length + state.removed.length} changed files`;
    log(`Building dist/ from ${why} …`);
    const tmp = join(root, `dist.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
    try {
      mkdirSync(tmp);
      bundle(esbuild, root, tmp);
      const outputs = readdirSync(tmp).filter((name) => name.endsWith('.js')).sort();
      keepPreviousChunks(root, tmp);
      writeFileSync(join(tmp, STAMP), `${JSON.stringify({ version: STAMP_VERSION, config: state.config, files: state.files, outputs })}\n`);
      swapIn(root, tmp);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    return true;
  } catch (error) {
    throw error instanceof BuildError ? error : unwritable(root, error);
  } finally {
    release();
  }
}

/**
 * Copies the previous build's chunks into the new dist/ where the new build has no file of that name (chunk
 * names carry a hash of their content). A bot started from the previous build loads some chunks only when it
 * needs them (a platform, the Markdown importer, a command's module); without its chunks, a rebuild made by a
 * second command in the same checkout would break that running bot's next `import()`. One build back is kept;
 * older ones are dropped.
 * @param {string} root
 * @param {string} tmp
 */
function keepPreviousChunks(root, tmp) {
  const previous = readStamp(root)?.outputs ?? [];
  for (const name of previous) {
    const from = join(root, 'dist', name);
    if (existsSync(join(tmp, name)) || !existsSync(from)) continue;
    copyFileSync(from, join(tmp, name));
  }
}

/**
 * A file system refusal while building, as one line; anything else as it is.
 * @param {string} root
 * @param {unknown} error
 */
function unwritable(root, error) {
  const code = /** @type {NodeJS.ErrnoException} */ (error)?.code;
  if (!['EACCES', 'EPERM', 'EROFS', 'ENOSPC', 'EDQUOT'].includes(String(code))) return error;
  return new BuildError(`dist/ cannot be written in ${root} (${code}): run npm run build there as a user who can write it.`);
}

/**
 * Puts the new build in place of dist/ with two renames (a reader sees the old dist/ or the new, whole).
 * @param {string} root
 * @param {string} tmp
 */
function swapIn(root, tmp) {
  const dist = join(root, 'dist');
  const old = join(root, `dist.old-${process.pid}-${randomBytes(4).toString('hex')}`);
  let moved = false;
  try {
    renameSync(dist, old);
    moved = true;
  } catch (error) {
    if (/** @type {NodeJS.ErrnoException} */ (error).code !== 'ENOENT') throw error;
  }
  renameSync(tmp, dist);
  if (moved) rmSync(old, { recursive: true, force: true });
}

/** `node scripts/build.js [--force | --prepare]` */
function main() {
  const args = process.argv.slice(2);
  const force = args.includes('--force');
  const prepare = args.includes('--prepare');
  if (prepare && (!existsSync(join(ROOT, 'src')) || !loadEsbuild(ROOT))) return;
  try {
    const built = ensureBuilt({ force, log: (line) => console.error(line) });
    if (!built) console.error('dist/ is up to date with src/.');
  } catch (error) {
    if (!(error instanceof BuildError)) throw error;
    console.error(error.message);
    process.exitCode = 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
