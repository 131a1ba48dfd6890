/**
 * Where a load run's slow requests may come from, read from the server's own `/metrics`
 * (prom-client's default metrics): garbage-collection pauses by kind, from
 * `tasks_nodejs_gc_duration_seconds` (buckets 1 ms, 10 ms, 100 ms, 1 s, ...), and the longest
 * event-loop delay, from `tasks_nodejs_eventloop_lag_max_seconds` (prom-client resets that
 * histogram on every scrape, so a scrape right before a run makes the next one cover the run).
 */

export interface PauseSnapshot {
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

export interface PauseSummary {
  /** Per GC kind over the run: pauses, total ms, pauses over 10 ms and over 100 ms. */
  gc: { kind: string; count: number; totalMs: number; over10ms: number; over100ms: number }[];
  loopMaxMs: number;
  loopP99Ms: number;
  /** Documents evicted from the document cache over the run (each one loaded again later). */
  docCacheEvictions: number;
}

const GC_METRIC = 'tasks_nodejs_gc_duration_seconds';

function labelsOf(raw: string): Map<string, string> {
  const labels = new Map<string, string>();
  for (const match of raw.matchAll(/(\w+)="([^"]*)"/g)) {
    labels.set(match[1] as string, match[2] as string);
  }
  return labels;
}

/** Parses the figures above out of a Prometheus text exposition. */
export function parsePauses(text: string): PauseSnapshot {
  const gc: PauseSnapshot['gc'] = new Map();
  const entry = (kind: string) => {
    let found = gc.get(kind);
    if (!found) {
      found = { count: 0, sum: 0, buckets: new Map() };
      gc.set(kind, found);
    }
    return found;
  };
  let loopMaxMs = Number.NaN;
  let loopP99Ms = Number.NaN;
  let heapUsedBytes = Number.NaN;
  let externalBytes = Number.NaN;
  let docCacheEvictions = Number.NaN;
  let docCacheBytes = Number.NaN;
  for (const line of text.split('\n')) {
    const match = /^(\w+)(?:\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const [, name, rawLabels = '', rawValue] = match;
    const value = Number(rawValue);
    if (name === 'tasks_nodejs_eventloop_lag_max_seconds') loopMaxMs = value * 1000;
    else if (name === 'tasks_nodejs_eventloop_lag_p99_seconds') loopP99Ms = value * 1000;
    else if (name === 'tasks_nodejs_heap_size_used_bytes') heapUsedBytes = value;
    else if (name === 'tasks_nodejs_external_memory_bytes') externalBytes = value;
    else if (name === 'tasks_doc_cache_evictions_total') docCacheEvictions = value;
    else if (name === 'tasks_doc_cache_bytes') docCacheBytes = value;
    else if (name?.startsWith(GC_METRIC)) {
      const labels = labelsOf(rawLabels);
      const kind = labels.get('kind') ?? '?';
      if (name === `${GC_METRIC}_count`) entry(kind).count = value;
      else if (name === `${GC_METRIC}_sum`) entry(kind).sum = value;
      else if (name === `${GC_METRIC}_bucket`) {
        const le = labels.get('le');
        if (le !== undefined && le !== '+Inf') entry(kind).buckets.set(Number(le), value);
      }
    }
  }
  return {
    gc,
    loopMaxMs,
    loopP99Ms,
    heapUsedBytes,
    externalBytes,
    docCacheEvictions,
    docCacheBytes,
  };
}

/** What happened between two scrapes (`after` also carries the loop delay over that span). */
export function pausesBetween(before: PauseSnapshot, after: PauseSnapshot): PauseSummary {
  const gc: PauseSummary['gc'] = [];
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
export async function scrapePauses(url: string, token: string): Promise<PauseSnapshot> {
  const response = await fetch(`${url}/metrics`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(30_000),
  });
  if (!response.ok) throw new Error(`/metrics answered ${response.status}`);
  return parsePauses(await response.text());
}

export function describePauses(summary: PauseSummary): string {
  const gc = summary.gc
    .map(
      (g) =>
        `${g.kind} ${g.count} (${g.totalMs.toFixed(0)} ms, ${g.over10ms} over 10 ms, ${g.over100ms} over 100 ms)`,
    )
    .join(', ');
  return `GC pauses: ${gc || 'none'}; longest event-loop delay ${summary.loopMaxMs.toFixed(0)} ms (p99 ${summary.loopP99Ms.toFixed(0)} ms); ${summary.docCacheEvictions} documents evicted from the document cache`;
}
