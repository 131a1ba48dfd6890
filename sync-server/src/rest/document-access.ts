import {
  type DocContext,
  migrateDocument,
  needsAccountTimezone,
  seedAccountTimezone,
  UserDocs,
} from '@tasks/crdt';
import { v7 as uuidv7 } from 'uuid';
import type * as Y from 'yjs';
import { createUserStore } from '../auth/user-store.js';
import type { Database } from '../db/database.js';
import type { Relay } from '../relay/relay.js';

/**
 * The REST API's way into a user's documents: the relay's cached Y.Docs, so a REST write is a
 * CRDT change that is committed and then reaches every connected device like a device's edit.
 */
export interface DocumentAccess {
  /**
   * Runs `fn` on the user's main document and the given month documents, loaded. Resolves after
   * any change `fn` made is durable; rejects with `StorageUnavailableError` when it could not be
   * stored (then nobody saw it).
   */
  use<R>(
    userId: string,
    months: readonly string[],
    fn: (docs: UserDocs, ctx: DocContext) => R,
    options?: UseOptions,
  ): Promise<R>;
  /** Month keys (`YYYY-MM`) of every month document the user has stored. */
  listMonths(userId: string): Promise<string[]>;
  /**
   * Every stored month document of the user with a version that changes whenever anything is
   * committed to it (or it is compacted), without loading any.
   */
  monthVersions(userId: string): Promise<Map<string, string>>;
}

export interface UseOptions {
  /**
   * The origin of the main document's transaction `fn` runs in, so change listeners can tell
   * who wrote (the calendar bridge does not sync again on its own writes).
   */
  origin?: unknown;
  /** One-off work (a nightly job): its documents leave the cache when it is done. */
  transient?: boolean;
}

export function createDocumentAccess(deps: {
  relay: Relay;
  db: Database;
  clock: () => Date;
}): DocumentAccess {
  const ctx: DocContext = { now: deps.clock, newId: () => uuidv7() };
  const users = createUserStore(deps.db);
  return {
    async use(userId, months, fn, options = {}) {
      const unique = [...new Set(months)];
      const lease = await deps.relay.lease(
        userId,
        [userId, ...unique.map((month) => `${userId}/time/${month}`)],
        { transient: options.transient ?? false },
      );
      try {
        const [main, ...monthDocs] = lease.docs as Y.Doc[];
        const loaded = new Map(unique.map((month, index) => [month, monthDocs[index] as Y.Doc]));
        const docs = new UserDocs(userId, {
          main: main as Y.Doc,
          months: loaded,
          strictMonths: true,
        });
        // A document that knows no zone yet (created by a device, or before the account's zone
        // was seeded) takes the account's, so REST and the bridge read the user's dates in it.
        if (
          lease.write(() => migrateDocument(docs.main, userId)) !== 'newer' &&
          needsAccountTimezone(docs)
        ) {
          const account = await users.findById(userId);
          if (account) lease.write(() => seedAccountTimezone(docs, account.timezone));
        }
        // Writes inside `fn` join this transaction and so carry its origin.
        const result = lease.write(() =>
          options.origin === undefined
            ? fn(docs, ctx)
            : docs.main.transact(() => fn(docs, ctx), options.origin),
        );
        // Answer only once this call's own writes are durable (StorageUnavailableError if not).
        await lease.committed();
        return result;
      } finally {
        lease.release();
      }
    },
    async listMonths(userId) {
      const rows = await deps.db.query<{ name: string }>(
        'select name from documents where user_id = $1 and name like $2 order by name',
        [userId, `${userId}/time/%`],
      );
      return rows.map((row) => row.name.slice(`${userId}/time/`.length));
    },
    async monthVersions(userId) {
      // One row, the versions as a JSON object: this runs for every answer that shows tasks
      // (their tracked time), and 36 rows with a timestamp each cost several times more to read.
      const prefix = `${userId}/time/`;
      const rows = await deps.db.query<{ versions: string }>(
        // A commit appends a row with a higher sequence number than any before it; a compaction
        // moves the snapshot's sequence on: so the pair changes with every change, and only then.
        `select coalesce(json_object_agg(substr(d.name, $3),
                  d.snapshot_seq::text || ':' ||
                  coalesce((select max(u.seq) from document_updates u where u.name = d.name), 0)::text),
                  '{}')::text as versions
           from documents d where d.user_id = $1 and d.name like $2`,
        [userId, `${prefix}%`, prefix.length + 1],
      );
      const versions = JSON.parse(rows[0]?.versions ?? '{}') as Record<string, string>;
      return new Map(Object.entries(versions).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    },
  };
}
