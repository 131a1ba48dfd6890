import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import type { Database } from '../db/database.js';
import { migrate } from '../db/migrate.js';
import { createPostgresDatabase } from '../db/postgres-database.js';
import { testDatabaseUrl } from '../db/test-databases.js';
import { silentLogger } from '../logger.js';
import { type RunningServer, startServer } from '../server.js';
import { TEST_AUTH_SECRET } from '../test-server.js';
import { createScratchDatabase } from '../test-support/server-process.js';
import { startTcpProxy, type TcpProxy } from '../test-support/tcp-proxy.js';
import { until } from '../test-support/until.js';

/**
 * /readyz under the fault it is about: PostgreSQL cut by a TCP proxy (every connection reset,
 * new ones refused), then restored. The server runs in this process on the proxied database.
 */
const url = testDatabaseUrl();

describe.skipIf(!url)('/readyz while PostgreSQL is cut', () => {
  let database: { url: string; drop(): Promise<void> };
  let proxy: TcpProxy;
  let db: Database;
  let server: RunningServer;
  let dataDir: string;

  beforeAll(async () => {
    database = await createScratchDatabase(url as string, 'readyz');
    const target = new URL(database.url);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    const viaProxy = new URL(database.url);
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    db = createPostgresDatabase({ url: viaProxy.toString(), max: 2 });
    await migrate(db);
    dataDir = await mkdtemp(path.join(tmpdir(), 'tasks-readyz-'));
    const config = loadConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      AUTH_SECRET: TEST_AUTH_SECRET,
      LOG_LEVEL: 'silent',
    });
    server = await startServer({ config, db, log: silentLogger });
  }, 60_000);

  afterAll(async () => {
    proxy?.restore();
    await server?.close();
    await db?.close();
    await proxy?.close();
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('answers 503 while the database is unreachable and 200 once it is back', async () => {
    const status = async () => (await fetch(`${server.url}/readyz`)).status;
    expect(await status()).toBe(200);
    proxy.cut();
    const down = await fetch(`${server.url}/readyz`);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ status: 'unavailable', database: 'postgres' });
    // Liveness is not readiness: the process itself is fine.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    proxy.restore();
    await until('ready again', async () => (await status()) === 200, 15_000);
  }, 30_000);
});
