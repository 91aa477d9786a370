import type { ClaimOptions, ClaimOutcome, ClaimRecord } from '../core/ports.js';

/**
 * The decision both stores share: given the current record of a key (read inside the store's
 * write lock), what a claim does. Returns the new record to write, or undefined to leave it.
 */
export function decideClaim(
  current: ClaimRecord | undefined,
  key: string,
  options: ClaimOptions,
): { outcome: ClaimOutcome['kind']; write?: ClaimRecord } {
  const fresh = (attempts: number): ClaimRecord => ({
    key,
    status: 'pending',
    owner: options.owner,
    leaseUntil: options.now + options.leaseMs,
    attempts,
    updatedAt: options.now,
  });
  if (!current) return { outcome: 'claimed', write: fresh(1) };
  if (current.status === 'failed' && options.retryFailed) return { outcome: 'claimed', write: fresh(current.attempts + 1) };
  if (current.status !== 'pending') return { outcome: 'done' };
  if (current.owner === options.owner || current.leaseUntil <= options.now) {
    return { outcome: 'taken-over', write: fresh(current.attempts + 1) };
  }
  return { outcome: 'busy' };
}
