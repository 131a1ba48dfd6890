import { createHash } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { setResponseHeader } from './response-headers.js';

const policy = (directives: Record<string, string>) =>
  Object.entries(directives)
    .map(([name, value]) => `${name} ${value}`)
    .join('; ');

/**
 * The web app's Content-Security-Policy: its own scripts, styles and workers only, no plugins,
 * never framed, sockets back to this server. The built PWA has no inline script and no eval
 * (zod runs jitless in the app, app/src/zod-jitless.ts).
 */
export const APP_CSP = policy({
  'default-src': "'self'",
  'script-src': "'self'",
  'style-src': "'self'",
  // Style attributes (Solid's templates carry some) cannot run script; <style> stays forbidden.
  'style-src-attr': "'unsafe-inline'",
  'img-src': "'self' data: blob:",
  'font-src': "'self'",
  'connect-src': "'self' wss:",
  'worker-src': "'self'",
  'manifest-src': "'self'",
  'object-src': "'none'",
  'base-uri': "'self'",
  'form-action': "'self'",
  'frame-ancestors': "'none'",
});

/**
 * The API reference page (`/api/docs`) runs a large third-party bundle: its own policy allows
 * exactly the page's inline scripts (by their SHA-256, computed from the page as served) and
 * inline styles (the bundle injects its CSS), nothing else the app's policy forbids.
 */
export function docsCsp(scriptHashes: readonly string[]): string {
  return policy({
    'default-src': "'self'",
    'script-src': ["'self'", ...scriptHashes.map((hash) => `'sha256-${hash}'`)].join(' '),
    'style-src': "'self' 'unsafe-inline'",
    'img-src': "'self' data:",
    'font-src': "'self' data:",
    'connect-src': "'self'",
    'object-src': "'none'",
    'base-uri': "'self'",
    'form-action': "'self'",
    'frame-ancestors': "'none'",
  });
}

const INLINE_SCRIPT = /<script\b(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/gi;

/** Base64 SHA-256 of each inline script of an HTML page, as CSP hash sources name them. */
export function inlineScriptHashes(html: string): string[] {
  return [...html.matchAll(INLINE_SCRIPT)].map((match) =>
    createHash('sha256')
      .update(match[1] ?? '')
      .digest('base64'),
  );
}

/** JSON answers load nothing and are never framed. */
export const API_CSP = policy({ 'default-src': "'none'", 'frame-ancestors': "'none'" });

/**
 * Headers on every answer: the Content-Security-Policy for the kind of page, no MIME sniffing,
 * no referrer (invite links carry a secret in their query), no framing by older browsers.
 * HSTS belongs to the TLS terminator in front (README, "Hardening and administration").
 */
export const securityHeaders = (): MiddlewareHandler =>
  async function securityHeaders(c, next) {
    await next();
    const path = c.req.path;
    if (path === '/api/docs' && c.res.headers.get('Content-Type')?.startsWith('text/html')) {
      const html = await c.res.text();
      c.res = new Response(html, c.res);
      setResponseHeader(c, 'Content-Security-Policy', docsCsp(inlineScriptHashes(html)));
    } else {
      setResponseHeader(c, 'Content-Security-Policy', path.startsWith('/api/') ? API_CSP : APP_CSP);
    }
    setResponseHeader(c, 'X-Content-Type-Options', 'nosniff');
    setResponseHeader(c, 'Referrer-Policy', 'no-referrer');
    setResponseHeader(c, 'X-Frame-Options', 'DENY');
    setResponseHeader(c, 'Cross-Origin-Opener-Policy', 'same-origin');
  };
