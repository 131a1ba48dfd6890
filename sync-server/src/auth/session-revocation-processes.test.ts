import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { testDatabaseUrl } from '../db/test-databases.js';
import { CLOSE_SESSION_ENDED } from '../session-sockets.js';
import {
  assertServerBuilt,
  createScratchDatabase,
  freePort,
  healthy,
  killNow,
  registerUser,
  startServerProcess,
  waitFor,
} from '../test-support/server-process.js';

/**
 * Revocations outside the one process that made them: a signed-out session's access token is
 * still refused after the server restarts (kill -9; embedded PGlite and PostgreSQL), and by a
 * second server on the same PostgreSQL, which also closes that session's socket within 5 s.
 */
const url = testDatabaseUrl();

interface Server {
  base: string;
  port: number;
  dataDir: string;
  child: ChildProcess;
}

/** Server processes on one database (PGlite under the first one's DATA_DIR without a URL). */
function serverProcesses(databaseUrl: () => string | null) {
  const servers: Server[] = [];
  return {
    async start(existing?: Server): Promise<Server> {
      const port = existing?.port ?? (await freePort());
      const dataDir = existing?.dataDir ?? (await mkdtemp(path.join(tmpdir(), 'tasks-revoke-')));
      const database = databaseUrl();
      const child = startServerProcess({
        DATA_DIR: dataDir,
        PORT: String(port),
        HOST: '127.0.0.1',
        ...(database ? { DATABASE_URL: database } : {}),
      });
      const server = { base: `http://127.0.0.1:${port}`, port, dataDir, child };
      servers.push(server);
      await waitFor(() => healthy(server.base), 60_000, 'server start');
      return server;
    },
    async stopAll() {
      for (const server of servers) await killNow(server.child);
      for (const dataDir of new Set(servers.map((server) => server.dataDir))) {
        await rm(dataDir, { recursive: true, force: true });
      }
    },
  };
}

async function signIn(base: string, name: string): Promise<{ access: string; refresh: string }> {
  const response = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: `${name}@example.com`, password: 'correct horse battery' }),
  });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { access_token: string; refresh_token: string };
  return { access: body.access_token, refresh: body.refresh_token };
}

const signOut = (base: string, refresh: string) =>
  fetch(`${base}/api/v1/auth/logout`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ refresh_token: refresh }),
  });

const tasks = async (base: string, access: string) =>
  (await fetch(`${base}/api/v1/tasks`, { headers: { authorization: `Bearer ${access}` } })).status;

describe.each(url ? ['pglite', 'postgres'] : ['pglite'])(
  'a revoked session after a restart on %s',
  (kind) => {
    let database: { url: string; drop(): Promise<void> } | null = null;
    const processes = serverProcesses(() => database?.url ?? null);
    beforeAll(async () => {
      assertServerBuilt();
      if (kind === 'postgres') database = await createScratchDatabase(url as string, 'revoke');
    }, 60_000);
    afterAll(async () => {
      await processes.stopAll();
      await database?.drop();
    });

    it('refuses a signed-out session after the server restarts', async () => {
      let server = await processes.start();
      await registerUser(server.base, 'restart');
      const signedOut = await signIn(server.base, 'restart');
      const kept = await signIn(server.base, 'restart');
      expect((await signOut(server.base, signedOut.refresh)).status).toBe(204);
      expect(await tasks(server.base, signedOut.access)).toBe(401);

      await killNow(server.child);
      server = await processes.start(server);
      expect(await tasks(server.base, signedOut.access)).toBe(401);
      // The other session of the account lives on: the refusal is the revocation's.
      expect(await tasks(server.base, kept.access)).toBe(200);
    }, 120_000);
  },
);

describe.skipIf(!url)('a revoked session on two servers sharing postgres', () => {
  let database: { url: string; drop(): Promise<void> } | null = null;
  const processes = serverProcesses(() => database?.url ?? null);
  beforeAll(async () => {
    assertServerBuilt();
    database = await createScratchDatabase(url as string, 'revoke');
  }, 60_000);
  afterAll(async () => {
    await processes.stopAll();
    await database?.drop();
  });

  it('refuses on a second server a session signed out on the first, and closes its socket there within 5 s', async () => {
    const a = await processes.start();
    const b = await processes.start();
    const { userId } = await registerUser(a.base, 'twoservers');
    const session = await signIn(a.base, 'twoservers');
    const other = await signIn(a.base, 'twoservers');
    const open = (access: string) => {
      const ws = new WebSocket(`ws://127.0.0.1:${b.port}/sync/${userId}?token=${access}`);
      return new Promise<WebSocket>((resolve, reject) => {
        ws.once('open', () => resolve(ws));
        ws.once('error', reject);
      });
    };
    const ws = await open(session.access);
    const otherWs = await open(other.access);
    const closed = new Promise<{ code: number; at: number }>((resolve) =>
      ws.once('close', (code) => resolve({ code, at: performance.now() })),
    );
    expect(await tasks(b.base, session.access)).toBe(200);

    const started = performance.now();
    expect((await signOut(a.base, session.refresh)).status).toBe(204);
    expect(await tasks(b.base, session.access)).toBe(401);
    const { code, at } = await closed;
    expect(code).toBe(CLOSE_SESSION_ENDED);
    expect(at - started).toBeLessThan(5000);
    expect(otherWs.readyState).toBe(WebSocket.OPEN);
    expect(await tasks(b.base, other.access)).toBe(200);
    otherWs.close();
  }, 120_000);
});
