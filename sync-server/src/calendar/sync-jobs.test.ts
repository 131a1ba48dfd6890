import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/database.js';
import { openTestDatabase, type TestDatabase, testDatabaseKinds } from '../db/test-databases.js';
import { insertTestConnection as insertConnection } from './connection-test-rows.js';
import { createSyncJobQueue, type SyncJobQueue } from './sync-jobs.js';

const MINUTE = 60_000;

describe.each(testDatabaseKinds())('sync job queue on %s', (kind) => {
  let test: TestDatabase;
  let db: Database;
  let now = Date.parse('2025-10-06T14:30:00Z');
  const clock = () => new Date(now);
  let queue: SyncJobQueue;

  beforeAll(async () => {
    test = await openTestDatabase(kind);
    db = test.db;
    queue = createSyncJobQueue(db, { clock, leaseMs: 5 * MINUTE, maxAttempts: 3 });
  }, 60_000);
  afterAll(async () => {
    await test?.dispose();
  });

  /** Ends every job earlier tests left, so each test starts from an idle queue. */
  async function drain() {
    await db.query(
      `update sync_jobs set state = 'failed', locked_until = null where state in ('queued', 'running')`,
    );
  }

  it('keeps at most one waiting job per connection', async () => {
    await drain();
    const connectionId = await insertConnection(db);
    const first = await queue.enqueue(connectionId);
    const again = await queue.enqueue(connectionId);
    expect(again.id).toBe(first.id);
    expect(first).toMatchObject({ connectionId, state: 'queued', attempts: 0, error: null });
    expect(first.runAfter).toEqual(clock());
    expect(await queue.get(first.id)).toEqual(first);
  });

  it('brings a scheduled poll forward when a sync is asked for now, never back', async () => {
    await drain();
    const connectionId = await insertConnection(db);
    const poll = await queue.enqueue(connectionId, { delayMs: 15 * MINUTE });
    const later = await queue.enqueue(connectionId, { delayMs: 30 * MINUTE });
    expect(later.id).toBe(poll.id);
    expect(later.runAfter).toEqual(new Date(now + 15 * MINUTE));
    const soon = await queue.enqueue(connectionId);
    expect(soon.id).toBe(poll.id);
    expect(soon.runAfter).toEqual(clock());
    expect((await queue.claim())?.id).toBe(poll.id);
  });

  it('claims a due job under a lease, and never a second job of a running connection', async () => {
    await drain();
    const connectionId = await insertConnection(db);
    const queued = await queue.enqueue(connectionId);
    const claimed = await queue.claim();
    expect(claimed).toMatchObject({ id: queued.id, state: 'running', attempts: 1 });
    expect(claimed?.lockedUntil).toEqual(new Date(now + 5 * MINUTE));
    expect(claimed?.startedAt).toEqual(clock());
    const next = await queue.enqueue(connectionId);
    expect(next.id).not.toBe(queued.id);
    expect(await queue.claim()).toBeNull();
    if (!claimed) throw new Error('no job');
    expect(await queue.complete(claimed)).toBe(true);
    expect(await queue.get(claimed.id)).toMatchObject({ state: 'succeeded', finishedAt: clock() });
    expect((await queue.claim())?.id).toBe(next.id);
  });

  it('runs one job per user at a time and takes users in turns, however many jobs one user has', async () => {
    await drain();
    const alice = randomUUID();
    const bob = randomUUID();
    // Alice's three calendars are all due before Bob's one.
    const aliceJobs = [];
    for (let i = 0; i < 3; i += 1) {
      const connectionId = await insertConnection(db, alice);
      aliceJobs.push(await queue.enqueue(connectionId, { delayMs: -(10 - i) * MINUTE }));
    }
    const bobJob = await queue.enqueue(await insertConnection(db, bob), { delayMs: -MINUTE });

    const first = await queue.claim();
    expect(first?.id).toBe(aliceJobs[0]?.id);
    // Alice's sync is running: Bob's job goes next, and no second one of Alice's.
    now += 1000;
    const second = await queue.claim();
    expect(second?.id).toBe(bobJob.id);
    expect(await queue.claim()).toBeNull();

    // Alice's sync ends: her next job, due first, runs.
    expect(await queue.complete(first as NonNullable<typeof first>)).toBe(true);
    now += 1000;
    const third = await queue.claim();
    expect(third?.id).toBe(aliceJobs[1]?.id);
    expect(await queue.claim()).toBeNull();

    // Both finish, and Bob has a job again, due after Alice's last one: Bob's turn came longer
    // ago, so he goes first.
    expect(await queue.complete(second as NonNullable<typeof second>)).toBe(true);
    expect(await queue.complete(third as NonNullable<typeof third>)).toBe(true);
    const bobAgain = await queue.enqueue(bobJob.connectionId);
    now += 1000;
    expect((await queue.claim())?.id).toBe(bobAgain.id);
    expect((await queue.claim())?.id).toBe(aliceJobs[2]?.id);
  });

  it("lets a user's other job run once the running one's worker is lost (lease over)", async () => {
    await drain();
    const alice = randomUUID();
    const stuck = await queue.enqueue(await insertConnection(db, alice));
    const other = await queue.enqueue(await insertConnection(db, alice), { delayMs: 1000 });
    expect((await queue.claim())?.id).toBe(stuck.id);
    now += 2000;
    expect(await queue.claim()).toBeNull();
    now += 5 * MINUTE;
    // The lost job is claimed again first; with it running under a live lease, the other waits.
    expect((await queue.claim())?.id).toBe(stuck.id);
    expect(await queue.claim()).toBeNull();
    expect((await queue.get(other.id))?.state).toBe('queued');
  });

  it("runs a crashed worker's job again once its lease is over, fencing the old claim", async () => {
    await drain();
    const connectionId = await insertConnection(db);
    await queue.enqueue(connectionId);
    const lost = await queue.claim();
    if (!lost) throw new Error('no job');
    now += 4 * MINUTE;
    expect(await queue.claim()).toBeNull();
    now += 2 * MINUTE;
    const retaken = await queue.claim();
    expect(retaken).toMatchObject({ id: lost.id, state: 'running', attempts: 2 });
    expect(await queue.complete(lost)).toBe(false);
    expect(await queue.extendLease(lost)).toBe(false);
    if (!retaken) throw new Error('no job');
    expect(await queue.extendLease(retaken)).toBe(true);
    expect(await queue.complete(retaken)).toBe(true);
  });

  it('fails a job for good once its worker was lost on every attempt', async () => {
    await drain();
    const connectionId = await insertConnection(db);
    const job = await queue.enqueue(connectionId);
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      expect((await queue.claim())?.attempts).toBe(attempt);
      now += 6 * MINUTE;
    }
    expect(await queue.claim()).toBeNull();
    expect(await queue.get(job.id)).toMatchObject({
      state: 'failed',
      error: 'the worker stopped answering 3 times (lease expired)',
    });
  });

  it('retries a failed job after a growing backoff, then fails it for good', async () => {
    await drain();
    const connectionId = await insertConnection(db);
    await queue.enqueue(connectionId);
    const first = await queue.claim();
    if (!first) throw new Error('no job');
    const waiting = await queue.fail(first, 'Google answered 503');
    expect(waiting).toMatchObject({ state: 'queued', error: 'Google answered 503' });
    expect(waiting?.runAfter).toEqual(new Date(now + 30_000));
    expect(await queue.claim()).toBeNull();
    now += 30_000;
    const second = await queue.claim();
    if (!second) throw new Error('no job');
    expect((await queue.fail(second, 'again'))?.runAfter).toEqual(new Date(now + 120_000));
    now += 120_000;
    const third = await queue.claim();
    if (!third) throw new Error('no job');
    expect(await queue.fail(third, 'third time')).toMatchObject({
      state: 'failed',
      attempts: 3,
      error: 'third time',
      finishedAt: clock(),
    });
  });

  it('honours a Retry-After, fails at once without retry, and defers to a job already waiting', async () => {
    await drain();
    const connectionId = await insertConnection(db);
    await queue.enqueue(connectionId);
    const job = await queue.claim();
    if (!job) throw new Error('no job');
    expect((await queue.fail(job, 'rate limited', { retryAfterMs: 90_000 }))?.runAfter).toEqual(
      new Date(now + 90_000),
    );
    now += 90_000;
    const again = await queue.claim();
    if (!again) throw new Error('no job');
    const waiting = await queue.enqueue(connectionId);
    expect(await queue.fail(again, 'network down')).toMatchObject({ state: 'failed' });
    expect((await queue.get(waiting.id))?.state).toBe('queued');
    const last = await queue.claim();
    if (!last) throw new Error('no job');
    expect(await queue.fail(last, 'revoked', { retry: false })).toMatchObject({ state: 'failed' });
  });

  it('keeps jobs in the database: a new queue (a restarted server) finds them', async () => {
    await drain();
    const connectionId = await insertConnection(db);
    const job = await queue.enqueue(connectionId);
    const restarted = createSyncJobQueue(db, { clock });
    expect((await restarted.claim())?.id).toBe(job.id);
  });

  it("shows a job only to its connection's owner", async () => {
    const userId = randomUUID();
    const connectionId = await insertConnection(db, userId);
    const job = await queue.enqueue(connectionId);
    expect((await queue.getForUser(userId, job.id))?.id).toBe(job.id);
    expect(await queue.getForUser(randomUUID(), job.id)).toBeNull();
    expect(await queue.getForUser(userId, 'not-a-uuid')).toBeNull();
  });

  it('prunes finished jobs older than a date', async () => {
    await drain();
    const connectionId = await insertConnection(db);
    await queue.enqueue(connectionId);
    const job = await queue.claim();
    if (!job) throw new Error('no job');
    await queue.complete(job);
    now += MINUTE;
    expect(await queue.prune(clock())).toBeGreaterThanOrEqual(1);
    expect(await queue.get(job.id)).toBeNull();
  });

  it('gives each due job to exactly one of several concurrent claimers', async () => {
    await drain();
    const connections = await Promise.all(Array.from({ length: 12 }, () => insertConnection(db)));
    await Promise.all(connections.map((id) => queue.enqueue(id)));
    const claimers = Array.from({ length: 4 }, () => createSyncJobQueue(db, { clock }));
    const claimed = await Promise.all(
      claimers.map(async (claimer) => {
        const mine: string[] = [];
        for (let job = await claimer.claim(); job; job = await claimer.claim()) {
          mine.push(job.connectionId);
        }
        return mine;
      }),
    );
    const all = claimed.flat().sort();
    expect(all).toEqual([...connections].sort());
  });
});
