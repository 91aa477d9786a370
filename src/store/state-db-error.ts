/**
 * The state database (`STATE_DB`) cannot be used: it cannot be opened or written, it is damaged, or it
 * was deleted or replaced under a running bot. The message is one line that names `STATE_DB`, the path
 * and what to do; the CLI prints it and exits 1.
 */
export class StateDbError extends Error {
  override readonly name = 'StateDbError';

  constructor(
    readonly path: string,
    message: string,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options);
  }
}
