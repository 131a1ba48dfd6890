import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';

/**
 * Presence (cursors, "who is online") relayed as the y-protocols awareness format without a
 * y-protocols `Awareness` instance, which runs a timer per document (Hocuspocus #1109). The room
 * keeps the last state of each client so newcomers see who is there, and a client's states are
 * removed for everyone when its connection closes.
 */
interface ClientState {
  clock: number;
  state: string;
}

export interface AwarenessEntry {
  clientId: number;
  clock: number;
  /** The JSON text of the state; 'null' when the client left. */
  state: string;
}

export function decodeAwarenessUpdate(update: Uint8Array): AwarenessEntry[] {
  const decoder = decoding.createDecoder(update);
  const count = decoding.readVarUint(decoder);
  const entries: AwarenessEntry[] = [];
  for (let i = 0; i < count; i += 1) {
    const clientId = decoding.readVarUint(decoder);
    const clock = decoding.readVarUint(decoder);
    const state = decoding.readVarString(decoder);
    entries.push({ clientId, clock, state });
  }
  if (decoding.hasContent(decoder)) throw new Error('trailing bytes in awareness update');
  return entries;
}

export function encodeAwarenessUpdate(entries: readonly AwarenessEntry[]): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, entries.length);
  for (const entry of entries) {
    encoding.writeVarUint(encoder, entry.clientId);
    encoding.writeVarUint(encoder, entry.clock);
    encoding.writeVarString(encoder, entry.state);
  }
  return encoding.toUint8Array(encoder);
}

export class AwarenessStates {
  private readonly states = new Map<number, ClientState>();

  /** Records an update; returns the client ids it announced (to remove them on disconnect). */
  apply(entries: readonly AwarenessEntry[]): number[] {
    const announced: number[] = [];
    for (const entry of entries) {
      const known = this.states.get(entry.clientId);
      if (known && known.clock > entry.clock) continue;
      if (entry.state === 'null') this.states.delete(entry.clientId);
      else this.states.set(entry.clientId, { clock: entry.clock, state: entry.state });
      announced.push(entry.clientId);
    }
    return announced;
  }

  /** All known states, for a client that just joined; null when there are none. */
  snapshot(): Uint8Array | null {
    if (this.states.size === 0) return null;
    return encodeAwarenessUpdate(
      [...this.states].map(([clientId, { clock, state }]) => ({ clientId, clock, state })),
    );
  }

  /** Forgets the given clients and returns the update telling everyone else they left. */
  remove(clientIds: Iterable<number>): Uint8Array | null {
    const removed: AwarenessEntry[] = [];
    for (const clientId of clientIds) {
      const known = this.states.get(clientId);
      if (!known) continue;
      this.states.delete(clientId);
      removed.push({ clientId, clock: known.clock + 1, state: 'null' });
    }
    return removed.length > 0 ? encodeAwarenessUpdate(removed) : null;
  }
}
