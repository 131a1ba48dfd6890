import { decodeAwarenessUpdate } from './awareness-states.js';
import type { Connection } from './connection.js';
import {
  CLOSE,
  encodeAwareness,
  encodeSyncStep2,
  MalformedMessageError,
  readClientMessage,
} from './protocol.js';
import type { RelayOptions } from './relay.js';
import type { Room } from './room.js';
import type { StructRanges } from './state-vector.js';

/** A refusal that closes the connection with its own close code. */
export class RelayError extends Error {
  constructor(
    readonly closeCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'RelayError';
  }
}

/** What handling a message needs of the relay. */
export interface HandlerContext {
  options: RelayOptions;
  answerSyncStep1(room: Room, stateVector: Uint8Array): Promise<Uint8Array>;
  /** The bytes the user stores (held by the connection). */
  usage(userId: string): Promise<{ bytes: number }>;
  /** Decodes an update (time-bounded) and returns its struct ranges; throws when malformed. */
  decode(update: Uint8Array): Promise<StructRanges>;
  /** Commits a validated update, then relays and acknowledges it. */
  acceptUpdate(connection: Connection, update: Uint8Array, ranges: StructRanges): void;
  /** Acknowledges an empty sync step 2 once everything before it is durable. */
  acknowledgeEmpty(connection: Connection): void;
  publish(room: Room, message: Uint8Array, except: Connection | null): void;
}

/** An update with no structs and an empty delete set (what a client up to date sends). */
function isEmptyUpdate(update: Uint8Array): boolean {
  return update.byteLength === 2 && update[0] === 0 && update[1] === 0;
}

/**
 * Handles one client message. Called strictly in arrival order per connection, so at most one
 * sync step 1 of a connection is being answered at any time.
 */
export async function handleMessage(
  ctx: HandlerContext,
  connection: Connection,
  bytes: Uint8Array,
): Promise<void> {
  const message = readClientMessage(bytes);
  const room = connection.room;
  switch (message.type) {
    case 'sync-step-1': {
      const diff = await ctx.answerSyncStep1(room, message.stateVector);
      connection.send(encodeSyncStep2(diff));
      return;
    }
    case 'update': {
      const { update } = message;
      if (isEmptyUpdate(update)) {
        ctx.acknowledgeEmpty(connection);
        return;
      }
      const usage = await ctx.usage(connection.info.userId);
      if (usage.bytes + update.byteLength > ctx.options.docQuotaBytes) {
        throw new RelayError(CLOSE.quotaExceeded, 'document quota exceeded');
      }
      const ranges = await ctx.decode(update);
      if (connection.closed) return;
      ctx.acceptUpdate(connection, update, ranges);
      return;
    }
    case 'awareness': {
      let entries: ReturnType<typeof decodeAwarenessUpdate>;
      try {
        entries = decodeAwarenessUpdate(message.update);
      } catch (error) {
        throw new MalformedMessageError(`invalid awareness update: ${(error as Error).message}`);
      }
      const maxStates = ctx.options.maxAwarenessStates ?? 8;
      const maxStateBytes = ctx.options.maxAwarenessStateBytes ?? 16 * 1024;
      const announced = new Set(connection.awarenessClients);
      for (const entry of entries) {
        if (entry.state.length > maxStateBytes) {
          throw new MalformedMessageError(`awareness state over ${maxStateBytes} bytes`);
        }
        announced.add(entry.clientId);
      }
      if (announced.size > maxStates) {
        throw new MalformedMessageError(`more than ${maxStates} awareness states`);
      }
      for (const id of room.awareness.apply(entries)) connection.awarenessClients.add(id);
      ctx.publish(room, encodeAwareness(message.update), connection);
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
