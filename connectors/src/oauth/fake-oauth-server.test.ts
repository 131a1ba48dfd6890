import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type FakeOAuthServer,
  type FakeOAuthServerOptions,
  startFakeOAuthServer,
} from './fake-oauth-server.js';

const REDIRECT = 'https://app.example.com/oauth/callback';
const servers: FakeOAuthServer[] = [];

async function start(options: FakeOAuthServerOptions = {}) {
  let now = Date.parse('2025-10-06T14:30:00Z');
  const server = await startFakeOAuthServer({ clock: () => new Date(now), ...options });
  servers.push(server);
  return {
    server,
    advance(ms: number) {
      now += ms;
    },
  };
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function post(server: FakeOAuthServer, fields: Record<string, string>, basic = false) {
  const form = new URLSearchParams(fields);
  const headers: Record<string, string> = {
    'Content-Type': 'application/x-www-form-urlencoded',
  };
  if (basic) {
    const credentials = `${server.clientId}:${server.clientSecret ?? ''}`;
    headers.Authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
  } else {
    form.set('client_id', server.clientId);
    if (server.clientSecret !== null) form.set('client_secret', server.clientSecret);
  }
  const response = await fetch(server.tokenUrl, { method: 'POST', headers, body: form });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const exchange = (server: FakeOAuthServer, code: string, extra: Record<string, string> = {}) =>
  post(server, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, ...extra });

describe('fake OAuth token endpoint', () => {
  it('exchanges a code once for tokens with an expiry, with either client authentication', async () => {
    const { server } = await start();
    for (const basic of [false, true]) {
      const code = server.issueCode({ redirectUri: REDIRECT, scope: 'calendar.events' });
      const first = await post(
        server,
        { grant_type: 'authorization_code', code, redirect_uri: REDIRECT },
        basic,
      );
      expect(first.status).toBe(200);
      expect(first.body).toEqual({
        access_token: expect.any(String),
        refresh_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: 3600,
        scope: 'calendar.events',
      });
      expect(server.isAccessTokenValid(String(first.body.access_token))).toBe(true);
      const again = await exchange(server, code);
      expect(again).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    }
    expect(server.requests().map((r) => r.clientAuth)).toEqual(['post', 'post', 'basic', 'post']);
  });

  it('refuses a wrong client secret, a wrong redirect URI and an expired code', async () => {
    const { server, advance } = await start({ codeTtlSeconds: 60 });
    const wrongSecret = await fetch(server.tokenUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code: server.issueCode({ redirectUri: REDIRECT }),
        redirect_uri: REDIRECT,
        client_id: server.clientId,
        client_secret: 'wrong',
      }),
    });
    expect(wrongSecret.status).toBe(401);
    expect(await wrongSecret.json()).toMatchObject({ error: 'invalid_client' });
    const redirect = await post(server, {
      grant_type: 'authorization_code',
      code: server.issueCode({ redirectUri: REDIRECT }),
      redirect_uri: 'https://elsewhere.example.com/',
    });
    expect(redirect).toMatchObject({ status: 400, body: { error: 'redirect_uri_mismatch' } });
    const late = server.issueCode({ redirectUri: REDIRECT });
    advance(61_000);
    expect(await exchange(server, late)).toMatchObject({
      status: 400,
      body: { error: 'invalid_grant' },
    });
  });

  it('consents at /authorize and redirects back with a code and the state', async () => {
    const { server } = await start();
    const verifier = 'v'.repeat(50);
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const url = new URL(server.authorizationUrl);
    for (const [key, value] of Object.entries({
      response_type: 'code',
      client_id: server.clientId,
      redirect_uri: `${REDIRECT}?calendar-callback=1`,
      state: 'xyz',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    })) {
      url.searchParams.set(key, value);
    }
    const response = await fetch(url, { redirect: 'manual' });
    expect(response.status).toBe(302);
    const back = new URL(response.headers.get('location') ?? '');
    expect(`${back.origin}${back.pathname}`).toBe(REDIRECT);
    expect(back.searchParams.get('calendar-callback')).toBe('1');
    expect(back.searchParams.get('state')).toBe('xyz');
    const exchanged = await post(server, {
      grant_type: 'authorization_code',
      code: back.searchParams.get('code') ?? '',
      redirect_uri: `${REDIRECT}?calendar-callback=1`,
      code_verifier: verifier,
    });
    expect(exchanged.status).toBe(200);

    url.searchParams.set('client_id', 'someone-else');
    const refused = await fetch(url, { redirect: 'manual' });
    expect(refused.status).toBe(400);
  });

  it('checks the PKCE verifier against the S256 challenge', async () => {
    const { server } = await start();
    const verifier = 'a-verifier-of-at-least-forty-three-characters-0123456789';
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const wrong = await exchange(
      server,
      server.issueCode({ redirectUri: REDIRECT, codeChallenge: challenge }),
      {
        code_verifier: `${verifier}x`,
      },
    );
    expect(wrong).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const missing = await exchange(
      server,
      server.issueCode({ redirectUri: REDIRECT, codeChallenge: challenge }),
    );
    expect(missing.status).toBe(400);
    const right = await exchange(
      server,
      server.issueCode({ redirectUri: REDIRECT, codeChallenge: challenge }),
      { code_verifier: verifier },
    );
    expect(right.status).toBe(200);
    expect(server.requests().at(-1)?.hasCodeVerifier).toBe(true);
  });

  it('lets a public client (no secret) in only with PKCE', async () => {
    const { server } = await start({ clientSecret: null });
    const verifier = 'another-verifier-of-at-least-forty-three-characters-xyz';
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    expect((await exchange(server, server.issueCode({ redirectUri: REDIRECT }))).status).toBe(400);
    const ok = await exchange(
      server,
      server.issueCode({ redirectUri: REDIRECT, codeChallenge: challenge }),
      { code_verifier: verifier },
    );
    expect(ok.status).toBe(200);
  });

  it('expires access tokens on its clock and refreshes them', async () => {
    const { server, advance } = await start({ accessTokenTtlSeconds: 600 });
    const { body } = await exchange(server, server.issueCode({ redirectUri: REDIRECT }));
    const accessToken = String(body.access_token);
    advance(600_000);
    expect(server.isAccessTokenValid(accessToken)).toBe(false);
    const refreshed = await post(server, {
      grant_type: 'refresh_token',
      refresh_token: String(body.refresh_token),
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refresh_token).toBeUndefined();
    expect(refreshed.body.access_token).not.toBe(accessToken);
    expect(server.isAccessTokenValid(String(refreshed.body.access_token))).toBe(true);
  });

  it('rotates refresh tokens when asked, retiring the old one', async () => {
    const { server } = await start({ rotateRefreshTokens: true });
    const { body } = await exchange(server, server.issueCode({ redirectUri: REDIRECT }));
    const first = String(body.refresh_token);
    const next = await post(server, { grant_type: 'refresh_token', refresh_token: first });
    expect(next.body.refresh_token).toEqual(expect.any(String));
    expect(next.body.refresh_token).not.toBe(first);
    const reused = await post(server, { grant_type: 'refresh_token', refresh_token: first });
    expect(reused).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });

  it('answers invalid_grant once the grant is revoked, and its access tokens stop working', async () => {
    const { server } = await start();
    const { body } = await exchange(server, server.issueCode({ redirectUri: REDIRECT }));
    server.revoke(String(body.refresh_token));
    expect(server.isAccessTokenValid(String(body.access_token))).toBe(false);
    expect(server.refreshTokens()).toEqual([]);
    const refused = await post(server, {
      grant_type: 'refresh_token',
      refresh_token: String(body.refresh_token),
    });
    expect(refused).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'Token has been expired or revoked.' },
    });
  });

  it('issues an RS256 ID token naming the account when it has an issuer', async () => {
    const { server } = await start({ issuer: 'https://accounts.example.com' });
    const { body } = await exchange(
      server,
      server.issueCode({ redirectUri: REDIRECT, subject: 'account-42' }),
    );
    const [header, payload] = String(body.id_token).split('.');
    expect(JSON.parse(Buffer.from(header ?? '', 'base64url').toString())).toMatchObject({
      alg: 'RS256',
    });
    expect(JSON.parse(Buffer.from(payload ?? '', 'base64url').toString())).toMatchObject({
      iss: 'https://accounts.example.com',
      aud: server.clientId,
      sub: 'account-42',
    });
  });

  it('fails scripted requests, refuses other grants and non-form bodies', async () => {
    const { server } = await start();
    server.failNext(1, { status: 503 });
    const code = server.issueCode({ redirectUri: REDIRECT });
    expect((await exchange(server, code)).status).toBe(503);
    expect((await exchange(server, code)).status).toBe(200);
    const password = await post(server, { grant_type: 'password', username: 'a', password: 'b' });
    expect(password).toMatchObject({ status: 400, body: { error: 'unsupported_grant_type' } });
    const json = await fetch(server.tokenUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(json.status).toBe(400);
  });
});
