/**
 * Requests to Microsoft Graph through @microsoft/microsoft-graph-client, with a middleware
 * chain of fetch alone. Retries (429/503/504) happen here, with an injected sleep, and every
 * failure leaves as one of the seam's typed errors.
 */
import {
  Client,
  GraphError,
  type GraphRequest,
  HTTPMessageHandler,
} from '@microsoft/microsoft-graph-client';
import { abortReasonOr, sleepUntilAborted } from '../abortable.js';
import {
  PreconditionFailedError,
  ProviderAuthError,
  ProviderRequestError,
  RateLimitedError,
} from '../calendar-provider.js';

const VERSION = 'v1.0';

export interface RetryOptions {
  /** Attempts in all, the first included (default 4). */
  maxAttempts?: number;
  /** The cap of the first backoff; it doubles per attempt (default 500 ms). */
  baseDelayMs?: number;
  /** Longest wait; a Retry-After beyond it is handed to the caller as RateLimitedError (default 60 s). */
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** In [0, 1): the jitter (default Math.random). */
  random?: () => number;
  /** For Retry-After given as an HTTP date (default Date.now). */
  now?: () => number;
}

export interface GraphHttpOptions {
  baseUrl: string;
  accessToken: () => Promise<string>;
  retry?: RetryOptions | undefined;
  /**
   * Aborts every request, the one in flight included (a sync's deadline): the call rejects with
   * the signal's reason, and no retry or backoff follows.
   */
  signal?: AbortSignal | undefined;
}

/** A Graph error answer, with Graph's error code ("ErrorItemNotFound", "SyncStateNotFound"). */
export class GraphResponseError extends ProviderRequestError {
  constructor(
    message: string,
    status: number,
    readonly code: string | null,
  ) {
    super(message, status);
  }
}

export type RequestHeaders = Record<string, string>;

export interface GraphHttp {
  get<T>(path: string, headers?: RequestHeaders): Promise<T>;
  post<T>(path: string, body: unknown, headers?: RequestHeaders): Promise<T>;
  patch<T>(path: string, body: unknown, headers?: RequestHeaders): Promise<T>;
  delete(path: string, headers?: RequestHeaders): Promise<void>;
  /** The path for `api()` of a link Graph handed us (nextLink, deltaLink), or null if not ours. */
  pathOfLink(link: string): string | null;
}

/**
 * Retry-After is seconds or an HTTP date (RFC 9110 §10.2.3). The SDK keeps the response headers
 * only when the error body is JSON, as Graph's 429 bodies are; otherwise we back off blind.
 */
function retryAfterMs(error: GraphError, now: () => number): number | null {
  const value = error.headers?.get('Retry-After');
  if (!value) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? null : Math.max(0, date - now());
}

/** Graph puts `{ error: { code, message } }` in the body; the SDK copies code and message. */
function toProviderError(error: unknown): Error {
  if (!(error instanceof GraphError))
    return error instanceof Error ? error : new Error(String(error));
  const message = `Microsoft Graph answered ${error.statusCode}${error.code ? ` ${error.code}` : ''}: ${error.message}`;
  if (error.statusCode === -1) {
    // The SDK's mark for "no answer" (connection refused or cut): nothing is known of the outcome.
    return new GraphResponseError(
      `No answer from Microsoft Graph: ${error.message}`,
      0,
      error.code,
    );
  }
  if (error.statusCode === 401) return new ProviderAuthError(message);
  if (error.statusCode === 412) return new PreconditionFailedError(message);
  // Exchange reports a stale change key as ErrorIrresolvableConflict, on some paths with 409.
  if (error.statusCode === 409 && error.code === 'ErrorIrresolvableConflict') {
    return new PreconditionFailedError(message);
  }
  return new GraphResponseError(message, error.statusCode, error.code);
}

const RETRYABLE = new Set([429, 503, 504]);

function retrying(
  retry: RetryOptions = {},
  signal?: AbortSignal,
): <T>(send: () => Promise<T>) => Promise<T> {
  const maxAttempts = Math.max(1, retry.maxAttempts ?? 4);
  const baseDelayMs = retry.baseDelayMs ?? 500;
  const maxDelayMs = retry.maxDelayMs ?? 60_000;
  const sleep =
    retry.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const random = retry.random ?? Math.random;
  const now = retry.now ?? Date.now;
  return async <T>(send: () => Promise<T>): Promise<T> => {
    let lastRetryAfter: number | null = null;
    let lastStatus = 0;
    for (let attempt = 1; attempt <= maxAttempts; attempt += 1) {
      signal?.throwIfAborted();
      try {
        return await send();
      } catch (error) {
        if (signal?.aborted) throw abortReasonOr(signal, error);
        if (!(error instanceof GraphError) || !RETRYABLE.has(error.statusCode))
          throw toProviderError(error);
        lastStatus = error.statusCode;
        lastRetryAfter = retryAfterMs(error, now);
        // Graph asks for longer than we are willing to hold a job: let the caller reschedule.
        if (attempt === maxAttempts || (lastRetryAfter !== null && lastRetryAfter > maxDelayMs))
          break;
        // Retry-After is what Graph's throttling guidance asks us to honour; without it,
        // exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter").
        const cap = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
        await sleepUntilAborted(sleep, lastRetryAfter ?? Math.floor(random() * cap), signal);
      }
    }
    return Promise.reject(
      new RateLimitedError(
        `Microsoft Graph answered ${lastStatus}; gave up after retrying`,
        lastRetryAfter,
      ),
    );
  };
}

export function createGraphHttp(options: GraphHttpOptions): GraphHttp {
  const base = new URL(options.baseUrl);
  const client = Client.initWithMiddleware({
    baseUrl: base.origin,
    defaultVersion: VERSION,
    // Our own chain: the SDK's default one retries 429 by itself, with real sleeps.
    middleware: [new HTTPMessageHandler()],
  });
  const { signal } = options;
  const withRetry = retrying(options.retry, signal);
  /**
   * The SDK's AuthenticationHandler sends the token only to `https://` hosts (Graph's or
   * `customHosts`: GraphRequestUtil.isValidEndpoint checks for https), so an http fake never
   * gets it. We set the header per request instead; every request goes to `api(path)` on our
   * base URL (links are reduced to paths by pathOfLink), so the token never leaves that origin.
   * The token is fetched outside the SDK, which would wrap a failure (say ProviderAuthError
   * for a revoked refresh token) into an anonymous GraphError.
   */
  const send = <T>(
    path: string,
    headers: RequestHeaders,
    call: (request: GraphRequest) => Promise<T>,
  ) =>
    withRetry<T>(async () => {
      const token = await options.accessToken();
      const request = client.api(path).headers({ ...headers, Authorization: `Bearer ${token}` });
      // The SDK hands its options to fetch as they are: the signal aborts the request in flight.
      return call(signal ? request.option('signal', signal) : request);
    });
  return {
    get: <T>(path: string, headers: RequestHeaders = {}) =>
      send<T>(path, headers, (request) => request.get()),
    post: <T>(path: string, body: unknown, headers: RequestHeaders = {}) =>
      send<T>(path, headers, (request) => request.post(body)),
    patch: <T>(path: string, body: unknown, headers: RequestHeaders = {}) =>
      send<T>(path, headers, (request) => request.patch(body)),
    delete: (path: string, headers: RequestHeaders = {}) =>
      send<void>(path, headers, (request) => request.delete()),
    pathOfLink(link: string): string | null {
      if (!URL.canParse(link)) return null;
      const url = new URL(link);
      // The SDK only splits absolute `https://` URLs into host and path, so we hand it the
      // path after the version ourselves, and only for links to the host we were given.
      const prefix = `/${VERSION}/`;
      if (url.origin !== base.origin || !url.pathname.startsWith(prefix)) return null;
      return `${url.pathname.slice(prefix.length - 1)}${url.search}`;
    },
  };
}
