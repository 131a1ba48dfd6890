import { afterEach, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../test-server.js';
import { parseScrape } from './prometheus-text.js';

/** Who reaches /metrics (METRICS_TOKEN, METRICS_PORT) and what /readyz tells whom. */
const TOKEN = 'metrics-token-metrics-token-0123456789';

describe('access to /metrics and /readyz', () => {
  let ts: TestServer | null = null;
  afterEach(async () => {
    await ts?.dispose();
    ts = null;
  });

  it('serves no metrics when neither METRICS_TOKEN nor METRICS_PORT is set', async () => {
    ts = await startTestServer('pglite');
    const response = await fetch(`${ts.url}/metrics`);
    expect(response.status).toBe(404);
    expect(ts.server.metricsUrl).toBeNull();
    const ready = await fetch(`${ts.url}/readyz`);
    expect(ready.status).toBe(200);
    // No internal counts for anonymous callers.
    expect(await ready.json()).toEqual({ status: 'ready', database: 'pglite' });
  });

  it('serves them openly on the admin listener only, with METRICS_PORT alone', async () => {
    ts = await startTestServer('pglite', { config: { METRICS_PORT: '0' } });
    const listener = ts.server.metricsUrl;
    expect(listener).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(listener).not.toBe(ts.url);
    const scraped = await fetch(`${listener}/metrics`);
    expect(scraped.status).toBe(200);
    expect(parseScrape(await scraped.text()).value('tasks_websocket_connections')).toBe(0);
    expect((await fetch(`${listener}/api/v1/tasks`)).status).toBe(404);
    expect((await fetch(`${ts.url}/metrics`)).status).toBe(404);
  });

  it('asks for the token on both listeners when both are set, and shows counts in /readyz to its bearer', async () => {
    ts = await startTestServer('pglite', { config: { METRICS_PORT: '0', METRICS_TOKEN: TOKEN } });
    const bearer = { authorization: `Bearer ${TOKEN}` };
    for (const base of [ts.url, ts.server.metricsUrl]) {
      expect((await fetch(`${base}/metrics`)).status).toBe(401);
      expect(
        (await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer nope' } })).status,
      ).toBe(401);
      expect((await fetch(`${base}/metrics`, { headers: bearer })).status).toBe(200);
    }
    expect(await (await fetch(`${ts.url}/readyz`)).json()).toEqual({
      status: 'ready',
      database: 'pglite',
    });
    const inside = (await (await fetch(`${ts.url}/readyz`, { headers: bearer })).json()) as Record<
      string,
      unknown
    >;
    expect(inside).toMatchObject({ status: 'ready', connections: 0, uncommittedBytes: 0 });
  });
});
