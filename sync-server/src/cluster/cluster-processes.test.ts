import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { listTasks, UserDocs } from '@tasks/crdt';
import * as decoding from 'lib0/decoding';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { createPostgresDatabase } from '../db/postgres-database.js';
import { testDatabaseUrl } from '../db/test-databases.js';
import { createSqlDocStore } from '../persistence/sql-doc-store.js';
import { MESSAGE_DURABLE_ACK } from '../relay/protocol.js';
import { ensureHaproxy, type RunningHaproxy, startHaproxy } from '../test-support/haproxy.js';
import { holds, RecordingSocket, sentUpdates } from '../test-support/recording-socket.js';
import {
  assertServerBuilt,
  createScratchDatabase,
  healthy,
  killNow,
  registerUser,
  startServerProcess,
  waitFor,
} from '../test-support/server-process.js';
import { startTcpProxy, type TcpProxy } from '../test-support/tcp-proxy.js';
import { testRedisPrefix, testRedisUrl } from './test-redis.js';

/**
 * Two `node dist/main.js` nodes on one PostgreSQL database and one Redis, behind HAProxy, with
 * stock y-websocket clients: what a deployment of the cluster does, and its failures (a node
 * killed, Redis cut, a node stopped for a deploy). Ports 19220-19269: each cluster its own ten.
 */
const databaseUrl = testDatabaseUrl();
const redisUrl = testRedisUrl();
const haproxyReady = await ensureHaproxy();

interface User {
  userId: string;
  token: string;
}

/** A device: the stock client with durable acks, as the app connects. */
interface Device {
  doc: Y.Doc;
  provider: WebsocketProvider;
  /** Struct ranges of every update the server acknowledged as durable, over every socket. */
  durable: number[][];
  /** Close codes of its sockets, in order. */
  closeCodes: number[];
  /** Connected, synced, and everything sent on this socket acknowledged as durable. */
  settled(): boolean;
  edits(): Y.Map<unknown>;
}

interface Node {
  name: string;
  url: string;
  wsUrl: string;
  /** The running process (a new one after `start`). */
  child: ChildProcess;
  /** Starts the node again, after its process ended; resolves once it is ready. */
  start(): Promise<void>;
}

interface Cluster {
  nodes: [Node, Node];
  haproxy: RunningHaproxy;
  databaseUrl: string;
  /** Between the nodes and Redis, when asked for. */
  redisProxy: TcpProxy | null;
  connect(wsBase: string, user: User): Device;
}

type Cleanup = () => Promise<void> | void;

/** Last registered first: devices, then HAProxy, nodes, proxy, database. */
async function runCleanups(list: Cleanup[]): Promise<void> {
  for (const cleanup of list.splice(0).reverse()) await cleanup();
}

/** What a test started (its devices, its own cluster), stopped after it. */
const testCleanups: Cleanup[] = [];
/** A cluster several tests share, stopped after them. */
const suiteCleanups: Cleanup[] = [];

afterEach(() => runCleanups(testCleanups));
afterAll(() => runCleanups(suiteCleanups));

async function startCluster(
  slot: number,
  options: { env?: Record<string, string>; cutRedis?: boolean; shared?: boolean } = {},
): Promise<Cluster> {
  const cleanups = options.shared ? suiteCleanups : testCleanups;
  const base = 19220 + slot * 10;
  const database = await createScratchDatabase(databaseUrl as string, 'cluster');
  cleanups.push(() => database.drop());
  const dataDir = await mkdtemp(path.join(tmpdir(), 'tasks-cluster-'));
  cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
  let redis = redisUrl as string;
  let redisProxy: TcpProxy | null = null;
  if (options.cutRedis) {
    const target = new URL(redis);
    const proxy = await startTcpProxy(
      { host: target.hostname, port: Number(target.port || 6379) },
      base + 3,
    );
    redisProxy = proxy;
    cleanups.push(() => proxy.close());
    target.host = `127.0.0.1:${proxy.port}`;
    redis = target.toString();
  }
  const prefix = testRedisPrefix();
  const nodes = (['a', 'b'] as const).map((name, index): Node => {
    const port = base + index;
    const spawnNode = () => {
      const child = startServerProcess({
        DATA_DIR: path.join(dataDir, name),
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: database.url,
        REDIS_URL: redis,
        REDIS_PREFIX: prefix,
        NODE_ID: name,
        AUTH_REGISTER_PER_MINUTE: '1000',
        ...options.env,
      });
      cleanups.push(() => killNow(child));
      return child;
    };
    const node: Node = {
      name,
      url: `http://127.0.0.1:${port}`,
      wsUrl: `ws://127.0.0.1:${port}`,
      child: spawnNode(),
      async start() {
        node.child = spawnNode();
        await waitFor(() => healthy(node.url), 30_000, `node ${name} started again`);
      },
    };
    return node;
  }) as [Node, Node];
  for (const node of nodes) await waitFor(() => healthy(node.url), 30_000, `node ${node.name}`);
  const haproxy = await startHaproxy({
    backends: nodes.map((node, index) => ({ name: node.name, port: base + index })),
    port: base + 2,
  });
  cleanups.push(() => haproxy.stop());
  await waitFor(
    async () => Object.values(await haproxy.backendStatus()).every((s) => s === 'UP'),
    5000,
    'both nodes up in HAProxy',
  );
  return {
    nodes,
    haproxy,
    databaseUrl: database.url,
    redisProxy,
    connect(wsBase, user) {
      const device = connectDevice(wsBase, user);
      testCleanups.push(() => device.provider.destroy());
      return device;
    },
  };
}

function connectDevice(wsBase: string, user: User): Device {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(`${wsBase}/sync`, user.userId, doc, {
    WebSocketPolyfill: RecordingSocket as unknown as typeof globalThis.WebSocket,
    params: { token: user.token, ack: '1' },
    disableBc: true,
    maxBackoffTime: 250,
  });
  const durable: number[][] = [];
  const closeCodes: number[] = [];
  let ackedOnSocket = 0;
  provider.on('status', () => {
    ackedOnSocket = 0;
  });
  provider.on('connection-close', (event) => {
    closeCodes.push(event?.code ?? 0);
  });
  provider.messageHandlers[MESSAGE_DURABLE_ACK] = (_encoder, decoder, p) => {
    const count = decoding.readVarUint(decoder);
    const sent = sentUpdates.get(p.ws as unknown as WebSocket) ?? [];
    for (let i = ackedOnSocket; i < count; i += 1) durable.push(sent[i] ?? []);
    ackedOnSocket = Math.max(ackedOnSocket, count);
  };
  return {
    doc,
    provider,
    durable,
    closeCodes,
    settled() {
      const sent = sentUpdates.get(provider.ws as unknown as WebSocket) ?? [];
      return provider.wsconnected && provider.synced && ackedOnSocket >= sent.length;
    },
    edits: () => doc.getMap('edits'),
  };
}

/** The document as PostgreSQL holds it: the one source of truth. */
async function storedDoc(url: string, userId: string): Promise<Y.Doc> {
  const db = createPostgresDatabase({ url, max: 1 });
  try {
    const stored = await createSqlDocStore(db).load(userId);
    const doc = new Y.Doc();
    for (const update of stored.updates) Y.applyUpdate(doc, update);
    return doc;
  } finally {
    await db.close();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Writes `count` edits named `${prefix}${i}`, one every `everyMs`; resolves how many. */
async function writeBurst(
  device: Device,
  prefix: string,
  count: number,
  everyMs: number,
  onEach?: (written: number) => void | Promise<void>,
): Promise<number> {
  for (let i = 0; i < count; i += 1) {
    device.edits().set(`${prefix}${i}`, i);
    await onEach?.(i + 1);
    await sleep(everyMs);
  }
  return count;
}

/** Edits `${prefix}0` … `${prefix}${count - 1}` that `doc` lacks. */
function missing(doc: Y.Doc, prefix: string, count: number): string[] {
  const edits = doc.getMap('edits');
  return Array.from({ length: count }, (_, i) => `${prefix}${i}`).filter((key) => !edits.has(key));
}

function createTask(url: string, user: User, title: string): Promise<Response> {
  return fetch(`${url}/api/v1/tasks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${user.token}` },
    body: JSON.stringify({ title }),
  });
}

describe.skipIf(!databaseUrl || !redisUrl || !haproxyReady)('two nodes behind HAProxy', () => {
  // One cluster for the tests that stop nothing (each its own user); a node starts in seconds.
  let shared: Cluster;

  beforeAll(async () => {
    assertServerBuilt();
    shared = await startCluster(0, { shared: true, env: { COMPACT_AFTER_UPDATES: '20' } });
  });

  it("two devices of one user on different nodes see each other's edits within 2 s", async () => {
    const cluster = shared;
    const [a, b] = cluster.nodes;
    const user = await registerUser(a.url, 'live');
    const onA = cluster.connect(a.wsUrl, user);
    const onB = cluster.connect(b.wsUrl, user);
    await waitFor(() => onA.provider.synced && onB.provider.synced, 10_000, 'devices synced');
    for (let i = 0; i < 6; i += 1) {
      const [from, to] = i % 2 === 0 ? [onA, onB] : [onB, onA];
      from.edits().set(`live-${i}`, i);
      await waitFor(() => to.edits().get(`live-${i}`) === i, 2000, `edit ${i} on the other node`);
    }
    expect(onA.edits().toJSON()).toEqual(onB.edits().toJSON());
  });

  it('a task created through REST on node B appears on a device on node A', async () => {
    const cluster = shared;
    const [a, b] = cluster.nodes;
    const user = await registerUser(a.url, 'rest');
    const onA = cluster.connect(a.wsUrl, user);
    await waitFor(() => onA.provider.synced, 10_000, 'device synced');
    const created = await createTask(b.url, user, 'written on node B');
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    await waitFor(
      () => listTasks(new UserDocs(user.userId, { main: onA.doc })).some((t) => t.id === id),
      2000,
      'the task on the device on node A',
    );
  });

  it('a device whose node is killed mid-burst reconnects through HAProxy and loses nothing', async () => {
    const cluster = await startCluster(1);
    const [a, b] = cluster.nodes;
    const user = await registerUser(cluster.haproxy.url, 'killed');
    // The device lands on node A: B is out of the rotation while it connects.
    await cluster.haproxy.setBackendState('b', 'maint');
    const device = cluster.connect(cluster.haproxy.wsUrl, user);
    await waitFor(() => device.provider.synced, 10_000, 'device synced');
    await cluster.haproxy.setBackendState('b', 'ready');

    const count = 300;
    let durableAtKill = 0;
    await writeBurst(device, 'k', count, 5, async (written) => {
      if (written !== count / 2) return;
      durableAtKill = device.durable.length;
      await killNow(a.child);
    });
    await waitFor(() => device.settled(), 20_000, 'the device back and acknowledged');
    // It was cut off node A and is now served by node B, the only node left.
    expect(device.closeCodes.length).toBeGreaterThan(0);
    expect(await healthy(b.url)).toBe(true);
    expect(durableAtKill).toBeGreaterThan(10);

    const stored = await storedDoc(cluster.databaseUrl, user.userId);
    expect(device.durable.filter((ranges) => !holds(stored, ranges))).toEqual([]);
    expect(missing(stored, 'k', count)).toEqual([]);
    const fresh = cluster.connect(cluster.haproxy.wsUrl, user);
    await waitFor(() => missing(fresh.doc, 'k', count).length === 0, 10_000, 'a fresh device');
  });

  it('both nodes compacting the same document under load keep every acknowledged update', async () => {
    // The shared cluster compacts a document past 20 updates in its log.
    const cluster = shared;
    const [a, b] = cluster.nodes;
    const user = await registerUser(a.url, 'compact');
    const onA = cluster.connect(a.wsUrl, user);
    const onB = cluster.connect(b.wsUrl, user);
    await waitFor(() => onA.provider.synced && onB.provider.synced, 10_000, 'devices synced');
    const count = 250;
    const taskIds: string[] = [];
    const restWrites = (async () => {
      for (let i = 0; i < 10; i += 1) {
        const response = await createTask(i % 2 === 0 ? a.url : b.url, user, `task ${i}`);
        expect(response.status).toBe(201);
        taskIds.push(((await response.json()) as { id: string }).id);
        await sleep(60);
      }
    })();
    await Promise.all([writeBurst(onA, 'a', count, 4), writeBurst(onB, 'b', count, 4), restWrites]);
    await waitFor(() => onA.settled() && onB.settled(), 20_000, 'every edit acknowledged');

    // Compaction ran: the log holds far fewer rows than were written.
    const db = createPostgresDatabase({ url: cluster.databaseUrl, max: 1 });
    const [row] = await db.query<{ rows: string; snapshot_seq: string | null }>(
      `select (select count(*) from document_updates where name = $1) as rows,
              (select snapshot_seq from documents where name = $1) as snapshot_seq`,
      [user.userId],
    );
    await db.close();
    expect(Number(row?.snapshot_seq ?? 0)).toBeGreaterThan(0);
    expect(Number(row?.rows)).toBeLessThan(count);

    const stored = await storedDoc(cluster.databaseUrl, user.userId);
    expect(onA.durable.length + onB.durable.length).toBeGreaterThanOrEqual(2 * count);
    expect([...onA.durable, ...onB.durable].filter((r) => !holds(stored, r))).toEqual([]);
    expect([...missing(stored, 'a', count), ...missing(stored, 'b', count)]).toEqual([]);
    const tasks = listTasks(new UserDocs(user.userId, { main: stored }));
    expect(taskIds.filter((id) => !tasks.some((task) => task.id === id))).toEqual([]);
    // The two devices, one on each node, hold the same edits.
    await waitFor(
      () => missing(onA.doc, 'b', count).length === 0 && missing(onB.doc, 'a', count).length === 0,
      5000,
      'the devices converged',
    );
    expect(onA.edits().toJSON()).toEqual(onB.edits().toJSON());
  });

  it('with Redis cut, each node serves its own devices; they converge within 5 s of its return', async () => {
    const cluster = await startCluster(2, { cutRedis: true });
    const [a, b] = cluster.nodes;
    const proxy = cluster.redisProxy as TcpProxy;
    const user = await registerUser(a.url, 'redis');
    const onA = cluster.connect(a.wsUrl, user);
    const alsoOnA = cluster.connect(a.wsUrl, user);
    const onB = cluster.connect(b.wsUrl, user);
    const viaHaproxy = cluster.connect(cluster.haproxy.wsUrl, user);
    const devices = [onA, alsoOnA, onB, viaHaproxy];
    await waitFor(() => devices.every((d) => d.provider.synced), 10_000, 'devices synced');
    onA.edits().set('before', true);
    await waitFor(() => onB.edits().get('before') === true, 2000, 'cross-node before the cut');

    proxy.cut();
    // Writes go on on both nodes; node A's devices still see each other's edits at once.
    let writing = true;
    const written = { a: 0, b: 0 };
    const writer = (device: Device, prefix: 'a' | 'b') =>
      (async () => {
        while (writing) {
          device.edits().set(`${prefix}${written[prefix]}`, written[prefix]);
          written[prefix] += 1;
          await sleep(20);
        }
      })();
    const writers = [writer(onA, 'a'), writer(onB, 'b')];
    await sleep(300);
    const durableAtCut = [onA.durable.length, onB.durable.length];
    await waitFor(
      () => missing(alsoOnA.doc, 'a', written.a - 1).length === 0 && written.a > 20,
      2000,
      "node A's other device seeing its edits while Redis is down",
    );
    await sleep(1500);
    // Both nodes kept committing (and acknowledging) what their devices wrote.
    expect(onA.durable.length).toBeGreaterThan(durableAtCut[0] as number);
    expect(onB.durable.length).toBeGreaterThan(durableAtCut[1] as number);
    // Through the load balancer too. No node is ready (/readyz checks Redis), so HAProxy cuts
    // the device once; it comes back through the nodes that are alive and is served there.
    const ackedViaHaproxy = viaHaproxy.durable.length;
    viaHaproxy.edits().set('lb0', 0);
    await waitFor(
      () => viaHaproxy.settled() && viaHaproxy.durable.length > ackedViaHaproxy,
      3000,
      'an edit through HAProxy acknowledged while Redis is down',
    );
    const created = await createTask(cluster.haproxy.url, user, 'while Redis was down');
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };

    // The writes stop as Redis returns: no later message reveals what the other node missed.
    writing = false;
    await Promise.all(writers);
    proxy.restore();
    const restoredAt = Date.now();
    await waitFor(
      () =>
        missing(onA.doc, 'b', written.b).length === 0 &&
        missing(onB.doc, 'a', written.a).length === 0 &&
        missing(alsoOnA.doc, 'b', written.b).length === 0 &&
        missing(viaHaproxy.doc, 'a', written.a).length === 0 &&
        missing(viaHaproxy.doc, 'b', written.b).length === 0 &&
        missing(onA.doc, 'lb', 1).length === 0 &&
        missing(onB.doc, 'lb', 1).length === 0,
      Math.max(0, restoredAt + 5000 - Date.now()),
      'the devices on both nodes converged',
    );
    expect(onA.edits().toJSON()).toEqual(onB.edits().toJSON());
    expect(listTasks(new UserDocs(user.userId, { main: onB.doc })).map((t) => t.id)).toContain(id);
    await waitFor(() => onA.settled() && onB.settled(), 10_000, 'every edit acknowledged');
    const stored = await storedDoc(cluster.databaseUrl, user.userId);
    expect([...onA.durable, ...onB.durable].filter((r) => !holds(stored, r))).toEqual([]);
    expect([...missing(stored, 'a', written.a), ...missing(stored, 'b', written.b)]).toEqual([]);
  });

  it('SIGTERM drains a node: not ready first, then its devices move over and lose nothing', async () => {
    const drainMs = 3000;
    const cluster = await startCluster(3, { env: { SHUTDOWN_DRAIN_MS: String(drainMs) } });
    const [a, b] = cluster.nodes;
    const user = await registerUser(a.url, 'drain');
    await cluster.haproxy.setBackendState('b', 'maint');
    const viaHaproxy = cluster.connect(cluster.haproxy.wsUrl, user);
    await waitFor(() => viaHaproxy.provider.synced, 10_000, 'device synced');
    await cluster.haproxy.setBackendState('b', 'ready');
    const direct = cluster.connect(a.wsUrl, user);
    await waitFor(() => direct.provider.synced, 10_000, 'direct device synced');

    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) {
        viaHaproxy.edits().set(`d${written}`, written);
        written += 1;
        await sleep(10);
      }
    })();
    await sleep(300);
    const exited = new Promise<number | null>((resolve) => a.child.once('exit', resolve));
    const signalledAt = Date.now();
    a.child.kill('SIGTERM');
    // Node A says it is not ready while it still answers, and HAProxy takes it out.
    await waitFor(
      async () => (await fetch(`${a.url}/readyz`).catch(() => null))?.status === 503,
      1000,
      'node A not ready',
    );
    await waitFor(
      async () => (await cluster.haproxy.backendStatus()).a?.startsWith('DOWN') ?? false,
      drainMs + 1000,
      'HAProxy taking node A out',
    );
    // The device that came through HAProxy is on node B before node A closes its sockets.
    await waitFor(
      () =>
        viaHaproxy.closeCodes.length > 0 &&
        viaHaproxy.provider.wsconnected &&
        viaHaproxy.provider.synced,
      drainMs,
      'the device reconnected to node B',
    );
    expect(Date.now() - signalledAt).toBeLessThan(drainMs);
    // The one connected to node A directly is told "restarting" once the drain is over.
    await waitFor(() => direct.closeCodes.length > 0, drainMs + 3000, 'node A closing sockets');
    expect(direct.closeCodes[0]).toBe(1012);
    expect(Date.now() - signalledAt).toBeGreaterThanOrEqual(drainMs);
    expect(await exited).toBe(0);

    await sleep(300);
    writing = false;
    await writer;
    await waitFor(() => viaHaproxy.settled(), 10_000, 'every edit acknowledged on node B');
    const stored = await storedDoc(cluster.databaseUrl, user.userId);
    expect(viaHaproxy.durable.filter((ranges) => !holds(stored, ranges))).toEqual([]);
    expect(missing(stored, 'd', written)).toEqual([]);
    expect(await healthy(b.url)).toBe(true);
  });

  it('a node stopped and started during traffic changes nothing for the devices on the other', async () => {
    const cluster = await startCluster(4, { env: { SHUTDOWN_DRAIN_MS: '300' } });
    const [a, b] = cluster.nodes;
    const user = await registerUser(a.url, 'restart');
    const onA = cluster.connect(a.wsUrl, user);
    const alsoOnA = cluster.connect(a.wsUrl, user);
    await waitFor(() => onA.provider.synced && alsoOnA.provider.synced, 10_000, 'devices synced');
    let writing = true;
    let written = 0;
    const writer = (async () => {
      while (writing) {
        onA.edits().set(`r${written}`, written);
        written += 1;
        await sleep(15);
      }
    })();
    await sleep(300);
    const exited = new Promise((resolve) => b.child.once('exit', resolve));
    b.child.kill('SIGTERM');
    await exited;
    const writtenWhileDown = written;
    await b.start();
    // A device on the node that came back gets the edits so far and, live, those that follow.
    const onB = cluster.connect(b.wsUrl, user);
    await waitFor(() => onB.provider.synced, 10_000, 'device on node B synced');
    await waitFor(
      () => missing(onB.doc, 'r', writtenWhileDown).length === 0,
      2000,
      'the edits made while node B was away',
    );
    const later = written + 5;
    await waitFor(() => written > later, 2000, 'more edits');
    await waitFor(() => missing(onB.doc, 'r', later).length === 0, 2000, 'live edits on node B');
    writing = false;
    await writer;

    // Node A's devices never noticed: no socket closed, every edit acknowledged and relayed.
    expect(onA.closeCodes).toEqual([]);
    expect(alsoOnA.closeCodes).toEqual([]);
    await waitFor(() => onA.settled(), 10_000, 'every edit acknowledged');
    expect(missing(alsoOnA.doc, 'r', written)).toEqual([]);
    const stored = await storedDoc(cluster.databaseUrl, user.userId);
    expect(onA.durable.filter((ranges) => !holds(stored, ranges))).toEqual([]);
    expect(missing(stored, 'r', written)).toEqual([]);
  });
});
