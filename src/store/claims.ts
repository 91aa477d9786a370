import type { ClaimOptions, ClaimOutcome, ClaimRecord } from '../core/ports.js';

/**
 * The decision both stores share: given the current record of a key (read inside the store's
 * write lock), what a claim does, and the record to write (undefined: leave it as it is).
 */
export function decideClaim(
  current: ClaimRecord | undefined,
  key: string,
  options: ClaimOptions,
): { outcome: ClaimOutcome; write?: ClaimRecord } {
  const fresh = (attempts: number): ClaimRecord => ({
    key,
    status: 'pending',
    owner: options.owner,
    leaseUntil: options.now + options.leaseMs,
    attempts,
    updatedAt: options.now,
  });
  if (!current) {
    const write = fresh(1);
    return { outcome: { kind: 'claimed', record: write }, write };
  }
  if (current.status === 'failed' && options.retryFailed) {
    const write = fresh(current.attempts + 1);
    return { outcome: { kind: 'claimed', record: write }, write };
  }
  if (current.status !== 'pending') return { outcome: { kind: 'done', record: current } };
  if (current.leaseUntil <= options.now) {
    const write = fresh(current.attempts + 1);
    return { outcome: { kind: 'taken-over', record: write, previous: current }, write };
  }
  // Held by a live claim, this instance's own included: one delivery at a time.
  return { outcome: { kind: 'busy', record: current } };
}
