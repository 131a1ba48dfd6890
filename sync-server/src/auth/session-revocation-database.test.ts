import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../db/database.js';
import { openTestDatabase, type TestDatabase, testDatabaseKinds } from '../db/test-databases.js';
import { silentLogger } from '../logger.js';
import { createSessionPruner } from './session-prune.js';
import { createDatabaseRevocations } from './session-revocation.js';

const HOUR_MS = 3600 * 1000;

describe.each(testDatabaseKinds())('revoked sessions kept in the database (%s)', (kind) => {
  let test: TestDatabase;
  let db: Database;
  let now = Date.parse('2026-03-02T10:00:00Z');
  const clock = () => new Date(now);
  // Two servers on one database, and the first one again after a restart.
  const server = () => createDatabaseRevocations({ db, clock, log: silentLogger });

  // One database for the file (a migration takes seconds); each test its own session ids.
  let ids: { s1: string; s2: string; s3: string; late: string };
  beforeAll(async () => {
    test = await openTestDatabase(kind);
    db = test.db;
  }, 60_000);
  afterAll(async () => {
    await test?.dispose();
  });
  beforeEach(() => {
    now = Date.parse('2026-03-02T10:00:00Z');
    const run = randomUUID();
    ids = { s1: `s1-${run}`, s2: `s2-${run}`, s3: `s3-${run}`, late: `late-${run}` };
  });

  it('refuses a revoked session on another server at once and after a restart', async () => {
    const a = server();
    const b = server();
    expect(await b.isRevoked(ids.s1)).toBe(false);
    await a.revoke([ids.s1], new Date(now + HOUR_MS));
    expect(await a.isRevoked(ids.s1)).toBe(true);
    expect(await b.isRevoked(ids.s1)).toBe(true);
    expect(await server().isRevoked(ids.s1)).toBe(true);
    expect(await server().isRevoked(ids.s2)).toBe(false);
  });

  it('tells the listeners of another server of each revocation once, at its next poll', async () => {
    const a = server();
    const b = server();
    // The first poll reads every live revocation (earlier tests' too); then only new ones.
    await b.pollOnce();
    const heard: string[] = [];
    b.onRevoked((sessionId) => heard.push(sessionId));
    await a.revoke([ids.s1, ids.s2], new Date(now + HOUR_MS));
    expect(heard).toEqual([]);
    await b.pollOnce();
    expect(heard.sort()).toEqual([ids.s1, ids.s2].sort());
    await b.pollOnce();
    await a.revoke([ids.s3], new Date(now + HOUR_MS));
    await b.pollOnce();
    expect(heard.sort()).toEqual([ids.s1, ids.s2, ids.s3].sort());
  });

  it('hears a revocation committed a moment after the database stamped it', async () => {
    const a = server();
    const b = server();
    // The first poll reads every live revocation (earlier tests' too); then only new ones.
    await b.pollOnce();
    const heard: string[] = [];
    b.onRevoked((sessionId) => heard.push(sessionId));
    // Stamped before the poll below, visible only after it: the next poll looks back for it.
    await a.revoke([ids.late], new Date(now + HOUR_MS));
    await db.query(
      `update revoked_sessions set recorded_at = clock_timestamp() - interval '2 seconds'
        where session_id = $1`,
      [ids.late],
    );
    await b.pollOnce();
    expect(heard).toEqual([ids.late]);
  });

  it('forgets a revocation once no token of the session can be valid, and prunes its row', async () => {
    const a = server();
    await a.revoke([ids.s1], new Date(now + HOUR_MS));
    await a.revoke([ids.s2], new Date(now + 2 * HOUR_MS));
    now += HOUR_MS;
    expect(await server().isRevoked(ids.s1)).toBe(false);
    expect(await a.isRevoked(ids.s1)).toBe(false);
    expect(await a.prune(clock())).toBeGreaterThanOrEqual(1);
    expect(await server().isRevoked(ids.s2)).toBe(true);
    const rows = await db.query<{ session_id: string }>(
      'select session_id from revoked_sessions where session_id = any($1::text[])',
      [[ids.s1, ids.s2]],
    );
    expect(rows.map((row) => row.session_id)).toEqual([ids.s2]);
  });

  it('has the session pruner delete lapsed revocations and keep the others', async () => {
    const a = server();
    await a.revoke([ids.s1], new Date(now + HOUR_MS));
    await a.revoke([ids.s2], new Date(now + 3 * HOUR_MS));
    now += 2 * HOUR_MS;
    await createSessionPruner({ db, log: silentLogger, clock, revocations: a }).runOnce();
    const rows = await db.query<{ session_id: string }>(
      'select session_id from revoked_sessions where session_id = any($1::text[])',
      [[ids.s1, ids.s2]],
    );
    expect(rows.map((row) => row.session_id)).toEqual([ids.s2]);
  });

  it('keeps the later lapse when a session is revoked twice', async () => {
    const a = server();
    await a.revoke([ids.s1], new Date(now + 2 * HOUR_MS));
    await server().revoke([ids.s1], new Date(now + HOUR_MS));
    now += HOUR_MS + 1;
    expect(await server().isRevoked(ids.s1)).toBe(true);
  });

  it('polls on its own once started, and stops', async () => {
    const a = server();
    const b = createDatabaseRevocations({ db, clock, log: silentLogger, pollIntervalMs: 20 });
    const heard = new Promise<string>((resolve) =>
      b.onRevoked((sessionId) => sessionId === ids.s1 && resolve(sessionId)),
    );
    b.start();
    await a.revoke([ids.s1], new Date(now + HOUR_MS));
    expect(await heard).toBe(ids.s1);
    await b.stop();
  });
});
