import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { insertSyncConnection } from '../calendar/connection-test-rows.js';
import type { Database } from '../db/database.js';
import { testDatabaseKinds } from '../db/test-databases.js';
import { CLOSE } from '../relay/protocol.js';
import { callApi, startTestServer, type TestServer } from '../test-server.js';

const PASSWORD = 'correct horse battery';

interface Session {
  userId: string;
  email: string;
  access: string;
  refresh: string;
}

interface Reply {
  status: number;
  body: {
    error?: { code: string; fields: { field: string; message: string }[] };
    [key: string]: unknown;
  } | null;
}

/** Every table with a user_id column, and how many rows each holds for `userId`. */
async function rowsOf(db: Database, userId: string): Promise<Record<string, number>> {
  const tables = await db.query<{ table_name: string }>(
    `select table_name from information_schema.columns
      where column_name = 'user_id' and table_schema = current_schema() order by table_name`,
  );
  const counts: Record<string, number> = {};
  for (const { table_name } of tables) {
    const [row] = await db.query<{ n: number }>(
      `select count(*)::int as n from ${table_name} where user_id = $1`,
      [userId],
    );
    counts[table_name] = Number(row?.n ?? 0);
  }
  const [updates] = await db.query<{ n: number }>(
    'select count(*)::int as n from document_updates where name = $1 or name like $2',
    [userId, `${userId}/%`],
  );
  counts.users = Number(
    (
      await db.query<{ n: number }>('select count(*)::int as n from users where id = $1', [userId])
    )[0]?.n ?? 0,
  );
  counts.document_updates = Number(updates?.n ?? 0);
  return counts;
}

describe.each(testDatabaseKinds())('account routes on %s', (kind) => {
  let ts: TestServer;
  let now = Date.parse('2026-02-02T10:00:00Z');
  /** Moves the server's clock on: access tokens carry their issue time in whole seconds. */
  const later = () => {
    now += 2000;
  };
  let counter = 0;

  beforeAll(async () => {
    ts = await startTestServer(kind, { clock: () => new Date(now) });
  }, 60_000);
  afterAll(async () => {
    await ts?.dispose();
  });

  async function request(path: string, init: { method?: string; token?: string; body?: unknown }) {
    const response = await fetch(`${ts.url}/api/v1${path}`, {
      method: init.method ?? 'GET',
      headers: {
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null } as Reply;
  }

  async function register(name: string): Promise<Session> {
    counter += 1;
    const email = `${name}-${counter}@example.com`;
    const reply = await request('/auth/register', {
      method: 'POST',
      body: { email, username: `${name}_${counter}`, password: PASSWORD },
    });
    expect(reply.status).toBe(201);
    const body = reply.body as Record<string, string>;
    return {
      userId: body.id as string,
      email,
      access: body.access_token as string,
      refresh: body.refresh_token as string,
    };
  }

  const login = (email: string, password: string) =>
    request('/auth/login', { method: 'POST', body: { email, password } });
  const refresh = (token: string) =>
    request('/auth/refresh', { method: 'POST', body: { refresh_token: token } });
  const me = (token: string) => request('/auth/me', { token });
  /** An open websocket of the session, and how it ends. */
  async function openSocket(session: Session) {
    const ws = new WebSocket(`${ts.wsUrl}/${session.userId}?token=${session.access}`);
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return { ws, closed };
  }
  const within = <T>(promise: Promise<T>, ms: number) =>
    Promise.race([
      promise,
      new Promise<never>((_, reject) =>
        setTimeout(() => reject(new Error(`not within ${ms} ms`)), ms),
      ),
    ]);

  describe('PATCH /api/v1/auth/me', () => {
    it('changes the full name, and the email only with the password', async () => {
      const ana = await register('ana');
      const named = await request('/auth/me', {
        method: 'PATCH',
        token: ana.access,
        body: { full_name: ' Ana Lima ' },
      });
      expect(named.status).toBe(200);
      expect(named.body).toMatchObject({ full_name: 'Ana Lima', email: ana.email });

      const without = await request('/auth/me', {
        method: 'PATCH',
        token: ana.access,
        body: { email: 'ana.new@example.com' },
      });
      expect(without.status).toBe(422);
      expect(without.body?.error?.fields).toEqual([
        { field: 'password', message: 'is required to change the email' },
      ]);
      const wrong = await request('/auth/me', {
        method: 'PATCH',
        token: ana.access,
        body: { email: 'ana.new@example.com', password: 'not it at all' },
      });
      expect(wrong.status).toBe(403);
      expect(wrong.body?.error?.fields).toEqual([
        { field: 'password', message: 'is not your current password' },
      ]);
      expect((await me(ana.access)).body).toMatchObject({ email: ana.email });

      const changed = await request('/auth/me', {
        method: 'PATCH',
        token: ana.access,
        body: { email: 'Ana.New@example.com', password: PASSWORD },
      });
      expect(changed.status).toBe(200);
      expect((await login('ana.new@example.com', PASSWORD)).status).toBe(200);
      expect((await login(ana.email, PASSWORD)).status).toBe(401);
    });

    it('refuses an email another account has, naming the field', async () => {
      const ben = await register('ben');
      const cleo = await register('cleo');
      const reply = await request('/auth/me', {
        method: 'PATCH',
        token: cleo.access,
        body: { email: ben.email.toUpperCase(), password: PASSWORD },
      });
      expect(reply.status).toBe(409);
      expect(reply.body?.error?.fields).toEqual([
        { field: 'email', message: 'An account with this email already exists.' },
      ]);
    });
  });

  describe('POST /api/v1/auth/password', () => {
    it('needs the current password, then ends every other session at once', async () => {
      const dan = await register('dan');
      const laptop = (await login(dan.email, PASSWORD)).body as Record<string, string>;
      const wrong = await request('/auth/password', {
        method: 'POST',
        token: dan.access,
        body: { current_password: 'guess guess', new_password: 'a brand new one' },
      });
      expect(wrong.status).toBe(403);
      expect((await login(dan.email, PASSWORD)).status).toBe(200);

      later();
      const changed = await request('/auth/password', {
        method: 'POST',
        token: dan.access,
        body: { current_password: PASSWORD, new_password: 'a brand new one' },
      });
      expect(changed.status).toBe(200);
      const fresh = changed.body as Record<string, string>;
      // Every earlier session: access tokens and refresh tokens alike.
      expect((await me(dan.access)).status).toBe(401);
      expect((await me(laptop.access_token as string)).status).toBe(401);
      expect((await refresh(dan.refresh)).status).toBe(401);
      expect((await refresh(laptop.refresh_token as string)).status).toBe(401);
      // This device's new session works; so does the new password, and only it.
      expect((await me(fresh.access_token as string)).status).toBe(200);
      expect((await refresh(fresh.refresh_token as string)).status).toBe(200);
      expect((await login(dan.email, PASSWORD)).status).toBe(401);
      expect((await login(dan.email, 'a brand new one')).status).toBe(200);
    });

    it('refuses a new password that is too short', async () => {
      const eve = await register('eve');
      const reply = await request('/auth/password', {
        method: 'POST',
        token: eve.access,
        body: { current_password: PASSWORD, new_password: 'short' },
      });
      expect(reply.status).toBe(422);
      expect(reply.body?.error?.fields).toEqual([
        { field: 'new_password', message: 'must be at least 8 characters' },
      ]);
    });
  });

  describe('POST /api/v1/auth/logout-all', () => {
    it('signs every device out: their tokens stop working at once', async () => {
      const fay = await register('fay');
      const phone = (await login(fay.email, PASSWORD)).body as Record<string, string>;
      const socket = await openSocket(fay);
      later();
      expect(
        (await request('/auth/logout-all', { method: 'POST', token: fay.access })).status,
      ).toBe(204);
      // Its open socket closes too, at once.
      expect(await within(socket.closed, 5_000)).toBe(CLOSE.sessionEnded);
      expect((await me(fay.access)).status).toBe(401);
      expect((await me(phone.access_token as string)).status).toBe(401);
      expect((await refresh(fay.refresh)).status).toBe(401);
      expect((await refresh(phone.refresh_token as string)).status).toBe(401);
      // Signing in again is a new session.
      later();
      const again = (await login(fay.email, PASSWORD)).body as Record<string, string>;
      expect((await me(again.access_token as string)).status).toBe(200);
    });
  });

  describe('DELETE /api/v1/auth/me', () => {
    it('needs the password and removes nothing without it', async () => {
      const gus = await register('gus');
      const reply = await request('/auth/me', {
        method: 'DELETE',
        token: gus.access,
        body: { password: 'not my password' },
      });
      expect(reply.status).toBe(403);
      expect((await me(gus.access)).status).toBe(200);
    });

    it('removes the account’s data from every table, and its tokens stop working at once', async () => {
      const hal = await register('hal');
      const other = await register('other');
      const user = { userId: hal.userId, token: hal.access };
      const task = await callApi<{ id: string }>(ts, user, 'POST', '/tasks', { title: 'Secret' });
      expect(task.status).toBe(201);
      const entry = await callApi(ts, user, 'POST', '/time/entries', {
        task_id: task.body.id,
        start_time: '2026-01-05T09:00:00Z',
        end_time: '2026-01-05T10:00:00Z',
      });
      expect(entry.status).toBe(201);
      await callApi(ts, { userId: other.userId, token: other.access }, 'POST', '/tasks', {
        title: 'Not hal’s',
      });
      await insertSyncConnection(ts.db, hal.userId, 'ICAL');
      const feed = await callApi<{ url: string }>(ts, user, 'POST', '/ical-feed');
      expect((await fetch(feed.body.url)).status).toBe(200);
      const socket = await openSocket(hal);
      await ts.server.relay.flush();
      const before = await rowsOf(ts.db, hal.userId);
      expect(before.users).toBe(1);
      expect(before.documents).toBe(2); // the main document and January's
      expect(before.document_updates).toBeGreaterThan(0);
      expect(before.refresh_tokens).toBe(1);
      expect(before.calendar_connections).toBe(1);
      expect(before.ical_feeds).toBe(1);

      const deleted = await request('/auth/me', {
        method: 'DELETE',
        token: hal.access,
        body: { password: PASSWORD },
      });
      expect(deleted.status).toBe(204);
      expect(await within(socket.closed, 5_000)).toBe(CLOSE.sessionEnded);
      await ts.server.relay.flush();
      const after = await rowsOf(ts.db, hal.userId);
      expect(Object.values(after).every((count) => count === 0)).toBe(true);
      expect(Object.keys(after)).toEqual(expect.arrayContaining(Object.keys(before)));

      expect((await me(hal.access)).status).toBe(401);
      expect((await callApi(ts, user, 'GET', '/tasks')).status).toBe(401);
      expect((await refresh(hal.refresh)).status).toBe(401);
      expect((await login(hal.email, PASSWORD)).status).toBe(401);
      expect((await fetch(feed.body.url)).status).toBe(404);
      // Nobody else lost anything.
      const others = await callApi<{ total: number }>(
        ts,
        { userId: other.userId, token: other.access },
        'GET',
        '/tasks',
      );
      expect(others.body.total).toBe(1);
    });
  });
});
