import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context, MiddlewareHandler } from 'hono';
import { HttpError } from '../../http/http-error.js';

/** At most `max` requests per key in each window of `windowMs`. */
export interface RateLimitRule {
  windowMs: number;
  max: number;
}

export interface RateLimiterOptions extends RateLimitRule {
  clock?: () => Date;
  /** Keys remembered at most (default 10,000); beyond it the oldest windows are forgotten. */
  maxKeys?: number;
}

export type RateLimitDecision =
  | { allowed: true; remaining: number }
  | { allowed: false; retryAfterSeconds: number };

export interface RateLimiter {
  /** Counts one request for `key` and says whether it may proceed. */
  hit(key: string): RateLimitDecision;
}

interface Window {
  startedAt: number;
  count: number;
}

const DEFAULT_MAX_KEYS = 10_000;

/**
 * Fixed-window counters in a Map kept in order of window start: a key whose window ends is
 * deleted and re-inserted at the back. So expired windows are always at the front and are
 * pruned there, with no timer; and when the Map is full, the entry evicted is the one closest to
 * expiry, which forgets the least.
 */
export function createRateLimiter(options: RateLimiterOptions): RateLimiter {
  const { windowMs, max } = options;
  const clock = options.clock ?? (() => new Date());
  const maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
  const windows = new Map<string, Window>();

  const pruneExpired = (now: number) => {
    for (const [key, window] of windows) {
      if (window.startedAt + windowMs > now) break;
      windows.delete(key);
    }
  };
  const evictOldest = () => {
    const oldest = windows.keys().next();
    if (!oldest.done) windows.delete(oldest.value);
  };

  return {
    hit(key) {
      const now = clock().getTime();
      pruneExpired(now);
      let window = windows.get(key);
      if (!window) {
        if (windows.size >= maxKeys) evictOldest();
        window = { startedAt: now, count: 0 };
        windows.set(key, window);
      }
      if (window.count >= max) {
        const retryAfterMs = window.startedAt + windowMs - now;
        return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)) };
      }
      window.count += 1;
      return { allowed: true, remaining: max - window.count };
    },
  };
}

/** The 429 every rate limit answers with, in the one error body shape. */
export function rateLimitedError(retryAfterSeconds: number): HttpError {
  return new HttpError(429, 'rate_limited', 'Too many requests. Try again later.', [], {
    'Retry-After': String(retryAfterSeconds),
  });
}

export interface RateLimitOptions extends RateLimiterOptions {
  /** What requests are counted by, e.g. `clientIp`. */
  key: (c: Context) => string;
}

/** Middleware answering 429 with `Retry-After` once a key has used up its window. */
export const rateLimit = (options: RateLimitOptions): MiddlewareHandler => {
  const limiter = createRateLimiter(options);
  return async function rateLimit(c, next) {
    const decision = limiter.hit(options.key(c));
    if (!decision.allowed) throw rateLimitedError(decision.retryAfterSeconds);
    await next();
  };
};

/**
 * The address of the peer, or 'unknown' when the request did not come through
 * @hono/node-server (e.g. `app.request()`). Behind a reverse proxy every request shares the
 * proxy's address: forwarded headers are not trusted here, since any client can set them.
 */
export function clientIp(c: Context): string {
  if (!hasNodeBindings(c.env)) return 'unknown';
  return getConnInfo(c).remote.address ?? 'unknown';
}

// getConnInfo reads `env.incoming.socket` (or `env.server.incoming.socket`) unguarded.
function hasNodeBindings(env: unknown): boolean {
  if (typeof env !== 'object' || env === null) return false;
  const bindings = 'server' in env ? env.server : env;
  return typeof bindings === 'object' && bindings !== null && 'incoming' in bindings;
}
