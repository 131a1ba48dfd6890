import type { Migration } from '../migrate.js';

/**
 * Reminders the server sends, one row per (user, task, reminder key, instant): planned from the
 * user's document, claimed when due under a lease with `FOR UPDATE SKIP LOCKED` (servers sharing
 * the database take different rows; a crashed server's claim is taken again once its lease is
 * over), `attempts` fencing a claim that ran out. The unique key makes a reminder sent once: a
 * re-plan after it was sent meets its `sent` row and adds nothing. `channels_done` records each
 * channel as it is delivered, so a retry sends only what is missing. Web Push subscriptions are
 * per user and endpoint.
 */
export const migration: Migration = {
  id: '1764000000006-reminder-jobs',
  up: `
    create table reminder_jobs (
      id uuid primary key,
      user_id uuid not null references users(id) on delete cascade,
      task_id text not null,
      reminder_key text not null,
      fire_at timestamptz not null,
      state text not null default 'pending'
        check (state in ('pending', 'sent', 'cancelled', 'failed')),
      attempts integer not null default 0,
      locked_until timestamptz,
      channels_done text[] not null default '{}',
      last_error text,
      created_at timestamptz not null,
      finished_at timestamptz,
      unique (user_id, task_id, reminder_key, fire_at)
    );
    create index reminder_jobs_due on reminder_jobs (fire_at) where state = 'pending';
    create index reminder_jobs_user on reminder_jobs (user_id, state);

    create table push_subscriptions (
      id uuid primary key,
      user_id uuid not null references users(id) on delete cascade,
      endpoint text not null unique,
      p256dh text not null,
      auth text not null,
      created_at timestamptz not null
    );
    create index push_subscriptions_user on push_subscriptions (user_id);
  `,
};
