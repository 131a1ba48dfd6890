/**
 * Seeding for the REST benchmark: one large user built in memory through the crdt's own
 * operations (crdt's `buildSampleUser`, as the crdt benchmark, ending now instead of at a
 * fixed date so the 30-day dashboard has data), then written into the server's `documents` table
 * as one snapshot per document, the way compaction leaves them. No HTTP call per record.
 */
import { performance } from 'node:perf_hooks';
import { buildSampleUser, listTasks, monthGuid } from '@tasks/crdt';
import * as Y from 'yjs';
import type { Database } from '../src/db/database.js';

export interface SeedOptions {
  userId: string;
  tasks: number;
  entries: number;
  /** Months of history, ending at `now`. */
  months: number;
  now: number;
  timezone: string;
}

export interface EncodedDocument {
  /** Room name: the user id for the main document, `{userId}/time/{YYYY-MM}` for a month. */
  name: string;
  snapshot: Uint8Array;
  stateVector: Uint8Array;
}

export interface SeededUser {
  documents: EncodedDocument[];
  /** Tasks not in the trash, for PATCH to rotate over. */
  liveTaskIds: string[];
  /** Live tasks matching status=TODO&priority=HIGH (what the list benchmark filters). */
  todoHigh: number;
  trashed: number;
  completed: number;
  buildMs: number;
  encodeMs: number;
}

const DAY = 86_400_000;

export function buildUser(options: SeedOptions): SeededUser {
  const started = performance.now();
  const end = options.now;
  const { docs } = buildSampleUser({
    userId: options.userId,
    tasks: options.tasks,
    entries: options.entries,
    start: end - Math.round(options.months * 30.44 * DAY),
    end,
    timezone: options.timezone,
  });
  const buildMs = performance.now() - started;

  const all = listTasks(docs, { includeDeleted: true });
  const live = all.filter((task) => task.deletedAt === null);
  const encodeStarted = performance.now();
  const encode = (name: string, doc: Y.Doc): EncodedDocument => ({
    name,
    snapshot: Y.encodeStateAsUpdate(doc),
    stateVector: Y.encodeStateVector(doc),
  });
  const documents = [
    encode(options.userId, docs.main),
    ...docs.loadedMonths().map((key) => encode(monthGuid(options.userId, key), docs.month(key))),
  ];
  const encodeMs = performance.now() - encodeStarted;
  const seeded: SeededUser = {
    documents,
    liveTaskIds: live.map((task) => task.id),
    todoHigh: live.filter((task) => task.status === 'TODO' && task.priority === 'HIGH').length,
    trashed: all.length - live.length,
    completed: live.filter((task) => task.status === 'COMPLETED').length,
    buildMs,
    encodeMs,
  };
  docs.destroy();
  return seeded;
}

/**
 * Writes the documents as compacted snapshots (snapshot_seq 0, no log tail), replacing any row
 * of the same name. The server must be stopped: a loaded room would not see the new rows.
 */
export async function writeUserDocuments(
  db: Database,
  userId: string,
  documents: readonly EncodedDocument[],
): Promise<void> {
  await db.transaction(async (tx) => {
    for (const doc of documents) {
      await tx.query('delete from document_updates where name = $1', [doc.name]);
      await tx.query(
        `insert into documents (name, user_id, snapshot, state_vector, snapshot_seq, size_bytes)
         values ($1, $2::uuid, $3, $4, 0, $5)
         on conflict (name) do update set user_id = excluded.user_id, snapshot = excluded.snapshot,
           state_vector = excluded.state_vector, snapshot_seq = 0,
           size_bytes = excluded.size_bytes, updated_at = now()`,
        [doc.name, userId, doc.snapshot, doc.stateVector, doc.snapshot.byteLength],
      );
    }
  });
}
