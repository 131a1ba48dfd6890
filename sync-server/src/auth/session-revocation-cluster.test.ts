import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openRedisLink, type RedisLink } from '../cluster/redis-link.js';
import { testRedisPrefix, testRedisUrl } from '../cluster/test-redis.js';
import type { Database } from '../db/database.js';
import { openTestDatabase, type TestDatabase, testDatabaseKinds } from '../db/test-databases.js';
import { silentLogger } from '../logger.js';
import { startTcpProxy, type TcpProxy } from '../test-support/tcp-proxy.js';
import { until } from '../test-support/until.js';
import { createDatabaseRevocations, type DatabaseRevocations } from './session-revocation.js';

/**
 * Revocations on two cluster nodes (one database, one Redis): the node that did not revoke
 * hears of it through Redis at once, not at its next poll; the database stays the truth.
 */
const redisUrl = testRedisUrl();
const HOUR_MS = 3600 * 1000;
const NO_POLL_MS = 600_000;

describe.skipIf(!redisUrl).each(testDatabaseKinds())(
  'revocations on two cluster nodes (%s)',
  (kind) => {
    let test: TestDatabase;
    let db: Database;
    const clock = () => new Date();
    const started: DatabaseRevocations[] = [];
    const links: RedisLink[] = [];
    const proxies: TcpProxy[] = [];

    beforeAll(async () => {
      test = await openTestDatabase(kind);
      db = test.db;
    }, 60_000);
    afterEach(async () => {
      for (const node of started.splice(0)) await node.stop();
      for (const link of links.splice(0)) await link.close();
      for (const proxy of proxies.splice(0)) await proxy.close();
    });
    afterAll(async () => {
      await test?.dispose();
    });

    const node = async (
      prefix: string,
      options: { url?: string; pollIntervalMs?: number } = {},
    ) => {
      const link = openRedisLink(options.url ?? (redisUrl as string), silentLogger);
      links.push(link);
      await until('redis link up', async () => link.isReady(), 5000);
      const revocations = createDatabaseRevocations({
        db,
        clock,
        log: silentLogger,
        pollIntervalMs: options.pollIntervalMs ?? NO_POLL_MS,
        cluster: { link, prefix, log: silentLogger },
      });
      started.push(revocations);
      revocations.start();
      // Subscribed (and the first poll, which reads earlier revocations, done).
      await until('subscribed', async () => {
        const [, count] = (await link.commands.pubsub('NUMSUB', `${prefix}revoked-sessions`)) as [
          string,
          number,
        ];
        return count > 0;
      });
      return { revocations, link };
    };
    /** What the node's listeners hear of these sessions (its first poll may tell of older ones). */
    const heardOn = (revocations: DatabaseRevocations, ...sessionIds: string[]) => {
      const heard: { sessionId: string; at: number }[] = [];
      revocations.onRevoked((sessionId) => {
        if (sessionIds.includes(sessionId)) heard.push({ sessionId, at: performance.now() });
      });
      return heard;
    };

    it('tells the other node’s listeners within a fraction of the poll interval', async () => {
      const prefix = testRedisPrefix();
      const a = await node(prefix);
      const b = await node(prefix);
      await until('both subscribed', async () => {
        const [, count] = (await a.link.commands.pubsub('NUMSUB', `${prefix}revoked-sessions`)) as [
          string,
          number,
        ];
        return count === 2;
      });
      const session = `s-${randomUUID()}`;
      const heard = heardOn(b.revocations, session);
      const revokedAt = performance.now();
      await a.revocations.revoke([session], new Date(Date.now() + HOUR_MS));
      await until('b heard', async () => heard.length > 0, 2000);
      expect(heard.map((entry) => entry.sessionId)).toEqual([session]);
      expect((heard[0]?.at ?? Infinity) - revokedAt).toBeLessThan(500);
      expect(await b.revocations.isRevoked(session)).toBe(true);
    });

    it('ignores a message whose sessions the database has not revoked', async () => {
      const prefix = testRedisPrefix();
      const b = await node(prefix);
      const forged = `forged-${randomUUID()}`;
      const real = `s-${randomUUID()}`;
      const heard = heardOn(b.revocations, forged, real);
      await b.link.commands.publish(
        `${prefix}revoked-sessions`,
        JSON.stringify({ sessions: [forged] }),
      );
      await b.link.commands.publish(`${prefix}revoked-sessions`, 'not json');
      // A real one after them: once it is heard, the earlier messages were handled too.
      await db.query(
        `insert into revoked_sessions (session_id, lapses_at) values ($1, $2::timestamptz)`,
        [real, new Date(Date.now() + HOUR_MS).toISOString()],
      );
      await b.link.commands.publish(
        `${prefix}revoked-sessions`,
        JSON.stringify({ sessions: [real] }),
      );
      await until('b heard the real one', async () => heard.length > 0, 2000);
      expect(heard.map((entry) => entry.sessionId)).toEqual([real]);
      expect(await b.revocations.isRevoked(forged)).toBe(false);
    });

    it('subscribes once Redis answers when it was down as the node started', async () => {
      const prefix = testRedisPrefix();
      const target = new URL(redisUrl as string);
      const proxy = await startTcpProxy({
        host: target.hostname,
        port: Number(target.port || 6379),
      });
      proxies.push(proxy);
      proxy.cut();
      const viaProxy = new URL(redisUrl as string);
      viaProxy.host = `127.0.0.1:${proxy.port}`;
      const link = openRedisLink(viaProxy.toString(), silentLogger);
      links.push(link);
      const late = createDatabaseRevocations({
        db,
        clock,
        log: silentLogger,
        pollIntervalMs: NO_POLL_MS,
        cluster: { link, prefix, log: silentLogger },
      });
      started.push(late);
      late.start();
      // Its first SUBSCRIBE fails while Redis is cut.
      await new Promise((resolve) => setTimeout(resolve, 500));
      proxy.restore();
      const a = await node(prefix);
      await until('the late node subscribed', async () => {
        const [, count] = (await a.link.commands.pubsub('NUMSUB', `${prefix}revoked-sessions`)) as [
          string,
          number,
        ];
        return count === 2;
      });
      const session = `s-${randomUUID()}`;
      const heard = heardOn(late, session);
      await a.revocations.revoke([session], new Date(Date.now() + HOUR_MS));
      await until('the late node heard', async () => heard.length > 0, 2000);
    });

    it('revokes with Redis cut, and the other node learns it at its poll', async () => {
      const prefix = testRedisPrefix();
      const target = new URL(redisUrl as string);
      const proxy = await startTcpProxy({
        host: target.hostname,
        port: Number(target.port || 6379),
      });
      proxies.push(proxy);
      const viaProxy = new URL(redisUrl as string);
      viaProxy.host = `127.0.0.1:${proxy.port}`;
      const a = await node(prefix, { url: viaProxy.toString() });
      const b = await node(prefix, { pollIntervalMs: 200 });
      const session = `s-${randomUUID()}`;
      const heard = heardOn(b.revocations, session);
      proxy.cut();
      await until('a lost redis', async () => !a.link.isReady(), 5000);
      await a.revocations.revoke([session], new Date(Date.now() + HOUR_MS));
      expect(await a.revocations.isRevoked(session)).toBe(true);
      await until('b heard at its poll', async () => heard.length > 0, 5000);
      expect(heard.map((entry) => entry.sessionId)).toEqual([session]);
    });
  },
);
