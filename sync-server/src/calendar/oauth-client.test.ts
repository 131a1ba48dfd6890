import { createHash } from 'node:crypto';
import { type FakeOAuthServer, startFakeOAuthServer } from '@tasks/connectors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createOAuthClient,
  InvalidGrantError,
  OAuthRejectedError,
  OAuthUnavailableError,
} from './oauth-client.js';

const REDIRECT = 'https://app.example.com/oauth/callback';
const START = Date.parse('2025-10-06T14:30:00Z');

describe('OAuth client against a token endpoint', () => {
  let now = START;
  const clock = () => new Date(now);
  let server: FakeOAuthServer;
  beforeAll(async () => {
    server = await startFakeOAuthServer({
      clock,
      accessTokenTtlSeconds: 3600,
      issuer: 'https://accounts.example.com',
    });
  });
  afterAll(async () => {
    await server?.close();
  });
  const client = () =>
    createOAuthClient(
      {
        clientId: server.clientId,
        clientSecret: server.clientSecret,
        tokenUrl: server.tokenUrl,
        issuer: 'https://accounts.example.com',
      },
      { providerLabel: 'Google', clock },
    );

  it('exchanges a code for tokens that expire on our clock, with the client secret in the form', async () => {
    now = START;
    const code = server.issueCode({ redirectUri: REDIRECT, scope: 'calendar.events' });
    const tokens = await client().exchangeCode({ code, redirectUri: REDIRECT });
    expect(tokens).toEqual({
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      expiresAt: new Date(START + 3600_000),
      scope: 'calendar.events',
      subject: null,
    });
    expect(server.isAccessTokenValid(tokens.accessToken)).toBe(true);
    expect(server.requests().at(-1)).toMatchObject({
      grantType: 'authorization_code',
      clientAuth: 'post',
      hasCodeVerifier: false,
    });
  });

  it('passes the PKCE verifier through', async () => {
    const verifier = 'pkce-verifier-with-enough-entropy-0123456789-abcdefgh';
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const code = server.issueCode({ redirectUri: REDIRECT, codeChallenge: challenge });
    const tokens = await client().exchangeCode({
      code,
      redirectUri: REDIRECT,
      codeVerifier: verifier,
    });
    expect(server.isAccessTokenValid(tokens.accessToken)).toBe(true);
    expect(server.requests().at(-1)?.hasCodeVerifier).toBe(true);
  });

  it('reads the account from a validated ID token', async () => {
    const code = server.issueCode({ redirectUri: REDIRECT, subject: 'google-account-7' });
    const tokens = await client().exchangeCode({ code, redirectUri: REDIRECT });
    expect(tokens.subject).toBe('google-account-7');
  });

  it('refreshes, keeping the refresh token when the provider sends no new one', async () => {
    const code = server.issueCode({ redirectUri: REDIRECT });
    const first = await client().exchangeCode({ code, redirectUri: REDIRECT });
    now += 3000_000;
    const refreshed = await client().refresh(first.refreshToken ?? '');
    expect(refreshed.refreshToken).toBe(first.refreshToken);
    expect(refreshed.accessToken).not.toBe(first.accessToken);
    expect(refreshed.expiresAt).toEqual(new Date(now + 3600_000));
  });

  it('answers a used code and a revoked refresh token with InvalidGrantError', async () => {
    const code = server.issueCode({ redirectUri: REDIRECT });
    const tokens = await client().exchangeCode({ code, redirectUri: REDIRECT });
    const reused = client().exchangeCode({ code, redirectUri: REDIRECT });
    await expect(reused).rejects.toBeInstanceOf(InvalidGrantError);
    server.revoke(tokens.refreshToken ?? '');
    const refused = await client()
      .refresh(tokens.refreshToken ?? '')
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(InvalidGrantError);
    expect((refused as InvalidGrantError).message).toBe(
      'Google refused to refresh the access token (invalid_grant: Token has been expired or revoked.)',
    );
    expect((refused as InvalidGrantError).message).not.toContain(tokens.refreshToken ?? '');
  });

  it('types a wrong client secret, an unavailable endpoint and an unreachable one', async () => {
    const wrongSecret = createOAuthClient(
      {
        clientId: server.clientId,
        clientSecret: 'not-the-secret',
        tokenUrl: server.tokenUrl,
        issuer: 'https://accounts.example.com',
      },
      { providerLabel: 'Google', clock },
    );
    const code = server.issueCode({ redirectUri: REDIRECT });
    await expect(wrongSecret.exchangeCode({ code, redirectUri: REDIRECT })).rejects.toMatchObject({
      constructor: OAuthRejectedError,
      code: 'invalid_client',
      status: 401,
    });
    server.failNext(1, { status: 503 });
    await expect(client().refresh('whatever')).rejects.toBeInstanceOf(OAuthUnavailableError);
    const closed = createOAuthClient(
      {
        clientId: 'x',
        clientSecret: 'y',
        tokenUrl: 'http://127.0.0.1:9/token',
        issuer: 'https://accounts.example.com',
      },
      { providerLabel: 'Google', clock },
    );
    await expect(closed.refresh('whatever')).rejects.toMatchObject({
      constructor: OAuthUnavailableError,
      code: 'unreachable',
    });
  });
});
