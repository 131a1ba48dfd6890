import { randomBytes, randomUUID } from 'node:crypto';
import type { Database, Queryable } from '../db/database.js';
import { HttpError } from '../http/http-error.js';
import { hashRefreshToken } from './token-service.js';
import { createUserStore, type NewUser, type User } from './user-store.js';

/**
 * Who may create an account (REGISTRATION): anyone, only the holder of an invite, or nobody.
 * Whatever the mode, the first account of an empty server registers and is its admin.
 */
export const REGISTRATION_MODES = ['open', 'invite', 'closed'] as const;
export type RegistrationMode = (typeof REGISTRATION_MODES)[number];

/** How long an invite link works unless the admin says otherwise. */
export const DEFAULT_INVITE_TTL_MS = 7 * 24 * 3600 * 1000;
export const MAX_INVITE_TTL_MS = 90 * 24 * 3600 * 1000;

// Any constant: registrations take turns so that of two first accounts at once only one is admin.
const REGISTRATION_LOCK = 7_331_018;

export interface RegistrationStatus {
  mode: RegistrationMode;
  /** No account exists yet: the next registration is the admin, whatever the mode. */
  firstAccount: boolean;
}

export interface Invite {
  id: string;
  /** The secret, in clear: only in the answer to the admin who created it. */
  token: string;
  createdAt: Date;
  expiresAt: Date;
}

export interface Registration {
  readonly mode: RegistrationMode;
  status(): Promise<RegistrationStatus>;
  /**
   * Creates the account if the mode (or an unused, unexpired invite, used up here) allows it;
   * throws a 403 HttpError naming why not. `hash` runs only once the account may be created.
   */
  register(
    input: Omit<NewUser, 'passwordHash' | 'role'> & { password: string; invite?: string },
    hash: (password: string) => Promise<string>,
    now: Date,
  ): Promise<User>;
  createInvite(createdBy: string, now: Date, ttlMs?: number): Promise<Invite>;
}

export function createRegistration(db: Database, mode: RegistrationMode): Registration {
  const anyAccount = async (q: Queryable) => {
    const [row] = await q.query<{ present: boolean }>(
      'select exists (select 1 from users) as present',
    );
    return row?.present === true;
  };
  /** Throws when a stranger may not register now (the invite itself is checked later). */
  const refuseUnlessAllowed = (invite: string | undefined) => {
    if (mode === 'closed') {
      throw new HttpError(
        403,
        'registration_closed',
        'Registration is closed on this server. Ask its administrator for an account.',
      );
    }
    if (mode === 'invite' && invite === undefined) {
      throw new HttpError(
        403,
        'invite_required',
        'This server registers new accounts by invite only. Open the invite link you were sent.',
        [{ field: 'invite', message: 'is required: registration is by invite' }],
      );
    }
  };
  return {
    mode,
    async status() {
      return { mode, firstAccount: !(await anyAccount(db)) };
    },
    async register(input, hash, now) {
      // Cheap refusals first: a closed server spends no argon2 run on a stranger.
      if (await anyAccount(db)) refuseUnlessAllowed(input.invite);
      const passwordHash = await hash(input.password);
      return db.transaction(async (tx) => {
        await tx.query('select pg_advisory_xact_lock($1)', [REGISTRATION_LOCK]);
        const first = !(await anyAccount(tx));
        let inviteId: string | null = null;
        if (!first) {
          refuseUnlessAllowed(input.invite);
          // An invite presented is used up in any mode that takes one (open: a convenience link).
          if (input.invite !== undefined) inviteId = await useInvite(tx, input.invite, now);
        }
        const user = await createUserStore(tx).create(
          {
            email: input.email,
            username: input.username,
            fullName: input.fullName,
            timezone: input.timezone,
            passwordHash,
            role: first ? 'admin' : 'user',
          },
          now,
        );
        if (inviteId !== null) {
          await tx.query('update invites set used_by = $2 where id = $1', [inviteId, user.id]);
        }
        return user;
      });
    },
    async createInvite(createdBy, now, ttlMs = DEFAULT_INVITE_TTL_MS) {
      const token = randomBytes(24).toString('base64url');
      const invite: Invite = {
        id: randomUUID(),
        token,
        createdAt: now,
        expiresAt: new Date(now.getTime() + ttlMs),
      };
      await db.query(
        `insert into invites (id, token_hash, created_by, created_at, expires_at)
         values ($1, $2, $3, $4::timestamptz, $5::timestamptz)`,
        [
          invite.id,
          hashRefreshToken(token),
          createdBy,
          invite.createdAt.toISOString(),
          invite.expiresAt.toISOString(),
        ],
      );
      return invite;
    },
  };
}

/** Marks the invite used (inside the registration's transaction); its id, or a 403. */
async function useInvite(tx: Queryable, token: string, now: Date): Promise<string> {
  const [row] = await tx.query<{ id: string }>(
    `update invites set used_at = $2::timestamptz
      where token_hash = $1 and used_at is null and expires_at > $2::timestamptz
      returning id`,
    [hashRefreshToken(token), now.toISOString()],
  );
  if (row) return row.id;
  throw new HttpError(
    403,
    'invite_invalid',
    'This invite is unknown, already used or expired. Ask for a new one.',
    [{ field: 'invite', message: 'is unknown, already used or expired' }],
  );
}
