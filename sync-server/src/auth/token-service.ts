import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { errors, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import { createInProcessRevocations, type SessionRevocations } from './session-revocation.js';

/** Access tokens live one hour, refresh tokens thirty days (spec 7.1). */
export const ACCESS_TOKEN_TTL_SECONDS = 3600;
export const REFRESH_TOKEN_TTL_MS = 30 * 24 * 3600 * 1000;

export const ROLES = ['user', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** What an access token proves about its bearer. */
export interface AccessClaims {
  userId: string;
  role: Role;
  /** The session (refresh-token family) the token belongs to: its `sid` claim. */
  sessionId: string;
}

/** The claims of a token that verified, and when it stops doing so. */
export interface VerifiedClaims extends AccessClaims {
  expiresAt: Date;
}

export type InvalidTokenReason = 'expired' | 'invalid' | 'malformed' | 'revoked';

/** The access token cannot be trusted; `reason` is for logs and tests, never for the client. */
export class InvalidTokenError extends Error {
  constructor(readonly reason: InvalidTokenReason) {
    super(`access token ${reason}`);
    this.name = 'InvalidTokenError';
  }
}

export interface TokenService {
  readonly accessTokenTtlSeconds: number;
  /**
   * Signs a token for the claims. Sign-in, registration and refresh always name the session;
   * without one (a tool or test minting a token) the token is a session of its own.
   */
  issueAccessToken(
    claims: Omit<AccessClaims, 'sessionId'> & { sessionId?: string },
  ): Promise<string>;
  /**
   * The claims of a valid token whose session is not revoked; throws InvalidTokenError
   * otherwise.
   */
  verifyAccessToken(token: string): Promise<VerifiedClaims>;
  /** Revokes sessions: their access tokens fail from now on, everywhere they are checked. */
  revokeSessions(sessionIds: readonly string[]): Promise<void>;
  /** The revoked sessions this service checks (for sockets to hear of revocations). */
  readonly revocations: SessionRevocations;
}

export interface TokenServiceOptions {
  /** HS256 key material, at least 32 characters (config AUTH_SECRET or `loadAuthSecret`). */
  secret: string;
  clock: () => Date;
  /** Default: an in-process set (one server). */
  revocations?: SessionRevocations;
}

const ALGORITHM = 'HS256';
/** Verified tokens remembered (about 0.5 KB each). */
const VERIFIED_TOKENS_KEPT = 10_000;

export function createTokenService({
  secret,
  clock,
  revocations = createInProcessRevocations({ clock }),
}: TokenServiceOptions): TokenService {
  // Shorter HMAC keys are guessable offline from any one token.
  if (secret.length < 32) throw new Error('the auth secret must be at least 32 characters');
  const key = new TextEncoder().encode(secret);
  // A client sends the same token with every request for an hour: its signature is checked once
  // (WebCrypto's HMAC costs a quarter of a millisecond of the main thread per request), then the
  // payload is taken from here while the token is unexpired. Revocation is checked every time.
  const verified = new Map<string, JWTPayload>();
  const verifySignature = async (token: string): Promise<JWTPayload> => {
    const now = clock();
    const known = verified.get(token);
    if (known && (known.exp ?? 0) * 1000 > now.getTime()) return known;
    if (known) verified.delete(token);
    const { payload } = await jwtVerify(token, key, {
      algorithms: [ALGORITHM],
      currentDate: now,
      requiredClaims: ['sub', 'exp', 'iat', 'sid'],
    }).catch((error: unknown) => {
      throw toInvalidTokenError(error);
    });
    if (verified.size >= VERIFIED_TOKENS_KEPT) {
      // The oldest entry goes (a Map iterates in insertion order).
      const oldest = verified.keys().next();
      if (!oldest.done) verified.delete(oldest.value);
    }
    verified.set(token, payload);
    return payload;
  };
  return {
    accessTokenTtlSeconds: ACCESS_TOKEN_TTL_SECONDS,
    revocations,
    async issueAccessToken({ userId, role, sessionId = randomUUID() }) {
      const issuedAt = Math.floor(clock().getTime() / 1000);
      return new SignJWT({ role, sid: sessionId })
        .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
        .setSubject(userId)
        .setIssuedAt(issuedAt)
        .setExpirationTime(issuedAt + ACCESS_TOKEN_TTL_SECONDS)
        .setJti(randomUUID())
        .sign(key);
    },
    async verifyAccessToken(token) {
      const payload = await verifySignature(token);
      const role = ROLES.find((known) => known === payload.role);
      const sessionId = payload.sid;
      if (!payload.sub || !role || typeof sessionId !== 'string' || sessionId === '') {
        throw new InvalidTokenError('malformed');
      }
      if (await revocations.isRevoked(sessionId)) throw new InvalidTokenError('revoked');
      return {
        userId: payload.sub,
        role,
        sessionId,
        expiresAt: new Date((payload.exp ?? 0) * 1000),
      };
    },
    async revokeSessions(sessionIds) {
      if (sessionIds.length === 0) return;
      // A token issued just now is the last to lapse: keep the entries until it has.
      const until = new Date(clock().getTime() + ACCESS_TOKEN_TTL_SECONDS * 1000);
      await revocations.revoke(sessionIds, until);
    },
  };
}

function toInvalidTokenError(error: unknown): Error {
  if (error instanceof errors.JWTExpired) return new InvalidTokenError('expired');
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return new InvalidTokenError('invalid');
  if (error instanceof errors.JOSEError) return new InvalidTokenError('malformed');
  // Anything else is a bug of ours, not a bad token: let it surface as a 500.
  return error instanceof Error ? error : new Error(String(error));
}

/** A new refresh token: 32 random bytes, base64url. Only its hash is ever stored. */
export function generateRefreshToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * SHA-256 hex of a refresh token. A fast hash is enough: the token has 256 bits of entropy, so
 * unlike a password it cannot be guessed from a leaked hash.
 */
export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
