import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { listTasks, UserDocs } from '@tasks/crdt';
import * as decoding from 'lib0/decoding';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { createPostgresDatabase } from '../db/postgres-database.js';
import { testDatabaseUrl } from '../db/test-databases.js';
import { createSqlDocStore } from '../persistence/sql-doc-store.js';
import { holds, RecordingSocket, sentUpdates } from '../test-support/recording-socket.js';
import {
  assertServerBuilt,
  createScratchDatabase,
  freePort,
  healthy,
  killNow,
  registerUser,
  startServerProcess,
  waitFor,
} from '../test-support/server-process.js';
import { startTcpProxy, type TcpProxy } from '../test-support/tcp-proxy.js';
import { MESSAGE_DURABLE_ACK } from './protocol.js';

/**
 * The promise "acknowledged means durable" under the fault it is about: PostgreSQL cut (a TCP
 * proxy resets every connection and refuses new ones) under a live device and REST writes, then
 * restored, then the server killed with kill -9. Nothing acknowledged (a durable ack or a 2xx)
 * may be missing afterwards, and the device, which kept its copy, converges with the server.
 */

const url = testDatabaseUrl();

describe.skipIf(!url)('storage outage and kill -9 on postgres', () => {
  let database: { url: string; drop(): Promise<void> };
  let proxy: TcpProxy;
  let dataDir: string;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    assertServerBuilt();
    database = await createScratchDatabase(url as string, 'outage');
    const target = new URL(database.url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    dataDir = await mkdtemp(path.join(tmpdir(), 'tasks-outage-'));
  }, 60_000);

  afterAll(async () => {
    for (const child of children) await killNow(child);
    await proxy?.close();
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('acknowledges nothing it did not store, and loses nothing it acknowledged', async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const viaProxy = new URL(database.url);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    const env = { DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1' };
    let server = startServerProcess({ ...env, DATABASE_URL: viaProxy.toString() });
    children.push(server);
    await waitFor(() => healthy(base), 30_000, 'server start');
    const { userId, token } = await registerUser(base, 'outage');

    // The device: the stock client with durable acks, writing an edit every 15 ms throughout.
    const device = new Y.Doc();
    const durable: number[][] = [];
    const provider = new WebsocketProvider(`ws://127.0.0.1:${port}/sync`, userId, device, {
      WebSocketPolyfill: RecordingSocket as unknown as typeof globalThis.WebSocket,
      params: { token, ack: '1' },
      disableBc: true,
      maxBackoffTime: 250,
    });
    let ackedOnSocket = 0;
    provider.on('status', () => {
      ackedOnSocket = 0;
    });
    provider.messageHandlers[MESSAGE_DURABLE_ACK] = (_encoder, decoder, p) => {
      const count = decoding.readVarUint(decoder);
      const sent = sentUpdates.get(p.ws as unknown as WebSocket) ?? [];
      for (let i = ackedOnSocket; i < count; i += 1) durable.push(sent[i] ?? []);
      ackedOnSocket = Math.max(ackedOnSocket, count);
    };
    await waitFor(() => provider.synced, 10_000, 'device synced');
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) {
        device.getMap('edits').set(`e${written}`, written);
        written += 1;
        await new Promise((resolve) => setTimeout(resolve, 15));
      }
    })();

    const createTask = (title: string) =>
      fetch(`${base}/api/v1/tasks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ title }),
      });
    const createdIds: string[] = [];
    const before = await createTask('before the outage');
    expect(before.status).toBe(201);
    createdIds.push(((await before.json()) as { id: string }).id);

    await new Promise((resolve) => setTimeout(resolve, 800));
    proxy.cut();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const during = await createTask('during the outage');
    expect(during.status).toBe(503);
    expect(Number(during.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await during.json()) as { error: { code: string } }).error.code).toBe(
      'storage_unavailable',
    );
    // A device connecting meanwhile is told to come back, not that the server broke.
    const refused = await new Promise<{ status: number; retryAfter: string | undefined }>(
      (resolve, reject) => {
        const socket = new WebSocket(`ws://127.0.0.1:${port}/sync/${userId}?token=${token}`);
        socket.on('unexpected-response', (_request, response) => {
          resolve({
            status: response.statusCode ?? 0,
            retryAfter: response.headers['retry-after'],
          });
          socket.terminate();
        });
        socket.on('open', () => reject(new Error('upgraded while storage was down')));
        socket.on('error', () => undefined);
      },
    );
    expect(refused.status).toBe(503);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    proxy.restore();

    // After the outage, writes succeed again (the first may still meet a dead pooled connection).
    await waitFor(
      async () => {
        const after = await createTask('after the outage');
        if (after.status === 201) createdIds.push(((await after.json()) as { id: string }).id);
        return after.status === 201;
      },
      15_000,
      'a REST write after the outage',
    );
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    writing = false;
    await writer;
    // The device leaves once the server acknowledged everything it has.
    await waitFor(
      () => provider.wsconnected && provider.synced && holdsAll(),
      20_000,
      'every edit acknowledged',
    );
    function holdsAll(): boolean {
      const sent = sentUpdates.get(provider.ws as unknown as WebSocket) ?? [];
      return sent.length > 0 && ackedOnSocket >= sent.length;
    }
    const durableCount = durable.length;
    provider.disconnect();
    await killNow(server);

    // Straight from the database: every acknowledged update is stored and readable.
    const db = createPostgresDatabase({ url: database.url, max: 1 });
    const stored = await createSqlDocStore(db).load(userId);
    await db.close();
    const recovered = new Y.Doc();
    for (const update of stored.updates) Y.applyUpdate(recovered, update);
    expect(durableCount).toBeGreaterThan(10);
    expect(durable.filter((ranges) => !holds(recovered, ranges))).toEqual([]);
    const tasks = listTasks(new UserDocs(userId, { main: recovered }), { includeDeleted: true });
    expect(createdIds.filter((id) => !tasks.some((task) => task.id === id))).toEqual([]);
    expect(tasks.some((task) => task.title === 'during the outage')).toBe(false);
    // Every edit the device made before it left is on the server (it resent what failed).
    for (let i = 0; i < written; i += 1) expect(recovered.getMap('edits').has(`e${i}`)).toBe(true);

    // Restarted (without the proxy), the device that kept its copy converges with the server.
    server = startServerProcess({ ...env, DATABASE_URL: database.url });
    children.push(server);
    await waitFor(() => healthy(base), 30_000, 'server restart');
    provider.connect();
    await waitFor(() => provider.synced, 15_000, 'device back');
    const reader = new Y.Doc();
    const readerProvider = new WebsocketProvider(`ws://127.0.0.1:${port}/sync`, userId, reader, {
      WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
      params: { token },
      disableBc: true,
    });
    await waitFor(() => readerProvider.synced, 15_000, 'reader synced');
    await waitFor(
      () =>
        reader.getMap('edits').size === written &&
        Y.encodeStateVector(reader).toString() === Y.encodeStateVector(device).toString(),
      15_000,
      'device and server converged',
    );
    expect(device.getMap('edits').toJSON()).toEqual(reader.getMap('edits').toJSON());
    readerProvider.destroy();
    provider.destroy();
  }, 120_000);
});
