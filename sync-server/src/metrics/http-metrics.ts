import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import type { ServerMetrics } from './server-metrics.js';

type HttpInstruments = Pick<
  ServerMetrics,
  'httpRequests' | 'httpDuration' | 'authFailures' | 'rateLimitRejections'
>;

/**
 * Counts and times every request by its route pattern (`/api/v1/tasks/:id`, never the raw path
 * or an id: the labels stay bounded), method and status; 401s count as auth failures and 429s
 * as rate-limit rejections. The pattern is the handler's that answered (or the middleware that
 * refused).
 */
export function httpMetrics(metrics: HttpInstruments): MiddlewareHandler {
  return async function httpMetrics(c, next) {
    const stop = metrics.httpDuration.startTimer();
    await next();
    const route = routePath(c);
    const method = c.req.method;
    const status = c.res.status;
    stop({ route, method });
    metrics.httpRequests.inc({ route, method, status: String(status) });
    if (status === 401) metrics.authFailures.inc({ route });
    else if (status === 429) metrics.rateLimitRejections.inc({ route });
  };
}
