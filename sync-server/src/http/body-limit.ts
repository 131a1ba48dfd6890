import type { MiddlewareHandler } from 'hono';
import { bodyLimit as streamingBodyLimit } from 'hono/body-limit';

type BodyLimitOptions = Parameters<typeof streamingBodyLimit>[0];

/**
 * Hono's `bodyLimit`, without its cost for a request that declares its length. Hono's version
 * first asks for `c.req.raw.body`, which makes @hono/node-server build a full web `Request`
 * (an `AbortController` and a `ReadableStream` over the socket) for every request with a body,
 * before it even reads `Content-Length`; the route then reads the body through that stream
 * instead of the adapter's direct path. Under write load that was about a tenth of the main
 * thread. The rule is the same: a declared length over the limit is refused before anything is
 * read (Node's parser holds the body to that length); a body without one (chunked) is counted
 * as it streams, by Hono's middleware.
 */
export function bodyLimit(options: BodyLimitOptions): MiddlewareHandler {
  const streaming = streamingBodyLimit(options);
  return async (c, next) => {
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD') return next();
    const declared = c.req.header('content-length');
    if (declared !== undefined && c.req.header('transfer-encoding') === undefined) {
      const length = Number.parseInt(declared, 10);
      if (length > options.maxSize) return streaming(c, next);
      return next();
    }
    return streaming(c, next);
  };
}
