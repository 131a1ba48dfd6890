import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/database.js';
import { openTestDatabase, type TestDatabase, testDatabaseKinds } from '../db/test-databases.js';
import { insertTestConnection, insertTestUser } from './connection-test-rows.js';

/** The calendar migration's constraints (1764000000002-calendar-connections). */
describe.each(testDatabaseKinds())('calendar tables on %s', (kind) => {
  let test: TestDatabase;
  let db: Database;
  beforeAll(async () => {
    test = await openTestDatabase(kind);
    db = test.db;
  }, 60_000);
  afterAll(async () => {
    await test?.dispose();
  });

  const insertConnection = (userId: string, columns: Record<string, string>) => {
    const names = ['id', 'user_id', 'calendar_id', ...Object.keys(columns)];
    const values = [randomUUID(), userId, 'primary', ...Object.values(columns)];
    return db.query(
      `insert into calendar_connections (${names.join(', ')})
       values (${names.map((_, i) => `$${i + 1}`).join(', ')})`,
      values,
    );
  };

  it('takes the spec providers only, a token for OAuth ones and a server for CalDAV', async () => {
    const userId = await insertTestUser(db);
    await insertConnection(userId, { provider: 'GOOGLE', access_token: 'v1:x' });
    await expect(
      insertConnection(userId, { provider: 'YAHOO', access_token: 'v1:x' }),
    ).rejects.toThrow();
    await expect(insertConnection(userId, { provider: 'MICROSOFT' })).rejects.toThrow();
    await expect(insertConnection(userId, { provider: 'ICAL', username: 'u' })).rejects.toThrow();
    await expect(
      insertConnection(userId, { provider: 'GOOGLE', access_token: 'v1:x', sync_status: 'DONE' }),
    ).rejects.toThrow();
    const [row] = await db.query(
      'select sync_status, sync_enabled, sync_delete_enabled from calendar_connections where user_id = $1',
      [userId],
    );
    expect(row).toEqual({ sync_status: 'PENDING', sync_enabled: true, sync_delete_enabled: false });
  });

  it('links a task and an event at most once per connection', async () => {
    const connectionId = await insertTestConnection(db);
    const link = (taskId: string, eventId: string) =>
      db.query(
        'insert into calendar_links (connection_id, task_id, event_id) values ($1, $2, $3)',
        [connectionId, taskId, eventId],
      );
    await link('task-1', 'event-1');
    await expect(link('task-1', 'event-2')).rejects.toThrow();
    await expect(link('task-2', 'event-1')).rejects.toThrow();
    await link('task-2', 'event-2');
  });

  it('allows one waiting and one running job per connection', async () => {
    const connectionId = await insertTestConnection(db);
    const job = (state: string) =>
      db.query(
        `insert into sync_jobs (id, connection_id, state, run_after) values ($1, $2, $3, now())`,
        [randomUUID(), connectionId, state],
      );
    await job('queued');
    await job('running');
    await job('succeeded');
    await job('succeeded');
    await expect(job('queued')).rejects.toThrow();
    await expect(job('running')).rejects.toThrow();
    await expect(job('paused')).rejects.toThrow();
  });

  it("forgets a user's connections, links and jobs with the user", async () => {
    const userId = await insertTestUser(db);
    const connectionId = await insertTestConnection(db, userId);
    await db.query(
      `insert into sync_jobs (id, connection_id, state, run_after) values ($1, $2, 'queued', now())`,
      [randomUUID(), connectionId],
    );
    await db.query(
      `insert into calendar_links (connection_id, task_id, event_id) values ($1, 't', 'e')`,
      [connectionId],
    );
    await db.query('delete from users where id = $1', [userId]);
    for (const table of ['calendar_connections', 'calendar_links', 'sync_jobs']) {
      const column = table === 'calendar_connections' ? 'id' : 'connection_id';
      expect(await db.query(`select 1 from ${table} where ${column} = $1`, [connectionId])).toEqual(
        [],
      );
    }
  });
});
