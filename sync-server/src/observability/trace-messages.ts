import * as decoding from 'lib0/decoding';
import {
  MESSAGE_AUTH,
  MESSAGE_AWARENESS,
  MESSAGE_QUERY_AWARENESS,
  MESSAGE_SYNC,
  SYNC_STEP_1,
  SYNC_STEP_2,
  SYNC_UPDATE,
} from '../relay/protocol.js';
import { inSpan, tracingActive } from './spans.js';

const SYNC_STEPS: Record<number, string> = {
  [SYNC_STEP_1]: 'sync-step-1',
  [SYNC_STEP_2]: 'sync-step-2',
  [SYNC_UPDATE]: 'update',
};
const MESSAGES: Record<number, string> = {
  [MESSAGE_AWARENESS]: 'awareness',
  [MESSAGE_AUTH]: 'auth',
  [MESSAGE_QUERY_AWARENESS]: 'query-awareness',
};

/** The message's type from its first one or two varints, without reading its payload. */
export function messageTypeOf(bytes: Uint8Array): string {
  try {
    const decoder = decoding.createDecoder(bytes);
    const type = decoding.readVarUint(decoder);
    if (type !== MESSAGE_SYNC) return MESSAGES[type] ?? 'unknown';
    return SYNC_STEPS[decoding.readVarUint(decoder)] ?? 'unknown';
  } catch {
    return 'malformed'; // too short to say: the handler refuses it, the span just names it
  }
}

/** One span per websocket message handled, named after its type (never its bytes). */
export function traceMessage(bytes: Uint8Array, handle: () => Promise<void>): Promise<void> {
  if (!tracingActive()) return handle();
  const type = messageTypeOf(bytes);
  return inSpan(
    `ws ${type}`,
    {
      attributes: {
        'messaging.operation.name': type,
        'messaging.message.body.size': bytes.byteLength,
      },
    },
    handle,
  );
}
