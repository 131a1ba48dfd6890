import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterRedis } from '../cluster/redis-guard.js';
import { openRedisLink, type RedisLink } from '../cluster/redis-link.js';
import { testRedisPrefix, testRedisUrl } from '../cluster/test-redis.js';
import { openTestDatabase, type TestDatabase } from '../db/test-databases.js';
import { type Logger, silentLogger } from '../logger.js';
import type { DocStore } from '../persistence/doc-store.js';
import { createSqlDocStore } from '../persistence/sql-doc-store.js';
import { startTcpProxy, type TcpProxy } from '../test-support/tcp-proxy.js';
import { until } from '../test-support/until.js';
import { UserQuota } from './user-quota.js';

/**
 * The storage quota of a user whose devices write through two nodes: each node a `UserQuota`
 * over the one database, used as the relay uses it (a connection holds the user; each update is
 * checked against `hold`'s figure, then counted and appended, without waiting for the commit).
 */
const redisUrl = testRedisUrl();
const LIMIT = 20_000;
const WRITE = 500;

/**
 * A device on one node writing WRITE bytes at a time until the quota refuses one; the caller
 * holds the user on that node first (as the device's connection does).
 */
async function writeUntilRefused(quota: UserQuota, store: DocStore, userId: string) {
  const commits: Promise<unknown>[] = [];
  let written = 0;
  for (;;) {
    const usage = await quota.hold(userId);
    if (usage.bytes + WRITE > LIMIT) {
      quota.release(userId);
      break;
    }
    // The relay decodes the update here, off the main thread.
    await new Promise((resolve) => setImmediate(resolve));
    usage.bytes += WRITE;
    commits.push(
      store
        .appendBatch([{ name: `${userId}/tasks`, ownerId: userId, update: new Uint8Array(WRITE) }])
        .finally(() => quota.release(userId)),
    );
    written += 1;
  }
  await Promise.all(commits);
  return written;
}

/** One device per node, connected (the user held) on every node before any of them writes. */
async function writeTogether(quotas: UserQuota[], store: DocStore, userId: string) {
  await Promise.all(quotas.map((quota) => quota.hold(userId)));
  const written = await Promise.all(quotas.map((quota) => writeUntilRefused(quota, store, userId)));
  for (const quota of quotas) quota.release(userId);
  return written;
}

describe('the storage quota of a user writing through two nodes', () => {
  let test: TestDatabase;
  let store: DocStore;
  const links: RedisLink[] = [];
  const proxies: TcpProxy[] = [];

  beforeAll(async () => {
    test = await openTestDatabase(process.env.DATABASE_URL ? 'postgres' : 'pglite');
    store = createSqlDocStore(test.db);
  }, 60_000);
  afterEach(async () => {
    for (const link of links.splice(0)) await link.close();
    for (const proxy of proxies.splice(0)) await proxy.close();
  });
  afterAll(async () => {
    await test?.dispose();
  });

  const newUser = async () => {
    const userId = randomUUID();
    await test.db.query(
      `insert into users (id, email, email_normalized, username, username_normalized, password_hash)
       values ($1, $2, $2, $3, $3, 'x')`,
      [userId, `${userId}@example.com`, `u${userId.slice(0, 8)}`],
    );
    return userId;
  };
  const node = (url: string, prefix: string) => {
    const link = openRedisLink(url, silentLogger);
    links.push(link);
    // Warnings the quota's Redis calls log: one means a call failed or went unanswered for
    // 250 ms (a loaded machine), and the counter was then set again from the store.
    const warnings: string[] = [];
    const log: Logger = {
      ...silentLogger,
      warn: (message) => {
        warnings.push(message);
      },
      child: () => log,
    };
    const cluster: ClusterRedis = { link, prefix, log };
    const quota = new UserQuota(store, LIMIT);
    quota.share(cluster);
    return { quota, link, warnings };
  };
  /** A node whose Redis link is up, as a node taking traffic has (its /readyz waits for it). */
  const connectedNode = async (url: string, prefix: string) => {
    const made = node(url, prefix);
    await until('redis link up', async () => made.link.isReady(), 5000);
    return made;
  };
  const stored = (userId: string) => store.userSize(userId);

  it('lets two nodes on their own pass the quota by far: the problem a shared count solves', async () => {
    const userId = await newUser();
    const a = new UserQuota(store, LIMIT);
    const b = new UserQuota(store, LIMIT);
    await writeTogether([a, b], store, userId);
    expect(await stored(userId)).toBeGreaterThan(LIMIT + 10 * WRITE);
  });

  it.skipIf(!redisUrl)(
    'holds two nodes sharing Redis to the quota, passed by at most one write each',
    async () => {
      // The bound assumes Redis answers: a call unanswered for 250 ms (a loaded machine) makes
      // that node count alone for a while. Such a run proves nothing here (the cut test below
      // covers it) and is played again, at most twice.
      for (let attempt = 1; ; attempt += 1) {
        const userId = await newUser();
        // Some bytes stored before either node holds the user: the counter starts from the store.
        await store.appendBatch([
          { name: `${userId}/settings`, ownerId: userId, update: new Uint8Array(3000) },
        ]);
        const prefix = testRedisPrefix();
        const a = await connectedNode(redisUrl as string, prefix);
        const b = await connectedNode(redisUrl as string, prefix);
        const [byA, byB] = await writeTogether([a.quota, b.quota], store, userId);
        const warnings = [...a.warnings, ...b.warnings];
        if (warnings.length > 0 && attempt < 3) continue;
        expect(warnings).toEqual([]);
        expect(byA).toBeGreaterThan(0);
        expect(byB).toBeGreaterThan(0);
        const total = await stored(userId);
        expect(total).toBeGreaterThan(LIMIT - WRITE);
        expect(total).toBeLessThanOrEqual(LIMIT + 2 * WRITE);
        // A node holding the user now sees what both wrote (each addition is sent to Redis
        // without waiting for it: the last may still be on its way).
        await until(
          'the counter to hold both nodes’ writes',
          async () => {
            const bytes = (await a.quota.hold(userId)).bytes;
            a.quota.release(userId);
            return bytes === total;
          },
          2000,
        );
        return;
      }
    },
  );

  it.skipIf(!redisUrl)(
    'counts on the node alone while Redis is cut, and from the store once it is back',
    async () => {
      const userId = await newUser();
      const target = new URL(redisUrl as string);
      const proxy = await startTcpProxy({
        host: target.hostname,
        port: Number(target.port || 6379),
      });
      proxies.push(proxy);
      const viaProxy = new URL(redisUrl as string);
      viaProxy.host = `127.0.0.1:${proxy.port}`;
      const prefix = testRedisPrefix();
      const a = node(viaProxy.toString(), prefix);
      await until('redis link up', async () => a.link.isReady(), 5000);
      const held = await a.quota.hold(userId);
      expect(held.bytes).toBe(0);

      proxy.cut();
      await until('redis link down', async () => !a.link.isReady(), 5000);
      // Writes go on, counted here: no error, and the figure is right.
      held.bytes += 4000;
      await store.appendBatch([
        { name: `${userId}/tasks`, ownerId: userId, update: new Uint8Array(4000) },
      ]);
      expect((await a.quota.hold(userId)).bytes).toBe(4000);
      a.quota.release(userId);

      proxy.restore();
      await until('redis link back', async () => a.link.isReady(), 10_000);
      // The counter missed the addition: it is set from the store, for every node.
      expect((await a.quota.hold(userId)).bytes).toBe(4000);
      a.quota.release(userId);
      const b = await connectedNode(redisUrl as string, prefix);
      expect((await b.quota.hold(userId)).bytes).toBe(4000);
      b.quota.release(userId);
      a.quota.release(userId);
    },
  );

  it.skipIf(!redisUrl)('sets the shared count from the store after compaction', async () => {
    const userId = await newUser();
    const prefix = testRedisPrefix();
    const a = await connectedNode(redisUrl as string, prefix);
    const b = await connectedNode(redisUrl as string, prefix);
    const heldA = await a.quota.hold(userId);
    const heldB = await b.quota.hold(userId);
    heldA.bytes += 9000;
    await store.appendBatch([
      { name: `${userId}/tasks`, ownerId: userId, update: new Uint8Array(9000) },
    ]);
    await until(
      'b sees a’s write',
      async () => {
        const now = await b.quota.hold(userId);
        b.quota.release(userId);
        return now.bytes === 9000;
      },
      2000,
    );
    // Compaction shrank what is stored (here: done behind the relay's back, the log folded into
    // a snapshot of 1,000 bytes).
    await test.db.query('delete from document_updates where name = $1', [`${userId}/tasks`]);
    await test.db.query('update documents set size_bytes = 1000 where user_id = $1', [userId]);
    a.quota.refresh(userId);
    await until(
      'b sees the smaller figure',
      async () => {
        const now = await b.quota.hold(userId);
        b.quota.release(userId);
        return now.bytes === 1000;
      },
      2000,
    );
    expect(heldB.bytes).toBe(1000);
  });
});
