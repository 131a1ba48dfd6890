import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { setResponseHeader } from '../http/response-headers.js';
import type { Logger } from '../logger.js';
import { runWithLogContext } from './log-context.js';
import { acceptRequestId, REQUEST_ID_HEADER } from './request-id.js';

export interface RequestLogOptions {
  log: Logger;
  /** Milliseconds for durations (default: performance.now). */
  now?: () => number;
  newId?: () => string;
}

/** Probes every few seconds: their lines only at debug. */
const PROBES = new Set(['/healthz', '/readyz']);

/**
 * Gives each request an id (the caller's X-Request-Id when safe, else a new one), returned in
 * the response and attached to every line logged while the request is handled; then logs one
 * line for it: method, route pattern (never the path, which may carry ids or a feed's secret,
 * nor the query), status, duration, the user when authenticated.
 */
export const requestLog = (options: RequestLogOptions): MiddlewareHandler => {
  const now = options.now ?? (() => performance.now());
  return async function requestLog(c, next) {
    const requestId = acceptRequestId(c.req.header(REQUEST_ID_HEADER), options.newId);
    const started = now();
    await runWithLogContext({ requestId }, async () => {
      await next();
      setResponseHeader(c, REQUEST_ID_HEADER, requestId);
      const route = routePath(c);
      const fields = {
        method: c.req.method,
        route,
        status: c.res.status,
        durationMs: Math.round((now() - started) * 10) / 10,
        ...(c.var.auth ? { userId: c.var.auth.userId } : {}),
      };
      if (PROBES.has(route)) options.log.debug('request', fields);
      else options.log.info('request', fields);
    });
  };
};
