import type * as Y from 'yjs';

export type YModule = typeof Y;

export interface LoadOptions {
  docs: number;
  clientsPerDoc: number;
  /** Updates per second per client. */
  rate: number;
  seconds: number;
  /** After the load: how long to wait for the last relays and acks. */
  drainMs: number;
  /** How long connecting and the initial sync may take. */
  connectTimeoutMs: number;
}

/** What a client reports that is not a measurement: closes, reconnects. */
export interface ClientEvents {
  closed(code: number, reason: string): void;
}

export interface BenchClient {
  readonly synced: Promise<void>;
  /** Durable-ack bookkeeping, for servers that send them. */
  readonly acks: AckTracker | null;
  destroy(): void;
}

/** Connects clients of one kind (stock y-websocket provider, Hocuspocus provider) to a server. */
export interface ClientFactory {
  /** The Yjs the provider itself uses: documents must come from the same copy. */
  readonly Y: YModule;
  connect(docIndex: number, doc: Y.Doc, events: ClientEvents): BenchClient;
}

/**
 * Maps durable acks to the updates they cover. The server counts the update messages (sync
 * step 2 or update) it received on one connection and acks with that count, so the client
 * counts the same messages as they leave its socket; a reconnect starts a new count.
 */
export class AckTracker {
  private sentOnSocket = 0;
  private pending: Array<{ n: number; sentAt: number }> = [];
  private stamp: number | null = null;
  readonly latencies: number[] = [];
  acked = 0;
  sockets = 0;
  /** Bench updates in flight when their socket closed: never acked as such. */
  lostToReconnect = 0;
  /** Bench updates made while the socket was not open (sent later by sync, unmapped). */
  notSentImmediately = 0;

  /** A new websocket: the server's count starts again. */
  socketOpened(): void {
    this.sockets += 1;
    this.lostToReconnect += this.pending.length;
    this.pending = [];
    this.sentOnSocket = 0;
  }

  /** The next update message to leave the socket is the bench update made at `sentAt`. */
  expectUpdate(sentAt: number): void {
    this.stamp = sentAt;
  }

  /** Called after the edit: an unconsumed stamp means the provider did not send it now. */
  settleUpdate(): void {
    if (this.stamp !== null) this.notSentImmediately += 1;
    this.stamp = null;
  }

  /** Every message written to the socket; `isUpdate` for sync step 2 / update messages. */
  messageSent(isUpdate: boolean): void {
    if (!isUpdate) return;
    this.sentOnSocket += 1;
    if (this.stamp !== null) {
      this.pending.push({ n: this.sentOnSocket, sentAt: this.stamp });
      this.stamp = null;
    }
  }

  ackReceived(count: number): void {
    const now = performance.now();
    while (this.pending.length > 0 && (this.pending[0]?.n ?? Number.POSITIVE_INFINITY) <= count) {
      const entry = this.pending.shift();
      if (entry) this.latencies.push(now - entry.sentAt);
      this.acked += 1;
    }
  }

  get unacked(): number {
    return this.pending.length;
  }
}

/** Is this outgoing y-websocket message one the server counts as an update? */
export function isUpdateMessage(data: unknown): boolean {
  if (!(data instanceof Uint8Array) || data.length < 2) return false;
  // varUint(messageSync = 0), varUint(syncStep2 = 1 | update = 2)
  return data[0] === 0 && (data[1] === 1 || data[1] === 2);
}

export interface LoadHooks {
  /** Right before the first update (samplers start). */
  loadStarted(): Promise<void> | void;
  /** Right after the last update, before draining (samplers stop, persisted counts read). */
  loadEnded(info: { ackedAtLoadEnd: number }): Promise<void> | void;
}

export interface LoadResult {
  clients: number;
  docs: number;
  seconds: number;
  connectMs: number;
  sent: number;
  /** Peer observations expected: every update seen by every other client of its document. */
  expected: number;
  received: number;
  /** Received only after the load window plus drain: lost or very late. */
  missing: number;
  fanout: number[];
  /** Null when the server sends no durable acks. */
  ack: {
    latencies: number[];
    ackedAtLoadEnd: number;
    acked: number;
    unacked: number;
    lostToReconnect: number;
    notSentImmediately: number;
    sockets: number;
  } | null;
  closes: Map<string, number>;
  /** Clients that had not synced when the load started. */
  unsynced: number;
}

interface Participant {
  index: number;
  doc: Y.Doc;
  map: Y.Map<unknown>;
  client: BenchClient;
  seq: number;
  timer: NodeJS.Timeout | null;
}

/**
 * N clients, `clientsPerDoc` per document, each setting a new key of a shared Y.Map at a fixed
 * rate. The key is the update's id and the value its send time (performance.now(): all clients
 * live in this process), so the peer that observes it knows the fan-out latency.
 */
export async function runLoad(
  factory: ClientFactory,
  options: LoadOptions,
  hooks: LoadHooks,
): Promise<LoadResult> {
  const fanout: number[] = [];
  const closes = new Map<string, number>();
  let received = 0;
  let measuring = true;
  const events: ClientEvents = {
    closed(code, reason) {
      if (!measuring) return; // the bench's own disconnects at the end
      const key = `${code}${reason ? ` ${reason}` : ''}`;
      closes.set(key, (closes.get(key) ?? 0) + 1);
    },
  };

  const participants: Participant[] = [];
  const connectStarted = performance.now();
  for (let docIndex = 0; docIndex < options.docs; docIndex += 1) {
    for (let peer = 0; peer < options.clientsPerDoc; peer += 1) {
      const doc = new factory.Y.Doc();
      const map = doc.getMap<unknown>('bench');
      map.observe((event) => {
        if (event.transaction.local || !measuring) return;
        const now = performance.now();
        for (const key of event.keysChanged) {
          const sentAt = map.get(key);
          if (typeof sentAt !== 'number') continue;
          received += 1;
          fanout.push(now - sentAt);
        }
      });
      const client = factory.connect(docIndex, doc, events);
      participants.push({ index: participants.length, doc, map, client, seq: 0, timer: null });
    }
  }

  try {
    let synced = 0;
    const all = Promise.all(
      participants.map((p) =>
        p.client.synced.then(() => {
          synced += 1;
        }),
      ),
    );
    let connectTimer: NodeJS.Timeout | undefined;
    await Promise.race([
      all,
      new Promise<void>((resolve) => {
        connectTimer = setTimeout(resolve, options.connectTimeoutMs);
      }),
    ]);
    clearTimeout(connectTimer);
    const connectMs = performance.now() - connectStarted;
    const unsynced = participants.length - synced;
    if (synced === 0) throw new Error(`no client synced within ${options.connectTimeoutMs} ms`);

    let sent = 0;
    const intervalMs = 1000 / options.rate;
    await hooks.loadStarted();
    const startedAt = performance.now();
    const endAt = startedAt + options.seconds * 1000;
    const send = (p: Participant) => {
      const now = performance.now();
      if (now >= endAt) return false;
      p.seq += 1;
      p.client.acks?.expectUpdate(now);
      p.doc.transact(() => {
        p.map.set(`${p.index}:${p.seq}`, now);
      });
      p.client.acks?.settleUpdate();
      sent += 1;
      return true;
    };
    for (const p of participants) {
      // Spread the clients' phases evenly; each schedules against its own ideal timeline, so
      // a late tick does not shift the rest.
      const offset = (p.index / participants.length) * intervalMs;
      let tick = 0;
      const next = () => {
        const due = startedAt + offset + tick * intervalMs;
        p.timer = setTimeout(
          () => {
            tick += 1;
            if (send(p)) next();
          },
          Math.max(0, due - performance.now()),
        );
      };
      next();
    }
    await new Promise((resolve) => setTimeout(resolve, options.seconds * 1000 + 20));
    for (const p of participants) if (p.timer) clearTimeout(p.timer);
    const seconds = (performance.now() - startedAt) / 1000;
    const ackedAtLoadEnd = participants.reduce((sum, p) => sum + (p.client.acks?.acked ?? 0), 0);
    await hooks.loadEnded({ ackedAtLoadEnd });

    const expected = sent * (options.clientsPerDoc - 1);
    const withAcks = participants.some((p) => p.client.acks !== null);
    const drainEnd = performance.now() + options.drainMs;
    while (performance.now() < drainEnd) {
      const unacked = participants.reduce((sum, p) => sum + (p.client.acks?.unacked ?? 0), 0);
      if (received >= expected && (!withAcks || unacked === 0)) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    measuring = false;

    let ack: LoadResult['ack'] = null;
    if (withAcks) {
      const trackers = participants.flatMap((p) => (p.client.acks ? [p.client.acks] : []));
      ack = {
        latencies: trackers.flatMap((t) => t.latencies),
        ackedAtLoadEnd,
        acked: trackers.reduce((sum, t) => sum + t.acked, 0),
        unacked: trackers.reduce((sum, t) => sum + t.unacked, 0),
        lostToReconnect: trackers.reduce((sum, t) => sum + t.lostToReconnect, 0),
        notSentImmediately: trackers.reduce((sum, t) => sum + t.notSentImmediately, 0),
        sockets: trackers.reduce((sum, t) => sum + t.sockets, 0),
      };
    }
    return {
      clients: participants.length,
      docs: options.docs,
      seconds,
      connectMs,
      sent,
      expected,
      received,
      missing: Math.max(0, expected - received),
      fanout,
      ack,
      closes,
      unsynced,
    };
  } finally {
    measuring = false;
    for (const p of participants) {
      if (p.timer) clearTimeout(p.timer);
      p.client.destroy();
      p.doc.destroy();
    }
  }
}

export function percentile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] ?? null;
}
