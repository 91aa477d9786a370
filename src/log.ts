import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';
import type { LogLevel } from './config.js';

export type { Logger };

/** Field paths whose values are replaced by `[redacted]` wherever they appear in a log line. */
export const REDACTED_PATHS = [
  'token',
  'botToken',
  'appToken',
  'signingSecret',
  'secret',
  'password',
  'authorization',
  '*.token',
  '*.botToken',
  '*.appToken',
  '*.signingSecret',
  '*.secret',
  '*.password',
  '*.authorization',
  '*.DISCORD_TOKEN',
  '*.SLACK_BOT_TOKEN',
  '*.SLACK_APP_TOKEN',
  '*.SLACK_SIGNING_SECRET',
  'headers.authorization',
  '*.headers.authorization',
  'req.headers.authorization',
];

/** Token-shaped substrings (Discord bot tokens, Slack xox*-tokens, Bearer headers) scrubbed from messages. */
const TOKEN_PATTERNS = [
  /xox[abposr]-[A-Za-z0-9-]{10,}/g,
  /xapp-[A-Za-z0-9-]{10,}/g,
  /[A-Za-z0-9_-]{23,28}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,}/g,
  /(Bot|Bearer)\s+[A-Za-z0-9._-]{20,}/g,
];

/** Replaces anything that looks like a token in free text. */
export function scrubSecrets(text: string): string {
  return TOKEN_PATTERNS.reduce((out, pattern) => out.replace(pattern, '[redacted]'), text);
}

export interface LoggerOptions {
  readonly level: LogLevel;
  /** Human-readable lines instead of JSON (a terminal). Default: when stderr is a TTY. */
  readonly pretty?: boolean;
  /** Where lines go. Default: stderr, so that stdout stays for the chat and the CLI's output. */
  readonly destination?: NodeJS.WritableStream;
}

/** The one logger: structured pino lines on stderr with secrets redacted. */
export function createLogger(options: LoggerOptions): Logger {
  const destination = options.destination ?? process.stderr;
  const readable = options.pretty ?? Boolean((destination as { isTTY?: boolean }).isTTY);
  const stream = readable
    ? pretty({ destination, sync: true, colorize: Boolean((destination as { isTTY?: boolean }).isTTY), ignore: 'pid,hostname' })
    : destination;
  return pino(
    {
      level: options.level,
      base: undefined,
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((arg) => (typeof arg === 'string' ? scrubSecrets(arg) : arg)) as Parameters<typeof method>,
          );
        },
      },
      serializers: {
        err: (error: unknown) => {
          const serialized = pino.stdSerializers.err(error as Error);
          return { ...serialized, message: scrubSecrets(serialized.message), stack: scrubSecrets(serialized.stack) };
        },
      },
    },
    stream,
  );
}
