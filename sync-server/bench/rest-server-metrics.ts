/**
 * What the server under load says of itself at its `/metrics` (prom-client's default metrics and
 * ours): where a run's slow requests may come from. Garbage-collection pauses by kind, from
 * `tasks_nodejs_gc_duration_seconds` (buckets 1 ms, 10 ms, 100 ms, 1 s, ...); the longest
 * event-loop delay, from `tasks_nodejs_eventloop_lag_max_seconds` (prom-client resets that
 * histogram on every scrape, so a scrape right before a run makes the next one cover the run);
 * document cache evictions; and, at a scrape, V8's heap in use and the document cache's bytes.
 */
import { parseScrape } from '../src/metrics/prometheus-text.js';

export interface ServerSnapshot {
  /** GC pauses per kind (major, minor, incremental, weakcb): count, total seconds, count ≤ le. */
  gc: Map<string, { count: number; sum: number; buckets: Map<number, number> }>;
  /** Longest event-loop delay since the previous scrape, in ms. */
  loopMaxMs: number;
  /** Event-loop delay p99 since the previous scrape, in ms. */
  loopP99Ms: number;
  /** V8 heap in use and memory outside it (buffers), in bytes, at the scrape. */
  heapUsedBytes: number;
  externalBytes: number;
  /** Documents evicted from the server's document cache so far, and its bytes (estimated). */
  docCacheEvictions: number;
  docCacheBytes: number;
}

export interface RunSummary {
  /** Per GC kind over the run: pauses, total ms, pauses over 10 ms and over 100 ms. */
  gc: { kind: string; count: number; totalMs: number; over10ms: number; over100ms: number }[];
  loopMaxMs: number;
  loopP99Ms: number;
  /** Documents evicted from the document cache over the run (each one loaded again later). */
  docCacheEvictions: number;
}

const GC_METRIC = 'tasks_nodejs_gc_duration_seconds';

/** Reads the figures above out of a Prometheus text exposition. */
export function parseServerSnapshot(text: string): ServerSnapshot {
  const scrape = parseScrape(text);
  const gc: ServerSnapshot['gc'] = new Map();
  for (const sample of scrape.samples) {
    if (!sample.name.startsWith(GC_METRIC)) continue;
    const kind = sample.labels.kind ?? '?';
    let entry = gc.get(kind);
    if (!entry) {
      entry = { count: 0, sum: 0, buckets: new Map() };
      gc.set(kind, entry);
    }
    if (sample.name === `${GC_METRIC}_count`) entry.count = sample.value;
    else if (sample.name === `${GC_METRIC}_sum`) entry.sum = sample.value;
    else if (sample.name === `${GC_METRIC}_bucket` && sample.labels.le !== '+Inf') {
      entry.buckets.set(Number(sample.labels.le), sample.value);
    }
  }
  const value = (name: string) => scrape.value(name) ?? Number.NaN;
  return {
    gc,
    loopMaxMs: value('tasks_nodejs_eventloop_lag_max_seconds') * 1000,
    loopP99Ms: value('tasks_nodejs_eventloop_lag_p99_seconds') * 1000,
    heapUsedBytes: value('tasks_nodejs_heap_size_used_bytes'),
    externalBytes: value('tasks_nodejs_external_memory_bytes'),
    docCacheEvictions: value('tasks_doc_cache_evictions_total'),
    docCacheBytes: value('tasks_doc_cache_bytes'),
  };
}

/** What happened between two scrapes (`after` also carries the loop delay over that span). */
export function runBetween(before: ServerSnapshot, after: ServerSnapshot): RunSummary {
  const gc: RunSummary['gc'] = [];
  for (const [kind, late] of after.gc) {
    const early = before.gc.get(kind) ?? { count: 0, sum: 0, buckets: new Map<number, number>() };
    const count = late.count - early.count;
    if (count === 0) continue;
    const atMost = (le: number) => (late.buckets.get(le) ?? 0) - (early.buckets.get(le) ?? 0);
    gc.push({
      kind,
      count,
      totalMs: (late.sum - early.sum) * 1000,
      over10ms: count - atMost(0.01),
      over100ms: count - atMost(0.1),
    });
  }
  gc.sort((a, b) => b.totalMs - a.totalMs);
  return {
    gc,
    loopMaxMs: after.loopMaxMs,
    loopP99Ms: after.loopP99Ms,
    docCacheEvictions: after.docCacheEvictions - before.docCacheEvictions,
  };
}

/** One scrape of the server's `/metrics` with its token. */
export async function scrapeServer(url: string, token: string): Promise<ServerSnapshot> {
  const response = await fetch(`${url}/metrics`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(30_000),
  });
  if (!response.ok) throw new Error(`/metrics answered ${response.status}`);
  return parseServerSnapshot(await response.text());
}

export function describeRun(summary: RunSummary): string {
  const gc = summary.gc
    .map(
      (g) =>
        `${g.kind} ${g.count} (${g.totalMs.toFixed(0)} ms, ${g.over10ms} over 10 ms, ${g.over100ms} over 100 ms)`,
    )
    .join(', ');
  return `GC pauses: ${gc || 'none'}; longest event-loop delay ${summary.loopMaxMs.toFixed(0)} ms (p99 ${summary.loopP99Ms.toFixed(0)} ms); ${summary.docCacheEvictions} documents evicted from the document cache`;
}
