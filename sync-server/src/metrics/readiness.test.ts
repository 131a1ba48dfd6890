import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import type { Database } from '../db/database.js';
import { silentLogger } from '../logger.js';
import { readiness } from './readiness.js';

/** A database that answers `select 1`, fails, or never answers, as the test says. */
function databaseThat(answer: 'answers' | 'fails' | 'hangs'): Database {
  return {
    kind: 'postgres',
    query: () => {
      if (answer === 'answers') return Promise.resolve([]);
      if (answer === 'fails') return Promise.reject(new Error('connection refused'));
      return new Promise(() => undefined);
    },
  } as unknown as Database;
}

/** A cluster node's Redis that answers PING, fails, or never answers. */
function redisThat(answer: 'answers' | 'fails' | 'hangs') {
  return {
    ping: () => {
      if (answer === 'answers') return Promise.resolve();
      if (answer === 'fails') return Promise.reject(new Error('connection refused'));
      return new Promise<void>(() => undefined);
    },
  };
}

const appWith = (
  db: Database,
  draining = false,
  redis: ReturnType<typeof redisThat> | null = null,
) => {
  const app = new Hono();
  app.get(
    '/readyz',
    readiness({
      db,
      log: silentLogger,
      isDraining: () => draining,
      figures: () => ({ connections: 3 }),
      metricsToken: 'metrics-token-metrics-token-0123456789',
      redis,
      timeoutMs: 50,
    }),
  );
  return app;
};

describe('/readyz', () => {
  it('is ready while the database answers', async () => {
    const response = await appWith(databaseThat('answers')).request('/readyz');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ready', database: 'postgres' });
  });

  it('answers 503 while the database fails or does not answer in time', async () => {
    for (const answer of ['fails', 'hangs'] as const) {
      const response = await appWith(databaseThat(answer)).request('/readyz');
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({ status: 'unavailable', database: 'postgres' });
    }
  });

  it('answers 503 once the node is draining, even with the database up', async () => {
    const response = await appWith(databaseThat('answers'), true).request('/readyz');
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ status: 'draining', database: 'postgres' });
  });

  it('shows the counts only to the bearer of the metrics token', async () => {
    const app = appWith(databaseThat('answers'));
    const wrong = await app.request('/readyz', { headers: { authorization: 'Bearer wrong' } });
    expect(await wrong.json()).toEqual({ status: 'ready', database: 'postgres' });
    const right = await app.request('/readyz', {
      headers: { authorization: 'Bearer metrics-token-metrics-token-0123456789' },
    });
    expect(await right.json()).toEqual({ status: 'ready', database: 'postgres', connections: 3 });
  });

  it('on a cluster node, is ready while Redis answers too, and says so', async () => {
    const response = await appWith(databaseThat('answers'), false, redisThat('answers')).request(
      '/readyz',
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ready', database: 'postgres', redis: 'ok' });
  });

  it('on a cluster node, answers 503 naming Redis while it fails or does not answer in time', async () => {
    for (const answer of ['fails', 'hangs'] as const) {
      const app = appWith(databaseThat('answers'), false, redisThat(answer));
      const response = await app.request('/readyz');
      expect(response.status).toBe(503);
      expect(await response.json()).toEqual({
        status: 'unavailable',
        database: 'postgres',
        redis: 'unreachable',
      });
    }
    const both = await appWith(databaseThat('fails'), false, redisThat('answers')).request(
      '/readyz',
    );
    expect(both.status).toBe(503);
    expect(await both.json()).toEqual({ status: 'unavailable', database: 'postgres', redis: 'ok' });
  });
});
