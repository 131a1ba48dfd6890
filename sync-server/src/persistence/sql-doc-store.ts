import type { Database } from '../db/database.js';
import type { AppendEntry, DocStore, StoredDocument } from './doc-store.js';

/**
 * Snapshot row (part 0) and log tail (part 1) of one document, read by one statement. A
 * document never written to has no rows.
 */
const LOAD_SQL = `
  select 0 as part, snapshot as data, state_vector, snapshot_seq as seq, size_bytes
    from documents where name = $1
  union all
  select 1 as part, update as data, null, seq, null
    from document_updates where name = $1
  order by part, seq`;

/**
 * A batch of updates in one statement, so one round trip (and one implicit transaction): the
 * rows of documents written for the first time are created, and the updates appended. A
 * document's existing row is neither updated nor locked, so a compaction rewriting its snapshot
 * (which holds the row until it commits) never holds up the commits of live updates; the
 * `not exists` test reads the committed row, where `on conflict` alone would wait for that
 * compaction. The SQL text never changes with the batch's size, so the driver prepares it once
 * per connection; the updates travel as one byte string cut apart by offsets (both drivers take
 * text arrays as literals).
 */
const APPEND_SQL = `
  with created as (
    insert into documents (name, user_id)
    select n.name, n.user_id from unnest($1::text[], $2::uuid[]) as n(name, user_id)
    where not exists (select 1 from documents d where d.name = n.name)
    on conflict (name) do nothing
  )
  insert into document_updates (name, update)
  select u.name, substring($3::bytea from u.start + 1 for u.length)
    from unnest($4::text[], $5::int[], $6::int[]) with ordinality as u(name, start, length, position)
    order by u.position
  returning seq`;

/** A compaction: the snapshot replaced (compare-and-set) and exactly the merged rows deleted. */
const COMPACT_SQL = `
  with won as (
    update documents set snapshot = $2, state_vector = $3, snapshot_seq = $4, updated_at = now(),
      size_bytes = $7
    where name = $1 and snapshot_seq = $5
    returning name
  ), merged as (
    delete from document_updates
    where name = $1 and seq = any($6::bigint[]) and exists (select 1 from won)
  )
  select name from won`;

/** Rows per statement: the byte string of the updates stays well under a statement's limits. */
const MAX_ROWS_PER_STATEMENT = 10_000;

function arrayLiteral(values: readonly (string | number)[]): string {
  return `{${values.map((value) => (typeof value === 'number' ? String(value) : `"${value.replace(/[\\"]/g, '\\$&')}"`)).join(',')}}`;
}

function appendStatement(entries: readonly AppendEntry[]): [string, unknown[]] {
  // Documents in name order, so two processes appending to the same ones lock them alike.
  const owners = new Map<string, string>();
  for (const entry of entries) owners.set(entry.name, entry.ownerId);
  const names = [...owners.keys()].sort();
  const total = entries.reduce((sum, entry) => sum + entry.update.byteLength, 0);
  const bytes = entries.length === 1 ? (entries[0] as AppendEntry).update : new Uint8Array(total);
  const starts: number[] = [];
  let offset = 0;
  for (const entry of entries) {
    if (entries.length > 1) bytes.set(entry.update, offset);
    starts.push(offset);
    offset += entry.update.byteLength;
  }
  return [
    APPEND_SQL,
    [
      arrayLiteral(names),
      arrayLiteral(names.map((name) => owners.get(name) ?? '')),
      bytes,
      arrayLiteral(entries.map((entry) => entry.name)),
      arrayLiteral(starts),
      arrayLiteral(entries.map((entry) => entry.update.byteLength)),
    ],
  ];
}

/** Sequence numbers are taken in insertion order, so ascending order is the entries' order. */
function seqsOf(rows: ReadonlyArray<Record<string, unknown>>): number[] {
  return rows.map((row) => Number(row.seq)).sort((a, b) => a - b);
}

export function createSqlDocStore(db: Database): DocStore {
  return {
    async load(name): Promise<StoredDocument> {
      // One statement, so one snapshot of the database: a compaction committing meanwhile
      // cannot show us half its work. The tail is every row left in the log: compaction
      // deletes exactly the rows it merged.
      const rows = await db.query<{
        part: number;
        data: Uint8Array | null;
        state_vector: Uint8Array | null;
        seq: string | number;
        size_bytes: string | number | null;
      }>(LOAD_SQL, [name]);
      let snapshot: Uint8Array | null = null;
      let stateVector: Uint8Array | null = null;
      let snapshotSeq = 0;
      let snapshotBytes = 0;
      const tailUpdates: Uint8Array[] = [];
      const tailSeqs: number[] = [];
      for (const row of rows) {
        if (Number(row.part) === 0) {
          snapshot = row.data;
          stateVector = row.state_vector;
          snapshotSeq = Number(row.seq);
          snapshotBytes = Number(row.size_bytes ?? 0);
        } else if (row.data) {
          tailUpdates.push(row.data);
          tailSeqs.push(Number(row.seq));
        }
      }
      const tailBytes = tailUpdates.reduce((sum, update) => sum + update.byteLength, 0);
      return {
        updates: snapshot ? [snapshot, ...tailUpdates] : tailUpdates,
        snapshot,
        stateVector,
        snapshotSeq,
        tailSeqs,
        lastSeq: Math.max(snapshotSeq, ...tailSeqs),
        tailLength: tailUpdates.length,
        tailBytes,
        sizeBytes: snapshotBytes + tailBytes,
      };
    },

    async appendBatch(entries: readonly AppendEntry[]): Promise<number[]> {
      if (entries.length === 0) return [];
      if (entries.length <= MAX_ROWS_PER_STATEMENT)
        return db.query(...appendStatement(entries)).then(seqsOf);
      return db.transaction(async (tx) => {
        const seqs: number[] = [];
        for (let offset = 0; offset < entries.length; offset += MAX_ROWS_PER_STATEMENT) {
          const chunk = entries.slice(offset, offset + MAX_ROWS_PER_STATEMENT);
          seqs.push(...seqsOf(await tx.query(...appendStatement(chunk))));
        }
        return seqs;
      });
    },

    async compact(name, { snapshot, stateVector, expectedSnapshotSeq, mergedSeqs }) {
      const nextSeq = Math.max(expectedSnapshotSeq, ...mergedSeqs) + 1;
      // One statement, so the document's row is locked for one round trip only (appends to it
      // wait for that lock). Compare-and-set on the snapshot's version: of two compactions (two
      // server processes) of the same document, the second changes nothing. The size counts
      // the log rows kept; rows appended meanwhile add their bytes themselves.
      const won = await db.query<{ name: string }>(COMPACT_SQL, [
        name,
        snapshot,
        stateVector,
        nextSeq,
        expectedSnapshotSeq,
        // An array literal as text: one form both PostgreSQL drivers accept.
        `{${mergedSeqs.join(',')}}`,
        snapshot.byteLength,
      ]);
      return won.length > 0;
    },

    async userSize(userId) {
      const [row] = await db.query<{ total: string | number | null }>(
        // The snapshots' sizes, and the bytes of the logs after them (appends leave the
        // documents' rows alone).
        `select coalesce((select sum(size_bytes) from documents where user_id = $1), 0)
              + coalesce((select sum(length(u.update)) from document_updates u
                            join documents d on d.name = u.name
                           where d.user_id = $1), 0) as total`,
        [userId],
      );
      return Number(row?.total ?? 0);
    },
  };
}
