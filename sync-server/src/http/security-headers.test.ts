import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi, startTestServer, type TestServer, type TestUser } from '../test-server.js';
import { APP_CSP, docsCsp, inlineScriptHashes } from './security-headers.js';

describe('security headers and body limits', () => {
  let ts: TestServer;
  let user: TestUser;
  beforeAll(async () => {
    ts = await startTestServer('pglite');
    user = await ts.register('headers');
  }, 60_000);
  afterAll(async () => {
    await ts?.dispose();
  });

  it('sends the app policy, nosniff, no referrer and no framing on /', async () => {
    const response = await fetch(`${ts.url}/`);
    expect(response.headers.get('content-security-policy')).toBe(APP_CSP);
    expect(APP_CSP).toContain("default-src 'self'");
    expect(APP_CSP).toContain("connect-src 'self' wss:");
    expect(APP_CSP).toContain("frame-ancestors 'none'");
    expect(APP_CSP).toContain("object-src 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
  });

  it('sends them on API answers too, errors included', async () => {
    for (const response of [
      await fetch(`${ts.url}/api/v1/tasks`, { headers: { authorization: `Bearer ${user.token}` } }),
      await fetch(`${ts.url}/api/v1/tasks`),
      await fetch(`${ts.url}/api/v1/nowhere`),
    ]) {
      expect(response.headers.get('content-security-policy')).toBe(
        "default-src 'none'; frame-ancestors 'none'",
      );
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('gives /api/docs a policy allowing exactly its own inline scripts', async () => {
    const response = await fetch(`${ts.url}/api/docs`);
    const html = await response.text();
    const hashes = inlineScriptHashes(html);
    expect(hashes.length).toBeGreaterThan(0);
    expect(response.headers.get('content-security-policy')).toBe(docsCsp(hashes));
    expect(docsCsp(hashes)).not.toMatch(/script-src[^;]*unsafe-inline/);
  });

  /**
   * Posts a body with node:http, which reads the answer even when the server answers (and
   * closes) before the upload ends, as it does for a body over the limit.
   */
  function postRaw(path: string, body: string, token?: string, chunked = false) {
    return new Promise<{ status: number; body: string }>((resolve, reject) => {
      const url = new URL(path, ts.url);
      const request = http.request(url, {
        // A connection of its own: the server closes it after refusing the body.
        agent: false,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(chunked
            ? { 'transfer-encoding': 'chunked' }
            : { 'content-length': Buffer.byteLength(body) }),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      });
      request.on('response', (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      });
      request.on('error', (error: NodeJS.ErrnoException) => {
        // The server may close while the rest of the body is still being written.
        if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
      });
      if (!chunked) request.end(body);
      else {
        // In pieces, with no declared length: the limit is counted as the body streams in.
        for (let at = 0; at < body.length; at += 64 * 1024)
          request.write(body.slice(at, at + 64 * 1024));
        request.end();
      }
    });
  }

  it('answers 413 with the one error body to a 2 MB body on any API route', async () => {
    const big = JSON.stringify({ title: 'x'.repeat(2 * 1024 * 1024) });
    // Routes with a session, and without one: the webhook door and the admin's.
    for (const [path, token] of [
      ['/api/v1/tasks', user.token],
      ['/api/v1/webhooks/calendar/google', undefined],
      ['/api/v1/admin/invites', undefined],
    ] as const) {
      const reply = await postRaw(path, big, token);
      expect(reply.status).toBe(413);
      expect(JSON.parse(reply.body)).toEqual({
        error: { code: 'payload_too_large', message: 'The request body is too large.', fields: [] },
      });
    }
    // Under the limit, the same route answers as usual.
    expect((await callApi(ts, user, 'POST', '/tasks', { title: 'small' })).status).toBe(201);
  });

  it('counts a body sent without a declared length, and refuses it past the limit', async () => {
    const big = JSON.stringify({ title: 'x'.repeat(2 * 1024 * 1024) });
    const refused = await postRaw('/api/v1/tasks', big, user.token, true);
    expect(refused.status).toBe(413);
    expect(JSON.parse(refused.body).error.code).toBe('payload_too_large');
    const small = await postRaw(
      '/api/v1/tasks',
      JSON.stringify({ title: 'chunked' }),
      user.token,
      true,
    );
    expect(small.status).toBe(201);
    expect(JSON.parse(small.body).title).toBe('chunked');
    // And the same small body with its length declared.
    const declared = await postRaw(
      '/api/v1/tasks',
      JSON.stringify({ title: 'declared' }),
      user.token,
    );
    expect(declared.status).toBe(201);
    expect(JSON.parse(declared.body).title).toBe('declared');
  });
});
