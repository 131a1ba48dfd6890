import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { SCHEMA_VERSION } from './schema.js';
import { metaOf, migrateDocument, monthGuid, UserDocs } from './user-docs.js';

const USER = 'user-1';

/** Counts the updates a document emits while `write` runs. */
function updatesDuring(doc: Y.Doc, write: () => void): number {
  let count = 0;
  const countUpdate = () => {
    count += 1;
  };
  doc.on('update', countUpdate);
  try {
    write();
  } finally {
    doc.off('update', countUpdate);
  }
  return count;
}

describe('migrateDocument', () => {
  it('stamps a new document with schema version 1 and its owner', () => {
    const docs = new UserDocs(USER);
    expect(migrateDocument(docs.main, USER)).toBe('initialized');
    expect(SCHEMA_VERSION).toBe(1);
    expect(metaOf(docs.main).toJSON()).toEqual({ schemaVersion: 1, userId: USER });
  });

  it('leaves a current document alone', () => {
    const docs = new UserDocs(USER);
    migrateDocument(docs.main, USER);
    expect(
      updatesDuring(docs.main, () => expect(migrateDocument(docs.main, USER)).toBe('current')),
    ).toBe(0);
  });

  it('keeps the owner already recorded', () => {
    const docs = new UserDocs(USER);
    metaOf(docs.main).set('userId', 'original-owner');
    migrateDocument(docs.main, USER);
    expect(metaOf(docs.main).get('userId')).toBe('original-owner');
  });

  it('restamps a document whose version is junk', () => {
    const docs = new UserDocs(USER);
    metaOf(docs.main).set('schemaVersion', 'one');
    expect(migrateDocument(docs.main, USER)).toBe('migrated');
    expect(metaOf(docs.main).get('schemaVersion')).toBe(1);
  });

  it('reports a document written by a newer schema and writes nothing to it', () => {
    const docs = new UserDocs(USER);
    metaOf(docs.main).set('schemaVersion', 2);
    const before = Y.encodeStateAsUpdate(docs.main);
    let result: string | undefined;
    expect(
      updatesDuring(docs.main, () => {
        result = migrateDocument(docs.main, USER);
      }),
    ).toBe(0);
    expect(result).toBe('newer');
    expect(Y.encodeStateAsUpdate(docs.main)).toEqual(before);
    expect(metaOf(docs.main).toJSON()).toEqual({ schemaVersion: 2 });
  });

  it('initializes the same document once when two devices stamp it offline', () => {
    const a = new Y.Doc();
    const b = new Y.Doc();
    migrateDocument(a, USER);
    migrateDocument(b, USER);
    Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
    expect(metaOf(a).toJSON()).toEqual({ schemaVersion: 1, userId: USER });
    expect(metaOf(b).toJSON()).toEqual(metaOf(a).toJSON());
  });
});

describe('UserDocs', () => {
  it('names the main document after the user', () => {
    expect(new UserDocs(USER).main.guid).toBe(USER);
  });

  it('gives each month document the guid {userId}/time/{YYYY-MM}', () => {
    const docs = new UserDocs(USER);
    expect(docs.month('2025-03').guid).toBe('user-1/time/2025-03');
    expect(monthGuid(USER, '2024-12')).toBe('user-1/time/2024-12');
  });

  it('returns the same month document each time and reports it once to the caller', () => {
    const created: string[] = [];
    const docs = new UserDocs(USER, { onMonthCreated: (key) => created.push(key) });
    const march = docs.month('2025-03');
    expect(docs.month('2025-03')).toBe(march);
    expect(docs.monthOf('2025-03-31T23:59:59Z')).toBe(march);
    expect(docs.monthOf(new Date('2025-04-01T00:00:00Z')).guid).toBe('user-1/time/2025-04');
    expect(created).toEqual(['2025-03', '2025-04']);
    expect(docs.loadedMonths()).toEqual(['2025-03', '2025-04']);
  });

  it('files an instant by its UTC month', () => {
    const docs = new UserDocs(USER);
    // 00:30 on 1 April in Paris is still March in UTC.
    expect(docs.monthOf('2025-04-01T00:30:00+02:00').guid).toBe('user-1/time/2025-03');
  });

  it.each([['2025-13'], ['2025-00'], ['2025-3'], ['25-03'], ['2025-03-01'], ['../2025-03']])(
    'refuses the month key %s',
    (key) => {
      const docs = new UserDocs(USER);
      expect(() => docs.month(key)).toThrow(/invalid month key/);
      expect(docs.loadedMonths()).toEqual([]);
    },
  );

  it('forgets an unloaded month and creates it afresh on next use', () => {
    const docs = new UserDocs(USER);
    const march = docs.month('2025-03');
    march.getMap('timeEntries').set('x', 1);
    docs.unloadMonth('2025-03');
    expect(docs.hasMonth('2025-03')).toBe(false);
    const again = docs.month('2025-03');
    expect(again).not.toBe(march);
    expect(again.getMap('timeEntries').size).toBe(0);
  });

  it('wraps a main document the caller already has', () => {
    const main = new Y.Doc({ guid: USER });
    expect(new UserDocs(USER, { main }).main).toBe(main);
  });
});
