import cron, { type Logger as CronLogger } from 'node-cron';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../log.js';
import { StateDbError } from '../store/state-db-error.js';
import type { Announcer } from './announcer.js';

/**
 * node-cron's own logger writes coloured lines with `console.*`, whatever `LOG_LEVEL` says: its
 * messages go through ours instead, structured, with any error as `err`.
 */
function cronLogger(logger: Logger): CronLogger {
  const write = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string | Error, err?: Error) => {
    const error = message instanceof Error ? message : err;
    const text = message instanceof Error ? message.message : message;
    logger[level]({ ...(error && { err: error }) }, `node-cron: ${text}`);
  };
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

/**
 * The only clock-driven part: node-cron ticks every minute in the course zone, a timer wakes the
 * announcer at the exact moment the planner names, and it runs once at start. The announcer decides
 * what, if anything, is due. Returns a function that stops everything (and waits for a post in flight).
 */
export function startTicking(
  announcer: Pick<Announcer, 'nextWakeUp' | 'stop'> & { run(): Promise<unknown> },
  options: { timezone: string; clock: Clock; logger: Logger },
): () => Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  /** Failed runs in a row, and the last one's line: a retry that fails the same way is logged at debug only. */
  let failures = 0;
  let lastFailure: string | undefined;
  const run = (reason: string) => {
    if (stopped) return;
    announcer
      .run()
      .then(() => {
        failures = 0;
        lastFailure = undefined;
        arm();
      })
      .catch((error: unknown) => {
        // The state database's own line says what is wrong and what to do (a full disk, a lost file, a database
        // busy with another host's lock).
        const text = error instanceof StateDbError ? `announcer run failed: ${error.message}` : 'announcer run failed';
        const level = reason === 'retry' && text === lastFailure ? 'debug' : 'error';
        if (error instanceof StateDbError) options.logger[level]({ reason, db: error.path, problem: error.problem }, text);
        else options.logger[level]({ err: error, reason }, text);
        lastFailure = text;
        failures += 1;
        retryLater();
      });
  };
  /**
   * A failed run is tried again soon (1 s, doubling to 30 s), not only at the next minute's tick: a post due now
   * must not wait a minute because the store refused one call (on PostgreSQL, another host's lock held a moment).
   */
  const retryLater = () => {
    clearTimeout(timer);
    if (stopped) return;
    timer = setTimeout(() => run('retry'), Math.min(30_000, 1_000 * 2 ** (failures - 1)));
  };
  const arm = () => {
    clearTimeout(timer);
    if (stopped) return;
    const next = announcer.nextWakeUp();
    if (!next) return;
    // Timers beyond ~24.8 days overflow; the minute tick covers anything far away.
    const delay = Math.min(Math.max(next.getTime() - options.clock.now().getTime(), 0), 60 * 60_000);
    timer = setTimeout(() => run('timer'), delay + 5);
  };
  const task = cron.schedule('* * * * *', () => run('minute'), {
    timezone: options.timezone,
    noOverlap: true,
    logger: cronLogger(options.logger),
  });
  // A missed tick means the process was blocked or asleep past a minute: the next tick (or the
  // timer) runs the announcer, which catches up on anything due within `catchUpUntil`.
  task.on('execution:missed', ({ date }) => {
    options.logger.warn({ missed: date.toISOString() }, 'announcer tick missed: the process was busy or asleep; the next tick catches up');
  });
  run('start');
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await task.stop();
    await announcer.stop();
  };
}
