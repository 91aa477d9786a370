// The module hooks of module-trace.mjs (they run on the loader's own thread): each resolved URL, one a line.
import { appendFileSync } from 'node:fs';

/** @type {import('node:module').ResolveHook} */
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(/** @type {string} */ (process.env.MODULE_TRACE), `${result.url}\n`);
  return result;
}
