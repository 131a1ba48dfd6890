import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ManagedProcess, sleep, startProcess, stopProcess, waitForHttp } from './processes.js';

const SYNC_SERVER_DIR = fileURLToPath(new URL('../../', import.meta.url));

/** What every node of one cluster shares: the database, Redis, the token key. */
export interface ClusterSettings {
  databaseUrl: string;
  redisUrl: string;
  redisPrefix: string;
  authSecret: string;
}

/** One node of the cluster under test: `node dist/main.js` as deployed, stopped by its pid. */
export interface ClusterNode {
  readonly name: string;
  readonly port: number;
  readonly proc: ManagedProcess;
  stop(): Promise<void>;
}

export async function startClusterNode(
  name: string,
  port: number,
  cluster: ClusterSettings,
): Promise<ClusterNode> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `cluster-bench-${name}-`));
  // Nothing of the bench's own environment (a DATABASE_URL, REDIS_URL, NODE_OPTIONS) leaks in.
  const { DATABASE_URL, REDIS_URL, REDIS_PREFIX, NODE_ID, NODE_OPTIONS, ...inherited } =
    process.env;
  const proc = startProcess(name, process.execPath, ['dist/main.js'], {
    cwd: SYNC_SERVER_DIR,
    env: {
      ...inherited,
      HOST: '127.0.0.1',
      PORT: String(port),
      DATA_DIR: dataDir,
      DATABASE_URL: cluster.databaseUrl,
      REDIS_URL: cluster.redisUrl,
      REDIS_PREFIX: cluster.redisPrefix,
      NODE_ID: name,
      AUTH_SECRET: cluster.authSecret,
      LOG_LEVEL: 'warn',
      REGISTRATION: 'open',
      // One account per user, all registered from this address.
      AUTH_REGISTER_PER_MINUTE: '100000',
    },
  });
  const stop = async () => {
    await stopProcess(proc);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitForHttp(`http://127.0.0.1:${port}/healthz`, proc);
    await waitUntilReady(`http://127.0.0.1:${port}/readyz`, 30_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { name, port, proc, stop };
}

/** /readyz is 200 only once the node reaches Postgres (and Redis, in a cluster). */
async function waitUntilReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      last = `${response.status} ${await response.text()}`;
      if (response.ok) return;
    } catch (error) {
      last = (error as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`${url} not ready within ${timeoutMs} ms: ${last.slice(0, 300)}`);
}
