import type { Database } from '../db/database.js';
import type { AppendEntry, DocStore, StoredDocument } from './doc-store.js';

// PostgreSQL accepts at most 65,535 parameters per statement: two per appended update.
const MAX_ROWS_PER_INSERT = 10_000;

export function createSqlDocStore(db: Database): DocStore {
  return {
    async load(name): Promise<StoredDocument> {
      // One transaction, so a compaction running meanwhile cannot show us half its work. The
      // tail is every row left in the log: compaction deletes exactly the rows it merged.
      return db.transaction(async (tx) => {
        const [doc] = await tx.query<{
          snapshot: Uint8Array | null;
          state_vector: Uint8Array | null;
          snapshot_seq: string | number;
          size_bytes: string | number;
        }>(
          'select snapshot, state_vector, snapshot_seq, size_bytes from documents where name = $1',
          [name],
        );
        const snapshotSeq = Number(doc?.snapshot_seq ?? 0);
        const tail = await tx.query<{ seq: string | number; update: Uint8Array }>(
          'select seq, update from document_updates where name = $1 order by seq',
          [name],
        );
        const tailUpdates = tail.map((row) => row.update);
        const tailSeqs = tail.map((row) => Number(row.seq));
        const snapshot = doc?.snapshot ?? null;
        return {
          updates: snapshot ? [snapshot, ...tailUpdates] : tailUpdates,
          snapshot,
          stateVector: doc?.state_vector ?? null,
          snapshotSeq,
          tailSeqs,
          lastSeq: Math.max(snapshotSeq, ...tailSeqs),
          tailLength: tail.length,
          tailBytes: tailUpdates.reduce((sum, update) => sum + update.byteLength, 0),
          sizeBytes: Number(doc?.size_bytes ?? 0),
        };
      });
    },

    async appendBatch(entries: readonly AppendEntry[]): Promise<number[]> {
      if (entries.length === 0) return [];
      return db.transaction(async (tx) => {
        const owners = new Map(entries.map((entry) => [entry.name, entry.ownerId]));
        const ownerParams: unknown[] = [];
        const ownerRows = [...owners].map(([name, ownerId], index) => {
          ownerParams.push(name, ownerId);
          return `($${index * 2 + 1}, $${index * 2 + 2}::uuid)`;
        });
        await tx.query(
          `insert into documents (name, user_id) values ${ownerRows.join(', ')} on conflict (name) do nothing`,
          ownerParams,
        );
        const seqs: number[] = [];
        for (let offset = 0; offset < entries.length; offset += MAX_ROWS_PER_INSERT) {
          const chunk = entries.slice(offset, offset + MAX_ROWS_PER_INSERT);
          const params: unknown[] = [];
          const values = chunk.map((entry, index) => {
            params.push(entry.name, entry.update);
            return `($${index * 2 + 1}, $${index * 2 + 2})`;
          });
          const rows = await tx.query<{ seq: string | number }>(
            `insert into document_updates (name, update) values ${values.join(', ')} returning seq`,
            params,
          );
          // Rows come back in insertion order for a multi-row VALUES insert.
          seqs.push(...rows.map((row) => Number(row.seq)));
        }
        const added = new Map<string, number>();
        for (const entry of entries) {
          added.set(entry.name, (added.get(entry.name) ?? 0) + entry.update.byteLength);
        }
        const names = [...added.keys()];
        const params: unknown[] = [];
        const rows = names.map((name, index) => {
          params.push(name, added.get(name));
          return `($${index * 2 + 1}::text, $${index * 2 + 2}::bigint)`;
        });
        await tx.query(
          `update documents d set size_bytes = d.size_bytes + v.added, updated_at = now()
           from (values ${rows.join(', ')}) as v(name, added) where d.name = v.name`,
          params,
        );
        return seqs;
      });
    },

    async compact(name, { snapshot, stateVector, expectedSnapshotSeq, mergedSeqs }) {
      const nextSeq = Math.max(expectedSnapshotSeq, ...mergedSeqs) + 1;
      return db.transaction(async (tx) => {
        // Compare-and-set on the snapshot's version: of two compactions (two server processes)
        // of the same document, the second changes nothing.
        const won = await tx.query<{ name: string }>(
          `update documents set snapshot = $2, state_vector = $3, snapshot_seq = $4, updated_at = now()
           where name = $1 and snapshot_seq = $5 returning name`,
          [name, snapshot, stateVector, nextSeq, expectedSnapshotSeq],
        );
        if (won.length === 0) return false;
        if (mergedSeqs.length > 0) {
          await tx.query(
            'delete from document_updates where name = $1 and seq = any($2::bigint[])',
            // An array literal as text: one form both PostgreSQL drivers accept.
            [name, `{${mergedSeqs.join(',')}}`],
          );
        }
        await tx.query(
          `update documents set size_bytes = $2 +
             coalesce((select sum(length(update)) from document_updates where name = $1), 0)
           where name = $1`,
          [name, snapshot.byteLength],
        );
        return true;
      });
    },

    async userSize(userId) {
      const [row] = await db.query<{ total: string | number | null }>(
        'select coalesce(sum(size_bytes), 0) as total from documents where user_id = $1',
        [userId],
      );
      return Number(row?.total ?? 0);
    },
  };
}
