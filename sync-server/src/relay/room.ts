import { AwarenessStates } from './awareness-states.js';
import type { RoomStateVector } from './state-vector.js';

/** Anything that can receive relayed bytes: a websocket connection. */
export interface RoomMember {
  send(message: Uint8Array): void;
}

/**
 * One document while devices are connected to it: its connections, presence, the state vector
 * it announces and what compaction needs to know about its log. A room holds no `Y.Doc`: a
 * connected, idle device costs its socket, its presence and a few dozen bytes of state vector.
 */
export class Room {
  readonly members = new Set<RoomMember>();
  readonly awareness = new AwarenessStates();
  /** What the store holds, as far as this process knows (null until first needed). */
  stateVector: RoomStateVector | null = null;
  /** Bumped by every committed update: keys the cached merged state. */
  version = 0;
  /** Log entries and bytes after the snapshot, as far as this process knows. */
  tailLength = 0;
  tailBytes = 0;
  snapshotBytes = 0;
  lastActive: number;
  /** Messages received for this room and not yet handled, and updates not yet committed. */
  inflight = 0;
  compacting: Promise<void> | null = null;

  constructor(
    readonly name: string,
    readonly ownerId: string,
    now: number,
  ) {
    this.lastActive = now;
  }

  isIdle(now: number, idleMs: number): boolean {
    return (
      this.members.size === 0 &&
      this.inflight === 0 &&
      now - this.lastActive >= idleMs &&
      !this.compacting
    );
  }
}

/** Updates applied on behalf of a connection carry the connection as origin. */
export const MEMBER_ORIGIN = Symbol('member-origin');
