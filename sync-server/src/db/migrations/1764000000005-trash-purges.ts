import type { Migration } from '../migrate.js';

/**
 * The schedule of the trash purge: one row per user document, due at `run_after`, claimed under
 * a lease (`locked_until`) with `FOR UPDATE SKIP LOCKED`, so servers sharing the database take
 * different documents and a crashed server's claim runs again once its lease is over.
 */
export const migration: Migration = {
  id: '1764000000005-trash-purges',
  up: `
    create table trash_purges (
      user_id uuid primary key references users(id) on delete cascade,
      run_after timestamptz not null,
      locked_until timestamptz,
      last_run_at timestamptz,
      last_purged integer
    );
    create index trash_purges_due on trash_purges (run_after);
  `,
};
