import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer, type TestUser } from '../test-server.js';
import { API_CSP } from './security-headers.js';

const APP_ORIGIN = 'https://tasks.example.com';

describe('CORS on the API', () => {
  let ts: TestServer;
  let user: TestUser;
  beforeAll(async () => {
    ts = await startTestServer('pglite', { config: { CORS_ORIGINS: APP_ORIGIN } });
    user = await ts.register('cors');
  }, 60_000);
  afterAll(async () => {
    await ts?.dispose();
  });

  const call = (method: string, path: string, headers: Record<string, string>, body?: unknown) =>
    fetch(`${ts.url}/api/v1${path}`, {
      method,
      headers: {
        ...headers,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  it('lets an allowed origin read answers with credentials, errors included', async () => {
    const auth = { authorization: `Bearer ${user.token}`, origin: APP_ORIGIN };
    const created = await call('POST', '/tasks', auth, { title: 'from the app' });
    const listed = await call('GET', '/tasks', auth);
    const refused = await call('GET', '/tasks', { origin: APP_ORIGIN });
    const invalid = await call('POST', '/tasks', auth, { title: '' });
    expect([created.status, listed.status, refused.status, invalid.status]).toEqual([
      201, 200, 401, 422,
    ]);
    for (const response of [created, listed, refused, invalid]) {
      expect(response.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
      expect(response.headers.get('access-control-allow-credentials')).toBe('true');
      expect(response.headers.get('vary')).toContain('Origin');
      // The other headers added after the route are all there too, once.
      expect(response.headers.get('content-security-policy')).toBe(API_CSP);
      expect(response.headers.get('x-request-id')).toMatch(/\S/);
    }
    expect(((await created.json()) as { title: string }).title).toBe('from the app');
  });

  it('gives any other origin no access', async () => {
    const response = await call('GET', '/tasks', {
      authorization: `Bearer ${user.token}`,
      origin: 'https://evil.example.net',
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('answers an allowed preflight with the methods and how long to keep them', async () => {
    const response = await fetch(`${ts.url}/api/v1/tasks/some-id`, {
      method: 'OPTIONS',
      headers: {
        origin: APP_ORIGIN,
        'access-control-request-method': 'PATCH',
        'access-control-request-headers': 'authorization, content-type',
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(response.headers.get('access-control-allow-methods')).toContain('PATCH');
    expect(response.headers.get('access-control-allow-headers')).toBe('authorization,content-type');
    expect(response.headers.get('access-control-max-age')).toBe('600');
  });
});
