import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Config, loadConfig } from './config.js';
import type { Database } from './db/database.js';
import { type DatabaseKind, openTestDatabase, type TestDatabase } from './db/test-databases.js';
import { type Logger, silentLogger } from './logger.js';
import type { RelayOptions } from './relay/relay.js';
import { type RunningServer, type ServerDeps, startServer } from './server.js';

/** A secret shared by test servers, so a token minted in a test verifies on every restart. */
export const TEST_AUTH_SECRET = 'test-secret-test-secret-test-secret-0123';

export interface TestUser {
  userId: string;
  token: string;
}

export interface TestServer {
  server: RunningServer;
  db: Database;
  config: Config;
  url: string;
  wsUrl: string;
  register(name: string): Promise<TestUser>;
  /**
   * Another node of the same cluster (PostgreSQL only): a second server in this process on a
   * pool of its own over the same database, with `config` added to this one's.
   */
  startNode(config?: Record<string, string>): Promise<TestNode>;
  /** Stops the server only (the database stays, for a restart). */
  stop(): Promise<void>;
  /** Starts a new server on the same database and port. */
  restart(): Promise<void>;
  dispose(): Promise<void>;
}

export interface TestNode {
  server: RunningServer;
  url: string;
  wsUrl: string;
  close(): Promise<void>;
}

/**
 * A real server (HTTP + websocket relay) in this process, on a free 127.0.0.1 port, over an
 * isolated test database of the given kind.
 */
export async function startTestServer(
  kind: DatabaseKind,
  options: {
    config?: Record<string, string>;
    relay?: Partial<RelayOptions>;
    calendar?: ServerDeps['calendarOptions'];
    trashPurge?: ServerDeps['trashPurgeOptions'];
    history?: ServerDeps['historyOptions'];
    reminders?: ServerDeps['reminderOptions'];
    emails?: ServerDeps['emailOptions'];
    /** The server's clock (default: the system's). */
    clock?: () => Date;
    /** Where the server logs (default: nowhere). */
    log?: Logger;
  } = {},
): Promise<TestServer> {
  const database: TestDatabase = await openTestDatabase(kind);
  const dataDir = await mkdtemp(path.join(tmpdir(), 'tasks-test-'));
  const configEnv: Record<string, string> = {
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    AUTH_SECRET: TEST_AUTH_SECRET,
    LOG_LEVEL: 'silent',
    AUTH_REGISTER_PER_MINUTE: '1000',
    AUTH_LOGIN_PER_MINUTE: '1000',
    // Tests register many accounts; the modes have tests of their own.
    REGISTRATION: 'open',
    // Tests connect CalDAV servers (Radicale) on 127.0.0.1.
    CALDAV_ALLOW_PRIVATE_NETWORKS: 'true',
    ...options.config,
  };
  const config = loadConfig(configEnv);
  const nodes: RunningServer[] = [];
  const start = (port: number) =>
    startServer({
      config: { ...config, port },
      db: database.db,
      log: options.log ?? silentLogger,
      relayOptions: options.relay ?? {},
      ...(options.calendar ? { calendarOptions: options.calendar } : {}),
      ...(options.trashPurge ? { trashPurgeOptions: options.trashPurge } : {}),
      ...(options.history ? { historyOptions: options.history } : {}),
      ...(options.reminders ? { reminderOptions: options.reminders } : {}),
      ...(options.emails ? { emailOptions: options.emails } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
    });
  let server = await start(config.port);
  const port = server.port;
  let counter = 0;
  const harness: TestServer = {
    get server() {
      return server;
    },
    db: database.db,
    config,
    url: server.url,
    wsUrl: `ws://127.0.0.1:${port}/sync`,
    async register(name: string) {
      counter += 1;
      const response = await fetch(`${server.url}/api/v1/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-test-client': String(counter) },
        body: JSON.stringify({
          email: `${name}-${counter}@example.com`,
          username: `${name}_${counter}`,
          password: 'correct horse battery',
        }),
      });
      if (response.status !== 201)
        throw new Error(`register failed: ${response.status} ${await response.text()}`);
      const body = (await response.json()) as { id: string; access_token: string };
      return { userId: body.id, token: body.access_token };
    },
    async startNode(extra = {}) {
      const db = database.connect({ max: 5 });
      if (!db) throw new Error('a second node needs PostgreSQL (PGlite has one connection)');
      const nodeConfig = loadConfig({ ...configEnv, PORT: '0', ...extra });
      const node = await startServer({
        config: nodeConfig,
        db,
        log: options.log ?? silentLogger,
        relayOptions: options.relay ?? {},
        ...(options.clock ? { clock: options.clock } : {}),
        ...(options.calendar ? { calendarOptions: options.calendar } : {}),
      });
      nodes.push(node);
      return {
        server: node,
        url: node.url,
        wsUrl: `ws://127.0.0.1:${node.port}/sync`,
        close: () => node.close(),
      };
    },
    stop: () => server.close(),
    async restart() {
      server = await start(port);
    },
    async dispose() {
      for (const node of nodes) await node.close().catch(() => undefined);
      await server.close().catch(() => undefined);
      await database.dispose();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}

/** The error body every endpoint answers with. */
export interface ErrorBody {
  error: { code: string; message: string; fields: { field: string; message: string }[] };
}

/** A reply whose JSON body the test expects to have shape `T` (checked by its assertions). */
export interface ApiReply<T = unknown> {
  status: number;
  body: T;
}

/** Calls the REST API as `user`; a string body is sent as it is (for malformed JSON). */
export async function callApi<T = ErrorBody>(
  ts: TestServer,
  user: TestUser,
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<ApiReply<T>> {
  const response = await fetch(`${ts.url}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${user.token}`,
      ...(body === undefined ? {} : { 'content-type': contentType }),
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? (null as T) : (JSON.parse(text) as T) };
}
