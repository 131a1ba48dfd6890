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
 * The REST API's way into a user's documents: the very Y.Docs the relay holds, so a REST write
 * is a CRDT change that is persisted and reaches every connected device like a device's edit.
 */
export interface DocumentAccess {
  /**
   * Runs `fn` on the user's main document and the given month documents, loaded. Resolves after
   * any change `fn` made is durable.
   */
  use<R>(
    userId: string,
    months: readonly string[],
    fn: (docs: UserDocs, ctx: DocContext) => R,
    options?: UseOptions,
  ): Promise<R>;
  /** Month keys (`YYYY-MM`) of every month document the user has stored. */
  listMonths(userId: string): Promise<string[]>;
}

export interface UseOptions {
  /**
   * The origin of the main document's transaction `fn` runs in, so change listeners can tell
   * who wrote (the calendar bridge does not sync again on its own writes).
   */
  origin?: unknown;
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
      const [main, ...monthDocs] = await Promise.all([
        deps.relay.openDocument(userId, userId),
        ...unique.map((month) => deps.relay.openDocument(`${userId}/time/${month}`, userId)),
      ]);
      const loaded = new Map(unique.map((month, index) => [month, monthDocs[index] as Y.Doc]));
      const docs = new UserDocs(userId, {
        main: main as Y.Doc,
        months: loaded,
        strictMonths: true,
      });
      // A document that knows no zone yet (created by a device, or before the account's zone was
      // seeded) takes the account's, so REST and the bridge read the user's dates in it.
      if (migrateDocument(docs.main, userId) !== 'newer' && needsAccountTimezone(docs)) {
        const account = await users.findById(userId);
        if (account) seedAccountTimezone(docs, account.timezone);
      }
      // Writes inside `fn` join this transaction and so carry its origin.
      const result =
        options.origin === undefined
          ? fn(docs, ctx)
          : docs.main.transact(() => fn(docs, ctx), options.origin);
      await deps.relay.flush();
      return result;
    },
    async listMonths(userId) {
      const rows = await deps.db.query<{ name: string }>(
        'select name from documents where user_id = $1 and name like $2 order by name',
        [userId, `${userId}/time/%`],
      );
      return rows.map((row) => row.name.slice(`${userId}/time/`.length));
    },
  };
}
