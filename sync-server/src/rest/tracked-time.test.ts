import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../db/test-databases.js';
import { callApi, startTestServer, type TestServer, type TestUser } from '../test-server.js';

/**
 * `actual_duration` is kept per month document: editing, moving or deleting an entry in any
 * month shows at once in the task, without the task request loading every month.
 */
describe.each(testDatabaseKinds())('actual_duration kept per month on %s', (kind) => {
  let ts: TestServer;
  let user: TestUser;
  // A fixed clock: the entries are in the past whatever the day the tests run.
  const now = new Date('2026-03-15T12:00:00Z');
  beforeAll(async () => {
    ts = await startTestServer(kind, { clock: () => now });
    user = await ts.register('tracked');
  }, 60_000);
  afterAll(async () => {
    await ts?.dispose();
  });

  const duration = async (taskId: string) => {
    const reply = await callApi<{ actual_duration: number }>(ts, user, 'GET', `/tasks/${taskId}`);
    expect(reply.status).toBe(200);
    return reply.body.actual_duration;
  };
  const entry = async (taskId: string, start: string, end: string) => {
    const reply = await callApi<{ id: string }>(ts, user, 'POST', '/time/entries', {
      task_id: taskId,
      start_time: start,
      end_time: end,
    });
    expect(reply.status).toBe(201);
    return reply.body.id;
  };

  it('follows entries added, edited, moved and deleted in any month', async () => {
    const task = await callApi<{ id: string }>(ts, user, 'POST', '/tasks', { title: 'Report' });
    const taskId = task.body.id;
    expect(await duration(taskId)).toBe(0);
    await entry(taskId, '2026-01-10T09:00:00Z', '2026-01-10T10:00:00Z');
    const february = await entry(taskId, '2026-02-10T09:00:00Z', '2026-02-10T09:30:00Z');
    expect(await duration(taskId)).toBe(90);
    // Asking again changes nothing (served from the kept shares).
    expect(await duration(taskId)).toBe(90);
    const edited = await callApi(ts, user, 'PATCH', `/time/entries/${february}`, {
      end_time: '2026-02-10T10:00:00Z',
    });
    expect(edited.status).toBe(200);
    expect(await duration(taskId)).toBe(120);
    const moved = await callApi(ts, user, 'PATCH', `/time/entries/${february}`, {
      start_time: '2026-03-01T09:00:00Z',
      end_time: '2026-03-01T09:15:00Z',
    });
    expect(moved.status).toBe(200);
    expect(await duration(taskId)).toBe(75);
    const removed = await callApi(ts, user, 'DELETE', `/time/entries/${february}`);
    expect(removed.status).toBe(204);
    expect(await duration(taskId)).toBe(60);
  });
});
