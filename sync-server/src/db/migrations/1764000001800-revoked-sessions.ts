import type { Migration } from '../migrate.js';

/**
 * Revoked sessions (auth/session-revocation.ts), so that a revocation outlives a restart and
 * reaches every server sharing the database. A row is kept until no access token of its
 * session can still be unexpired (`lapses_at`), then pruned. `recorded_at` is the database's
 * own clock, the cursor other servers poll by (their clocks may disagree).
 */
export const migration: Migration = {
  id: '1764000001800-revoked-sessions',
  up: `
    create table revoked_sessions (
      session_id text primary key,
      lapses_at timestamptz not null,
      recorded_at timestamptz not null default clock_timestamp()
    );
    create index revoked_sessions_recorded on revoked_sessions (recorded_at);
    create index revoked_sessions_lapses on revoked_sessions (lapses_at);
  `,
};
