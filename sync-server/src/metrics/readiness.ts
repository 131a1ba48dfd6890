import type { Handler } from 'hono';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import { bearerToken, isMetricsToken } from './metrics-routes.js';

export interface ReadinessDeps {
  db: Database;
  log: Logger;
  /** True once shutdown began: the load balancer should send no new work here. */
  isDraining: () => boolean;
  /** The relay's figures: shown only to the bearer of METRICS_TOKEN. */
  figures: () => Record<string, number>;
  metricsToken: string | null;
  /**
   * A cluster node's Redis (REDIS_URL), which must answer PING too: without it this node's
   * devices would miss the other nodes' edits. Null: one process, no Redis.
   */
  redis?: { ping(timeoutMs: number): Promise<void> } | null;
  /** A database or Redis that does not answer within this is unreachable (default 2 s). */
  timeoutMs?: number;
}

/** The check's answer, or a rejection once `timeoutMs` passed without one. */
async function within(check: Promise<unknown>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([check, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `/readyz`: 200 while the database (and a cluster node's Redis) answers and the node is not
 * draining, else 503. Anonymous callers see only the status, which database, and on a cluster
 * node whether Redis answers (`"redis": "ok"` or `"unreachable"`); the relay's counts need the
 * metrics token (they are on /metrics too).
 */
export function readiness(deps: ReadinessDeps): Handler {
  const timeoutMs = deps.timeoutMs ?? 2000;
  let redisLost = false;
  return async function readyz(c) {
    const token = deps.metricsToken;
    const insider =
      token !== null && isMetricsToken(bearerToken(c.req.header('authorization')), token);
    const database = deps.db.kind;
    c.header('Cache-Control', 'no-store');
    if (deps.isDraining()) return c.json({ status: 'draining', database }, 503);
    const [databaseCheck, redisCheck] = await Promise.allSettled([
      within(deps.db.query('select 1'), timeoutMs),
      deps.redis && within(deps.redis.ping(timeoutMs), timeoutMs),
    ]);
    const redis = deps.redis
      ? { redis: redisCheck.status === 'fulfilled' ? 'ok' : 'unreachable' }
      : {};
    if (redisCheck.status === 'rejected' && !redisLost) {
      // Once per outage: a load balancer asks every few seconds.
      deps.log.warn('readiness: redis does not answer', {
        error: (redisCheck.reason as Error).message,
      });
    }
    redisLost = redisCheck.status === 'rejected';
    if (databaseCheck.status === 'rejected') {
      deps.log.warn('readiness check failed', { error: (databaseCheck.reason as Error).message });
    }
    if (databaseCheck.status === 'rejected' || redisCheck.status === 'rejected') {
      return c.json({ status: 'unavailable', database, ...redis }, 503);
    }
    return c.json({ status: 'ready', database, ...redis, ...(insider ? deps.figures() : {}) });
  };
}
