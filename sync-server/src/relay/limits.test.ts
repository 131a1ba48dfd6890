import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { testDatabaseKinds } from '../db/test-databases.js';
import { callApi, startTestServer, type TestServer, type TestUser } from '../test-server.js';
import { waitFor } from '../test-support/server-process.js';
import { encodeUpdate } from './protocol.js';
import { Relay } from './relay.js';

/**
 * What stays bounded while a client pushes against it, what a large backlog does, and what a
 * connected device costs: no loaded document.
 */

function connect(ts: TestServer, user: TestUser, doc: Y.Doc) {
  return new WebsocketProvider(ts.wsUrl, user.userId, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    params: { token: user.token },
    disableBc: true,
  });
}

function openSocket(ts: TestServer, user: TestUser): Promise<WebSocket> {
  const ws = new WebSocket(`${ts.wsUrl}/${user.userId}?token=${user.token}`);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** An update of `bytes` of fresh text. */
function bulkyUpdate(bytes: number, doc = new Y.Doc()): Uint8Array {
  const before = Y.encodeStateVector(doc);
  doc.getText('bulk').insert(0, 'x'.repeat(bytes));
  return Y.encodeStateAsUpdate(doc, before);
}

describe('relay limits', () => {
  it('cuts a client that never reads, and keeps serving the one that writes', async () => {
    const ts = await startTestServer('pglite', {
      config: { MAX_SEND_BUFFER_BYTES: String(256 * 1024) },
      relay: { compactTailBytes: 1024 * 1024 * 1024 },
    });
    try {
      const user = await ts.register('slow');
      const stalled = await openSocket(ts, user);
      // The client stops reading its socket: the server's copies pile up in its send buffer
      // once the kernel's buffers (a few MiB on loopback) are full.
      (stalled as unknown as { _socket: Socket })._socket.pause();
      const writer = await openSocket(ts, user);
      const doc = new Y.Doc();
      const count = 12;
      const size = 500_000;
      for (let i = 0; i < count; i += 1) writer.send(encodeUpdate(bulkyUpdate(size, doc)));
      await waitFor(() => ts.server.relay.stats().slowConsumers === 1, 60_000, 'slow consumer cut');
      // The cut socket is gone; the writer's stays.
      await waitFor(() => ts.server.relay.stats().connections === 1, 10_000, 'one connection left');
      expect(writer.readyState).toBe(WebSocket.OPEN);
      // Everything the writer sent is stored.
      await ts.server.relay.flush();
      const stored = await ts.server.relay.openDocument(user.userId, user.userId);
      await waitFor(() => stored.getText('bulk').length === count * size, 60_000, 'writer stored');
      writer.close();
      stalled.terminate();
    } finally {
      await ts.dispose();
    }
  }, 90_000);

  it('stops reading sockets while the commit queue is full, instead of growing it', async () => {
    const limit = 256 * 1024;
    const message = 40_000;
    const ts = await startTestServer('pglite', {
      relay: {
        maxUncommittedBytes: limit,
        maxConnectionQueuedBytes: 128 * 1024,
        compactTailBytes: 1024 * 1024 * 1024,
      },
      // A slow commit window, so the queue fills faster than it drains.
      config: { COMMIT_WINDOW_MS: '50' },
    });
    try {
      const user = await ts.register('pressure');
      const writers = await Promise.all([0, 1, 2].map(() => openSocket(ts, user)));
      const perWriter = 40;
      for (const [index, ws] of writers.entries()) {
        const doc = new Y.Doc();
        doc.clientID = 1000 + index;
        for (let i = 0; i < perWriter; i += 1) ws.send(encodeUpdate(bulkyUpdate(message, doc)));
      }
      const fresh = new Y.Doc();
      const reader = connect(ts, user, fresh);
      await waitFor(
        () => fresh.getText('bulk').length === writers.length * perWriter * message,
        90_000,
        'every update stored and relayed',
      );
      reader.destroy();
      const { peakUncommittedBytes } = ts.server.relay.stats();
      // Over the limit by at most what each connection had already read when reading stopped:
      // its own queue cap and the message that crossed it, plus one read chunk.
      expect(peakUncommittedBytes).toBeGreaterThan(limit / 2);
      expect(peakUncommittedBytes).toBeLessThanOrEqual(
        limit + writers.length * (128 * 1024 + 2 * message),
      );
      for (const ws of writers) ws.close();
    } finally {
      await ts.dispose();
    }
  }, 120_000);
});

describe.each(testDatabaseKinds())('relay without loaded documents on %s', (kind) => {
  it('syncs a backlog far larger than MAX_FRAME_BYTES with the stock client', async () => {
    const ts = await startTestServer(kind, { config: { MAX_FRAME_BYTES: String(64 * 1024) } });
    try {
      const user = await ts.register('backlog');
      // A device offline for a week: 3,000 tasks made without a connection (about 400 KB).
      const offline = new Y.Doc();
      offline.transact(() => {
        const tasks = offline.getMap<Y.Map<unknown>>('offline-tasks');
        for (let i = 0; i < 3_000; i += 1) {
          const task = new Y.Map<unknown>();
          task.set('title', `task ${i} written on the train`);
          task.set('done', false);
          tasks.set(`t${i}`, task);
        }
      });
      expect(Y.encodeStateAsUpdate(offline).byteLength).toBeGreaterThan(64 * 1024);
      const device = connect(ts, user, offline);
      await waitFor(() => device.synced, 30_000, 'device synced');
      const fresh = new Y.Doc();
      const reader = connect(ts, user, fresh);
      await waitFor(() => fresh.getMap('offline-tasks').size === 3_000, 30_000, 'backlog stored');
      reader.destroy();
      device.destroy();
    } finally {
      await ts.dispose();
    }
  }, 90_000);

  it('serves connected devices from stored bytes, and evicts cached documents by budget', async () => {
    const ts = await startTestServer(kind, { relay: { docCacheBytes: 40 * 1024 } });
    try {
      const users = await Promise.all([0, 1, 2, 3].map((i) => ts.register(`cache${i}`)));
      const docs = users.map(() => new Y.Doc());
      const providers = users.map((user, index) => connect(ts, user, docs[index] as Y.Doc));
      await waitFor(() => providers.every((p) => p.synced), 15_000, 'devices synced');
      const loadedBefore = ts.server.relay.stats().loadedDocuments;
      for (const [index, doc] of docs.entries()) doc.getMap('m').set('hello', index);
      await ts.server.relay.flush();
      // Devices syncing and editing load no document.
      expect(ts.server.relay.stats().loadedDocuments).toBeLessThanOrEqual(loadedBefore);
      // REST loads one per user, within the budget: the least recently used go, sockets or not.
      for (const user of users) {
        const reply = await callApi(ts, user, 'POST', '/tasks', { title: 'via REST' });
        expect(reply.status).toBe(201);
      }
      const stats = ts.server.relay.stats();
      expect(stats.docCacheBytes).toBeLessThanOrEqual(40 * 1024);
      expect(stats.docCacheEvictions).toBeGreaterThan(0);
      // Every device still receives what REST wrote, cached or not.
      await waitFor(
        () => docs.every((doc) => doc.getMap('tasks').size === 1),
        15_000,
        'REST writes reached every device',
      );
      for (const provider of providers) provider.destroy();
    } finally {
      await ts.dispose();
    }
  }, 90_000);

  it('keeps every acknowledged update when two server processes compact the same document', async () => {
    const ts = await startTestServer(kind, { relay: { compactAfterUpdates: 5 } });
    // A second relay on the same database stands for a second server process.
    const { createSqlDocStore } = await import('../persistence/sql-doc-store.js');
    const { silentLogger } = await import('../logger.js');
    const other = new Relay({
      store: createSqlDocStore(ts.db),
      log: silentLogger,
      options: {
        maxMessagesPerSecond: 1000,
        docQuotaBytes: 64 * 1024 * 1024,
        decodeTimeoutMs: 5000,
        commitWindowMs: 0,
        compactAfterUpdates: 5,
      },
    });
    try {
      const user = await ts.register('compact2');
      const doc = new Y.Doc();
      const device = connect(ts, user, doc);
      await waitFor(() => device.synced, 15_000, 'device synced');
      // The other process writes to the same document through its own cache, while the device
      // writes through the first: both compact as their tails grow.
      for (let i = 0; i < 60; i += 1) {
        doc.getMap('device').set(`d${i}`, i);
        const lease = await other.lease(user.userId, [user.userId]);
        lease.write(() => (lease.docs[0] as Y.Doc).getMap('server').set(`s${i}`, i));
        await lease.committed();
        lease.release();
      }
      await ts.server.relay.flush();
      const fresh = new Y.Doc();
      const reader = connect(ts, user, fresh);
      await waitFor(
        () => fresh.getMap('device').size === 60 && fresh.getMap('server').size === 60,
        15_000,
        'every update from both processes',
      );
      // Both processes compacted (or lost a compare-and-set to the other), in the background.
      const attempts = (relay: Relay) => relay.compactor.compactions + relay.compactor.lostRaces;
      await waitFor(
        () => attempts(ts.server.relay) >= 1 && attempts(other) >= 1,
        20_000,
        'both processes compacting',
      );
      expect(ts.server.relay.compactor.compactions + other.compactor.compactions).toBeGreaterThan(
        0,
      );
      // What both wrote is still there after their compactions.
      const after = new Y.Doc();
      const again = connect(ts, user, after);
      await waitFor(
        () => after.getMap('device').size === 60 && after.getMap('server').size === 60,
        15_000,
        'every update after compaction',
      );
      again.destroy();
      reader.destroy();
      device.destroy();
    } finally {
      await other.close();
      await ts.dispose();
    }
  }, 90_000);
});
