import pino from 'pino';
import { currentLogContext } from './observability/log-context.js';

/**
 * Structured JSON log lines (pino): one object per line with `time`, `level`, `msg` and the
 * context fields, on stdout unless a destination is given. Anything under a secret's name
 * (SECRET_KEYS) is redacted wherever it sits, and the request id of the work running
 * (observability/log-context.ts) is added to every line.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger whose every line also carries `bindings` (a socket id, a job id). */
  child(bindings: LogFields): Logger;
}

/** Where lines go: each `write` gets one JSON line ending in a newline. */
export interface LogDestination {
  write(line: string): void;
}

export interface LoggerOptions {
  /** Default: stdout, written synchronously (a line logged just before exit is not lost). */
  destination?: LogDestination;
  /** The `time` of each line (default: the system clock). */
  clock?: () => Date;
}

/** Field names whose values never reach a log line, in the spellings our code and headers use. */
export const SECRET_KEYS = [
  'token',
  'password',
  'secret',
  'authorization',
  'Authorization',
  'cookie',
  'Cookie',
  'code_verifier',
  'codeVerifier',
  'refresh_token',
  'refreshToken',
  'access_token',
  'accessToken',
] as const;

/**
 * pino's redaction takes paths, not "any depth": a wildcard per level, down to this depth,
 * arrays included. Our fields nest two or three levels at most.
 */
const REDACT_DEPTH = 6;

function redactPaths(): string[] {
  const paths: string[] = [];
  for (let depth = 0; depth < REDACT_DEPTH; depth += 1) {
    const prefix = '*.'.repeat(depth);
    for (const key of SECRET_KEYS) paths.push(`${prefix}${key}`);
  }
  return paths;
}

export function createLogger(level: LogLevel, options: LoggerOptions = {}): Logger {
  const clock = options.clock ?? (() => new Date());
  const base = pino(
    {
      level,
      base: null,
      timestamp: () => `,"time":"${clock().toISOString()}"`,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: redactPaths(), censor: '[redacted]' },
      mixin: () => {
        const context = currentLogContext();
        return context ? { requestId: context.requestId } : {};
      },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  );
  return wrap(base);
}

function wrap(target: pino.Logger): Logger {
  return {
    debug: (message, fields) => target.debug(fields ?? {}, message),
    info: (message, fields) => target.info(fields ?? {}, message),
    warn: (message, fields) => target.warn(fields ?? {}, message),
    error: (message, fields) => target.error(fields ?? {}, message),
    child: (bindings) => wrap(target.child(bindings)),
  };
}

export const silentLogger: Logger = createLogger('silent');
