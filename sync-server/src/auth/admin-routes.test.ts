import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { testDatabaseKinds } from '../db/test-databases.js';
import { CLOSE_SESSION_ENDED } from '../session-sockets.js';
import { startTestServer, type TestServer } from '../test-server.js';

const PASSWORD = 'correct horse battery';

interface Account {
  id: string;
  email: string;
  access: string;
}

type ErrorReply = { error: { code: string; message: string; fields: { field: string }[] } };

describe.each(testDatabaseKinds())('the admin on %s', (kind) => {
  let ts: TestServer;
  let admin: Account;
  let serial = 0;

  const call = async <T = ErrorReply>(
    method: string,
    path: string,
    token: string | null,
    body?: unknown,
  ) => {
    const response = await fetch(`${ts.url}/api/v1${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as T };
  };

  async function register(invite?: string) {
    serial += 1;
    const email = `admin-test-${serial}@example.com`;
    const reply = await call<{ id: string; access_token: string } & ErrorReply>(
      'POST',
      '/auth/register',
      null,
      {
        email,
        username: `admin_test_${serial}`,
        password: PASSWORD,
        ...(invite ? { invite } : {}),
      },
    );
    return { reply, account: { id: reply.body.id, email, access: reply.body.access_token } };
  }

  async function invite(): Promise<string> {
    const created = await call<{ token: string; path: string; expires_at: string }>(
      'POST',
      '/admin/invites',
      admin.access,
      {},
    );
    expect(created.status).toBe(201);
    expect(created.body.path).toBe(`/?invite=${created.body.token}`);
    return created.body.token;
  }

  beforeAll(async () => {
    ts = await startTestServer(kind, { config: { REGISTRATION: 'invite' } });
    const first = await register();
    expect(first.reply.status).toBe(201);
    admin = first.account;
  }, 60_000);
  afterAll(async () => {
    await ts?.dispose();
  });

  it('lets the first account, the admin, invite someone whose invite link works once', async () => {
    const refused = await register();
    expect(refused.reply.status).toBe(403);
    expect(refused.reply.body.error.code).toBe('invite_required');
    const token = await invite();
    const guest = await register(token);
    expect(guest.reply.status).toBe(201);
    const again = await register(token);
    expect(again.reply.status).toBe(403);
    expect(again.reply.body.error.code).toBe('invite_invalid');
  });

  it('lists the accounts, without password hashes, to the admin only', async () => {
    const guest = (await register(await invite())).account;
    const list = await call<{ users: Record<string, unknown>[]; total: number }>(
      'GET',
      '/admin/users?limit=500',
      admin.access,
    );
    expect(list.status).toBe(200);
    expect(list.body.users[0]).toMatchObject({ id: admin.id, role: 'admin', is_active: true });
    expect(list.body.users.map((user) => user.id)).toContain(guest.id);
    expect(list.body.total).toBe(list.body.users.length);
    expect(JSON.stringify(list.body)).not.toMatch(/argon2|password/);

    const forbidden = await call('GET', '/admin/users', guest.access);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe('forbidden');
    expect((await call('POST', '/admin/invites', guest.access, {})).status).toBe(403);
    expect((await call('GET', '/admin/users', null)).status).toBe(401);
    const bad = await call('GET', '/admin/users?limit=0', admin.access);
    expect(bad.status).toBe(422);
    expect(bad.body.error.fields[0]?.field).toBe('limit');
  });

  it('disabling a user ends their REST access and sockets at once; enabling lets them sign in again', async () => {
    const guest = (await register(await invite())).account;
    const ws = new WebSocket(`${ts.wsUrl}/${guest.id}?token=${guest.access}`);
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    expect((await call('GET', '/tasks', guest.access)).status).toBe(200);

    const disabled = await call<{ is_active: boolean }>(
      'POST',
      `/admin/users/${guest.id}/disable`,
      admin.access,
    );
    expect(disabled.status).toBe(200);
    expect(disabled.body.is_active).toBe(false);
    expect((await call('GET', '/tasks', guest.access)).status).toBe(401);
    expect(await closed).toBe(CLOSE_SESSION_ENDED);
    const login = { email: guest.email, password: PASSWORD };
    const refusedLogin = await call('POST', '/auth/login', null, login);
    expect(refusedLogin.status).toBe(403);
    expect(refusedLogin.body.error.code).toBe('account_disabled');

    expect((await call('POST', `/admin/users/${guest.id}/enable`, admin.access)).status).toBe(200);
    expect((await call('POST', '/auth/login', null, login)).status).toBe(200);
  });

  it('refuses to disable the admin themself, an unknown user, or a malformed id', async () => {
    const self = await call('POST', `/admin/users/${admin.id}/disable`, admin.access);
    expect(self.status).toBe(409);
    expect(self.body.error.code).toBe('cannot_disable_self');
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await call('POST', `/admin/users/${unknown}/disable`, admin.access)).status).toBe(404);
    const malformed = await call('POST', '/admin/users/not-an-id/disable', admin.access);
    expect(malformed.status).toBe(422);
    expect(malformed.body.error.fields[0]?.field).toBe('id');
  });

  it('takes an invite lifetime of 1 to 90 days', async () => {
    const tooLong = await call('POST', '/admin/invites', admin.access, { expires_in_days: 91 });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.error.fields[0]?.field).toBe('expires_in_days');
  });
});

describe('invites on a closed server', () => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer('pglite', { config: { REGISTRATION: 'closed' } });
  }, 60_000);
  afterAll(async () => {
    await ts?.dispose();
  });

  it('are refused with a 409 that says how to open registration by invite', async () => {
    const admin = await ts.register('closed_admin');
    const response = await fetch(`${ts.url}/api/v1/admin/invites`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(response.status).toBe(409);
    expect(((await response.json()) as ErrorReply).error).toMatchObject({
      code: 'registration_closed',
      message:
        'Registration is closed on this server: start it with REGISTRATION=invite to use invites.',
    });
  });
});
