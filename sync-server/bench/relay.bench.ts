/**
 * Relay benchmark (prints, not a test): `pnpm --filter @tasks/sync-server bench`.
 *
 * N clients (BENCH_CLIENTS, default 200) on BENCH_DOCS documents (default 100, so 2 per document)
 * each make a small Y.Map edit BENCH_RATE times a second (default 5: 1,000 updates/s in all) for
 * BENCH_SECONDS (default 20). The same load runs, one after the other in this run, against our
 * server (durable acks on, PostgreSQL when DATABASE_URL is set, else embedded PGlite), the
 * classic in-memory y-websocket@2 server and Hocuspocus 4 with its SQLite extension. The
 * reference servers are installed by the bench into bench/.references (git-ignored) on first
 * run (about a minute).
 *
 * Other knobs: BENCH_SERVERS=ours,y-websocket,hocuspocus picks and orders the servers;
 * BENCH_OURS_ACK=0 runs ours without durable acks; BENCH_SKIP_BUILD=1 skips `tsc -b`;
 * BENCH_OURS_MAIN=path/to/main.js runs another build of our server (A/B);
 * BENCH_OURS_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" passes node flags to it.
 *
 * Every server is a child process on 127.0.0.1; its CPU and RSS come from /proc/PID during the
 * load. All clients live in this process, so edit→peer latency uses one clock.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type LoadResult, percentile, runLoad } from './lib/load.js';
import {
  killAllProcessesNow,
  type ProcessUsage,
  readMachineBusySeconds,
  readRssMb,
  sleep,
  stopAllProcesses,
} from './lib/processes.js';
import { ensureReferences } from './lib/references.js';
import {
  type BenchServer,
  type Persisted,
  startHocuspocus,
  startOurs,
  startYWebsocket,
} from './lib/servers.js';

const SERVER_KINDS = ['ours', 'y-websocket', 'hocuspocus'] as const;
type ServerKind = (typeof SERVER_KINDS)[number];

function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

const clients = Math.round(envInt('BENCH_CLIENTS', 200));
const docs = Math.round(envInt('BENCH_DOCS', 100));
const rate = envInt('BENCH_RATE', 5);
const seconds = envInt('BENCH_SECONDS', 20);
if (clients % docs !== 0 || clients / docs < 2) {
  throw new Error('BENCH_CLIENTS must be a multiple (at least 2x) of BENCH_DOCS');
}
const clientsPerDoc = clients / docs;
const kinds: ServerKind[] = (process.env.BENCH_SERVERS ?? SERVER_KINDS.join(','))
  .split(',')
  .map((name) => name.trim())
  .filter(Boolean)
  .map((name) => {
    const kind = SERVER_KINDS.find((known) => known === name);
    if (!kind)
      throw new Error(`BENCH_SERVERS: unknown server ${name} (${SERVER_KINDS.join(', ')})`);
    return kind;
  });

const log = (line: string) => console.log(line);

interface Row {
  label: string;
  load: LoadResult | null;
  usage: ProcessUsage | null;
  persisted: Persisted | null;
  rssIdleMb: number | null;
  /** CPU of this process (all the clients) during the load, percent of one core. */
  clientCpuPercent: number | null;
  /**
   * CPU used during the load by everything else on the machine (not the server, its database
   * connections or the clients), percent of one core: other work skews the latencies.
   */
  otherCpuPercent: number | null;
  error: string | null;
  notes: string[];
  problems: string[];
}

const active = new Set<BenchServer>();
let interrupted = false;

async function cleanupEverything(): Promise<void> {
  await stopAllProcesses();
  await Promise.all([...active].map((server) => server.cleanup().catch(() => {})));
  active.clear();
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (interrupted) return;
    interrupted = true;
    console.error(`\n${signal}: stopping the servers...`);
    cleanupEverything().finally(() => process.exit(130));
  });
}
process.on('exit', killAllProcessesNow);
// Every stock y-websocket provider adds a process 'exit' listener.
process.setMaxListeners(clients + 50);

async function start(kind: ServerKind): Promise<BenchServer> {
  switch (kind) {
    case 'ours':
      return startOurs({
        docs,
        databaseUrl: process.env.DATABASE_URL || null,
        acks: process.env.BENCH_OURS_ACK !== '0',
        log,
      });
    case 'y-websocket':
      return startYWebsocket();
    case 'hocuspocus':
      return startHocuspocus();
  }
}

async function benchOne(kind: ServerKind): Promise<Row> {
  const row: Row = {
    label: kind,
    load: null,
    usage: null,
    persisted: null,
    rssIdleMb: null,
    clientCpuPercent: null,
    otherCpuPercent: null,
    error: null,
    notes: [],
    problems: [],
  };
  let server: BenchServer | null = null;
  try {
    log(`${kind}: starting`);
    server = await start(kind);
    active.add(server);
    row.label = server.label;
    row.rssIdleMb = readRssMb(server.proc.pid);
    log(`${kind}: ${clients} clients connecting, then ${seconds} s of load`);
    const current = server;
    let clientCpu = process.cpuUsage();
    let clientStarted = 0;
    let machineAtStart: number | null = null;
    row.load = await runLoad(
      current.factory,
      { docs, clientsPerDoc, rate, seconds, drainMs: 5_000, connectTimeoutMs: 30_000 },
      {
        async loadStarted() {
          await current.loadStarted();
          clientCpu = process.cpuUsage();
          clientStarted = performance.now();
          machineAtStart = readMachineBusySeconds();
        },
        async loadEnded(info) {
          const used = process.cpuUsage(clientCpu);
          const elapsedMs = performance.now() - clientStarted;
          row.clientCpuPercent = (used.user + used.system) / 10 / elapsedMs;
          const machine = readMachineBusySeconds();
          row.usage = current.usage();
          row.persisted = await current.loadEnded(info);
          if (machine !== null && machineAtStart !== null) {
            const machinePercent = ((machine - machineAtStart) * 1000 * 100) / elapsedMs;
            row.otherCpuPercent = Math.max(
              0,
              machinePercent -
                row.clientCpuPercent -
                row.usage.cpuPercent -
                (row.persisted.helperCpuPercent ?? 0),
            );
          }
        },
      },
    );
    await server.stop(row.load);
  } catch (error) {
    row.error = error instanceof Error ? (error.stack ?? error.message) : String(error);
    if (server) await server.stop(null).catch(() => {});
  } finally {
    if (server) {
      row.notes.push(...server.notes, ...(row.persisted?.notes ?? []));
      row.problems.push(...problemsOf(server, row.load));
      await server.cleanup();
      active.delete(server);
    }
  }
  return row;
}

function problemsOf(server: BenchServer, load: LoadResult | null): string[] {
  const problems: string[] = [];
  const label = server.label;
  if (load) {
    if (load.unsynced > 0) problems.push(`${label}: ${load.unsynced} clients not synced at start`);
    if (load.missing > 0) {
      problems.push(
        `${label}: ${load.missing} of ${load.expected} updates never reached the peer (5 s drain)`,
      );
    }
    for (const [close, count] of load.closes) {
      problems.push(`${label}: ${count} client connections closed by the server: ${close}`);
    }
    const ack = load.ack;
    if (ack) {
      if (ack.unacked > 0)
        problems.push(`${label}: ${ack.unacked} updates never acked (5 s drain)`);
      if (ack.lostToReconnect > 0) {
        problems.push(`${label}: ${ack.lostToReconnect} updates in flight when a socket closed`);
      }
      if (ack.notSentImmediately > 0) {
        problems.push(`${label}: ${ack.notSentImmediately} updates made while disconnected`);
      }
      if (ack.sockets > load.clients) {
        problems.push(`${label}: ${ack.sockets - load.clients} reconnects`);
      }
    }
  }
  const interesting = server.proc.lines.filter((line) =>
    /"level":"(warn|error)"|error|warn|exception|fail/i.test(line),
  );
  if (interesting.length > 0) {
    problems.push(`${label}: ${interesting.length} warning/error lines in its output, first ones:`);
    for (const line of interesting.slice(0, 8)) problems.push(`    ${line.slice(0, 300)}`);
  }
  if (server.proc.exitCode !== null && server.proc.exitCode !== 0) {
    problems.push(`${label}: exited with code ${server.proc.exitCode}`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Output

const ms = (value: number | null) => (value === null ? 'n/a' : `${value.toFixed(1)} ms`);

function cells(row: Row): string[] {
  const load = row.load;
  if (!load || !row.usage) {
    return [row.label, String(clients), 'failed', '', '', '', '', '', '', ''];
  }
  const persisted = row.persisted?.updates ?? null;
  const ack = load.ack?.latencies ?? null;
  return [
    row.label,
    String(load.clients),
    (load.sent / load.seconds).toFixed(0),
    persisted === null ? 'n/a (memory)' : (persisted / load.seconds).toFixed(0),
    ms(percentile(load.fanout, 0.5)),
    ms(percentile(load.fanout, 0.99)),
    ack ? ms(percentile(ack, 0.5)) : 'n/a',
    ack ? ms(percentile(ack, 0.99)) : 'n/a',
    row.usage.cpuPercent.toFixed(0),
    row.usage.rssPeakMb.toFixed(0),
  ];
}

function printTable(rows: Row[]): void {
  const header = [
    'server',
    'clients',
    'updates/s sent',
    'updates/s persisted',
    'fan-out p50',
    'p99',
    'ack p50',
    'p99',
    'CPU %',
    'RSS MB',
  ];
  const body = rows.map(cells);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (values: string[]) =>
    `| ${values.map((v, i) => (i === 0 ? v.padEnd(widths[i] ?? 0) : v.padStart(widths[i] ?? 0))).join(' | ')} |`;
  log(line(header));
  log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of body) log(line(r));
}

function ratio(a: number | null | undefined, b: number | null | undefined): string {
  if (a === null || a === undefined || b === null || b === undefined || b === 0) return 'n/a';
  return `${(a / b).toFixed(2)}x`;
}

function printRatios(rows: Row[]): void {
  const ours = rows.find((r) => r.label === 'ours');
  if (!ours?.load || !ours.usage) return;
  const oursP99 = percentile(ours.load.fanout, 0.99);
  for (const reference of rows) {
    if (reference === ours || !reference.load || !reference.usage) continue;
    log(
      `ours/${reference.label}: fan-out p99 ${ratio(oursP99, percentile(reference.load.fanout, 0.99))}, CPU ${ratio(ours.usage.cpuPercent, reference.usage.cpuPercent)}, RSS ${ratio(ours.usage.rssPeakMb, reference.usage.rssPeakMb)}`,
    );
  }
}

function printAims(rows: Row[]): void {
  const ours = rows.find((r) => r.label === 'ours');
  if (!ours?.load) return;
  const load = ours.load;
  const memory = rows.find((r) => r.label === 'y-websocket@2');
  const oursP99 = percentile(load.fanout, 0.99);
  const refP99 = memory?.load ? percentile(memory.load.fanout, 0.99) : null;
  const ack = load.ack;
  const everyDurable =
    ack !== null && ack.acked === load.sent && ack.unacked === 0 && load.missing === 0;
  if (oursP99 !== null && refP99 !== null) {
    const verdict = oursP99 <= refP99 && everyDurable ? 'met' : 'NOT met';
    log(
      `aim "fan-out p99 no worse than in-memory y-websocket, every update durable": ${verdict} (${oursP99.toFixed(1)} vs ${refP99.toFixed(1)} ms; ${ack?.acked ?? 0}/${load.sent} updates acked durable)`,
    );
  }
  const ackP99 = ack ? percentile(ack.latencies, 0.99) : null;
  if (ackP99 !== null) {
    const sentRate = load.sent / load.seconds;
    log(
      `aim "durable ack p99 under 50 ms at 1,000 updates/s": ${ackP99 < 50 && sentRate >= 990 ? 'met' : 'NOT met'} (p99 ${ackP99.toFixed(1)} ms, max ${Math.max(...(ack?.latencies ?? [0])).toFixed(1)} ms at ${sentRate.toFixed(0)} updates/s)`,
    );
  }
}

async function main(): Promise<void> {
  const started = performance.now();
  log(
    `relay bench: ${clients} clients, ${docs} documents (${clientsPerDoc} per document), ${rate} updates/s per client (${clients * rate}/s in all), ${seconds} s per server`,
  );
  if (kinds.includes('ours') && process.env.BENCH_SKIP_BUILD !== '1') {
    log('building sync-server (tsc -b)...');
    try {
      execFileSync('npx', ['tsc', '-b'], {
        cwd: fileURLToPath(new URL('../', import.meta.url)),
        stdio: ['ignore', 'pipe', 'pipe'],
        encoding: 'utf8',
      });
    } catch (error) {
      // tsc -b still emits what it can; others may be mid-edit elsewhere in src/.
      const output = (error as { stdout?: string }).stdout ?? '';
      const errors = output.split('\n').filter((line) => /error TS\d+/.test(line));
      log(`  tsc -b reported ${errors.length} errors; running dist/ as emitted. First:`);
      for (const line of errors.slice(0, 3)) log(`    ${line.slice(0, 200)}`);
    }
  }
  if (kinds.some((kind) => kind !== 'ours')) ensureReferences(log);

  const rows: Row[] = [];
  for (const kind of kinds) {
    if (interrupted) break;
    rows.push(await benchOne(kind));
    await sleep(500);
  }

  log('');
  printTable(rows);
  log('');
  printRatios(rows);
  printAims(rows);
  log('');
  for (const row of rows) {
    for (const note of row.notes) log(`- ${note}`);
    if (row.load) {
      const usage = row.usage;
      log(
        `- ${row.label}: bench clients used ${row.clientCpuPercent?.toFixed(0) ?? '?'}% CPU; other processes ${row.otherCpuPercent?.toFixed(0) ?? '?'}% CPU; connect+sync of ${row.load.clients} clients ${(row.load.connectMs / 1000).toFixed(1)} s; RSS idle ${row.rssIdleMb?.toFixed(0) ?? '?'} MB, at load start ${usage?.rssStartMb.toFixed(0) ?? '?'} MB, peak ${usage?.rssPeakMb.toFixed(0) ?? '?'} MB; CPU ${usage?.cpuPercent.toFixed(0) ?? '?'}% of which main thread ${usage?.mainThreadCpuPercent.toFixed(0) ?? '?'}%; fan-out max ${Math.max(0, ...row.load.fanout).toFixed(1)} ms; ${row.load.received}/${row.load.expected} peer deliveries`,
      );
    }
  }
  const problems = rows.flatMap((row) => [
    ...(row.error ? [`${row.label}: FAILED: ${row.error}`] : []),
    ...row.problems,
  ]);
  const contended = rows.filter((row) => (row.otherCpuPercent ?? 0) > 25);
  if (contended.length > 0) {
    problems.unshift(
      `the machine was busy with other work during ${contended.map((row) => `${row.label} (${row.otherCpuPercent?.toFixed(0)}% of a core)`).join(', ')}: its latencies are inflated and not comparable; run again on an idle machine`,
    );
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
