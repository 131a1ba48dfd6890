import { randomBytes } from 'node:crypto';
import { type FakeOAuthServer, startFakeOAuthServer } from '@tasks/connectors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/database.js';
import { openTestDatabase, type TestDatabase, testDatabaseKinds } from '../db/test-databases.js';
import { silentLogger } from '../logger.js';
import {
  ConnectionFailedError,
  type ConnectionStore,
  createConnectionStore,
} from './connection-store.js';
import { insertTestUser as insertUser } from './connection-test-rows.js';
import { createOAuthClient, type OAuthClient } from './oauth-client.js';
import { createTokenCrypto } from './token-crypto.js';

const REDIRECT = 'https://app.example.com/oauth/callback';
const MINUTE = 60_000;

describe.each(testDatabaseKinds())('connection store on %s', (kind) => {
  let test: TestDatabase;
  let db: Database;
  let now = Date.parse('2025-10-06T14:30:00Z');
  const clock = () => new Date(now);
  let google: FakeOAuthServer;
  let microsoft: FakeOAuthServer;
  const key = randomBytes(32);
  let store: ConnectionStore;
  let googleClient: OAuthClient;
  let microsoftClient: OAuthClient;

  beforeAll(async () => {
    test = await openTestDatabase(kind);
    db = test.db;
    google = await startFakeOAuthServer({ clock, accessTokenTtlSeconds: 3600 });
    microsoft = await startFakeOAuthServer({ clock, rotateRefreshTokens: true });
    const client = (server: FakeOAuthServer, label: string) =>
      createOAuthClient(
        {
          clientId: server.clientId,
          clientSecret: server.clientSecret,
          tokenUrl: server.tokenUrl,
          issuer: 'https://issuer.example.com',
        },
        { providerLabel: label, clock },
      );
    googleClient = client(google, 'Google');
    microsoftClient = client(microsoft, 'Microsoft');
    store = createConnectionStore({
      db,
      crypto: createTokenCrypto(key),
      oauth: { GOOGLE: googleClient, MICROSOFT: microsoftClient },
      clock,
      log: silentLogger,
    });
  }, 60_000);
  afterAll(async () => {
    await google?.close();
    await microsoft?.close();
    await test?.dispose();
  });

  async function connect(
    server: FakeOAuthServer,
    client: OAuthClient,
    provider: 'GOOGLE' | 'MICROSOFT',
  ) {
    const userId = await insertUser(db);
    const code = server.issueCode({ redirectUri: REDIRECT });
    const tokens = await client.exchangeCode({ code, redirectUri: REDIRECT });
    const connection = await store.createOAuth({ userId, provider, calendarId: 'primary', tokens });
    return { userId, connection, tokens };
  }

  const rawRow = async (id: string) =>
    (
      await db.query<{
        access_token: string | null;
        refresh_token: string | null;
        password: string | null;
      }>('select access_token, refresh_token, password from calendar_connections where id = $1', [
        id,
      ])
    )[0];

  const refreshCount = (server: FakeOAuthServer) =>
    server.requests().filter((request) => request.grantType === 'refresh_token').length;

  it('keeps tokens sealed in the database and hands the live one out without a refresh', async () => {
    const { connection, tokens } = await connect(google, googleClient, 'GOOGLE');
    expect(connection).toMatchObject({
      provider: 'GOOGLE',
      calendarId: 'primary',
      syncStatus: 'PENDING',
      syncEnabled: true,
      tokenExpiresAt: new Date(now + 3600_000),
    });
    const raw = await rawRow(connection.id);
    for (const column of [raw?.access_token, raw?.refresh_token]) {
      expect(column).toMatch(/^v1:/);
      expect(column).not.toContain(tokens.accessToken);
      expect(column).not.toContain(tokens.refreshToken ?? '');
    }
    const before = refreshCount(google);
    expect(await store.accessTokenFor(connection.id)).toBe(tokens.accessToken);
    expect(refreshCount(google)).toBe(before);
  });

  it('refreshes within five minutes of expiry, once for concurrent callers', async () => {
    const { connection, tokens } = await connect(google, googleClient, 'GOOGLE');
    now += 54 * MINUTE;
    expect(await store.accessTokenFor(connection.id)).toBe(tokens.accessToken);
    now += 2 * MINUTE;
    const before = refreshCount(google);
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => store.accessTokenFor(connection.id)),
    );
    expect(refreshCount(google)).toBe(before + 1);
    expect(new Set(answers).size).toBe(1);
    expect(answers[0]).not.toBe(tokens.accessToken);
    expect(google.isAccessTokenValid(answers[0] ?? '')).toBe(true);
    const stored = await store.find(connection.id);
    expect(stored?.tokenExpiresAt).toEqual(new Date(now + 3600_000));
    expect(await store.accessTokenFor(connection.id)).toBe(answers[0]);
  });

  it('stores the rotated refresh token a provider hands out', async () => {
    const { connection, tokens } = await connect(microsoft, microsoftClient, 'MICROSOFT');
    const first = await store.accessTokenFor(connection.id, { forceRefresh: true });
    expect(first).not.toBe(tokens.accessToken);
    expect(microsoft.refreshTokens()).not.toContain(tokens.refreshToken);
    const second = await store.accessTokenFor(connection.id, { forceRefresh: true });
    expect(microsoft.isAccessTokenValid(second)).toBe(true);
  });

  it('marks the connection FAILED with a readable error when the refresh token is revoked', async () => {
    const { connection, tokens } = await connect(google, googleClient, 'GOOGLE');
    google.revoke(tokens.refreshToken ?? '');
    now += 3600_000;
    const error = await store.accessTokenFor(connection.id).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionFailedError);
    const failed = await store.find(connection.id);
    expect(failed?.syncStatus).toBe('FAILED');
    expect(failed?.syncError).toBe(
      'Google refused to refresh the access token (invalid_grant: Token has been expired or revoked.). The access was revoked or has expired: reconnect the calendar to resume syncing.',
    );
    const before = refreshCount(google);
    await expect(store.accessTokenFor(connection.id)).rejects.toBeInstanceOf(ConnectionFailedError);
    expect(refreshCount(google)).toBe(before);
    expect((await rawRow(connection.id))?.refresh_token).toBeNull();
  });

  it('fails a connection whose secrets do not open with the server key', async () => {
    const { connection } = await connect(google, googleClient, 'GOOGLE');
    const otherKey = createConnectionStore({
      db,
      crypto: createTokenCrypto(randomBytes(32)),
      oauth: {},
      clock,
      log: silentLogger,
    });
    await expect(otherKey.accessTokenFor(connection.id)).rejects.toThrow('CALENDAR_TOKEN_KEY');
    expect((await store.find(connection.id))?.syncStatus).toBe('FAILED');
  });

  it('keeps the CalDAV password sealed and opens it for the sync engine', async () => {
    const userId = await insertUser(db);
    const connection = await store.createCaldav({
      userId,
      serverUrl: 'https://dav.example.com/',
      username: 'alice',
      password: 'correct horse battery staple',
      calendarId: '/alice/tasks/',
    });
    expect(connection).toMatchObject({ provider: 'ICAL', username: 'alice', tokenExpiresAt: null });
    const raw = await rawRow(connection.id);
    expect(raw?.password).toMatch(/^v1:/);
    expect(raw?.password).not.toContain('horse');
    expect(await store.caldavCredentialsFor(connection.id)).toEqual({
      serverUrl: 'https://dav.example.com/',
      username: 'alice',
      password: 'correct horse battery staple',
      calendarPath: '/alice/tasks/',
    });
  });

  it("finds, lists and deletes only the user's own connections", async () => {
    const { userId, connection } = await connect(google, googleClient, 'GOOGLE');
    const other = await insertUser(db);
    expect(await store.get(userId, connection.id)).toMatchObject({ id: connection.id });
    expect(await store.get(other, connection.id)).toBeNull();
    expect(await store.get(userId, 'not-a-uuid')).toBeNull();
    expect(await store.list(other)).toEqual([]);
    expect((await store.list(userId)).map((c) => c.id)).toEqual([connection.id]);
    expect(await store.remove(other, connection.id)).toBeNull();
    expect(await store.remove(userId, connection.id)).toEqual({ links: [] });
    expect(await store.find(connection.id)).toBeNull();
  });

  it('gives the task links a removed connection held', async () => {
    const { userId, connection } = await connect(google, googleClient, 'GOOGLE');
    await db.query(
      `insert into calendar_links (connection_id, task_id, event_id) values ($1, 'task-1', 'event-1')`,
      [connection.id],
    );
    expect(await store.remove(userId, connection.id)).toEqual({
      links: [{ taskId: 'task-1', eventId: 'event-1' }],
    });
    expect(
      await db.query('select 1 from calendar_links where connection_id = $1', [connection.id]),
    ).toEqual([]);
  });

  it('records sync results', async () => {
    const { connection } = await connect(google, googleClient, 'GOOGLE');
    await store.recordSyncFailure(connection.id, 'Google answered 500');
    expect(await store.find(connection.id)).toMatchObject({
      syncStatus: 'FAILED',
      syncError: 'Google answered 500',
    });
    await store.recordSyncSuccess(connection.id, 'sync-token-1');
    expect(await store.find(connection.id)).toMatchObject({
      syncStatus: 'SUCCESS',
      syncError: null,
      lastSyncAt: new Date(now),
      cursor: 'sync-token-1',
    });
  });
});
