/**
 * Where documents live: a compacted snapshot plus the log of updates appended since. Loading a
 * document = snapshot + tail. Implemented over SQL in `sql-doc-store.ts` (PostgreSQL, PGlite).
 */
export interface StoredDocument {
  /** The snapshot first (when there is one), then every logged update after it, in order. */
  updates: Uint8Array[];
  /** Highest log sequence number included. */
  lastSeq: number;
  /** Log entries after the snapshot. */
  tailLength: number;
  sizeBytes: number;
}

export interface AppendEntry {
  name: string;
  /** The user whose document this is (the row is created with the first append). */
  ownerId: string;
  update: Uint8Array;
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
   * Replaces the log up to `uptoSeq` by `snapshot` (which must contain every update up to it).
   * Updates appended meanwhile stay in the log.
   */
  compact(
    name: string,
    snapshot: Uint8Array,
    stateVector: Uint8Array,
    uptoSeq: number,
  ): Promise<void>;
  /** Bytes stored for all of a user's documents (snapshots + logs). */
  userSize(userId: string): Promise<number>;
}
