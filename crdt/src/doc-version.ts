import type * as Y from 'yjs';

const versions = new WeakMap<Y.Doc, number>();

/**
 * A number that grows when a transaction on the document (local or remote) begins: derived data
 * cached with it is current while the number has not moved. It moves at the start, not the end,
 * because observers run after the changes but before a transaction's end events: read there, a
 * cache keyed on an end-of-transaction counter would still look current. The counter starts when
 * first asked.
 */
export function documentVersion(doc: Y.Doc): number {
  let version = versions.get(doc);
  if (version === undefined) {
    version = 0;
    versions.set(doc, version);
    doc.on('beforeTransaction', () => versions.set(doc, (versions.get(doc) ?? 0) + 1));
  }
  return version;
}

/** Whether a transaction is open: its changes are not counted yet, so caches must be bypassed. */
export function isInTransaction(doc: Y.Doc): boolean {
  return doc._transaction !== null;
}
