import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as decoding from 'lib0/decoding';
import postgres from 'postgres';
import { WebSocket } from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { MESSAGE_DURABLE_ACK } from '../../src/relay/protocol.js';
import {
  AckTracker,
  type BenchClient,
  type ClientEvents,
  type ClientFactory,
  isUpdateMessage,
  type LoadResult,
  type YModule,
} from './load.js';
import { serverDatabaseUrl } from './pg-socket.js';
import {
  freePort,
  type ManagedProcess,
  ProcessSampler,
  type ProcessUsage,
  readCpuSeconds,
  startProcess,
  stopProcess,
  waitForHttp,
} from './processes.js';
import { REFERENCES_DIR, referencesRequire } from './references.js';

const SYNC_SERVER_DIR = fileURLToPath(new URL('../../', import.meta.url));
const BENCH_DIR = fileURLToPath(new URL('../', import.meta.url));

/** What the load reports about persistence, read right at the end of the load window. */
export interface Persisted {
  /** Updates durable by the end of the load window; null when the server does not persist. */
  updates: number | null;
  notes: string[];
  /** CPU of helper processes during the load (our PostgreSQL backends), percent of one core. */
  helperCpuPercent?: number;
}

/** One server under test, as a child process, with the clients that speak its protocol. */
export interface BenchServer {
  readonly label: string;
  readonly proc: ManagedProcess;
  readonly factory: ClientFactory;
  /** Lines printed under the table: configuration and observations. */
  readonly notes: string[];
  loadStarted(): Promise<void>;
  loadEnded(load: { ackedAtLoadEnd: number }): Promise<Persisted>;
  usage(): ProcessUsage;
  /** Stops the process (graceful) and checks what it left behind. */
  stop(load: LoadResult | null): Promise<void>;
  /** Removes temporary files and databases; safe to call more than once. */
  cleanup(): Promise<void>;
}

type WebSocketPolyfill = NonNullable<
  NonNullable<ConstructorParameters<typeof WebsocketProvider>[3]>['WebSocketPolyfill']
>;

function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.DATABASE_URL;
  delete env.NODE_OPTIONS;
  return { ...env, ...extra };
}

/** The stock y-websocket client (v3), optionally counting update messages for durable acks. */
export function yWebsocketFactory(
  baseUrl: string,
  room: (docIndex: number) => { name: string; params: Record<string, string> },
  withAcks: boolean,
): ClientFactory {
  return {
    Y,
    connect(docIndex: number, doc: Y.Doc, events: ClientEvents): BenchClient {
      const acks = withAcks ? new AckTracker() : null;
      let polyfill: WebSocketPolyfill = WebSocket as unknown as WebSocketPolyfill;
      if (acks) {
        class CountingWebSocket extends WebSocket {
          constructor(address: string | URL, protocols?: string | string[]) {
            super(address, protocols);
            acks?.socketOpened();
          }
          // y-websocket calls send(buffer) with no options or callback.
          override send(data: Parameters<WebSocket['send']>[0], ..._rest: unknown[]): void {
            acks?.messageSent(isUpdateMessage(data));
            super.send(data);
          }
        }
        polyfill = CountingWebSocket as unknown as WebSocketPolyfill;
      }
      const { name, params } = room(docIndex);
      const provider = new WebsocketProvider(baseUrl, name, doc, {
        WebSocketPolyfill: polyfill,
        params,
        // Node 20 has BroadcastChannel: without this, two providers of one room in this
        // process would exchange updates directly, bypassing the server.
        disableBc: true,
      });
      if (acks) {
        provider.messageHandlers[MESSAGE_DURABLE_ACK] = (_encoder, decoder) => {
          acks.ackReceived(decoding.readVarUint(decoder));
        };
      }
      provider.on('connection-close', (event) => {
        if (event) events.closed(event.code, event.reason);
      });
      const synced = new Promise<void>((resolve) => {
        if (provider.synced) resolve();
        provider.on('sync', (isSynced: boolean) => {
          if (isSynced) resolve();
        });
      });
      return { synced, acks, destroy: () => provider.destroy() };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Ours

export interface OursOptions {
  docs: number;
  /** Admin URL of a PostgreSQL server; the bench creates (and drops) its own database there. */
  databaseUrl: string | null;
  /** Clients opt into durable acks (`?ack=1`). */
  acks: boolean;
  log: (line: string) => void;
}

export interface Account {
  id: string;
  token: string;
}

export async function startOurs(options: OursOptions): Promise<BenchServer> {
  const notes: string[] = [];
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'relay-bench-ours-'));
  const secret = randomBytes(32).toString('hex');
  let admin: postgres.Sql | null = null;
  let dbName: string | null = null;
  let serverDbUrl: string | null = null;
  let cleaned = false;
  const cleanup = async () => {
    if (cleaned) return;
    cleaned = true;
    if (admin && dbName) {
      await admin.unsafe(`drop database if exists ${dbName} with (force)`).catch(() => {});
    }
    await admin?.end({ timeout: 2 }).catch(() => {});
    rmSync(tmp, { recursive: true, force: true });
  };

  try {
    if (options.databaseUrl) {
      admin = postgres(options.databaseUrl, { max: 1, onnotice: () => {} });
      dbName = `bench_${randomBytes(6).toString('hex')}`;
      await admin.unsafe(`create database ${dbName}`);
      const url = new URL(options.databaseUrl);
      url.pathname = `/${dbName}`;
      serverDbUrl = serverDatabaseUrl(url);
      notes.push(
        `ours: PostgreSQL (${process.env.BENCH_PG_SOCKET_DIR ? `Unix socket in ${process.env.BENCH_PG_SOCKET_DIR}` : url.host}, throwaway database ${dbName})`,
      );
    } else {
      notes.push(`ours: embedded PGlite (DATA_DIR ${tmp}); set DATABASE_URL for PostgreSQL`);
    }

    const port = await freePort();
    const env = childEnv({
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: tmp,
      AUTH_SECRET: secret,
      LOG_LEVEL: 'warn',
      // One account per document; the default brake is 5 registrations per minute per address,
      // and only the first account may register unless registration is open.
      AUTH_REGISTER_PER_MINUTE: '100000',
      REGISTRATION: 'open',
      ...(serverDbUrl ? { DATABASE_URL: serverDbUrl } : {}),
    });
    const launch = async () => {
      // e.g. BENCH_OURS_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile our server.
      const nodeArgs = (process.env.BENCH_OURS_NODE_ARGS ?? '').split(' ').filter(Boolean);
      // BENCH_OURS_MAIN: another build of the server to compare (A/B), default dist/main.js.
      const main = process.env.BENCH_OURS_MAIN || 'dist/main.js';
      const proc = startProcess('ours', process.execPath, [...nodeArgs, main], {
        cwd: SYNC_SERVER_DIR,
        env,
      });
      await waitForHttp(`http://127.0.0.1:${port}/healthz`, proc);
      return proc;
    };
    let proc = await launch();

    const started = performance.now();
    const { accounts, rateLimited } = await registerAccounts(port, options.docs);
    if (rateLimited) {
      notes.push(
        `ours: register answered 429 after ${accounts.length} accounts (AUTH_REGISTER_PER_MINUTE not honoured?); the rest were inserted into users directly with tokens minted by createTokenService`,
      );
      await stopProcess(proc);
      accounts.push(
        ...(await seedAccounts(options.docs - accounts.length, secret, serverDbUrl, tmp)),
      );
      proc = await launch();
    }
    options.log(
      `  ${accounts.length} accounts ready in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );

    const sampler = new ProcessSampler(proc.pid);
    let pgCpuAtStart = new Map<number, number>();
    const pgStarted = { at: 0 };
    const readBackendCpu = async () => {
      const cpu = new Map<number, number>();
      if (!admin || !dbName) return cpu;
      const rows = await admin<{ pid: number }[]>`
        select pid from pg_stat_activity where datname = ${dbName}`;
      for (const { pid } of rows) {
        const seconds = readCpuSeconds(pid);
        if (seconds !== null) cpu.set(pid, seconds);
      }
      return cpu;
    };

    const server: BenchServer = {
      label: 'ours',
      proc,
      notes,
      factory: yWebsocketFactory(
        `ws://127.0.0.1:${port}/sync`,
        (docIndex) => {
          const account = accounts[docIndex];
          if (!account) throw new Error(`no account for document ${docIndex}`);
          const params: Record<string, string> = { token: account.token };
          if (options.acks) params.ack = '1';
          return { name: account.id, params };
        },
        options.acks,
      ),
      async loadStarted() {
        sampler.start();
        pgCpuAtStart = await readBackendCpu();
        pgStarted.at = performance.now();
      },
      async loadEnded({ ackedAtLoadEnd }) {
        const extra: string[] = [];
        let helperCpuPercent: number | undefined;
        if (admin && dbName) {
          const seconds = (performance.now() - pgStarted.at) / 1000;
          const now = await readBackendCpu();
          let cpu = 0;
          for (const [pid, total] of now) cpu += total - (pgCpuAtStart.get(pid) ?? 0);
          helperCpuPercent = (cpu / seconds) * 100;
          extra.push(
            `ours: PostgreSQL backends of the bench database used ${helperCpuPercent.toFixed(0)}% CPU during the load (${now.size} connections; not in the table's CPU column)`,
          );
        }
        return {
          updates: options.acks ? ackedAtLoadEnd : null,
          notes: extra,
          ...(helperCpuPercent === undefined ? {} : { helperCpuPercent }),
        };
      },
      usage: () => sampler.stop(),
      async stop(load) {
        await stopProcess(proc);
        if (proc.exitCode !== 0) {
          notes.push(`ours: exit code ${proc.exitCode} signal ${proc.exitSignal} after SIGTERM`);
        }
        if (load) notes.push(...(await checkStoredUpdates(load, serverDbUrl, tmp)));
      },
      cleanup,
    };
    return server;
  } catch (error) {
    await cleanup();
    throw error;
  }
}

export async function registerAccounts(
  port: number,
  count: number,
): Promise<{ accounts: Account[]; rateLimited: boolean }> {
  const accounts: Account[] = [];
  const run = randomBytes(3).toString('hex');
  let next = 0;
  let rateLimited = false;
  // Two at a time: each registration is one argon2id hash (19 MiB, 2 passes) on the server.
  const worker = async () => {
    while (!rateLimited && next < count) {
      const i = next;
      next += 1;
      const response = await fetch(`http://127.0.0.1:${port}/api/v1/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          email: `bench-${run}-${i}@example.com`,
          username: `bench_${run}_${i}`,
          password: 'bench-password-1234',
        }),
      });
      if (response.status === 429) {
        rateLimited = true;
        await response.arrayBuffer();
        return;
      }
      if (response.status !== 201) {
        throw new Error(`register answered ${response.status}: ${await response.text()}`);
      }
      const body = (await response.json()) as { id: string; access_token: string };
      accounts.push({ id: body.id, token: body.access_token });
    }
  };
  await Promise.all([worker(), worker()]);
  return { accounts, rateLimited };
}

/**
 * Workaround when registration is rate limited: users inserted directly into the throwaway
 * database (the server must be stopped for PGlite), tokens minted with the server's own token
 * service and the AUTH_SECRET the server runs with.
 */
async function seedAccounts(
  count: number,
  secret: string,
  databaseUrl: string | null,
  dataDir: string,
): Promise<Account[]> {
  const { openDatabase } = await import('../../src/db/open-database.js');
  const { createTokenService } = await import('../../src/auth/token-service.js');
  const tokens = createTokenService({ secret, clock: () => new Date() });
  const db = await openDatabase({ databaseUrl, dataDir });
  const accounts: Account[] = [];
  try {
    for (let i = 0; i < count; i += 1) {
      const id = randomUUID();
      const name = `seeded_${id.slice(0, 8)}`;
      await db.query(
        `insert into users (id, email, email_normalized, username, username_normalized, password_hash)
         values ($1, $2, $2, $3, $3, 'not-a-password-hash')`,
        [id, `${name}@example.com`, name],
      );
      accounts.push({ id, token: await tokens.issueAccessToken({ userId: id, role: 'user' }) });
    }
  } finally {
    await db.close();
  }
  return accounts;
}

/** After a graceful stop: are all the updates the clients sent in the log? */
async function checkStoredUpdates(
  load: LoadResult,
  databaseUrl: string | null,
  dataDir: string,
): Promise<string[]> {
  const { openDatabase } = await import('../../src/db/open-database.js');
  const db = await openDatabase({ databaseUrl, dataDir });
  try {
    const [row] = await db.query<{
      rows: string | number;
      empty: string | number;
      snapshots: string | number;
    }>(
      `select (select count(*) from document_updates) as rows,
              (select count(*) from document_updates where octet_length(update) <= 2) as empty,
              (select count(*) from documents where snapshot is not null) as snapshots`,
    );
    const rows = Number(row?.rows ?? 0);
    const empty = Number(row?.empty ?? 0);
    const snapshots = Number(row?.snapshots ?? 0);
    const notes = [
      `ours: after stop, document_updates holds ${rows} rows: ${rows - empty} non-empty for ${load.sent} updates sent, plus ${empty} empty (2-byte) updates${snapshots ? `; ${snapshots} documents compacted (rows folded into snapshots)` : ''}`,
    ];
    if (!snapshots && rows - empty < load.sent) {
      notes.push(`ours: PROBLEM: ${load.sent - (rows - empty)} sent updates are not in the log`);
    }
    return notes;
  } finally {
    await db.close();
  }
}

// ---------------------------------------------------------------------------------------------
// y-websocket@2 (in-memory)

export async function startYWebsocket(): Promise<BenchServer> {
  const port = await freePort();
  const proc = startProcess(
    'y-websocket@2',
    process.execPath,
    [path.join(REFERENCES_DIR, 'node_modules/y-websocket/bin/server.cjs')],
    { cwd: REFERENCES_DIR, env: childEnv({ HOST: '127.0.0.1', PORT: String(port) }) },
  );
  try {
    await waitForHttp(`http://127.0.0.1:${port}/`, proc);
  } catch (error) {
    await stopProcess(proc);
    throw error;
  }
  const sampler = new ProcessSampler(proc.pid);
  const version = (referencesRequire('y-websocket/package.json') as { version: string }).version;
  return {
    label: 'y-websocket@2',
    proc,
    notes: [`y-websocket@2: y-websocket ${version} bin/server.cjs (setupWSConnection), in memory`],
    factory: yWebsocketFactory(
      `ws://127.0.0.1:${port}`,
      (docIndex) => ({ name: `doc-${docIndex}`, params: {} }),
      false,
    ),
    async loadStarted() {
      sampler.start();
    },
    async loadEnded() {
      return { updates: null, notes: [] };
    },
    usage: () => sampler.stop(),
    async stop() {
      await stopProcess(proc);
    },
    async cleanup() {},
  };
}

// ---------------------------------------------------------------------------------------------
// Hocuspocus 4 + SQLite

interface HocuspocusProviderLike {
  destroy(): void;
}

type HocuspocusProviderConstructor = new (configuration: {
  url: string;
  name: string;
  document: Y.Doc;
  WebSocketPolyfill: unknown;
  token: string | null;
  onSynced: (data: { state: boolean }) => void;
  onClose: (data: { event: { code: number; reason: string } }) => void;
  onAuthenticationFailed: (data: { reason: string }) => void;
}) => HocuspocusProviderLike;

interface HocuspocusStats {
  type: 'stats';
  changes: number;
  persisted: number;
  stores: number;
  storeErrors: number;
  storeMsMax: number;
}

function isStats(message: unknown): message is HocuspocusStats {
  return (
    typeof message === 'object' && message !== null && 'type' in message && message.type === 'stats'
  );
}

export async function startHocuspocus(): Promise<BenchServer> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'relay-bench-hocuspocus-'));
  const port = await freePort();
  const proc = startProcess(
    'hocuspocus',
    process.execPath,
    [path.join(BENCH_DIR, 'hocuspocus-server.mjs')],
    {
      cwd: REFERENCES_DIR,
      env: childEnv({ PORT: String(port), SQLITE_FILE: path.join(tmp, 'hocuspocus.sqlite') }),
      ipc: true,
    },
  );
  const cleanup = async () => {
    rmSync(tmp, { recursive: true, force: true });
  };
  try {
    await waitForHttp(`http://127.0.0.1:${port}/`, proc);
  } catch (error) {
    await stopProcess(proc);
    await cleanup();
    throw error;
  }
  const stats = () =>
    new Promise<HocuspocusStats>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('hocuspocus: no stats answer')), 5_000);
      const onMessage = (message: unknown) => {
        if (!isStats(message)) return;
        clearTimeout(timer);
        proc.child.off('message', onMessage);
        resolve(message);
      };
      proc.child.on('message', onMessage);
      proc.child.send('stats');
    });
  const RefY = referencesRequire('yjs') as YModule;
  const { HocuspocusProvider } = referencesRequire('@hocuspocus/provider') as {
    HocuspocusProvider: HocuspocusProviderConstructor;
  };
  const sampler = new ProcessSampler(proc.pid);
  const notes = [
    'hocuspocus: @hocuspocus/server 4.7.0 + @hocuspocus/extension-sqlite (better-sqlite3 file), defaults: whole-document store debounced 2 s, at least every 10 s; clients @hocuspocus/provider 4.7.0, one socket each',
    "hocuspocus: its clients use the references' own yjs (same 13.6 version), hence yjs's 'Yjs was already imported' warning above",
  ];
  let atStart: HocuspocusStats | null = null;
  let seconds = 0;
  let loadStartedAt = 0;
  let authFailures = 0;
  return {
    label: 'hocuspocus',
    proc,
    notes,
    factory: {
      Y: RefY,
      connect(docIndex: number, doc: Y.Doc, events: ClientEvents): BenchClient {
        let resolveSynced: () => void = () => {};
        const synced = new Promise<void>((resolve) => {
          resolveSynced = resolve;
        });
        const provider = new HocuspocusProvider({
          url: `ws://127.0.0.1:${port}`,
          name: `doc-${docIndex}`,
          document: doc,
          WebSocketPolyfill: WebSocket,
          token: null,
          onSynced: ({ state }) => {
            if (state) resolveSynced();
          },
          onClose: ({ event }) => events.closed(event.code, event.reason),
          onAuthenticationFailed: () => {
            authFailures += 1;
          },
        });
        return { synced, acks: null, destroy: () => provider.destroy() };
      },
    },
    async loadStarted() {
      sampler.start();
      loadStartedAt = performance.now();
      atStart = await stats();
    },
    async loadEnded() {
      seconds = (performance.now() - loadStartedAt) / 1000;
      const end = await stats();
      const start = atStart ?? end;
      const stores = end.stores - start.stores;
      const lines = [
        `hocuspocus: ${stores} document stores during the load (${(stores / seconds).toFixed(1)}/s, longest ${end.storeMsMax.toFixed(0)} ms${end.storeErrors ? `, ${end.storeErrors} failed` : ''}); updates persisted = client updates included in a completed store by the end of the load`,
      ];
      if (authFailures) lines.push(`hocuspocus: ${authFailures} authentication failures`);
      return { updates: end.persisted - start.persisted, notes: lines };
    },
    usage: () => sampler.stop(),
    async stop() {
      await stopProcess(proc);
    },
    cleanup,
  };
}
