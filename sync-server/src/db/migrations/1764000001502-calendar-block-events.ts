import type { Migration } from '../migrate.js';

/**
 * The events written for planned blocks ("put planned blocks in my calendar"), one row per block
 * and connection: which event shows the block, and its last written version, so a re-sync
 * updates or deletes that event instead of writing another.
 */
export const migration: Migration = {
  id: '1764000001502-calendar-block-events',
  up: `
    create table calendar_block_events (
      connection_id uuid not null references calendar_connections(id) on delete cascade,
      marker text not null,
      event_id text not null,
      event_hash text not null,
      event_etag text not null,
      updated_at timestamptz not null default now(),
      primary key (connection_id, marker),
      unique (connection_id, event_id)
    );
  `,
};
