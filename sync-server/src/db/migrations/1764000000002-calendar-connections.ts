import type { Migration } from '../migrate.js';

/**
 * Calendar connections (spec section 4, CalendarConnection), the bridge's status table of
 * (connection, task, event) links, and the durable queue of sync jobs. Secrets (OAuth tokens,
 * the CalDAV password) are stored sealed by calendar/token-crypto.ts, never in clear.
 */
export const migration: Migration = {
  id: '1764000000002-calendar-connections',
  up: `
    create table calendar_connections (
      id uuid primary key,
      user_id uuid not null references users(id) on delete cascade,
      provider text not null check (provider in ('GOOGLE', 'MICROSOFT', 'ICAL')),
      provider_account_id text,
      access_token text,
      refresh_token text,
      token_expires_at timestamptz,
      calendar_id text not null,
      server_url text,
      username text,
      password text,
      sync_enabled boolean not null default true,
      sync_delete_enabled boolean not null default false,
      last_sync_at timestamptz,
      sync_status text not null default 'PENDING'
        check (sync_status in ('PENDING', 'SUCCESS', 'FAILED')),
      sync_error text,
      cursor text,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      -- OAuth providers hold a token; CalDAV holds a server, a user name and a password.
      check (provider = 'ICAL' or access_token is not null),
      check (provider <> 'ICAL' or (server_url is not null and username is not null
        and password is not null))
    );
    create index calendar_connections_user on calendar_connections (user_id, created_at);

    -- The last-synced versions of both sides of each linked (task, event) pair: which side
    -- changed since, without duplicating an event on re-sync (vdirsyncer's status table).
    create table calendar_links (
      connection_id uuid not null references calendar_connections(id) on delete cascade,
      task_id text not null,
      event_id text not null,
      task_hash text,
      event_hash text,
      event_etag text,
      updated_at timestamptz not null default now(),
      primary key (connection_id, task_id),
      unique (connection_id, event_id)
    );

    -- Sync jobs: claimed with FOR UPDATE SKIP LOCKED under a lease (locked_until), so a
    -- crashed worker's job runs again once the lease is over.
    create table sync_jobs (
      id uuid primary key,
      connection_id uuid not null references calendar_connections(id) on delete cascade,
      state text not null check (state in ('queued', 'running', 'succeeded', 'failed')),
      attempts integer not null default 0,
      run_after timestamptz not null,
      locked_until timestamptz,
      error text,
      created_at timestamptz not null default now(),
      started_at timestamptz,
      finished_at timestamptz
    );
    -- At most one waiting and one running job per connection: a connection never syncs twice
    -- at once, and asking again while a job waits returns that job.
    create unique index sync_jobs_one_queued on sync_jobs (connection_id) where state = 'queued';
    create unique index sync_jobs_one_running on sync_jobs (connection_id) where state = 'running';
    create index sync_jobs_due on sync_jobs (run_after) where state in ('queued', 'running');
    create index sync_jobs_finished on sync_jobs (finished_at) where finished_at is not null;
  `,
};
