import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { setResponseHeader } from './response-headers.js';

/**
 * CORS for the API: cross-origin callers only from the allow-list, with credentials. Preflights
 * are Hono's `cors`. For every other request the same headers are added once the answer is
 * made: Hono's `cors` writes them before the route runs, into a placeholder answer that Hono
 * then copies into the route's (see `setResponseHeader` for what that copy costs).
 */
export function apiCors(options: {
  origins: readonly string[];
  maxAgeSeconds: number;
}): MiddlewareHandler {
  const preflight = cors({
    origin: [...options.origins],
    credentials: true,
    maxAge: options.maxAgeSeconds,
  });
  const allowed = new Set(options.origins);
  return async function apiCors(c, next) {
    if (c.req.method === 'OPTIONS') return preflight(c, next);
    await next();
    const origin = c.req.header('origin');
    if (origin !== undefined && allowed.has(origin)) {
      setResponseHeader(c, 'Access-Control-Allow-Origin', origin);
    }
    setResponseHeader(c, 'Access-Control-Allow-Credentials', 'true');
    setResponseHeader(c, 'Vary', 'Origin', { append: true });
  };
}
