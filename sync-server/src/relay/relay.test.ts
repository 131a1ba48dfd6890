import * as decoding from 'lib0/decoding';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { createTokenService } from '../auth/token-service.js';
import { testDatabaseKinds } from '../db/test-databases.js';
import {
  startTestServer,
  TEST_AUTH_SECRET,
  type TestServer,
  type TestUser,
} from '../test-server.js';
import { CLOSE, encodeUpdate, MESSAGE_DURABLE_ACK } from './protocol.js';

async function waitFor(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function connect(ts: TestServer, user: TestUser, doc: Y.Doc, room = user.userId, extra = {}) {
  return new WebsocketProvider(ts.wsUrl, room, doc, {
    WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
    params: { token: user.token, ...extra },
    disableBc: true,
  });
}

/** Opens a raw websocket and reports how the upgrade or the connection ended. */
function rawSocket(url: string): Promise<{ ws: WebSocket; status: number | null }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.on('open', () => resolve({ ws, status: 101 }));
    ws.on('unexpected-response', (_request, response) =>
      resolve({ ws, status: response.statusCode ?? null }),
    );
    ws.on('error', () => resolve({ ws, status: null }));
  });
}

function closeOf(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
}

describe.each(testDatabaseKinds())('relay on %s', (kind) => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer(kind, { config: { MAX_FRAME_BYTES: String(64 * 1024) } });
  }, 60_000);
  afterAll(async () => {
    await ts?.dispose();
  });

  it('lets two stock y-websocket clients of one user see each other’s edits live', async () => {
    const user = await ts.register('live');
    const laptop = new Y.Doc();
    const phone = new Y.Doc();
    const a = connect(ts, user, laptop);
    const b = connect(ts, user, phone);
    try {
      await waitFor(() => a.synced && b.synced, 5000, 'both synced');
      laptop.getMap('tasks').set('t1', 'Write report');
      await waitFor(
        () => phone.getMap('tasks').get('t1') === 'Write report',
        2000,
        'laptop edit on phone',
      );
      phone.getText('notes').insert(0, 'from the phone');
      await waitFor(
        () => laptop.getText('notes').toString() === 'from the phone',
        2000,
        'phone edit on laptop',
      );
    } finally {
      a.destroy();
      b.destroy();
    }
  });

  it('merges edits a client made offline when it reconnects', async () => {
    const user = await ts.register('offline');
    const laptop = new Y.Doc();
    const phone = new Y.Doc();
    const a = connect(ts, user, laptop);
    const b = connect(ts, user, phone);
    try {
      await waitFor(() => a.synced && b.synced);
      b.disconnect();
      phone.getMap('tasks').set('offline', 'made on the train');
      laptop.getMap('tasks').set('online', 'made at the desk');
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(laptop.getMap('tasks').has('offline')).toBe(false);
      b.connect();
      await waitFor(() => laptop.getMap('tasks').get('offline') === 'made on the train');
      await waitFor(() => phone.getMap('tasks').get('online') === 'made at the desk');
    } finally {
      a.destroy();
      b.destroy();
    }
  });

  it('keeps every edit across a server restart and tells the sender when each is durable', async () => {
    const user = await ts.register('durable');
    const doc = new Y.Doc();
    const provider = connect(ts, user, doc, user.userId, { ack: '1' });
    let acked = 0;
    // A client that opted in handles our message type through the stock provider's handler table.
    provider.messageHandlers[MESSAGE_DURABLE_ACK] = (_encoder, decoder) => {
      acked = Math.max(acked, decoding.readVarUint(decoder));
    };
    try {
      await waitFor(() => provider.synced);
      const sentBefore = acked;
      for (let i = 0; i < 20; i += 1) doc.getMap('items').set(`k${i}`, i);
      await waitFor(() => acked >= sentBefore + 20, 5000, 'durable acks');
      const [row] = await ts.db.query<{ n: string | number }>(
        'select count(*) as n from document_updates where name = $1',
        [user.userId],
      );
      expect(Number(row?.n)).toBeGreaterThanOrEqual(20);
    } finally {
      provider.destroy();
    }
    await ts.stop();
    await ts.restart();
    const fresh = new Y.Doc();
    const again = connect(ts, user, fresh);
    try {
      await waitFor(() => again.synced);
      await waitFor(() => fresh.getMap('items').size === 20, 3000, 'all items after restart');
    } finally {
      again.destroy();
    }
  });

  it('stores what a client sent right before closing its socket', async () => {
    const user = await ts.register('parting');
    const { ws } = await rawSocket(`${ts.wsUrl}/${user.userId}?token=${user.token}`);
    const doc = new Y.Doc();
    const updates: Uint8Array[] = [];
    doc.on('update', (update: Uint8Array) => updates.push(update));
    for (let i = 0; i < 30; i += 1) doc.getMap('m').set(`k${i}`, i);
    for (const update of updates) ws.send(encodeUpdate(update));
    ws.close();
    const fresh = new Y.Doc();
    const reader = connect(ts, user, fresh);
    try {
      await waitFor(
        () => fresh.getMap('m').size === 30,
        10_000,
        'every update sent before the close',
      );
    } finally {
      reader.destroy();
    }
  });

  it('refuses an upgrade without a token, with a bad token, or for another user’s document', async () => {
    const alice = await ts.register('alice');
    const bob = await ts.register('bob');
    expect((await rawSocket(`${ts.wsUrl}/${alice.userId}`)).status).toBe(401);
    expect((await rawSocket(`${ts.wsUrl}/${alice.userId}?token=garbage`)).status).toBe(401);
    const tampered = `${alice.token.slice(0, -4)}AAAA`;
    expect((await rawSocket(`${ts.wsUrl}/${alice.userId}?token=${tampered}`)).status).toBe(401);
    expect((await rawSocket(`${ts.wsUrl}/${bob.userId}?token=${alice.token}`)).status).toBe(403);
    expect(
      (await rawSocket(`${ts.wsUrl}/${bob.userId}/time/2025-10?token=${alice.token}`)).status,
    ).toBe(403);
    expect((await rawSocket(`${ts.wsUrl}/not-a-room?token=${alice.token}`)).status).toBe(404);
    const expired = await createTokenService({
      secret: TEST_AUTH_SECRET,
      clock: () => new Date(Date.now() - 2 * 3600_000),
    }).issueAccessToken({ userId: alice.userId, role: 'user' });
    expect((await rawSocket(`${ts.wsUrl}/${alice.userId}?token=${expired}`)).status).toBe(401);
    const month = await rawSocket(`${ts.wsUrl}/${alice.userId}/time/2025-10?token=${alice.token}`);
    expect(month.status).toBe(101);
    month.ws.close();
  });

  it('closes only the connection that sends an oversized presence message or garbage', async () => {
    const user = await ts.register('frames');
    const doc = new Y.Doc();
    const peer = connect(ts, user, doc);
    try {
      await waitFor(() => peer.synced);
      const url = `${ts.wsUrl}/${user.userId}?token=${user.token}`;
      const big = await rawSocket(url);
      const bigClosed = closeOf(big.ws);
      // Presence (type 1) over MAX_FRAME_BYTES; only sync messages may be as large as a backlog.
      const bigPresence = new Uint8Array(65 * 1024);
      bigPresence[0] = 1;
      big.ws.send(bigPresence);
      expect((await bigClosed).code).toBe(CLOSE.messageTooBig);

      const garbage = await rawSocket(url);
      const garbageClosed = closeOf(garbage.ws);
      garbage.ws.send(new Uint8Array([0, 1, 250, 250, 250]));
      expect((await garbageClosed).code).toBe(CLOSE.malformed);

      const unknown = await rawSocket(url);
      const unknownClosed = closeOf(unknown.ws);
      unknown.ws.send(new Uint8Array([42, 0]));
      expect((await unknownClosed).code).toBe(CLOSE.malformed);

      const badUpdate = await rawSocket(url);
      const badUpdateClosed = closeOf(badUpdate.ws);
      badUpdate.ws.send(encodeUpdate(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9])));
      expect((await badUpdateClosed).code).toBe(CLOSE.malformed);

      // The well-behaved client and the server carry on.
      doc.getMap('m').set('still', 'here');
      const other = new Y.Doc();
      const check = connect(ts, user, other);
      await waitFor(() => other.getMap('m').get('still') === 'here');
      check.destroy();
    } finally {
      peer.destroy();
    }
  });

  it('closes a connection whose update declares far more structs than it holds (yjs #687)', async () => {
    const user = await ts.register('bomb');
    const { ws } = await rawSocket(`${ts.wsUrl}/${user.userId}?token=${user.token}`);
    const closed = closeOf(ws);
    // 1 client, 2^28 structs, then almost nothing: the decoder must not run away with it.
    const bomb = new Uint8Array([1, 0x80, 0x80, 0x80, 0x80, 0x01, 1, 0, 0, 1, 0]);
    ws.send(encodeUpdate(bomb));
    const { code } = await closed;
    expect([CLOSE.malformed, CLOSE.decodeTimeout]).toContain(code);
  });

  it('closes a connection that floods messages', async () => {
    const metricsToken = 'flood-metrics-token-0123456789abcdef';
    const flood = await startTestServer(kind, {
      config: { MAX_MESSAGES_PER_SECOND: '5', METRICS_TOKEN: metricsToken },
    });
    try {
      const user = await flood.register('flood');
      const { ws } = await rawSocket(`${flood.wsUrl}/${user.userId}?token=${user.token}`);
      const closed = closeOf(ws);
      const update = Y.encodeStateAsUpdate(new Y.Doc());
      for (let i = 0; i < 100; i += 1) ws.send(encodeUpdate(update));
      expect((await closed).code).toBe(CLOSE.rateLimited);
      // Operators see it: one connection cut by the rate limit.
      const scrape = await fetch(`${flood.url}/metrics`, {
        headers: { authorization: `Bearer ${metricsToken}` },
      });
      expect(await scrape.text()).toMatch(/^tasks_websocket_rate_limited_total 1$/m);
    } finally {
      await flood.dispose();
    }
  });

  it('refuses updates beyond the user’s storage quota', async () => {
    const small = await startTestServer(kind, { config: { DOC_QUOTA_BYTES: '2000' } });
    try {
      const user = await small.register('quota');
      // Registration stores the new document (seeded with the account's zone): the refused
      // update must add nothing to it.
      const storedUpdates = async () => {
        const [row] = await small.db.query<{ n: string | number }>(
          'select count(*) as n from document_updates',
        );
        return Number(row?.n);
      };
      const before = await storedUpdates();
      const { ws } = await rawSocket(`${small.wsUrl}/${user.userId}?token=${user.token}`);
      const closed = closeOf(ws);
      const doc = new Y.Doc();
      doc.getText('t').insert(0, 'x'.repeat(5000));
      ws.send(encodeUpdate(Y.encodeStateAsUpdate(doc)));
      expect((await closed).code).toBe(CLOSE.quotaExceeded);
      expect(await storedUpdates()).toBe(before);
    } finally {
      await small.dispose();
    }
  });

  it('compacts a long log into a snapshot and serves the same document from it', async () => {
    const compacting = await startTestServer(kind, { relay: { compactAfterUpdates: 10 } });
    try {
      const user = await compacting.register('compact');
      const doc = new Y.Doc();
      const provider = connect(compacting, user, doc);
      await waitFor(() => provider.synced);
      for (let i = 0; i < 25; i += 1) doc.getMap('m').set(`k${i}`, i);
      const snapshotted = async () => {
        const [row] = await compacting.db.query<{ snapshot: Uint8Array | null }>(
          'select snapshot from documents where name = $1',
          [user.userId],
        );
        return row?.snapshot != null;
      };
      const deadline = Date.now() + 15_000;
      while (!(await snapshotted()) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(await snapshotted()).toBe(true);
      provider.destroy();
      await compacting.stop();
      await compacting.restart();
      const [log] = await compacting.db.query<{ n: string | number }>(
        'select count(*) as n from document_updates where name = $1',
        [user.userId],
      );
      expect(Number(log?.n)).toBeLessThan(25);
      const fresh = new Y.Doc();
      const reader = connect(compacting, user, fresh);
      await waitFor(() => fresh.getMap('m').size === 25, 15_000, 'document from snapshot + tail');
      reader.destroy();
    } finally {
      await compacting.dispose();
    }
  });
});
