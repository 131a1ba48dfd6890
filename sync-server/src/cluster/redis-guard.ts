import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { RedisLink } from './redis-link.js';

/** What a piece shared across the nodes needs: the node's Redis link and the key prefix. */
export interface ClusterRedis {
  link: RedisLink;
  /** REDIS_PREFIX: every key and channel starts with it. */
  prefix: string;
  log: Logger;
}

export interface RedisGuardOptions {
  /** What falls back when Redis fails, for the log line (`'rate limits'`). */
  what: string;
  /** A command not answered within this counts as failed (default 250 ms). */
  timeoutMs?: number;
  /** After a timeout, Redis is not asked again for this long (default 2 s). */
  backoffMs?: number;
  now?: () => number;
}

/**
 * Redis calls of a piece that has a local answer to fall back on (rate limits, quota counters):
 * `run` gives the call's result, or null when Redis is not connected, fails or does not answer
 * in time, so a Redis outage slows no request and fails none. A connection reset makes ioredis
 * fail commands at once; a Redis that stopped answering (a partition with no reset) costs one
 * `timeoutMs` wait, then none for `backoffMs`. One warning per outage, one line when it ends.
 */
export interface RedisGuard {
  run<T>(call: (redis: Redis) => Promise<T>): Promise<{ value: T } | null>;
}

export function createRedisGuard(cluster: ClusterRedis, options: RedisGuardOptions): RedisGuard {
  const timeoutMs = options.timeoutMs ?? 250;
  const backoffMs = options.backoffMs ?? 2000;
  const now = options.now ?? Date.now;
  let quietUntil = 0;
  let failing = false;

  const failed = (error: unknown) => {
    if (failing) return;
    failing = true;
    cluster.log.warn(`redis unavailable: ${options.what} count on this node alone`, {
      error: error instanceof Error ? error.message : String(error),
    });
  };

  return {
    async run(call) {
      if (!cluster.link.isReady()) {
        failed(new Error('not connected'));
        return null;
      }
      if (now() < quietUntil) return null;
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => {
        timer = setTimeout(() => resolve('late'), timeoutMs);
      });
      try {
        const answer = await Promise.race([
          call(cluster.link.commands).then((value) => ({ value })),
          late,
        ]);
        if (answer === 'late') {
          quietUntil = now() + backoffMs;
          failed(new Error(`no answer within ${timeoutMs} ms`));
          return null;
        }
        if (failing) {
          failing = false;
          cluster.log.info(`redis answers again: ${options.what} are shared again`);
        }
        return answer;
      } catch (error) {
        failed(error);
        return null;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/**
 * A Lua script run by its SHA (EVALSHA), sent whole only when Redis does not know it yet
 * (after a restart): each runs atomically, which is what makes a shared count exact.
 */
export function luaScript(lua: string) {
  const sha = createHash('sha1').update(lua).digest('hex');
  return async (redis: Redis, keys: string[], args: (string | number)[]): Promise<unknown> => {
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(lua, keys.length, ...keys, ...args);
    }
  };
}

/** A key part from a caller's key (an address, an email): fixed length, no personal data. */
export function hashedKey(key: string): string {
  return createHash('sha256').update(key).digest('base64url').slice(0, 22);
}
