import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import {
  createTokenService,
  generateRefreshToken,
  hashRefreshToken,
  InvalidTokenError,
} from './token-service.js';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256';
const USER_ID = '0193c2a4-6a5e-7c3b-9d1e-2f4a5b6c7d8e';
const SESSION_ID = '0193c2a4-0000-7c3b-9d1e-2f4a5b6c7d8e';
const NOW = new Date('2025-10-15T12:00:00Z');

describe('token service', () => {
  it('issues an HS256 JWT with sub, role, its session, iat, exp one hour later and a jti', async () => {
    const tokens = createTokenService({ secret: SECRET, clock: () => NOW });
    const token = await tokens.issueAccessToken({
      userId: USER_ID,
      role: 'user',
      sessionId: SESSION_ID,
    });
    expect(decodeProtectedHeader(token).alg).toBe('HS256');
    const claims = decodeJwt(token);
    const iat = NOW.getTime() / 1000;
    expect(claims).toMatchObject({
      sub: USER_ID,
      role: 'user',
      sid: SESSION_ID,
      iat,
      exp: iat + 3600,
    });
    expect(claims.jti).toEqual(expect.any(String));
    expect(await tokens.verifyAccessToken(token)).toEqual({
      userId: USER_ID,
      role: 'user',
      sessionId: SESSION_ID,
      expiresAt: new Date(NOW.getTime() + 3600_000),
    });
  });

  it('refuses the tokens of a revoked session at once, and only of that session', async () => {
    let now = NOW;
    const tokens = createTokenService({ secret: SECRET, clock: () => now });
    const revoked = await tokens.issueAccessToken({
      userId: USER_ID,
      role: 'user',
      sessionId: SESSION_ID,
    });
    const other = await tokens.issueAccessToken({ userId: USER_ID, role: 'user' });
    const heard: string[] = [];
    tokens.revocations.onRevoked((sessionId) => heard.push(sessionId));
    await tokens.revokeSessions([SESSION_ID]);
    expect(heard).toEqual([SESSION_ID]);
    await expect(tokens.verifyAccessToken(revoked)).rejects.toEqual(
      new InvalidTokenError('revoked'),
    );
    expect((await tokens.verifyAccessToken(other)).userId).toBe(USER_ID);
    // A token issued just before the revocation stays refused until it would have expired.
    now = new Date(NOW.getTime() + 3599_000);
    await expect(tokens.verifyAccessToken(revoked)).rejects.toEqual(
      new InvalidTokenError('revoked'),
    );
  });

  it('refuses a token that names no session', async () => {
    const tokens = createTokenService({ secret: SECRET, clock: () => NOW });
    const withoutSid = await new SignJWT({ role: 'user' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(USER_ID)
      .setIssuedAt(NOW.getTime() / 1000)
      .setExpirationTime(NOW.getTime() / 1000 + 3600)
      .sign(new TextEncoder().encode(SECRET));
    await expect(tokens.verifyAccessToken(withoutSid)).rejects.toEqual(
      new InvalidTokenError('malformed'),
    );
  });

  it('gives each token its own jti', async () => {
    const tokens = createTokenService({ secret: SECRET, clock: () => NOW });
    const a = decodeJwt(await tokens.issueAccessToken({ userId: USER_ID, role: 'user' }));
    const b = decodeJwt(await tokens.issueAccessToken({ userId: USER_ID, role: 'user' }));
    expect(a.jti).not.toBe(b.jti);
  });

  it('rejects expired, foreign and malformed tokens with a typed reason', async () => {
    let now = NOW;
    const tokens = createTokenService({ secret: SECRET, clock: () => now });
    const token = await tokens.issueAccessToken({ userId: USER_ID, role: 'user' });
    const other = createTokenService({ secret: `${SECRET}!`, clock: () => now });
    const foreign = await other.issueAccessToken({ userId: USER_ID, role: 'user' });
    await expect(tokens.verifyAccessToken(foreign)).rejects.toEqual(
      new InvalidTokenError('invalid'),
    );
    await expect(tokens.verifyAccessToken('a.b.c')).rejects.toEqual(
      new InvalidTokenError('malformed'),
    );
    now = new Date(NOW.getTime() + 3600_000);
    await expect(tokens.verifyAccessToken(token)).rejects.toEqual(new InvalidTokenError('expired'));
  });

  it('refuses a token it accepted earlier once the token has expired, or its session is revoked', async () => {
    let now = NOW;
    const tokens = createTokenService({ secret: SECRET, clock: () => now });
    const token = await tokens.issueAccessToken({
      userId: USER_ID,
      role: 'user',
      sessionId: SESSION_ID,
    });
    await expect(tokens.verifyAccessToken(token)).resolves.toMatchObject({ userId: USER_ID });
    now = new Date(NOW.getTime() + 3599_000);
    await expect(tokens.verifyAccessToken(token)).resolves.toMatchObject({ userId: USER_ID });
    now = new Date(NOW.getTime() + 3600_000);
    await expect(tokens.verifyAccessToken(token)).rejects.toEqual(new InvalidTokenError('expired'));

    now = NOW;
    const second = await tokens.issueAccessToken({
      userId: USER_ID,
      role: 'user',
      sessionId: SESSION_ID,
    });
    await expect(tokens.verifyAccessToken(second)).resolves.toMatchObject({ userId: USER_ID });
    await tokens.revokeSessions([SESSION_ID]);
    await expect(tokens.verifyAccessToken(second)).rejects.toEqual(
      new InvalidTokenError('revoked'),
    );
  });

  it('refuses a secret too short to resist guessing', () => {
    expect(() => createTokenService({ secret: 'short', clock: () => NOW })).toThrow(/32/);
  });
});

describe('refresh tokens', () => {
  it('are 32 random bytes in base64url, hashed as SHA-256 hex', () => {
    const token = generateRefreshToken();
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(token, 'base64url')).toHaveLength(32);
    expect(generateRefreshToken()).not.toBe(token);
    expect(hashRefreshToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashRefreshToken(token)).toBe(hashRefreshToken(token));
  });
});
