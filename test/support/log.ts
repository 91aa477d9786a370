import { Writable } from 'node:stream';
import type { LogLevel } from '../../src/config.js';
import { type Logger, createLogger } from '../../src/log.js';

/** A real logger whose JSON lines are kept for assertions. */
export function captureLogger(level: LogLevel = 'debug'): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger({ level, pretty: false, destination }), lines };
}
