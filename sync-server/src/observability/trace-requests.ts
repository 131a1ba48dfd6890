import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { tracer, tracingActive } from './spans.js';

/**
 * One server span per HTTP request, named after its route pattern once routing is done, the
 * caller's trace continued when it sends `traceparent`. Work the handler starts (SQL, provider
 * calls) becomes its children. A no-op unless tracing was started.
 */
export const traceRequests = (): MiddlewareHandler =>
  async function traceRequests(c, next) {
    if (!tracingActive()) return next();
    const parent = propagation.extract(context.active(), c.req.raw.headers, {
      get: (headers, key) => headers.get(key) ?? undefined,
      keys: (headers) => [...headers.keys()],
    });
    const span = tracer().startSpan(
      c.req.method,
      { kind: SpanKind.SERVER, attributes: { 'http.request.method': c.req.method } },
      parent,
    );
    try {
      await context.with(trace.setSpan(parent, span), () => next());
    } finally {
      const route = routePath(c);
      span.updateName(`${c.req.method} ${route}`);
      span.setAttribute('http.route', route);
      span.setAttribute('http.response.status_code', c.res.status);
      if (c.res.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
  };
