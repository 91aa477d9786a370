import { createRequire } from 'node:module';
import type { Logger, pino as Pino } from 'pino';
import type { PrettyStream, PrettyOptions } from 'pino-pretty';
import type { LogLevel } from './config.js';
import type { InvocationLog } from './core/commands/invoke.js';

export type { Logger };

/** Field names whose values are never logged, at any depth (case-insensitive). */
const SECRET_KEY =
  /^(token|bot_?token|app_?token|signing_?secret|client_?secret|secret|password|authorization|cookie|.*_TOKEN|.*_SECRET|requestBody|rawError)$/i;

/** Token-shaped substrings (Discord bot tokens, Slack xox*-tokens, Bearer headers) scrubbed from any text. */
const TOKEN_PATTERNS = [
  // Interaction and webhook tokens in Discord API URLs: /interactions/<id>/<token>/, /webhooks/<app>/<token>
  /(?<=\/interactions\/\d+\/)[^/\s?"']+/g,
  /(?<=\/webhooks\/\d+\/)[^/\s?"']+/g,
  /xox[abposr]-[A-Za-z0-9-]{10,}/g,
  /xapp-[A-Za-z0-9-]{10,}/g,
  /[A-Za-z0-9_-]{23,28}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,}/g,
  /(Bot|Bearer)\s+[A-Za-z0-9._-]{20,}/g,
];

export const REDACTED = '[redacted]';

// pino's own redaction also covers child-logger bindings, which the log formatter does not see.
const TOP_LEVEL_SECRETS = ['token', 'botToken', 'appToken', 'signingSecret', 'secret', 'password', 'authorization'];
const REDACT_PATHS = [...TOP_LEVEL_SECRETS, ...TOP_LEVEL_SECRETS.map((key) => `*.${key}`)];

/** Configured secrets without a recognisable shape (a Slack signing secret), scrubbed literally. */
const knownSecrets = new Set<string>();

/** Registers configured secret values (at least 8 characters) to be scrubbed from every log line. */
export function registerSecrets(values: readonly (string | undefined)[]): void {
  for (const value of values) if (value && value.length >= 8) knownSecrets.add(value);
}

/** Replaces anything that looks like a token, or is a registered secret, in free text. */
export function scrubSecrets(text: string): string {
  let out = TOKEN_PATTERNS.reduce((scrubbed, pattern) => scrubbed.replace(pattern, REDACTED), text);
  for (const secret of knownSecrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out;
}

/**
 * A copy of a log value with secret fields replaced and token-shaped text scrubbed, at any depth.
 * Errors become `{ type, message, stack, … }`, scrubbed as well.
 */
export function redact(value: unknown, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return scrubSecrets(value);
  if (typeof value !== 'object' || value === null) return value;
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (value instanceof Error) {
    const { type: _type, ...rest } = pinoModule().stdSerializers.err(value) as unknown as Record<string, unknown>;
    return redact({ type: value.name, ...rest }, seen);
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, seen));
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) ? REDACTED : redact(field, seen);
  }
  return out;
}

export interface LoggerOptions {
  readonly level: LogLevel;
  /** Human-readable lines instead of JSON (a terminal). Default: when the destination is a TTY. */
  readonly pretty?: boolean;
  /** Where lines go. Default: stderr, so that stdout stays for the chat and the CLI's output. */
  readonly destination?: NodeJS.WritableStream;
}

/**
 * The log level of the terminal chat. In an interactive terminal, log lines land between the answers:
 * only warnings and errors are shown there unless `LOG_LEVEL` was set.
 */
export function chatLogLevel(level: LogLevel, options: { readonly interactive: boolean; readonly levelSet: boolean }): LogLevel {
  return options.interactive && !options.levelSet ? 'warn' : level;
}

/**
 * pino, loaded when a logger is made or an error is logged: a command that logs nothing (`validate`) does
 * not load it. pino is CommonJS, so it loads synchronously.
 */
function pinoModule(): typeof Pino {
  return (createRequire(import.meta.url)('pino') as { pino: typeof Pino }).pino;
}

/** pino-pretty, loaded only for a terminal: a server logging JSON never pays for it. */
function prettyStream(options: PrettyOptions): PrettyStream {
  const pretty = createRequire(import.meta.url)('pino-pretty') as (options: PrettyOptions) => PrettyStream;
  return pretty(options);
}

/**
 * A logger that writes nothing, made without loading pino: for a command that reads a course file with the
 * bot's own parts (which log) but shows only its result (`validate`). Every method is a no-op; `child` is itself.
 */
export function silentLogger(): Logger {
  const noop = () => undefined;
  const logger: Record<string, unknown> = {
    level: 'silent',
    levels: { values: {}, labels: {} },
    isLevelEnabled: () => false,
    bindings: () => ({}),
    setBindings: noop,
    flush: noop,
    on: () => logger,
  };
  for (const level of ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) logger[level] = noop;
  logger.child = () => logger;
  return logger as unknown as Logger;
}

/**
 * `parent.child(bindings)` for one command, made only when it writes a line: a pino child costs about 10 µs
 * (its bindings are serialised and redacted), and most commands log nothing at the usual levels.
 */
export function commandLog(parent: Logger, bindings: Record<string, unknown>): InvocationLog {
  let child: Logger | undefined;
  const write = (level: 'debug' | 'warn' | 'error') => (fields: object, message: string) => {
    if (parent.isLevelEnabled(level)) (child ??= parent.child(bindings))[level](fields, message);
  };
  return { debug: write('debug'), warn: write('warn'), error: write('error') };
}

/** The one logger: structured pino lines on stderr with secrets redacted wherever they appear. */
export function createLogger(options: LoggerOptions): Logger {
  const destination = options.destination ?? process.stderr;
  const tty = Boolean((destination as { isTTY?: boolean }).isTTY);
  const stream = options.pretty ?? tty ? prettyStream({ destination, sync: true, colorize: tty, ignore: 'pid,hostname' }) : destination;
  return pinoModule()(
    {
      level: options.level,
      base: undefined,
      redact: { paths: REDACT_PATHS, censor: REDACTED },
      hooks: {
        logMethod(args, method) {
          const [first, ...rest] = args as unknown[];
          // pino takes the message of a lone Error (or of `{ err }`) as `msg`: scrub it here.
          const error = first instanceof Error ? first : (first as { err?: unknown } | null)?.err;
          const fields = first instanceof Error ? { err: first } : first;
          const message =
            rest.length === 0 && error instanceof Error && typeof first === 'object' ? [scrubSecrets(error.message)] : [];
          const cleaned = [fields, ...message, ...rest].map((arg) => (typeof arg === 'string' ? scrubSecrets(arg) : arg));
          method.apply(this, cleaned as Parameters<typeof method>);
        },
      },
      serializers: { err: (value: unknown) => redact(value) },
      formatters: {
        log: (object) => redact(object) as Record<string, unknown>,
      },
    },
    stream,
  );
}
