import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import { testDatabaseUrl } from '../db/test-databases.js';
import { silentLogger } from '../logger.js';
import { parseScrape } from '../metrics/prometheus-text.js';
import { createSqlDocStore } from '../persistence/sql-doc-store.js';
import { CLOSE, encodeUpdate } from '../relay/protocol.js';
import { type RunningServer, startServer } from '../server.js';
import { callApi, startTestServer, type TestServer } from '../test-server.js';
import { startTcpProxy, type TcpProxy } from '../test-support/tcp-proxy.js';
import { until } from '../test-support/until.js';
import { testRedisPrefix, testRedisUrl } from './test-redis.js';

/**
 * Two nodes of a cluster in this process, on one database and one Redis prefix: node A reaches
 * Redis through a TCP proxy the test cuts. A client's limits count on both nodes; with Redis
 * cut, A serves on, limits on its own, and says it is not ready until Redis answers again.
 */
const redisUrl = testRedisUrl();
const TOKEN = 'metrics-token-metrics-token-0123456789';

describe.skipIf(!redisUrl)('two cluster nodes sharing Redis', () => {
  let a: TestServer;
  let b: RunningServer;
  let proxy: TcpProxy;

  beforeAll(async () => {
    const target = new URL(redisUrl as string);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    const viaProxy = new URL(redisUrl as string);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    a = await startTestServer(testDatabaseUrl() ? 'postgres' : 'pglite', {
      config: {
        REDIS_URL: viaProxy.toString(),
        REDIS_PREFIX: testRedisPrefix(),
        NODE_ID: 'node-a',
        API_REQUESTS_PER_MINUTE: '6',
        AUTH_LOGIN_PER_MINUTE: '4',
        METRICS_TOKEN: TOKEN,
        DOC_QUOTA_BYTES: '20000',
      },
    });
    // Node B: the same configuration and database, straight to Redis.
    b = await startServer({
      config: { ...a.config, redisUrl: redisUrl as string, nodeId: 'node-b' },
      db: a.db,
      log: silentLogger,
    });
    await until('both nodes ready', async () => {
      const replies = await Promise.all([a.url, b.url].map((url) => fetch(`${url}/readyz`)));
      return replies.every((reply) => reply.status === 200);
    });
  }, 60_000);
  afterAll(async () => {
    proxy?.restore();
    await b?.close();
    await a?.dispose();
    await proxy?.close();
  });

  const onB = (ts: TestServer): TestServer => ({ ...ts, url: b.url });
  const tasksStatus = async (ts: TestServer, token: string) =>
    (await callApi(ts, { userId: '', token }, 'GET', '/tasks')).status;
  const redisGauge = async (url: string) => {
    const response = await fetch(`${url}/metrics`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    return parseScrape(await response.text()).value('tasks_redis_connected');
  };

  it('counts a user’s REST requests on both nodes against the one limit', async () => {
    const user = await a.register('limit');
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      statuses.push(await tasksStatus(i % 2 === 0 ? a : onB(a), user.token));
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
    const refused = await fetch(`${b.url}/api/v1/tasks`, {
      headers: { authorization: `Bearer ${user.token}` },
    });
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await tasksStatus(a, user.token)).toBe(429);
  });

  it('counts logins from one address on both nodes', async () => {
    const login = (url: string) =>
      fetch(`${url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'nobody@example.com', password: 'wrong password here' }),
      });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await login(i % 2 ? b.url : a.url)).status);
    expect(statuses.every((status) => status === 401)).toBe(true);
    expect((await login(a.url)).status).toBe(429);
    expect((await login(b.url)).status).toBe(429);
  });

  it('refuses a device’s update on one node once the user’s writes through the other filled the quota', async () => {
    const user = await a.register('quota');
    const open = (url: string) =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(
          `${url.replace('http', 'ws')}/sync/${user.userId}?token=${user.token}`,
        );
        // The relay's first message (sync step 1) comes once the user's usage is read.
        ws.once('message', () => resolve(ws));
        ws.once('error', reject);
      });
    const update = (bytes: number) => {
      const doc = new Y.Doc();
      doc.getText('notes').insert(0, 'x'.repeat(bytes));
      return encodeUpdate(Y.encodeStateAsUpdate(doc));
    };
    const stored = () => createSqlDocStore(a.db).userSize(user.userId);
    // The phone on B holds the user from now on; the laptop on A writes 15 kB.
    const phone = await open(b.url);
    const laptop = await open(a.url);
    const before = await stored();
    laptop.send(update(15_000));
    await until('the laptop’s write stored', async () => (await stored()) > before + 15_000, 5000);
    const closed = new Promise<number>((resolve) => phone.once('close', (code) => resolve(code)));
    phone.send(update(8000));
    expect(await closed).toBe(CLOSE.quotaExceeded);
    expect(await stored()).toBeLessThanOrEqual(20_000);
    laptop.close();
  });

  it('with Redis cut: not ready, serving and limiting on its own; ready again once Redis is back', async () => {
    const ready = await fetch(`${a.url}/readyz`);
    expect(await ready.json()).toEqual({
      status: 'ready',
      database: a.db.kind,
      redis: 'ok',
    });
    expect(await redisGauge(a.url)).toBe(1);
    const user = await a.register('outage');

    proxy.cut();
    const down = await fetch(`${a.url}/readyz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({
      status: 'unavailable',
      database: a.db.kind,
      redis: 'unreachable',
    });
    expect(await redisGauge(a.url)).toBe(0);
    expect((await fetch(`${b.url}/readyz`)).status).toBe(200);
    expect(await redisGauge(b.url)).toBe(1);
    // REST on A goes on, limited by A alone (its own window of 6), never a 500.
    const statuses: number[] = [];
    for (let i = 0; i < 7; i += 1) statuses.push(await tasksStatus(a, user.token));
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429]);

    proxy.restore();
    await until(
      'a ready again',
      async () => (await fetch(`${a.url}/readyz`)).status === 200,
      15_000,
    );
    expect(await redisGauge(a.url)).toBe(1);
  }, 30_000);
});
