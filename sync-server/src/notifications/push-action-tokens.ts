import { createHmac, randomBytes } from 'node:crypto';
import { PUSH_ACTIONS, type PushAction } from '@tasks/crdt';
import { errors, jwtVerify, SignJWT } from 'jose';
import type { Database } from '../db/database.js';
import { HttpError } from '../http/http-error.js';

/**
 * The "Done" and "Snooze 10 min" buttons of a Web Push notification work without opening the
 * app: the service worker has no session, so the push carries one token per button. Each is a
 * JWT (HS256, `jose`) that names one user, one task and one action, signed with a key derived
 * from the server's secret for this purpose alone (an access token is never an action token nor
 * the reverse), valid for as long as the push service keeps the message (1 day). The buttons of
 * one notification share a use id: the first action taken uses it up (table
 * `push_action_uses`), so a replayed or second button press changes nothing.
 */
/** How long a notification's buttons work: the push service's TTL for the message. */
export const PUSH_ACTION_TOKEN_TTL_SECONDS = 86_400;

const ALGORITHM = 'HS256';
const AUDIENCE = 'push-action';

export interface PushActionClaims {
  userId: string;
  taskId: string;
  /** The reminder (its in-app notification) the buttons belong to. */
  notificationId: string;
  action: PushAction;
  /** Shared by the buttons of one notification; used up by the first action taken. */
  useId: string;
  expiresAt: Date;
}

export interface PushActionTokens {
  /** One token per action for this notification. */
  mint(input: {
    userId: string;
    taskId: string;
    notificationId: string;
  }): Promise<Record<PushAction, string>>;
  /** The token's claims; an HttpError 401 when it is forged, malformed or expired. */
  verify(token: string): Promise<PushActionClaims>;
  /**
   * Records the notification's use; an HttpError 409 when one of its actions was taken already.
   * Expired uses are forgotten on the way (their tokens no longer verify).
   */
  consume(claims: PushActionClaims): Promise<void>;
  /** Gives the use back (the action could not be applied for a reason worth retrying). */
  release(claims: PushActionClaims): Promise<void>;
}

export interface PushActionTokenOptions {
  /** The server's secret (AUTH_SECRET or DATA_DIR's); the signing key is derived from it. */
  secret: string;
  db: Database;
  clock: () => Date;
  ttlSeconds?: number;
}

const invalid = (message: string, code = 'invalid_action_token') =>
  new HttpError(401, code, message);

export function createPushActionTokens(options: PushActionTokenOptions): PushActionTokens {
  const secret = createHmac('sha256', options.secret).update('push-action-token:v1').digest();
  // Imported once: given the raw bytes, jose imports a key for every token it signs or checks.
  const key = crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
    'verify',
  ]);
  const ttl = options.ttlSeconds ?? PUSH_ACTION_TOKEN_TTL_SECONDS;
  return {
    async mint({ userId, taskId, notificationId }) {
      const signingKey = await key;
      const useId = randomBytes(16).toString('base64url');
      const issuedAt = Math.floor(options.clock().getTime() / 1000);
      const sign = (action: PushAction) =>
        new SignJWT({ tid: taskId, nid: notificationId, act: action })
          .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
          .setSubject(userId)
          .setAudience(AUDIENCE)
          .setIssuedAt(issuedAt)
          .setExpirationTime(issuedAt + ttl)
          .setJti(useId)
          .sign(signingKey);
      return { done: await sign('done'), snooze: await sign('snooze') };
    },
    async verify(token) {
      const { payload } = await jwtVerify(token, await key, {
        algorithms: [ALGORITHM],
        audience: AUDIENCE,
        currentDate: options.clock(),
        requiredClaims: ['sub', 'exp', 'jti'],
      }).catch((error: unknown) => {
        if (error instanceof errors.JWTExpired) {
          throw invalid(
            'This notification’s buttons have expired. Open the task in the app instead.',
            'action_token_expired',
          );
        }
        throw invalid('This action link is not valid.');
      });
      const action = PUSH_ACTIONS.find((known) => known === payload.act);
      const { sub, jti, exp, tid, nid } = payload;
      if (!action || !sub || !jti || typeof tid !== 'string' || typeof nid !== 'string') {
        throw invalid('This action link is not valid.');
      }
      return {
        userId: sub,
        taskId: tid,
        notificationId: nid,
        action,
        useId: jti,
        expiresAt: new Date((exp ?? 0) * 1000),
      };
    },
    async consume(claims) {
      const now = options.clock();
      await options.db.query('delete from push_action_uses where expires_at < $1', [now]);
      const rows = await options.db.query(
        `insert into push_action_uses (use_id, user_id, action, used_at, expires_at)
         values ($1, $2, $3, $4, $5)
         on conflict (use_id) do nothing
         returning use_id`,
        [claims.useId, claims.userId, claims.action, now, claims.expiresAt],
      );
      if (rows.length === 0) {
        throw new HttpError(
          409,
          'action_already_taken',
          'This notification was already acted on (here or on another device).',
        );
      }
    },
    async release(claims) {
      await options.db.query('delete from push_action_uses where use_id = $1', [claims.useId]);
    },
  };
}
