import { createTask, type DocContext, listTasks, UserDocs } from '@tasks/crdt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { testDatabaseUrl } from '../db/test-databases.js';
import {
  callApi,
  startTestServer,
  type TestNode,
  type TestServer,
  type TestUser,
} from '../test-server.js';
import { startTcpProxy, type TcpProxy } from '../test-support/tcp-proxy.js';
import { until } from '../test-support/until.js';
import { testRedisPrefix, testRedisUrl } from './test-redis.js';

/**
 * Two nodes of one cluster in this process: one PostgreSQL database, one Redis, each node with a
 * pool and a Redis link of its own. Node B reaches Redis through a TCP proxy that a test cuts.
 */
const databaseUrl = testDatabaseUrl();
const redisUrl = testRedisUrl();

const ctx: DocContext = {
  now: () => new Date('2026-03-02T10:00:00Z'),
  newId: () => crypto.randomUUID(),
};

interface Device {
  doc: Y.Doc;
  docs: UserDocs;
  provider: WebsocketProvider;
}

function connect(wsUrl: string, user: TestUser): Device {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(wsUrl, user.userId, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    params: { token: user.token },
    disableBc: true,
  });
  return { doc, docs: new UserDocs(user.userId, { main: doc }), provider };
}

const titles = (device: Device) =>
  listTasks(device.docs)
    .map((task) => task.title)
    .sort();

async function synced(device: Device): Promise<void> {
  await until('the device synced', async () => device.provider.synced);
}

describe.skipIf(!databaseUrl || !redisUrl)('two nodes of a cluster on postgres and redis', () => {
  let a: TestServer;
  let b: TestNode;
  let proxy: TcpProxy;
  const devices: Device[] = [];

  beforeAll(async () => {
    const redis = new URL(redisUrl as string);
    proxy = await startTcpProxy({ host: redis.hostname, port: Number(redis.port || 6379) });
    const prefix = testRedisPrefix();
    a = await startTestServer('postgres', {
      config: { REDIS_URL: redisUrl as string, REDIS_PREFIX: prefix, NODE_ID: 'a' },
    });
    b = await a.startNode({
      REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
      REDIS_PREFIX: prefix,
      NODE_ID: 'b',
    });
  }, 60_000);

  afterAll(async () => {
    for (const device of devices) device.provider.destroy();
    await a?.dispose();
    await proxy?.close();
  });

  const device = (wsUrl: string, user: TestUser) => {
    const made = connect(wsUrl, user);
    devices.push(made);
    return made;
  };

  it('shows an edit made on a device of one node on the same user’s device on the other, both ways', async () => {
    const user = await a.register('two-nodes');
    const onA = device(a.wsUrl, user);
    const onB = device(b.wsUrl, user);
    await Promise.all([synced(onA), synced(onB)]);

    createTask(onA.docs, { title: 'Written on A' }, ctx);
    await until('A’s edit on B', async () => titles(onB).includes('Written on A'), 2000);
    createTask(onB.docs, { title: 'Written on B' }, ctx);
    await until('B’s edit on A', async () => titles(onA).includes('Written on B'), 2000);
    expect(titles(onA)).toEqual(titles(onB));
  });

  it('brings a REST write made on one node to a device on the other, and REST on each node reads the devices’ edits', async () => {
    const user = await a.register('rest-across');
    const onA = device(a.wsUrl, user);
    await synced(onA);
    const nodeB = { ...a, url: b.url } as TestServer;
    // B holds the document in its cache from this read on: a later device edit must reach it.
    expect((await callApi(nodeB, user, 'GET', '/tasks')).status).toBe(200);

    const created = await callApi<{ id: string }>(nodeB, user, 'POST', '/tasks', {
      title: 'Made through B’s API',
    });
    expect(created.status).toBe(201);
    await until('the REST write on A’s device', async () =>
      titles(onA).includes('Made through B’s API'),
    );

    createTask(onA.docs, { title: 'Typed on A’s device' }, ctx);
    await until('the device edit in B’s REST answer', async () => {
      const list = await callApi<{ items: { title: string }[] }>(nodeB, user, 'GET', '/tasks');
      return list.body.items.some((item) => item.title === 'Typed on A’s device');
    });
  });

  it('records one history of a task edited through both nodes, every version in order', async () => {
    const user = await a.register('history-across');
    const nodeB = { ...a, url: b.url } as TestServer;
    const created = await callApi<{ id: string }>(a, user, 'POST', '/tasks', { title: 'X' });
    expect(created.status).toBe(201);
    const id = created.body.id;
    // Recorded before the first edit (read the history: a burst would be one version).
    await until('version 1', async () => {
      const history = await callApi<{ items: unknown[] }>(a, user, 'GET', `/tasks/${id}/history`);
      return history.body.items.length === 1;
    });
    // Back and forth: each node records the edits it committed, A's second "X" included.
    const titles = ['Y', 'X', 'Z', 'X'];
    for (const [index, title] of titles.entries()) {
      const node = index % 2 === 0 ? nodeB : a;
      expect((await callApi(node, user, 'PATCH', `/tasks/${id}`, { title })).status).toBe(200);
      // Each edit is recorded before the next (a burst would be one version, by design).
      await until(`version ${index + 2}`, async () => {
        const history = await callApi<{ items: { version: number }[] }>(
          node,
          user,
          'GET',
          `/tasks/${id}/history`,
        );
        return history.body.items.length === index + 2;
      });
    }
    const history = await callApi<{
      items: { version: number; fields: { title: string } }[];
    }>(a, user, 'GET', `/tasks/${id}/history`);
    expect(history.body.items.map((item) => [item.version, item.fields.title])).toEqual([
      [5, 'X'],
      [4, 'Z'],
      [3, 'X'],
      [2, 'Y'],
      [1, 'X'],
    ]);
  });

  it('keeps serving each node’s devices while Redis is cut, and converges within 5 s of its return', async () => {
    const user = await a.register('redis-cut');
    const onA = device(a.wsUrl, user);
    const onB = device(b.wsUrl, user);
    const secondOnB = device(b.wsUrl, user);
    await Promise.all([synced(onA), synced(onB), synced(secondOnB)]);

    proxy.cut();
    await until('node B lost Redis', async () => !b.server.redis?.isReady());
    createTask(onA.docs, { title: 'A while Redis is down' }, ctx);
    createTask(onB.docs, { title: 'B while Redis is down' }, ctx);
    // Node B still relays between its own devices.
    await until('B’s devices share the edit', async () =>
      titles(secondOnB).includes('B while Redis is down'),
    );
    for (let i = 0; i < 20; i += 1) createTask(onA.docs, { title: `A burst ${i}` }, ctx);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(titles(onB)).not.toContain('A while Redis is down');

    proxy.restore();
    const back = Date.now();
    await until(
      'every device holds every edit',
      async () =>
        titles(onA).length === 22 && titles(onB).length === 22 && titles(secondOnB).length === 22,
      5_000,
    );
    expect(Date.now() - back).toBeLessThan(5_000);
    // Both found the gap: B lost its subscription, A saw B's numbering skip. A catch-up counts
    // once it has read every document its node serves, which may be after the devices have
    // what they lacked.
    expect(b.server.cluster?.gaps).toBeGreaterThan(0);
    await until(
      'both catch-ups to end',
      async () => b.server.relay.catchUps > 0 && a.server.relay.catchUps > 0,
      5_000,
    );
    expect(titles(onA)).toEqual(titles(onB));
    expect(titles(secondOnB)).toEqual(titles(onB));
    // What the devices show is what is stored.
    const stored = await callApi<{ total: number }>(a, user, 'GET', '/tasks?limit=1');
    expect(stored.body.total).toBe(22);
  });
});
