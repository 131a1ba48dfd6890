import { Hono } from 'hono';
import { z } from 'zod';
import type { Database } from '../db/database.js';
import { bodyLimit } from '../http/body-limit.js';
import { errorBody, HttpError } from '../http/http-error.js';
import type { Logger } from '../logger.js';
import {
  localRateLimits,
  type RateLimitStore,
  rateLimitedError,
} from '../middleware/rate-limit/index.js';
import { requireAuth } from '../middleware/require-auth/index.js';
import { cutOffSessions, revokeAllSessions } from './account-sessions.js';
import { userBody } from './auth-schemas.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { readJsonBody } from './read-json-body.js';
import { createSessionStore } from './session-store.js';
import type { TokenService } from './token-service.js';
import { createUserStore, normalizeEmail, takenError, type User } from './user-store.js';

/** Account bodies are a few hundred bytes, like the other auth bodies. */
const MAX_BODY_BYTES = 16 * 1024;
const EMAIL_MAX = 254;

const text = () =>
  z.string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') });
const currentPassword = () =>
  text().min(1, 'must not be empty').max(1024, 'must be at most 1024 characters');
const newPassword = () =>
  text().min(8, 'must be at least 8 characters').max(128, 'must be at most 128 characters');

export const profilePatchBody = z
  .object({
    full_name: text().trim().max(100, 'must be at most 100 characters').optional(),
    email: text()
      .trim()
      .max(EMAIL_MAX, `must be at most ${EMAIL_MAX} characters`)
      .pipe(z.email('must be a valid email address'))
      .optional(),
    /** Needed to change the email: whoever holds a token alone cannot take the account. */
    password: currentPassword().optional(),
  })
  .strict()
  .superRefine((body, ctx) => {
    if (body.email !== undefined && body.password === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['password'],
        message: 'is required to change the email',
      });
    }
  });

export const passwordChangeBody = z
  .object({ current_password: currentPassword(), new_password: newPassword() })
  .strict();

export const accountDeleteBody = z.object({ password: currentPassword() }).strict();

export interface AccountRoutesDeps {
  db: Database;
  tokens: TokenService;
  clock: () => Date;
  log: Logger;
  /** Password checks per account per minute (default 5): a stolen token cannot guess it. */
  passwordChecksPerMinute?: number;
  /** Where the password checks are counted (default: this process). */
  rateLimits?: RateLimitStore;
  /**
   * Runs once an account's sessions ended or the account is gone, to close what is still open
   * (the relay's sockets of that user).
   */
  onSessionsEnded?: (userId: string) => Promise<void> | void;
}

/**
 * The account's whole life (issue 17), at `/api/v1/auth` beside register and login: change the
 * profile, the password (ends every other session), sign out everywhere, delete the account and
 * everything it holds.
 */
export function createAccountRoutes(deps: AccountRoutesDeps): Hono {
  const { db, tokens, clock, log } = deps;
  const users = createUserStore(db);
  const sessions = createSessionStore(db);
  const checks = (deps.rateLimits ?? localRateLimits).limiter('password-check', {
    windowMs: 60_000,
    max: deps.passwordChecksPerMinute ?? 5,
    clock,
  });
  const auth = requireAuth(tokens);

  const currentUser = async (userId: string): Promise<User> => {
    const user = await users.findById(userId);
    if (!user) throw new HttpError(401, 'unauthorized', 'This account no longer exists.');
    return user;
  };
  /** The account's password, checked under the per-account brake. */
  const checkPassword = async (user: User, password: string, field: string) => {
    const decision = await checks.hit(user.id);
    if (!decision.allowed) throw rateLimitedError(decision.retryAfterSeconds);
    if (!(await verifyPassword(user.passwordHash, password))) {
      throw new HttpError(403, 'invalid_password', 'The password is not right.', [
        { field, message: 'is not your current password' },
      ]);
    }
  };
  const endSessions = async (userId: string, now: Date) => {
    // The sessions' ids first: their access tokens are refused from now on (revocation set),
    // and anything issued before this second by the cutoff, which survives a restart.
    const ended = await sessions.revokeUser(userId, now);
    await db.transaction(async (tx) => {
      await revokeAllSessions(tx, userId, now);
      await cutOffSessions(tx, userId, now);
    });
    await tokens.revokeSessions(ended);
    await deps.onSessionsEnded?.(userId);
  };

  const app = new Hono();
  app.use(
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => c.json(errorBody('payload_too_large', 'The request body is too large.'), 413),
    }),
  );

  app.patch('/me', auth, async (c) => {
    const input = await readJsonBody(c, profilePatchBody);
    const user = await currentUser(c.var.auth.userId);
    const emailChanges =
      input.email !== undefined && normalizeEmail(input.email) !== normalizeEmail(user.email);
    if (input.email !== undefined && input.password !== undefined) {
      await checkPassword(user, input.password, 'password');
    }
    if (emailChanges && input.email !== undefined) {
      const [taken] = await db.query(
        'select 1 from users where email_normalized = $1 and id <> $2',
        [normalizeEmail(input.email), user.id],
      );
      if (taken) throw takenError('email');
    }
    const now = clock();
    try {
      await db.query(
        `update users set email = $2, email_normalized = $3, full_name = $4, updated_at = $5::timestamptz
          where id = $1`,
        [
          user.id,
          input.email ?? user.email,
          normalizeEmail(input.email ?? user.email),
          input.full_name ?? user.fullName,
          now.toISOString(),
        ],
      );
    } catch (error) {
      // Another account took the email between the check and the update.
      if (/unique|duplicate/i.test(String(error))) throw takenError('email');
      throw error;
    }
    if (emailChanges) log.info('account email changed', { userId: user.id });
    return c.json(userBody(await currentUser(user.id)));
  });

  app.post('/password', auth, async (c) => {
    const input = await readJsonBody(c, passwordChangeBody);
    const user = await currentUser(c.var.auth.userId);
    await checkPassword(user, input.current_password, 'current_password');
    const now = clock();
    const passwordHash = await hashPassword(input.new_password);
    await db.query(
      'update users set password_hash = $2, updated_at = $3::timestamptz where id = $1',
      [user.id, passwordHash, now.toISOString()],
    );
    await endSessions(user.id, now);
    log.info('password changed; every session ended', { userId: user.id });
    // This device goes on in a new session; every other one must sign in again.
    const { refreshToken, sessionId } = await sessions.start(user.id, now);
    return c.json({
      access_token: await tokens.issueAccessToken({ userId: user.id, role: user.role, sessionId }),
      refresh_token: refreshToken,
      token_type: 'Bearer' as const,
      expires_in: tokens.accessTokenTtlSeconds,
    });
  });

  app.post('/logout-all', auth, async (c) => {
    const user = await currentUser(c.var.auth.userId);
    await endSessions(user.id, clock());
    log.info('signed out everywhere', { userId: user.id });
    return c.body(null, 204);
  });

  app.delete('/me', auth, async (c) => {
    const input = await readJsonBody(c, accountDeleteBody);
    const user = await currentUser(c.var.auth.userId);
    await checkPassword(user, input.password, 'password');
    await deleteAccount(db, user.id);
    await deps.onSessionsEnded?.(user.id);
    log.info('account deleted', { userId: user.id });
    return c.body(null, 204);
  });

  return app;
}

/**
 * Removes the account and everything it holds, in one transaction: the update log of its
 * documents (keyed by room name, `{userId}` and `{userId}/...`), then the user row, whose
 * deletion cascades to its documents and snapshots, refresh tokens, calendar connections (with
 * their links, sync jobs and push channels), trash schedule, session cutoff and calendar feed.
 */
export async function deleteAccount(db: Database, userId: string): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query('delete from document_updates where name = $1 or name like $2', [
      userId,
      `${userId}/%`,
    ]);
    await tx.query('delete from users where id = $1', [userId]);
  });
}
