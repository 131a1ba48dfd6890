import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/database.js';
import { openTestDatabase, type TestDatabase, testDatabaseKinds } from '../db/test-databases.js';
import { errorResponse } from '../http/http-error.js';
import { createLogger } from '../logger.js';
import { type AuthLimits, createAuthRoutes } from './auth-routes.js';
import { createRegistration, type RegistrationMode } from './registration.js';
import { createSessionStore, PRUNE_AFTER_EXPIRY_MS, REFRESH_GRACE_MS } from './session-store.js';
import { createTokenService } from './token-service.js';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256';
const PASSWORD = 'SecurePass123!';
const HOUR = 3600_000;
const DAY = 24 * HOUR;
const GENEROUS: AuthLimits = {
  registerPerIp: { windowMs: 60_000, max: 1000 },
  loginPerIp: { windowMs: 60_000, max: 1000 },
  loginPerAccount: { windowMs: 60_000, max: 1000 },
};

interface Setup {
  db: Database;
  secret?: string;
  limits?: Partial<AuthLimits>;
  registration?: RegistrationMode;
}

/** The auth sub-app mounted as the server mounts it, with a clock the test moves. */
function serve({ db, secret = SECRET, limits = GENEROUS, registration = 'open' }: Setup) {
  let now = Date.parse('2025-10-15T12:00:00Z');
  const clock = () => new Date(now);
  const logLines: string[] = [];
  const log = createLogger('debug', { destination: { write: (line) => logLines.push(line) } });
  const tokens = createTokenService({ secret, clock });
  const app = new Hono();
  app.onError((error, c) => errorResponse(error, c, log));
  app.route(
    '/api/v1/auth',
    createAuthRoutes({
      db,
      tokens,
      clock,
      log,
      limits,
      registration: createRegistration(db, registration),
    }),
  );
  const post = (path: string, body: unknown, ip = '192.0.2.1') =>
    app.request(
      `/api/v1/auth${path}`,
      {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      },
      { incoming: { socket: { remoteAddress: ip } } },
    );
  const me = (token: string) =>
    app.request('/api/v1/auth/me', { headers: { Authorization: `Bearer ${token}` } });
  return {
    app,
    post,
    me,
    logLines,
    advance(ms: number) {
      now += ms;
    },
  };
}

type Api = ReturnType<typeof serve>;

let serial = 0;
function newAccount() {
  serial += 1;
  const id = `${Date.now().toString(36)}${serial}`;
  return {
    email: `user${id}@example.com`,
    username: `user_${id}`,
    password: PASSWORD,
    full_name: 'John Doe',
    timezone: 'America/New_York',
  };
}

interface Registration {
  invite?: string;
  email: string;
  username: string;
  password: string;
  full_name?: string;
  timezone?: string;
}

async function register<A extends Registration>(api: Api, account: A) {
  const response = await api.post('/register', account);
  expect(response.status).toBe(201);
  const body = (await response.json()) as {
    id: string;
    access_token: string;
    refresh_token: string;
  };
  return { account, ...body };
}

async function login(api: Api, credentials: Record<string, string>) {
  const response = await api.post('/login', credentials);
  expect(response.status).toBe(200);
  return (await response.json()) as {
    access_token: string;
    refresh_token: string;
    user_id: string;
  };
}

const errorOf = async (response: Response) =>
  ((await response.json()) as { error: { code: string; fields: { field: string }[] } }).error;

describe.each(testDatabaseKinds())('auth API on %s', (kind) => {
  let test: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    test = await openTestDatabase(kind);
    db = test.db;
  }, 60_000);
  afterAll(async () => {
    await test?.dispose();
  });

  describe('register, login and me', () => {
    it('registers with the spec response shape', async () => {
      const api = serve({ db });
      const account = newAccount();
      const response = await api.post('/register', account);
      expect(response.status).toBe(201);
      const body = await response.json();
      expect(body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        email: account.email,
        username: account.username,
        access_token: expect.any(String),
        refresh_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: 3600,
      });
    });

    it('logs in by email in any case, or by username, with the spec shape plus user_id', async () => {
      const api = serve({ db });
      const { account, id } = await register(api, newAccount());
      for (const credentials of [
        { email: account.email.toUpperCase(), password: PASSWORD },
        { username: account.username.toUpperCase(), password: PASSWORD },
      ]) {
        const response = await api.post('/login', credentials);
        expect(response.status).toBe(200);
        expect(await response.json()).toEqual({
          access_token: expect.any(String),
          refresh_token: expect.any(String),
          token_type: 'Bearer',
          expires_in: 3600,
          user_id: id,
        });
      }
    });

    it('shows the signed-in user per spec section 4, without the password hash', async () => {
      const api = serve({ db });
      const { account, id, access_token: registered } = await register(api, newAccount());
      expect(await (await api.me(registered)).json()).toMatchObject({ last_login: null });
      api.advance(5000);
      const { access_token } = await login(api, { email: account.email, password: PASSWORD });
      const response = await api.me(access_token);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        id,
        email: account.email,
        username: account.username,
        full_name: 'John Doe',
        timezone: 'America/New_York',
        preferences: {},
        role: 'user',
        created_at: '2025-10-15T12:00:00.000Z',
        updated_at: '2025-10-15T12:00:00.000Z',
        last_login: '2025-10-15T12:00:05.000Z',
        is_active: true,
        is_verified: false,
      });
    });

    it('defaults the time zone to UTC and the full name to empty', async () => {
      const api = serve({ db });
      const { email, username } = newAccount();
      const { access_token } = await register(api, {
        email,
        username,
        password: PASSWORD,
      } as never);
      const user = (await (await api.me(access_token)).json()) as Record<string, unknown>;
      expect(user).toMatchObject({ timezone: 'UTC', full_name: '' });
    });

    it('carries the role of the account in its tokens', async () => {
      const api = serve({ db });
      const { account, id } = await register(api, newAccount());
      await db.query(`update users set role = 'admin' where id = $1`, [id]);
      const { access_token } = await login(api, { email: account.email, password: PASSWORD });
      expect(await (await api.me(access_token)).json()).toMatchObject({ role: 'admin' });
    });
  });

  describe('who may register', () => {
    /** A fresh database: the first account of a server is special. */
    async function emptyServer(registration: RegistrationMode) {
      const fresh = await openTestDatabase(kind);
      return { fresh, api: serve({ db: fresh.db, registration }) };
    }

    it('lets the first account of an empty server register as its admin, then closes by default', async () => {
      const { fresh, api } = await emptyServer('closed');
      try {
        expect(await (await api.app.request('/api/v1/auth/registration')).json()).toEqual({
          mode: 'closed',
          first_account: true,
        });
        const admin = await register(api, newAccount());
        expect(await (await api.me(admin.access_token)).json()).toMatchObject({ role: 'admin' });
        const refused = await api.post('/register', newAccount());
        expect(refused.status).toBe(403);
        expect(await errorOf(refused)).toMatchObject({
          code: 'registration_closed',
          message: 'Registration is closed on this server. Ask its administrator for an account.',
        });
        expect(await (await api.app.request('/api/v1/auth/registration')).json()).toEqual({
          mode: 'closed',
          first_account: false,
        });
      } finally {
        await fresh.dispose();
      }
    });

    it('makes only one of two simultaneous first registrations the admin', async () => {
      const { fresh, api } = await emptyServer('open');
      try {
        const [a, b] = await Promise.all([
          register(api, newAccount()),
          register(api, newAccount()),
        ]);
        const roles = await Promise.all(
          [a, b].map(
            async (r) => ((await (await api.me(r.access_token)).json()) as { role: string }).role,
          ),
        );
        expect(roles.sort()).toEqual(['admin', 'user']);
      } finally {
        await fresh.dispose();
      }
    });

    it('lets anyone register on an open server, as a plain user, and uses up an invite given', async () => {
      const { fresh, api } = await emptyServer('open');
      try {
        const admin = await register(api, newAccount());
        const second = await register(api, newAccount());
        expect(await (await api.me(second.access_token)).json()).toMatchObject({ role: 'user' });
        const invite = await createRegistration(fresh.db, 'open').createInvite(
          admin.id,
          new Date(Date.parse('2025-10-15T12:00:00Z')),
        );
        await register(api, { ...newAccount(), invite: invite.token });
        const again = await api.post('/register', { ...newAccount(), invite: invite.token });
        expect((await errorOf(again)).code).toBe('invite_invalid');
      } finally {
        await fresh.dispose();
      }
    });

    it('on an invite server, takes an invite once and refuses a missing, used or expired one', async () => {
      const { fresh, api } = await emptyServer('invite');
      try {
        const admin = await register(api, newAccount());
        const invites = createRegistration(fresh.db, 'invite');
        const now = new Date(Date.parse('2025-10-15T12:00:00Z'));
        const invite = await invites.createInvite(admin.id, now, 3600_000);

        const without = await api.post('/register', newAccount());
        expect(without.status).toBe(403);
        expect(await errorOf(without)).toMatchObject({
          code: 'invite_required',
          fields: [{ field: 'invite', message: 'is required: registration is by invite' }],
        });
        const guest = await register(api, { ...newAccount(), invite: invite.token });
        expect(await (await api.me(guest.access_token)).json()).toMatchObject({ role: 'user' });
        const again = await api.post('/register', { ...newAccount(), invite: invite.token });
        expect(again.status).toBe(403);
        expect((await errorOf(again)).code).toBe('invite_invalid');

        const late = await invites.createInvite(admin.id, now, 3600_000);
        api.advance(3600_000);
        const expired = await api.post('/register', { ...newAccount(), invite: late.token });
        expect(expired.status).toBe(403);
        expect(await errorOf(expired)).toMatchObject({
          code: 'invite_invalid',
          fields: [{ field: 'invite', message: 'is unknown, already used or expired' }],
        });
      } finally {
        await fresh.dispose();
      }
    });

    it('keeps an invite unused when the registration fails on a taken email', async () => {
      const { fresh, api } = await emptyServer('invite');
      try {
        const admin = await register(api, newAccount());
        const invite = await createRegistration(fresh.db, 'invite').createInvite(
          admin.id,
          new Date(Date.parse('2025-10-15T12:00:00Z')),
        );
        const taken = await api.post('/register', {
          ...newAccount(),
          email: admin.account.email,
          invite: invite.token,
        });
        expect(taken.status).toBe(409);
        expect(
          (await api.post('/register', { ...newAccount(), invite: invite.token })).status,
        ).toBe(201);
      } finally {
        await fresh.dispose();
      }
    });
  });

  describe('validation and conflicts', () => {
    it('answers 422 naming every invalid field in snake_case', async () => {
      const api = serve({ db });
      const response = await api.post('/register', {
        email: 'not-an-email',
        username: 'ab',
        password: 'short',
        full_name: 'x'.repeat(101),
        timezone: 'Mars/Olympus_Mons',
      });
      expect(response.status).toBe(422);
      const error = await errorOf(response);
      expect(error.code).toBe('validation_failed');
      expect(error.fields.map((f) => f.field).sort()).toEqual(
        ['email', 'full_name', 'password', 'timezone', 'username'].sort(),
      );
    });

    it('answers 422 for missing fields and for usernames with other characters', async () => {
      const api = serve({ db });
      const missing = await api.post('/register', {});
      expect(missing.status).toBe(422);
      expect((await errorOf(missing)).fields).toEqual(
        expect.arrayContaining([
          { field: 'email', message: 'is required' },
          { field: 'username', message: 'is required' },
          { field: 'password', message: 'is required' },
        ]),
      );
      const spaced = await api.post('/register', { ...newAccount(), username: 'john doe' });
      expect((await errorOf(spaced)).fields.map((f) => f.field)).toEqual(['username']);
      const noLogin = await api.post('/login', { password: PASSWORD });
      expect(noLogin.status).toBe(422);
      expect((await errorOf(noLogin)).fields.map((f) => f.field)).toEqual(['email']);
    });

    it('answers 409 for an email already registered, in any case', async () => {
      const api = serve({ db });
      const { account } = await register(api, newAccount());
      const again = { ...newAccount(), email: account.email.toUpperCase() };
      const response = await api.post('/register', again);
      expect(response.status).toBe(409);
      expect((await errorOf(response)).fields.map((f) => f.field)).toEqual(['email']);
    });

    it('answers 409 for a username differing only in case', async () => {
      const api = serve({ db });
      const { account } = await register(api, newAccount());
      const again = { ...newAccount(), username: account.username.toUpperCase() };
      const response = await api.post('/register', again);
      expect(response.status).toBe(409);
      const error = await errorOf(response);
      expect(error.code).toBe('conflict');
      expect(error.fields.map((f) => f.field)).toEqual(['username']);
    });

    it('lets exactly one of two simultaneous registrations of one email through', async () => {
      const api = serve({ db });
      const account = newAccount();
      const responses = await Promise.all([
        api.post('/register', account),
        api.post('/register', { ...account, username: `${account.username}2` }),
      ]);
      expect(responses.map((r) => r.status).sort()).toEqual([201, 409]);
    });

    it('answers 400 for malformed JSON and 415 for other content types', async () => {
      const api = serve({ db });
      const send = (headers: Record<string, string>, body: string) =>
        api.app.request('/api/v1/auth/login', { method: 'POST', headers, body });
      const malformed = await send({ 'Content-Type': 'application/json' }, '{"email":');
      expect(malformed.status).toBe(400);
      expect((await errorOf(malformed)).code).toBe('malformed_json');
      const form = await send({ 'Content-Type': 'application/x-www-form-urlencoded' }, 'a=b');
      expect(form.status).toBe(415);
      expect((await errorOf(form)).code).toBe('unsupported_media_type');
      const charset = await send({ 'Content-Type': 'application/json; charset=utf-8' }, '{}');
      expect(charset.status).toBe(422);
    });

    it('answers 413 for an oversized body', async () => {
      const api = serve({ db });
      const response = await api.post('/register', {
        ...newAccount(),
        padding: 'x'.repeat(20_000),
      });
      expect(response.status).toBe(413);
    });
  });

  describe('wrong credentials', () => {
    it('answers a wrong password and an unknown account with the same 401', async () => {
      const api = serve({ db });
      const { account } = await register(api, newAccount());
      const attempts = [
        { email: account.email, password: 'WrongPass123!' },
        { email: 'nobody@example.com', password: PASSWORD },
        { username: 'nobody', password: PASSWORD },
      ];
      const bodies = [];
      for (const attempt of attempts) {
        const response = await api.post('/login', attempt);
        expect(response.status).toBe(401);
        bodies.push(await response.json());
      }
      expect(bodies[0]).toEqual({
        error: { code: 'invalid_credentials', message: 'Invalid email or password.', fields: [] },
      });
      expect(bodies[1]).toEqual(bodies[0]);
      expect(bodies[2]).toEqual(bodies[0]);
    });

    it('refuses a disabled account with 403, but only to its right password', async () => {
      const api = serve({ db });
      const { account, id, refresh_token, access_token } = await register(api, newAccount());
      await db.query('update users set is_active = false where id = $1', [id]);
      expect(
        (await api.post('/login', { email: account.email, password: 'Wrong123!' })).status,
      ).toBe(401);
      const right = await api.post('/login', { email: account.email, password: PASSWORD });
      expect(right.status).toBe(403);
      expect((await errorOf(right)).code).toBe('account_disabled');
      expect((await api.me(access_token)).status).toBe(403);
      expect((await api.post('/refresh', { refresh_token })).status).toBe(403);
      // The refused refresh revoked the session: its access token is now refused outright.
      expect((await api.me(access_token)).status).toBe(401);
    });
  });

  describe('refresh tokens', () => {
    it('rotates: a refresh returns new tokens and the presented one stops working', async () => {
      const api = serve({ db });
      const { id, refresh_token: first } = await register(api, newAccount());
      const response = await api.post('/refresh', { refresh_token: first });
      expect(response.status).toBe(200);
      const rotated = (await response.json()) as { refresh_token: string; access_token: string };
      expect(rotated).toEqual({
        access_token: expect.any(String),
        refresh_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: 3600,
        user_id: id,
      });
      expect(rotated.refresh_token).not.toBe(first);
      expect((await api.me(rotated.access_token)).status).toBe(200);
      const next = await api.post('/refresh', { refresh_token: rotated.refresh_token });
      expect(next.status).toBe(200);
      api.advance(REFRESH_GRACE_MS);
      const reused = await api.post('/refresh', { refresh_token: first });
      expect(reused.status).toBe(401);
      expect((await errorOf(reused)).code).toBe('invalid_refresh_token');
    });

    it('revokes the whole family when a rotated token is presented again', async () => {
      const api = serve({ db });
      const { account, refresh_token: first } = await register(api, newAccount());
      const other = await login(api, { email: account.email, password: PASSWORD });
      const rotated = (await (await api.post('/refresh', { refresh_token: first })).json()) as {
        refresh_token: string;
      };
      api.advance(REFRESH_GRACE_MS);
      expect((await api.post('/refresh', { refresh_token: first })).status).toBe(401);
      expect((await api.post('/refresh', { refresh_token: rotated.refresh_token })).status).toBe(
        401,
      );
      // Another session of the same user is another family, untouched.
      expect((await api.post('/refresh', { refresh_token: other.refresh_token })).status).toBe(200);
      expect(api.logLines.some((line) => line.includes('presented again'))).toBe(true);
    });

    it('lets two simultaneous refreshes with one token both through (two tabs), within the grace window', async () => {
      const api = serve({ db });
      const { refresh_token } = await register(api, newAccount());
      const responses = await Promise.all([
        api.post('/refresh', { refresh_token }),
        api.post('/refresh', { refresh_token }),
      ]);
      expect(responses.map((r) => r.status)).toEqual([200, 200]);
      const successors = await Promise.all(
        responses.map(async (r) => ((await r.json()) as { refresh_token: string }).refresh_token),
      );
      expect(new Set(successors).size).toBe(2);
      for (const successor of successors) {
        expect((await api.post('/refresh', { refresh_token: successor })).status).toBe(200);
      }
    });

    it('takes a just-rotated token back for 10 seconds, then treats it as stolen', async () => {
      const api = serve({ db });
      const { refresh_token: first } = await register(api, newAccount());
      expect((await api.post('/refresh', { refresh_token: first })).status).toBe(200);
      api.advance(REFRESH_GRACE_MS - 1000);
      const late = await api.post('/refresh', { refresh_token: first });
      expect(late.status).toBe(200);
      const { refresh_token: latest } = (await late.json()) as { refresh_token: string };
      api.advance(1000);
      expect((await api.post('/refresh', { refresh_token: first })).status).toBe(401);
      // Reuse past the window revokes the family: the successors of the grace are gone too.
      expect((await api.post('/refresh', { refresh_token: latest })).status).toBe(401);
    });

    it('prunes refresh-token rows a week after they expire', async () => {
      const api = serve({ db });
      const { refresh_token } = await register(api, newAccount());
      const hash = createHash('sha256').update(refresh_token).digest('hex');
      const store = createSessionStore(db);
      const issued = Date.parse('2025-10-15T12:00:00Z');
      await store.prune(new Date(issued + 30 * DAY + PRUNE_AFTER_EXPIRY_MS - 1000));
      expect(
        await db.query('select 1 from refresh_tokens where token_hash = $1', [hash]),
      ).toHaveLength(1);
      await store.prune(new Date(issued + 30 * DAY + PRUNE_AFTER_EXPIRY_MS));
      expect(
        await db.query('select 1 from refresh_tokens where token_hash = $1', [hash]),
      ).toHaveLength(0);
    });

    it('expires a refresh token 30 days after it was issued', async () => {
      const api = serve({ db });
      const { account, refresh_token: early } = await register(api, newAccount());
      api.advance(30 * DAY - 1000);
      const late = await login(api, { email: account.email, password: PASSWORD });
      expect((await api.post('/refresh', { refresh_token: early })).status).toBe(200);
      api.advance(30 * DAY);
      expect((await api.post('/refresh', { refresh_token: late.refresh_token })).status).toBe(401);
    });

    it('rejects unknown refresh tokens', async () => {
      const api = serve({ db });
      expect((await api.post('/refresh', { refresh_token: 'made-up' })).status).toBe(401);
    });
  });

  describe('access tokens', () => {
    it('expire after one hour', async () => {
      const api = serve({ db });
      const { access_token } = await register(api, newAccount());
      api.advance(HOUR - 1000);
      expect((await api.me(access_token)).status).toBe(200);
      api.advance(1000);
      const expired = await api.me(access_token);
      expect(expired.status).toBe(401);
      expect(expired.headers.get('WWW-Authenticate')).toContain('Bearer');
    });

    it('are refused when tampered with or signed with another secret', async () => {
      const api = serve({ db });
      const { account, access_token } = await register(api, newAccount());
      const [header, payload, signature] = access_token.split('.');
      const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString());
      const forged = Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString(
        'base64url',
      );
      expect((await api.me(`${header}.${forged}.${signature}`)).status).toBe(401);
      const elsewhere = serve({ db, secret: `${SECRET}-elsewhere` });
      const foreign = await login(elsewhere, { email: account.email, password: PASSWORD });
      expect((await api.me(foreign.access_token)).status).toBe(401);
      expect((await api.app.request('/api/v1/auth/me')).status).toBe(401);
    });
  });

  describe('logout', () => {
    it('revokes the session of the presented refresh token', async () => {
      const api = serve({ db });
      const { refresh_token: first } = await register(api, newAccount());
      const rotated = (await (await api.post('/refresh', { refresh_token: first })).json()) as {
        refresh_token: string;
      };
      const response = await api.post('/logout', { refresh_token: rotated.refresh_token });
      expect(response.status).toBe(204);
      expect(await response.text()).toBe('');
      expect((await api.post('/refresh', { refresh_token: rotated.refresh_token })).status).toBe(
        401,
      );
    });

    it('answers 204 for unknown tokens and 422 without one', async () => {
      const api = serve({ db });
      expect((await api.post('/logout', { refresh_token: 'made-up' })).status).toBe(204);
      expect((await api.post('/logout', {})).status).toBe(422);
    });
  });

  describe('rate limits', () => {
    it('allows 5 registrations a minute per address, then 429 with Retry-After', async () => {
      const api = serve({ db, limits: {} });
      for (let i = 0; i < 5; i += 1) {
        // Invalid bodies count too: the limit is checked before anything else.
        expect((await api.post('/register', {}, '198.51.100.1')).status).toBe(422);
      }
      const limited = await api.post('/register', newAccount(), '198.51.100.1');
      expect(limited.status).toBe(429);
      expect(limited.headers.get('Retry-After')).toBe('60');
      expect((await errorOf(limited)).code).toBe('rate_limited');
      expect((await api.post('/register', {}, '198.51.100.2')).status).toBe(422);
      api.advance(60_000);
      expect((await api.post('/register', {}, '198.51.100.1')).status).toBe(422);
    });

    it('allows 10 logins a minute per address', async () => {
      const api = serve({ db, limits: {} });
      for (let i = 0; i < 10; i += 1) {
        expect(
          (await api.post('/login', { email: `x${i}@example.com` }, '198.51.100.3')).status,
        ).toBe(422);
      }
      const limited = await api.post('/login', { email: 'y@example.com' }, '198.51.100.3');
      expect(limited.status).toBe(429);
      expect(limited.headers.get('Retry-After')).toBe('60');
    });

    it('slows wrong passwords from one address with growing delays, never the right one from another', async () => {
      const api = serve({
        db,
        limits: { ...GENEROUS, loginPerAccount: { windowMs: 60_000, max: 5 } },
      });
      const { account } = await register(api, newAccount());
      const wrong = { email: account.email, password: 'Wrong123!' };
      for (let i = 0; i < 6; i += 1) {
        expect((await api.post('/login', wrong, '203.0.113.9')).status).toBe(401);
        api.advance(1000);
      }
      // Six failures: the next attempt from that address waits 2 s after the last one.
      api.advance(-1000);
      const slowed = await api.post('/login', wrong, '203.0.113.9');
      expect(slowed.status).toBe(429);
      expect(slowed.headers.get('Retry-After')).toBe('2');
      // The owner, elsewhere, signs in at once.
      await login(api, { email: account.email, password: PASSWORD });
      // Each further failure doubles the wait: 4 s, then 8 s.
      api.advance(2000);
      expect((await api.post('/login', wrong, '203.0.113.9')).status).toBe(401);
      expect((await api.post('/login', wrong, '203.0.113.9')).headers.get('Retry-After')).toBe('4');
      api.advance(4000);
      expect((await api.post('/login', wrong, '203.0.113.9')).status).toBe(401);
      expect((await api.post('/login', wrong, '203.0.113.9')).headers.get('Retry-After')).toBe('8');
    });

    it('does not count successful logins against the account', async () => {
      const api = serve({
        db,
        limits: { ...GENEROUS, loginPerAccount: { windowMs: 60_000, max: 2 } },
      });
      const { account } = await register(api, newAccount());
      for (let i = 0; i < 5; i += 1) {
        const right = await api.post(
          '/login',
          { email: account.email, password: PASSWORD },
          '203.0.113.10',
        );
        expect(right.status).toBe(200);
      }
    });
  });

  describe('storage', () => {
    it('keeps passwords as argon2id hashes and refresh tokens only as SHA-256', async () => {
      const api = serve({ db });
      const { id, refresh_token } = await register(api, newAccount());
      const rotated = (await (await api.post('/refresh', { refresh_token })).json()) as {
        refresh_token: string;
      };
      const [user] = await db.query<{ password_hash: string }>(
        'select password_hash from users where id = $1',
        [id],
      );
      expect(user?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      expect(user?.password_hash).not.toContain(PASSWORD);
      const rows = await db.query('select * from refresh_tokens where user_id = $1', [id]);
      expect(rows).toHaveLength(2);
      const stored = JSON.stringify(rows);
      expect(stored).not.toContain(refresh_token);
      expect(stored).not.toContain(rotated.refresh_token);
      const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');
      expect(rows.map((row) => row.token_hash).sort()).toEqual(
        [sha256(refresh_token), sha256(rotated.refresh_token)].sort(),
      );
    });

    it('never logs passwords or tokens', async () => {
      const api = serve({ db });
      const { account, refresh_token, access_token } = await register(api, newAccount());
      await api.post('/login', { email: account.email, password: 'WrongPass123!' });
      const session = await login(api, { email: account.email, password: PASSWORD });
      await api.post('/refresh', { refresh_token });
      await api.post('/refresh', { refresh_token });
      const logged = api.logLines.join('\n');
      expect(api.logLines.length).toBeGreaterThan(0);
      for (const secret of [
        PASSWORD,
        'WrongPass123!',
        refresh_token,
        access_token,
        session.refresh_token,
      ]) {
        expect(logged).not.toContain(secret);
      }
    });
  });
});
