import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/database.js';
import { openTestDatabase, type TestDatabase, testDatabaseUrl } from '../db/test-databases.js';
import { insertTestConnection, insertTestUser } from './connection-test-rows.js';
import { createSyncJobQueue, type SyncJobQueue } from './sync-jobs.js';

/**
 * Two servers claiming at the same instant never start two syncs of one user. `FOR UPDATE SKIP
 * LOCKED` keeps them off the same job, not off the same user: each claimer's snapshot is taken
 * before the other commits, so each sees the user with nothing running and takes one of the
 * user's two jobs. The claims' advisory lock makes them take turns. The test lines both claimers
 * up behind a table lock it holds, sees both blocked in PostgreSQL, then lets them go at once.
 */
const url = testDatabaseUrl();

interface Claimer {
  queue: SyncJobQueue;
  db: Database;
  pid: number;
}

describe.skipIf(!url)('claiming sync jobs from two servers at once on postgres', () => {
  let test: TestDatabase;
  let db: Database;
  const now = Date.parse('2026-02-02T09:00:00Z');
  const clock = () => new Date(now);
  const claimers: Claimer[] = [];

  beforeAll(async () => {
    test = await openTestDatabase('postgres');
    db = test.db;
    for (let i = 0; i < 2; i += 1) {
      // One connection each: the transaction and the pid seen below are the same session.
      const own = test.connect({ max: 1 });
      if (!own) throw new Error('no second pool on postgres');
      const [row] = await own.query<{ pid: number }>('select pg_backend_pid() as pid');
      claimers.push({ queue: createSyncJobQueue(own, { clock }), db: own, pid: Number(row?.pid) });
    }
  }, 60_000);
  afterAll(async () => {
    await test?.dispose();
  });

  /** Whether every claimer's session is waiting for a lock (ours, or the claims' own). */
  async function allBlocked(): Promise<boolean> {
    const rows = await db.query<{ pid: number }>(
      `select pid from pg_stat_activity where pid = any($1::int[]) and wait_event_type = 'Lock'`,
      [claimers.map((claimer) => claimer.pid)],
    );
    return rows.length === claimers.length;
  }

  it('starts one job of a user with two due jobs, however the claims interleave', async () => {
    for (let round = 0; round < 5; round += 1) {
      await db.query(`update sync_jobs set state = 'failed', locked_until = null
                       where state in ('queued', 'running')`);
      const userId = await insertTestUser(db);
      const connections = [
        await insertTestConnection(db, userId),
        await insertTestConnection(db, userId),
      ];
      const queue = createSyncJobQueue(db, { clock });
      for (const id of connections) await queue.enqueue(id);

      const claims = await db.transaction(async (tx) => {
        // Held until both claimers wait behind it; released, they run at the same moment.
        await tx.query('lock table sync_jobs in exclusive mode');
        const started = claimers.map((claimer) => claimer.queue.claim());
        const deadline = Date.now() + 10_000;
        while (!(await allBlocked())) {
          if (Date.now() > deadline) throw new Error('the claimers never reached the lock');
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        return started;
      });
      const claimed = (await Promise.all(claims)).filter((job) => job !== null);
      expect(claimed.map((job) => job.connectionId)).toHaveLength(1);
      const running = await db.query(
        `select j.id from sync_jobs j join calendar_connections c on c.id = j.connection_id
          where c.user_id = $1 and j.state = 'running'`,
        [userId],
      );
      expect(running).toHaveLength(1);
    }
  }, 60_000);
});
