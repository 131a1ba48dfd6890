import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../logger.js';
import { startTcpProxy, type TcpProxy } from '../test-support/tcp-proxy.js';
import { until } from '../test-support/until.js';
import { ClusterBus } from './cluster-bus.js';
import { openRedisLink } from './redis-link.js';
import { testRedisPrefix, testRedisUrl } from './test-redis.js';

const redisUrl = testRedisUrl();

interface Heard {
  updates: { name: string; ownerId: string; update: number[] }[];
  gaps: string[];
}

describe.skipIf(!redisUrl)('the cluster bus on redis', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  async function node(nodeId: string, prefix: string, url = redisUrl as string) {
    const link = openRedisLink(url, silentLogger);
    const bus = new ClusterBus({ link, prefix, nodeId, log: silentLogger, heartbeatMs: 100 });
    const heard: Heard = { updates: [], gaps: [] };
    await until('redis link ready', async () => link.isReady());
    await bus.start({
      onRemoteUpdate: (name, ownerId, update) =>
        heard.updates.push({ name, ownerId, update: [...update] }),
      onGap: (reason) => heard.gaps.push(reason),
    });
    closers.push(async () => {
      await bus.close();
      await link.close();
    });
    return { link, bus, heard };
  }

  async function proxied(): Promise<TcpProxy> {
    const target = new URL(redisUrl as string);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    closers.push(() => proxy.close());
    return proxy;
  }

  it('hands every update of another node to the relay once, and none of its own', async () => {
    const prefix = testRedisPrefix();
    const a = await node('a', prefix);
    const b = await node('b', prefix);
    a.bus.publishUpdate('user-1', 'user-1', new Uint8Array([1, 2, 3]));
    a.bus.publishUpdate('user-1/time/2026-03', 'user-1', new Uint8Array([4]));
    await until('b heard both', async () => b.heard.updates.length === 2);
    expect(b.heard.updates).toEqual([
      { name: 'user-1', ownerId: 'user-1', update: [1, 2, 3] },
      { name: 'user-1/time/2026-03', ownerId: 'user-1', update: [4] },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(a.heard.updates).toEqual([]);
    expect(b.heard.gaps).toEqual([]);
  });

  it('ignores a malformed message or one naming a document of another owner', async () => {
    const prefix = testRedisPrefix();
    const b = await node('b', prefix);
    const raw = openRedisLink(redisUrl as string, silentLogger);
    closers.push(() => raw.close());
    await until('raw link ready', async () => raw.isReady());
    await raw.commands.publish(`${prefix}updates`, Buffer.from([1, 200]));
    await raw.commands.publish(`${prefix}updates`, Buffer.from('not a message'));
    const a = await node('a', prefix);
    a.bus.publishUpdate('user-2/time/2026-03', 'user-1', new Uint8Array([9]));
    await until('three refused', async () => b.bus.malformed === 3);
    expect(b.heard.updates).toEqual([]);
  });

  it('catches up when another node’s messages were lost while it could not reach Redis', async () => {
    const prefix = testRedisPrefix();
    const proxy = await proxied();
    const a = await node('a', prefix, `redis://127.0.0.1:${proxy.port}`);
    const b = await node('b', prefix);
    a.bus.publishUpdate('user-3', 'user-3', new Uint8Array([1]));
    await until('b heard the first', async () => b.heard.updates.length === 1);

    proxy.cut();
    await until('a lost redis', async () => !a.link.isReady());
    a.bus.publishUpdate('user-3', 'user-3', new Uint8Array([2]));
    a.bus.publishUpdate('user-3', 'user-3', new Uint8Array([3]));
    proxy.restore();
    // A's next heartbeat says how many it sent: B knows it missed two and catches up.
    await until('b found the gap', async () => b.heard.gaps.length > 0, 5000);
    expect(b.heard.gaps[0]).toMatch(/missed 2 messages/);
    expect(b.heard.updates).toHaveLength(1);
  });

  it('catches up when its own subscription was lost', async () => {
    const prefix = testRedisPrefix();
    const proxy = await proxied();
    const b = await node('b', prefix, `redis://127.0.0.1:${proxy.port}`);
    proxy.cut();
    await until('b lost redis', async () => !b.link.isReady());
    proxy.restore();
    await until('b caught up', async () =>
      b.heard.gaps.some((gap) => gap.includes('subscription')),
    );
  });

  it('subscribes once Redis answers when it was down as the node started, and catches up', async () => {
    const prefix = testRedisPrefix();
    const proxy = await proxied();
    proxy.cut();
    const link = openRedisLink(`redis://127.0.0.1:${proxy.port}`, silentLogger);
    const bus = new ClusterBus({
      link,
      prefix,
      nodeId: 'late',
      log: silentLogger,
      heartbeatMs: 100,
    });
    const heard: Heard = { updates: [], gaps: [] };
    closers.push(async () => {
      await bus.close();
      await link.close();
    });
    await bus.start({
      onRemoteUpdate: (name, ownerId, update) =>
        heard.updates.push({ name, ownerId, update: [...update] }),
      onGap: (reason) => heard.gaps.push(reason),
    });
    proxy.restore();
    await until('it caught up', async () => heard.gaps.length > 0, 5000);
    const a = await node('a', prefix);
    a.bus.publishUpdate('user-5', 'user-5', new Uint8Array([5]));
    await until('it hears the others', async () => heard.updates.length === 1, 5000);
  });

  it('catches up when another node goes silent (it may have died before publishing)', async () => {
    const prefix = testRedisPrefix();
    const a = await node('a', prefix);
    const b = await node('b', prefix);
    await until('b heard a', async () => b.bus.received > 0);
    // Dies without a word: no last heartbeat.
    a.link.commands.disconnect();
    a.link.subscriber.disconnect();
    await until('b noticed', async () => b.heard.gaps.some((gap) => gap.includes('silent')), 3000);
  });
});
