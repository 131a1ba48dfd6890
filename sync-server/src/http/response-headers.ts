import type { Context } from 'hono';

/**
 * Sets a header on the answer from a middleware, after `await next()`. Hono's `c.header` on a
 * finished answer copies it: it reads the body, which makes @hono/node-server turn its light
 * response (a string it writes at once) into a web `Response` streamed to the socket, once per
 * header. The answer's own headers are changed in place instead; one whose headers cannot change
 * (a `Response.redirect`, a fetched `Response`) is left to Hono's copy.
 */
export function setResponseHeader(
  c: Context,
  name: string,
  value: string,
  options?: { append?: boolean },
): void {
  if (!c.finalized) {
    c.header(name, value, options);
    return;
  }
  try {
    if (options?.append) c.res.headers.append(name, value);
    else c.res.headers.set(name, value);
  } catch {
    c.header(name, value, options);
  }
}
