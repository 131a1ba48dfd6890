import { parseInput } from '@tasks/crdt';
import { Hono } from 'hono';
import { z } from 'zod';
import type { Database } from '../db/database.js';
import { HttpError } from '../http/http-error.js';
import type { Logger } from '../logger.js';
import { requireAuth } from '../middleware/require-auth/index.js';
import { readJsonBody } from './read-json-body.js';
import { MAX_INVITE_TTL_MS, type Registration } from './registration.js';
import { createSessionStore } from './session-store.js';
import type { TokenService } from './token-service.js';
import { createUserStore, type User } from './user-store.js';

export interface AdminRoutesDeps {
  db: Database;
  tokens: TokenService;
  registration: Registration;
  clock: () => Date;
  log: Logger;
}

const DAY_MS = 24 * 3600 * 1000;

const listQuery = z.object({
  limit: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(1, 'must be 1-500')
    .max(500, 'must be 1-500')
    .default(100),
  offset: z.coerce
    .number({ error: 'must be a number' })
    .int('must be a whole number')
    .min(0, 'must not be negative')
    .default(0),
});

const userIdParam = z.object({ id: z.uuid('must be a user id (a UUID)') });

const inviteBody = z.object({
  expires_in_days: z
    .number({ error: 'must be a number of days' })
    .int('must be a whole number of days')
    .min(1, `must be 1-${MAX_INVITE_TTL_MS / DAY_MS}`)
    .max(MAX_INVITE_TTL_MS / DAY_MS, `must be 1-${MAX_INVITE_TTL_MS / DAY_MS}`)
    .default(7),
});

/** What an admin sees of an account: never the password hash, nor the user's preferences. */
function adminUserBody(user: User) {
  return {
    id: user.id,
    email: user.email,
    username: user.username,
    full_name: user.fullName,
    role: user.role,
    is_active: user.isActive,
    created_at: user.createdAt.toISOString(),
    last_login: user.lastLogin?.toISOString() ?? null,
  };
}

/**
 * The admin's routes, mounted at `/api/v1/admin`: the accounts, disabling and enabling one
 * (disabling ends its sessions at once, sockets included), and invites to register. The role is
 * read from the database on each request, so a demoted admin's token no longer opens them.
 */
export function createAdminRoutes(deps: AdminRoutesDeps): Hono {
  const { db, tokens, clock, log } = deps;
  const users = createUserStore(db);
  const sessions = createSessionStore(db);
  const app = new Hono();

  app.use('*', requireAuth(tokens), async (c, next) => {
    const me = await users.findById(c.var.auth.userId);
    if (!me?.isActive || me.role !== 'admin') {
      throw new HttpError(403, 'forbidden', 'Only an administrator may do this.');
    }
    await next();
  });

  app.get('/users', async (c) => {
    const page = parseInput(listQuery, c.req.query());
    const { users: found, total } = await users.list(page);
    return c.json({ users: found.map(adminUserBody), total, ...page });
  });

  const setActive = (active: boolean) =>
    app.post(`/users/:id/${active ? 'enable' : 'disable'}`, async (c) => {
      const { id } = parseInput(userIdParam, c.req.param());
      if (!active && id === c.var.auth.userId) {
        throw new HttpError(
          409,
          'cannot_disable_self',
          'An administrator cannot disable their own account.',
        );
      }
      const now = clock();
      const user = await users.setActive(id, active, now);
      if (!user) throw new HttpError(404, 'not_found', 'There is no such user.');
      if (!active) {
        // Its refresh tokens, then its access tokens and sockets: nothing of it keeps working.
        await tokens.revokeSessions(await sessions.revokeUser(id, now));
      }
      log.info(active ? 'user enabled' : 'user disabled', { userId: id, by: c.var.auth.userId });
      return c.json(adminUserBody(user));
    });
  setActive(false);
  setActive(true);

  app.post('/invites', async (c) => {
    const input = await readJsonBody(c, inviteBody);
    if (deps.registration.mode === 'closed') {
      throw new HttpError(
        409,
        'registration_closed',
        'Registration is closed on this server: start it with REGISTRATION=invite to use invites.',
      );
    }
    const invite = await deps.registration.createInvite(
      c.var.auth.userId,
      clock(),
      input.expires_in_days * DAY_MS,
    );
    log.info('invite created', { inviteId: invite.id, by: c.var.auth.userId });
    return c.json(
      {
        id: invite.id,
        token: invite.token,
        // The app opens its registration form with the invite filled in.
        path: `/?invite=${invite.token}`,
        expires_at: invite.expiresAt.toISOString(),
      },
      201,
    );
  });

  return app;
}
