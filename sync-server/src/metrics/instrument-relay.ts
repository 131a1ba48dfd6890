import type { WebSocket } from 'ws';
import type { DocStore } from '../persistence/doc-store.js';
import type { FanOut } from '../relay/fan-out.js';
import { MESSAGE_SYNC, SYNC_STEP_1 } from '../relay/protocol.js';
import type { Relay } from '../relay/relay.js';
import type { RelayFigures, ServerMetrics } from './server-metrics.js';

type RelayInstruments = Pick<
  ServerMetrics,
  | 'updatesReceived'
  | 'updatesRelayed'
  | 'updatesCommitted'
  | 'commitFailures'
  | 'commitDuration'
  | 'commitBatchUpdates'
  | 'fanOutDuration'
>;

/** A sync message carrying an update (sync step 2 or update), not a state vector. */
function carriesUpdate(message: Uint8Array): boolean {
  return message[0] === MESSAGE_SYNC && message.byteLength > 1 && message[1] !== SYNC_STEP_1;
}

/** The store, timing each group commit and counting what it writes. */
export function instrumentDocStore(store: DocStore, metrics: RelayInstruments): DocStore {
  return {
    load: (name) => store.load(name),
    compact: (name, compaction) => store.compact(name, compaction),
    userSize: (userId) => store.userSize(userId),
    async appendBatch(entries) {
      const stop = metrics.commitDuration.startTimer();
      try {
        const seqs = await store.appendBatch(entries);
        metrics.updatesCommitted.inc(entries.length);
        metrics.commitBatchUpdates.observe(entries.length);
        return seqs;
      } catch (error) {
        metrics.commitFailures.inc();
        throw error;
      } finally {
        stop();
      }
    },
  };
}

/** The fan-out, timing each committed update's delivery and counting its receivers. */
export function instrumentFanOut(fanOut: FanOut, metrics: RelayInstruments): FanOut {
  return {
    publish(room, message, except) {
      // Presence (awareness) goes through here too: only updates are counted.
      if (!carriesUpdate(message)) return fanOut.publish(room, message, except);
      const stop = metrics.fanOutDuration.startTimer();
      fanOut.publish(room, message, except);
      stop();
      let receivers = room.members.size;
      if (except !== null && room.members.has(except)) receivers -= 1;
      metrics.updatesRelayed.inc(receivers);
    },
  };
}

/** An empty update (what an up-to-date client answers to sync step 1): nothing to commit. */
function isEmptyUpdateMessage(message: Uint8Array): boolean {
  return message.byteLength === 5 && message[2] === 2 && message[3] === 0 && message[4] === 0;
}

/** Counts the non-empty updates a device's socket sends (before the relay validates them). */
export function countReceivedUpdates(ws: WebSocket, metrics: RelayInstruments): void {
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary && carriesUpdate(data) && !isEmptyUpdateMessage(data)) {
      metrics.updatesReceived.inc();
    }
  });
}

/** The relay's own figures, as the metrics and the System page read them. */
export function relayFigures(relay: Pick<Relay, 'stats' | 'updateLog'>): RelayFigures {
  const stats = relay.stats();
  return {
    connections: stats.connections,
    rooms: stats.rooms,
    docCacheBytes: stats.docCacheBytes,
    docCacheEvictions: stats.docCacheEvictions,
    uncommittedBytes: stats.uncommittedBytes,
    uncommittedUpdates: relay.updateLog.backlog,
    slowConsumers: stats.slowConsumers,
    rateLimitedSockets: stats.rateLimitedSockets,
  };
}
