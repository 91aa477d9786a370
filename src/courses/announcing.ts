import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Announcer, DEFAULT_RETRY } from '../announcer/announcer.js';
import type { Clock } from '../core/clock.js';
import type { Course } from '../core/course/model.js';
import type { Messenger, StateStore } from '../core/ports.js';
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../observability/metrics.js';

/** A name for this process in announcement claims: unique per start. */
export function instanceName(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}

export interface AnnouncerInput {
  readonly config: Config;
  readonly logger: Logger;
  readonly store: StateStore;
  readonly clock: Clock;
  readonly course: () => Course;
  readonly messengers: readonly Messenger[];
  readonly metrics?: Metrics;
}

/** The announcer of one course for these messengers, configured from the environment (the bot and `announce --now`). */
export function createAnnouncer(input: AnnouncerInput): Announcer {
  return new Announcer({
    course: input.course,
    clock: input.clock,
    store: input.store,
    messengers: input.messengers,
    logger: input.logger.child({ subsystem: 'announcer' }),
    owner: instanceName(),
    leaseMs: input.config.announcer.leaseMs,
    retry: { ...DEFAULT_RETRY, giveUpAfterMs: input.config.announcer.retryForMs },
    ...(input.metrics && { onOutcome: input.metrics.announcement }),
  });
}
