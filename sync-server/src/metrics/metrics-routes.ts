import { createHash, timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import type { Registry } from 'prom-client';
import { errorBody } from '../http/http-error.js';

/** Who may read /metrics on a listener: anyone who reaches it, or the bearer of the token. */
export type MetricsAccess = { kind: 'open' } | { kind: 'token'; token: string };

/** Compares in constant time: both sides are hashed first, so their lengths never show. */
export function isMetricsToken(presented: string | null | undefined, token: string): boolean {
  if (!presented) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

/** The bearer token of an `Authorization: Bearer …` header, or null. */
export function bearerToken(header: string | undefined): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1] ?? null;
}

/**
 * `GET /metrics` in Prometheus' text format. With a token, 401 unless the request presents it
 * (`Authorization: Bearer …`); open only on the admin listener (METRICS_PORT), which is bound to
 * an address only operators reach.
 */
export function createMetricsRoute(registry: Registry, access: MetricsAccess): Hono {
  const app = new Hono();
  app.get('/', async (c) => {
    if (
      access.kind === 'token' &&
      !isMetricsToken(bearerToken(c.req.header('authorization')), access.token)
    ) {
      c.header('WWW-Authenticate', 'Bearer realm="metrics"');
      return c.json(
        errorBody('unauthorized', 'The metrics need METRICS_TOKEN as a bearer token.'),
        401,
      );
    }
    c.header('Content-Type', registry.contentType);
    c.header('Cache-Control', 'no-store');
    return c.body(await registry.metrics());
  });
  return app;
}
