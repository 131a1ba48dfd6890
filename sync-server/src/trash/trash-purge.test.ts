import { listTasks, UserDocs } from '@tasks/crdt';
import { afterEach, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../db/test-databases.js';
import { silentLogger } from '../logger.js';
import { createDocumentAccess } from '../rest/document-access.js';
import { startTestServer, type TestServer } from '../test-server.js';
import { createTrashPurger } from './trash-purge.js';

const DAY = 86_400_000;
const T0 = new Date('2027-01-12T10:00:00Z');
const PASSWORD = 'correct horse battery';

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe.each(testDatabaseKinds())('the trash purge job on %s', (kind) => {
  let ts: TestServer | null = null;
  let now = T0.getTime();
  const clock = () => new Date(now);

  afterEach(async () => {
    await ts?.dispose();
    ts = null;
    now = T0.getTime();
  });

  /** A fresh access token: the injected clock moves past the last one's hour. */
  async function signIn(server: TestServer, email: string): Promise<string> {
    const response = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { access_token: string }).access_token;
  }

  async function setUp(trashPurge = { pollIntervalMs: 50 }) {
    const server = await startTestServer(kind, { clock, trashPurge });
    ts = server;
    const email = `trash-${kind}@example.com`;
    const registered = await fetch(`${server.url}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, username: `trash_${kind}`, password: PASSWORD }),
    });
    expect(registered.status).toBe(201);
    const { id: userId } = (await registered.json()) as { id: string };
    // A fresh access token once the injected clock moved (a token lives one hour).
    let session: { at: number; token: string } | null = null;
    const token = async () => {
      if (session?.at !== now) session = { at: now, token: await signIn(server, email) };
      return session.token;
    };
    const call = async (method: string, path: string, body?: unknown) =>
      fetch(`${server.url}/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${await token()}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const create = async (title: string) => {
      const response = await call('POST', '/tasks', { title });
      expect(response.status).toBe(201);
      return ((await response.json()) as { id: string }).id;
    };
    const remove = async (id: string) =>
      expect((await call('DELETE', `/tasks/${id}`)).status).toBe(204);
    /** Every task of the user's document as the server holds it, trash included. */
    const stored = async () => {
      const main = await server.server.relay.openDocument(userId, userId);
      const docs = new UserDocs(userId, { main });
      return listTasks(docs, { includeDeleted: true }).map((task) => ({
        title: task.title,
        inTrash: task.deletedAt !== null,
      }));
    };
    const lastRun = async () => {
      const [row] = await server.db.query<{ last_run_at: Date | string | null }>(
        'select last_run_at from trash_purges where user_id = $1',
        [userId],
      );
      return row?.last_run_at ? new Date(row.last_run_at).getTime() : null;
    };
    return { server, userId, call, create, remove, stored, lastRun };
  }

  it('empties the trash of tasks deleted more than 30 days ago, and keeps the rest, for good', async () => {
    const { create, remove, stored, lastRun } = await setUp();
    const old = await create('deleted 31 days ago');
    const recent = await create('deleted 29 days ago');
    await create('kept');
    await remove(old);
    now += 2 * DAY;
    await remove(recent);
    // The job ran when the account was new: nothing was old enough then.
    await waitFor(async () => (await lastRun()) !== null, 'the first purge');
    expect(await stored()).toHaveLength(3);

    now = T0.getTime() + 31 * DAY;
    await waitFor(async () => (await lastRun()) === now, 'the purge of day 31');
    const expected = [
      { title: 'deleted 29 days ago', inTrash: true },
      { title: 'kept', inTrash: false },
    ];
    expect(await stored()).toEqual(expected);

    // Committed like any server write: still gone after a restart, read back from storage.
    await ts?.stop();
    await ts?.restart();
    expect(await stored()).toEqual(expected);
  }, 60_000);

  it('purges each document once a day, even with two servers polling at once', async () => {
    // The two purgers below stand for two servers sharing the database. This server's own job
    // polled at its start, perhaps after the account was made: it stops, and its bookkeeping
    // goes, so the document is new to both.
    const { server, create, remove, stored } = await setUp({ pollIntervalMs: 3_600_000 });
    await server.server.trash.stop();
    await server.db.query('delete from trash_purges');
    await remove(await create('old'));
    await create('kept');
    const access = createDocumentAccess({ relay: server.server.relay, db: server.db, clock });
    const purgers = [0, 1].map(() =>
      createTrashPurger({ db: server.db, access, log: silentLogger, clock }),
    );
    const runAll = async () => {
      const runs = await Promise.all(purgers.map((purger) => purger.runDue()));
      return runs.reduce((sum, run) => sum + run, 0);
    };

    expect(await runAll()).toBe(1); // the new account's document, by one of the two
    expect(await stored()).toEqual([
      { title: 'old', inTrash: true },
      { title: 'kept', inTrash: false },
    ]);
    now = T0.getTime() + 31 * DAY;
    expect(await runAll()).toBe(1);
    expect(await stored()).toEqual([{ title: 'kept', inTrash: false }]);
    expect(await runAll()).toBe(0); // done for today
    now += DAY;
    expect(await runAll()).toBe(1);
    expect(await stored()).toEqual([{ title: 'kept', inTrash: false }]);
  }, 60_000);
});
