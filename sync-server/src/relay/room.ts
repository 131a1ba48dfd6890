import * as Y from 'yjs';
import type { Logger } from '../logger.js';
import type { DocStore } from '../persistence/doc-store.js';
import { AwarenessStates } from './awareness-states.js';

/** Anything that can receive relayed bytes: a websocket connection. */
export interface RoomMember {
  send(message: Uint8Array): void;
}

/** Origin of the updates a room applies while loading from the database: not re-persisted. */
export const LOAD_ORIGIN = Symbol('load');

/**
 * One document while anyone uses it: its connections, the loaded Y.Doc (to answer sync step 1
 * and for server-side writes), presence, and what compaction needs to know about the log.
 */
export class Room {
  readonly members = new Set<RoomMember>();
  readonly awareness = new AwarenessStates();
  doc: Y.Doc | null = null;
  /** Highest committed log sequence number whose update the loaded doc contains. */
  committedSeq = 0;
  tailLength = 0;
  tailBytes = 0;
  lastActive: number;
  /** Messages received for this room and not yet handled. */
  inflight = 0;
  compacting: Promise<void> | null = null;
  private loading: Promise<Y.Doc> | null = null;

  constructor(
    readonly name: string,
    readonly ownerId: string,
    now: number,
  ) {
    this.lastActive = now;
  }

  /** Loads the document once (snapshot + log tail); concurrent callers share the load. */
  load(
    store: DocStore,
    log: Logger,
    onLocalUpdate: (room: Room, update: Uint8Array) => void,
    onChange?: (room: Room, origin: unknown) => void,
  ) {
    if (!this.loading) {
      this.loading = (async () => {
        const stored = await store.load(this.name);
        const doc = new Y.Doc({ guid: this.name });
        doc.transact(() => {
          for (const update of stored.updates) {
            try {
              Y.applyUpdate(doc, update, LOAD_ORIGIN);
            } catch (error) {
              // A stored update that no longer applies is kept in the log, not dropped.
              log.error('stored update failed to apply', {
                room: this.name,
                error: (error as Error).message,
              });
            }
          }
        }, LOAD_ORIGIN);
        this.committedSeq = stored.lastSeq;
        this.tailLength = stored.tailLength;
        this.tailBytes = 0;
        // Changes made on the server (REST, calendar bridge) are persisted and broadcast.
        doc.on('update', (update: Uint8Array, origin: unknown) => {
          if (origin === LOAD_ORIGIN) return;
          onChange?.(this, origin);
          if (isMemberOrigin(origin)) return;
          onLocalUpdate(this, update);
        });
        this.doc = doc;
        return doc;
      })();
      this.loading.catch(() => {
        this.loading = null; // a failed load is retried by the next connection
      });
    }
    return this.loading;
  }

  isIdle(now: number, idleMs: number): boolean {
    return (
      this.members.size === 0 &&
      this.inflight === 0 &&
      now - this.lastActive >= idleMs &&
      !this.compacting
    );
  }

  unload(): void {
    this.doc?.destroy();
    this.doc = null;
    this.loading = null;
  }
}

/** Updates applied on behalf of a connection carry the connection as origin. */
export const MEMBER_ORIGIN = Symbol('member-origin');
function isMemberOrigin(origin: unknown): boolean {
  return typeof origin === 'object' && origin !== null && MEMBER_ORIGIN in origin;
}
