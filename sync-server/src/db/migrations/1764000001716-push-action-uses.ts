import type { Migration } from '../migrate.js';

/**
 * The Web Push notifications' buttons ("Done", "Snooze 10 min") act once: the first action taken
 * on a notification records its use id here, and a replayed or second press meets the row. Rows
 * outlive their tokens by nothing: each use first forgets the expired ones.
 */
export const migration: Migration = {
  id: '1764000001716-push-action-uses',
  up: `
    create table push_action_uses (
      use_id text primary key,
      user_id uuid not null references users(id) on delete cascade,
      action text not null check (action in ('done', 'snooze')),
      used_at timestamptz not null,
      expires_at timestamptz not null
    );
    create index push_action_uses_expiry on push_action_uses (expires_at);
  `,
};
