import WebSocket from 'ws';
import * as Y from 'yjs';
import { MESSAGE_SYNC, readClientMessage, SYNC_STEP_1 } from '../relay/protocol.js';
import { structRangesOf } from '../relay/state-vector.js';

/** Update-bearing messages a socket sent, in order: what each durable ack counts. */
export const sentUpdates = new WeakMap<WebSocket, number[][]>();

/** The stock client's socket, recording the struct ranges of every update it sends. */
export class RecordingSocket extends WebSocket {
  override send(data: Uint8Array, ...rest: unknown[]): void {
    const bytes = new Uint8Array(data);
    if (bytes[0] === MESSAGE_SYNC && bytes[1] !== SYNC_STEP_1) {
      const message = readClientMessage(bytes);
      if (message.type === 'update') {
        const list = sentUpdates.get(this) ?? [];
        list.push(structRangesOf(message.update));
        sentUpdates.set(this, list);
      }
    }
    (super.send as (...args: unknown[]) => void)(data, ...rest);
  }
}

/** Whether `doc` holds every struct of `ranges` (integrated, not pending a missing one). */
export function holds(doc: Y.Doc, ranges: number[]): boolean {
  for (let i = 0; i < ranges.length; i += 3) {
    const client = ranges[i] as number;
    const end = (ranges[i + 1] as number) + (ranges[i + 2] as number);
    if (Y.getState(doc.store, client) < end) return false;
  }
  return true;
}
