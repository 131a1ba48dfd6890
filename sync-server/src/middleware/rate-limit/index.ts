import type { Context, MiddlewareHandler } from 'hono';
import { HttpError } from '../../http/http-error.js';
import { addressKey, peerAddress } from './client-address.js';

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

type Awaitable<T> = T | Promise<T>;

/** A rate limiter whose count may live outside this process (and so answers asynchronously). */
export interface RequestCounter {
  hit(key: string): Awaitable<RateLimitDecision>;
}

/** A failure brake whose count may live outside this process. */
export interface FailureCounter {
  check(key: string): Awaitable<RateLimitDecision>;
  fail(key: string): Awaitable<void>;
  succeed(key: string): Awaitable<void>;
}

/**
 * Where limits are counted: `localRateLimits`, in this process (one server), or Redis, shared
 * by every node of a cluster (`cluster/shared-rate-limits.ts`), with the same decisions. `name`
 * tells apart the limits kept in one store (`'login-ip'`, `'api-user'`).
 */
export interface RateLimitStore {
  limiter(name: string, options: RateLimiterOptions): RequestCounter;
  failureBrake(name: string, options: FailureBrakeOptions): FailureCounter;
}

export const localRateLimits: RateLimitStore = {
  limiter: (_name, options) => createRateLimiter(options),
  failureBrake: (_name, options) => createFailureBrake(options),
};

interface Window {
  startedAt: number;
  count: number;
}

const DEFAULT_MAX_KEYS = 10_000;
/** The longest wait a failure brake imposes unless told otherwise. */
export const DEFAULT_MAX_DELAY_MS = 15 * 60_000;

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
  /** Where the count is kept, and the limit's name there (default: this process). */
  store?: { limits: RateLimitStore; name: string };
}

/** Middleware answering 429 with `Retry-After` once a key has used up its window. */
export const rateLimit = (options: RateLimitOptions): MiddlewareHandler => {
  const limiter = options.store
    ? options.store.limits.limiter(options.store.name, options)
    : createRateLimiter(options);
  return async function rateLimit(c, next) {
    const decision = await limiter.hit(options.key(c));
    if (!decision.allowed) throw rateLimitedError(decision.retryAfterSeconds);
    await next();
  };
};

/**
 * The key brakes count a client by: its address as TRUST_PROXY reads it (`clientAddress`
 * middleware; the socket's peer without it), an IPv6 address by its /64.
 */
export function clientIp(c: Context): string {
  const address = (c.get('clientAddress') as string | undefined) ?? peerAddress(c);
  return addressKey(address);
}

export interface FailureBrakeOptions {
  /** Failures allowed per key before delays begin. */
  freeFailures: number;
  /** A key with no failure for this long starts over. */
  windowMs: number;
  /** The longest delay between two attempts (default 15 minutes). */
  maxDelayMs?: number;
  clock?: () => Date;
  maxKeys?: number;
}

export interface FailureBrake {
  /** Whether an attempt for `key` may be made now, or how long to wait. */
  check(key: string): RateLimitDecision;
  fail(key: string): void;
  succeed(key: string): void;
}

/**
 * A brake on failures only (wrong passwords), never on successes: past `freeFailures`, each
 * further attempt waits twice as long as the one before (1 s, 2 s, 4 s… up to `maxDelayMs`)
 * after the last failure. Keyed by account and client, a stranger's failures slow the stranger
 * and never lock the account's owner out.
 */
export function createFailureBrake(options: FailureBrakeOptions): FailureBrake {
  const clock = options.clock ?? (() => new Date());
  const maxKeys = options.maxKeys ?? DEFAULT_MAX_KEYS;
  const entries = new Map<string, FailureEntry>();
  const current = (key: string, now: number) => {
    const entry = entries.get(key);
    if (!entry) return null;
    if (isFailureEntryOver(entry, now, options)) {
      entries.delete(key);
      return null;
    }
    return entry;
  };
  return {
    check(key) {
      const now = clock().getTime();
      return failureBrakeDecision(current(key, now), now, options);
    },
    fail(key) {
      const now = clock().getTime();
      const entry = current(key, now);
      entries.delete(key);
      if (!entry && entries.size >= maxKeys) {
        const oldest = entries.keys().next();
        if (!oldest.done) entries.delete(oldest.value);
      }
      // Re-inserted at the back: the Map stays in order of last failure.
      entries.set(key, { failures: (entry?.failures ?? 0) + 1, lastFailureAt: now });
    },
    succeed(key) {
      entries.delete(key);
    },
  };
}

/** A key's failures so far and when the last one was (epoch ms). */
export interface FailureEntry {
  failures: number;
  lastFailureAt: number;
}

/** The wait after `failures` failures: none within the free ones, then 1 s, 2 s, 4 s… */
export function failureDelayMs(failures: number, options: FailureBrakeOptions): number {
  const maxDelayMs = options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
  return failures < options.freeFailures
    ? 0
    : Math.min(maxDelayMs, 1000 * 2 ** (failures - options.freeFailures));
}

/** A key with no failure for the window (or its delay, when longer) starts over. */
export function isFailureEntryOver(
  entry: FailureEntry,
  now: number,
  options: FailureBrakeOptions,
): boolean {
  return (
    now - entry.lastFailureAt >= Math.max(options.windowMs, failureDelayMs(entry.failures, options))
  );
}

/** Whether a key with this (live) entry may try now: the one rule of local and shared brakes. */
export function failureBrakeDecision(
  entry: FailureEntry | null,
  now: number,
  options: FailureBrakeOptions,
): RateLimitDecision {
  if (!entry) return { allowed: true, remaining: options.freeFailures };
  const waitMs = entry.lastFailureAt + failureDelayMs(entry.failures, options) - now;
  if (waitMs > 0) return { allowed: false, retryAfterSeconds: Math.ceil(waitMs / 1000) };
  return { allowed: true, remaining: Math.max(0, options.freeFailures - entry.failures) };
}
