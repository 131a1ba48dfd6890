import { decodeJwt } from 'jose';
import type { Queryable } from '../db/database.js';
import { type DatabaseRevocations, revokedSessionSql } from './session-revocation.js';
import { InvalidTokenError, type TokenService } from './token-service.js';

/**
 * Access tokens are signed and live an hour; a password change, "sign out everywhere" or a
 * deleted account must end them at once all the same. Each verification also asks the database
 * whether the account still exists and whether the token was issued before the account's
 * cutoff (table `session_cutoffs`): one primary-key read per request. Given the server's
 * `revocations`, the same statement reads whether the token's session is revoked, which the
 * token service then answers from memory only: one round trip per request, not two.
 *
 * Tokens carry their issue time in whole seconds: a cutoff ends the tokens issued before its
 * second, and keeps those of that very second (among them the new session a password change
 * starts).
 */
export function guardAccessTokens(
  inner: TokenService,
  db: Queryable,
  sessions?: { revocations: DatabaseRevocations; clock: () => Date },
): TokenService {
  // One statement, its text fixed for the guard's life (the driver prepares it once).
  const sql = `select exists (select 1 from users where id = $1) as present,
                      (select extract(epoch from valid_after)::float8 from session_cutoffs
                        where user_id = $1) as cutoff,
                      ${sessions ? `(${revokedSessionSql('$2', '$3')})` : 'null'} as revoked_until`;
  return {
    accessTokenTtlSeconds: inner.accessTokenTtlSeconds,
    revocations: inner.revocations,
    issueAccessToken: (claims) => inner.issueAccessToken(claims),
    revokeSessions: (sessionIds) => inner.revokeSessions(sessionIds),
    async verifyAccessToken(token) {
      const claims = await inner.verifyAccessToken(token);
      const issuedAt = decodeJwt(token).iat ?? 0;
      const [row] = await db.query<{
        present: boolean;
        cutoff: number | null;
        revoked_until: Date | string | null;
      }>(
        sql,
        sessions
          ? [claims.userId, claims.sessionId, sessions.clock().toISOString()]
          : [claims.userId],
      );
      if (sessions && row?.revoked_until) {
        await sessions.revocations.learn(claims.sessionId, new Date(row.revoked_until));
        throw new InvalidTokenError('revoked');
      }
      if (!row?.present) throw new InvalidTokenError('invalid');
      if (row.cutoff !== null && issuedAt < Math.floor(Number(row.cutoff))) {
        throw new InvalidTokenError('expired');
      }
      return claims;
    },
  };
}

/** Ends every access token of the user issued before `now`'s second (see `guardAccessTokens`). */
export async function cutOffSessions(db: Queryable, userId: string, now: Date): Promise<void> {
  await db.query(
    `insert into session_cutoffs (user_id, valid_after) values ($1, $2::timestamptz)
     on conflict (user_id) do update set valid_after = excluded.valid_after`,
    [userId, now.toISOString()],
  );
}

/** Revokes every refresh-token family of the user (all their sessions). */
export async function revokeAllSessions(db: Queryable, userId: string, now: Date): Promise<void> {
  await db.query(
    'update refresh_tokens set revoked_at = $2::timestamptz where user_id = $1 and revoked_at is null',
    [userId, now.toISOString()],
  );
}
