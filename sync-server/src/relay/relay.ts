import type { WebSocket } from 'ws';
import * as Y from 'yjs';
import type { Logger } from '../logger.js';
import type { DocStore } from '../persistence/doc-store.js';
import { UpdateLog } from '../persistence/update-log.js';
import { decodeAwarenessUpdate } from './awareness-states.js';
import {
  CLOSE,
  encodeAwareness,
  encodeDurableAck,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeUpdate,
  KEEPALIVE_MESSAGE,
  MalformedMessageError,
  readClientMessage,
} from './protocol.js';
import { MEMBER_ORIGIN, Room, type RoomMember } from './room.js';
import { TokenBucket } from './token-bucket.js';
import { UpdateDecodeError, UpdateValidator } from './update-validator.js';

export interface RelayOptions {
  maxMessagesPerSecond: number;
  docQuotaBytes: number;
  decodeTimeoutMs: number;
  commitWindowMs: number;
  /** A room with no connections leaves memory after this long (ms). */
  idleUnloadMs?: number;
  /** Compaction folds the log into a snapshot once the tail is this long. */
  compactAfterUpdates?: number;
  /** Interval of the one timer that pings sockets, keeps idle lines alive and unloads rooms. */
  heartbeatMs?: number;
}

/** A change to a loaded document, from a device or from the server (REST, calendar bridge). */
export interface DocumentChange {
  room: string;
  ownerId: string;
  /** The transaction's origin: what made the change (a connection, a server-side writer). */
  origin: unknown;
}

export interface RelayDeps {
  store: DocStore;
  log: Logger;
  options: RelayOptions;
  now?: () => number;
}

export interface ConnectionInfo {
  userId: string;
  room: string;
  /** The client opted into durable acknowledgements (`?ack=1`). */
  wantsAck: boolean;
}

/** Updates up to this size are decoded on the main thread (see `Relay.validate`). */
const INLINE_DECODE_BYTES = 16 * 1024;

/** An update with no structs and an empty delete set (what a client up to date sends). */
function isEmptyUpdate(update: Uint8Array): boolean {
  return update.byteLength === 2 && update[0] === 0 && update[1] === 0;
}

class RelayError extends Error {
  constructor(
    readonly closeCode: number,
    message: string,
  ) {
    super(message);
  }
}

/** One websocket in one room. Messages are handled strictly in arrival order. */
class Connection implements RoomMember {
  readonly [MEMBER_ORIGIN] = true;
  readonly awarenessClients = new Set<number>();
  updatesReceived = 0;
  lastSent: number;
  alive = true;
  closed = false;
  chain: Promise<void> = Promise.resolve();

  constructor(
    readonly ws: WebSocket,
    readonly room: Room,
    readonly info: ConnectionInfo,
    readonly bucket: TokenBucket,
    now: number,
  ) {
    this.lastSent = now;
  }

  send(message: Uint8Array): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(message, { binary: true });
    this.lastSent = Date.now();
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    // Close reasons are limited to 123 bytes by the protocol.
    this.ws.close(code, reason.slice(0, 120));
  }
}

/**
 * The websocket relay: y-websocket protocol, every update validated (time-bounded), applied to
 * the room's document, relayed to the room's other connections and appended to the log with
 * group commit; clients that opted in hear when their updates are durable.
 */
export class Relay {
  private readonly rooms = new Map<string, Room>();
  private readonly connections = new Set<Connection>();
  private readonly userBytes = new Map<string, Promise<{ bytes: number }>>();
  private readonly validator: UpdateValidator;
  readonly updateLog: UpdateLog;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly now: () => number;
  private closing = false;

  constructor(private readonly deps: RelayDeps) {
    this.now = deps.now ?? Date.now;
    this.validator = new UpdateValidator({ timeoutMs: deps.options.decodeTimeoutMs });
    this.updateLog = new UpdateLog(deps.store, deps.log, {
      commitWindowMs: deps.options.commitWindowMs,
    });
    this.heartbeat = setInterval(() => this.tick(), deps.options.heartbeatMs ?? 10_000);
    this.heartbeat.unref();
  }

  handleConnection(ws: WebSocket, info: ConnectionInfo): void {
    if (this.closing) {
      ws.close(CLOSE.serverShutdown, 'server shutting down');
      return;
    }
    const room = this.roomFor(info.room, info.userId);
    const { maxMessagesPerSecond } = this.deps.options;
    const bucket = new TokenBucket(maxMessagesPerSecond, maxMessagesPerSecond * 4, this.now);
    const connection = new Connection(ws, room, info, bucket, this.now());
    this.connections.add(connection);
    room.members.add(connection);
    ws.binaryType = 'nodebuffer';
    ws.on('pong', () => {
      connection.alive = true;
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => this.receive(connection, data, isBinary));
    ws.on('close', () => this.disconnect(connection));
    ws.on('error', (error) => {
      this.deps.log.warn('websocket error', { room: info.room, error: error.message });
    });
    this.enqueue(connection, async () => {
      const doc = await this.loadRoom(room);
      await this.userQuota(info.userId);
      // Always open with sync step 1: the client answers with whatever the server lacks.
      connection.send(encodeSyncStep1(Y.encodeStateVector(doc)));
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
      connection.close(CLOSE.rateLimited, 'too many messages');
      return;
    }
    connection.room.lastActive = this.now();
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.enqueue(connection, () => this.handleMessage(connection, bytes));
  }

  /**
   * Queues work behind the connection's earlier messages. What a client sent before its socket
   * closed is still applied and stored (only a connection the server closed for misbehaving has
   * the rest of its messages dropped), and its room stays loaded until the queue is empty.
   */
  private enqueue(connection: Connection, work: () => Promise<void>): void {
    const room = connection.room;
    room.inflight += 1;
    connection.chain = connection.chain.then(async () => {
      try {
        if (!connection.closed) await work();
      } catch (error) {
        this.fail(connection, error as Error);
      } finally {
        room.inflight -= 1;
        room.lastActive = this.now();
      }
    });
  }

  private fail(connection: Connection, error: Error): void {
    const room = connection.info.room;
    if (error instanceof RelayError) {
      this.deps.log.info('closing connection', {
        room,
        code: error.closeCode,
        reason: error.message,
      });
      connection.close(error.closeCode, error.message);
    } else if (error instanceof MalformedMessageError) {
      connection.close(CLOSE.malformed, error.message);
    } else if (error instanceof UpdateDecodeError) {
      connection.close(error.timedOut ? CLOSE.decodeTimeout : CLOSE.malformed, error.message);
    } else {
      this.deps.log.error('connection failed', { room, error: error.stack ?? String(error) });
      connection.close(1011, 'server error');
    }
  }

  private async handleMessage(connection: Connection, bytes: Uint8Array): Promise<void> {
    const message = readClientMessage(bytes);
    const room = connection.room;
    const doc = await this.loadRoom(room);
    switch (message.type) {
      case 'sync-step-1': {
        let diff: Uint8Array;
        try {
          diff = Y.encodeStateAsUpdate(doc, message.stateVector);
        } catch {
          throw new MalformedMessageError('invalid state vector');
        }
        connection.send(encodeSyncStep2(diff));
        return;
      }
      case 'update':
        await this.handleUpdate(connection, doc, message.update);
        return;
      case 'awareness': {
        let entries: ReturnType<typeof decodeAwarenessUpdate>;
        try {
          entries = decodeAwarenessUpdate(message.update);
        } catch (error) {
          throw new MalformedMessageError(`invalid awareness update: ${(error as Error).message}`);
        }
        for (const id of room.awareness.apply(entries)) connection.awarenessClients.add(id);
        this.broadcast(room, encodeAwareness(message.update), connection);
        return;
      }
      case 'query-awareness': {
        const presence = room.awareness.snapshot();
        if (presence) connection.send(encodeAwareness(presence));
        return;
      }
      case 'auth':
        return;
    }
  }

  private async handleUpdate(connection: Connection, doc: Y.Doc, update: Uint8Array) {
    if (isEmptyUpdate(update)) {
      // A client's sync step 2 when it has nothing new: nothing to store or relay, but it still
      // counts as a message, so its ack waits for everything before it to be durable.
      connection.updatesReceived += 1;
      const count = connection.updatesReceived;
      if (connection.info.wantsAck) {
        void this.updateLog.flush().then(() => connection.send(encodeDurableAck(count)));
      }
      return;
    }
    const { userId } = connection.info;
    const quota = await this.userQuota(userId);
    if (quota.bytes + update.byteLength > this.deps.options.docQuotaBytes) {
      throw new RelayError(CLOSE.quotaExceeded, 'document quota exceeded');
    }
    await this.validate(update);
    try {
      Y.applyUpdate(doc, update, connection);
    } catch (error) {
      throw new MalformedMessageError(`update does not apply: ${(error as Error).message}`);
    }
    const room = connection.room;
    this.broadcast(room, encodeUpdate(update), connection);
    quota.bytes += update.byteLength;
    connection.updatesReceived += 1;
    const count = connection.updatesReceived;
    this.persist(room, update).then(
      () => {
        if (connection.info.wantsAck) connection.send(encodeDurableAck(count));
      },
      () => {
        // Not durable: closing makes the client reconnect and send it again (sync step 1).
        connection.close(1011, 'storage unavailable');
      },
    );
  }

  /**
   * Decodes an update before it touches the document. Small ones are decoded here: in the V1
   * format y-websocket sends, every struct takes bytes of its own, so a lying struct count runs
   * out of input at once (the yjs #687 loop needs the V2 run-length decoders), and their cost is
   * bounded by their size. Larger ones go to the worker, whose decode has a time bound, so one
   * update can never hold the relay.
   */
  private async validate(update: Uint8Array): Promise<void> {
    if (update.byteLength > INLINE_DECODE_BYTES) {
      await this.validator.validate(update);
      return;
    }
    try {
      Y.decodeUpdate(update);
    } catch (error) {
      throw new MalformedMessageError(`malformed update: ${(error as Error).message}`);
    }
  }

  /** Appends an update to the log; resolves once committed. Triggers compaction when due. */
  private async persist(room: Room, update: Uint8Array): Promise<void> {
    const seq = await this.updateLog.append(room.name, room.ownerId, update);
    room.committedSeq = Math.max(room.committedSeq, seq);
    room.tailLength += 1;
    room.tailBytes += update.byteLength;
    if (room.tailLength >= (this.deps.options.compactAfterUpdates ?? 500)) this.compact(room);
  }

  /** A change made on the server (REST, bridge): persist it and send it to every connection. */
  private readonly changeListeners = new Set<(change: DocumentChange) => void>();

  /**
   * Tells `listener` of every change to a loaded document once applied (not of loading one);
   * returns the function that stops it. A throwing listener is logged, never breaks a write.
   */
  onDocumentChange(listener: (change: DocumentChange) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  private onChange = (room: Room, origin: unknown): void => {
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
  };

  private onServerUpdate = (room: Room, update: Uint8Array): void => {
    this.broadcast(room, encodeUpdate(update), null);
    void this.userQuota(room.ownerId).then((quota) => {
      quota.bytes += update.byteLength;
    });
    this.persist(room, update).catch((error: Error) => {
      this.deps.log.error('server-side change not persisted', {
        room: room.name,
        error: error.message,
      });
    });
  };

  private broadcast(room: Room, message: Uint8Array, except: RoomMember | null): void {
    for (const member of room.members) if (member !== except) member.send(message);
  }

  private roomFor(name: string, ownerId: string): Room {
    let room = this.rooms.get(name);
    if (!room) {
      room = new Room(name, ownerId, this.now());
      this.rooms.set(name, room);
    }
    return room;
  }

  private loadRoom(room: Room): Promise<Y.Doc> {
    return room.load(this.deps.store, this.deps.log, this.onServerUpdate, this.onChange);
  }

  private userQuota(userId: string): Promise<{ bytes: number }> {
    let quota = this.userBytes.get(userId);
    if (!quota) {
      quota = this.deps.store.userSize(userId).then((bytes) => ({ bytes }));
      quota.catch(() => this.userBytes.delete(userId));
      this.userBytes.set(userId, quota);
    }
    return quota;
  }

  /**
   * A room's loaded document, for the REST API and the calendar bridge. Changes made to it are
   * persisted and broadcast like a device's edit; `flush` resolves once they are durable.
   */
  async openDocument(name: string, ownerId: string): Promise<Y.Doc> {
    const room = this.roomFor(name, ownerId);
    room.lastActive = this.now();
    return this.loadRoom(room);
  }

  /** Resolves when every change made so far has been committed. */
  flush(): Promise<void> {
    return this.updateLog.flush();
  }

  private disconnect(connection: Connection): void {
    this.connections.delete(connection);
    const room = connection.room;
    room.members.delete(connection);
    room.lastActive = this.now();
    const removal = room.awareness.remove(connection.awarenessClients);
    if (removal) this.broadcast(room, encodeAwareness(removal), null);
  }

  /** Folds the room's log into a snapshot, in the background, one at a time per room. */
  private compact(room: Room): void {
    // After close() began, the room's document is about to be let go: the log stays as it is.
    if (this.closing || room.compacting || !room.doc) return;
    const doc = room.doc;
    const uptoSeq = room.committedSeq;
    const tailAtStart = room.tailLength;
    const bytesAtStart = room.tailBytes;
    room.compacting = (async () => {
      try {
        const snapshot = Y.encodeStateAsUpdate(doc);
        await this.deps.store.compact(room.name, snapshot, Y.encodeStateVector(doc), uptoSeq);
        room.tailLength = Math.max(0, room.tailLength - tailAtStart);
        room.tailBytes = Math.max(0, room.tailBytes - bytesAtStart);
        const bytes = await this.deps.store.userSize(room.ownerId);
        this.userBytes.set(room.ownerId, Promise.resolve({ bytes }));
      } catch (error) {
        this.deps.log.error('compaction failed', {
          room: room.name,
          error: (error as Error).message,
        });
      } finally {
        room.compacting = null;
      }
    })();
  }

  /** The one periodic task: liveness pings, keepalive messages, unloading idle rooms. */
  private tick(): void {
    const now = this.now();
    const heartbeatMs = this.deps.options.heartbeatMs ?? 10_000;
    for (const connection of this.connections) {
      if (!connection.alive) {
        connection.ws.terminate();
        continue;
      }
      connection.alive = false;
      connection.ws.ping();
      // The stock client reconnects after 30 s without a message; pings do not reach it.
      if (Date.now() - connection.lastSent >= heartbeatMs) connection.send(KEEPALIVE_MESSAGE);
    }
    const idleMs = this.deps.options.idleUnloadMs ?? 60_000;
    for (const [name, room] of this.rooms) {
      if (!room.isIdle(now, idleMs)) continue;
      if (room.tailLength > 0 && room.doc) {
        this.compact(room);
        continue;
      }
      room.unload();
      this.rooms.delete(name);
    }
  }

  stats() {
    let loaded = 0;
    for (const room of this.rooms.values()) if (room.doc) loaded += 1;
    return { connections: this.connections.size, rooms: this.rooms.size, loadedDocuments: loaded };
  }

  /** Stops accepting, closes every socket (clients reconnect elsewhere), flushes the log. */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.heartbeat);
    // Sockets close, but what their clients already sent is applied and committed first.
    const open = [...this.connections];
    for (const connection of open) connection.ws.close(CLOSE.serverShutdown, 'server restarting');
    await Promise.all(open.map((c) => c.chain));
    await this.updateLog.flush();
    await Promise.all([...this.rooms.values()].map((room) => room.compacting));
    await this.validator.close();
    for (const room of this.rooms.values()) room.unload();
    this.rooms.clear();
  }
}
