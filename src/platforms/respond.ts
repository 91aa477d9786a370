import { randomBytes } from 'node:crypto';
import type { InvocationOutcome } from '../core/commands/invoke.js';
import { UserFacingError, isUserFacingError } from '../core/errors.js';
import type { Message } from '../core/messages.js';
import type { Logger } from '../log.js';
import type { CommandOutcome } from '../observability/metrics.js';
import { StateDbError } from '../store/state-db-error.js';

export type Outcome<T = Message> =
  | { readonly ok: true; readonly message: T }
  | { readonly ok: false; readonly kind: 'user' | 'internal'; readonly text: string; readonly code?: string };

/** A short id that ties what a user sees to the log line of an unexpected error. */
export function errorRef(): string {
  return randomBytes(4).toString('hex');
}

/**
 * Runs a command for a platform dispatcher: a `UserFacingError` becomes its message; anything else
 * is logged with a reference the user is shown instead of the details.
 */
export function respond<T = Message>(run: () => T, logger: Logger, fields: Record<string, unknown> = {}): Outcome<T> {
  try {
    return { ok: true, message: run() };
  } catch (error) {
    return failure(error, logger, fields);
  }
}

/** `respond` for commands that may answer later (instructor commands act first). */
export async function respondLater<T = Message>(
  run: () => T | Promise<T>,
  logger: Logger,
  fields: Record<string, unknown> = {},
): Promise<Outcome<T>> {
  try {
    return { ok: true, message: await run() };
  } catch (error) {
    return failure(error, logger, fields);
  }
}

function failure(error: unknown, logger: Logger, fields: Record<string, unknown>): Outcome<never> {
  if (isUserFacingError(error)) return { ok: false, kind: 'user', text: error.message, code: error.code };
  const ref = errorRef();
  logger.error({ err: error, ref, ...fields }, 'command failed');
  return { ok: false, kind: 'internal', text: `Something went wrong (ref ${ref}). Please tell an instructor.` };
}

/**
 * What a user is told about an error the core cannot know: a store that cannot keep a write (its file deleted
 * or replaced, the disk full) is `Not saved: ` and the store's own line, which says what whoever runs the bot
 * must do. Undefined for anything else (a bug).
 */
export function explainError(error: unknown): UserFacingError | undefined {
  if (!(error instanceof StateDbError)) return undefined;
  const line = error.message.charAt(0).toLowerCase() + error.message.slice(1);
  return new UserFacingError('unavailable', `Not saved: ${error.message.startsWith('STATE_DB') ? error.message : line}`);
}

/** An invocation's outcome as the metrics count it. */
export function commandOutcome(outcome: InvocationOutcome): CommandOutcome {
  if (outcome.ok) return 'ok';
  if (outcome.kind === 'refused') return 'refused';
  return outcome.kind === 'internal' ? 'error' : 'user_error';
}
