import type { DocStore } from '../persistence/doc-store.js';
import type { DiffResult, DocWorkers } from './doc-workers.js';
import { MalformedMessageError } from './protocol.js';
import type { Room } from './room.js';
import { RoomStateVector, type StructRanges } from './state-vector.js';

/**
 * Sync from stored bytes, without loading documents: the state vector a room announces, and the
 * answer to a client's sync step 1 (a diff of snapshot + log tail against the client's state
 * vector), computed in the document workers. Clients joining the same room at once share one
 * read and one merge; the merged state stays in a cache with a byte budget until the next commit
 * to that room makes it stale.
 */
interface StateEntry {
  version: number;
  state: Uint8Array;
}

interface Waiter {
  stateVector: Uint8Array;
  resolve: (diff: Uint8Array) => void;
  reject: (error: Error) => void;
}

export interface RoomSyncDeps {
  store: DocStore;
  workers: DocWorkers;
  /** Budget of merged states kept between sync step 1 answers (bytes). */
  stateCacheBytes: number;
}

export class RoomSync {
  /** Merged stored states by room name, least recently used first. */
  private readonly states = new Map<string, StateEntry>();
  private stateBytes = 0;
  private readonly batches = new Map<Room, Waiter[]>();
  private readonly loadingVectors = new Map<Room, Promise<RoomStateVector>>();
  /** Ranges committed while a room's state vector was being read, applied after. */
  private readonly committedDuringLoad = new Map<Room, StructRanges[]>();

  constructor(private readonly deps: RoomSyncDeps) {}

  /** The room's state vector, read from the store the first time (shared by callers). */
  stateVector(room: Room): Promise<RoomStateVector> {
    if (room.stateVector) return Promise.resolve(room.stateVector);
    let loading = this.loadingVectors.get(room);
    if (!loading) {
      this.committedDuringLoad.set(room, []);
      loading = this.readStateVector(room).finally(() => {
        this.loadingVectors.delete(room);
        this.committedDuringLoad.delete(room);
      });
      this.loadingVectors.set(room, loading);
    }
    return loading;
  }

  private async readStateVector(room: Room): Promise<RoomStateVector> {
    const version = room.version;
    const stored = await this.deps.store.load(room.name);
    room.tailLength = stored.tailLength;
    room.tailBytes = stored.tailBytes;
    room.snapshotBytes = stored.snapshot?.byteLength ?? 0;
    let vector: RoomStateVector;
    if (stored.tailLength === 0 && stored.stateVector) {
      // A compacted document: its snapshot's state vector is stored beside it.
      vector = new RoomStateVector(stored.stateVector);
      if (stored.snapshot) this.remember(room, version, stored.snapshot);
    } else if (stored.updates.length === 0) {
      vector = RoomStateVector.empty();
    } else {
      const { state, stateVector } = await this.deps.workers.run('state', {
        updates: stored.updates,
        stateVectors: [],
      });
      vector = new RoomStateVector(stateVector);
      this.remember(room, version, state);
    }
    for (const ranges of this.committedDuringLoad.get(room) ?? []) vector.advance(ranges);
    room.stateVector = vector;
    return vector;
  }

  /** Records a committed update of the room: its state vector moves, the merged state is stale. */
  committed(room: Room, ranges: StructRanges, bytes: number): void {
    room.version += 1;
    room.tailLength += 1;
    room.tailBytes += bytes;
    if (room.stateVector) room.stateVector.advance(ranges);
    else this.committedDuringLoad.get(room)?.push(ranges);
    this.forget(room.name);
  }

  /**
   * Records an update another node committed: the state vector moves and the merged state is
   * stale, but this node's idea of the log's tail does not grow (the committing node compacts).
   */
  committedElsewhere(room: Room, ranges: StructRanges): void {
    room.version += 1;
    if (room.stateVector) room.stateVector.advance(ranges);
    else this.committedDuringLoad.get(room)?.push(ranges);
    this.forget(room.name);
  }

  /**
   * What the store holds beyond `stateVectors` (one diff each), read afresh, and the stored
   * state vector: how a node that may have missed other nodes' updates catches up.
   */
  async storedBeyond(
    room: Room | null,
    name: string,
    stateVectors: Uint8Array[],
  ): Promise<{ stateVector: Uint8Array; diffs: Uint8Array[] }> {
    this.forget(name);
    const stored = await this.deps.store.load(name);
    const result = await this.deps.workers.run('state', { updates: stored.updates, stateVectors });
    if (room) {
      room.version += 1;
      room.stateVector?.raise(result.stateVector);
    }
    return {
      stateVector: result.stateVector,
      diffs: result.diffs.map((diff) => {
        if (!diff.ok) throw new MalformedMessageError(diff.error);
        return diff.diff;
      }),
    };
  }

  /** The stored state the client lacks, as one update (sync step 2). */
  answer(room: Room, stateVector: Uint8Array): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      let batch = this.batches.get(room);
      if (!batch) {
        batch = [];
        this.batches.set(room, batch);
        const waiting = batch;
        setImmediate(() => {
          this.batches.delete(room);
          this.answerBatch(room, waiting).catch((error: Error) => {
            for (const waiter of waiting) waiter.reject(error);
          });
        });
      }
      batch.push({ stateVector, resolve, reject });
    });
  }

  private async answerBatch(room: Room, waiting: Waiter[]): Promise<void> {
    const stateVectors = waiting.map((waiter) => waiter.stateVector);
    const cached = this.states.get(room.name);
    let diffs: DiffResult[];
    if (cached && cached.version === room.version) {
      this.touch(room.name, cached);
      diffs = (await this.deps.workers.run('diff', { state: cached.state, stateVectors })).diffs;
    } else {
      const version = room.version;
      const stored = await this.deps.store.load(room.name);
      const result = await this.deps.workers.run('state', {
        updates: stored.updates,
        stateVectors,
      });
      this.remember(room, version, result.state);
      diffs = result.diffs;
    }
    for (const [index, waiter] of waiting.entries()) {
      const result = diffs[index];
      if (result?.ok) waiter.resolve(result.diff);
      else waiter.reject(new MalformedMessageError(result?.error ?? 'invalid state vector'));
    }
  }

  private remember(room: Room, version: number, state: Uint8Array): void {
    if (state.byteLength > this.deps.stateCacheBytes / 4) return;
    this.forget(room.name);
    if (version !== room.version) return; // committed meanwhile: already stale
    const entry = { version, state };
    this.states.set(room.name, entry);
    this.stateBytes += state.byteLength;
    for (const [name, old] of this.states) {
      if (this.stateBytes <= this.deps.stateCacheBytes) break;
      this.states.delete(name);
      this.stateBytes -= old.state.byteLength;
    }
  }

  private touch(name: string, entry: StateEntry): void {
    this.states.delete(name);
    this.states.set(name, entry);
  }

  forget(name: string): void {
    const entry = this.states.get(name);
    if (!entry) return;
    this.states.delete(name);
    this.stateBytes -= entry.state.byteLength;
  }

  get cachedStateBytes(): number {
    return this.stateBytes;
  }
}
