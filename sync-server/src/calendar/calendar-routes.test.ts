import { createHash, randomBytes } from 'node:crypto';
import {
  ensureCaldavCalendar,
  ensureRadicaleInstalled,
  type FakeOAuthServer,
  type RadicaleServer,
  startFakeOAuthServer,
  startRadicale,
} from '@tasks/connectors';
import { getSettings, updateSettings, upsertCalendarEvent } from '@tasks/crdt';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenService } from '../auth/token-service.js';
import { testDatabaseKinds } from '../db/test-databases.js';
import { errorResponse } from '../http/http-error.js';
import { createLogger } from '../logger.js';
import { requireAuth } from '../middleware/require-auth/index.js';
import { createDocumentAccess, type DocumentAccess } from '../rest/document-access.js';
import {
  startTestServer,
  TEST_AUTH_SECRET,
  type TestServer,
  type TestUser,
} from '../test-server.js';
import { createCalendarRoutes } from './calendar-routes.js';
import {
  type ConnectionStore,
  createConnectionStore,
  type OAuthProviderName,
} from './connection-store.js';
import { createOAuthClient, type OAuthClient } from './oauth-client.js';
import { createSyncJobQueue, type SyncJobQueue } from './sync-jobs.js';
import { createSyncWorker } from './sync-jobs-worker.js';
import { createTokenCrypto } from './token-crypto.js';

const REDIRECT = 'https://app.example.com/oauth/callback';
const MINUTE = 60_000;
const CALDAV_USER = 'alice';
const CALDAV_PASSWORD = 'radicale-password-1';
const hasRadicale = await ensureRadicaleInstalled();

let radicale: RadicaleServer | null = null;
beforeAll(async () => {
  if (!hasRadicale) return;
  radicale = await startRadicale({ users: { [CALDAV_USER]: CALDAV_PASSWORD } });
  await ensureCaldavCalendar({
    serverUrl: radicale.url,
    username: CALDAV_USER,
    password: CALDAV_PASSWORD,
    calendarPath: `/${CALDAV_USER}/tasks/`,
  });
}, 60_000);
afterAll(async () => {
  await radicale?.close();
});

interface ErrorBody {
  error: { code: string; message: string; fields: { field: string; message: string }[] };
}

describe.each(testDatabaseKinds())('calendar API on %s', (kind) => {
  let harness: TestServer;
  let google: FakeOAuthServer;
  let microsoft: FakeOAuthServer;
  let now = Date.parse('2025-10-06T14:30:00Z');
  const calendarClock = () => new Date(now);
  const logLines: string[] = [];
  const log = createLogger('debug', { destination: { write: (line) => logLines.push(line) } });
  let access: DocumentAccess;
  let connections: ConnectionStore;
  let jobs: SyncJobQueue;
  let oauth: Partial<Record<OAuthProviderName, OAuthClient>>;
  let app: Hono;

  beforeAll(async () => {
    // This test drives the queue with its own worker: the server's must not take its jobs.
    harness = await startTestServer(kind, { calendar: { runJobs: false } });
    google = await startFakeOAuthServer({ clock: calendarClock, accessTokenTtlSeconds: 3600 });
    microsoft = await startFakeOAuthServer({
      clock: calendarClock,
      rotateRefreshTokens: true,
      issuer: 'https://login.example.com/tenant/v2.0',
    });
    const client = (server: FakeOAuthServer, label: string, issuer: string) =>
      createOAuthClient(
        {
          clientId: server.clientId,
          clientSecret: server.clientSecret,
          tokenUrl: server.tokenUrl,
          issuer,
        },
        { providerLabel: label, clock: calendarClock },
      );
    oauth = {
      GOOGLE: client(google, 'Google', 'https://accounts.google.com'),
      MICROSOFT: client(microsoft, 'Microsoft', 'https://login.example.com/tenant/v2.0'),
    };
    const db = harness.db;
    access = createDocumentAccess({ relay: harness.server.relay, db, clock: () => new Date() });
    connections = createConnectionStore({
      db,
      crypto: createTokenCrypto(randomBytes(32)),
      oauth,
      clock: calendarClock,
      log,
    });
    jobs = createSyncJobQueue(db, { clock: calendarClock });
    app = mount(oauth);
  }, 60_000);
  afterAll(async () => {
    await google?.close();
    await microsoft?.close();
    await harness?.dispose();
  });

  /** The calendar sub-app behind requireAuth, as the server mounts its areas. */
  function mount(providers: Partial<Record<OAuthProviderName, OAuthClient>>) {
    const tokens = createTokenService({ secret: TEST_AUTH_SECRET, clock: () => new Date() });
    const hono = new Hono();
    hono.onError((error, c) => errorResponse(error, c, log));
    hono.use('/api/v1/calendar/*', requireAuth(tokens));
    hono.route(
      '/api/v1/calendar',
      createCalendarRoutes({
        access,
        connections,
        oauth: providers,
        jobs,
        clock: calendarClock,
        log,
        // Radicale runs on 127.0.0.1 (connection-caldav-check.test covers the refusal).
        caldavPrivateNetworks: true,
      }),
    );
    return hono;
  }

  const call = (user: TestUser, method: string, path: string, body?: unknown, on = app) =>
    on.request(`/api/v1/calendar${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${user.token}`,
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  async function connectGoogle(user: TestUser) {
    const code = google.issueCode({ redirectUri: REDIRECT, scope: 'calendar.events' });
    const response = await call(user, 'POST', '/connect', {
      provider: 'GOOGLE',
      authorization_code: code,
      redirect_uri: REDIRECT,
      calendar_id: 'primary',
    });
    expect(response.status).toBe(201);
    return (await response.json()) as Record<string, unknown> & { id: string };
  }

  const rawSecrets = async (id: string) =>
    (
      await harness.db.query<Record<string, string | null>>(
        'select access_token, refresh_token, password from calendar_connections where id = $1',
        [id],
      )
    )[0] ?? {};

  describe('connecting', () => {
    it('connects Google through the token endpoint with the spec response, and queues a first sync', async () => {
      const user = await harness.register('google');
      const before = google.requests().length;
      const body = await connectGoogle(user);
      expect(body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        provider: 'GOOGLE',
        provider_account_id: null,
        calendar_id: 'primary',
        server_url: null,
        username: null,
        sync_enabled: true,
        sync_delete_enabled: false,
        sync_status: 'PENDING',
        sync_error: null,
        last_sync_at: null,
        token_expires_at: new Date(now + 3600_000).toISOString(),
        created_at: new Date(now).toISOString(),
        updated_at: new Date(now).toISOString(),
      });
      expect(google.requests().slice(before)).toEqual([
        expect.objectContaining({
          grantType: 'authorization_code',
          clientAuth: 'post',
          status: 200,
        }),
      ]);
      const queued = await harness.db.query(
        'select state from sync_jobs where connection_id = $1',
        [body.id],
      );
      expect(queued).toEqual([{ state: 'queued' }]);
    });

    it('connects Microsoft with PKCE, naming the account from its ID token', async () => {
      const user = await harness.register('microsoft');
      const verifier = randomBytes(32).toString('base64url');
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      const code = microsoft.issueCode({
        redirectUri: REDIRECT,
        codeChallenge: challenge,
        subject: 'entra-user-1',
      });
      const response = await call(user, 'POST', '/connect', {
        provider: 'MICROSOFT',
        authorization_code: code,
        redirect_uri: REDIRECT,
        calendar_id: 'AAMkAGI2TGuLAAA=',
        code_verifier: verifier,
      });
      expect(response.status).toBe(201);
      expect(await response.json()).toMatchObject({
        provider: 'MICROSOFT',
        provider_account_id: 'entra-user-1',
        calendar_id: 'AAMkAGI2TGuLAAA=',
      });
      expect(microsoft.requests().at(-1)).toMatchObject({ hasCodeVerifier: true, status: 200 });
    });

    it('renews a connection the user connects again, from the same account or by its id, and refuses another account', async () => {
      const user = await harness.register('renew');
      const connectAs = async (subject: string, extra: Record<string, string> = {}) => {
        const verifier = randomBytes(32).toString('base64url');
        const challenge = createHash('sha256').update(verifier).digest('base64url');
        const code = microsoft.issueCode({
          redirectUri: REDIRECT,
          codeChallenge: challenge,
          subject,
        });
        return call(user, 'POST', '/connect', {
          provider: 'MICROSOFT',
          authorization_code: code,
          redirect_uri: REDIRECT,
          calendar_id: 'AAMkRenew=',
          code_verifier: verifier,
          ...extra,
        });
      };
      const first = await connectAs('entra-renew');
      expect(first.status).toBe(201);
      const { id } = (await first.json()) as { id: string };
      await harness.db.query(
        "update calendar_connections set sync_status = 'FAILED', sync_error = 'revoked' where id = $1",
        [id],
      );
      const again = await connectAs('entra-renew');
      expect(again.status).toBe(200);
      expect(await again.json()).toMatchObject({ id, sync_status: 'PENDING', sync_error: null });
      const byId = await connectAs('entra-renew', { connection_id: id });
      expect(byId.status).toBe(200);
      const otherAccount = await connectAs('entra-someone-else', { connection_id: id });
      expect(otherAccount.status).toBe(409);
      expect(((await otherAccount.json()) as ErrorBody).error.code).toBe('other_account');
      const otherCalendar = await connectAs('entra-renew', { connection_id: id, calendar_id: 'x' });
      expect(otherCalendar.status).toBe(422);
      expect(((await otherCalendar.json()) as ErrorBody).error.fields).toEqual([
        { field: 'calendar_id', message: "must be the connection's calendar, AAMkRenew=" },
      ]);
      expect((await connections.list(user.userId)).map((c) => c.id)).toEqual([id]);
    });

    it('answers 422 on the authorization code when the provider refuses it', async () => {
      const user = await harness.register('badcode');
      const response = await call(user, 'POST', '/connect', {
        provider: 'GOOGLE',
        authorization_code: 'not-a-code-the-provider-issued',
        redirect_uri: REDIRECT,
        calendar_id: 'primary',
      });
      expect(response.status).toBe(422);
      const { error } = (await response.json()) as ErrorBody;
      expect(error.code).toBe('invalid_authorization_code');
      expect(error.fields.map((f) => f.field)).toEqual(['authorization_code']);
      expect(await connections.list(user.userId)).toEqual([]);
    });

    it('answers 422 for a provider this server has no client for', async () => {
      const user = await harness.register('unconfigured');
      const response = await call(
        user,
        'POST',
        '/connect',
        {
          provider: 'MICROSOFT',
          authorization_code: 'x',
          redirect_uri: REDIRECT,
          calendar_id: 'c',
        },
        mount({ GOOGLE: oauth.GOOGLE as OAuthClient }),
      );
      expect(response.status).toBe(422);
      expect(((await response.json()) as ErrorBody).error).toMatchObject({
        code: 'provider_not_configured',
        fields: [{ field: 'provider' }],
      });
    });

    it('validates the body, naming fields in snake_case', async () => {
      const user = await harness.register('validation');
      const fieldsOf = async (body: unknown) => {
        const response = await call(user, 'POST', '/connect', body);
        expect(response.status).toBe(422);
        return ((await response.json()) as ErrorBody).error.fields.map((f) => f.field).sort();
      };
      expect(await fieldsOf({ provider: 'YAHOO' })).toEqual(['provider']);
      expect(await fieldsOf({ provider: 'GOOGLE', redirect_uri: 'not a url' })).toEqual([
        'authorization_code',
        'calendar_id',
        'redirect_uri',
      ]);
      expect(
        await fieldsOf({
          provider: 'ICAL',
          server_url: 'ftp://dav.example.com/',
          username: '',
          password: 'p',
          calendar_id: '/c/',
          extra: 1,
        }),
      ).toEqual(['extra', 'server_url', 'username']);
      expect(
        await fieldsOf({
          provider: 'GOOGLE',
          authorization_code: 'c',
          redirect_uri: REDIRECT,
          calendar_id: 'primary',
          code_verifier: 'too-short',
        }),
      ).toEqual(['code_verifier']);
    });
  });

  describe.runIf(hasRadicale)('connecting CalDAV (Radicale)', () => {
    const caldavBody = (overrides: Record<string, string> = {}) => ({
      provider: 'ICAL',
      server_url: radicale?.url ?? '',
      username: CALDAV_USER,
      password: CALDAV_PASSWORD,
      calendar_id: `/${CALDAV_USER}/tasks/`,
      ...overrides,
    });

    it('checks the credentials with the server and keeps the password sealed', async () => {
      const user = await harness.register('caldav');
      const response = await call(user, 'POST', '/connect', caldavBody());
      expect(response.status).toBe(201);
      const body = (await response.json()) as Record<string, unknown> & { id: string };
      expect(body).toMatchObject({
        provider: 'ICAL',
        server_url: radicale?.url,
        username: CALDAV_USER,
        calendar_id: `/${CALDAV_USER}/tasks/`,
        sync_status: 'PENDING',
        token_expires_at: null,
      });
      expect(JSON.stringify(body)).not.toContain(CALDAV_PASSWORD);
      const raw = await rawSecrets(body.id);
      expect(raw.password).toMatch(/^v1:/);
      expect(raw.password).not.toContain(CALDAV_PASSWORD);
      expect(await connections.caldavCredentialsFor(body.id)).toMatchObject({
        password: CALDAV_PASSWORD,
      });
      // The same calendar connected again (a changed password): the same connection, renewed.
      const again = await call(user, 'POST', '/connect', caldavBody());
      expect(again.status).toBe(200);
      expect(await again.json()).toMatchObject({ id: body.id });
      expect((await connections.list(user.userId)).map((c) => c.id)).toEqual([body.id]);
    });

    it('answers 422 naming the field to fix: password, calendar or server', async () => {
      const user = await harness.register('caldavbad');
      const errorOf = async (overrides: Record<string, string>) => {
        const response = await call(user, 'POST', '/connect', caldavBody(overrides));
        expect(response.status).toBe(422);
        return ((await response.json()) as ErrorBody).error;
      };
      expect(await errorOf({ password: 'wrong' })).toMatchObject({
        code: 'caldav_unauthorized',
        fields: [{ field: 'password' }],
      });
      expect(await errorOf({ calendar_id: `/${CALDAV_USER}/missing/` })).toMatchObject({
        code: 'caldav_calendar_not_found',
        fields: [{ field: 'calendar_id' }],
      });
      expect(await errorOf({ server_url: 'http://127.0.0.1:9/' })).toMatchObject({
        code: 'caldav_unreachable',
        fields: [{ field: 'server_url' }],
      });
      expect(await connections.list(user.userId)).toEqual([]);
    });
  });

  describe('connections', () => {
    it("lists, reads and deletes the user's connections; another user's ids answer 404", async () => {
      const owner = await harness.register('owner');
      const other = await harness.register('other');
      const first = await connectGoogle(owner);
      const second = await connectGoogle(owner);
      const list = await call(owner, 'GET', '/connections');
      expect(list.status).toBe(200);
      const { connections: listed } = (await list.json()) as { connections: { id: string }[] };
      expect(listed.map((c) => c.id)).toEqual([first.id, second.id]);
      expect(await (await call(other, 'GET', '/connections')).json()).toEqual({ connections: [] });
      expect((await call(owner, 'GET', `/connections/${first.id}`)).status).toBe(200);
      for (const [method, path] of [
        ['GET', `/connections/${first.id}`],
        ['DELETE', `/connections/${first.id}`],
        ['POST', `/sync/${first.id}`],
        ['GET', '/connections/not-a-uuid'],
      ] as const) {
        const response = await call(other, method, path);
        expect(response.status).toBe(404);
        expect(((await response.json()) as ErrorBody).error.code).toBe('not_found');
      }
      expect((await call(owner, 'DELETE', `/connections/${first.id}`)).status).toBe(204);
      expect((await call(owner, 'GET', `/connections/${first.id}`)).status).toBe(404);
      expect((await call(owner, 'DELETE', `/connections/${first.id}`)).status).toBe(404);
      const after = (await (await call(owner, 'GET', '/connections')).json()) as {
        connections: { id: string }[];
      };
      expect(after.connections.map((c) => c.id)).toEqual([second.id]);
    });

    it('keeps tokens unreadable in the database, and out of responses and logs', async () => {
      const user = await harness.register('sealed');
      const code = google.issueCode({ redirectUri: REDIRECT });
      const before = new Set(google.refreshTokens());
      const response = await call(user, 'POST', '/connect', {
        provider: 'GOOGLE',
        authorization_code: code,
        redirect_uri: REDIRECT,
        calendar_id: 'primary',
      });
      const text = await response.text();
      const { id } = JSON.parse(text) as { id: string };
      const refreshToken = google.refreshTokens().find((token) => !before.has(token)) ?? '';
      const accessToken = await connections.accessTokenFor(id);
      expect(refreshToken).not.toBe('');
      expect(google.isAccessTokenValid(accessToken)).toBe(true);
      const raw = await rawSecrets(id);
      const dump = JSON.stringify(
        await harness.db.query('select * from calendar_connections where id = $1', [id]),
      );
      for (const secret of [accessToken, refreshToken, code]) {
        expect(dump).not.toContain(secret);
        expect(text).not.toContain(secret);
        expect(logLines.join('\n')).not.toContain(secret);
      }
      expect(raw.access_token).toMatch(/^v1:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+$/);
      expect(raw.refresh_token).toMatch(/^v1:/);
    });
  });

  describe('switches', () => {
    it('pauses and resumes a connection, and turns event deletion on and off', async () => {
      const user = await harness.register('switches');
      const { id } = await connectGoogle(user);
      const paused = await call(user, 'PATCH', `/connections/${id}`, { sync_enabled: false });
      expect(paused.status).toBe(200);
      expect(await paused.json()).toMatchObject({
        sync_enabled: false,
        sync_delete_enabled: false,
      });
      // The first sync the connect queued is dropped, and nothing can be queued while paused.
      const queued = await harness.db.query(
        `select id from sync_jobs where connection_id = $1 and state = 'queued'`,
        [id],
      );
      expect(queued).toEqual([]);
      const refused = await call(user, 'POST', `/sync/${id}`);
      expect(refused.status).toBe(409);
      expect(((await refused.json()) as ErrorBody).error.code).toBe('sync_paused');
      const resumed = await call(user, 'PATCH', `/connections/${id}`, {
        sync_enabled: true,
        sync_delete_enabled: false,
      });
      expect(await resumed.json()).toMatchObject({
        sync_enabled: true,
        sync_delete_enabled: false,
      });
      expect((await call(user, 'POST', `/sync/${id}`)).status).toBe(202);
    });

    it('answers 422 for an empty or wrong patch, 404 for another user’s connection', async () => {
      const owner = await harness.register('switch-owner');
      const other = await harness.register('switch-other');
      const { id } = await connectGoogle(owner);
      const empty = await call(owner, 'PATCH', `/connections/${id}`, {});
      expect(empty.status).toBe(422);
      const wrong = await call(owner, 'PATCH', `/connections/${id}`, { sync_enabled: 'yes' });
      expect(wrong.status).toBe(422);
      expect(((await wrong.json()) as ErrorBody).error.fields).toEqual([
        { field: 'sync_enabled', message: 'must be true or false' },
      ]);
      const unknown = await call(owner, 'PATCH', `/connections/${id}`, { provider: 'ICAL' });
      expect(unknown.status).toBe(422);
      const theirs = await call(other, 'PATCH', `/connections/${id}`, { sync_enabled: false });
      expect(theirs.status).toBe(404);
    });
  });

  describe('sync jobs', () => {
    it('answers 202 with a job to watch, and the job reaches succeeded', async () => {
      const user = await harness.register('sync');
      const { id } = await connectGoogle(user);
      const response = await call(user, 'POST', `/sync/${id}`);
      expect(response.status).toBe(202);
      const body = (await response.json()) as {
        job_id: string;
        status_url: string;
        estimated_completion: string;
      };
      expect(body).toEqual({
        message: 'Sync initiated',
        job_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        estimated_completion: new Date(now + MINUTE).toISOString(),
        status_url: `/api/v1/calendar/sync/jobs/${body.job_id}`,
      });
      expect(response.headers.get('Location')).toBe(body.status_url);
      // The first sync queued at connect is the same job: never two waiting for one connection.
      const again = (await (await call(user, 'POST', `/sync/${id}`)).json()) as { job_id: string };
      expect(again.job_id).toBe(body.job_id);
      const state = await call(user, 'GET', `/sync/jobs/${body.job_id}`);
      expect(state.status).toBe(200);
      expect(await state.json()).toMatchObject({
        id: body.job_id,
        connection_id: id,
        state: 'queued',
        attempts: 0,
      });
      const stranger = await harness.register('stranger');
      expect((await call(stranger, 'GET', `/sync/jobs/${body.job_id}`)).status).toBe(404);

      const seen: string[] = [];
      const worker = createSyncWorker({
        queue: jobs,
        connections,
        // Jobs of earlier tests' connections run too; only this one's token is checked.
        run: async (job) => {
          if (job.connectionId === id) seen.push(await connections.accessTokenFor(id));
        },
        log,
        clock: calendarClock,
        pollIntervalMs: 20,
      });
      worker.start();
      try {
        const deadline = Date.now() + 10_000;
        let current = 'queued';
        while (current !== 'succeeded' && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 20));
          const read = await call(user, 'GET', `/sync/jobs/${body.job_id}`);
          current = ((await read.json()) as { state: string }).state;
        }
        expect(current).toBe('succeeded');
      } finally {
        await worker.stop();
      }
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.every((token) => google.isAccessTokenValid(token))).toBe(true);
      expect(await (await call(user, 'GET', `/connections/${id}`)).json()).toMatchObject({
        sync_status: 'SUCCESS',
        last_sync_at: new Date(now).toISOString(),
      });
    });

    it('refreshes the token before it expires', async () => {
      const user = await harness.register('refresh');
      const { id } = await connectGoogle(user);
      const first = await connections.accessTokenFor(id);
      now += 56 * MINUTE;
      const refreshed = await connections.accessTokenFor(id);
      expect(refreshed).not.toBe(first);
      expect(google.isAccessTokenValid(refreshed)).toBe(true);
      const shown = (await (await call(user, 'GET', `/connections/${id}`)).json()) as {
        token_expires_at: string;
      };
      expect(shown.token_expires_at).toBe(new Date(now + 3600_000).toISOString());
    });

    it('shows FAILED with a readable sync_error once the refresh token is revoked', async () => {
      const user = await harness.register('revoked');
      const before = new Set(google.refreshTokens());
      const { id } = await connectGoogle(user);
      const refreshToken = google.refreshTokens().find((token) => !before.has(token)) ?? '';
      google.revoke(refreshToken);
      now += 3600_000;
      await expect(connections.accessTokenFor(id)).rejects.toThrow('reconnect the calendar');
      expect(await (await call(user, 'GET', `/connections/${id}`)).json()).toMatchObject({
        sync_status: 'FAILED',
        sync_error: expect.stringContaining('invalid_grant'),
      });
    });
  });

  describe('events', () => {
    it('lists the mirrored events overlapping the range, in the spec shape', async () => {
      const user = await harness.register('events');
      const { id } = await connectGoogle(user);
      await access.use(user.userId, [], (docs) => {
        upsertCalendarEvent(docs, {
          connectionId: id,
          eventId: 'evt-1',
          title: 'Team meeting',
          start: '2025-10-10T10:00:00.000Z',
          end: '2025-10-10T11:00:00.000Z',
          allDay: false,
          source: 'GOOGLE',
          taskId: null,
        });
        upsertCalendarEvent(docs, {
          connectionId: id,
          eventId: 'evt-2',
          title: 'Next month',
          start: '2025-11-10T10:00:00.000Z',
          end: '2025-11-10T11:00:00.000Z',
          allDay: false,
          source: 'GOOGLE',
          taskId: null,
        });
      });
      const response = await call(user, 'GET', '/events?start_date=2025-10-01&end_date=2025-10-31');
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        events: [
          {
            id: `${id}:evt-1`,
            series_id: `${id}:evt-1`,
            title: 'Team meeting',
            start_time: '2025-10-10T10:00:00.000Z',
            end_time: '2025-10-10T11:00:00.000Z',
            all_day: false,
            source: 'GOOGLE',
            task_id: null,
          },
        ],
      });
      const other = await harness.register('noevents');
      expect(
        await (
          await call(other, 'GET', '/events?start_date=2025-10-01&end_date=2025-10-31')
        ).json(),
      ).toEqual({ events: [] });
      await access.use(user.userId, [], (docs) =>
        updateSettings(docs, { scheduling: { blocksCalendarConnectionId: id } }),
      );
      expect((await call(user, 'DELETE', `/connections/${id}`)).status).toBe(204);
      expect(
        await (await call(user, 'GET', '/events?start_date=2025-10-01&end_date=2025-12-31')).json(),
      ).toEqual({ events: [] });
      // It no longer receives planned blocks either: the setting names none (the first).
      expect(
        await access.use(
          user.userId,
          [],
          (docs) => getSettings(docs).scheduling.blocksCalendarConnectionId,
        ),
      ).toBeNull();
    });

    it('lists each occurrence of a recurring event with its own id, start and end', async () => {
      const user = await harness.register('series');
      const { id } = await connectGoogle(user);
      await access.use(user.userId, [], (docs) => {
        // Mondays 10:00 in Berlin since January (CEST from 29 March); the 23 March meeting moved
        // to Tuesday, the 6 April one cancelled.
        upsertCalendarEvent(docs, {
          connectionId: id,
          eventId: 'weekly',
          title: 'Weekly sync',
          start: '2026-01-05T09:00:00.000Z',
          end: '2026-01-05T09:30:00.000Z',
          allDay: false,
          source: 'GOOGLE',
          taskId: null,
          series: {
            rule: 'FREQ=WEEKLY;BYDAY=MO',
            timeZone: 'Europe/Berlin',
            exceptions: ['2026-04-06T08:00:00Z'],
            overrides: [
              {
                originalStart: '2026-03-23T09:00:00Z',
                start: '2026-03-24T13:00:00Z',
                end: '2026-03-24T13:30:00Z',
                title: 'Weekly sync (Tuesday)',
              },
            ],
          },
        });
      });
      const response = await call(user, 'GET', '/events?start_date=2026-03-16&end_date=2026-04-12');
      expect(response.status).toBe(200);
      const { events } = (await response.json()) as { events: Record<string, unknown>[] };
      const occurrence = (original: string, title: string, start: string, end: string) => ({
        id: `${id}:weekly@${original}`,
        series_id: `${id}:weekly`,
        title,
        start_time: start,
        end_time: end,
        all_day: false,
        source: 'GOOGLE',
        task_id: null,
      });
      expect(events).toEqual([
        occurrence(
          '2026-03-16T09:00:00Z',
          'Weekly sync',
          '2026-03-16T09:00:00.000Z',
          '2026-03-16T09:30:00.000Z',
        ),
        occurrence(
          '2026-03-23T09:00:00Z',
          'Weekly sync (Tuesday)',
          '2026-03-24T13:00:00.000Z',
          '2026-03-24T13:30:00.000Z',
        ),
        occurrence(
          '2026-03-30T08:00:00Z',
          'Weekly sync',
          '2026-03-30T08:00:00.000Z',
          '2026-03-30T08:30:00.000Z',
        ),
      ]);
    });

    it('answers 422 for a missing or reversed range', async () => {
      const user = await harness.register('badrange');
      const fieldsOf = async (query: string) => {
        const response = await call(user, 'GET', `/events${query}`);
        expect(response.status).toBe(422);
        return ((await response.json()) as ErrorBody).error.fields.map((f) => f.field).sort();
      };
      expect(await fieldsOf('')).toEqual(['end_date', 'start_date']);
      expect(await fieldsOf('?start_date=2025-10-31&end_date=2025-10-01')).toEqual(['end_date']);
      expect(await fieldsOf('?start_date=yesterday&end_date=2025-10-01')).toEqual(['start_date']);
    });
  });
});
