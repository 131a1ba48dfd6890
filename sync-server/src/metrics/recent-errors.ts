import type { Logger } from '../logger.js';

export interface RecentError {
  /** ISO-8601, from the server's clock. */
  time: string;
  level: 'warn' | 'error';
  message: string;
  /** The `error` field of the log line, if any (shortened). */
  detail: string | null;
}

export interface RecentErrors {
  /** Newest first. */
  list(): RecentError[];
  /** The same logger, keeping its warnings and errors here too. */
  readonly log: Logger;
}

const MAX_DETAIL = 300;

/**
 * The last `capacity` warnings and errors the server logged, for the admin's System page: a
 * bounded ring, holding the line's message and its `error` field only (other fields may name
 * users or rooms; tokens never reach a log line in the first place).
 */
export function recordRecentErrors(log: Logger, clock: () => Date, capacity = 20): RecentErrors {
  const ring: RecentError[] = [];
  const keep = (level: 'warn' | 'error', message: string, fields?: Record<string, unknown>) => {
    const error = fields?.error;
    const detail =
      error === undefined ? null : error instanceof Error ? error.message : String(error);
    ring.push({
      time: clock().toISOString(),
      level,
      message,
      detail: detail === null ? null : detail.slice(0, MAX_DETAIL),
    });
    if (ring.length > capacity) ring.shift();
  };
  // Child loggers (a request's, a socket's) keep into the same ring.
  const wrap = (target: Logger): Logger => ({
    debug: (message, fields) => target.debug(message, fields),
    info: (message, fields) => target.info(message, fields),
    warn(message, fields) {
      keep('warn', message, fields);
      target.warn(message, fields);
    },
    error(message, fields) {
      keep('error', message, fields);
      target.error(message, fields);
    },
    child: (bindings) => wrap(target.child(bindings)),
  });
  return { list: () => [...ring].reverse(), log: wrap(log) };
}
