import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../logger.js';
import {
  localRateLimits,
  type RateLimitDecision,
  type RateLimitStore,
} from '../middleware/rate-limit/index.js';
import { startTcpProxy, type TcpProxy } from '../test-support/tcp-proxy.js';
import { until } from '../test-support/until.js';
import { openRedisLink, type RedisLink } from './redis-link.js';
import { createSharedRateLimits } from './shared-rate-limits.js';
import { testRedisPrefix, testRedisUrl } from './test-redis.js';

/**
 * Rate limits of a cluster: two nodes (each its own Redis link, one prefix) count one client
 * together, decide as one process would, and fall back to counting alone when Redis is cut.
 */
const redisUrl = testRedisUrl();

function fakeClock(start = Date.parse('2026-03-02T10:00:00Z')) {
  let now = start;
  return {
    clock: () => new Date(now),
    advance(ms: number) {
      now += ms;
    },
  };
}

describe.skipIf(!redisUrl)('rate limits shared through Redis', () => {
  const links: RedisLink[] = [];
  const proxies: TcpProxy[] = [];
  afterEach(async () => {
    for (const link of links.splice(0)) await link.close();
    for (const proxy of proxies.splice(0)) await proxy.close();
  });
  const node = async (prefix: string, url = redisUrl as string): Promise<RateLimitStore> => {
    const link = openRedisLink(url, silentLogger);
    links.push(link);
    // Until its link is up, a node counts alone (as when Redis is down).
    await until('redis link up', async () => link.isReady(), 5000);
    return createSharedRateLimits({ link, prefix, log: silentLogger });
  };
  const proxiedRedis = async () => {
    const target = new URL(redisUrl as string);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    proxies.push(proxy);
    const url = new URL(redisUrl as string);
    url.host = `127.0.0.1:${proxy.port}`;
    return { proxy, url: url.toString() };
  };

  it('counts a key across both nodes, with the Retry-After of the window', async () => {
    const time = fakeClock();
    const prefix = testRedisPrefix();
    const rule = { windowMs: 60_000, max: 3, clock: time.clock };
    const a = (await node(prefix)).limiter('login-ip', rule);
    const b = (await node(prefix)).limiter('login-ip', rule);
    expect(await a.hit('10.0.0.1')).toEqual({ allowed: true, remaining: 2 });
    expect(await b.hit('10.0.0.1')).toEqual({ allowed: true, remaining: 1 });
    time.advance(20_000);
    expect(await a.hit('10.0.0.1')).toEqual({ allowed: true, remaining: 0 });
    expect(await b.hit('10.0.0.1')).toEqual({ allowed: false, retryAfterSeconds: 40 });
    expect(await a.hit('10.0.0.1')).toEqual({ allowed: false, retryAfterSeconds: 40 });
    // Another key, and the same key under another limit's name, count apart.
    expect(await b.hit('10.0.0.2')).toEqual({ allowed: true, remaining: 2 });
    const other = (await node(prefix)).limiter('register-ip', rule);
    expect(await other.hit('10.0.0.1')).toEqual({ allowed: true, remaining: 2 });
    time.advance(40_000);
    expect(await b.hit('10.0.0.1')).toEqual({ allowed: true, remaining: 2 });
  });

  it('decides as the one-process limiter does, hit for hit', async () => {
    const time = fakeClock();
    const rule = { windowMs: 10_000, max: 4, clock: time.clock };
    const shared = (await node(testRedisPrefix())).limiter('api-user', rule);
    const local = localRateLimits.limiter('api-user', rule);
    const steps = [0, 1000, 1000, 0, 2500, 3000, 100, 2400, 0, 9000, 500, 500, 12_000, 0, 1];
    const decisions: [RateLimitDecision, RateLimitDecision][] = [];
    for (const [index, step] of steps.entries()) {
      time.advance(step);
      const key = index % 3 === 0 ? 'user-b' : 'user-a';
      decisions.push([await shared.hit(key), await local.hit(key)]);
    }
    for (const [shared, local] of decisions) expect(shared).toEqual(local);
    expect(decisions.some(([shared]) => !shared.allowed)).toBe(true);
  });

  it('brakes failed logins counted on either node, and forgets them on a success', async () => {
    const time = fakeClock();
    const prefix = testRedisPrefix();
    const rule = { freeFailures: 2, windowMs: 60_000, clock: time.clock };
    const a = (await node(prefix)).failureBrake('login-account', rule);
    const b = (await node(prefix)).failureBrake('login-account', rule);
    const local = localRateLimits.failureBrake('login-account', rule);
    for (const brake of [a, local]) await brake.fail('ann 10.0.0.1');
    for (const brake of [b, local]) await brake.fail('ann 10.0.0.1');
    // Two failures, both free: the third attempt waits 1 s, then 2 s after the next failure.
    expect(await b.check('ann 10.0.0.1')).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(await a.check('ann 10.0.0.1')).toEqual(await local.check('ann 10.0.0.1'));
    time.advance(1000);
    expect(await a.check('ann 10.0.0.1')).toEqual({ allowed: true, remaining: 0 });
    for (const brake of [a, local]) await brake.fail('ann 10.0.0.1');
    expect(await b.check('ann 10.0.0.1')).toEqual({ allowed: false, retryAfterSeconds: 2 });
    expect(await b.check('ann 10.0.0.1')).toEqual(await local.check('ann 10.0.0.1'));
    // Another client of the account is not braked.
    expect(await b.check('ann 10.0.0.9')).toEqual({ allowed: true, remaining: 2 });
    await a.succeed('ann 10.0.0.1');
    expect(await b.check('ann 10.0.0.1')).toEqual({ allowed: true, remaining: 2 });
  });

  it('limits on the node alone while Redis is cut, without failing, and shares again after', async () => {
    const prefix = testRedisPrefix();
    const { proxy, url } = await proxiedRedis();
    const rule = { windowMs: 60_000, max: 2 };
    const a = (await node(prefix, url)).limiter('api-user', rule);
    const b = (await node(prefix)).limiter('api-user', rule);
    expect(await a.hit('user-1')).toEqual({ allowed: true, remaining: 1 });

    proxy.cut();
    // Served at once, counted on this node only: its own window of 2.
    const started = performance.now();
    expect(await a.hit('user-1')).toEqual({ allowed: true, remaining: 1 });
    expect(await a.hit('user-1')).toEqual({ allowed: true, remaining: 0 });
    expect((await a.hit('user-1')).allowed).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
    // The other node still counts in Redis, where the first hit is.
    expect(await b.hit('user-1')).toEqual({ allowed: true, remaining: 0 });

    proxy.restore();
    await until('node a shares again', async () => {
      const decision = await a.hit('user-1');
      return !decision.allowed && decision.retryAfterSeconds > 0 && links[0]?.isReady();
    });
    expect(await a.hit('user-2')).toEqual({ allowed: true, remaining: 1 });
    expect(await b.hit('user-2')).toEqual({ allowed: true, remaining: 0 });
  });
});
