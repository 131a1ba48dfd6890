import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../db/test-databases.js';
import { createSqlDocStore } from '../persistence/sql-doc-store.js';
import {
  callApi,
  type ErrorBody,
  startTestServer,
  type TestServer,
  type TestUser,
} from '../test-server.js';

/** REST writes are held to the user's document quota like a device's updates. */
describe.each(testDatabaseKinds())('the document quota on REST writes on %s', (kind) => {
  let ts: TestServer;
  let user: TestUser;
  beforeAll(async () => {
    ts = await startTestServer(kind, { config: { DOC_QUOTA_BYTES: '6000' } });
    user = await ts.register('quota');
  }, 60_000);
  afterAll(async () => {
    await ts?.dispose();
  });

  it('answers 413 once a write would pass the quota, and stores nothing of that write', async () => {
    const created: string[] = [];
    let refused: { status: number; body: ErrorBody } | null = null;
    for (let i = 0; i < 60 && !refused; i += 1) {
      const reply = await callApi<{ id: string } & ErrorBody>(ts, user, 'POST', '/tasks', {
        title: `Task ${i} ${'x'.repeat(150)}`,
      });
      if (reply.status === 201) created.push(reply.body.id);
      else refused = reply;
    }
    expect(created.length).toBeGreaterThan(3);
    expect(refused?.status).toBe(413);
    expect(refused?.body.error.code).toBe('quota_exceeded');
    expect(await createSqlDocStore(ts.db).userSize(user.userId)).toBeLessThanOrEqual(6000);
    // What was stored before is all there, and nothing of the refused write.
    const listed = await callApi<{ items: { id: string }[]; total: number }>(
      ts,
      user,
      'GET',
      '/tasks?limit=100',
    );
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((task) => task.id).sort()).toEqual([...created].sort());
  });
});
