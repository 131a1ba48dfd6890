import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type DatabaseKind,
  openTestDatabase,
  type TestDatabase,
  testDatabaseKinds,
} from '../db/test-databases.js';
import { createJobQueueReader } from './job-queues.js';

/** The job queues as the metrics and the System page read them, at a fixed clock. */
const NOW = new Date('2030-03-04T12:00:00.000Z');
const at = (secondsFromNow: number) =>
  new Date(NOW.getTime() + secondsFromNow * 1000).toISOString();

describe.each(testDatabaseKinds())('job queue figures on %s', (kind: DatabaseKind) => {
  let test: TestDatabase;
  const userId = randomUUID();

  beforeAll(async () => {
    test = await openTestDatabase(kind);
    const { db } = test;
    await db.query(
      `insert into users (id, email, email_normalized, username, username_normalized, password_hash)
       values ($1, 'q@example.com', 'q@example.com', 'q', 'q', 'x')`,
      [userId],
    );
    const connection = async (status: string, enabled: boolean) => {
      const id = randomUUID();
      await db.query(
        `insert into calendar_connections (id, user_id, provider, calendar_id, access_token,
           sync_status, sync_enabled) values ($1, $2, 'GOOGLE', 'primary', 'sealed', $3, $4)`,
        [id, userId, status, enabled],
      );
      return id;
    };
    const ok = await connection('SUCCESS', true);
    const waiting = await connection('PENDING', true);
    await connection('FAILED', true);
    await connection('FAILED', true);
    // Paused: its failure no longer matters to anyone.
    await connection('FAILED', false);
    // Due 90 s ago; another connection's job is due in 10 minutes (not backlog).
    await db.query(
      `insert into sync_jobs (id, connection_id, state, run_after) values
         ($1, $2, 'queued', $3), ($4, $5, 'queued', $6)`,
      [randomUUID(), ok, at(-90), randomUUID(), waiting, at(600)],
    );
    const reminder = (fireAt: string, state: string, key: string) =>
      db.query(
        `insert into reminder_jobs (id, user_id, task_id, reminder_key, fire_at, state, created_at)
         values ($1, $2, 't', $3, $4, $5, $6)`,
        [randomUUID(), userId, key, fireAt, state, at(-3600)],
      );
    await reminder(at(-300), 'pending', 'a');
    await reminder(at(-30), 'pending', 'b');
    await reminder(at(-900), 'sent', 'c');
    await reminder(at(60), 'pending', 'd');
    await db.query(
      `insert into email_jobs (id, user_id, kind, key, fire_at, state, created_at)
       values ($1, $2, 'agenda', '2030-03-05', $3, 'pending', $4)`,
      [randomUUID(), userId, at(3600), at(-3600)],
    );
  }, 60_000);

  afterAll(async () => {
    await test?.dispose();
  });

  it('counts due jobs and the wait of the oldest, and failing connections that are enabled', async () => {
    const figures = await createJobQueueReader(test.db, () => NOW).read();
    expect(figures).toEqual({
      queues: {
        calendar_sync: { depth: 1, oldestAgeSeconds: 90 },
        reminder: { depth: 2, oldestAgeSeconds: 300 },
        email: { depth: 0, oldestAgeSeconds: 0 },
      },
      failingCalendarConnections: 2,
    });
  });
});
