import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { testDatabaseKinds } from '../db/test-databases.js';
import {
  callApi as call,
  startTestServer,
  type TestServer,
  type TestUser,
} from '../test-server.js';

interface Version {
  version: number;
  recorded_at: string;
  devices: string[];
  changes: { field: string; before: unknown; after: unknown }[];
}

async function waitFor<T>(read: () => Promise<T>, ok: (value: T) => boolean, what: string) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const value = await read();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A device: its own Yjs client, synced through the relay like the app. */
function device(ts: TestServer, user: TestUser, clientId: number) {
  const doc = new Y.Doc();
  doc.clientID = clientId;
  const provider = new WebsocketProvider(ts.wsUrl, user.userId, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    params: { token: user.token },
    disableBc: true,
  });
  return { doc, provider };
}

describe.each(testDatabaseKinds())('task history on %s', (kind) => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer(kind);
  }, 60_000);
  afterAll(async () => {
    await ts?.dispose();
  });

  it('shows three edits from two devices with who and what, and restores the first version', async () => {
    const user = await ts.register('history');
    const created = await call<{ id: string }>(ts, user, 'POST', '/tasks', {
      title: 'Plan the trip',
      priority: 'LOW',
    });
    const id = created.body.id;
    const history = () => call<{ items: Version[] }>(ts, user, 'GET', `/tasks/${id}/history`);
    const laptop = device(ts, user, 1111);
    const phone = device(ts, user, 2222);
    try {
      const taskOn = (doc: Y.Doc) => doc.getMap('tasks').get(id) as Y.Map<unknown> | undefined;
      await waitFor(
        async () => taskOn(laptop.doc) !== undefined && taskOn(phone.doc) !== undefined,
        Boolean,
        'the task on both devices',
      );
      const edit = async (doc: Y.Doc, key: string, value: unknown, versions: number) => {
        taskOn(doc)?.set(key, value);
        await waitFor(
          history,
          (reply) => reply.body.items.length === versions,
          `version ${versions}`,
        );
      };
      await edit(laptop.doc, 'title', 'Plan the trip to Porto', 2);
      await edit(phone.doc, 'priority', 'HIGH', 3);
      await edit(laptop.doc, 'status', 'IN_PROGRESS', 4);

      const items = (await history()).body.items;
      expect(items.map((item) => item.version)).toEqual([4, 3, 2, 1]);
      expect(items.map((item) => item.changes)).toEqual([
        [{ field: 'status', before: 'TODO', after: 'IN_PROGRESS' }],
        [{ field: 'priority', before: 'LOW', after: 'HIGH' }],
        [{ field: 'title', before: 'Plan the trip', after: 'Plan the trip to Porto' }],
        [
          { field: 'title', before: null, after: 'Plan the trip' },
          { field: 'description', before: null, after: '' },
          { field: 'status', before: null, after: 'TODO' },
          { field: 'priority', before: null, after: 'LOW' },
        ],
      ]);
      // Who wrote the fields of each version: the server (REST), then each device's client.
      expect(items[3]?.devices).toEqual(['server']);
      expect(items[2]?.devices).toContain('1111');
      expect(items[1]?.devices).toEqual(expect.arrayContaining(['1111', '2222']));
      expect(items.every((item) => !Number.isNaN(Date.parse(item.recorded_at)))).toBe(true);

      const restored = await call<{ title: string; priority: string; status: string }>(
        ts,
        user,
        'POST',
        `/tasks/${id}/history/1/restore`,
      );
      expect(restored.status).toBe(200);
      expect(restored.body).toMatchObject({
        title: 'Plan the trip',
        priority: 'LOW',
        status: 'TODO',
      });
      // The restore is a change like any other: the devices get it, and it is a new version.
      await waitFor(
        async () => taskOn(phone.doc)?.get('title'),
        (title) => title === 'Plan the trip',
        'the restore on the phone',
      );
      const after = await waitFor(history, (reply) => reply.body.items.length === 5, 'version 5');
      expect(after.body.items[0]?.changes.map((change) => change.field).sort()).toEqual([
        'priority',
        'status',
        'title',
      ]);
    } finally {
      laptop.provider.destroy();
      phone.provider.destroy();
    }
  }, 60_000);

  it('answers 404 for another user’s task, an unknown one, or a version it does not have', async () => {
    const owner = await ts.register('owner');
    const other = await ts.register('other');
    const task = await call<{ id: string }>(ts, owner, 'POST', '/tasks', { title: 'Mine' });
    expect((await call(ts, other, 'GET', `/tasks/${task.body.id}/history`)).status).toBe(404);
    expect((await call(ts, owner, 'GET', '/tasks/nope/history')).status).toBe(404);
    const missing = await call(ts, owner, 'POST', `/tasks/${task.body.id}/history/9/restore`);
    expect(missing.status).toBe(404);
    const bad = await call(ts, owner, 'POST', `/tasks/${task.body.id}/history/zero/restore`);
    expect(bad.status).toBe(422);
  });
});
