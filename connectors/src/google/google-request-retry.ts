import { abortReasonOr, sleepUntilAborted } from '../abortable.js';
import { RateLimitedError } from '../calendar-provider.js';

/**
 * Retries of Google Calendar requests: exponential backoff with full jitter on 429, on 403
 * `rateLimitExceeded`/`userRateLimitExceeded`, on 5xx and on a lost connection, honouring
 * `Retry-After` (https://developers.google.com/workspace/calendar/api/guides/errors).
 */

export interface GoogleRetryOptions {
  /** Attempts in all, the first included (default 5). */
  maxAttempts?: number;
  /** The first backoff ceiling; it doubles per retry (default 500 ms). */
  baseDelayMs?: number;
  /**
   * The longest wait between attempts (default 32 s). A `Retry-After` beyond it is not waited
   * for: the caller gets RateLimitedError with it, to schedule the work later.
   */
  maxDelayMs?: number;
  /** Waits (tests inject one that records the delays). */
  sleep?: (ms: number) => Promise<void>;
  /** In [0, 1): the jitter. */
  random?: () => number;
}

/** An error answer from Google that was not retried, or the last one when retries ran out. */
export class GoogleResponseError extends Error {
  constructor(
    message: string,
    /** The HTTP status; 0 when no answer came (connection refused, reset, timeout). */
    readonly status: number,
    /** `error.errors[0].reason` of Google's answer (`fullSyncRequired`, `conditionNotMet`, ...). */
    readonly reason: string | null,
    /** `error.errors[0].location` (`syncToken`, `If-Match`, ...). */
    readonly location: string | null,
  ) {
    super(message);
    this.name = 'GoogleResponseError';
  }
}

/** Counts the attempts of one call, so the caller can tell that an earlier one may have landed. */
export interface AttemptCounter {
  count: number;
}

export type SendWithRetry = <T>(call: () => Promise<T>, attempts?: AttemptCounter) => Promise<T>;

interface Failure {
  error: GoogleResponseError;
  retryAfterMs: number | null;
}

/** Google's quota refusals that clear within seconds (not the daily quota). */
const RATE_LIMIT_REASONS = new Set(['rateLimitExceeded', 'userRateLimitExceeded']);
/** Quota refusals that retrying now will not clear: given back at once as RateLimitedError. */
const QUOTA_REASONS = new Set(['quotaExceeded', 'dailyLimitExceeded']);

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? Reflect.get(value, key) : undefined;
}

function header(headers: unknown, name: string): string | null {
  if (headers instanceof Headers) return headers.get(name);
  const getter = field(headers, 'get');
  if (typeof getter === 'function') {
    const value: unknown = getter.call(headers, name);
    return typeof value === 'string' ? value : null;
  }
  const value = field(headers, name.toLowerCase());
  return typeof value === 'string' ? value : null;
}

/** `Retry-After` is seconds or an HTTP date. */
function retryAfterMs(value: string | null): number | null {
  if (value === null || value.trim() === '') return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
}

/**
 * What a failed googleapis call tells: gaxios throws an error carrying `response` (status,
 * headers, parsed body) when Google answered, and none when no answer came. Anything else is
 * not a request failure and is rethrown as it is.
 */
function describeFailure(error: unknown): Failure | null {
  if (!(error instanceof Error) || field(error, 'config') === undefined) return null;
  const response = field(error, 'response');
  const status = field(response, 'status');
  if (typeof status !== 'number') {
    const code = field(error, 'code');
    const detail = typeof code === 'string' ? `${code}: ${error.message}` : error.message;
    return {
      error: new GoogleResponseError(`No answer from Google (${detail})`, 0, null, null),
      retryAfterMs: null,
    };
  }
  const body = field(field(response, 'data'), 'error');
  const first = (field(body, 'errors') as unknown[] | undefined)?.[0];
  const reason = field(first, 'reason');
  const location = field(first, 'location');
  const message = field(body, 'message');
  return {
    error: new GoogleResponseError(
      `Google answered ${status}: ${typeof message === 'string' ? message : error.message}`,
      status,
      typeof reason === 'string' ? reason : null,
      typeof location === 'string' ? location : null,
    ),
    retryAfterMs: retryAfterMs(header(field(response, 'headers'), 'retry-after')),
  };
}

function isRateLimit({ status, reason }: GoogleResponseError): boolean {
  // Quirk: Google signals rate limits with 403 + reason as often as with 429.
  return status === 429 || (status === 403 && reason !== null && RATE_LIMIT_REASONS.has(reason));
}

function isTransient(error: GoogleResponseError): boolean {
  return error.status === 0 || error.status >= 500 || isRateLimit(error);
}

/**
 * `signal` (a sync's deadline) ends the call: no attempt starts and no backoff waits once it
 * aborted, and the call rejects with its reason, the request in flight aborted with it.
 */
export function createSendWithRetry(
  options: GoogleRetryOptions = {},
  signal?: AbortSignal,
): SendWithRetry {
  const maxAttempts = Math.max(1, Math.floor(options.maxAttempts ?? 5));
  const baseDelayMs = options.baseDelayMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 32_000;
  const sleep =
    options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = options.random ?? Math.random;

  function giveUp(failure: Failure): Error {
    const { error } = failure;
    if (isRateLimit(error) || (error.reason !== null && QUOTA_REASONS.has(error.reason))) {
      return new RateLimitedError(error.message, failure.retryAfterMs);
    }
    return error;
  }

  return async function send<T>(call: () => Promise<T>, attempts: AttemptCounter = { count: 0 }) {
    let last: Failure | null = null;
    for (let attempt = 0; attempt < maxAttempts; attempt += 1) {
      if (last) {
        // Full jitter (a random wait up to the doubling ceiling) spreads clients that failed
        // together; a server-given Retry-After wins over it.
        const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
        const delay = last.retryAfterMs ?? Math.floor(random() * ceiling);
        if (delay > maxDelayMs) throw giveUp(last);
        await sleepUntilAborted(sleep, delay, signal);
      }
      signal?.throwIfAborted();
      attempts.count = attempt + 1;
      try {
        return await call();
      } catch (thrown) {
        if (signal?.aborted) throw abortReasonOr(signal, thrown);
        const failure = describeFailure(thrown);
        if (!failure) throw thrown;
        if (!isTransient(failure.error)) throw giveUp(failure);
        last = failure;
      }
    }
    throw last ? giveUp(last) : new Error('no attempt was made');
  };
}
