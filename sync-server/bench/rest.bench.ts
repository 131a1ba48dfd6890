/**
 * Benchmark (prints, not a test): the REST API under load for one large user.
 *
 * A user holding 10,000 tasks and 100,000 time entries (36 months of history ending now) is
 * registered through the API, then their documents are built with the crdt and written into the
 * server's database as snapshots (one row per document, no HTTP call per record). The server
 * (`dist/main.js`, a child process on 127.0.0.1) is started again and autocannon drives each
 * operation with 50 connections for a bounded time, after a warm-up:
 *
 *   POST  /api/v1/tasks                                          (small body)
 *   PATCH /api/v1/tasks/{id}                                     (rotating over live tasks)
 *   GET   /api/v1/tasks?status=TODO&priority=HIGH&page=1&limit=20 (filtered page of 20)
 *   GET   /api/v1/analytics/dashboard?period=30d
 *
 * and the table compares p50/p99 with the spec's SLAs (8.1) and our aim, a fifth of each. For each
 * run it also prints, from the server's `/metrics`, its GC pauses, its longest event-loop delay
 * and the documents its cache evicted: where slow requests may have come from.
 *
 *   pnpm build && cd sync-server && node --import tsx bench/rest.bench.ts
 *
 * Environment: BENCH_SECONDS (10 per operation), BENCH_WARMUP_SECONDS (2), BENCH_CONNECTIONS
 * (50), BENCH_TASKS / BENCH_ENTRIES (scale), BENCH_OPS (e.g. `create,patch`), BENCH_PGLITE=1
 * (embedded PGlite instead of PostgreSQL), BENCH_PG_URL (admin URL of the local PostgreSQL,
 * default postgres://postgres@127.0.0.1:5432/postgres; a throwaway database is created on it and
 * dropped), BENCH_CPU_PROF=1 (server runs with --cpu-prof; its hottest functions are printed),
 * BENCH_SETTLE_SECONDS (10: the quiet spell before the last memory readings),
 * BENCH_SERVER_NODE_ARGS (node options for the server, e.g. `--max-old-space-size=1024`),
 * BENCH_RATE (requests per second sent at an even pace per operation, over at most
 * BENCH_CONNECTIONS sockets, instead of the default closed loop in which each connection sends
 * again as soon as it is answered: latency below saturation; the warm-up stays a closed loop).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type autocannon from 'autocannon';
import { openDatabase } from '../src/db/open-database.js';
import { memoryAfterFullGc } from './lib/inspector-gc.js';
import { readCommandCpuSeconds, readCpuSeconds } from './lib/processes.js';
import { createThrowawayDatabase, type ThrowawayDatabase } from './rest-database.js';
import { type LoadResult, runLoad } from './rest-load.js';
import { runPacedLoad } from './rest-paced-load.js';
import { summarizeProfile } from './rest-profile.js';
import { buildUser, writeUserDocuments } from './rest-seed.js';
import { freePort, memoryOf, type ServerProcess, startServer, stopServer } from './rest-server.js';
import { describeRun, runBetween, scrapeServer } from './rest-server-metrics.js';

function numberFromEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min) throw new Error(`${name} must be a number ≥ ${min}`);
  return value;
}

const SECONDS = numberFromEnv('BENCH_SECONDS', 10, 1);
const WARMUP_SECONDS = numberFromEnv('BENCH_WARMUP_SECONDS', 2, 0);
const CONNECTIONS = numberFromEnv('BENCH_CONNECTIONS', 50, 1);
/** Requests per second offered per operation (0: closed loop, as fast as answers come). */
const RATE = numberFromEnv('BENCH_RATE', 0, 0);
const TASKS = numberFromEnv('BENCH_TASKS', 10_000, 1);
const ENTRIES = numberFromEnv('BENCH_ENTRIES', 100_000, 0);
const MONTHS = 36;
/** Requests sent one at a time per operation, for its unloaded latency. */
const SOLO_REQUESTS = 15;
/** Seconds with no requests before the last memory readings. */
const SETTLE_SECONDS = numberFromEnv('BENCH_SETTLE_SECONDS', 10, 0);
/** Extra node options for the server under test, e.g. `--max-old-space-size=1024`. */
const SERVER_NODE_ARGS = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
const USE_PGLITE = process.env.BENCH_PGLITE === '1';
const PG_ADMIN_URL = process.env.BENCH_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const CPU_PROF = process.env.BENCH_CPU_PROF === '1';
const TIMEZONE = 'Europe/Paris';
const API_REQUESTS_PER_MINUTE = 1_000_000;

const SERVER_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const REPO_ROOT = path.resolve(SERVER_DIR, '..');
const ENTRY = path.join(SERVER_DIR, 'dist', 'main.js');

type OperationKey = 'create' | 'patch' | 'list' | 'dashboard';

interface Operation {
  key: OperationKey;
  label: string;
  /** The spec's target (8.1), in ms. */
  slaMs: number;
  slaName: string;
  /** The next request to send (PATCH rotates over the live tasks). */
  next: () => { method: 'GET' | 'POST' | 'PATCH'; path: string; body?: string };
  /** Status a successful response has. */
  expect: number;
}

const LIST_PATH = '/api/v1/tasks?status=TODO&priority=HIGH&page=1&limit=20';
const DASHBOARD_PATH = '/api/v1/analytics/dashboard?period=30d';

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const fixed = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '-');

function printTable(header: string[], rows: string[][], rightAligned: ReadonlySet<number>): void {
  const widths = header.map((cell, i) =>
    Math.max(cell.length, ...rows.map((r) => (r[i] ?? '').length)),
  );
  const line = (cells: string[]) =>
    `| ${cells
      .map((cell, i) =>
        rightAligned.has(i) ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0),
      )
      .join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of rows) console.log(line(row));
}

interface CpuReading {
  server: number;
  mainThread: number;
  postgres: number;
  bench: NodeJS.CpuUsage;
  at: number;
}

function cpuReading(serverPid: number): CpuReading {
  return {
    server: readCpuSeconds(serverPid) ?? Number.NaN,
    // The main thread's id is the process id.
    mainThread: readCpuSeconds(serverPid, serverPid) ?? Number.NaN,
    postgres: USE_PGLITE ? 0 : readCommandCpuSeconds('postgres'),
    bench: process.cpuUsage(),
    at: performance.now(),
  };
}

/** CPU used since `before` by the server, PostgreSQL (every backend) and this load generator. */
function cpuSince(before: CpuReading, serverPid: number) {
  const seconds = (performance.now() - before.at) / 1000;
  const serverSeconds = (readCpuSeconds(serverPid) ?? Number.NaN) - before.server;
  const mainThreadSeconds =
    (readCpuSeconds(serverPid, serverPid) ?? Number.NaN) - before.mainThread;
  const postgresSeconds = USE_PGLITE ? 0 : readCommandCpuSeconds('postgres') - before.postgres;
  const bench = process.cpuUsage(before.bench);
  const percent = (used: number) => (used * 100) / seconds;
  return {
    mainThreadSeconds,
    serverPercent: percent(serverSeconds),
    mainThreadPercent: percent(mainThreadSeconds),
    postgresPercent: percent(postgresSeconds),
    benchPercent: percent((bench.user + bench.system) / 1e6),
  };
}

/** Deterministic shuffle, so consecutive PATCHes touch tasks spread over the document. */
function shuffled<T>(items: readonly T[]): T[] {
  const copy = [...items];
  let seed = 42;
  for (let i = copy.length - 1; i > 0; i -= 1) {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    const j = seed % (i + 1);
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

async function timedFetch(
  url: string,
  init: RequestInit,
): Promise<{ status: number; ms: number; body: string }> {
  const started = performance.now();
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(120_000) });
  const body = await response.text();
  return { status: response.status, ms: performance.now() - started, body };
}

/**
 * Waits until the server answers /healthz quickly three times in a row: requests autocannon gave
 * up on (timeouts, or in flight when a run ended) are still being worked on by the server and
 * would otherwise slow the next run. Returns how long that took (ms).
 */
async function drain(url: string, limitMs = 120_000): Promise<number> {
  const started = performance.now();
  let quick = 0;
  while (quick < 3 && performance.now() - started < limitMs) {
    const probe = await timedFetch(`${url}/healthz`, {}).catch(() => null);
    quick = probe && probe.status === 200 && probe.ms < 20 ? quick + 1 : 0;
    await sleep(100);
  }
  return performance.now() - started - 300;
}

/** Median of `count` requests sent one after the other (no concurrency): the service time. */
async function sequentialMedian(
  url: string,
  count: number,
  request: () => { method: string; path: string; body?: string },
  headers: Record<string, string>,
): Promise<{ median: number; statuses: Set<number> }> {
  const times: number[] = [];
  const statuses = new Set<number>();
  for (let i = 0; i < count; i += 1) {
    const { method, path: target, body } = request();
    const response = await timedFetch(`${url}${target}`, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    times.push(response.ms);
    statuses.add(response.status);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(times.length / 2)] ?? Number.NaN, statuses };
}

function selectedOperations(): Set<OperationKey> {
  const all: OperationKey[] = ['create', 'patch', 'list', 'dashboard'];
  const raw = process.env.BENCH_OPS;
  if (!raw) return new Set(all);
  const chosen = raw.split(',').map((part) => part.trim());
  for (const key of chosen) {
    if (!(all as string[]).includes(key)) throw new Error(`BENCH_OPS: unknown operation ${key}`);
  }
  return new Set(chosen as OperationKey[]);
}

async function main(): Promise<void> {
  if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run \`pnpm build\` first`);
  const only = selectedOperations();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'rest-bench-'));
  const profileDir = path.join(dataDir, 'cpu-profile');
  let database: ThrowawayDatabase | null = null;
  let server: ServerProcess | null = null;
  let interrupted = false;
  const onSignal = () => {
    interrupted = true;
    // The finally below stops the server and drops the database; a second signal forces exit.
    if (server && !server.exited) process.kill(server.pid, 'SIGTERM');
    process.once('SIGINT', () => process.exit(130));
  };
  process.once('SIGINT', onSignal);

  try {
    console.log(
      `REST benchmark: ${TASKS.toLocaleString('en')} tasks, ${ENTRIES.toLocaleString('en')} time entries, ${CONNECTIONS} connections${RATE > 0 ? ` at most, ${RATE} requests/s at an even pace` : ''}, ${SECONDS} s per operation after a ${WARMUP_SECONDS} s warm-up`,
    );
    console.log(
      `node ${process.version}, ${os.cpus().length} CPUs shared by the load generator and the server, database: ${USE_PGLITE ? 'PGlite (embedded)' : 'PostgreSQL (throwaway database)'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB of memory (V8 sizes its default heap limit from it)${SERVER_NODE_ARGS.length > 0 ? `; server node options: ${SERVER_NODE_ARGS.join(' ')}` : ''}`,
    );
    console.log(
      `Note: API_REQUESTS_PER_MINUTE=${API_REQUESTS_PER_MINUTE} for the server under test: the per-user limit (spec 7.4: 100/min) would otherwise answer 429 to almost all of the load.`,
    );

    if (!USE_PGLITE) database = await createThrowawayDatabase(PG_ADMIN_URL);
    const metricsToken = randomBytes(24).toString('hex');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATA_DIR: dataDir,
      AUTH_SECRET: randomBytes(32).toString('hex'),
      API_REQUESTS_PER_MINUTE: String(API_REQUESTS_PER_MINUTE),
      AUTH_REGISTER_PER_MINUTE: '1000',
      REGISTRATION: 'open',
      LOG_LEVEL: 'warn',
      DOC_QUOTA_BYTES: String(1024 * 1024 * 1024),
      DATABASE_URL: database?.url ?? '',
      METRICS_TOKEN: metricsToken,
    };

    // 1. Register the user through the API.
    server = await startServer({ cwd: SERVER_DIR, entry: ENTRY, env });
    const suffix = randomBytes(4).toString('hex');
    const registered = await timedFetch(`${server.url}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        email: `bench-${suffix}@example.com`,
        username: `bench_${suffix}`,
        password: 'correct horse battery staple',
        full_name: 'Bench User',
        timezone: TIMEZONE,
      }),
    });
    if (registered.status !== 201) {
      throw new Error(`register answered ${registered.status}: ${registered.body}`);
    }
    const { id: userId, access_token: token } = JSON.parse(registered.body) as {
      id: string;
      access_token: string;
    };
    await stopServer(server);
    server = null;

    // 2. Build the documents with the crdt and write them as snapshots.
    const seeded = buildUser({
      userId,
      tasks: TASKS,
      entries: ENTRIES,
      months: MONTHS,
      now: Date.now(),
      timezone: TIMEZONE,
    });
    const [mainDoc, ...monthDocs] = seeded.documents;
    const monthBytes = monthDocs.reduce((sum, doc) => sum + doc.snapshot.byteLength, 0);
    const writeStarted = performance.now();
    const db = await openDatabase({ databaseUrl: database?.url ?? null, dataDir });
    try {
      await writeUserDocuments(db, userId, seeded.documents);
    } finally {
      await db.close();
    }
    const writeMs = performance.now() - writeStarted;
    console.log(
      `Seeded in ${fixed(seeded.buildMs / 1000, 1)} s (crdt build) + ${fixed(seeded.encodeMs)} ms (encode) + ${fixed(writeMs)} ms (write): main document ${mb(mainDoc?.snapshot.byteLength ?? 0)}, ${monthDocs.length} month documents ${mb(monthBytes)}; ${seeded.liveTaskIds.length} live tasks (${seeded.completed} completed, ${seeded.trashed} in the trash), ${seeded.todoHigh} match status=TODO&priority=HIGH`,
    );

    // 3. The server again, on the seeded database; nothing loaded until the first request.
    if (CPU_PROF) await mkdir(profileDir, { recursive: true });
    // The inspector (127.0.0.1 only) lets the bench run a full GC before its last memory reading.
    const inspectPort = await freePort();
    server = await startServer({
      cwd: SERVER_DIR,
      entry: ENTRY,
      env,
      nodeArgs: [
        ...SERVER_NODE_ARGS,
        `--inspect=127.0.0.1:${inspectPort}`,
        ...(CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
      ],
    });
    const memoryAtStart = memoryOf(server.pid);
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const cold = await timedFetch(`${server.url}${LIST_PATH}`, { headers });
    if (cold.status !== 200) throw new Error(`cold list answered ${cold.status}: ${cold.body}`);
    const coldPage = JSON.parse(cold.body) as { items: unknown[]; total: number };
    const memoryLoaded = memoryOf(server.pid);
    const warmList = await timedFetch(`${server.url}${LIST_PATH}`, { headers });
    console.log(
      `Cold list (server just started, documents not loaded): first request ${fixed(cold.ms)} ms (${coldPage.items.length} items of ${coldPage.total}); the next one ${fixed(warmList.ms)} ms`,
    );

    // 4. Load, operation by operation. Reads first, so they see exactly the seeded tasks.
    const patchIds = shuffled(seeded.liveTaskIds);
    let patchCount = 0;
    const operations: Operation[] = [
      {
        key: 'create',
        label: 'POST /tasks (create)',
        slaMs: 100,
        slaName: 'CRUD',
        expect: 201,
        next: () => ({
          method: 'POST',
          path: '/api/v1/tasks',
          body: JSON.stringify({ title: 'Benchmark task', priority: 'LOW' }),
        }),
      },
      {
        key: 'patch',
        label: 'PATCH /tasks/{id}',
        slaMs: 100,
        slaName: 'CRUD',
        expect: 200,
        next: () => {
          patchCount += 1;
          return {
            method: 'PATCH',
            path: `/api/v1/tasks/${patchIds[patchCount % patchIds.length] as string}`,
            body: JSON.stringify({ title: `Edited by the benchmark (${patchCount})` }),
          };
        },
      },
      {
        key: 'list',
        label: 'GET /tasks?status&priority (20)',
        slaMs: 200,
        slaName: 'List',
        expect: 200,
        next: () => ({ method: 'GET', path: LIST_PATH }),
      },
      {
        key: 'dashboard',
        label: 'GET /analytics/dashboard 30d',
        slaMs: 500,
        slaName: 'Analytics',
        expect: 200,
        next: () => ({ method: 'GET', path: DASHBOARD_PATH }),
      },
    ];
    const runOrder: OperationKey[] = ['list', 'dashboard', 'patch', 'create'];
    const results = new Map<OperationKey, LoadResult>();
    const unloaded = new Map<OperationKey, number>();
    const cpuPerResponse = new Map<OperationKey, number>();
    for (const key of runOrder) {
      if (!only.has(key) || interrupted) continue;
      const op = operations.find((candidate) => candidate.key === key) as Operation;
      // Every request comes from `next` (a fresh id for PATCH), through autocannon's setupRequest.
      const first = op.next();
      const requests: autocannon.Request[] = [
        { ...first, setupRequest: (request: autocannon.Request) => ({ ...request, ...op.next() }) },
      ];
      const spec = { url: server.url, connections: CONNECTIONS, headers, requests };
      if (WARMUP_SECONDS > 0) {
        const warm = await runLoad({ ...spec, seconds: WARMUP_SECONDS });
        const bad = warm.responses - (warm.statusCounts[op.expect] ?? 0);
        if (bad > 0 || warm.errors > 0) {
          console.log(
            `  warm-up of ${op.label}: ${bad} unexpected statuses ${JSON.stringify(warm.statusCounts)}, ${warm.errors} errors`,
          );
        }
        const drained = await drain(server.url);
        if (drained > 1000)
          console.log(`  (server busy ${fixed(drained / 1000)} s after the warm-up)`);
      }
      const solo = await sequentialMedian(server.url, SOLO_REQUESTS, op.next, headers);
      unloaded.set(key, solo.median);
      if (solo.statuses.size !== 1 || !solo.statuses.has(op.expect)) {
        console.log(`  ${op.label}: unexpected statuses ${[...solo.statuses].join(', ')} unloaded`);
      }
      const metricsBefore = await scrapeServer(server.url, metricsToken);
      const cpuBefore = cpuReading(server.pid);
      const result =
        RATE > 0
          ? await runPacedLoad({
              url: server.url,
              connections: CONNECTIONS,
              seconds: SECONDS,
              rate: RATE,
              headers,
              next: op.next,
            })
          : await runLoad({ ...spec, seconds: SECONDS });
      const cpu = cpuSince(cpuBefore, server.pid);
      const run = runBetween(metricsBefore, await scrapeServer(server.url, metricsToken));
      results.set(key, result);
      cpuPerResponse.set(key, (cpu.mainThreadSeconds * 1000) / Math.max(1, result.responses));
      const drained = await drain(server.url);
      console.log(
        `  ${op.label}: ${result.responses} responses, statuses ${JSON.stringify(result.statusCounts)}, ${result.timeouts} timeouts; ${RATE > 0 ? '' : `autocannon's own histogram (whole ms, all statuses): p50 ${result.autocannonP50} / p99 ${result.autocannonP99} ms; `}max ${fixed(result.max)} ms${drained > 1000 ? `; server still busy ${fixed(drained / 1000)} s after the run` : ''}`,
      );
      console.log(`    server during the run: ${describeRun(run)}`);
      console.log(
        `    CPU during the run (% of one core): server ${fixed(cpu.serverPercent, 0)} %, its main thread ${fixed(cpu.mainThreadPercent, 0)} % (${fixed(cpuPerResponse.get(key) ?? Number.NaN, 2)} ms per response), ${USE_PGLITE ? 'PGlite inside it' : `PostgreSQL ${fixed(cpu.postgresPercent, 0)} %`}, the load generator ${fixed(cpu.benchPercent, 0)} %; the machine has ${os.cpus().length}`,
      );
    }
    const memoryAfter = memoryOf(server.pid);
    const figuresAfter = await scrapeServer(server.url, metricsToken);
    const finalList = await timedFetch(`${server.url}/api/v1/tasks?page=1&limit=1`, { headers });
    const finalTotal = (JSON.parse(finalList.body) as { total?: number }).total;
    // What the server keeps once the load has stopped: after a quiet spell (V8's memory reducer
    // runs when allocation stops), then after a full GC (what is still reachable).
    await sleep(SETTLE_SECONDS * 1000);
    const memorySettled = memoryOf(server.pid);
    const afterGc = await memoryAfterFullGc(inspectPort);

    // 5. The table.
    console.log('');
    const rows: string[][] = [];
    for (const op of operations) {
      const result = results.get(op.key);
      if (!result) continue;
      const aim = op.slaMs / 5;
      const failed = result.errors + result.non2xx;
      const met = `${failed > 0 ? `no: ${failed} failed; ` : ''}${
        result.p99 <= aim ? 'yes' : result.p99 <= op.slaMs ? 'no (SLA met)' : 'no (SLA missed)'
      }`;
      rows.push([
        op.label,
        String(result.responses),
        fixed(result.perSecond),
        fixed(result.p50, 2),
        fixed(result.p99, 2),
        `${result.errors}/${result.non2xx}`,
        `< ${op.slaMs} ms (${op.slaName})`,
        `< ${aim} ms`,
        met,
      ]);
    }
    printTable(
      [
        'operation',
        'requests',
        'req/s',
        'p50 ms',
        'p99 ms',
        'errors/non-2xx',
        'SLA target',
        'our aim (a fifth)',
        'met?',
      ],
      rows,
      new Set([1, 2, 3, 4, 5]),
    );
    console.log(
      `\n${CONNECTIONS} connections${RATE > 0 ? ` at most, ${RATE} requests/s at an even pace (open loop: latency from when each was due)` : ' (closed loop)'}, ${SECONDS} s each (after ${WARMUP_SECONDS} s warm-up), run in the order ${runOrder.filter((k) => only.has(k)).join(', ')}; percentiles over every 2xx response (timeouts after 10 s and non-2xx answers count as failed and are not in them). "met?": yes when p99 ≤ our aim; otherwise whether p99 stays within the SLA target.`,
    );
    console.log(
      `Unloaded (${SOLO_REQUESTS} requests one at a time, median): ${operations
        .filter((op) => unloaded.has(op.key))
        .map((op) => `${op.label} ${fixed(unloaded.get(op.key) ?? Number.NaN)} ms`)
        .join('; ')}.`,
    );
    console.log(`Tasks in the document at the end: ${finalTotal ?? '?'} live.`);
    // Little's law for a closed loop: mean latency = connections / throughput. The server's main
    // thread (its one event loop) serves at most 1000 / (its CPU ms per response) responses a
    // second, whatever the other core does.
    const bounds = operations
      .filter((op) => cpuPerResponse.has(op.key))
      .map((op) => {
        const ms = cpuPerResponse.get(op.key) as number;
        const ceiling = 1000 / ms;
        return `${op.label}: ${fixed(ms, 2)} ms of the main thread's CPU each, so at most ${fixed(ceiling, 0)}/s from one server process and a mean latency of at least ${fixed((CONNECTIONS * 1000) / ceiling, 0)} ms with ${CONNECTIONS} connections (p99 ≤ ${op.slaMs} ms needs more than ${fixed((CONNECTIONS * 1000) / op.slaMs, 0)}/s)`;
      });
    if (bounds.length > 0 && RATE === 0)
      console.log(`Bounds from the server's main thread (closed loop):\n  ${bounds.join('\n  ')}`);
    console.log(
      `Server RSS: ${mb(memoryAtStart.rss)} after seeding (restarted, nothing loaded), ${mb(memoryLoaded.rss)} after the cold list (all documents loaded), ${mb(memoryAfter.rss)} after the load (peak ${mb(memoryAfter.peak)}); then V8's heap in use ${mb(figuresAfter.heapUsedBytes)}, external memory ${mb(figuresAfter.externalBytes)}, document cache ${mb(figuresAfter.docCacheBytes)} (estimated); ${mb(memorySettled.rss)} after ${SETTLE_SECONDS} s with no requests; ${mb(afterGc.rss)} after a full GC, with V8's heap in use ${mb(afterGc.heapUsed)} and external memory ${mb(afterGc.external)}.`,
    );

    await stopServer(server);
    const problems = server.lines.filter((line) => /warn|error|fail/i.test(line));
    console.log(
      problems.length === 0
        ? 'Server log: no warnings or errors.'
        : `Server log: ${problems.length} warning/error lines, the first ones:\n${problems
            .slice(0, 10)
            .map((line) => `  ${line.slice(0, 300)}`)
            .join('\n')}`,
    );
    if (CPU_PROF) {
      const summary = summarizeProfile(profileDir, REPO_ROOT);
      if (!summary) console.log('No CPU profile was written.');
      else {
        console.log(
          `\nServer CPU profile (${fixed(summary.durationMs / 1000)} s): ${summary.file}`,
        );
        printTable(
          ['self time: function', 'self ms', 'total ms'],
          summary.bySelf.map((l) => [l.name, fixed(l.selfMs, 0), fixed(l.totalMs, 0)]),
          new Set([1, 2]),
        );
        console.log('');
        printTable(
          ['total time: function', 'self ms', 'total ms'],
          summary.byTotal.map((l) => [l.name, fixed(l.selfMs, 0), fixed(l.totalMs, 0)]),
          new Set([1, 2]),
        );
      }
    }
  } finally {
    if (server) await stopServer(server);
    if (database) await database.drop();
    if (!CPU_PROF) await rm(dataDir, { recursive: true, force: true });
    else console.log(`(data directory kept for the profile: ${dataDir})`);
    process.removeListener('SIGINT', onSignal);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
