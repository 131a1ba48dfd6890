/** bench:cluster's table and verdicts (see cluster.bench.ts). */
import type { ReadBack } from './cluster-devices.js';
import type { LoadResult } from './load.js';
import { percentile } from './load.js';
import type { ProcessUsage } from './processes.js';

export const TOPOLOGIES = ['one node', 'two nodes'] as const;
export type Topology = (typeof TOPOLOGIES)[number];

export interface Run {
  rate: number;
  topology: Topology;
  load: LoadResult | null;
  usage: ProcessUsage[];
  readBack: ReadBack | null;
  clientCpuPercent: number | null;
  /** The PostgreSQL backends serving the bench database, percent of one core. */
  postgresCpuPercent: number | null;
  /** Everything else: HAProxy, Redis, and other work on the machine. */
  otherCpuPercent: number | null;
  error: string | null;
}

const ms = (value: number | null) => (value === null ? 'n/a' : `${value.toFixed(1)} ms`);
const p99Of = (run: Run | undefined) => (run?.load ? percentile(run.load.fanout, 0.99) : null);

/** Acknowledged updates missing from PostgreSQL; `?` when some acks could not be mapped. */
function lostCell(run: Run): string {
  const back = run.readBack;
  if (!back || !run.load) return 'n/a';
  if (back.unverifiable === 0 || back.storedKeys >= run.load.sent) return String(back.ackedLost);
  return `${back.ackedLost}+?`;
}

export function printTable(runs: Run[], log: (line: string) => void): void {
  const header = [
    'updates/s',
    'devices on',
    'sent/s',
    'delivered',
    'fan-out p50',
    'p99',
    'max',
    'ack p99',
    'acked lost',
    'node A CPU %',
    'RSS MB',
    'node B CPU %',
    'RSS MB',
  ];
  const body = runs.map((run) => {
    const load = run.load;
    if (!load) return [String(run.rate), run.topology, 'failed'];
    const [a, b] = run.usage;
    const ack = load.ack?.latencies ?? [];
    return [
      String(run.rate),
      run.topology,
      (load.sent / load.seconds).toFixed(0),
      `${load.received}/${load.expected}`,
      ms(percentile(load.fanout, 0.5)),
      ms(percentile(load.fanout, 0.99)),
      load.fanout.length ? ms(Math.max(...load.fanout)) : 'n/a',
      ms(percentile(ack, 0.99)),
      lostCell(run),
      a ? a.cpuPercent.toFixed(0) : '?',
      a ? a.rssPeakMb.toFixed(0) : '?',
      b ? b.cpuPercent.toFixed(0) : '?',
      b ? b.rssPeakMb.toFixed(0) : '?',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => (r[i] ?? '').length)));
  const line = (values: string[]) =>
    `| ${widths.map((w, i) => (i < 2 ? (values[i] ?? '').padEnd(w) : (values[i] ?? '').padStart(w))).join(' | ')} |`;
  log(line(header));
  log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const row of body) log(line(row));
}

/** Prints each rate's verdict; returns what went wrong, to print after the notes. */
export function printAims(runs: Run[], rates: number[], log: (line: string) => void): string[] {
  const problems: string[] = [];
  for (const rate of rates) {
    const one = runs.find((run) => run.rate === rate && run.topology === 'one node');
    const two = runs.find((run) => run.rate === rate && run.topology === 'two nodes');
    const oneP99 = p99Of(one);
    const twoP99 = p99Of(two);
    const complete = two?.load ? two.load.missing === 0 : false;
    if (oneP99 === null || twoP99 === null) {
      const why = two?.load && two.load.received === 0 ? 'no edit crossed nodes' : 'not measured';
      log(`aim at ${rate}/s "two-node p99 <= 1.5x one node's and <= 25 ms": NOT met (${why})`);
    } else {
      const met = complete && twoP99 <= 1.5 * oneP99 && twoP99 <= 25;
      log(
        `aim at ${rate}/s "two-node p99 <= 1.5x one node's and <= 25 ms": ${met ? 'met' : 'NOT met'} (${twoP99.toFixed(1)} ms vs ${oneP99.toFixed(1)} ms: ${(twoP99 / oneP99).toFixed(2)}x${complete ? '' : '; deliveries missing, see below'})`,
      );
    }
    for (const run of [one, two]) {
      if (!run) continue;
      const label = `${rate}/s ${run.topology}`;
      if (run.error) problems.push(`${label}: FAILED: ${run.error}`);
      const load = run.load;
      if (load) {
        if (load.missing > 0) {
          problems.push(
            `${label}: ${load.missing} of ${load.expected} deliveries never reached the other device (5 s drain)${run.topology === 'two nodes' && load.received < load.expected / 2 ? ': edits are not crossing nodes' : ''}`,
          );
        }
        if (load.unsynced > 0) problems.push(`${label}: ${load.unsynced} devices not synced`);
        for (const [close, count] of load.closes) {
          const why =
            close === '1006'
              ? ' (dropped without a close frame: HAProxy cutting the sessions of a node it marked down on /readyz, or the node died)'
              : '';
          problems.push(`${label}: ${count} sockets closed: ${close}${why}`);
        }
        const ack = load.ack;
        if (ack && ack.unacked > 0) problems.push(`${label}: ${ack.unacked} updates never acked`);
        if (ack && ack.sockets > load.clients) {
          problems.push(`${label}: ${ack.sockets - load.clients} reconnects`);
        }
      }
      const back = run.readBack;
      if (back && back.ackedLost > 0) {
        problems.push(`${label}: ${back.ackedLost} acknowledged updates missing from PostgreSQL`);
      }
      if (back && load && back.unverifiable > 0) {
        // Keys are unique per update: every sent key stored means no acknowledged one is lost.
        problems.push(
          back.storedKeys >= load.sent
            ? `${label}: ${back.unverifiable} acks came on reconnected sockets (not mapped to updates), but all ${load.sent} sent updates are in PostgreSQL: none lost`
            : `${label}: ${back.unverifiable} acks on reconnected sockets not checked, and ${load.sent - back.storedKeys} sent updates are not in PostgreSQL`,
        );
      }
      // HAProxy and Redis take a little of this; much more is someone else's work.
      if ((run.otherCpuPercent ?? 0) > 50) {
        problems.push(
          `${label}: HAProxy, Redis and other work used ${run.otherCpuPercent?.toFixed(0)}% of a core meanwhile: the machine was busy, latencies inflated`,
        );
      }
    }
  }
  return problems;
}
