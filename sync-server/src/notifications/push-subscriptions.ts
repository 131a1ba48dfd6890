import { isIP } from 'node:net';
import { isPrivateAddress } from '@tasks/connectors';
import { v7 as uuidv7 } from 'uuid';
import type { Database } from '../db/database.js';

/**
 * The browsers' Web Push subscriptions, per user (table `push_subscriptions`, one row per
 * endpoint). An endpoint is a URL of the browser's push service, which this server will POST
 * to: only https URLs are taken, and never one naming this machine or a private network (SSRF),
 * except loopback when `PUSH_ALLOW_PRIVATE_ENDPOINTS=true` (a local push service in tests). The
 * send itself goes through the guarded fetch, which checks the address again after DNS.
 */
export interface PushSubscriptionRecord {
  id: string;
  userId: string;
  endpoint: string;
  /** The browser's P-256 key and auth secret (URL-safe base64), from `PushSubscription.toJSON()`. */
  p256dh: string;
  auth: string;
}

export interface PushSubscriptionStore {
  /** Saves (or takes over, for this user) a subscription; returns its record. */
  save(
    userId: string,
    input: { endpoint: string; p256dh: string; auth: string },
  ): Promise<PushSubscriptionRecord>;
  list(userId: string): Promise<PushSubscriptionRecord[]>;
  /** Deletes one of the user's subscriptions; false when they have no such one. */
  remove(userId: string, id: string): Promise<boolean>;
  /** Deletes a subscription the push service says is gone (404/410). */
  removeEndpoint(endpoint: string): Promise<void>;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

/** Why a push endpoint is refused, or null when it may be used. */
export function pushEndpointProblem(endpoint: string, allowPrivate: boolean): string | null {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return 'must be a URL';
  }
  if (url.username || url.password) return 'must not hold credentials';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loopback = LOOPBACK.has(url.hostname) || (isIP(host) !== 0 && /^(127\.|::1$)/.test(host));
  if (allowPrivate && loopback) {
    return url.protocol === 'https:' || url.protocol === 'http:' ? null : 'must be an https URL';
  }
  if (url.protocol !== 'https:') return 'must be an https URL of a push service';
  if (loopback || host.endsWith('.localhost') || (isIP(host) !== 0 && isPrivateAddress(host))) {
    return 'must be a push service on the public internet, not this machine or a private network';
  }
  return null;
}

interface Row {
  [column: string]: unknown;
  id: string;
  user_id: string;
  endpoint: string;
  p256dh: string;
  auth: string;
}

const toRecord = (row: Row): PushSubscriptionRecord => ({
  id: row.id,
  userId: row.user_id,
  endpoint: row.endpoint,
  p256dh: row.p256dh,
  auth: row.auth,
});

export function createPushSubscriptionStore(
  db: Database,
  clock: () => Date,
): PushSubscriptionStore {
  return {
    async save(userId, input) {
      // An endpoint belongs to one browser: subscribing again (another account signed in there)
      // moves it to that user.
      const rows = await db.query<Row>(
        `insert into push_subscriptions (id, user_id, endpoint, p256dh, auth, created_at)
         values ($1, $2, $3, $4, $5, $6)
         on conflict (endpoint) do update
           set user_id = excluded.user_id, p256dh = excluded.p256dh, auth = excluded.auth
         returning id, user_id, endpoint, p256dh, auth`,
        [uuidv7(), userId, input.endpoint, input.p256dh, input.auth, clock()],
      );
      return toRecord(rows[0] as Row);
    },
    async list(userId) {
      const rows = await db.query<Row>(
        `select id, user_id, endpoint, p256dh, auth from push_subscriptions
         where user_id = $1 order by created_at, id`,
        [userId],
      );
      return rows.map(toRecord);
    },
    async remove(userId, id) {
      const rows = await db.query(
        'delete from push_subscriptions where user_id = $1 and id::text = $2 returning id',
        [userId, id],
      );
      return rows.length > 0;
    },
    async removeEndpoint(endpoint) {
      await db.query('delete from push_subscriptions where endpoint = $1', [endpoint]);
    },
  };
}
