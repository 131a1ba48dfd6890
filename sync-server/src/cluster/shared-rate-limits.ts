import {
  createFailureBrake,
  createRateLimiter,
  DEFAULT_MAX_DELAY_MS,
  type FailureBrakeOptions,
  type FailureCounter,
  failureBrakeDecision,
  isFailureEntryOver,
  type RateLimitDecision,
  type RateLimiterOptions,
  type RateLimitStore,
  type RequestCounter,
} from '../middleware/rate-limit/index.js';
import { type ClusterRedis, createRedisGuard, hashedKey, luaScript } from './redis-guard.js';

/**
 * One fixed window per key, as `createRateLimiter` keeps it: a hash of its start and count.
 * Times are the calling node's clock (every node's is NTP-close; a window is a minute); the
 * key's expiry only clears it away. Returns {1, remaining} or {0, ms until the window ends}.
 */
const HIT_WINDOW = luaScript(`
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local max = tonumber(ARGV[3])
local start = tonumber(redis.call('HGET', KEYS[1], 's'))
local count = 0
if start == nil or start + window <= now then
  start = now
  redis.call('HSET', KEYS[1], 's', now, 'c', 0)
  redis.call('PEXPIRE', KEYS[1], window)
else
  count = tonumber(redis.call('HGET', KEYS[1], 'c')) or 0
end
if count >= max then return {0, start + window - now} end
redis.call('HINCRBY', KEYS[1], 'c', 1)
return {1, max - count - 1}
`);

/**
 * One failure more for a key, as `createFailureBrake.fail` counts it: a key whose last failure
 * is older than its window (or its delay, when longer) starts over. ARGV: now, the window, free
 * failures, the longest delay. The key lives as long as its entry matters.
 */
const ADD_FAILURE = luaScript(`
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local free = tonumber(ARGV[3])
local maxDelay = tonumber(ARGV[4])
local function delay(n)
  if n < free then return 0 end
  return math.min(maxDelay, 1000 * 2 ^ (n - free))
end
local failures = tonumber(redis.call('HGET', KEYS[1], 'f'))
local last = tonumber(redis.call('HGET', KEYS[1], 't'))
if failures == nil or last == nil or now - last >= math.max(window, delay(failures)) then
  failures = 0
end
failures = failures + 1
redis.call('HSET', KEYS[1], 'f', failures, 't', now)
redis.call('PEXPIRE', KEYS[1], math.max(window, delay(failures)))
return failures
`);

/**
 * Rate limits counted in Redis, so that a client's requests count the same whichever node
 * serves them: the same fixed windows and failure delays as `localRateLimits`, the same
 * decisions and `Retry-After`. Each hit is one atomic script. While Redis is down or slow the
 * node decides with its own local limiter (`RedisGuard`): REST never fails for Redis, and a
 * client is then limited per node until Redis answers again.
 */
export function createSharedRateLimits(cluster: ClusterRedis): RateLimitStore {
  const guard = createRedisGuard(cluster, { what: 'rate limits' });
  const keyOf = (name: string, key: string) => `${cluster.prefix}rl:${name}:${hashedKey(key)}`;
  return {
    limiter(name, options: RateLimiterOptions): RequestCounter {
      const clock = options.clock ?? (() => new Date());
      const local = createRateLimiter(options);
      return {
        async hit(key): Promise<RateLimitDecision> {
          const answer = await guard.run((redis) =>
            HIT_WINDOW(
              redis,
              [keyOf(name, key)],
              [clock().getTime(), options.windowMs, options.max],
            ),
          );
          if (!answer) return local.hit(key);
          const [allowed, figure] = answer.value as [number, number];
          return allowed === 1
            ? { allowed: true, remaining: figure }
            : { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(figure / 1000)) };
        },
      };
    },
    failureBrake(name, options: FailureBrakeOptions): FailureCounter {
      const clock = options.clock ?? (() => new Date());
      const local = createFailureBrake(options);
      return {
        async check(key) {
          const now = clock().getTime();
          const answer = await guard.run((redis) => redis.hmget(keyOf(name, key), 'f', 't'));
          if (!answer) return local.check(key);
          const [failures, last] = answer.value;
          const entry =
            failures && last ? { failures: Number(failures), lastFailureAt: Number(last) } : null;
          const live = entry && !isFailureEntryOver(entry, now, options) ? entry : null;
          return failureBrakeDecision(live, now, options);
        },
        async fail(key) {
          const answer = await guard.run((redis) =>
            ADD_FAILURE(
              redis,
              [keyOf(name, key)],
              [
                clock().getTime(),
                options.windowMs,
                options.freeFailures,
                options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS,
              ],
            ),
          );
          if (!answer) local.fail(key);
        },
        async succeed(key) {
          local.succeed(key);
          await guard.run((redis) => redis.del(keyOf(name, key)));
        },
      };
    },
  };
}
