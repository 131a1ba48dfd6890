import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { testDatabaseKinds } from '../db/test-databases.js';
import { callApi, startTestServer, type TestServer, type TestUser } from '../test-server.js';
import { until } from '../test-support/until.js';

interface SystemHealth {
  connections: number;
  rooms: number;
  uncommitted_updates: number;
  job_queues: Record<string, { depth: number; oldest_age_seconds: number }>;
  failing_calendar_connections: number;
  recent_errors: { time: string; level: string; message: string }[];
  draining: boolean;
  database: string;
}

/** GET /api/v1/admin/system: the admin's System page, and nobody else's. */
describe.each(testDatabaseKinds())('the System figures on %s', (kind) => {
  let ts: TestServer;
  let admin: TestUser;
  let user: TestUser;

  beforeAll(async () => {
    ts = await startTestServer(kind);
    // The first account is the administrator.
    admin = await ts.register('admin');
    user = await ts.register('user');
  }, 60_000);

  afterAll(async () => {
    await ts?.dispose();
  });

  it('shows an administrator the connections, backlog, queues and recent errors', async () => {
    const provider = new WebsocketProvider(ts.wsUrl, user.userId, new Y.Doc(), {
      WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
      params: { token: user.token },
      disableBc: true,
    });
    try {
      await until('device synced', async () => provider.synced, 10_000);
      const reply = await callApi<SystemHealth>(ts, admin, 'GET', '/admin/system');
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({
        database: kind,
        draining: false,
        connections: 1,
        uncommitted_updates: 0,
        failing_calendar_connections: 0,
        job_queues: {
          calendar_sync: { depth: 0, oldest_age_seconds: 0 },
          reminder: { depth: 0, oldest_age_seconds: 0 },
          email: { depth: 0, oldest_age_seconds: 0 },
        },
      });
      expect(reply.body.rooms).toBeGreaterThanOrEqual(1);
      expect(Array.isArray(reply.body.recent_errors)).toBe(true);
    } finally {
      provider.destroy();
    }
  });

  it('refuses anyone else: 403 for a user, 401 without a session', async () => {
    const reply = await callApi(ts, user, 'GET', '/admin/system');
    expect(reply.status).toBe(403);
    expect(reply.body.error.code).toBe('forbidden');
    expect((await fetch(`${ts.url}/api/v1/admin/system`)).status).toBe(401);
  });

  it('is in the OpenAPI document', async () => {
    const document = (await (await fetch(`${ts.url}/api/v1/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
    };
    const route = document.paths['/admin/system']?.get;
    expect(route).toBeDefined();
    expect(Object.keys(route?.responses ?? {})).toEqual(expect.arrayContaining(['200', '403']));
  });
});
