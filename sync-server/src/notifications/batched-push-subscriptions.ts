import type { Database } from '../db/database.js';
import type { PushSubscriptionRecord, PushSubscriptionStore } from './push-subscriptions.js';

/**
 * The push subscriptions as the reminder scheduler reads them: `prime` reads those of a whole
 * batch's users in one query, and `list` answers from that until the next batch (else from the
 * store). Every write goes to the store and drops what was read of that user.
 */
export interface BatchedPushSubscriptions extends PushSubscriptionStore {
  prime(userIds: readonly string[]): Promise<void>;
}

export function createBatchedPushSubscriptions(
  db: Database,
  store: PushSubscriptionStore,
): BatchedPushSubscriptions {
  let primed = new Map<string, PushSubscriptionRecord[]>();
  return {
    async prime(userIds) {
      const rows = await db.query<{
        id: string;
        user_id: string;
        endpoint: string;
        p256dh: string;
        auth: string;
      }>(
        `select id, user_id, endpoint, p256dh, auth from push_subscriptions
         where user_id = any($1::uuid[]) order by created_at, id`,
        [[...userIds]],
      );
      const next = new Map<string, PushSubscriptionRecord[]>(userIds.map((id) => [id, []]));
      for (const row of rows) {
        next.get(row.user_id)?.push({
          id: row.id,
          userId: row.user_id,
          endpoint: row.endpoint,
          p256dh: row.p256dh,
          auth: row.auth,
        });
      }
      primed = next;
    },
    async list(userId) {
      return primed.get(userId)?.map((record) => ({ ...record })) ?? store.list(userId);
    },
    async save(userId, input) {
      primed.delete(userId);
      return store.save(userId, input);
    },
    async remove(userId, id) {
      primed.delete(userId);
      return store.remove(userId, id);
    },
    async removeEndpoint(endpoint) {
      for (const [userId, records] of primed) {
        if (records.some((record) => record.endpoint === endpoint)) primed.delete(userId);
      }
      await store.removeEndpoint(endpoint);
    },
  };
}
