/**
 * Where documents live: a compacted snapshot plus the log of updates appended since. Loading a
 * document = snapshot + tail. Implemented over SQL in `sql-doc-store.ts` (PostgreSQL, PGlite).
 *
 * Compaction deletes exactly the log rows it merged (never "every row up to a sequence"): a
 * sequence number is taken when a row is inserted, not when it commits, so a row with a lower
 * number can become visible after one with a higher number, and another server process may be
 * appending to the same document.
 */
export interface StoredDocument {
  /** The snapshot first (when there is one), then every logged update after it, in order. */
  updates: Uint8Array[];
  /** The compacted snapshot, or null before the first compaction. */
  snapshot: Uint8Array | null;
  /** The snapshot's state vector (null without a snapshot). */
  stateVector: Uint8Array | null;
  /** The snapshot's version: compaction replaces it only while it is still this one. */
  snapshotSeq: number;
  /** Sequence numbers of the log rows after the snapshot, in the order of `updates`' tail. */
  tailSeqs: number[];
  /** Highest log sequence number included. */
  lastSeq: number;
  /** Log entries after the snapshot. */
  tailLength: number;
  /** Bytes of the log entries after the snapshot. */
  tailBytes: number;
  sizeBytes: number;
}

export interface AppendEntry {
  name: string;
  /** The user whose document this is (the row is created with the first append). */
  ownerId: string;
  update: Uint8Array;
}

export interface Compaction {
  snapshot: Uint8Array;
  stateVector: Uint8Array;
  /** The snapshot version the merge started from (`StoredDocument.snapshotSeq`). */
  expectedSnapshotSeq: number;
  /** The log rows merged into `snapshot`: only these are deleted. */
  mergedSeqs: readonly number[];
}

export interface DocStore {
  /** A document never written to loads empty (and leaves no row behind). */
  load(name: string): Promise<StoredDocument>;
  /**
   * Appends updates of any documents in one transaction, creating the rows of documents written
   * for the first time; returns their sequence numbers.
   */
  appendBatch(entries: readonly AppendEntry[]): Promise<number[]>;
  /**
   * Replaces the snapshot and deletes the merged rows, in one transaction, only if the snapshot
   * is still the one the merge started from (compare-and-set). Returns false when another
   * compaction got there first (nothing changed). Rows appended meanwhile stay in the log.
   */
  compact(name: string, compaction: Compaction): Promise<boolean>;
  /** Bytes stored for all of a user's documents (snapshots + logs). */
  userSize(userId: string): Promise<number>;
}
