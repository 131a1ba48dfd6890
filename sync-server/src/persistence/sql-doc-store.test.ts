import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { openTestDatabase, type TestDatabase, testDatabaseKinds } from '../db/test-databases.js';
import { silentLogger } from '../logger.js';
import type { DocStore } from './doc-store.js';
import { createSqlDocStore } from './sql-doc-store.js';
import { UpdateLog } from './update-log.js';

function docFrom(updates: Uint8Array[]): Y.Doc {
  const doc = new Y.Doc();
  for (const update of updates) Y.applyUpdate(doc, update);
  return doc;
}

describe.each(testDatabaseKinds())('document store on %s', (kind) => {
  let test: TestDatabase;
  let store: DocStore;
  let userId: string;
  beforeAll(async () => {
    test = await openTestDatabase(kind);
    store = createSqlDocStore(test.db);
    userId = randomUUID();
    await test.db.query(
      `insert into users (id, email, email_normalized, username, username_normalized, password_hash)
       values ($1, 'a@example.com', 'a@example.com', 'a', 'a', 'x')`,
      [userId],
    );
  }, 60_000);
  afterAll(async () => {
    await test?.dispose();
  });

  it('loads a document never written as empty, and leaves no row for it', async () => {
    const stored = await store.load(`${userId}/time/1999-01`);
    expect(stored).toEqual({
      updates: [],
      snapshot: null,
      stateVector: null,
      snapshotSeq: 0,
      tailSeqs: [],
      lastSeq: 0,
      tailLength: 0,
      tailBytes: 0,
      sizeBytes: 0,
    });
    const rows = await test.db.query('select 1 from documents where name = $1', [
      `${userId}/time/1999-01`,
    ]);
    expect(rows).toHaveLength(0);
  });

  it('loads what was appended, in order, and counts the bytes against the owner', async () => {
    const doc = new Y.Doc();
    const updates: Uint8Array[] = [];
    doc.on('update', (update: Uint8Array) => updates.push(update));
    for (let i = 0; i < 5; i += 1) doc.getArray('a').push([i]);
    const seqs = await store.appendBatch(
      updates.map((update) => ({ name: userId, ownerId: userId, update })),
    );
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    const stored = await store.load(userId);
    expect(stored.tailLength).toBe(5);
    expect(docFrom(stored.updates).getArray('a').toArray()).toEqual([0, 1, 2, 3, 4]);
    const bytes = updates.reduce((sum, update) => sum + update.byteLength, 0);
    expect(await store.userSize(userId)).toBe(bytes);
  });

  it('appends a batch larger than one statement across documents, each update intact and in order', async () => {
    // Names with a quote and a backslash travel as array literals; sizes differ per update.
    const names = [`${userId}/odd "name"`, `${userId}/odd \\ name`, `${userId}/plain`];
    const entries = Array.from({ length: 10_050 }, (_, index) => ({
      name: names[index % names.length] as string,
      ownerId: userId,
      update: new Uint8Array(1 + (index % 7)).fill(index % 251),
    }));
    const seqs = await store.appendBatch(entries);
    expect(seqs).toHaveLength(entries.length);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    for (const [docIndex, name] of names.entries()) {
      const mine = entries.filter((_, index) => index % names.length === docIndex);
      const stored = await store.load(name);
      expect(stored.updates).toEqual(mine.map((entry) => entry.update));
      expect(stored.sizeBytes).toBe(mine.reduce((sum, entry) => sum + entry.update.byteLength, 0));
    }
  });

  it('folds the log into a snapshot and keeps what was appended after it', async () => {
    const name = `${userId}/time/2025-10`;
    const doc = new Y.Doc();
    const updates: Uint8Array[] = [];
    doc.on('update', (update: Uint8Array) => updates.push(update));
    for (let i = 0; i < 10; i += 1) doc.getMap('m').set(`k${i}`, i);
    const seqs = await store.appendBatch(
      updates.map((update) => ({ name, ownerId: userId, update })),
    );
    const atSeven = new Y.Doc();
    for (const update of updates.slice(0, 7)) Y.applyUpdate(atSeven, update);
    const before = await store.load(name);
    const compaction = {
      snapshot: Y.encodeStateAsUpdate(atSeven),
      stateVector: Y.encodeStateVector(atSeven),
      expectedSnapshotSeq: before.snapshotSeq,
      mergedSeqs: seqs.slice(0, 7),
    };
    expect(await store.compact(name, compaction)).toBe(true);
    const stored = await store.load(name);
    expect(stored.tailLength).toBe(3);
    expect(stored.tailSeqs).toEqual(seqs.slice(7));
    expect(stored.updates).toHaveLength(4);
    expect(stored.stateVector).toEqual(Y.encodeStateVector(atSeven));
    expect(docFrom(stored.updates).getMap('m').toJSON()).toEqual(doc.getMap('m').toJSON());
    // A second compaction that started from the same snapshot (another server process) loses
    // the compare-and-set and changes nothing.
    expect(await store.compact(name, compaction)).toBe(false);
    expect((await store.load(name)).updates).toHaveLength(4);
  });

  it('deletes only the rows a compaction merged, even ones numbered below rows it kept', async () => {
    const name = `${userId}/time/2025-11`;
    const doc = new Y.Doc();
    const updates: Uint8Array[] = [];
    doc.on('update', (update: Uint8Array) => updates.push(update));
    for (let i = 0; i < 6; i += 1) doc.getMap('m').set(`k${i}`, i);
    const seqs = await store.appendBatch(
      updates.map((update) => ({ name, ownerId: userId, update })),
    );
    // The merge saw rows 0, 1, 3 and 5 (2 and 4 committed after its read by another process).
    const seen = [0, 1, 3, 5];
    const merged = new Y.Doc();
    for (const index of seen) Y.applyUpdate(merged, updates[index] as Uint8Array);
    const won = await store.compact(name, {
      snapshot: Y.encodeStateAsUpdate(merged),
      stateVector: Y.encodeStateVector(merged),
      expectedSnapshotSeq: 0,
      mergedSeqs: seen.map((index) => seqs[index] as number),
    });
    expect(won).toBe(true);
    const stored = await store.load(name);
    expect(stored.tailSeqs).toEqual([seqs[2], seqs[4]]);
    expect(docFrom(stored.updates).getMap('m').toJSON()).toEqual(doc.getMap('m').toJSON());
  });

  it('counts a compacted document at its snapshot plus the log after it', async () => {
    const name = `${userId}/time/2025-12`;
    const other = randomUUID();
    await test.db.query(
      `insert into users (id, email, email_normalized, username, username_normalized, password_hash)
       values ($1, 'b@example.com', 'b@example.com', 'b', 'b', 'x')`,
      [other],
    );
    const before = await store.userSize(userId);
    const seqs = await store.appendBatch(
      [10, 20, 30].map((bytes) => ({ name, ownerId: userId, update: new Uint8Array(bytes) })),
    );
    // Another user's log counts for them only.
    await store.appendBatch([
      { name: `${other}/tasks`, ownerId: other, update: new Uint8Array(7) },
    ]);
    expect(await store.userSize(userId)).toBe(before + 60);
    expect(await store.userSize(other)).toBe(7);
    const won = await store.compact(name, {
      snapshot: new Uint8Array(25),
      stateVector: new Uint8Array([0]),
      expectedSnapshotSeq: 0,
      mergedSeqs: seqs.slice(0, 2),
    });
    expect(won).toBe(true);
    expect(await store.userSize(userId)).toBe(before + 25 + 30);
    expect((await store.load(name)).sizeBytes).toBe(25 + 30);
  });

  // PostgreSQL only: PGlite has one connection, so nothing else can hold a row meanwhile.
  if (kind === 'postgres')
    it('appends to a document while a compaction holds its row, without waiting for it', async () => {
      const name = `${userId}/time/2024-01`;
      await store.appendBatch([{ name, ownerId: userId, update: new Uint8Array([1]) }]);
      // Closed with the test database.
      const compacting = test.connect({ max: 1 });
      if (!compacting) throw new Error('no second connection');
      // What a compaction's statement does: the document's row, updated and held until commit.
      await compacting.transaction(async (tx) => {
        await tx.query('update documents set snapshot = $2, snapshot_seq = 1 where name = $1', [
          name,
          new Uint8Array(1024),
        ]);
        const appended = store.appendBatch([
          { name, ownerId: userId, update: new Uint8Array([2]) },
        ]);
        const outcome = await Promise.race([
          appended.then(() => 'appended'),
          new Promise((resolve) => setTimeout(() => resolve('waited'), 3000)),
        ]);
        expect(outcome).toBe('appended');
      });
      expect((await store.load(name)).tailLength).toBe(2);
    });

  it('commits appends from many documents in shared batches and resolves each once durable', async () => {
    const log = new UpdateLog(store, silentLogger, { commitWindowMs: 5 });
    const names = [0, 1, 2].map((i) => `${userId}/time/2025-0${i + 1}`);
    const doc = new Y.Doc();
    const pending: Promise<number>[] = [];
    doc.on('update', (update: Uint8Array) => {
      for (const name of names) pending.push(log.append(name, userId, update));
    });
    for (let i = 0; i < 30; i += 1) doc.getMap('m').set(`k${i}`, i);
    const seqs = await Promise.all(pending);
    expect(new Set(seqs).size).toBe(90);
    await log.flush();
    for (const name of names) {
      expect(docFrom((await store.load(name)).updates).getMap('m').size).toBe(30);
    }
  });
});
