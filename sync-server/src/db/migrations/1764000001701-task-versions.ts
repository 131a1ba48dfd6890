import type { Migration } from '../migrate.js';

/**
 * Task history (issue 17): a version of a task each time a change to the user's document left
 * it different, with the fields as they were, the Yjs clients (devices, or the server) that
 * wrote them, and when. The update log cannot give this: compaction folds it into snapshots.
 */
export const migration: Migration = {
  id: '1764000001701-task-versions',
  up: `
    create table task_versions (
      user_id uuid not null references users(id) on delete cascade,
      task_id text not null,
      version integer not null,
      recorded_at timestamptz not null,
      writers jsonb not null,
      fields jsonb not null,
      primary key (user_id, task_id, version)
    );
  `,
};
