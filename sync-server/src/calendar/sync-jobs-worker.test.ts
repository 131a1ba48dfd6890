import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/database.js';
import { openTestDatabase, type TestDatabase, testDatabaseKinds } from '../db/test-databases.js';
import { createLogger, silentLogger } from '../logger.js';
import { runWithLogContext } from '../observability/log-context.js';
import { ConnectionFailedError, createConnectionStore } from './connection-store.js';
import { insertTestConnection, insertTestUser } from './connection-test-rows.js';
import { createSyncJobQueue, type SyncJob, type SyncJobQueue } from './sync-jobs.js';
import { createSyncWorker, SyncDeadlineError, type SyncWorker } from './sync-jobs-worker.js';
import { createTokenCrypto } from './token-crypto.js';

const clock = () => new Date();

async function until(condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.each(testDatabaseKinds())('sync worker on %s', (kind) => {
  let test: TestDatabase;
  let db: Database;
  let queue: SyncJobQueue;
  const workers: SyncWorker[] = [];
  const connections = () =>
    createConnectionStore({
      db,
      crypto: createTokenCrypto(Buffer.alloc(32, 1)),
      oauth: {},
      clock,
      log: silentLogger,
    });

  beforeAll(async () => {
    test = await openTestDatabase(kind);
    db = test.db;
    queue = createSyncJobQueue(db, { clock, maxAttempts: 2, backoffMs: () => 0 });
  }, 60_000);
  // A test that fails before stopping its worker must not leave it claiming the next test's jobs.
  // Nor leave unfinished jobs behind for it: a job aborted by the stop goes back to the queue.
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((worker) => worker.stop()));
    await db.query(`delete from sync_jobs where state in ('queued', 'running')`);
  });
  afterAll(async () => {
    await test?.dispose();
  });

  function startWorker(
    run: (job: SyncJob, signal: AbortSignal) => Promise<void>,
    concurrency = 2,
    deadlineMs = 60_000,
  ) {
    const worker = createSyncWorker({
      queue,
      connections: connections(),
      run,
      log: silentLogger,
      clock,
      concurrency,
      deadlineMs,
      pollIntervalMs: 25,
      stopTimeoutMs: 2000,
    });
    workers.push(worker);
    worker.start();
    return worker;
  }

  const stateOf = async (id: string) => (await queue.get(id))?.state;
  const statusOf = async (connectionId: string) => connections().find(connectionId);

  it('runs a queued job and records the sync on the connection', async () => {
    const connectionId = await insertTestConnection(db);
    const seen: string[] = [];
    const worker = startWorker(async (job) => {
      seen.push(job.connectionId);
    });
    const job = await queue.enqueue(connectionId);
    worker.wake();
    await until(async () => (await stateOf(job.id)) === 'succeeded');
    expect(seen).toContain(connectionId);
    // The connection is written just after the job: wait for it too.
    await until(async () => (await statusOf(connectionId))?.syncStatus === 'SUCCESS');
    expect(await statusOf(connectionId)).toMatchObject({ syncStatus: 'SUCCESS', syncError: null });
    await worker.stop();
  });

  it('retries a failing sync, then marks the connection FAILED with the error', async () => {
    const connectionId = await insertTestConnection(db);
    let calls = 0;
    const worker = startWorker(async () => {
      calls += 1;
      throw new Error('Google answered 503 Service Unavailable');
    });
    const job = await queue.enqueue(connectionId);
    await until(async () => (await stateOf(job.id)) === 'failed');
    expect(calls).toBe(2);
    await until(async () => (await statusOf(connectionId))?.syncStatus === 'FAILED');
    expect(await statusOf(connectionId)).toMatchObject({
      syncStatus: 'FAILED',
      syncError: 'Google answered 503 Service Unavailable',
    });
    await worker.stop();
  });

  it('does not retry what only the user can fix', async () => {
    const connectionId = await insertTestConnection(db);
    let calls = 0;
    const worker = startWorker(async () => {
      calls += 1;
      throw new ConnectionFailedError('Reconnect the calendar.');
    });
    const job = await queue.enqueue(connectionId);
    await until(async () => (await stateOf(job.id)) === 'failed');
    expect(calls).toBe(1);
    await worker.stop();
  });

  it("writes a job's log lines with the id of the request that queued it, and polls with none", async () => {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger('debug', {
      destination: { write: (line) => lines.push(JSON.parse(line)) },
    });
    const asked = await insertTestConnection(db);
    const polled = await insertTestConnection(db);
    const first = await runWithLogContext({ requestId: 'req-sync-1' }, () => queue.enqueue(asked));
    expect(first.requestId).toBe('req-sync-1');
    // Asking again while it waits: the same job, now found under the later request.
    const again = await runWithLogContext({ requestId: 'req-sync-2' }, () => queue.enqueue(asked));
    expect(again).toMatchObject({ id: first.id, requestId: 'req-sync-2' });
    // The server's own poll neither takes the job nor clears its request.
    expect(await queue.enqueue(asked)).toMatchObject({ id: first.id, requestId: 'req-sync-2' });
    const scheduled = await queue.enqueue(polled);
    expect(scheduled.requestId).toBeNull();
    const worker = createSyncWorker({
      queue,
      connections: connections(),
      run: async (job) => {
        log.info('syncing', { jobId: job.id });
        throw new ConnectionFailedError('Reconnect the calendar.');
      },
      log,
      clock,
      pollIntervalMs: 25,
      stopTimeoutMs: 2000,
    });
    workers.push(worker);
    // Started from within another request: its polls still belong to no request.
    runWithLogContext({ requestId: 'req-other' }, () => worker.start());
    await until(async () => (await stateOf(first.id)) === 'failed');
    await until(async () => (await stateOf(scheduled.id)) === 'failed');
    await worker.stop();
    const linesOf = (jobId: string) => lines.filter((line) => line.jobId === jobId);
    expect(linesOf(first.id).map((line) => [line.msg, line.requestId])).toEqual([
      ['syncing', 'req-sync-2'],
      ['calendar sync failed', 'req-sync-2'],
    ]);
    expect(linesOf(scheduled.id).map((line) => [line.msg, line.requestId])).toEqual([
      ['syncing', undefined],
      ['calendar sync failed', undefined],
    ]);
    expect(lines.some((line) => line.requestId === 'req-other')).toBe(false);
  });

  it('never syncs one connection twice at once, across workers', async () => {
    const ids = [await insertTestConnection(db), await insertTestConnection(db)];
    const active = new Map<string, number>();
    let overlap = 0;
    let runs = 0;
    const run = async (job: SyncJob) => {
      const count = (active.get(job.connectionId) ?? 0) + 1;
      active.set(job.connectionId, count);
      if (count > 1) overlap += 1;
      runs += 1;
      await new Promise((resolve) => setTimeout(resolve, 30));
      active.set(job.connectionId, count - 1);
    };
    const first = startWorker(run, 3);
    const second = startWorker(run, 3);
    for (let round = 0; round < 8; round += 1) {
      await Promise.all(ids.map((id) => queue.enqueue(id)));
      await new Promise((resolve) => setTimeout(resolve, 15));
    }
    await until(async () => {
      const rows = await db.query(
        `select 1 from sync_jobs where connection_id = any($1::uuid[]) and state in ('queued', 'running')`,
        [ids],
      );
      return rows.length === 0;
    });
    expect(overlap).toBe(0);
    expect(runs).toBeGreaterThanOrEqual(2);
    await Promise.all([first.stop(), second.stop()]);
  });

  it('cuts a sync at its deadline, even one deaf to the abort, then retries it and reports why', async () => {
    const connectionId = await insertTestConnection(db);
    const signals: AbortSignal[] = [];
    // Never ends and never looks at its signal: only the deadline gets the worker back.
    const worker = startWorker(
      (_job, signal) => {
        signals.push(signal);
        return new Promise<void>(() => undefined);
      },
      2,
      150,
    );
    const job = await queue.enqueue(connectionId);
    const started = Date.now();
    await until(async () => (await stateOf(job.id)) === 'failed');
    // Two attempts (maxAttempts 2, no backoff), each cut at 150 ms.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(signals).toHaveLength(2);
    expect(signals.every((signal) => signal.reason instanceof SyncDeadlineError)).toBe(true);
    const failed = await queue.get(job.id);
    expect(failed).toMatchObject({ attempts: 2 });
    expect(failed?.error).toBe(
      'the calendar server was too slow: the sync did not finish within 150 ms and was stopped, with nothing of it saved',
    );
    await until(async () => (await statusOf(connectionId))?.syncStatus === 'FAILED');
    expect((await statusOf(connectionId))?.syncError).toBe(failed?.error);
    // Its slot frees once the failure is recorded, though the sync itself never returns.
    await until(async () => worker.active() === 0);
  });

  it("runs another user's sync while one user's slow calendars wait their turn", async () => {
    const slowUser = await insertTestUser(db);
    const slow = [
      await insertTestConnection(db, slowUser),
      await insertTestConnection(db, slowUser),
    ];
    const other = await insertTestConnection(db);
    const started: string[] = [];
    const worker = startWorker(async (job, signal) => {
      started.push(job.connectionId);
      if (job.connectionId === other) return;
      await new Promise<void>((_resolve, reject) => {
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    }, 2);
    // The slow user's syncs are due first.
    for (const id of slow) await queue.enqueue(id, { delayMs: -60_000 });
    const otherJob = await queue.enqueue(other);
    worker.wake();
    // The other user's slot frees once its success is recorded on the connection, after the
    // job's own row says so.
    await until(async () => (await stateOf(otherJob.id)) === 'succeeded' && worker.active() === 1);
    // One of the slow user's calendars holds one worker; the other waits for it, a slot free.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(started.filter((id) => slow.includes(id))).toHaveLength(1);
    expect(worker.active()).toBe(1);
    const states = await db.query<{ state: string }>(
      'select state from sync_jobs where connection_id = any($1::uuid[]) order by state',
      [slow],
    );
    expect(states.map((row) => row.state)).toEqual(['queued', 'running']);
  });

  it('stops: aborts running syncs, waits for them, and claims nothing more', async () => {
    const connectionId = await insertTestConnection(db);
    let aborted = false;
    const worker = startWorker(
      (_job, signal) =>
        new Promise<void>((_resolve, reject) => {
          signal.addEventListener('abort', () => {
            aborted = true;
            reject(signal.reason);
          });
        }),
    );
    const job = await queue.enqueue(connectionId);
    await until(async () => worker.active() === 1);
    await worker.stop();
    expect(aborted).toBe(true);
    expect(worker.active()).toBe(0);
    // The aborted attempt counts; the job waits for the next server start.
    expect(await stateOf(job.id)).toBe('queued');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await stateOf(job.id)).toBe('queued');
  });
});
