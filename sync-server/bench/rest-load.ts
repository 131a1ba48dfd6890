/**
 * One load run with autocannon: a fixed number of connections for a bounded time against one
 * operation. Latency percentiles are computed from every 2xx response's own time (autocannon's
 * `response` event, sub-millisecond), since its histogram rounds to whole milliseconds; its
 * whole-ms p50/p99 (all statuses) are kept for a cross-check.
 */
import autocannon from 'autocannon';

export interface LoadSpec {
  url: string;
  connections: number;
  seconds: number;
  headers: Record<string, string>;
  /** Requests each connection cycles through (autocannon's `requests`). */
  requests: autocannon.Request[];
  /** Seconds one request may take before it counts as a timeout (error). */
  timeoutSeconds?: number;
}

export interface LoadResult {
  /** Responses received (any status). */
  responses: number;
  perSecond: number;
  p50: number;
  p99: number;
  max: number;
  /** Connection errors, timeouts included. */
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCounts: Record<string, number>;
  autocannonP50: number;
  autocannonP99: number;
  durationSeconds: number;
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] as number;
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const times: number[] = [];
  const statusCounts: Record<string, number> = {};
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.url,
        connections: spec.connections,
        duration: spec.seconds,
        timeout: spec.timeoutSeconds ?? 10,
        headers: spec.headers,
        requests: spec.requests,
      },
      (error: unknown, done: autocannon.Result) => {
        if (error) reject(error instanceof Error ? error : new Error(String(error)));
        else resolve(done);
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      statusCounts[statusCode] = (statusCounts[statusCode] ?? 0) + 1;
      if (statusCode >= 200 && statusCode < 300) times.push(responseTime);
    });
  });
  const sorted = Float64Array.from(times).sort();
  const responses = Object.values(statusCounts).reduce((sum, count) => sum + count, 0);
  return {
    responses,
    perSecond: responses / result.duration,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length > 0 ? (sorted[sorted.length - 1] as number) : Number.NaN,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    statusCounts,
    autocannonP50: result.latency.p50,
    autocannonP99: result.latency.p99,
    durationSeconds: result.duration,
  };
}
