/**
 * What is wrong with the state database: it cannot be used at all (`open`: it cannot be opened, created or
 * checked, or it is damaged), the file at `STATE_DB` is no longer the one a running bot has open (`lost`: deleted
 * or replaced), the disk holding it is full (`full`), or the disk refused a write (`disk`). `busy`: one call was
 * refused because another instance held a lock (or the statement ran) too long; not an incident, try again.
 */
export type StateDbProblem = 'open' | 'lost' | 'full' | 'disk' | 'busy';

/**
 * The state database (`STATE_DB`) cannot be used: it cannot be opened or written, it is damaged, its disk is
 * full, or it was deleted or replaced under a running bot. The message is one line that names `STATE_DB`, the
 * path and what to do; the CLI prints it and exits 1, a running bot refuses changes with it.
 */
export class StateDbError extends Error {
  override readonly name = 'StateDbError';
  readonly problem: StateDbProblem;
  /** A lost database: where the running bot saved what it held (the file to move back to `STATE_DB`). */
  readonly recovered?: string;

  constructor(
    readonly path: string,
    message: string,
    options: { readonly cause?: unknown; readonly problem?: StateDbProblem; readonly recovered?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.problem = options.problem ?? 'open';
    if (options.recovered !== undefined) this.recovered = options.recovered;
  }
}

/**
 * A store's line as the rest of a sentence (`Not saved: …`): its first letter lowercased, unless it begins with a
 * setting's name (`STATE_DB …`, `DATABASE_URL …`), which keeps its capitals.
 */
export function asSentenceTail(message: string): string {
  return /^[A-Z][A-Z0-9]*_[A-Z0-9_]*\b|^[A-Z]{2,}\b/.test(message) ? message : message.charAt(0).toLowerCase() + message.slice(1);
}
