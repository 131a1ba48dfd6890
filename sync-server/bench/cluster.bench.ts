/**
 * Cluster benchmark (prints, not a test): `pnpm --filter @tasks/sync-server bench:cluster`.
 *
 * BENCH_USERS users (100), each with two devices editing one shared document, at each of
 * BENCH_RATES updates/s in all (1000,3000) for BENCH_SECONDS (20) per run. Two nodes
 * (`node dist/main.js`, one database, one Redis) run side by side; each rate runs twice:
 * - "one node": both devices of every user on node A (the reference; node B idles);
 * - "two nodes": every user's first device on node A, the second on node B, so every edit
 *   crosses nodes through Redis.
 * Devices connect through HAProxy (one instance per node, so the bench chooses the backend;
 * BENCH_HAPROXY=0 connects them to the nodes directly).
 *
 * Measured: fan-out from the edit on one device to its arrival on the other (p50/p99), deliveries
 * that never arrived, durable-ack latency, acknowledged updates missing when read back from
 * PostgreSQL after the run (aim 0), CPU and RSS of each node from /proc/PID. Aim: the two-node
 * p99 within 1.5x the one-node p99 and at most 25 ms.
 *
 * Needs PostgreSQL (TEST_DATABASE_URL or DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test;
 * the bench creates and drops its own database) and Redis (TEST_REDIS_URL or REDIS_URL, default
 * redis://127.0.0.1:6379; keys under a prefix of this run only, deleted at the end).
 * BENCH_PORT_BASE (19500) and the next three ports: node A, node B, their two HAProxies.
 * BENCH_SKIP_BUILD=1 skips `tsc -b`.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { testRedisPrefix } from '../src/cluster/test-redis.js';
import { createPostgresDatabase } from '../src/db/postgres-database.js';
import { ensureHaproxy, type RunningHaproxy, startHaproxy } from '../src/test-support/haproxy.js';
import { createScratchDatabase } from '../src/test-support/server-process.js';
import { deviceFactory, readBack } from './lib/cluster-devices.js';
import { type ClusterNode, startClusterNode } from './lib/cluster-nodes.js';
import {
  printAims,
  printTable,
  type Run,
  TOPOLOGIES,
  type Topology,
} from './lib/cluster-report.js';
import { runLoad } from './lib/load.js';
import {
  killAllProcessesNow,
  ProcessSampler,
  readCpuSeconds,
  readMachineBusySeconds,
  sleep,
  stopAllProcesses,
} from './lib/processes.js';
import { type Account, registerAccounts } from './lib/servers.js';

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

const users = Math.round(envNumber('BENCH_USERS', 100));
const seconds = envNumber('BENCH_SECONDS', 20);
const rates = (process.env.BENCH_RATES ?? '1000,3000').split(',').map((rate) => {
  const value = Number(rate.trim());
  if (!Number.isFinite(value) || value <= 0) throw new Error(`BENCH_RATES: bad rate ${rate}`);
  return value;
});
const portBase = Math.round(envNumber('BENCH_PORT_BASE', 19500));
const throughHaproxy = process.env.BENCH_HAPROXY !== '0';
const adminDatabaseUrl =
  process.env.TEST_DATABASE_URL ||
  process.env.DATABASE_URL ||
  'postgres://postgres@127.0.0.1:5432/test';
const redisUrl = process.env.TEST_REDIS_URL || process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const DEVICES_PER_USER = 2;
if (rates.length * TOPOLOGIES.length > 12) throw new Error('BENCH_RATES: at most 6 rates');

const log = (line: string) => console.log(line);

/** What every run shares. */
interface Bench {
  baseUrls: string[];
  nodes: ClusterNode[];
  accounts: Account[];
  databaseUrl: string;
  /** CPU seconds used so far by each PostgreSQL backend of the bench database. */
  postgresCpu(): Promise<Map<number, number>>;
}

/** Devices choose their node: the bench, not the balancer, decides who crosses nodes. */
async function benchOne(
  bench: Bench,
  rate: number,
  topology: Topology,
  month: number,
): Promise<Run> {
  const { accounts, nodes } = bench;
  const run: Run = {
    rate,
    topology,
    load: null,
    usage: [],
    readBack: null,
    clientCpuPercent: null,
    postgresCpuPercent: null,
    otherCpuPercent: null,
    error: null,
  };
  // A month document of its own per run: no run reads another's keys.
  const room = (account: Account) => `${account.id}/time/2030-${String(month).padStart(2, '0')}`;
  const { factory, devices } = deviceFactory(bench.baseUrls, accounts, room, (device) =>
    topology === 'one node' ? 0 : device % 2,
  );
  const samplers = nodes.map((node) => new ProcessSampler(node.proc.pid));
  let clientCpu = process.cpuUsage();
  let startedAt = 0;
  let machineAtStart: number | null = null;
  let postgresAtStart = new Map<number, number>();
  log(`${rate} updates/s, ${topology}: ${users * DEVICES_PER_USER} devices connecting`);
  try {
    run.load = await runLoad(
      factory,
      {
        docs: users,
        clientsPerDoc: DEVICES_PER_USER,
        rate: rate / (users * DEVICES_PER_USER),
        seconds,
        drainMs: 5_000,
        connectTimeoutMs: 30_000,
      },
      {
        async loadStarted() {
          postgresAtStart = await bench.postgresCpu();
          for (const sampler of samplers) sampler.start();
          clientCpu = process.cpuUsage();
          startedAt = performance.now();
          machineAtStart = readMachineBusySeconds();
        },
        async loadEnded() {
          const elapsedMs = performance.now() - startedAt;
          const used = process.cpuUsage(clientCpu);
          run.clientCpuPercent = (used.user + used.system) / 10 / elapsedMs;
          run.usage = samplers.map((sampler) => sampler.stop());
          const machine = readMachineBusySeconds();
          let postgresSeconds = 0;
          for (const [pid, total] of await bench.postgresCpu()) {
            postgresSeconds += total - (postgresAtStart.get(pid) ?? 0);
          }
          run.postgresCpuPercent = (postgresSeconds * 100_000) / elapsedMs;
          if (machine !== null && machineAtStart !== null) {
            const nodesPercent = run.usage.reduce((sum, usage) => sum + usage.cpuPercent, 0);
            run.otherCpuPercent = Math.max(
              0,
              ((machine - machineAtStart) * 100_000) / elapsedMs -
                run.clientCpuPercent -
                run.postgresCpuPercent -
                nodesPercent,
            );
          }
        },
      },
    );
    run.readBack = await readBack(bench.databaseUrl, accounts, room, devices);
  } catch (error) {
    run.error = error instanceof Error ? (error.stack ?? error.message) : String(error);
  }
  return run;
}

// ---------------------------------------------------------------------------------------------

const cleanups: Array<() => Promise<void>> = [];
let interrupted = false;

async function cleanupEverything(): Promise<void> {
  await stopAllProcesses();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${signal}: stopping the nodes...`);
    cleanupEverything().finally(() => process.exit(130));
  });
}
process.on('exit', killAllProcessesNow);
// Every stock y-websocket provider adds a process 'exit' listener.
process.setMaxListeners(users * DEVICES_PER_USER + 50);

function build(): void {
  log('building sync-server (tsc -b)...');
  try {
    execFileSync('npx', ['tsc', '-b'], {
      cwd: fileURLToPath(new URL('../', import.meta.url)),
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
  } catch (error) {
    const output = (error as { stdout?: string }).stdout ?? '';
    const errors = output.split('\n').filter((line) => /error TS\d+/.test(line));
    log(`  tsc -b reported ${errors.length} errors; running dist/ as emitted`);
  }
}

/** Removes this run's keys (and only them) from the shared Redis. */
async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  log(
    `cluster bench: ${users} users x ${DEVICES_PER_USER} devices, ${rates.join(' and ')} updates/s, ${seconds} s per run, PostgreSQL ${new URL(adminDatabaseUrl).host}, Redis ${new URL(redisUrl).host}, devices ${throughHaproxy ? 'through HAProxy' : 'connected to the nodes directly'}`,
  );
  if (process.env.BENCH_SKIP_BUILD !== '1') build();

  const database = await createScratchDatabase(adminDatabaseUrl, 'bench_cluster');
  cleanups.push(() => database.drop());
  const admin = createPostgresDatabase({ url: adminDatabaseUrl, max: 1 });
  cleanups.push(() => admin.close());
  const databaseName = new URL(database.url).pathname.slice(1);
  const postgresCpu = async () => {
    const cpu = new Map<number, number>();
    const rows = await admin.query<{ pid: number }>(
      'select pid from pg_stat_activity where datname = $1',
      [databaseName],
    );
    for (const { pid } of rows) {
      const seconds = readCpuSeconds(pid);
      if (seconds !== null) cpu.set(pid, seconds);
    }
    return cpu;
  };
  const redisPrefix = testRedisPrefix();
  cleanups.push(() => deleteRedisKeys(redisPrefix));
  const settings = {
    databaseUrl: database.url,
    redisUrl,
    redisPrefix,
    authSecret: randomBytes(32).toString('hex'),
  };
  // One after the other: the first runs the migrations.
  const nodes: ClusterNode[] = [];
  for (const [i, name] of ['node-a', 'node-b'].entries()) {
    const node = await startClusterNode(name, portBase + i, settings);
    cleanups.push(() => node.stop());
    nodes.push(node);
  }
  let baseUrls = nodes.map((node) => `ws://127.0.0.1:${node.port}/sync`);
  if (throughHaproxy && (await ensureHaproxy())) {
    const proxies: RunningHaproxy[] = [];
    for (const [i, node] of nodes.entries()) {
      const proxy = await startHaproxy({
        backends: [{ name: node.name, port: node.port }],
        port: portBase + nodes.length + i,
      });
      cleanups.push(() => proxy.stop());
      proxies.push(proxy);
    }
    baseUrls = proxies.map((proxy) => `${proxy.wsUrl}/sync`);
  } else if (throughHaproxy) {
    log('HAProxy is not available: devices connect to the nodes directly');
  }

  const registerStarted = performance.now();
  const { accounts, rateLimited } = await registerAccounts(nodes[0]?.port ?? portBase, users);
  if (rateLimited) throw new Error(`registration rate limited after ${accounts.length} users`);
  log(
    `${accounts.length} users registered in ${((performance.now() - registerStarted) / 1000).toFixed(1)} s`,
  );

  const runs: Run[] = [];
  for (const rate of rates) {
    for (const topology of TOPOLOGIES) {
      if (interrupted) break;
      const bench = { baseUrls, nodes, accounts, databaseUrl: database.url, postgresCpu };
      runs.push(await benchOne(bench, rate, topology, runs.length + 1));
      await sleep(1_000);
    }
  }

  log('');
  printTable(runs, log);
  log('');
  const problems = printAims(runs, rates, log);
  log('');
  for (const run of runs) {
    if (!run.load) continue;
    const back = run.readBack;
    log(
      `- ${run.rate}/s ${run.topology}: bench devices used ${run.clientCpuPercent?.toFixed(0) ?? '?'}% CPU, PostgreSQL backends ${run.postgresCpuPercent?.toFixed(0) ?? '?'}%, HAProxy + Redis + other work ${run.otherCpuPercent?.toFixed(0) ?? '?'}%; connect+sync ${(run.load.connectMs / 1000).toFixed(1)} s; ${run.load.ack?.acked ?? 0}/${run.load.sent} updates acked durable${back ? `, ${back.storedKeys} in PostgreSQL after the run` : ''}`,
    );
  }
  for (const node of nodes) {
    const lines = node.proc.lines.filter((line) =>
      /"level":"(warn|error)"|error|exception|fail/i.test(line),
    );
    if (lines.length === 0) continue;
    problems.push(`${node.name}: ${lines.length} warning/error lines, first ones:`);
    for (const line of lines.slice(0, 6)) problems.push(`    ${line.slice(0, 300)}`);
  }
  log('');
  log(problems.length > 0 ? 'problems:' : 'problems: none observed');
  for (const problem of problems) log(`  ${problem}`);
  log(`\ntotal ${((performance.now() - started) / 1000).toFixed(0)} s`);
}

try {
  await main();
} finally {
  await cleanupEverything();
}
