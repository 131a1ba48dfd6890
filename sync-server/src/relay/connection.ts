import type { WebSocket } from 'ws';
import { MEMBER_ORIGIN, type Room, type RoomMember } from './room.js';
import type { TokenBucket } from './token-bucket.js';

export interface ConnectionInfo {
  userId: string;
  room: string;
  /** The client opted into durable acknowledgements (`?ack=1`). */
  wantsAck: boolean;
}

export interface ConnectionLimits {
  /** Bytes the socket may have waiting to be sent before it counts as a slow consumer. */
  maxSendBufferBytes: number;
  /** Bytes received and not yet handled or committed past which the socket is not read. */
  maxQueuedBytes: number;
}

/**
 * One websocket in one room. Messages are handled strictly in arrival order (`chain`); updates
 * are committed in that order too, and acknowledged after their commit.
 */
export class Connection implements RoomMember {
  readonly [MEMBER_ORIGIN] = true;
  readonly awarenessClients = new Set<number>();
  updatesReceived = 0;
  /** Resolves once every update received so far is committed (never rejects). */
  durable: Promise<void> = Promise.resolve();
  /** A commit of one of its updates failed: nothing after it is stored or acknowledged. */
  failed = false;
  lastSent: number;
  alive = true;
  closed = false;
  chain: Promise<void> = Promise.resolve();
  /** Bytes received and not yet handled, plus updates not yet committed. */
  queuedBytes = 0;
  private pausedForSelf = false;
  private pausedForServer = false;

  constructor(
    readonly ws: WebSocket,
    readonly room: Room,
    readonly info: ConnectionInfo,
    readonly bucket: TokenBucket,
    private readonly limits: ConnectionLimits,
    private readonly now: () => number,
  ) {
    this.lastSent = now();
  }

  send(message: Uint8Array): void {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return;
    // A client that does not read would make the server buffer without end.
    if (this.ws.bufferedAmount + message.byteLength > this.limits.maxSendBufferBytes) {
      this.closed = true;
      this.ws.terminate();
      this.onSlowConsumer?.();
      return;
    }
    this.ws.send(message, { binary: true });
    this.lastSent = this.now();
  }

  /** Called when the connection was cut for not reading (logged by the relay). */
  onSlowConsumer: (() => void) | null = null;

  close(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    // Close reasons are limited to 123 bytes by the protocol.
    this.ws.close(code, reason.slice(0, 120));
  }

  /** Counts bytes in; stops reading the socket while too much is queued. */
  queue(bytes: number): void {
    this.queuedBytes += bytes;
    if (!this.pausedForSelf && this.queuedBytes > this.limits.maxQueuedBytes) {
      this.pausedForSelf = true;
      this.applyPause();
    }
  }

  /** Counts bytes handled or committed; reads again once below half the limit. */
  done(bytes: number): void {
    this.queuedBytes = Math.max(0, this.queuedBytes - bytes);
    if (this.pausedForSelf && this.queuedBytes <= this.limits.maxQueuedBytes / 2) {
      this.pausedForSelf = false;
      this.applyPause();
    }
  }

  /** The server's uncommitted queue is full (or drained again): stop (resume) reading. */
  serverPressure(pressured: boolean): void {
    this.pausedForServer = pressured;
    this.applyPause();
  }

  private applyPause(): void {
    if (this.closed) return;
    const paused = this.pausedForSelf || this.pausedForServer;
    if (paused && !this.ws.isPaused) this.ws.pause();
    else if (!paused && this.ws.isPaused) this.ws.resume();
  }
}
