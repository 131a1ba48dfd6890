import type * as Y from 'yjs';

const versions = new WeakMap<Y.Doc, number>();

/**
 * A number that grows after every transaction on the document (local or remote): derived data
 * cached with it is current while the number has not moved. The counter starts when first asked.
 */
export function documentVersion(doc: Y.Doc): number {
  let version = versions.get(doc);
  if (version === undefined) {
    version = 0;
    versions.set(doc, version);
    doc.on('afterTransaction', () => versions.set(doc, (versions.get(doc) ?? 0) + 1));
  }
  return version;
}

/** Whether a transaction is open: its changes are not counted yet, so caches must be bypassed. */
export function isInTransaction(doc: Y.Doc): boolean {
  return doc._transaction !== null;
}
