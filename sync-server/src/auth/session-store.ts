import { randomUUID } from 'node:crypto';
import type { Database, Queryable } from '../db/database.js';
import {
  generateRefreshToken,
  hashRefreshToken,
  REFRESH_TOKEN_TTL_MS,
  type Role,
} from './token-service.js';

/**
 * Sessions are refresh-token families (table `refresh_tokens`). A login starts a family; each
 * refresh rotates its token into a successor in the same family. Only SHA-256 hashes of the
 * tokens are stored, so a leaked table opens no session.
 */
export interface SessionStore {
  /**
   * Starts a family for the user: its first refresh token, in clear, and the family's id (the
   * session its access tokens name).
   */
  start(userId: string, now: Date): Promise<{ refreshToken: string; sessionId: string }>;
  /** Exchanges a refresh token for its successor; see `RotationResult`. */
  rotate(refreshToken: string, now: Date): Promise<RotationResult>;
  /**
   * Revokes the family of the token and returns its id; unknown tokens are ignored (logout is
   * idempotent) and give null.
   */
  revokeFamily(refreshToken: string, now: Date): Promise<string | null>;
  /** Revokes every live family of the user (account disabled or deleted); their ids. */
  revokeUser(userId: string, now: Date): Promise<string[]>;
  /**
   * Deletes the rows expired for more than `PRUNE_AFTER_EXPIRY_MS` (kept that long as evidence
   * for reuse detection, which revokes a family when an old token of it comes back). At most
   * `limit` rows per call; how many went.
   */
  prune(now: Date, limit?: number): Promise<number>;
}

export type RotationResult =
  | { ok: true; userId: string; role: Role; refreshToken: string; sessionId: string }
  | { ok: false; reason: 'unknown' | 'expired' | 'revoked' }
  /** The account is disabled: the family is now revoked. */
  | { ok: false; reason: 'inactive'; sessionId: string }
  /** A rotated or revoked token came back: someone holds a copy; the family is now revoked. */
  | { ok: false; reason: 'reused'; userId: string; familyId: string };

/** How long a rotated refresh token may still be exchanged (a lost answer, a second tab). */
export const REFRESH_GRACE_MS = 10_000;

/** Expired refresh-token rows are deleted this long after they expire. */
export const PRUNE_AFTER_EXPIRY_MS = 7 * 24 * 3600 * 1000;

type PresentedRow = {
  user_id: string;
  family_id: string;
  expires_at: Date;
  rotated_at: Date | null;
  revoked_at: Date | null;
  role: Role;
  is_active: boolean;
};

export function createSessionStore(db: Database): SessionStore {
  return {
    async start(userId, now) {
      const sessionId = randomUUID();
      return {
        refreshToken: await insertToken(db, { userId, familyId: sessionId, now }),
        sessionId,
      };
    },
    // One transaction, the presented row locked: of two requests presenting the same token at
    // once, one rotates it and the other sees it rotated.
    rotate: (refreshToken, now) => db.transaction((tx) => rotateIn(tx, refreshToken, now)),
    async revokeFamily(refreshToken, now) {
      const [row] = await db.query<{ family_id: string }>(
        'select family_id from refresh_tokens where token_hash = $1',
        [hashRefreshToken(refreshToken)],
      );
      if (!row) return null;
      await revokeFamilyIn(db, row.family_id, now);
      return row.family_id;
    },
    async prune(now, limit = 10_000) {
      const rows = await db.query<{ id: string }>(
        `delete from refresh_tokens where id in (
           select id from refresh_tokens
            where expires_at <= $1::timestamptz
            limit $2)
         returning id`,
        [new Date(now.getTime() - PRUNE_AFTER_EXPIRY_MS).toISOString(), limit],
      );
      return rows.length;
    },
    async revokeUser(userId, now) {
      const rows = await db.query<{ family_id: string }>(
        `update refresh_tokens set revoked_at = $2::timestamptz
          where user_id = $1 and revoked_at is null
          returning family_id`,
        [userId, now.toISOString()],
      );
      return [...new Set(rows.map((row) => row.family_id))];
    },
  };
}

async function rotateIn(tx: Queryable, refreshToken: string, now: Date): Promise<RotationResult> {
  const [row] = await tx.query<PresentedRow>(
    `select t.user_id, t.family_id, t.expires_at, t.rotated_at, t.revoked_at, u.role, u.is_active
       from refresh_tokens t join users u on u.id = t.user_id
      where t.token_hash = $1
      for update of t`,
    [hashRefreshToken(refreshToken)],
  );
  if (!row) return { ok: false, reason: 'unknown' };
  // The reuse check comes first: a stolen token stays evidence of theft even after it expired.
  // The result is returned, not thrown, so that the revocation commits.
  // Within a few seconds of its rotation and with its family alive, the same token coming back
  // is a client that lost the answer (or a second tab): it gets a successor too.
  const justRotated =
    row.rotated_at !== null &&
    row.revoked_at === null &&
    now.getTime() - row.rotated_at.getTime() < REFRESH_GRACE_MS &&
    row.is_active;
  if (row.rotated_at !== null && !justRotated) {
    await revokeFamilyIn(tx, row.family_id, now);
    return { ok: false, reason: 'reused', userId: row.user_id, familyId: row.family_id };
  }
  // Revocation always covers the whole family (logout, reuse, deactivation): nothing to add.
  if (row.revoked_at !== null) return { ok: false, reason: 'revoked' };
  if (row.expires_at.getTime() <= now.getTime()) return { ok: false, reason: 'expired' };
  if (!row.is_active) {
    await revokeFamilyIn(tx, row.family_id, now);
    return { ok: false, reason: 'inactive', sessionId: row.family_id };
  }
  if (row.rotated_at === null) {
    await tx.query('update refresh_tokens set rotated_at = $2::timestamptz where token_hash = $1', [
      hashRefreshToken(refreshToken),
      now.toISOString(),
    ]);
  }
  const successor = await insertToken(tx, { userId: row.user_id, familyId: row.family_id, now });
  return {
    ok: true,
    userId: row.user_id,
    role: row.role,
    refreshToken: successor,
    sessionId: row.family_id,
  };
}

async function revokeFamilyIn(tx: Queryable, familyId: string, now: Date): Promise<void> {
  await tx.query(
    `update refresh_tokens set revoked_at = $2::timestamptz
      where family_id = $1 and revoked_at is null`,
    [familyId, now.toISOString()],
  );
}

async function insertToken(
  db: Queryable,
  { userId, familyId, now }: { userId: string; familyId: string; now: Date },
): Promise<string> {
  const token = generateRefreshToken();
  await db.query(
    `insert into refresh_tokens (id, user_id, family_id, token_hash, created_at, expires_at)
     values ($1, $2, $3, $4, $5::timestamptz, $6::timestamptz)`,
    [
      randomUUID(),
      userId,
      familyId,
      hashRefreshToken(token),
      now.toISOString(),
      new Date(now.getTime() + REFRESH_TOKEN_TTL_MS).toISOString(),
    ],
  );
  return token;
}
