import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createTokenService } from '../../auth/token-service.js';
import { errorResponse } from '../../http/http-error.js';
import { silentLogger } from '../../logger.js';
import { requireAuth } from './index.js';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256';
const USER_ID = '0193c2a4-6a5e-7c3b-9d1e-2f4a5b6c7d8e';

function setup() {
  let now = Date.parse('2025-10-15T12:00:00Z');
  const tokens = createTokenService({ secret: SECRET, clock: () => new Date(now) });
  const app = new Hono();
  app.onError((error, c) => errorResponse(error, c, silentLogger));
  app.get('/private', requireAuth(tokens), (c) => c.json(c.var.auth));
  return {
    app,
    tokens,
    advance(ms: number) {
      now += ms;
    },
  };
}

const bearer = (token: string) => ({ headers: { Authorization: `Bearer ${token}` } });

describe('requireAuth', () => {
  it('lets a valid bearer token through and exposes who it is for', async () => {
    const { app, tokens } = setup();
    const token = await tokens.issueAccessToken({
      userId: USER_ID,
      role: 'admin',
      sessionId: 'session-1',
    });
    const response = await app.request('/private', bearer(token));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      userId: USER_ID,
      role: 'admin',
      sessionId: 'session-1',
    });
  });

  it('answers 401 to the token of a revoked session', async () => {
    const { app, tokens } = setup();
    const token = await tokens.issueAccessToken({ userId: USER_ID, role: 'user', sessionId: 's' });
    await tokens.revokeSessions(['s']);
    const response = await app.request('/private', bearer(token));
    expect(response.status).toBe(401);
    expect(response.headers.get('WWW-Authenticate')).toBe('Bearer error="invalid_token"');
  });

  it('accepts the scheme in any case, and the token from the access_token cookie', async () => {
    const { app, tokens } = setup();
    const token = await tokens.issueAccessToken({ userId: USER_ID, role: 'user' });
    const lower = await app.request('/private', { headers: { Authorization: `bearer ${token}` } });
    expect(lower.status).toBe(200);
    const cookie = await app.request('/private', { headers: { Cookie: `access_token=${token}` } });
    expect(cookie.status).toBe(200);
  });

  it('answers 401 with a Bearer challenge when no token is sent', async () => {
    const { app } = setup();
    const response = await app.request('/private');
    expect(response.status).toBe(401);
    expect(response.headers.get('WWW-Authenticate')).toBe('Bearer');
    expect(await response.json()).toEqual({
      error: { code: 'unauthorized', message: 'Sign in to continue.', fields: [] },
    });
  });

  it('answers 401 invalid_token for an expired token', async () => {
    const { app, tokens, advance } = setup();
    const token = await tokens.issueAccessToken({ userId: USER_ID, role: 'user' });
    advance(3599_000);
    expect((await app.request('/private', bearer(token))).status).toBe(200);
    advance(1000);
    const response = await app.request('/private', bearer(token));
    expect(response.status).toBe(401);
    expect(response.headers.get('WWW-Authenticate')).toBe('Bearer error="invalid_token"');
  });

  it('answers 401 for a tampered token, another secret and garbage', async () => {
    const { app, tokens } = setup();
    const token = await tokens.issueAccessToken({ userId: USER_ID, role: 'user' });
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString('base64url');
    const other = createTokenService({ secret: `${SECRET}-other`, clock: () => new Date() });
    const candidates = [
      `${header}.${forged}.${signature}`,
      await other.issueAccessToken({ userId: USER_ID, role: 'user' }),
      'not-a-jwt',
    ];
    for (const candidate of candidates) {
      const response = await app.request('/private', bearer(candidate));
      expect(response.status).toBe(401);
      expect(response.headers.get('WWW-Authenticate')).toBe('Bearer error="invalid_token"');
    }
  });
});
