import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { startTestServer, type TestServer } from '../test-server.js';
import { ensureHaproxy, type RunningHaproxy, startHaproxy } from './haproxy.js';
import { waitFor } from './server-process.js';

/**
 * The load balancer of the cluster tests: a real server and a node that is down behind
 * HAProxy. Ports 19200-19209.
 */
const haproxyReady = await ensureHaproxy();

describe.skipIf(!haproxyReady)('HAProxy in front of the server', () => {
  let server: TestServer;
  let haproxy: RunningHaproxy;

  beforeAll(async () => {
    server = await startTestServer('pglite', { config: { PORT: '19200' } });
    // Nothing listens on 19201: a node that is down.
    haproxy = await startHaproxy({
      backends: [
        { name: 'up', port: 19200 },
        { name: 'gone', port: 19201 },
      ],
      port: 19202,
    });
  });

  /** Requests HAProxy moved off `server` after it refused them (`show stat`'s `wredis`). */
  async function redispatchedFrom(server: string): Promise<number> {
    const [header = '', ...rows] = (await haproxy.admin('show stat')).split('\n');
    const column = header.replace(/^# /, '').split(',').indexOf('wredis');
    const row = rows.find((line) => line.startsWith(`nodes,${server},`)) ?? '';
    return Number(row.split(',')[column] ?? 0);
  }

  afterAll(async () => {
    await haproxy?.stop();
    await server?.dispose();
  });

  it('is ready, admin socket included, as soon as it has started', async () => {
    expect(await haproxy.admin('show info')).toMatch(/^Pid: \d+$/m);
  });

  it('marks the node that does not answer /readyz down and the live one up', async () => {
    await waitFor(
      async () => {
        const status = await haproxy.backendStatus();
        return status.up === 'UP' && status.gone === 'DOWN';
      },
      5000,
      'health checks',
    );
  });

  it('sends every request to the live node, even while the dead one is still marked up', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i += 1) statuses.push((await fetch(`${haproxy.url}/readyz`)).status);
    // Before its checks find out, a dead node gets its turn: the refused connection is retried
    // on the live node (`option redispatch`).
    await haproxy.admin('disable health nodes/gone');
    await haproxy.admin('set server nodes/gone health up');
    expect((await haproxy.backendStatus()).gone).toBe('no check');
    for (let i = 0; i < 6; i += 1) statuses.push((await fetch(`${haproxy.url}/readyz`)).status);
    await haproxy.admin('enable health nodes/gone');
    expect(statuses).toEqual(Array.from({ length: 12 }, () => 200));
    expect(await redispatchedFrom('gone')).toBeGreaterThan(0);
  });

  it('carries stock y-websocket clients: an edit on one device reaches the other', async () => {
    const user = await server.register('lb');
    const devices = [new Y.Doc(), new Y.Doc()];
    const providers = devices.map(
      (doc) =>
        new WebsocketProvider(`${haproxy.wsUrl}/sync`, user.userId, doc, {
          WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
          params: { token: user.token },
          disableBc: true,
        }),
    );
    try {
      await waitFor(() => providers.every((p) => p.synced), 10_000, 'devices synced');
      devices[0]?.getMap('edits').set('through', 'haproxy');
      await waitFor(
        () => devices[1]?.getMap('edits').get('through') === 'haproxy',
        5000,
        'the edit on the other device',
      );
    } finally {
      for (const provider of providers) provider.destroy();
    }
  });

  it('takes a node out of the rotation on the admin socket and back', async () => {
    await haproxy.setBackendState('up', 'maint');
    expect((await haproxy.backendStatus()).up).toBe('MAINT');
    expect((await fetch(`${haproxy.url}/readyz`)).status).toBe(503);
    await haproxy.setBackendState('up', 'ready');
    await waitFor(
      async () => (await fetch(`${haproxy.url}/readyz`)).status === 200,
      5000,
      'the node back in the rotation',
    );
  });
});
