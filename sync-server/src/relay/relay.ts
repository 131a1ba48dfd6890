import type { WebSocket } from 'ws';
import type * as Y from 'yjs';
import type { Logger } from '../logger.js';
import { socketLogFields } from '../observability/socket-ids.js';
import { traceMessage } from '../observability/trace-messages.js';
import type { DocStore } from '../persistence/doc-store.js';
import { isStorageOutage, StorageUnavailableError } from '../persistence/storage-unavailable.js';
import { UpdateLog } from '../persistence/update-log.js';
import { CommitPipeline, type DocumentChange, type DocumentLease } from './commit-pipeline.js';
import { Compactor } from './compactor.js';
import { Connection, type ConnectionInfo } from './connection.js';
import { DocCache } from './doc-cache.js';
import { DocWorkers } from './doc-workers.js';
import { type ClusterPublisher, createLocalFanOut, type FanOut } from './fan-out.js';
import { type HandlerContext, handleMessage, RelayError } from './message-handler.js';
import {
  CLOSE,
  encodeAwareness,
  encodeSyncStep1,
  encodeUpdate,
  KEEPALIVE_MESSAGE,
  MalformedMessageError,
  MESSAGE_SYNC,
} from './protocol.js';
import { Room } from './room.js';
import { RoomSync } from './room-sync.js';
import { type StructRanges, structRangesOf } from './state-vector.js';
import { TokenBucket } from './token-bucket.js';
import { UpdateDecodeError, UpdateValidator } from './update-validator.js';
import { UserQuota } from './user-quota.js';

export type { ConnectionInfo } from './connection.js';

export interface RelayOptions {
  maxMessagesPerSecond: number;
  docQuotaBytes: number;
  decodeTimeoutMs: number;
  commitWindowMs: number;
  /** Largest message that is not a sync message (sync messages are bounded by the quota). */
  maxFrameBytes?: number;
  /** A room with no connections leaves memory after this long (ms). */
  idleUnloadMs?: number;
  /** Compaction folds the log into a snapshot once the tail has this many updates... */
  compactAfterUpdates?: number;
  /** ...or this many bytes (or half the snapshot's size, if larger). */
  compactTailBytes?: number;
  /** Interval of the one timer that pings sockets, keeps idle lines alive and unloads rooms. */
  heartbeatMs?: number;
  /** Byte budget of loaded documents (REST, calendar bridge), least recently used evicted. */
  docCacheBytes?: number;
  /** Byte budget of merged stored states kept to answer sync step 1. */
  stateCacheBytes?: number;
  /** Uncommitted bytes past which the relay stops reading every socket. */
  maxUncommittedBytes?: number;
  /** Bytes one connection may have received and not yet committed before it is not read. */
  maxConnectionQueuedBytes?: number;
  /** Bytes waiting to be sent past which a connection that does not read is cut. */
  maxSendBufferBytes?: number;
  maxSocketsPerUser?: number;
  /** Presence states one connection may announce, and the size of each. */
  maxAwarenessStates?: number;
  maxAwarenessStateBytes?: number;
  /** Threads answering sync and compacting. */
  docWorkers?: number;
}

export interface RelayDeps {
  store: DocStore;
  log: Logger;
  options: RelayOptions;
  now?: () => number;
  fanOut?: FanOut;
  /** Set on a node of a cluster: the other nodes hear of every update committed here. */
  cluster?: ClusterPublisher;
}

export type { DocumentChange, DocumentLease };
export { StorageUnavailableError };

/** Updates up to this size are decoded on the main thread (see `Relay.decode`). */
const INLINE_DECODE_BYTES = 16 * 1024;
const MiB = 1024 * 1024;

/**
 * The websocket relay: the y-websocket protocol over stored bytes. Every update is validated
 * (time-bounded), committed to the log with group commit, and only then relayed to the room's
 * other connections and acknowledged to its sender (durable before visible). Sync step 1 is
 * answered from snapshot + log tail in a worker; documents are loaded only for server-side
 * readers and writers, in a cache with a byte budget.
 */
export class Relay {
  private readonly rooms = new Map<string, Room>();
  private readonly connections = new Set<Connection>();
  private readonly socketsPerUser = new Map<string, number>();
  private readonly validator: UpdateValidator;
  private readonly workers: DocWorkers;
  readonly updateLog: UpdateLog;
  readonly sync: RoomSync;
  readonly docs: DocCache;
  readonly quota: UserQuota;
  readonly compactor: Compactor;
  private readonly fanOut: FanOut;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly now: () => number;
  private readonly pipeline: CommitPipeline;
  private closing = false;
  private catchingUp: Promise<void> | null = null;
  private catchUpAgain = false;
  /** Catch-ups from the database after cluster messages may have been lost. */
  catchUps = 0;
  private serverPressured = false;
  slowConsumers = 0;
  /** Connections closed for sending more messages than their rate allows (4429). */
  rateLimitedSockets = 0;
  /** What the message handler needs of the relay. */
  private readonly handlerContext: HandlerContext;

  constructor(private readonly deps: RelayDeps) {
    const options = deps.options;
    this.handlerContext = {
      options,
      answerSyncStep1: (room, stateVector) => this.sync.answer(room, stateVector),
      usage: async (userId) => {
        const usage = await this.quota.hold(userId);
        this.quota.release(userId);
        return usage;
      },
      decode: (update) => this.decode(update),
      acceptUpdate: (connection, update, ranges) =>
        this.pipeline.acceptUpdate(connection, update, ranges),
      acknowledgeEmpty: (connection) => this.pipeline.acknowledgeEmpty(connection),
      publish: (room, message, except) => this.fanOut.publish(room, message, except),
    };
    this.now = deps.now ?? Date.now;
    this.fanOut = deps.fanOut ?? createLocalFanOut();
    this.validator = new UpdateValidator({ timeoutMs: options.decodeTimeoutMs });
    this.workers = new DocWorkers(options.docWorkers ?? 1);
    this.updateLog = new UpdateLog(deps.store, deps.log, {
      commitWindowMs: options.commitWindowMs,
      maxQueuedBytes: options.maxUncommittedBytes ?? 64 * MiB,
    });
    this.updateLog.onPressure((pressured) => {
      this.serverPressured = pressured;
      if (pressured) deps.log.warn('commit queue full: not reading sockets until it drains');
      for (const connection of this.connections) connection.serverPressure(pressured);
    });
    this.sync = new RoomSync({
      store: deps.store,
      workers: this.workers,
      stateCacheBytes: options.stateCacheBytes ?? 8 * MiB,
    });
    this.docs = new DocCache({
      store: deps.store,
      log: deps.log,
      budgetBytes: options.docCacheBytes ?? 256 * MiB,
      onLocalUpdate: (cached, update, origin) => this.pipeline.serverWrite(cached, update, origin),
    });
    this.quota = new UserQuota(deps.store, options.docQuotaBytes);
    this.compactor = new Compactor({
      store: deps.store,
      workers: this.workers,
      log: deps.log,
      policy: {
        maxTailUpdates: options.compactAfterUpdates ?? 500,
        maxTailBytes: options.compactTailBytes ?? MiB,
      },
      onCompacted: (room, stateVector) => {
        room.stateVector?.raise(stateVector);
        this.quota.refresh(room.ownerId);
      },
    });
    this.pipeline = new CommitPipeline({
      log: deps.log,
      updateLog: this.updateLog,
      sync: this.sync,
      docs: this.docs,
      fanOut: this.fanOut,
      cluster: deps.cluster ?? null,
      quota: this.quota,
      compactor: this.compactor,
      roomFor: (name, ownerId) => this.roomFor(name, ownerId),
      isClosing: () => this.closing,
    });
    this.heartbeat = setInterval(() => this.tick(), options.heartbeatMs ?? 10_000);
    this.heartbeat.unref();
  }

  handleConnection(ws: WebSocket, info: ConnectionInfo): void {
    if (this.closing) {
      ws.close(CLOSE.serverShutdown, 'server shutting down');
      return;
    }
    const options = this.deps.options;
    const sockets = this.socketsPerUser.get(info.userId) ?? 0;
    if (sockets >= (options.maxSocketsPerUser ?? 32)) {
      ws.close(CLOSE.tooManyConnections, 'too many connections for this user');
      return;
    }
    this.socketsPerUser.set(info.userId, sockets + 1);
    const room = this.roomFor(info.room, info.userId);
    const bucket = new TokenBucket(
      options.maxMessagesPerSecond,
      options.maxMessagesPerSecond * 4,
      this.now,
    );
    const connection = new Connection(
      ws,
      room,
      info,
      bucket,
      {
        maxSendBufferBytes: options.maxSendBufferBytes ?? 8 * MiB,
        maxQueuedBytes: options.maxConnectionQueuedBytes ?? 4 * MiB,
      },
      this.now,
    );
    connection.onSlowConsumer = () => {
      this.slowConsumers += 1;
      this.deps.log.warn('closing a connection that does not read', {
        room: info.room,
        ...socketLogFields(info),
      });
    };
    this.connections.add(connection);
    // A member from now on: every update committed after this point reaches it.
    room.members.add(connection);
    if (this.serverPressured) connection.serverPressure(true);
    ws.binaryType = 'nodebuffer';
    ws.on('pong', () => {
      connection.alive = true;
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => this.receive(connection, data, isBinary));
    ws.on('close', () => this.disconnect(connection));
    ws.on('error', (error) => {
      this.deps.log.warn('websocket error', {
        room: info.room,
        ...socketLogFields(info),
        error: error.message,
      });
    });
    const quota = this.quota.hold(info.userId);
    this.enqueue(connection, 0, async () => {
      await quota;
      // Always open with sync step 1: the client answers with whatever the store lacks.
      const stateVector = await this.sync.stateVector(room);
      connection.send(encodeSyncStep1(stateVector.encode()));
      const presence = room.awareness.snapshot();
      if (presence) connection.send(encodeAwareness(presence));
    });
  }

  private receive(connection: Connection, data: Buffer, isBinary: boolean): void {
    if (connection.closed) return;
    if (!isBinary) {
      connection.close(CLOSE.malformed, 'text frames are not part of the protocol');
      return;
    }
    if (!connection.bucket.take()) {
      this.rateLimitedSockets += 1;
      connection.close(CLOSE.rateLimited, 'too many messages');
      return;
    }
    // Only sync messages may be as large as the quota (a backlog); anything else is small.
    if (data[0] !== MESSAGE_SYNC && data.byteLength > (this.deps.options.maxFrameBytes ?? MiB)) {
      connection.close(CLOSE.messageTooBig, 'message too big');
      return;
    }
    connection.room.lastActive = this.now();
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.enqueue(connection, bytes.byteLength, () =>
      traceMessage(bytes, () => handleMessage(this.handlerContext, connection, bytes)),
    );
  }

  /**
   * Queues work behind the connection's earlier messages. What a client sent before its socket
   * closed is still handled (only a connection the server closed has the rest dropped).
   */
  private enqueue(connection: Connection, bytes: number, work: () => Promise<void>): void {
    const room = connection.room;
    room.inflight += 1;
    connection.queue(bytes);
    connection.chain = connection.chain.then(async () => {
      try {
        if (!connection.closed) await work();
      } catch (error) {
        this.fail(connection, error as Error);
      } finally {
        room.inflight -= 1;
        room.lastActive = this.now();
        connection.done(bytes);
      }
    });
  }

  private fail(connection: Connection, error: Error): void {
    const room = connection.info.room;
    if (error instanceof RelayError) {
      this.deps.log.info('closing connection', {
        room,
        ...socketLogFields(connection.info),
        code: error.closeCode,
        reason: error.message,
      });
      connection.close(error.closeCode, error.message);
    } else if (error instanceof MalformedMessageError) {
      connection.close(CLOSE.malformed, error.message);
    } else if (error instanceof UpdateDecodeError) {
      connection.close(error.timedOut ? CLOSE.decodeTimeout : CLOSE.malformed, error.message);
    } else if (isStorageOutage(error)) {
      // Nothing of it was stored or shown: the client reconnects and sends it again.
      this.deps.log.warn('storage unavailable; closing connection', {
        room,
        ...socketLogFields(connection.info),
        error: error.message,
      });
      connection.close(CLOSE.serverError, 'storage unavailable: reconnect and resend');
    } else {
      this.deps.log.error('connection failed', {
        room,
        ...socketLogFields(connection.info),
        error: error.stack ?? String(error),
      });
      connection.close(CLOSE.serverError, 'server error');
    }
  }

  /**
   * Decodes an update before it is stored and returns its struct ranges. Small ones are decoded
   * here: in the V1 format y-websocket sends, every struct takes bytes of its own, so a lying
   * struct count runs out of input at once (the yjs #687 loop needs the V2 run-length decoders),
   * and their cost is bounded by their size. Larger ones (up to a whole backlog) go to the
   * worker, whose decode has a time bound, so one update can never hold the relay.
   */
  private async decode(update: Uint8Array): Promise<StructRanges> {
    if (update.byteLength > INLINE_DECODE_BYTES) return this.validator.validate(update);
    try {
      return structRangesOf(update);
    } catch (error) {
      throw new MalformedMessageError(`malformed update: ${(error as Error).message}`);
    }
  }

  /**
   * Loads (from the cache) and pins the documents a server-side reader or writer needs; see
   * `CommitPipeline.lease`.
   */
  lease(
    ownerId: string,
    names: readonly string[],
    options: { transient?: boolean } = {},
  ): Promise<DocumentLease> {
    return this.pipeline.lease(ownerId, names, options);
  }

  /** A document as the server holds it now (for tests and tools that only read it). */
  async openDocument(name: string, ownerId: string): Promise<Y.Doc> {
    const lease = await this.lease(ownerId, [name]);
    lease.release();
    return lease.docs[0] as Y.Doc;
  }

  /**
   * Closes every socket of a user (their sessions ended or the account was deleted): nothing
   * they sent that is not yet committed is stored, and their cached documents are dropped.
   */
  closeUser(userId: string, code: number, reason: string): void {
    for (const connection of this.connections) {
      if (connection.info.userId !== userId) continue;
      connection.failed = true;
      connection.close(code, reason);
    }
    this.docs.dropOwner(userId);
  }

  /**
   * An update another node of the cluster committed: relayed to this node's devices in the
   * room and applied to the cached copy, like one committed here (its change listeners ran on
   * the node that committed it).
   */
  applyRemote(name: string, ownerId: string, update: Uint8Array): void {
    if (this.closing) return;
    const room = this.rooms.get(name);
    if (room && room.ownerId === ownerId) {
      this.sync.committedElsewhere(room, structRangesOf(update));
      this.fanOut.publish(room, encodeUpdate(update), null);
    }
    this.docs.applyCommitted(name, update);
  }

  /**
   * Other nodes' updates may have been lost on their way (Redis was down, a node died before
   * publishing): every document this node serves is read again from the database, and its
   * devices and cached copy get what they lack. Runs once at a time; a gap found meanwhile runs
   * it again afterwards.
   */
  catchUp(): Promise<void> {
    if (this.catchingUp) {
      this.catchUpAgain = true;
      return this.catchingUp;
    }
    const run = async () => {
      do {
        this.catchUpAgain = false;
        await this.catchUpOnce();
      } while (this.catchUpAgain && !this.closing);
    };
    this.catchingUp = run().finally(() => {
      this.catchingUp = null;
    });
    return this.catchingUp;
  }

  private async catchUpOnce(): Promise<void> {
    const cached = new Map(
      this.docs.loadedStateVectors().map((entry) => [entry.name, entry.stateVector]),
    );
    const names = new Set(cached.keys());
    for (const [name, room] of this.rooms) {
      if (room.stateVector) names.add(name);
      else this.sync.forget(name);
    }
    const queue = [...names];
    const worker = async () => {
      for (let name = queue.shift(); name !== undefined && !this.closing; name = queue.shift()) {
        try {
          await this.catchUpDocument(name, cached.get(name) ?? null);
        } catch (error) {
          this.deps.log.warn('catching up a document failed', {
            room: name,
            error: (error as Error).message,
          });
        }
      }
    };
    // A few at a time: the live commits share the database and the workers.
    await Promise.all(Array.from({ length: 4 }, worker));
    this.catchUps += 1;
  }

  private async catchUpDocument(name: string, cachedVector: Uint8Array | null): Promise<void> {
    const room = this.rooms.get(name) ?? null;
    const roomVector = room?.stateVector?.encode() ?? null;
    const vectors = [roomVector, cachedVector].filter((v): v is Uint8Array => v !== null);
    if (vectors.length === 0) return;
    const { diffs } = await this.sync.storedBeyond(room, name, vectors);
    let index = 0;
    if (room && roomVector) {
      const diff = diffs[index++] as Uint8Array;
      // An empty update is two bytes (no structs, no deletions).
      if (diff.byteLength > 2) this.fanOut.publish(room, encodeUpdate(diff), null);
    }
    if (cachedVector) this.docs.applyCommitted(name, diffs[index] as Uint8Array);
  }

  /** Tells `listener` of every committed change to a document; returns how to stop it. */
  onDocumentChange(listener: (change: DocumentChange) => void): () => void {
    return this.pipeline.onDocumentChange(listener);
  }

  /** Resolves when every change made so far has been committed (or has failed). */
  flush(): Promise<void> {
    return this.updateLog.flush();
  }

  private roomFor(name: string, ownerId: string): Room {
    let room = this.rooms.get(name);
    if (!room) {
      room = new Room(name, ownerId, this.now());
      this.rooms.set(name, room);
    }
    return room;
  }

  private disconnect(connection: Connection): void {
    if (!this.connections.delete(connection)) return;
    const userId = connection.info.userId;
    const sockets = (this.socketsPerUser.get(userId) ?? 1) - 1;
    if (sockets <= 0) this.socketsPerUser.delete(userId);
    else this.socketsPerUser.set(userId, sockets);
    void connection.chain.finally(() => this.quota.release(userId));
    const room = connection.room;
    room.members.delete(connection);
    room.lastActive = this.now();
    const removal = room.awareness.remove(connection.awarenessClients);
    if (removal) this.fanOut.publish(room, encodeAwareness(removal), null);
  }

  /** The one periodic task: liveness pings, keepalive messages, forgetting idle rooms. */
  private tick(): void {
    const now = this.now();
    const heartbeatMs = this.deps.options.heartbeatMs ?? 10_000;
    for (const connection of this.connections) {
      // A socket the relay stopped reading (backpressure) cannot show us its pongs.
      if (connection.ws.isPaused) connection.alive = true;
      if (!connection.alive) {
        connection.ws.terminate();
        continue;
      }
      connection.alive = false;
      connection.ws.ping();
      // The stock client reconnects after 30 s without a message; pings do not reach it.
      if (now - connection.lastSent >= heartbeatMs) connection.send(KEEPALIVE_MESSAGE);
    }
    const idleMs = this.deps.options.idleUnloadMs ?? 60_000;
    for (const [name, room] of this.rooms) {
      if (!room.isIdle(now, idleMs)) continue;
      if (room.tailLength > 0 && !this.closing) {
        void this.compactor.compact(room);
        continue;
      }
      this.sync.forget(name);
      this.rooms.delete(name);
    }
  }

  stats() {
    return {
      connections: this.connections.size,
      rooms: this.rooms.size,
      loadedDocuments: this.docs.size,
      docCacheBytes: this.docs.bytes,
      docCacheEvictions: this.docs.evictions,
      stateCacheBytes: this.sync.cachedStateBytes,
      uncommittedBytes: this.updateLog.uncommittedBytes,
      peakUncommittedBytes: this.updateLog.peakUncommittedBytes,
      trackedUsers: this.quota.trackedUsers,
      slowConsumers: this.slowConsumers,
      rateLimitedSockets: this.rateLimitedSockets,
    };
  }

  /** Stops accepting, closes every socket (clients reconnect elsewhere), flushes the log. */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.heartbeat);
    // Sockets close, but what their clients already sent is handled and committed first.
    const open = [...this.connections];
    for (const connection of open) connection.ws.close(CLOSE.serverShutdown, 'server restarting');
    await Promise.all(open.map((c) => c.chain));
    await this.updateLog.flush();
    await Promise.all(open.map((c) => c.durable));
    await Promise.all([...this.rooms.values()].map((room) => room.compacting));
    await this.validator.close();
    await this.workers.close();
    this.docs.clear();
    this.rooms.clear();
  }
}
