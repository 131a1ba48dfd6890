import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import {
  createCaldavCalendarProvider,
  ensureCaldavCalendar,
  ensureRadicaleInstalled,
  type FakeGoogleCalendar,
  type FakeGraphCalendar,
  type FakeOAuthServer,
  type RadicaleServer,
  startFakeGoogleCalendar,
  startFakeGraphCalendar,
  startFakeOAuthServer,
  startRadicale,
} from '@tasks/connectors';
import { updateSettings } from '@tasks/crdt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../db/test-databases.js';
import { createDocumentAccess } from '../rest/document-access.js';
import { callApi, startTestServer, type TestServer, type TestUser } from '../test-server.js';

/**
 * The bridge as `pnpm start` runs it: a connection made through the API with a real token
 * exchange, the worker syncing it, a task edited over REST reaching the provider, the provider's
 * push reaching the document, token refresh on a 401, a revoked grant failing the connection,
 * the next poll queued in Postgres.
 */

interface Connection {
  id: string;
  sync_status: 'PENDING' | 'SUCCESS' | 'FAILED';
  sync_error: string | null;
  last_sync_at: string | null;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function until<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  ms = 15_000,
) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

const inDays = (days: number) =>
  new Date(Date.now() + days * 24 * 3600_000).toISOString().slice(0, 10);

describe.each(testDatabaseKinds())('the calendar bridge running in the server on %s', (kind) => {
  let ts: TestServer;
  let oauth: FakeOAuthServer;
  let google: FakeGoogleCalendar;
  let graph: FakeGraphCalendar;
  let radicale: RadicaleServer | null = null;
  /** Access tokens the fake APIs answer 401 to, as if the provider had dropped them. */
  const dropped = new Set<string>();
  const issued = new Set<string>();
  const accept = (token: string) => oauth.isAccessTokenValid(token) && !dropped.has(token);
  const redirectUri = 'http://127.0.0.1/callback';

  beforeAll(async () => {
    oauth = await startFakeOAuthServer({
      // Codes issued with a subject bring an ID token naming the account.
      issuer: 'https://accounts.fake.test',
      accessTokenTtlSeconds: 3600,
      newAccessToken: () => {
        const token = `at-${randomBytes(16).toString('hex')}`;
        issued.add(token);
        return token;
      },
    });
    google = await startFakeGoogleCalendar({ acceptToken: accept });
    graph = await startFakeGraphCalendar({ acceptToken: accept });
    if (await ensureRadicaleInstalled()) radicale = await startRadicale();
    const port = await freePort();
    ts = await startTestServer(kind, {
      config: {
        PORT: String(port),
        PUBLIC_URL: `http://127.0.0.1:${port}`,
        GOOGLE_CLIENT_ID: oauth.clientId,
        GOOGLE_CLIENT_SECRET: oauth.clientSecret ?? '',
        GOOGLE_TOKEN_URL: oauth.tokenUrl,
        GOOGLE_ISSUER: 'https://accounts.fake.test',
        GOOGLE_API_URL: google.url,
        MICROSOFT_CLIENT_ID: oauth.clientId,
        MICROSOFT_CLIENT_SECRET: oauth.clientSecret ?? '',
        MICROSOFT_TOKEN_URL: oauth.tokenUrl,
        MICROSOFT_GRAPH_URL: graph.url,
      },
      calendar: { workerPollMs: 50, changeDelayMs: 200 },
    });
  }, 60_000);

  afterAll(async () => {
    await ts?.dispose();
    await google?.close();
    await graph?.close();
    await radicale?.close();
    await oauth?.close();
  });

  async function connect(
    user: TestUser,
    provider: 'GOOGLE' | 'MICROSOFT',
    calendarId: string,
    account: { subject?: string; expectStatus?: number } = {},
  ): Promise<Connection> {
    const { verifier, challenge } = pkce();
    const code = oauth.issueCode({
      redirectUri,
      codeChallenge: challenge,
      ...(account.subject ? { subject: account.subject } : {}),
    });
    const reply = await callApi<Connection>(ts, user, 'POST', '/calendar/connect', {
      provider,
      authorization_code: code,
      redirect_uri: redirectUri,
      calendar_id: calendarId,
      code_verifier: verifier,
    });
    expect(reply.status).toBe(account.expectStatus ?? 201);
    return reply.body;
  }

  const connectionOf = async (user: TestUser, id: string) =>
    (await callApi<Connection>(ts, user, 'GET', `/calendar/connections/${id}`)).body;

  const synced = (user: TestUser, id: string, after: string | null = null) =>
    until(`connection ${id} to sync`, async () => {
      const connection = await connectionOf(user, id);
      if (connection.sync_status === 'FAILED')
        throw new Error(`sync failed: ${connection.sync_error}`);
      return (
        connection.sync_status === 'SUCCESS' &&
        connection.last_sync_at !== null &&
        (after === null || connection.last_sync_at > after) &&
        connection
      );
    });

  const googleEventOf = (taskId: string) =>
    google
      .events()
      .filter(
        (event) =>
          event.status !== 'cancelled' && event.extendedProperties?.private?.taskId === taskId,
      );

  it('tells the app how to start each OAuth flow', async () => {
    const user = await ts.register('providers');
    const reply = await callApi<{ providers: Record<string, unknown>[] }>(
      ts,
      user,
      'GET',
      '/calendar/providers',
    );
    expect(reply.status).toBe(200);
    expect(reply.body.providers).toEqual([
      expect.objectContaining({
        provider: 'GOOGLE',
        configured: true,
        client_id: oauth.clientId,
        authorization_url: 'https://accounts.google.com/o/oauth2/v2/auth',
        extra_params: { access_type: 'offline', prompt: 'consent' },
      }),
      expect.objectContaining({ provider: 'MICROSOFT', configured: true }),
      { provider: 'ICAL', configured: true },
    ]);
  });

  it('connects Google, syncs a REST-made task to an event, and mirrors a pushed event', async () => {
    const user = await ts.register('google');
    const connection = await connect(user, 'GOOGLE', google.calendarId);
    const first = await synced(user, connection.id);

    // The first sync opened a push channel to our webhook.
    await until('a watch channel', async () => google.channels().length > 0);

    // A task with a date, written over REST: the document change queues a sync.
    const task = await callApi<{ id: string }>(ts, user, 'POST', '/tasks', {
      title: 'Dentist',
      due_date: inDays(3),
    });
    expect(task.status).toBe(201);
    const [event] = await until('the task to become an event', async () => {
      const events = googleEventOf(task.body.id);
      return events.length === 1 && events;
    });
    expect(event?.summary).toBe('Dentist');
    const linked = await until('the task to show its event id', async () => {
      const read = await callApi<{ calendar_event_id: string | null }>(
        ts,
        user,
        'GET',
        `/tasks/${task.body.id}`,
      );
      return read.body.calendar_event_id === event?.id && read.body;
    });
    expect(linked.calendar_event_id).toBe(event?.id);

    // Someone adds a meeting in Google; Google pushes; the bridge pulls and mirrors it.
    const start = `${inDays(2)}T09:00:00Z`;
    google.seedEvent({
      id: 'standup0meeting',
      summary: 'Standup',
      start: { dateTime: start, timeZone: 'UTC' },
      end: { dateTime: `${inDays(2)}T09:15:00Z`, timeZone: 'UTC' },
    });
    const deliveries = await google.notifyWatchers('exists');
    expect(deliveries.map((delivery) => delivery.status)).toEqual([200]);
    const mirrored = await until('the pushed event in the calendar view', async () => {
      const events = await callApi<{ events: { id: string; title: string }[] }>(
        ts,
        user,
        'GET',
        `/calendar/events?start_date=${inDays(0)}&end_date=${inDays(10)}`,
      );
      return events.body.events.find((candidate) => candidate.title === 'Standup');
    });
    expect(mirrored.title).toBe('Standup');
    // The pushed sync is recorded on the connection (once it has finished).
    await synced(user, connection.id, first.last_sync_at);

    // The next poll waits in Postgres, 15 minutes after the last sync.
    // (queued once the sync that mirrored the event has finished: the mirror shows before)
    const poll = await until('the next poll to be queued', async () => {
      const [row] = await ts.db.query<{ run_after: Date | string }>(
        `select run_after from sync_jobs where connection_id = $1 and state = 'queued'`,
        [connection.id],
      );
      return row;
    });
    const wait = new Date(poll.run_after).getTime() - Date.now();
    expect(wait).toBeGreaterThan(14 * 60_000);
    expect(wait).toBeLessThanOrEqual(15 * 60_000);
  }, 60_000);

  it('turns an event into a task only when it matches the user’s import setting', async () => {
    const user = await ts.register('import');
    const connection = await connect(user, 'GOOGLE', google.calendarId);
    const first = await synced(user, connection.id);
    const access = createDocumentAccess({
      relay: ts.server.relay,
      db: ts.db,
      clock: () => new Date(),
    });
    await access.use(user.userId, [], (docs) =>
      updateSettings(docs, { calendarImport: 'keyword' }),
    );
    const day = inDays(5);
    for (const [id, summary] of [
      ['payrent0', 'Pay rent #task'],
      ['teamlunch0', 'Team lunch'],
    ] as const) {
      google.seedEvent({
        id,
        summary,
        start: { dateTime: `${day}T12:00:00Z`, timeZone: 'UTC' },
        end: { dateTime: `${day}T13:00:00Z`, timeZone: 'UTC' },
      });
    }
    await google.notifyWatchers('exists');
    await synced(user, connection.id, first.last_sync_at);
    const tasks = await until('the marked event to become a task', async () => {
      const list = await callApi<{ items: { title: string; calendar_event_id: string | null }[] }>(
        ts,
        user,
        'GET',
        '/tasks?limit=100',
      );
      return list.body.items.some((task) => task.title === 'Pay rent #task') && list.body.items;
    });
    expect(tasks.map((task) => [task.title, task.calendar_event_id])).toEqual([
      ['Pay rent #task', 'payrent0'],
    ]);
  }, 60_000);

  it('refuses a forged push notification', async () => {
    const [channel] = google.channels();
    const forged = await fetch(`${ts.url}/api/v1/webhooks/calendar/google`, {
      method: 'POST',
      headers: {
        'x-goog-channel-id': channel?.id ?? 'none',
        'x-goog-channel-token': 'not-the-secret',
        'x-goog-resource-state': 'exists',
      },
    });
    expect(forged.status).toBe(404);
    const graphForged = await fetch(`${ts.url}/api/v1/webhooks/calendar/microsoft`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        value: [{ subscriptionId: 'x', clientState: 'y', changeType: 'updated' }],
      }),
    });
    expect(graphForged.status).toBe(202);
    const garbage = await fetch(`${ts.url}/api/v1/webhooks/calendar/microsoft`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"value": 3}',
    });
    expect(garbage.status).toBe(400);
  });

  it('refreshes the access token once the provider answers 401, and goes on', async () => {
    const user = await ts.register('refresh');
    const connection = await connect(user, 'GOOGLE', google.calendarId);
    const first = await synced(user, connection.id);
    const refreshesBefore = oauth.requests().filter((r) => r.grantType === 'refresh_token').length;
    const droppedBefore = dropped.size;
    // Every access token issued so far stops working at the API (not at the token endpoint).
    dropIssuedTokens();
    expect(dropped.size).toBeGreaterThan(droppedBefore);
    const sync = await callApi<{ job_id: string }>(
      ts,
      user,
      'POST',
      `/calendar/sync/${connection.id}`,
    );
    expect(sync.status).toBe(202);
    await synced(user, connection.id, first.last_sync_at);
    const refreshes = oauth.requests().filter((r) => r.grantType === 'refresh_token').length;
    expect(refreshes).toBeGreaterThan(refreshesBefore);
  }, 60_000);

  it('fails a connection whose grant was revoked, with a message saying to reconnect, and reconnecting repairs it', async () => {
    const user = await ts.register('revoked');
    const connection = await connect(user, 'GOOGLE', google.calendarId, { subject: 'revoked-1' });
    await callApi(ts, user, 'POST', '/tasks', {
      title: 'Renew passport',
      due_date: new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10),
    });
    const ownEvents = () =>
      google
        .events()
        .filter((event) => event.summary === 'Renew passport' && event.status !== 'cancelled');
    await until('the task to reach Google', async () => ownEvents().length === 1);
    await synced(user, connection.id);
    for (const token of oauth.refreshTokens()) oauth.revoke(token);
    dropIssuedTokens();
    const sync = await callApi<{ job_id: string; status_url: string }>(
      ts,
      user,
      'POST',
      `/calendar/sync/${connection.id}`,
    );
    const failed = await until('the connection to fail', async () => {
      const current = await connectionOf(user, connection.id);
      return current.sync_status === 'FAILED' && current;
    });
    expect(failed.sync_error).toMatch(/reconnect/i);
    const job = await callApi<{ state: string; attempts: number }>(
      ts,
      user,
      'GET',
      `/calendar/sync/jobs/${sync.body.job_id}`,
    );
    // Only the user can fix it: no retries.
    expect(job.body).toMatchObject({ state: 'failed', attempts: 1 });

    // Connecting the same Google account's calendar again renews this connection (links kept):
    // no second connection, no second event.
    const again = await connect(user, 'GOOGLE', google.calendarId, {
      subject: 'revoked-1',
      expectStatus: 200,
    });
    expect(again).toMatchObject({ id: connection.id, sync_status: 'PENDING', sync_error: null });
    await synced(user, connection.id, failed.last_sync_at);
    const list = await callApi<{ connections: Connection[] }>(
      ts,
      user,
      'GET',
      '/calendar/connections',
    );
    expect(list.body.connections.map((c) => c.id)).toEqual([connection.id]);
    expect(ownEvents()).toHaveLength(1);
  }, 60_000);

  it('connects Outlook: subscribes with a validated webhook and syncs on its notifications', async () => {
    const user = await ts.register('outlook');
    const connection = await connect(user, 'MICROSOFT', graph.calendarId);
    await synced(user, connection.id);
    const [subscription] = await until('a Graph subscription', async () => {
      const subscriptions = graph.subscriptions();
      return subscriptions.length > 0 && subscriptions;
    });
    expect(subscription?.notificationUrl).toBe(`${ts.url}/api/v1/webhooks/calendar/microsoft`);

    const start = `${inDays(4)}T13:00:00`;
    graph.insertEvent({
      subject: 'Lunch with Sam',
      start: { dateTime: start, timeZone: 'UTC' },
      end: { dateTime: `${inDays(4)}T14:00:00`, timeZone: 'UTC' },
    });
    await graph.settled();
    expect(graph.deliveries().at(-1)?.status).toBe(202);
    const mirrored = await until('the notified event in the calendar view', async () => {
      const events = await callApi<{ events: { title: string }[] }>(
        ts,
        user,
        'GET',
        `/calendar/events?start_date=${inDays(0)}&end_date=${inDays(10)}`,
      );
      return events.body.events.find((candidate) => candidate.title === 'Lunch with Sam');
    });
    expect(mirrored.title).toBe('Lunch with Sam');
  }, 60_000);

  it('connects a CalDAV calendar after checking it, and syncs a task to it', async () => {
    if (!radicale) throw new Error('Radicale is not installed (see connectors/scripts)');
    const user = await ts.register('caldav');
    const target = {
      serverUrl: radicale.url,
      username: 'alice',
      password: 'wonderland',
      calendarPath: '/alice/work/',
    };
    await ensureCaldavCalendar(target);
    const wrong = await callApi(ts, user, 'POST', '/calendar/connect', {
      provider: 'ICAL',
      server_url: radicale.url,
      username: 'alice',
      password: 'wonderland',
      calendar_id: '/alice/nothing-here/',
    });
    expect(wrong.status).toBe(422);
    const reply = await callApi<Connection>(ts, user, 'POST', '/calendar/connect', {
      provider: 'ICAL',
      server_url: radicale.url,
      username: 'alice',
      password: 'wonderland',
      calendar_id: '/alice/work/',
    });
    expect(reply.status).toBe(201);
    await synced(user, reply.body.id);
    const task = await callApi<{ id: string }>(ts, user, 'POST', '/tasks', {
      title: 'File the taxes',
      due_date: inDays(6),
    });
    const reader = createCaldavCalendarProvider(target);
    const event = await until('the task on the CalDAV server', async () => {
      const pulled = await reader.pullChanges(null);
      return pulled.changed.find((candidate) => candidate.taskId === task.body.id);
    });
    expect(event).toMatchObject({ summary: 'File the taxes', end: { date: inDays(7) } });
  }, 60_000);

  it('keeps queued syncs across a restart and runs them after it', async () => {
    const user = await ts.register('restart');
    const connection = await connect(user, 'GOOGLE', google.calendarId);
    const first = await synced(user, connection.id);
    await ts.stop();
    // While the server is down, a sync is asked for (as another server would queue it, by its
    // clock: the database's own `now()` may be another time than the servers' clock).
    await ts.db.query(
      `update sync_jobs set run_after = $2 where connection_id = $1 and state = 'queued'`,
      [connection.id, new Date()],
    );
    await ts.restart();
    await synced(user, connection.id, first.last_sync_at);
  }, 60_000);

  it('disconnects: the connection, its jobs and its mirrored events are gone', async () => {
    const user = await ts.register('disconnect');
    const connection = await connect(user, 'GOOGLE', google.calendarId);
    await synced(user, connection.id);
    const [channel] = await ts.db.query<{ channel_id: string }>(
      'select channel_id from calendar_push_channels where connection_id = $1',
      [connection.id],
    );
    expect(google.channels().some((open) => open.id === channel?.channel_id)).toBe(true);
    const task = await callApi<{ id: string }>(ts, user, 'POST', '/tasks', {
      title: 'Linked, then disconnected',
      due_date: inDays(4),
    });
    await until('the task to be linked', async () => {
      const read = await callApi<{ calendar_event_id: string | null }>(
        ts,
        user,
        'GET',
        `/tasks/${task.body.id}`,
      );
      return read.body.calendar_event_id !== null;
    });
    const gone = await callApi(ts, user, 'DELETE', `/calendar/connections/${connection.id}`);
    expect(gone.status).toBe(204);
    const jobs = await ts.db.query('select id from sync_jobs where connection_id = $1', [
      connection.id,
    ]);
    expect(jobs).toEqual([]);
    // Its tasks no longer name events of a calendar they are not synced with.
    const unlinked = await callApi<{ calendar_event_id: string | null }>(
      ts,
      user,
      'GET',
      `/tasks/${task.body.id}`,
    );
    expect(unlinked.body.calendar_event_id).toBeNull();
    // Google no longer pushes to us for it.
    expect(google.channels().some((open) => open.id === channel?.channel_id)).toBe(false);
    expect((await callApi(ts, user, 'GET', `/calendar/connections/${connection.id}`)).status).toBe(
      404,
    );
  }, 60_000);

  /** Makes the fake APIs refuse every access token issued so far. */
  function dropIssuedTokens(): void {
    for (const token of issued) dropped.add(token);
  }
});
