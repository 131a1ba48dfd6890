/**
 * An open-loop load: requests leave at an even pace (`rate` a second), whatever the answers do,
 * over at most `connections` keep-alive sockets. autocannon's own rate limit is a budget per
 * connection per second, spent at full speed at the start of each second (a closed loop for
 * part of every second), so it cannot show latency below saturation. Each request's latency
 * runs from the moment it was due, so one that waited for a free socket counts that wait too
 * (no coordinated omission).
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { type LoadResult, percentile } from './rest-load.js';

export interface PacedSpec {
  url: string;
  connections: number;
  seconds: number;
  rate: number;
  headers: Record<string, string>;
  next: () => { method: string; path: string; body?: string };
  timeoutSeconds?: number;
}

export async function runPacedLoad(spec: PacedSpec): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.connections });
  const base = new URL(spec.url);
  const total = Math.round(spec.rate * spec.seconds);
  const intervalMs = 1000 / spec.rate;
  const times: number[] = [];
  const statusCounts: Record<string, number> = {};
  let errors = 0;
  let timeouts = 0;

  const send = (dueAt: number) =>
    new Promise<void>((resolve) => {
      const { method, path, body } = spec.next();
      const request = http.request(
        {
          host: base.hostname,
          port: base.port,
          method,
          path,
          agent,
          headers: {
            ...spec.headers,
            ...(body === undefined ? {} : { 'content-length': Buffer.byteLength(body) }),
          },
          timeout: (spec.timeoutSeconds ?? 10) * 1000,
        },
        (response) => {
          // A response cut off midway still settles this request (as an error).
          response.on('error', () => {
            errors += 1;
            resolve();
          });
          response.resume();
          response.on('end', () => {
            const status = response.statusCode ?? 0;
            statusCounts[status] = (statusCounts[status] ?? 0) + 1;
            if (status >= 200 && status < 300) times.push(performance.now() - dueAt);
            resolve();
          });
        },
      );
      request.on('timeout', () => {
        timeouts += 1;
        request.destroy(new Error('timed out'));
      });
      request.on('error', () => {
        errors += 1;
        resolve();
      });
      request.end(body);
    });

  const started = performance.now();
  const inFlight: Promise<void>[] = [];
  let sent = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (sent < total && started + sent * intervalMs <= now) {
        inFlight.push(send(started + sent * intervalMs));
        sent += 1;
      }
      if (sent >= total) resolve();
      else setTimeout(tick, Math.max(0, started + sent * intervalMs - performance.now()));
    };
    tick();
  });
  await Promise.all(inFlight);
  const durationSeconds = (performance.now() - started) / 1000;
  agent.destroy();
  const sorted = Float64Array.from(times).sort();
  const responses = Object.values(statusCounts).reduce((sum, count) => sum + count, 0);
  const non2xx = responses - times.length;
  return {
    responses,
    perSecond: responses / durationSeconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.length > 0 ? (sorted[sorted.length - 1] as number) : Number.NaN,
    errors,
    timeouts,
    non2xx,
    statusCounts,
    // No autocannon histogram to cross-check against in this mode.
    autocannonP50: Number.NaN,
    autocannonP99: Number.NaN,
    durationSeconds,
  };
}
