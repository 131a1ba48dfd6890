import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as decoding from 'lib0/decoding';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { createPgliteDatabase } from '../db/pglite-database.js';
import { createPostgresDatabase } from '../db/postgres-database.js';
import { type DatabaseKind, testDatabaseKinds, testDatabaseUrl } from '../db/test-databases.js';
import { createSqlDocStore } from '../persistence/sql-doc-store.js';
import {
  assertServerBuilt,
  createScratchDatabase,
  freePort,
  healthy,
  registerUser,
  startServerProcess as startProcess,
  waitFor,
} from '../test-support/server-process.js';
import { MESSAGE_DURABLE_ACK } from './protocol.js';

describe.each(testDatabaseKinds())('crash recovery on %s', (kind: DatabaseKind) => {
  let env: Record<string, string>;
  let dataDir: string;
  let dropDatabase: (() => Promise<void>) | null = null;

  beforeAll(async () => {
    assertServerBuilt();
    dataDir = await mkdtemp(path.join(tmpdir(), 'tasks-crash-'));
    env = { DATA_DIR: dataDir, PORT: String(await freePort()), HOST: '127.0.0.1' };
    if (kind === 'postgres') {
      const scratch = await createScratchDatabase(testDatabaseUrl() as string, 'crash');
      env.DATABASE_URL = scratch.url;
      dropDatabase = () => scratch.drop();
    }
  }, 60_000);

  afterAll(async () => {
    await dropDatabase?.();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('loses no acknowledged update to kill -9, and clients resend the rest after restart', async () => {
    const url = `http://127.0.0.1:${env.PORT}`;
    let server = startProcess(env);
    const killed: ChildProcess[] = [server];
    try {
      await waitFor(() => healthy(url), 30_000, 'server start');
      const { userId, token } = await registerUser(url, 'crash');

      const devices = [new Y.Doc(), new Y.Doc()];
      const acked = [0, 0];
      const providers = devices.map((doc, index) => {
        const provider = new WebsocketProvider(`ws://127.0.0.1:${env.PORT}/sync`, userId, doc, {
          WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
          params: { token, ack: '1' },
          disableBc: true,
          maxBackoffTime: 300,
        });
        provider.messageHandlers[MESSAGE_DURABLE_ACK] = (_encoder, decoder) => {
          acked[index] = Math.max(acked[index] ?? 0, decoding.readVarUint(decoder));
        };
        return provider;
      });
      await waitFor(() => providers.every((p) => p.synced), 10_000, 'clients synced');

      // Each device writes its burst; the server is killed in the middle of it.
      const perDevice = 150;
      const sent = [0, 0];
      const ackedKeysAtKill: string[] = [];
      let done = false;
      const bursts = devices.map(async (doc, index) => {
        for (let i = 0; i < perDevice; i += 1) {
          doc.getMap('edits').set(`d${index}-${i}`, i);
          sent[index] = i + 1;
          await new Promise((resolve) => setTimeout(resolve, 3));
        }
      });
      await waitFor(() => (sent[0] ?? 0) >= perDevice / 2, 10_000, 'half the burst');
      // The ack counts update-bearing messages: first the client's sync step 2 on connect, then
      // one per edit. So `acked - 1` edits of each device are durable.
      acked.forEach((count, index) => {
        for (let i = 0; i < count - 1; i += 1) ackedKeysAtKill.push(`d${index}-${i}`);
      });
      server.kill('SIGKILL');
      await new Promise((resolve) => server.once('exit', resolve));
      await Promise.all(bursts);
      done = true;

      // Straight from the database, before any client is back: every acknowledged edit is there.
      const db = env.DATABASE_URL
        ? createPostgresDatabase({ url: env.DATABASE_URL, max: 1 })
        : await createPgliteDatabase(path.join(dataDir, 'pglite'));
      const stored = await createSqlDocStore(db).load(userId);
      await db.close();
      const recovered = new Y.Doc();
      for (const update of stored.updates) Y.applyUpdate(recovered, update);
      const persisted = recovered.getMap('edits');
      expect(ackedKeysAtKill.length).toBeGreaterThan(0);
      expect(ackedKeysAtKill.filter((key) => !persisted.has(key))).toEqual([]);

      server = startProcess(env);
      killed.push(server);
      await waitFor(() => healthy(url), 30_000, 'server restart');
      await waitFor(
        () => providers.every((p) => p.synced && p.wsconnected),
        15_000,
        'clients back',
      );

      const expected = devices.flatMap((_, index) =>
        Array.from({ length: perDevice }, (_, i) => `d${index}-${i}`),
      );
      const fresh = new Y.Doc();
      const reader = new WebsocketProvider(`ws://127.0.0.1:${env.PORT}/sync`, userId, fresh, {
        WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
        params: { token },
        disableBc: true,
      });
      await waitFor(
        () => expected.every((key) => fresh.getMap('edits').has(key)),
        15_000,
        'every edit on the server',
      );
      for (const doc of devices) expect(doc.getMap('edits').size).toBe(expected.length);
      expect(done).toBe(true);
      reader.destroy();
      for (const provider of providers) provider.destroy();
    } finally {
      for (const child of killed) if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 120_000);
});
