import { Hono } from 'hono';
import type { Database } from '../db/database.js';
import { bodyLimit } from '../http/body-limit.js';
import { errorBody, HttpError } from '../http/http-error.js';
import type { Logger } from '../logger.js';
import {
  clientIp,
  localRateLimits,
  type RateLimitRule,
  type RateLimitStore,
  rateLimit,
  rateLimitedError,
} from '../middleware/rate-limit/index.js';
import { requireAuth } from '../middleware/require-auth/index.js';
import {
  type LoginBody,
  loginBody,
  refreshTokenBody,
  registerBody,
  userBody,
} from './auth-schemas.js';
import {
  hashPassword,
  preparePasswordHashing,
  verifyPassword,
  verifyUnknownAccountPassword,
} from './passwords.js';
import { readJsonBody } from './read-json-body.js';
import type { Registration } from './registration.js';
import { createSessionStore, type RotationResult } from './session-store.js';
import type { AccessClaims, TokenService } from './token-service.js';
import {
  createUserStore,
  normalizeEmail,
  normalizeUsername,
  takenError,
  type User,
  type UserStore,
} from './user-store.js';

/**
 * Brute-force brakes: per client address, and on failed logins per account and address
 * (`loginPerAccount.max` failures free in its window, then growing delays).
 */
export interface AuthLimits {
  registerPerIp: RateLimitRule;
  loginPerIp: RateLimitRule;
  loginPerAccount: RateLimitRule;
}

export const DEFAULT_AUTH_LIMITS: AuthLimits = {
  registerPerIp: { windowMs: 60_000, max: 5 },
  loginPerIp: { windowMs: 60_000, max: 10 },
  loginPerAccount: { windowMs: 60_000, max: 5 },
};

export interface AuthRoutesDeps {
  db: Database;
  tokens: TokenService;
  clock: () => Date;
  log: Logger;
  /** Who may register (REGISTRATION) and the invites that let them. */
  registration: Registration;
  limits?: Partial<AuthLimits>;
  /** Where the brakes count (default: this process; a cluster's: Redis, for every node). */
  rateLimits?: RateLimitStore;
  /**
   * Runs once an account exists (the server creates the user's document, in the account's time
   * zone). A failure is logged, not the registration's: the document is seeded on first use.
   */
  onRegistered?: (user: User) => Promise<void>;
}

/** Auth bodies are a few hundred bytes; anything far larger is not a login. */
const MAX_BODY_BYTES = 16 * 1024;

/**
 * Register, login, refresh, logout and me (spec 5.5), as a sub-app the caller mounts at
 * `/api/v1/auth`. Errors are thrown as typed errors for the app's `onError` (`errorResponse`).
 */
export function createAuthRoutes(deps: AuthRoutesDeps): Hono {
  const { db, tokens, clock, log } = deps;
  const limits = { ...DEFAULT_AUTH_LIMITS, ...deps.limits };
  const users = createUserStore(db);
  const sessions = createSessionStore(db);
  const store = deps.rateLimits ?? localRateLimits;
  const loginFailures = store.failureBrake('login-account', {
    freeFailures: limits.loginPerAccount.max,
    windowMs: limits.loginPerAccount.windowMs,
    clock,
  });
  preparePasswordHashing().catch((error: unknown) => {
    log.error('password hashing is unavailable', { error: String(error) });
  });

  const startSession = async (user: Pick<User, 'id' | 'role'>, now: Date) => {
    const { refreshToken, sessionId } = await sessions.start(user.id, now);
    return {
      access_token: await tokens.issueAccessToken({ userId: user.id, role: user.role, sessionId }),
      refresh_token: refreshToken,
      token_type: 'Bearer' as const,
      expires_in: tokens.accessTokenTtlSeconds,
    };
  };

  const app = new Hono();
  app.use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => c.json(errorBody('payload_too_large', 'The request body is too large.'), 413),
    }),
  );

  // Lets the sign-in page say whether (and how) a stranger may create an account.
  app.get('/registration', async (c) => {
    const status = await deps.registration.status();
    return c.json({ mode: status.mode, first_account: status.firstAccount });
  });

  app.post(
    '/register',
    rateLimit({
      ...limits.registerPerIp,
      clock,
      key: (c) => clientIp(c),
      store: { limits: store, name: 'register-ip' },
    }),
    async (c) => {
      const input = await readJsonBody(c, registerBody);
      // Checked before hashing so a duplicate costs no argon2 run; create() still catches races.
      const taken = await users.findTakenField(input);
      if (taken) throw takenError(taken);
      const now = clock();
      const user = await deps.registration.register(
        {
          email: input.email,
          username: input.username,
          password: input.password,
          fullName: input.full_name,
          timezone: input.timezone,
          ...(input.invite === undefined ? {} : { invite: input.invite }),
        },
        hashPassword,
        now,
      );
      log.info('user registered', { userId: user.id });
      await deps.onRegistered?.(user).catch((error: unknown) => {
        log.warn('could not create the new user’s document', {
          userId: user.id,
          error: error instanceof Error ? error.message : String(error),
        });
      });
      const session = await startSession(user, now);
      return c.json({ id: user.id, email: user.email, username: user.username, ...session }, 201);
    },
  );

  app.post(
    '/login',
    rateLimit({
      ...limits.loginPerIp,
      clock,
      key: (c) => clientIp(c),
      store: { limits: store, name: 'login-ip' },
    }),
    async (c) => {
      const input = await readJsonBody(c, loginBody);
      // Failures only, per account and client: a stranger's guesses never lock the owner out.
      const brakeKey = `${accountKey(input)} ${clientIp(c)}`;
      const decision = await loginFailures.check(brakeKey);
      if (!decision.allowed) throw rateLimitedError(decision.retryAfterSeconds);
      const user = await authenticate(users, input).catch(async (error: unknown) => {
        if (error instanceof HttpError && error.status === 401) await loginFailures.fail(brakeKey);
        throw error;
      });
      await loginFailures.succeed(brakeKey);
      if (!user.isActive) throw new HttpError(403, 'account_disabled', 'This account is disabled.');
      const now = clock();
      await users.recordLogin(user.id, now);
      log.info('user logged in', { userId: user.id });
      return c.json({ ...(await startSession(user, now)), user_id: user.id });
    },
  );

  app.post('/refresh', async (c) => {
    const { refresh_token } = await readJsonBody(c, refreshTokenBody);
    const rotation = await sessions.rotate(refresh_token, clock());
    if (!rotation.ok) {
      // Reuse (theft) and a disabled account end the session's access tokens too, at once.
      if (rotation.reason === 'reused') await tokens.revokeSessions([rotation.familyId]);
      if (rotation.reason === 'inactive') await tokens.revokeSessions([rotation.sessionId]);
      throw refreshRejected(rotation, log);
    }
    const claims: AccessClaims = {
      userId: rotation.userId,
      role: rotation.role,
      sessionId: rotation.sessionId,
    };
    return c.json({
      access_token: await tokens.issueAccessToken(claims),
      refresh_token: rotation.refreshToken,
      token_type: 'Bearer' as const,
      expires_in: tokens.accessTokenTtlSeconds,
      user_id: rotation.userId,
    });
  });

  app.post('/logout', async (c) => {
    const { refresh_token } = await readJsonBody(c, refreshTokenBody);
    const sessionId = await sessions.revokeFamily(refresh_token, clock());
    if (sessionId !== null) await tokens.revokeSessions([sessionId]);
    return c.body(null, 204);
  });

  app.get('/me', requireAuth(tokens), async (c) => {
    const user = await users.findById(c.var.auth.userId);
    // A valid token of a deleted account: the client must sign in (and will fail) again.
    if (!user) throw new HttpError(401, 'unauthorized', 'This account no longer exists.');
    if (!user.isActive) throw new HttpError(403, 'account_disabled', 'This account is disabled.');
    return c.json(userBody(user));
  });

  return app;
}

function accountKey(input: LoginBody): string {
  return input.email !== undefined
    ? `email:${normalizeEmail(input.email)}`
    : `username:${normalizeUsername(input.username ?? '')}`;
}

/**
 * The user whose credentials these are, or the one 401 for every failure: unknown account or
 * wrong password answer alike, in body and (through the dummy verification) in time.
 */
async function authenticate(users: UserStore, input: LoginBody): Promise<User> {
  const user =
    input.email !== undefined
      ? await users.findByEmail(input.email)
      : await users.findByUsername(input.username ?? '');
  const isValid = user
    ? await verifyPassword(user.passwordHash, input.password)
    : await verifyUnknownAccountPassword(input.password);
  if (!user || !isValid) {
    throw new HttpError(401, 'invalid_credentials', 'Invalid email or password.');
  }
  return user;
}

function refreshRejected(rotation: Exclude<RotationResult, { ok: true }>, log: Logger): HttpError {
  if (rotation.reason === 'reused') {
    log.warn('rotated refresh token presented again; session revoked', {
      userId: rotation.userId,
      familyId: rotation.familyId,
    });
  }
  if (rotation.reason === 'inactive') {
    return new HttpError(403, 'account_disabled', 'This account is disabled.');
  }
  return new HttpError(401, 'invalid_refresh_token', 'The session has expired. Sign in again.');
}
