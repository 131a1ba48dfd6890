import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';

/**
 * The y-websocket wire protocol (y-protocols), plus one message of ours: the durable
 * acknowledgement (see PROTOCOL.md). Every message is `varUint(type)` followed by its body.
 */
export const MESSAGE_SYNC = 0;
export const MESSAGE_AWARENESS = 1;
export const MESSAGE_AUTH = 2;
export const MESSAGE_QUERY_AWARENESS = 3;
/** Ours, sent only to clients that opted in with `?ack=1`: `varUint(count)`. */
export const MESSAGE_DURABLE_ACK = 100;

export const SYNC_STEP_1 = 0;
export const SYNC_STEP_2 = 1;
export const SYNC_UPDATE = 2;

/** Close codes the relay uses, each with a reason string (PROTOCOL.md). */
export const CLOSE = {
  /** ws closes oversized frames itself with the standard 1009 "Message Too Big". */
  messageTooBig: 1009,
  malformed: 4400,
  decodeTimeout: 4408,
  quotaExceeded: 4413,
  rateLimited: 4429,
  /** The session ended (signed out everywhere, password changed, account deleted). */
  sessionEnded: 4401,
  /** The user already has `MAX_SOCKETS_PER_USER` sockets open. */
  tooManyConnections: 4430,
  /** The server could not handle the message (storage unavailable: reconnect and resend). */
  serverError: 1011,
  serverShutdown: 1012,
} as const;

export type ClientMessage =
  | { type: 'sync-step-1'; stateVector: Uint8Array }
  | { type: 'update'; update: Uint8Array }
  | { type: 'awareness'; update: Uint8Array }
  | { type: 'query-awareness' }
  | { type: 'auth' };

export class MalformedMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedMessageError';
  }
}

/** Reads one client message; throws MalformedMessageError for anything else. */
export function readClientMessage(data: Uint8Array): ClientMessage {
  try {
    const decoder = decoding.createDecoder(data);
    const type = decoding.readVarUint(decoder);
    const message = readBody(type, decoder);
    if (decoding.hasContent(decoder)) throw new MalformedMessageError('trailing bytes');
    return message;
  } catch (error) {
    if (error instanceof MalformedMessageError) throw error;
    throw new MalformedMessageError(`cannot decode message: ${(error as Error).message}`);
  }
}

function readBody(type: number, decoder: decoding.Decoder): ClientMessage {
  switch (type) {
    case MESSAGE_SYNC: {
      const step = decoding.readVarUint(decoder);
      const payload = decoding.readVarUint8Array(decoder);
      if (step === SYNC_STEP_1) return { type: 'sync-step-1', stateVector: payload };
      if (step === SYNC_STEP_2 || step === SYNC_UPDATE) return { type: 'update', update: payload };
      throw new MalformedMessageError(`unknown sync step ${step}`);
    }
    case MESSAGE_AWARENESS:
      return { type: 'awareness', update: decoding.readVarUint8Array(decoder) };
    case MESSAGE_QUERY_AWARENESS:
      return { type: 'query-awareness' };
    case MESSAGE_AUTH:
      // Permission messages flow server → client; a client's is ignored, not an error.
      decoding.readVarUint(decoder);
      if (decoding.hasContent(decoder)) decoding.readVarString(decoder);
      return { type: 'auth' };
    default:
      throw new MalformedMessageError(`unknown message type ${type}`);
  }
}

function encodeSync(step: number, payload: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE_SYNC);
  encoding.writeVarUint(encoder, step);
  encoding.writeVarUint8Array(encoder, payload);
  return encoding.toUint8Array(encoder);
}

export const encodeSyncStep1 = (stateVector: Uint8Array) => encodeSync(SYNC_STEP_1, stateVector);
export const encodeSyncStep2 = (update: Uint8Array) => encodeSync(SYNC_STEP_2, update);
export const encodeUpdate = (update: Uint8Array) => encodeSync(SYNC_UPDATE, update);

export function encodeAwareness(update: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE_AWARENESS);
  encoding.writeVarUint8Array(encoder, update);
  return encoding.toUint8Array(encoder);
}

export function encodeDurableAck(count: number): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE_DURABLE_ACK);
  encoding.writeVarUint(encoder, count);
  return encoding.toUint8Array(encoder);
}

export function readDurableAck(data: Uint8Array): number | null {
  const decoder = decoding.createDecoder(data);
  if (decoding.readVarUint(decoder) !== MESSAGE_DURABLE_ACK) return null;
  return decoding.readVarUint(decoder);
}

/**
 * An awareness message with no states: the stock client applies it as a no-op, and any message
 * resets its 30 s silence timer, so this keeps an idle line alive.
 */
export const KEEPALIVE_MESSAGE = encodeAwareness(new Uint8Array([0]));
