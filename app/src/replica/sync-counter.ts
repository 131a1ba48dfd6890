import * as decoding from 'lib0/decoding';
import type { WebsocketProvider } from 'y-websocket';
import type * as Y from 'yjs';

/** Our durable-acknowledgement message (sync-server PROTOCOL.md). */
export const MESSAGE_DURABLE_ACK = 100;

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
