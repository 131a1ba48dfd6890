import type { Migration } from '../migrate.js';

/**
 * The tasks rule 6 took off a connection's calendar (their event was deleted there): the sync
 * planner never gives them an event again on that connection.
 */
export const migration: Migration = {
  id: '1764000000003-calendar-detached',
  up: `
    create table calendar_detached_tasks (
      connection_id uuid not null references calendar_connections(id) on delete cascade,
      task_id text not null,
      created_at timestamptz not null default now(),
      primary key (connection_id, task_id)
    );
  `,
};
