/** bench:cluster's devices: each connects to the node the bench picks; PostgreSQL read back after. */
import * as Y from 'yjs';
import { createPostgresDatabase } from '../../src/db/postgres-database.js';
import { createSqlDocStore } from '../../src/persistence/sql-doc-store.js';
import type { BenchClient, ClientFactory } from './load.js';
import { type Account, yWebsocketFactory } from './servers.js';

export interface Device {
  /** runLoad's participant index: its keys in the shared map are `${index}:${seq}`. */
  index: number;
  docIndex: number;
  node: number;
  client: BenchClient;
}

export interface ReadBack {
  /** Acknowledged durable, and absent from PostgreSQL after the run. */
  ackedLost: number;
  /** Acked on a socket that was replaced (acks then cannot be mapped to updates). */
  unverifiable: number;
  storedKeys: number;
}

export function deviceFactory(
  baseUrls: string[],
  accounts: Account[],
  room: (account: Account) => string,
  nodeOf: (device: number) => number,
): { factory: ClientFactory; devices: Device[] } {
  const perNode = baseUrls.map((baseUrl) =>
    yWebsocketFactory(
      baseUrl,
      (docIndex) => {
        const account = accounts[docIndex];
        if (!account) throw new Error(`no account for user ${docIndex}`);
        return { name: room(account), params: { token: account.token, ack: '1' } };
      },
      true,
    ),
  );
  const devices: Device[] = [];
  const connectedPerDoc = new Map<number, number>();
  const factory: ClientFactory = {
    Y,
    connect(docIndex, doc, events) {
      const device = connectedPerDoc.get(docIndex) ?? 0;
      connectedPerDoc.set(docIndex, device + 1);
      const node = nodeOf(device);
      const client = perNode[node]?.connect(docIndex, doc, events);
      if (!client) throw new Error(`no node ${node}`);
      devices.push({ index: devices.length, docIndex, node, client });
      return client;
    },
  };
  return { factory, devices };
}

/**
 * Reads every document back from PostgreSQL and looks for each acknowledged update. On a
 * socket that never reconnected, acks are cumulative and in order: a device's first `acked`
 * updates are exactly the acknowledged ones.
 */
export async function readBack(
  databaseUrl: string,
  accounts: Account[],
  room: (account: Account) => string,
  devices: Device[],
): Promise<ReadBack> {
  const db = createPostgresDatabase({ url: databaseUrl, max: 2 });
  try {
    const store = createSqlDocStore(db);
    const keysOf = new Map<number, Set<string>>();
    let storedKeys = 0;
    for (const [docIndex, account] of accounts.entries()) {
      const stored = await store.load(room(account));
      const doc = new Y.Doc();
      for (const update of stored.updates) Y.applyUpdate(doc, update);
      const keys = new Set(doc.getMap('bench').keys());
      storedKeys += keys.size;
      keysOf.set(docIndex, keys);
      doc.destroy();
    }
    let ackedLost = 0;
    let unverifiable = 0;
    for (const device of devices) {
      const acks = device.client.acks;
      if (!acks) continue;
      if (acks.sockets !== 1 || acks.lostToReconnect > 0 || acks.notSentImmediately > 0) {
        unverifiable += acks.acked;
        continue;
      }
      const keys = keysOf.get(device.docIndex);
      for (let seq = 1; seq <= acks.acked; seq += 1) {
        if (!keys?.has(`${device.index}:${seq}`)) ackedLost += 1;
      }
    }
    return { ackedLost, unverifiable, storedKeys };
  } finally {
    await db.close();
  }
}
