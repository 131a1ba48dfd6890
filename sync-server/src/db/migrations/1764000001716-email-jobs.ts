import type { Migration } from '../migrate.js';

/**
 * Emails other than reminders (the daily agenda, a failing calendar connection), one row per
 * (user, kind, key): the key is the agenda's local day or the connection's failure episode, so
 * the unique constraint makes each go out once however often it is planned. Claimed when due
 * under a lease with `FOR UPDATE SKIP LOCKED`, `attempts` fencing a claim that ran out, as
 * `reminder_jobs`.
 */
export const migration: Migration = {
  id: '1764000001716-email-jobs',
  up: `
    create table email_jobs (
      id uuid primary key,
      user_id uuid not null references users(id) on delete cascade,
      kind text not null check (kind in ('agenda', 'calendar-failure')),
      key text not null,
      fire_at timestamptz not null,
      payload jsonb not null default '{}',
      state text not null default 'pending'
        check (state in ('pending', 'sent', 'cancelled', 'failed')),
      attempts integer not null default 0,
      locked_until timestamptz,
      last_error text,
      created_at timestamptz not null,
      finished_at timestamptz,
      unique (user_id, kind, key)
    );
    create index email_jobs_due on email_jobs (fire_at) where state = 'pending';
  `,
};
