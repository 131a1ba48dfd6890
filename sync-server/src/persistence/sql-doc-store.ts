import type { Database } from '../db/database.js';
import type { AppendEntry, DocStore, StoredDocument } from './doc-store.js';

// PostgreSQL accepts at most 65,535 parameters per statement: two per appended update.
const MAX_ROWS_PER_INSERT = 10_000;

export function createSqlDocStore(db: Database): DocStore {
  return {
    async load(name): Promise<StoredDocument> {
      // One transaction, so a compaction running meanwhile cannot show us half its work.
      return db.transaction(async (tx) => {
        const [doc] = await tx.query<{
          snapshot: Uint8Array | null;
          snapshot_seq: string | number;
          size_bytes: string | number;
        }>('select snapshot, snapshot_seq, size_bytes from documents where name = $1', [name]);
        const snapshotSeq = Number(doc?.snapshot_seq ?? 0);
        const tail = await tx.query<{ seq: string | number; update: Uint8Array }>(
          'select seq, update from document_updates where name = $1 and seq > $2 order by seq',
          [name, snapshotSeq],
        );
        const updates = tail.map((row) => row.update);
        if (doc?.snapshot) updates.unshift(doc.snapshot);
        return {
          updates,
          lastSeq: tail.length > 0 ? Number(tail[tail.length - 1]?.seq) : snapshotSeq,
          tailLength: tail.length,
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

    async compact(name, snapshot, stateVector, uptoSeq) {
      await db.transaction(async (tx) => {
        await tx.query('delete from document_updates where name = $1 and seq <= $2', [
          name,
          uptoSeq,
        ]);
        await tx.query(
          `update documents set snapshot = $2, state_vector = $3, snapshot_seq = $4,
             size_bytes = $5 + coalesce((select sum(length(update)) from document_updates where name = $1), 0),
             updated_at = now()
           where name = $1`,
          [name, snapshot, stateVector, uptoSeq, snapshot.byteLength],
        );
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
