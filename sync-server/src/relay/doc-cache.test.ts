import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { silentLogger } from '../logger.js';
import type { DocStore, StoredDocument } from '../persistence/doc-store.js';
import { DocCache } from './doc-cache.js';

/** A store holding nothing: every document loads empty (the SQL store has its own tests). */
const emptyStore: DocStore = {
  load: async (): Promise<StoredDocument> => ({
    updates: [],
    snapshot: null,
    stateVector: null,
    snapshotSeq: 0,
    tailSeqs: [],
    lastSeq: 0,
    tailLength: 0,
    tailBytes: 0,
    sizeBytes: 0,
  }),
  appendBatch: async () => [],
  compact: async () => true,
  userSize: async () => 0,
};

function newCache(): DocCache {
  return new DocCache({
    store: emptyStore,
    log: silentLogger,
    budgetBytes: 64 * 1024 * 1024,
    onLocalUpdate: () => {},
  });
}

/** Updates as a device makes them: one per keystroke. */
function deviceUpdates(count: number): Uint8Array[] {
  const device = new Y.Doc();
  const updates: Uint8Array[] = [];
  device.on('update', (update: Uint8Array) => updates.push(update));
  for (let i = 0; i < count; i += 1) device.getText('title').insert(i, 'x');
  return updates;
}

describe('the document cache', () => {
  it('applies what was committed while nobody used a document at its next use, in one transaction', async () => {
    const cache = newCache();
    const first = await cache.acquire('doc', 'owner');
    cache.release(first);
    let transactions = 0;
    first.doc.on('afterTransaction', () => {
      transactions += 1;
    });
    for (const update of deviceUpdates(5)) cache.applyCommitted('doc', update);
    expect(cache.heldUpdates('doc')).toBe(5);
    expect(transactions).toBe(0);

    const again = await cache.acquire('doc', 'owner');
    expect(again.doc.getText('title').toString()).toBe('xxxxx');
    expect(transactions).toBe(1);
    expect(cache.heldUpdates('doc')).toBe(0);
    cache.release(again);
  });

  it('applies at once to a document in use, so its user sees every commit', async () => {
    const cache = newCache();
    const cached = await cache.acquire('doc', 'owner');
    const [update] = deviceUpdates(1);
    cache.applyCommitted('doc', update as Uint8Array);
    expect(cache.heldUpdates('doc')).toBe(0);
    expect(cached.doc.getText('title').toString()).toBe('x');
    cache.release(cached);
  });

  it('holds a bounded number of updates, and gives state vectors that count the held ones', async () => {
    const cache = newCache();
    cache.release(await cache.acquire('doc', 'owner'));
    const updates = deviceUpdates(600);
    for (const update of updates) cache.applyCommitted('doc', update);
    expect(cache.heldUpdates('doc')).toBeLessThan(256);
    const [entry] = cache.loadedStateVectors();
    const device = new Y.Doc();
    for (const update of updates) Y.applyUpdate(device, update);
    expect(entry?.stateVector).toEqual(Y.encodeStateVector(device));
    expect(cache.heldUpdates('doc')).toBe(0);
  });
});
