import { randomUUID } from 'node:crypto';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import type { Logger } from '../logger.js';
import type { RedisLink } from './redis-link.js';

/**
 * How the nodes of a cluster tell each other of committed updates: every committed update is
 * published once on one Redis channel; every other node relays it to its own devices and
 * applies it to its cached copy. Redis pub/sub is at-most-once (a node disconnected from Redis,
 * or publishing while it is down, loses messages), so Postgres stays the source of truth and a
 * node that may have missed something catches up from it:
 *
 * - each node numbers its messages (1, 2, 3, ...) and says its latest number in a heartbeat
 *   every `heartbeatMs`; a receiver that sees a number skip, from any node, has missed updates;
 * - a node whose own subscription was lost cannot know what it missed, from whom.
 *
 * Either way it calls `onGap`, and the relay reads the documents it serves from Postgres and
 * sends its devices what they lack. The log's global sequence numbers cannot show a gap for one
 * document (they are taken at insert, not commit, and shared by all documents), which is why
 * gaps are counted per publishing node.
 */
export interface ClusterHandlers {
  /** An update another node committed to document `name` of `ownerId`. */
  onRemoteUpdate(name: string, ownerId: string, update: Uint8Array): void;
  /** Messages may have been lost: catch up from the database. */
  onGap(reason: string): void;
}

const FORMAT = 1;
const KIND_UPDATE = 0;
const KIND_HEARTBEAT = 1;

/**
 * Heartbeats a node may miss before the others count it gone: it may have died (kill -9)
 * between committing updates and publishing them, so they catch up from the database.
 */
const SILENT_HEARTBEATS = 3;

export interface ClusterBusOptions {
  link: RedisLink;
  prefix: string;
  nodeId: string;
  log: Logger;
  heartbeatMs?: number;
  now?: () => number;
}

interface PeerState {
  counter: number;
  seenAt: number;
}

export class ClusterBus {
  private readonly channel: string;
  private counter = 0;
  private readonly peers = new Map<string, PeerState>();
  private handlers: ClusterHandlers | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private subscriptionLost = false;
  private publishFailures = 0;
  private readonly now: () => number;
  /** This process among the node's lives: a restarted node is a new peer to the others. */
  private readonly sender: string;
  published = 0;
  received = 0;
  gaps = 0;
  malformed = 0;

  constructor(private readonly options: ClusterBusOptions) {
    this.channel = `${options.prefix}updates`;
    this.now = options.now ?? Date.now;
    this.sender = `${options.nodeId}#${randomUUID().slice(0, 8)}`;
  }

  /** Subscribes and starts the heartbeat; `handlers` hear every other node's updates. */
  async start(handlers: ClusterHandlers): Promise<void> {
    this.handlers = handlers;
    const { subscriber } = this.options.link;
    subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => {
      if (channel.toString() === this.channel) this.receive(message);
    });
    subscriber.on('close', () => {
      this.subscriptionLost = true;
    });
    subscriber.on('ready', () => {
      if (!this.subscriptionLost) return;
      // Subscribed again (ioredis resubscribes on reconnection; asking again is harmless and
      // tells us when it holds), then read what was missed meanwhile.
      subscriber.subscribe(this.channel).then(
        () => {
          this.subscriptionLost = false;
          this.gap('the subscription to Redis was lost');
        },
        (error: Error) =>
          this.options.log.warn('resubscribing to the cluster channel failed', {
            error: error.message,
          }),
      );
    });
    try {
      await subscriber.subscribe(this.channel);
    } catch (error) {
      // Redis is down at start: ioredis subscribes once it connects, and the catch-up runs then.
      this.subscriptionLost = true;
      this.options.log.warn('redis is unreachable at start; relaying to this node only for now', {
        error: (error as Error).message,
      });
    }
    this.heartbeat = setInterval(() => this.beat(), this.options.heartbeatMs ?? 1000);
    this.heartbeat.unref();
  }

  /** Tells the other nodes of an update committed here. Never throws, never waits. */
  publishUpdate(name: string, ownerId: string, update: Uint8Array): void {
    this.counter += 1;
    const encoder = encoding.createEncoder();
    this.header(encoder, KIND_UPDATE);
    encoding.writeVarString(encoder, name);
    encoding.writeVarString(encoder, ownerId);
    encoding.writeVarUint8Array(encoder, update);
    this.send(encoding.toUint8Array(encoder));
  }

  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    this.handlers = null;
    // The others hear the last number, so nothing this node published goes unnoticed.
    this.beat();
  }

  private header(encoder: encoding.Encoder, kind: number): void {
    encoding.writeVarUint(encoder, FORMAT);
    encoding.writeVarString(encoder, this.sender);
    encoding.writeVarUint(encoder, this.counter);
    encoding.writeVarUint(encoder, kind);
  }

  private beat(): void {
    const encoder = encoding.createEncoder();
    this.header(encoder, KIND_HEARTBEAT);
    this.send(encoding.toUint8Array(encoder));
    const silentSince = this.now() - SILENT_HEARTBEATS * (this.options.heartbeatMs ?? 1000);
    for (const [node, peer] of this.peers) {
      if (peer.seenAt >= silentSince) continue;
      this.peers.delete(node);
      // Stopped cleanly or died: either way what it committed last is in the database.
      this.gap(`node ${node} went silent`);
    }
  }

  private send(message: Uint8Array): void {
    const { link, log } = this.options;
    // While Redis is down the message is lost on purpose: the others see the number skip.
    if (!link.isReady()) {
      this.publishFailures += 1;
      return;
    }
    link.commands.publish(this.channel, Buffer.from(message)).then(
      () => {
        this.published += 1;
        if (this.publishFailures > 0) {
          log.info('publishing to the cluster again', { missed: this.publishFailures });
          this.publishFailures = 0;
        }
      },
      (error: Error) => {
        if (this.publishFailures === 0) {
          log.warn('publishing to the cluster failed', { error: error.message });
        }
        this.publishFailures += 1;
      },
    );
  }

  private receive(message: Buffer): void {
    const handlers = this.handlers;
    if (!handlers) return;
    let node: string;
    let counter: number;
    let kind: number;
    let update: { name: string; ownerId: string; bytes: Uint8Array } | null = null;
    try {
      const decoder = decoding.createDecoder(
        new Uint8Array(message.buffer, message.byteOffset, message.byteLength),
      );
      if (decoding.readVarUint(decoder) !== FORMAT) throw new Error('unknown format');
      node = decoding.readVarString(decoder);
      counter = decoding.readVarUint(decoder);
      kind = decoding.readVarUint(decoder);
      if (kind === KIND_UPDATE) {
        const name = decoding.readVarString(decoder);
        const ownerId = decoding.readVarString(decoder);
        const bytes = decoding.readVarUint8Array(decoder);
        if (name !== ownerId && !name.startsWith(`${ownerId}/`)) {
          throw new Error('document not of its owner');
        }
        update = { name, ownerId, bytes };
      } else if (kind !== KIND_HEARTBEAT) {
        throw new Error(`unknown kind ${kind}`);
      }
    } catch (error) {
      this.malformed += 1;
      this.options.log.warn('ignoring a malformed cluster message', {
        error: (error as Error).message,
      });
      return;
    }
    if (node === this.sender) return;
    this.received += 1;
    const peer = this.peers.get(node);
    const now = this.now();
    if (!peer) {
      // A node heard for the first time: what it published before is in the database, and
      // this node's rooms and cached documents were read from there after it started.
      this.peers.set(node, { counter, seenAt: now });
    } else {
      const expected = kind === KIND_UPDATE ? peer.counter + 1 : peer.counter;
      if (counter > expected) this.gap(`missed ${counter - expected} messages of node ${node}`);
      peer.counter = Math.max(peer.counter, counter);
      peer.seenAt = now;
    }
    if (update) {
      try {
        handlers.onRemoteUpdate(update.name, update.ownerId, update.bytes);
      } catch (error) {
        this.options.log.error('applying an update of another node failed', {
          room: update.name,
          error: (error as Error).message,
        });
        this.gap('an update of another node could not be applied');
      }
    }
  }

  private gap(reason: string): void {
    this.gaps += 1;
    this.options.log.warn('cluster messages may be missing; catching up from the database', {
      reason,
    });
    this.handlers?.onGap(reason);
  }
}
