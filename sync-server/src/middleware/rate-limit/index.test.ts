import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { errorResponse } from '../../http/http-error.js';
import { silentLogger } from '../../logger.js';
import { clientIp, createRateLimiter, rateLimit } from './index.js';

function fakeClock(start = Date.parse('2025-10-15T12:00:00Z')) {
  let now = start;
  return {
    clock: () => new Date(now),
    advance(ms: number) {
      now += ms;
    },
  };
}

function appWith(options: Parameters<typeof rateLimit>[0]) {
  const app = new Hono();
  app.onError((error, c) => errorResponse(error, c, silentLogger));
  app.use(rateLimit(options));
  app.get('/', (c) => c.text('ok'));
  return app;
}

const byHeader = { key: (c: Parameters<typeof clientIp>[0]) => c.req.header('X-Client') ?? '' };

describe('rateLimit', () => {
  it('lets max requests through, then answers 429 with Retry-After and the error body', async () => {
    const time = fakeClock();
    const app = appWith({ windowMs: 60_000, max: 2, clock: time.clock, ...byHeader });
    expect((await app.request('/')).status).toBe(200);
    time.advance(15_000);
    expect((await app.request('/')).status).toBe(200);
    const limited = await app.request('/');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('Retry-After')).toBe('45');
    expect(await limited.json()).toEqual({
      error: { code: 'rate_limited', message: 'Too many requests. Try again later.', fields: [] },
    });
  });

  it('opens again when the window has passed', async () => {
    const time = fakeClock();
    const app = appWith({ windowMs: 60_000, max: 1, clock: time.clock, ...byHeader });
    await app.request('/');
    time.advance(59_500);
    const limited = await app.request('/');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('Retry-After')).toBe('1');
    time.advance(500);
    expect((await app.request('/')).status).toBe(200);
  });

  it('counts each key on its own', async () => {
    const time = fakeClock();
    const app = appWith({ windowMs: 60_000, max: 1, clock: time.clock, ...byHeader });
    const as = (client: string) => app.request('/', { headers: { 'X-Client': client } });
    expect((await as('a')).status).toBe(200);
    expect((await as('a')).status).toBe(429);
    expect((await as('b')).status).toBe(200);
  });
});

describe('createRateLimiter', () => {
  it('remembers at most maxKeys keys, forgetting the oldest window first', () => {
    const time = fakeClock();
    const limiter = createRateLimiter({ windowMs: 60_000, max: 1, maxKeys: 2, clock: time.clock });
    expect(limiter.hit('a').allowed).toBe(true);
    time.advance(1000);
    expect(limiter.hit('b').allowed).toBe(true);
    expect(limiter.hit('c').allowed).toBe(true); // evicts a
    expect(limiter.hit('b').allowed).toBe(false);
    expect(limiter.hit('c').allowed).toBe(false);
    expect(limiter.hit('a').allowed).toBe(true);
  });

  it('drops expired windows without waiting for the cap', () => {
    const time = fakeClock();
    const limiter = createRateLimiter({ windowMs: 1000, max: 1, maxKeys: 2, clock: time.clock });
    limiter.hit('a');
    limiter.hit('b');
    time.advance(1000);
    // Both windows have ended, so neither new key evicts a live one.
    limiter.hit('c');
    limiter.hit('d');
    expect(limiter.hit('c').allowed).toBe(false);
    expect(limiter.hit('d').allowed).toBe(false);
  });

  it('reports the requests remaining in the window', () => {
    const limiter = createRateLimiter({ windowMs: 1000, max: 3, clock: fakeClock().clock });
    expect(limiter.hit('a')).toEqual({ allowed: true, remaining: 2 });
    expect(limiter.hit('a')).toEqual({ allowed: true, remaining: 1 });
  });
});

describe('clientIp', () => {
  const app = new Hono();
  app.get('/', (c) => c.text(clientIp(c)));

  it('reads the peer address when served by @hono/node-server', async () => {
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('127.0.0.1');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('reads the socket address from the node bindings', async () => {
    const env = { incoming: { socket: { remoteAddress: '192.0.2.7' } } };
    expect(await (await app.request('/', {}, env)).text()).toBe('192.0.2.7');
  });

  it('is unknown without a socket, and ignores X-Forwarded-For', async () => {
    const response = await app.request('/', { headers: { 'X-Forwarded-For': '198.51.100.1' } });
    expect(await response.text()).toBe('unknown');
  });
});
