import type * as Y from 'yjs';
import type { Logger } from '../logger.js';
import { socketLogFields } from '../observability/socket-ids.js';
import { QuotaExceededError, StorageUnavailableError } from '../persistence/storage-unavailable.js';
import { AbandonedUpdateError, type UpdateLog } from '../persistence/update-log.js';
import type { Compactor } from './compactor.js';
import type { Connection } from './connection.js';
import type { CachedDoc, DocCache } from './doc-cache.js';
import type { ClusterPublisher, FanOut } from './fan-out.js';
import { CLOSE, encodeDurableAck, encodeUpdate } from './protocol.js';
import type { Room } from './room.js';
import type { RoomSync } from './room-sync.js';
import { type StructRanges, structRangesOf } from './state-vector.js';
import type { UserQuota } from './user-quota.js';

/** A committed change to a document, from a device or from the server (REST, calendar bridge). */
export interface DocumentChange {
  room: string;
  ownerId: string;
  /** The transaction's origin: what made the change (a connection, a server-side writer). */
  origin: unknown;
}

/**
 * The documents a server-side writer (REST, calendar bridge) works on. Writes made inside
 * `write` are collected; `committed` resolves once all of them are durable, or rejects with
 * `StorageUnavailableError`. Nobody else sees them before that.
 */
export interface DocumentLease {
  readonly docs: readonly Y.Doc[];
  write<R>(fn: () => R): R;
  committed(): Promise<void>;
  release(): void;
}

export interface CommitPipelineDeps {
  log: Logger;
  updateLog: UpdateLog;
  sync: RoomSync;
  docs: DocCache;
  fanOut: FanOut;
  /** The other nodes of a cluster, told of every update committed here (null: one node). */
  cluster: ClusterPublisher | null;
  quota: UserQuota;
  compactor: Compactor;
  roomFor(name: string, ownerId: string): Room;
  isClosing(): boolean;
}

/**
 * Everything between an accepted update and what others see of it, for device updates and
 * server-side writes alike: the commit, then the room's state vector, the cached document, the
 * fan-out to other devices, the acknowledgement, the change feed and compaction, in that order.
 * A failed commit shows nothing and stores nothing that depended on it.
 */
export class CommitPipeline {
  private readonly changeListeners = new Set<(change: DocumentChange) => void>();
  /** Commits of the server-side writes made inside the running `DocumentLease.write`. */
  private collecting: Promise<unknown>[] | null = null;

  constructor(private readonly deps: CommitPipelineDeps) {}

  /** A client's sync step 2 with nothing new: acknowledged once all before it is durable. */
  acknowledgeEmpty(connection: Connection): void {
    connection.updatesReceived += 1;
    const count = connection.updatesReceived;
    if (!connection.info.wantsAck) return;
    void connection.durable.then(() => {
      if (!connection.failed) connection.send(encodeDurableAck(count));
    });
  }

  /** A validated device update: committed, then relayed, then acknowledged. */
  acceptUpdate(connection: Connection, update: Uint8Array, ranges: StructRanges): void {
    const room = connection.room;
    const bytes = update.byteLength;
    connection.updatesReceived += 1;
    const count = connection.updatesReceived;
    room.inflight += 1;
    connection.queue(bytes);
    // Held (and read) by the connection already; a failed read was refused before this point,
    // and one that fails now only means the count is re-read by the next holder.
    const usage = this.deps.quota.hold(connection.info.userId);
    void usage.then(
      (quota) => {
        quota.bytes += bytes;
      },
      () => undefined,
    );
    const commit = this.deps.updateLog.append(
      room.name,
      room.ownerId,
      update,
      () => connection.failed,
    );
    const done = commit.then(
      () => {
        this.committed(room, update, ranges, connection, connection, false);
        if (connection.info.wantsAck && !connection.failed) {
          connection.send(encodeDurableAck(count));
        }
      },
      (error: Error) => {
        void usage.then(
          (quota) => {
            quota.bytes -= bytes;
          },
          () => undefined,
        );
        this.uncommitted(connection, error);
      },
    );
    connection.durable = Promise.all([connection.durable, done]).then(() => undefined);
    void done.finally(() => {
      room.inflight -= 1;
      connection.done(bytes);
      this.deps.quota.release(connection.info.userId);
    });
  }

  /**
   * A commit failed: nothing after it from this connection is stored or acknowledged, and the
   * connection closes, so the client reconnects and, since the room's state vector never
   * counted the update, sends it again.
   */
  private uncommitted(connection: Connection, error: Error): void {
    if (error instanceof AbandonedUpdateError || connection.failed) return;
    connection.failed = true;
    this.deps.log.warn('an update failed to commit; the client will resend it', {
      room: connection.room.name,
      ...socketLogFields(connection.info),
      error: error.message,
    });
    connection.close(CLOSE.serverError, 'storage unavailable: reconnect and resend');
  }

  /** Everything that follows a commit: state vector, cached document, fan-out, change feed. */
  private committed(
    room: Room,
    update: Uint8Array,
    ranges: StructRanges,
    origin: unknown,
    except: Connection | null,
    inCache: boolean,
  ): void {
    this.deps.sync.committed(room, ranges, update.byteLength);
    if (!inCache) this.deps.docs.applyCommitted(room.name, update);
    this.deps.fanOut.publish(room, encodeUpdate(update), except);
    this.deps.cluster?.publishUpdate(room.name, room.ownerId, update);
    for (const listener of this.changeListeners) {
      try {
        listener({ room: room.name, ownerId: room.ownerId, origin });
      } catch (error) {
        this.deps.log.error('a document change listener failed', {
          room: room.name,
          error: (error as Error).message,
        });
      }
    }
    if (!this.deps.isClosing() && this.deps.compactor.isDue(room))
      void this.deps.compactor.compact(room);
  }

  /** A write made on the server (REST, bridge) in a cached document: committed, then shown. */
  serverWrite(cached: CachedDoc, update: Uint8Array, origin: unknown): void {
    if (cached.poisoned) {
      // Its document ran ahead of the store: nothing more of it may be stored.
      this.collect(Promise.reject(new StorageUnavailableError()));
      return;
    }
    // Server-side writes are held to the quota like a device's (the lease read the usage).
    const usage = this.deps.quota.current(cached.ownerId);
    if (usage && usage.bytes + update.byteLength > this.deps.quota.limitBytes) {
      this.deps.docs.poison(cached);
      this.collect(Promise.reject(new QuotaExceededError(this.deps.quota.limitBytes)));
      return;
    }
    if (usage) usage.bytes += update.byteLength;
    const room = this.deps.roomFor(cached.name, cached.ownerId);
    room.inflight += 1;
    const ranges = structRangesOf(update);
    const commit = this.deps.updateLog
      .append(room.name, room.ownerId, update, () => cached.poisoned)
      .then(
        () => this.committed(room, update, ranges, origin, null, true),
        (error: Error) => {
          if (!(error instanceof AbandonedUpdateError)) {
            this.deps.log.warn('a server-side write failed to commit', {
              room: room.name,
              error: error.message,
            });
          }
          if (usage) usage.bytes -= update.byteLength;
          this.deps.docs.poison(cached);
          throw new StorageUnavailableError(error);
        },
      )
      .finally(() => {
        room.inflight -= 1;
      });
    this.collect(commit);
  }

  /**
   * Hands a server-side write's commit to the lease it was made under, whose `committed()`
   * reports its failure. It is marked handled at once: the lease's holder may still be
   * awaiting something else (or have thrown) when the commit fails, and an unobserved
   * rejection must not take the process down.
   */
  private collect(commit: Promise<unknown>): void {
    commit.catch(() => undefined);
    this.collecting?.push(commit);
  }

  /**
   * Loads (from the cache) and pins the documents a server-side reader or writer needs. Tell
   * the lease when done; it is what keeps them from being evicted. `transient`: one-off work
   * whose documents leave the cache when it is done, unless someone else uses them.
   */
  async lease(
    ownerId: string,
    names: readonly string[],
    options: { transient?: boolean } = {},
  ): Promise<DocumentLease> {
    let cached: CachedDoc[];
    try {
      // The owner's usage is read first: a write made under the lease is checked against it.
      await this.deps.quota.hold(ownerId);
    } catch (error) {
      throw new StorageUnavailableError(error);
    }
    try {
      cached = await Promise.all(
        names.map((name) => this.deps.docs.acquire(name, ownerId, options.transient ?? false)),
      );
    } catch (error) {
      this.deps.quota.release(ownerId);
      throw new StorageUnavailableError(error);
    }
    const commits: Promise<unknown>[] = [];
    let released = false;
    return {
      docs: cached.map((entry) => entry.doc),
      write: <R>(fn: () => R): R => {
        const outer = this.collecting;
        this.collecting = commits;
        try {
          return fn();
        } finally {
          this.collecting = outer;
        }
      },
      committed: async () => {
        await Promise.all(commits);
      },
      release: () => {
        if (released) return;
        released = true;
        for (const entry of cached) this.deps.docs.release(entry);
        this.deps.quota.release(ownerId);
      },
    };
  }

  /**
   * Tells `listener` of every committed change to a document (device or server-side); returns
   * the function that stops it. A throwing listener is logged, never breaks a write.
   */
  onDocumentChange(listener: (change: DocumentChange) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }
}
