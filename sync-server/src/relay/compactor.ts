import type { Logger } from '../logger.js';
import type { DocStore } from '../persistence/doc-store.js';
import type { DocWorkers } from './doc-workers.js';
import type { Room } from './room.js';

export interface CompactionPolicy {
  /** Compact once the log after the snapshot has this many entries... */
  maxTailUpdates: number;
  /** ...or this many bytes, or more than half the snapshot's size, whichever is larger. */
  maxTailBytes: number;
}

/**
 * Folds a document's log into its snapshot: read snapshot + tail, merge them in a document
 * worker (a garbage-collected snapshot, never encoded on the main thread), then replace the
 * snapshot and delete exactly the merged rows under a compare-and-set on the snapshot's version.
 * One compaction at a time in this process (they are background work: many rooms crossing
 * their threshold together must not take every database connection, or hold the rows, that
 * the commits of live updates wait for); a second process compacting the same document loses
 * the compare-and-set and changes nothing.
 */
export class Compactor {
  compactions = 0;
  lostRaces = 0;
  /** The compactions of this process, one after the other. */
  private line: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: {
      store: DocStore;
      workers: DocWorkers;
      log: Logger;
      policy: CompactionPolicy;
      /** After a compaction that changed the store (the owner's size shrank). */
      onCompacted: (room: Room, stateVector: Uint8Array) => void;
    },
  ) {}

  /**
   * A compaction rewrites the whole snapshot, so both thresholds grow with it: per MiB of
   * snapshot, `maxTailUpdates` more entries. What compaction costs per update stays the same
   * for a 4 MiB document as for a small one (it was rewritten every 500 writes, about once a
   * second under REST load, and the commits behind it waited).
   */
  isDue(room: Room): boolean {
    const { maxTailUpdates, maxTailBytes } = this.deps.policy;
    const snapshotMiB = room.snapshotBytes / (1024 * 1024);
    return (
      room.tailLength >= maxTailUpdates * Math.max(1, snapshotMiB) ||
      room.tailBytes >= Math.max(maxTailBytes, room.snapshotBytes / 2)
    );
  }

  /** Queues a compaction of the room unless one is queued or running; resolves when done. */
  compact(room: Room): Promise<void> {
    if (!room.compacting) {
      const next = this.line.then(() => this.run(room));
      this.line = next;
      room.compacting = next.finally(() => {
        room.compacting = null;
      });
    }
    return room.compacting;
  }

  private async run(room: Room): Promise<void> {
    try {
      const stored = await this.deps.store.load(room.name);
      if (stored.tailLength === 0) return;
      const { snapshot, stateVector } = await this.deps.workers.run('compact', {
        updates: stored.updates,
      });
      const won = await this.deps.store.compact(room.name, {
        snapshot,
        stateVector,
        expectedSnapshotSeq: stored.snapshotSeq,
        mergedSeqs: stored.tailSeqs,
      });
      if (!won) {
        this.lostRaces += 1;
        return;
      }
      this.compactions += 1;
      room.tailLength = Math.max(0, room.tailLength - stored.tailLength);
      room.tailBytes = Math.max(0, room.tailBytes - stored.tailBytes);
      room.snapshotBytes = snapshot.byteLength;
      this.deps.onCompacted(room, stateVector);
    } catch (error) {
      this.deps.log.error('compaction failed', {
        room: room.name,
        error: (error as Error).message,
      });
    }
  }
}
