import type { Migration } from '../migrate.js';

/**
 * `documents.size_bytes` is the snapshot's size only: appends no longer touch a document's row
 * (a compaction rewriting the snapshot holds it, and group commits waited for it), so the log's
 * bytes are summed from `document_updates` where they are needed.
 */
export const migration: Migration = {
  id: '1796600000000-document-size-is-snapshot',
  up: `
    update documents set size_bytes = coalesce(length(snapshot), 0);
  `,
};
