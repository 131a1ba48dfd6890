import { createHash, randomBytes } from 'node:crypto';
import {
  type FakeGoogleCalendar,
  type FakeOAuthServer,
  startFakeGoogleCalendar,
  startFakeOAuthServer,
} from '@tasks/connectors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { testDatabaseKinds } from '../db/test-databases.js';
import { callApi, startTestServer, type TestServer, type TestUser } from '../test-server.js';
import { until } from '../test-support/until.js';
import { parseScrape, type Scrape } from './prometheus-text.js';

/**
 * A scripted session against a real server (sign up, a failed login, REST calls, two devices
 * syncing one document, a calendar sync on the fake Google), then a scrape of /metrics: every
 * figure is there with the count the session produced.
 */
const METRICS_TOKEN = 'metrics-token-metrics-token-0123456789';

describe.each(testDatabaseKinds())('/metrics after a scripted session on %s', (kind) => {
  let ts: TestServer;
  let oauth: FakeOAuthServer;
  let google: FakeGoogleCalendar;
  let admin: TestUser;
  const providers: WebsocketProvider[] = [];
  /** Access tokens the fake Google answers 401 to, as if the grant had been revoked. */
  const issued = new Set<string>();
  const dropped = new Set<string>();

  const scrape = async (): Promise<Scrape> => {
    const response = await fetch(`${ts.url}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    return parseScrape(await response.text());
  };

  const device = (user: TestUser, doc: Y.Doc) => {
    const provider = new WebsocketProvider(ts.wsUrl, user.userId, doc, {
      WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
      params: { token: user.token },
      disableBc: true,
    });
    providers.push(provider);
    return provider;
  };

  beforeAll(async () => {
    oauth = await startFakeOAuthServer({
      issuer: 'https://accounts.fake.test',
      newAccessToken: () => {
        const token = `at-${randomBytes(16).toString('hex')}`;
        issued.add(token);
        return token;
      },
    });
    google = await startFakeGoogleCalendar({
      acceptToken: (token) => oauth.isAccessTokenValid(token) && !dropped.has(token),
    });
    ts = await startTestServer(kind, {
      config: {
        METRICS_TOKEN,
        // Two logins a minute per address: the third is refused (429).
        AUTH_LOGIN_PER_MINUTE: '2',
        GOOGLE_CLIENT_ID: oauth.clientId,
        GOOGLE_CLIENT_SECRET: oauth.clientSecret ?? '',
        GOOGLE_TOKEN_URL: oauth.tokenUrl,
        GOOGLE_ISSUER: 'https://accounts.fake.test',
        GOOGLE_API_URL: google.url,
      },
      // Only the connection's first sync runs: document changes would queue more after 10 min.
      calendar: { workerPollMs: 50, changeDelayMs: 600_000 },
    });
    admin = await ts.register('admin');
  }, 60_000);

  afterAll(async () => {
    for (const provider of providers) provider.destroy();
    await ts?.dispose();
    await google?.close();
    await oauth?.close();
  });

  it('is refused without the token or with a wrong one, in constant-time comparison', async () => {
    expect((await fetch(`${ts.url}/metrics`)).status).toBe(401);
    const wrong = await fetch(`${ts.url}/metrics`, {
      headers: { authorization: `Bearer ${METRICS_TOKEN.slice(0, -1)}x` },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('counts failed logins as auth failures and refused ones as rate-limit rejections', async () => {
    const login = () =>
      fetch(`${ts.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'nobody@example.com', password: 'wrong password' }),
      });
    expect((await login()).status).toBe(401);
    expect((await login()).status).toBe(401);
    expect((await login()).status).toBe(429);
    const metrics = await scrape();
    const route = '/api/v1/auth/login';
    expect(metrics.value('tasks_auth_failures_total', { route })).toBe(2);
    expect(metrics.value('tasks_rate_limit_rejections_total', { route })).toBe(1);
    expect(
      metrics.value('tasks_http_requests_total', { route, method: 'POST', status: '401' }),
    ).toBe(2);
    expect(
      metrics.value('tasks_http_requests_total', { route, method: 'POST', status: '429' }),
    ).toBe(1);
    expect(metrics.value('tasks_http_request_duration_seconds_count', { route })).toBe(3);
  });

  it('counts websocket upgrades refused for a bad token as auth failures', async () => {
    const refused = new Promise<number>((resolve) => {
      const socket = new WebSocket(`${ts.wsUrl}/${admin.userId}?token=not-a-token`);
      socket.on('unexpected-response', (_request, response) => resolve(response.statusCode ?? 0));
      socket.on('error', () => undefined);
    });
    expect(await refused).toBe(401);
    const metrics = await scrape();
    expect(metrics.value('tasks_auth_failures_total', { route: '/sync/:room' })).toBe(1);
  });

  it('counts REST requests by route pattern, never by raw path', async () => {
    const ids: string[] = [];
    for (const title of ['one', 'two']) {
      const reply = await callApi<{ id: string }>(ts, admin, 'POST', '/tasks', { title });
      expect(reply.status).toBe(201);
      ids.push(reply.body.id);
    }
    for (const id of ids) {
      expect((await callApi(ts, admin, 'GET', `/tasks/${id}`)).status).toBe(200);
    }
    const metrics = await scrape();
    const route = '/api/v1/tasks/:id';
    expect(
      metrics.value('tasks_http_requests_total', { route, method: 'GET', status: '200' }),
    ).toBe(2);
    expect(
      metrics.value('tasks_http_requests_total', {
        route: '/api/v1/tasks',
        method: 'POST',
        status: '201',
      }),
    ).toBe(2);
    const paths = metrics.samples.map((sample) => sample.labels.route ?? '');
    for (const id of ids) expect(paths.some((path) => path.includes(id))).toBe(false);
    expect(metrics.value('tasks_doc_cache_bytes')).toBeGreaterThan(0);
  });

  it('counts updates received, committed and relayed, with commit and fan-out timings', async () => {
    const docA = new Y.Doc();
    const docB = new Y.Doc();
    const a = device(admin, docA);
    const b = device(admin, docB);
    await until('devices synced', async () => a.synced && b.synced, 10_000);
    const before = await scrape();
    expect(before.value('tasks_websocket_connections')).toBe(2);
    expect(before.value('tasks_rooms')).toBeGreaterThanOrEqual(1);
    for (let i = 0; i < 3; i += 1) {
      docA.getMap('edits').set(`e${i}`, i);
      await until(`edit ${i} on B`, async () => docB.getMap('edits').get(`e${i}`) === i, 10_000);
    }
    // A REST write reaches both devices.
    expect((await callApi(ts, admin, 'POST', '/tasks', { title: 'three' })).status).toBe(201);
    await until('the REST task on device B', async () => docB.getMap('tasks').size === 3, 10_000);
    await ts.server.relay.flush();
    const after = await scrape();
    const delta = (name: string) => (after.value(name) ?? 0) - (before.value(name) ?? 0);
    expect(delta('tasks_updates_received_total')).toBe(3);
    expect(delta('tasks_updates_committed_total')).toBe(4);
    expect(delta('tasks_updates_relayed_total')).toBe(3 + 2);
    expect(delta('tasks_fanout_duration_seconds_count')).toBe(4);
    const batches = delta('tasks_commit_batch_updates_count');
    expect(batches).toBeGreaterThanOrEqual(1);
    expect(batches).toBeLessThanOrEqual(4);
    expect(delta('tasks_commit_batch_updates_sum')).toBe(4);
    expect(delta('tasks_commit_duration_seconds_count')).toBe(batches);
    expect(after.value('tasks_uncommitted_bytes')).toBe(0);
    expect(after.value('tasks_uncommitted_updates')).toBe(0);
    expect(after.value('tasks_commit_failures_total')).toBe(0);
  });

  it('counts a calendar sync on the fake Google by provider and outcome, with its duration', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const code = oauth.issueCode({
      redirectUri: 'http://127.0.0.1/callback',
      codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
    });
    const reply = await callApi<{ id: string }>(ts, admin, 'POST', '/calendar/connect', {
      provider: 'GOOGLE',
      authorization_code: code,
      redirect_uri: 'http://127.0.0.1/callback',
      calendar_id: 'primary',
      code_verifier: verifier,
    });
    expect(reply.status).toBe(201);
    const labels = { provider: 'google', outcome: 'success' };
    const metrics = await until(
      'the first sync counted',
      async () => {
        const scraped = await scrape();
        return scraped.value('tasks_calendar_syncs_total', labels) === 1 && scraped;
      },
      15_000,
    );
    expect(metrics.value('tasks_calendar_sync_duration_seconds_count', labels)).toBe(1);
    expect(metrics.value('tasks_calendar_syncs_total', { outcome: 'failure' })).toBeUndefined();
    expect(metrics.value('tasks_calendar_connections_failing')).toBe(0);
    // The next poll waits 15 minutes: nothing of the calendar queue is due.
    expect(metrics.value('tasks_job_queue_depth', { queue: 'calendar_sync' })).toBe(0);
    for (const queue of ['reminder', 'email']) {
      expect(metrics.value('tasks_job_queue_depth', { queue })).toBe(0);
      expect(metrics.value('tasks_job_queue_oldest_age_seconds', { queue })).toBe(0);
    }

    // The grant is revoked: the next sync fails for good, and the connection counts as failing.
    for (const token of oauth.refreshTokens()) oauth.revoke(token);
    for (const token of issued) dropped.add(token);
    expect((await callApi(ts, admin, 'POST', `/calendar/sync/${reply.body.id}`)).status).toBe(202);
    const failure = { provider: 'google', outcome: 'failure' };
    const failed = await until(
      'the failed sync counted',
      async () => {
        const scraped = await scrape();
        // The connection is marked failing in the database a moment before the sync that
        // failed is counted (when it ends): both, then.
        return (
          scraped.value('tasks_calendar_connections_failing') === 1 &&
          scraped.value('tasks_calendar_syncs_total', failure) !== undefined &&
          scraped
        );
      },
      15_000,
    );
    expect(failed.value('tasks_calendar_syncs_total', failure)).toBe(1);
    expect(failed.value('tasks_calendar_sync_duration_seconds_count', failure)).toBe(1);
    expect(failed.value('tasks_calendar_syncs_total', labels)).toBe(1);
  });

  it('reports process memory and event-loop delay', async () => {
    const metrics = await scrape();
    expect(metrics.value('tasks_process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(metrics.value('tasks_nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(metrics.has('tasks_nodejs_eventloop_lag_p99_seconds')).toBe(true);
    expect(metrics.value('tasks_doc_cache_evictions_total')).toBe(0);
    expect(metrics.families.get('tasks_reminders_sent_total')).toBe('counter');
  });
});
