import { randomUUID } from 'node:crypto';
import { createTask, UserDocs } from '@tasks/crdt';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import type { Database } from '../db/database.js';
import { testDatabaseKinds } from '../db/test-databases.js';
import { silentLogger } from '../logger.js';
import type { DocumentChange } from '../relay/relay.js';
import type { DocumentAccess } from '../rest/document-access.js';
import {
  callApi as call,
  startTestServer,
  type TestServer,
  type TestUser,
} from '../test-server.js';
import { createTaskHistory } from './task-history.js';

interface Version {
  version: number;
  recorded_at: string;
  devices: string[];
  changes: { field: string; before: unknown; after: unknown }[];
}

interface DeletedPage {
  items: {
    task_id: string;
    title: string;
    deleted_at: string;
    version: number;
    recorded_at: string;
    devices: string[];
    fields: { deletedAt: string | null };
  }[];
  total: number;
  page: number;
  limit: number;
  total_pages: number;
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
    // One recording a minute unless the history is read: each test decides what is a version.
    ts = await startTestServer(kind, { history: { windowMs: 60_000, perWindow: 1 } });
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
      // Read once, so the creation is recorded as its own version before the first edit.
      await waitFor(history, (reply) => reply.body.items.length === 1, 'version 1');
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

  it('records a first version of each of 2,500 tasks a device imported in one change', async () => {
    const user = await ts.register('import');
    const laptop = device(ts, user, 4444);
    try {
      await new Promise<void>((resolve) => laptop.provider.once('sync', () => resolve()));
      const docs = new UserDocs(user.userId, { main: laptop.doc });
      const ctx = { now: () => new Date('2026-03-02T09:00:00Z'), newId: () => randomUUID() };
      const ids: string[] = [];
      laptop.doc.transact(() => {
        for (let index = 0; index < 2_500; index += 1) {
          ids.push(createTask(docs, { title: `Imported ${index}` }, ctx).id);
        }
      });
      // More than one statement's worth of rows (they go in chunks): the first, a middle one and
      // the last task each have their version 1, written by the device.
      for (const id of [ids[0], ids[1_250], ids[2_499]] as string[]) {
        const reply = await waitFor(
          () => call<{ items: Version[] }>(ts, user, 'GET', `/tasks/${id}/history`),
          (value) => value.status === 200 && value.body.items.length === 1,
          `the version of ${id}`,
        );
        expect(reply.body.items[0]).toMatchObject({ version: 1, devices: ['4444'] });
      }
    } finally {
      laptop.provider.destroy();
    }
  }, 60_000);

  it('gathers a burst of edits into one version, recorded when the history is read', async () => {
    const user = await ts.register('burst');
    const created = await call<{ id: string }>(ts, user, 'POST', '/tasks', { title: 'Draft' });
    const id = created.body.id;
    const versions = async () =>
      (await call<{ items: Version[] }>(ts, user, 'GET', `/tasks/${id}/history`)).body.items;
    expect(await versions()).toHaveLength(1);
    await call(ts, user, 'PATCH', `/tasks/${id}`, { title: 'Draft, edited' });
    await call(ts, user, 'PATCH', `/tasks/${id}`, { priority: 'HIGH' });
    const items = await versions();
    expect(items.map((item) => item.version)).toEqual([2, 1]);
    expect(items[0]?.changes).toEqual([
      { field: 'title', before: 'Draft', after: 'Draft, edited' },
      { field: 'priority', before: 'MEDIUM', after: 'HIGH' },
    ]);
  });

  it('records a change whose recording failed at the next recording', async () => {
    const user = await ts.register('failing');
    const create = async (title: string) =>
      (await call<{ id: string }>(ts, user, 'POST', '/tasks', { title })).body.id;
    const versionsOf = async (id: string) =>
      (await call<{ items: Version[] }>(ts, user, 'GET', `/tasks/${id}/history`)).body.items;
    const first = await create('First');
    const second = await create('Second');
    expect(await versionsOf(first)).toHaveLength(1);
    // The database refuses new versions for a while (as during an outage).
    await ts.db.exec(`
      create function refuse_versions() returns trigger language plpgsql as
        $$ begin raise exception 'versions refused for the test'; end $$;
      create trigger refuse_versions before insert on task_versions
        for each row execute function refuse_versions();
    `);
    try {
      await call(ts, user, 'PATCH', `/tasks/${first}`, { title: 'First, renamed' });
      // The history view flushes the recording, which fails: the rename is not recorded yet.
      expect(await versionsOf(first)).toHaveLength(1);
    } finally {
      await ts.db.exec(
        'drop trigger refuse_versions on task_versions; drop function refuse_versions();',
      );
    }
    // A change to another task: its recording also records the rename it missed.
    await call(ts, user, 'PATCH', `/tasks/${second}`, { priority: 'HIGH' });
    const renamed = await waitFor(
      () => versionsOf(first),
      (items) => items.length === 2,
      'the missed version',
    );
    expect(renamed[0]?.changes).toEqual([
      { field: 'title', before: 'First', after: 'First, renamed' },
    ]);
  }, 60_000);

  it('lists tasks gone from the document as recently deleted, and restores one as a change', async () => {
    const user = await ts.register('deleted');
    const create = async (title: string) =>
      (await call<{ id: string }>(ts, user, 'POST', '/tasks', { title, priority: 'HIGH' })).body.id;
    const removed = await create('Old plan');
    // Its version is recorded (the history flushes) a second before the next task goes to the
    // trash (a deletedAt has whole seconds), so the list's order is known.
    expect((await call(ts, user, 'GET', `/tasks/${removed}/history`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const purged = await create('Draft the speech');
    const trashed = await create('Still in the trash');
    expect((await call(ts, user, 'DELETE', `/tasks/${purged}`)).status).toBe(204);
    expect((await call(ts, user, 'DELETE', `/tasks/${trashed}`)).status).toBe(204);
    const deletedList = () => call<DeletedPage>(ts, user, 'GET', '/tasks/history/deleted');
    expect((await deletedList()).body.items).toEqual([]);

    // A device empties part of the trash (as the app's start-up purge does) and removes a task.
    const phone = device(ts, user, 3333);
    try {
      const tasks = phone.doc.getMap('tasks');
      await waitFor(async () => tasks.has(purged) && tasks.has(removed), Boolean, 'the tasks');
      phone.doc.transact(() => {
        tasks.delete(purged);
        tasks.delete(removed);
      });
      const listed = await waitFor(
        deletedList,
        (reply) => reply.body.total === 2,
        'two recently deleted tasks',
      );
      expect(listed.status).toBe(200);
      const [first, second] = listed.body.items;
      expect(listed.body.items.map((item) => [item.task_id, item.title])).toEqual([
        [purged, 'Draft the speech'],
        [removed, 'Old plan'],
      ]);
      expect(first?.deleted_at).toBe(first?.fields.deletedAt);
      expect(second?.deleted_at).toBe(second?.recorded_at);
      expect(second?.fields.deletedAt).toBeNull();
      expect(listed.body).toMatchObject({ total: 2, page: 1, limit: 50, total_pages: 1 });
      const paged = await call<DeletedPage>(
        ts,
        user,
        'GET',
        '/tasks/history/deleted?limit=1&page=2',
      );
      expect(paged.body.items.map((item) => item.task_id)).toEqual([removed]);

      // Restored from its last version: back under its id, out of the trash, on the device too.
      const restored = await call<{
        id: string;
        title: string;
        priority: string;
        deleted_at: unknown;
      }>(ts, user, 'POST', `/tasks/${purged}/history/${first?.version}/restore`);
      expect(restored.status).toBe(200);
      expect(restored.body).toMatchObject({
        id: purged,
        title: 'Draft the speech',
        priority: 'HIGH',
      });
      expect((await call(ts, user, 'GET', `/tasks/${purged}`)).status).toBe(200);
      await waitFor(async () => tasks.has(purged), Boolean, 'the restored task on the phone');
      const after = await deletedList();
      expect(after.body.items.map((item) => item.task_id)).toEqual([removed]);
      const history = await call<{ items: Version[] }>(ts, user, 'GET', `/tasks/${purged}/history`);
      expect(history.body.items[0]?.changes).toContainEqual({
        field: 'deletedAt',
        before: first?.fields.deletedAt,
        after: null,
      });
    } finally {
      phone.provider.destroy();
    }
    const other = await ts.register('stranger');
    expect(
      (await call<DeletedPage>(ts, other, 'GET', '/tasks/history/deleted')).body.items,
    ).toEqual([]);
    const bad = await call(ts, user, 'GET', '/tasks/history/deleted?limit=500');
    expect(bad.status).toBe(422);
    expect(bad.body.error.fields).toEqual([{ field: 'limit', message: 'must be at most 100' }]);
  }, 60_000);

  it('documents the recently deleted list in the OpenAPI document', async () => {
    const response = await fetch(`${ts.url}/api/v1/openapi.json`);
    const doc = (await response.json()) as {
      paths: Record<string, Record<string, { parameters?: { name: string }[] }>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    const list = doc.paths['/tasks/history/deleted']?.get;
    expect(list?.parameters?.map((parameter) => parameter.name)).toEqual(['page', 'limit']);
    expect(Object.keys(doc.components.schemas.DeletedTask?.properties ?? {})).toEqual([
      'task_id',
      'title',
      'deleted_at',
      'version',
      'recorded_at',
      'devices',
      'fields',
    ]);
  });

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

describe('task history’s memory', () => {
  /** A history fed changes by hand, over documents in which `use` finds nothing to record. */
  function historyOf(use: (userId: string) => Promise<never[]>) {
    let listener: ((change: DocumentChange) => void) | null = null;
    const history = createTaskHistory({
      db: null as unknown as Database, // never reached: no recording finds a changed task
      access: { use } as unknown as DocumentAccess,
      changes: (next) => {
        listener = next;
        return () => {
          listener = null;
        };
      },
      clock: () => new Date('2026-03-01T09:00:00Z'),
      log: silentLogger,
      windowMs: 1000,
      perWindow: 3,
    });
    const change = (userId: string) => listener?.({ room: userId, ownerId: userId, origin: null });
    return { history, change };
  }

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('forgets each user once their recordings are done and their window is over', async () => {
    const { history, change } = historyOf(async () => []);
    for (let user = 0; user < 500; user += 1) change(`user-${user}`);
    await history.flush();
    expect(history.trackedUsers).toBe(500);
    await vi.advanceTimersByTimeAsync(2_100);
    expect(history.trackedUsers).toBe(0);
    change('user-1');
    expect(history.trackedUsers).toBe(1);
    await history.flush();
    await vi.advanceTimersByTimeAsync(2_100);
    expect(history.trackedUsers).toBe(0);
    history.stop();
  });

  it('keeps a user whose recording failed, so their next recording compares every task', async () => {
    const { history, change } = historyOf(async (userId) => {
      if (userId === 'failing') throw new Error('storage unavailable');
      return [];
    });
    change('failing');
    change('fine');
    await history.flush();
    await vi.advanceTimersByTimeAsync(5_000);
    expect(history.trackedUsers).toBe(1);
    history.stop();
  });
});
