import { createTask, listTasks } from '@tasks/crdt';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deleteAccount } from '../auth/account-routes.js';
import { testDatabaseKinds } from '../db/test-databases.js';
import { StorageUnavailableError } from '../persistence/storage-unavailable.js';
import { startTestServer, type TestServer } from '../test-server.js';
import { createDocumentAccess } from './document-access.js';

describe.each(testDatabaseKinds())('server-side document access on %s', (kind) => {
  let ts: TestServer;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    ts = await startTestServer(kind);
    process.on('unhandledRejection', onUnhandled);
  }, 60_000);
  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    await ts?.dispose();
  });
  afterEach(() => {
    unhandled.length = 0;
  });

  const access = () =>
    createDocumentAccess({ relay: ts.server.relay, db: ts.db, clock: () => new Date() });

  it('answers a write once it is stored, and the server holds it', async () => {
    const user = await ts.register('kept');
    const id = await access().use(
      user.userId,
      [],
      (docs, ctx) => createTask(docs, { title: 'Stored' }, ctx).id,
    );
    await ts.server.relay.flush();
    const stored = await access().use(user.userId, [], (docs) => listTasks(docs));
    expect(stored.map((task) => task.id)).toContain(id);
  });

  it('fails a write for an account deleted meanwhile as unavailable, and leaves no unobserved failure behind', async () => {
    const user = await ts.register('gone');
    await deleteAccount(ts.db, user.userId);
    ts.server.relay.closeUser(user.userId, 4000, 'deleted');

    // The document's first write (its schema) fails on the missing account while the access
    // still awaits the account's time zone: that failure is the one `use` must report.
    await expect(
      access().use(user.userId, [], (docs, ctx) => createTask(docs, { title: 'Orphan' }, ctx)),
    ).rejects.toBeInstanceOf(StorageUnavailableError);
    await ts.server.relay.flush();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(unhandled).toEqual([]);
    const [rows] = await ts.db.query<{ n: number }>(
      'select count(*)::int as n from documents where user_id = $1',
      [user.userId],
    );
    expect(Number(rows?.n)).toBe(0);
  });

  it('reports the failure of a write whose caller threw before awaiting it, without an unobserved rejection', async () => {
    const user = await ts.register('thrower');
    await deleteAccount(ts.db, user.userId);
    ts.server.relay.closeUser(user.userId, 4000, 'deleted');
    await expect(
      access().use(user.userId, [], () => {
        throw new Error('the caller’s own failure');
      }),
    ).rejects.toThrow('the caller’s own failure');
    await ts.server.relay.flush();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(unhandled).toEqual([]);
  });
});
