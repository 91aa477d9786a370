import { randomBytes } from 'node:crypto';
import type { InvocationOutcome } from '../core/commands/invoke.js';
import { UserFacingError } from '../core/errors.js';
import type { CommandOutcome } from '../observability/metrics.js';
import { StateDbError, asSentenceTail } from '../store/state-db-error.js';

/** A short id that ties what a user sees to the log line of an unexpected error. */
export function errorRef(): string {
  return randomBytes(4).toString('hex');
}

/**
 * What a user is told about an error the core cannot know: a store that cannot keep a write (its file deleted
 * or replaced, the disk full) is `Not saved: ` and the store's own line, which says what whoever runs the bot
 * must do. Undefined for anything else (a bug).
 */
export function explainError(error: unknown): UserFacingError | undefined {
  if (!(error instanceof StateDbError)) return undefined;
  return new UserFacingError('unavailable', `Not saved: ${asSentenceTail(error.message)}`);
}

/** An invocation's outcome as the metrics count it. */
export function commandOutcome(outcome: InvocationOutcome): CommandOutcome {
  if (outcome.ok) return 'ok';
  if (outcome.kind === 'refused') return 'refused';
  return outcome.kind === 'internal' ? 'error' : 'user_error';
}
