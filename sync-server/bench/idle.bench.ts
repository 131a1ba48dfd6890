/**
 * Idle-connection benchmark (prints, not a test): `pnpm --filter @tasks/sync-server bench:idle`.
 *
 * BENCH_USERS users (default 1,000), each with a typical document (BENCH_TASKS 500 tasks and
 * BENCH_ENTRIES 2,000 time entries over 12 months, built with crdt's sample user and stored as
 * compacted snapshots), each with the app's three rooms open (main, this month, last month) by a
 * device that already holds its copy, as after a reload. Printed: server RSS per connected user
 * once everyone is idle, the time until every room is in sync, then a restart of the server with
 * every device reconnecting at once: the time until all are back in sync and how many sockets
 * the server dropped afterwards (heartbeat timeouts). PostgreSQL when DATABASE_URL is set (a
 * throwaway database), else embedded PGlite.
 *
 * The devices are raw protocol clients (sync step 1 with the copy's state vector, then an empty
 * sync step 2), so 3,000 sockets fit in this process without 3,000 Y.Docs; what the server does
 * is what it does for the stock client.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import * as decoding from 'lib0/decoding';
import WebSocket from 'ws';
import { createPgliteDatabase } from '../src/db/pglite-database.js';
import { createPostgresDatabase } from '../src/db/postgres-database.js';
import {
  encodeSyncStep1,
  encodeSyncStep2,
  MESSAGE_SYNC,
  SYNC_STEP_2,
} from '../src/relay/protocol.js';
import { type MemoryUsage, memoryAfterFullGc } from './lib/inspector-gc.js';
import {
  freePort,
  type ManagedProcess,
  readRssMb,
  sleep,
  startProcess,
  stopAllProcesses,
  stopProcess,
  waitForHttp,
} from './lib/processes.js';
import { createThrowawayDatabase, type ThrowawayDatabase } from './rest-database.js';
import { buildUser, type EncodedDocument } from './rest-seed.js';

const SYNC_SERVER_DIR = fileURLToPath(new URL('../', import.meta.url));

const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(0);

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
}

const users = envInt('BENCH_USERS', 1_000);
const taskCount = envInt('BENCH_TASKS', 500);
const entryCount = envInt('BENCH_ENTRIES', 2_000);
const log = (line: string) => console.log(line);

interface Room {
  name: string;
  stateVector: Uint8Array;
}

/** One device's socket in one room: in sync once it has the server's step 2 and sent its own. */
class Device {
  ws: WebSocket | null = null;
  synced = false;
  syncedAt = 0;
  dropsAfterSync = 0;
  private failures = 0;
  private stopped = false;

  constructor(
    private readonly url: string,
    private readonly room: Room,
  ) {}

  connect(): void {
    if (this.stopped) return;
    this.synced = false;
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.binaryType = 'nodebuffer';
    ws.on('open', () => ws.send(encodeSyncStep1(this.room.stateVector)));
    ws.on('message', (data: Buffer) => {
      const decoder = decoding.createDecoder(new Uint8Array(data));
      if (decoding.readVarUint(decoder) !== MESSAGE_SYNC) return;
      const step = decoding.readVarUint(decoder);
      if (step === 0) {
        // The server's step 1: the device has nothing the server lacks.
        ws.send(encodeSyncStep2(new Uint8Array([0, 0])));
      } else if (step === SYNC_STEP_2 && !this.synced) {
        this.synced = true;
        this.failures = 0;
        this.syncedAt = performance.now();
      }
    });
    ws.on('error', () => undefined);
    ws.on('close', () => {
      if (this.ws !== ws) return;
      if (this.synced) this.dropsAfterSync += 1;
      this.synced = false;
      // As the stock client (y-websocket): 200 ms after the first failure, doubling up to 2.5 s.
      if (this.stopped) return;
      this.failures += 1;
      setTimeout(() => this.connect(), Math.min(100 * 2 ** this.failures, 2_500));
    });
  }

  stop(): void {
    this.stopped = true;
    this.ws?.terminate();
  }
}

async function waitAllSynced(devices: Device[], timeoutMs: number): Promise<number | null> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if (devices.every((device) => device.synced)) return performance.now() - started;
    await sleep(50);
  }
  return null;
}

const BENCH_METRICS_TOKEN = 'idle-bench-metrics-token-0123456789';

async function main(): Promise<void> {
  const adminUrl = process.env.DATABASE_URL ?? null;
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'idle-bench-'));
  let database: ThrowawayDatabase | null = null;
  let server: ManagedProcess | null = null;
  const devices: Device[] = [];
  try {
    log(`# idle bench: ${users} users x 3 rooms, ${taskCount} tasks + ${entryCount} entries each`);
    database = adminUrl ? await createThrowawayDatabase(adminUrl) : null;
    log(database ? `database: PostgreSQL (${database.name})` : `database: PGlite (${dataDir})`);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      REGISTRATION: 'open',
      AUTH_REGISTER_PER_MINUTE: '1000000',
      MAX_SOCKETS_PER_USER: '32',
      // /readyz shows the relay's counts only to the bearer of the metrics token.
      METRICS_TOKEN: BENCH_METRICS_TOKEN,
      ...(database ? { DATABASE_URL: database.url } : { DATABASE_URL: '' }),
    };
    // The inspector (127.0.0.1 only) lets the bench run a full GC before reading memory.
    const inspectPort = await freePort();
    const launch = async () => {
      const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
      nodeArgs.push(`--inspect=127.0.0.1:${inspectPort}`);
      const proc = startProcess('ours', process.execPath, [...nodeArgs, 'dist/main.js'], {
        cwd: SYNC_SERVER_DIR,
        env,
      });
      try {
        await waitForHttp(`${base}/healthz`, proc, 60_000);
      } catch (error) {
        log(`server output:\n${proc.lines.slice(-30).join('\n')}`);
        throw error;
      }
      return proc;
    };

    // Accounts through the API (so tokens are real), then documents written as snapshots.
    server = await launch();
    const accounts: Array<{ id: string; token: string }> = [];
    const registerStarted = performance.now();
    for (let start = 0; start < users; start += 8) {
      const batch = Array.from({ length: Math.min(8, users - start) }, (_, i) => start + i);
      const registered = await Promise.all(
        batch.map(async (index) => {
          const response = await fetch(`${base}/api/v1/auth/register`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              email: `idle${index}@example.com`,
              username: `idle${index}`,
              password: 'correct horse battery',
            }),
          });
          if (response.status !== 201) throw new Error(`register: ${response.status}`);
          const body = (await response.json()) as { id: string; access_token: string };
          return { id: body.id, token: body.access_token };
        }),
      );
      accounts.push(...registered);
    }
    log(
      `registered ${users} accounts in ${((performance.now() - registerStarted) / 1000).toFixed(1)} s`,
    );
    await stopProcess(server);
    server = null;

    const template = buildUser({
      userId: '00000000-0000-7000-8000-000000000000',
      tasks: taskCount,
      entries: entryCount,
      months: 12,
      now: Date.UTC(2026, 11, 1),
      timezone: 'Europe/Berlin',
    });
    const [mainDoc, ...months] = template.documents as [EncodedDocument, ...EncodedDocument[]];
    const opened = [mainDoc, ...months.slice(-2)];
    const storedBytes = opened.reduce((sum, doc) => sum + doc.snapshot.byteLength, 0);
    log(
      `typical document: main ${(mainDoc.snapshot.byteLength / 1024).toFixed(0)} KiB, ` +
        `${months.length} months; the three rooms a device opens hold ${(storedBytes / 1024).toFixed(0)} KiB`,
    );
    const db = database
      ? createPostgresDatabase({ url: database.url, max: 4 })
      : await createPgliteDatabase(path.join(dataDir, 'pglite'));
    const seedStarted = performance.now();
    for (const account of accounts) {
      // Only the rooms a device opens: the other months cost the server nothing while idle.
      const roomNames = opened.map((doc) => doc.name.replace(/^[^/]+/, account.id));
      await db.transaction(async (tx) => {
        await tx.query('delete from document_updates where name like $1', [`${account.id}%`]);
        for (const [index, doc] of opened.entries()) {
          await tx.query(
            `insert into documents (name, user_id, snapshot, state_vector, snapshot_seq, size_bytes)
             values ($1, $2::uuid, $3, $4, 0, $5)
             on conflict (name) do update set snapshot = excluded.snapshot,
               state_vector = excluded.state_vector, snapshot_seq = 0,
               size_bytes = excluded.size_bytes`,
            [roomNames[index], account.id, doc.snapshot, doc.stateVector, doc.snapshot.byteLength],
          );
        }
      });
    }
    await db.close();
    log(
      `seeded ${users * opened.length} documents in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`,
    );

    server = await launch();
    await sleep(3_000);
    const baselineMb = readRssMb(server.pid) ?? 0;
    const baselineGc = await memoryAfterFullGc(inspectPort);
    log(
      `server RSS before any device: ${baselineMb.toFixed(0)} MiB; after a full GC ${mib(baselineGc.rss)} MiB (heap ${mib(baselineGc.heapUsed)}, external ${mib(baselineGc.external)})`,
    );

    for (const account of accounts) {
      for (const doc of opened) {
        const name = doc.name.replace(/^[^/]+/, account.id);
        const url = `ws://127.0.0.1:${port}/sync/${name}?token=${account.token}`;
        devices.push(new Device(url, { name, stateVector: doc.stateVector }));
      }
    }
    // Two waves, each connecting at once: the first pays for what the server sets up once
    // (worker threads and their heaps, pools, caches filling to their budgets), so what the
    // second adds is what a connected user costs.
    const half = Math.floor(users / 2);
    const waves = [devices.slice(0, half * opened.length), devices.slice(half * opened.length)];
    const rssAfterWave: number[] = [];
    const afterGc: MemoryUsage[] = [];
    for (const [index, wave] of waves.entries()) {
      for (const device of wave) device.connect();
      const syncMs = await waitAllSynced(wave, 180_000);
      log(
        syncMs === null
          ? `wave ${index + 1}: NOT all ${wave.length} rooms in sync within 180 s (${wave.filter((d) => d.synced).length} were)`
          : `wave ${index + 1}: ${wave.length} rooms in sync ${(syncMs / 1000).toFixed(1)} s after connecting`,
      );
      // Idle through two heartbeats, so timers, buffers and the collector settle.
      await sleep(25_000);
      rssAfterWave.push(readRssMb(server.pid) ?? 0);
      const gc = await memoryAfterFullGc(inspectPort);
      afterGc.push(gc);
      log(
        `server RSS idle with ${index === 0 ? half : users} users connected: ${(rssAfterWave[index] ?? 0).toFixed(0)} MiB; after a full GC ${mib(gc.rss)} MiB (heap ${mib(gc.heapUsed)}, external ${mib(gc.external)})`,
      );
    }
    const [halfMb = 0, idleMb = 0] = rssAfterWave;
    const perUserKb = ((idleMb - halfMb) * 1024) / (users - half);
    const perUserAllInKb = ((idleMb - baselineMb) * 1024) / users;
    const ready = (await (
      await fetch(`${base}/readyz`, {
        headers: { authorization: `Bearer ${BENCH_METRICS_TOKEN}` },
      })
    ).json()) as Record<string, unknown>;
    log(
      `=> ${perUserKb.toFixed(0)} KiB per connected user (what the second wave added; aim <= 100 KB); ` +
        `${perUserAllInKb.toFixed(0)} KiB with the one-time setup spread over everyone`,
    );
    const [halfGc, idleGc] = afterGc;
    if (halfGc && idleGc) {
      const kib = (bytes: number) => (bytes / 1024 / (users - half)).toFixed(0);
      log(
        `=> after a full GC: ${kib(idleGc.rss - halfGc.rss)} KiB RSS per connected user (second wave), of which heap ${kib(idleGc.heapUsed - halfGc.heapUsed)} KiB and external ${kib(idleGc.external - halfGc.external)} KiB`,
      );
    }
    log(`relay: ${JSON.stringify(ready)}`);
    const droppedIdle = devices.reduce((sum, device) => sum + device.dropsAfterSync, 0);
    log(`sockets dropped while idle: ${droppedIdle}`);

    // Restart: every device reconnects at once.
    for (const device of devices) device.dropsAfterSync = 0;
    await stopProcess(server);
    const restartStarted = performance.now();
    server = await launch();
    const upMs = performance.now() - restartStarted;
    const backMs = await waitAllSynced(devices, 120_000);
    log(
      backMs === null
        ? `NOT all rooms back in sync within 120 s of the restart (${devices.filter((d) => d.synced).length}/${devices.length})`
        : `restart: server up in ${(upMs / 1000).toFixed(1)} s, all ${devices.length} rooms back in sync ${(backMs / 1000).toFixed(1)} s after it answered (aim <= 30 s)`,
    );
    const dropsBefore = devices.reduce((sum, device) => sum + device.dropsAfterSync, 0);
    await sleep(35_000);
    const timeouts = devices.reduce((sum, device) => sum + device.dropsAfterSync, 0) - dropsBefore;
    log(`sockets dropped in the 35 s after (heartbeat timeouts): ${timeouts}`);
    const afterMb = readRssMb(server.pid) ?? 0;
    const afterStormGc = await memoryAfterFullGc(inspectPort);
    log(
      `server RSS after the reconnect storm: ${afterMb.toFixed(0)} MiB; after a full GC ${mib(afterStormGc.rss)} MiB (heap ${mib(afterStormGc.heapUsed)})`,
    );
    const perNodeGb = (halfMb + (perUserKb * (10_000 - half)) / 1024) / 1024;
    log(
      `extrapolated to 10,000 users (30,000 sockets) on one node: ${perNodeGb.toFixed(2)} GiB RSS idle`,
    );
  } finally {
    for (const device of devices) device.stop();
    if (server) await stopProcess(server).catch(() => undefined);
    await stopAllProcesses();
    await database?.drop().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
