import * as decoding from 'lib0/decoding';
import type { WebsocketProvider } from 'y-websocket';
import type * as Y from 'yjs';

/** Our durable-acknowledgement message (sync-server PROTOCOL.md). */
export const MESSAGE_DURABLE_ACK = 100;

const PENDING_PREFIX = 'tasks.pending:';
const MONTH_KEY = /^\d{4}-(0[1-9]|1[0-2])$/;

/** Where a room's count of unacknowledged changes is kept in localStorage. */
export function pendingStorageKey(room: string): string {
  return `${PENDING_PREFIX}${room}`;
}

/**
 * The user's months (`YYYY-MM`) whose stored count says changes still wait for the server, from
 * localStorage's entries: a month edited offline in an earlier session, not open in this one.
 */
export function monthsWithPendingChanges(
  stored: Iterable<readonly [string, string]>,
  userId: string,
): string[] {
  const prefix = pendingStorageKey(`${userId}/time/`);
  const months: string[] = [];
  for (const [key, value] of stored) {
    if (!key.startsWith(prefix) || !(Number(value) > 0)) continue;
    const month = key.slice(prefix.length);
    if (MONTH_KEY.test(month)) months.push(month);
  }
  return months.sort();
}

/**
 * Counts a document's local changes that the server has not yet confirmed as stored, from the
 * relay's durable acknowledgements: the first message a connection sends carries everything made
 * while offline (sync step 2), then one message per change. Persisted, so a reload while offline
 * still shows what is waiting.
 */
export class SyncCounter {
  private pending: number;
  private pendingAtConnect = 0;
  private sentSinceConnect = 0;

  constructor(
    private readonly storageKey: string,
    private readonly onChange: () => void,
  ) {
    this.pending = Number(localStorage.getItem(storageKey) ?? 0) || 0;
  }

  get count(): number {
    return this.pending;
  }

  attach(doc: Y.Doc, provider: WebsocketProvider): void {
    doc.on('update', (_update: Uint8Array, origin: unknown) => {
      if (origin === provider || isPersistenceOrigin(origin)) return;
      this.pending += 1;
      if (provider.wsconnected) this.sentSinceConnect += 1;
      this.save();
    });
    provider.on('status', ({ status }: { status: string }) => {
      if (status === 'connected') {
        this.pendingAtConnect = this.pending;
        this.sentSinceConnect = 0;
      }
    });
    provider.messageHandlers[MESSAGE_DURABLE_ACK] = (_encoder, decoder) => {
      const acked = decoding.readVarUint(decoder);
      const durable =
        acked >= 1 ? this.pendingAtConnect + Math.min(acked - 1, this.sentSinceConnect) : 0;
      const total = this.pendingAtConnect + this.sentSinceConnect;
      this.pending = Math.max(0, total - durable);
      this.save();
    };
  }

  private save(): void {
    localStorage.setItem(this.storageKey, String(this.pending));
    this.onChange();
  }
}

function isPersistenceOrigin(origin: unknown): boolean {
  // y-indexeddb applies stored updates with itself as origin: not new changes.
  return typeof origin === 'object' && origin !== null && 'whenSynced' in origin;
}
