import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { testDatabaseKinds } from '../db/test-databases.js';
import { CLOSE_SESSION_ENDED } from '../session-sockets.js';
import { startTestServer, type TestServer } from '../test-server.js';
import { REFRESH_GRACE_MS } from './session-store.js';

interface Signed {
  userId: string;
  access: string;
  refresh: string;
}

const PASSWORD = 'correct horse battery';

describe.each(testDatabaseKinds())('revoking a session on %s', (kind) => {
  let ts: TestServer;
  let serial = 0;
  // The server's clock, moved past the refresh grace window where a test needs it.
  let offsetMs = 0;
  beforeAll(async () => {
    ts = await startTestServer(kind, { clock: () => new Date(Date.now() + offsetMs) });
  }, 60_000);
  afterAll(async () => {
    await ts?.dispose();
  });

  const post = (path: string, body: unknown) =>
    fetch(`${ts.url}/api/v1/auth${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  async function signUp(): Promise<Signed & { email: string }> {
    serial += 1;
    const email = `revoke-${serial}-${Date.now()}@example.com`;
    const response = await post('/register', {
      email,
      username: `revoke_${serial}_${Date.now().toString(36)}`,
      password: PASSWORD,
    });
    expect(response.status).toBe(201);
    const body = (await response.json()) as {
      id: string;
      access_token: string;
      refresh_token: string;
    };
    return { email, userId: body.id, access: body.access_token, refresh: body.refresh_token };
  }

  async function signIn(email: string): Promise<Signed> {
    const response = await post('/login', { email, password: PASSWORD });
    expect(response.status).toBe(200);
    const body = (await response.json()) as {
      user_id: string;
      access_token: string;
      refresh_token: string;
    };
    return { userId: body.user_id, access: body.access_token, refresh: body.refresh_token };
  }

  const tasks = (access: string) =>
    fetch(`${ts.url}/api/v1/tasks`, { headers: { authorization: `Bearer ${access}` } });

  function openSocket(user: Signed): Promise<WebSocket> {
    const ws = new WebSocket(`${ts.wsUrl}/${user.userId}?token=${user.access}`);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(ws));
      ws.once('error', reject);
    });
  }

  function closeOf(ws: WebSocket): Promise<{ code: number; at: number }> {
    return new Promise((resolve) =>
      ws.once('close', (code) => resolve({ code, at: performance.now() })),
    );
  }

  it('refuses the access token of a signed-out session at once and closes its socket within 5 s', async () => {
    const user = await signUp();
    const otherDevice = await signIn(user.email);
    const ws = await openSocket(user);
    const otherWs = await openSocket(otherDevice);
    const closed = closeOf(ws);
    expect((await tasks(user.access)).status).toBe(200);

    const started = performance.now();
    expect((await post('/logout', { refresh_token: user.refresh })).status).toBe(204);
    const response = await tasks(user.access);
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
      'unauthorized',
    );
    const { code, at } = await closed;
    expect(code).toBe(CLOSE_SESSION_ENDED);
    expect(at - started).toBeLessThan(5000);

    // The same account's other session is not touched.
    expect((await tasks(otherDevice.access)).status).toBe(200);
    expect(otherWs.readyState).toBe(WebSocket.OPEN);
    otherWs.close();
    // And the revoked token cannot open a new socket either.
    const again = new WebSocket(`${ts.wsUrl}/${user.userId}?token=${user.access}`);
    const status = await new Promise<number>((resolve) =>
      again.once('unexpected-response', (_request, reply) => resolve(reply.statusCode ?? 0)),
    );
    expect(status).toBe(401);
  });

  it('ends the access tokens of a session whose rotated refresh token comes back (theft)', async () => {
    const user = await signUp();
    const rotated = await post('/refresh', { refresh_token: user.refresh });
    const fresh = (await rotated.json()) as { access_token: string };
    expect((await tasks(fresh.access_token)).status).toBe(200);
    // Someone presents the old refresh token again, past the grace window: the whole session
    // ends, access tokens too.
    offsetMs += REFRESH_GRACE_MS;
    expect((await post('/refresh', { refresh_token: user.refresh })).status).toBe(401);
    expect((await tasks(fresh.access_token)).status).toBe(401);
    expect((await tasks(user.access)).status).toBe(401);
  });
});
