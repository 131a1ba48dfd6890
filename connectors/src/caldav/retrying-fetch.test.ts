import { describe, expect, it } from 'vitest';
import { RateLimitedError } from '../calendar-provider.js';
import {
  createRetryingFetch,
  type Fetch,
  parseRetryAfter,
  ResponseTooLargeError,
} from './retrying-fetch.js';

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-06-01T12:00:00Z');

  it('reads delta-seconds and HTTP dates, and ignores anything else', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Sun, 01 Jun 2025 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sun, 01 Jun 2025 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter(null, now)).toBeNull();
  });
});

describe('createRetryingFetch', () => {
  it('retries a 503 and hands back the first other answer untouched', async () => {
    const statuses = [503, 503, 207];
    const served: number[] = [];
    const server: Fetch = async () => {
      const status = statuses.shift() ?? 500;
      served.push(status);
      return new Response(null, { status });
    };
    const sleeps: number[] = [];
    const retrying = createRetryingFetch(server, {
      baseDelayMs: 1000,
      random: () => 0.999,
      sleep: async (ms) => void sleeps.push(ms),
    });
    expect((await retrying('http://127.0.0.1:1/x')).status).toBe(207);
    expect(served).toEqual([503, 503, 207]);
    expect(sleeps).toEqual([999, 1998]);
  });

  it('never waits longer than maxDelayMs between attempts', async () => {
    const server: Fetch = async () => new Response(null, { status: 429 });
    const sleeps: number[] = [];
    const retrying = createRetryingFetch(server, {
      maxAttempts: 6,
      baseDelayMs: 1000,
      maxDelayMs: 3000,
      random: () => 0.999,
      sleep: async (ms) => void sleeps.push(ms),
    });
    await expect(retrying('http://127.0.0.1:1/x')).rejects.toBeInstanceOf(RateLimitedError);
    expect(sleeps).toEqual([999, 1998, 2997, 2997, 2997]);
  });

  it('aborts an attempt the server never answers', async () => {
    const silent: Fetch = (_input, init) =>
      new Promise((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      });
    const retrying = createRetryingFetch(silent, { attemptTimeoutMs: 20 });
    await expect(retrying('http://127.0.0.1:1/x')).rejects.toMatchObject({ name: 'TimeoutError' });
  });
});

describe('a CalDAV answer without end', () => {
  it('is cut at the byte cap, with the server streaming forever', async () => {
    const { createServer } = await import('node:http');
    let streaming = true;
    const server = createServer((_request, response) => {
      response.writeHead(207, { 'content-type': 'application/xml' });
      const chunk = Buffer.alloc(16 * 1024, 'x');
      const pump = () => {
        while (streaming && response.write(chunk));
        if (streaming) response.once('drain', pump);
      };
      pump();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const capped = createRetryingFetch(globalThis.fetch, { maxResponseBytes: 1024 * 1024 });
      const started = performance.now();
      const response = await capped(`http://127.0.0.1:${port}/`, { method: 'PROPFIND' });
      const error = await response.text().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ResponseTooLargeError);
      expect(performance.now() - started).toBeLessThan(10_000);
    } finally {
      streaming = false;
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("is cut by the caller's signal mid-body, with the signal's reason, and no request starts after it", async () => {
    const { createServer } = await import('node:http');
    const timers = new Set<NodeJS.Timeout>();
    // A trickle far under the byte cap that never finishes: only a deadline ends it.
    const server = createServer((_request, response) => {
      response.writeHead(207, { 'content-type': 'application/xml' });
      const timer = setInterval(() => response.write('<x/>'), 20);
      timers.add(timer);
      response.on('close', () => clearInterval(timer));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const controller = new AbortController();
      const reason = new Error('the sync deadline passed');
      const bounded = createRetryingFetch(globalThis.fetch, { signal: controller.signal });
      const response = await bounded(`http://127.0.0.1:${port}/`, { method: 'REPORT' });
      const reading = response.text().catch((caught: unknown) => caught);
      setTimeout(() => controller.abort(reason), 200);
      expect(await reading).toBe(reason);
      await expect(bounded(`http://127.0.0.1:${port}/`)).rejects.toBe(reason);
    } finally {
      for (const timer of timers) clearInterval(timer);
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('is refused at once when it declares a length over the cap', async () => {
    const big: Fetch = async () =>
      new Response('x'.repeat(100), { status: 200, headers: { 'content-length': '100' } });
    await expect(
      createRetryingFetch(big, { maxResponseBytes: 10 })('http://dav.test/'),
    ).rejects.toBeInstanceOf(ResponseTooLargeError);
  });
});
