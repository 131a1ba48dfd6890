import {
  CalendarProviderError,
  ProviderAuthError,
  RateLimitedError,
} from '../calendar-provider.js';

export type Fetch = typeof globalThis.fetch;

export interface RetryOptions {
  /** Attempts per request, the first included (default 4). */
  maxAttempts?: number;
  /** Backoff cap before jitter for the first retry; doubles per retry (default 500 ms). */
  baseDelayMs?: number;
  /**
   * The longest wait this adapter sits through (default 30 s). A longer Retry-After is handed
   * to the caller as a RateLimitedError at once, to be rescheduled rather than slept on.
   */
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** In [0, 1): the jitter source. */
  random?: () => number;
  /** Epoch milliseconds, to read a Retry-After given as an HTTP date. */
  now?: () => number;
  /** Each attempt is aborted after this long (default 60 s): a hung server fails, not hangs. */
  attemptTimeoutMs?: number;
  /**
   * The most bytes one response body may have (default 32 MiB): a server streaming without end
   * fails with ResponseTooLargeError at the cap instead of filling the memory.
   */
  maxResponseBytes?: number;
  /**
   * Ends every request, the one in flight included, when it aborts: a sync's wall-clock
   * deadline. Each attempt is aborted by whichever comes first, this or `attemptTimeoutMs`.
   */
  signal?: AbortSignal;
}

/** A calendar server's answer went past `maxResponseBytes`. */
export class ResponseTooLargeError extends CalendarProviderError {
  constructor(readonly maxBytes: number) {
    super(`the CalDAV server's answer is larger than ${maxBytes} bytes`);
  }
}

/** The response, with a body that errors (and stops reading the server) past `maxBytes`. */
function capBody(response: Response, maxBytes: number): Response {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    void response.body?.cancel();
    throw new ResponseTooLargeError(maxBytes);
  }
  if (!response.body) return response;
  let seen = 0;
  const capped = response.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > maxBytes) controller.error(new ResponseTooLargeError(maxBytes));
        else controller.enqueue(chunk);
      },
    }),
  );
  return new Response(capped, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

const RETRYABLE = new Set([429, 503]);

const defaultSleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });

/** Retry-After as delta-seconds or an HTTP date (RFC 9110 10.2.3), in ms from now. */
export function parseRetryAfter(value: string | null, nowMs: number): number | null {
  if (value === null) return null;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

/**
 * Wraps fetch for every request the CalDAV adapter makes (tsdav's included, since tsdav takes a
 * `fetch`): 429 and 503 are retried a bounded number of times, waiting Retry-After when the
 * server says so and exponential backoff with full jitter when it does not, then surface as
 * RateLimitedError; 401 surfaces as ProviderAuthError. Both are thrown here because several
 * tsdav calls turn an error status into a generic Error or a value without headers, losing
 * Retry-After. Request bodies are strings (XML, iCalendar), so a request can be sent again.
 */
export function createRetryingFetch(fetchImpl: Fetch, options: RetryOptions = {}): Fetch {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 4);
  const baseDelayMs = options.baseDelayMs ?? 500;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;
  const now = options.now ?? Date.now;
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 60_000;
  const maxResponseBytes = options.maxResponseBytes ?? 32 * 1024 * 1024;

  return async function retryingFetch(input, init) {
    // Bounded: every path out of an attempt returns, throws, or counts towards maxAttempts.
    for (let attempt = 1; ; attempt += 1) {
      options.signal?.throwIfAborted();
      const attemptSignal = init?.signal ?? AbortSignal.timeout(attemptTimeoutMs);
      const signal = options.signal
        ? AbortSignal.any([attemptSignal, options.signal])
        : attemptSignal;
      const response = await fetchImpl(input, { ...init, signal });
      if (response.status === 401) {
        await response.body?.cancel();
        throw new ProviderAuthError(
          `CalDAV server refused the credentials (401 on ${requestLine(input, init)})`,
        );
      }
      if (!RETRYABLE.has(response.status)) return capBody(response, maxResponseBytes);
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'), now());
      await response.body?.cancel();
      if (attempt >= maxAttempts || (retryAfterMs !== null && retryAfterMs > maxDelayMs)) {
        throw new RateLimitedError(
          `CalDAV server answered ${response.status} to ${requestLine(input, init)} after ${attempt} attempt(s)`,
          retryAfterMs,
        );
      }
      const backoffCapMs = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
      await sleep(retryAfterMs ?? Math.floor(random() * backoffCapMs));
    }
  };
}

function requestLine(input: Parameters<Fetch>[0], init: Parameters<Fetch>[1]): string {
  const url = input instanceof Request ? input.url : String(input);
  const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
  return `${method} ${url}`;
}
