import type { Migration } from '../migrate.js';

/** Users (spec section 4), refresh-token sessions, and the document log + snapshots. */
export const migration: Migration = {
  id: '1764000000000-users-sessions-documents',
  up: `
    create table users (
      id uuid primary key,
      email text not null,
      email_normalized text not null unique,
      username text not null,
      username_normalized text not null unique,
      password_hash text not null,
      full_name text not null default '',
      timezone text not null default 'UTC',
      preferences jsonb not null default '{}'::jsonb,
      role text not null default 'user' check (role in ('user', 'admin')),
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      last_login timestamptz,
      is_active boolean not null default true,
      is_verified boolean not null default false
    );

    -- Refresh tokens, stored as SHA-256 of their secret. Each login starts a family; a rotated
    -- token presented again revokes its whole family (token theft detection).
    create table refresh_tokens (
      id uuid primary key,
      user_id uuid not null references users(id) on delete cascade,
      family_id uuid not null,
      token_hash text not null unique,
      created_at timestamptz not null default now(),
      expires_at timestamptz not null,
      rotated_at timestamptz,
      revoked_at timestamptz
    );
    create index refresh_tokens_family on refresh_tokens (family_id);
    create index refresh_tokens_user on refresh_tokens (user_id);

    -- One row per Yjs document (room): the compacted snapshot and the sequence it covers.
    create table documents (
      name text primary key,
      user_id uuid not null references users(id) on delete cascade,
      snapshot bytea,
      snapshot_seq bigint not null default 0,
      state_vector bytea,
      size_bytes bigint not null default 0,
      updated_at timestamptz not null default now()
    );
    create index documents_user on documents (user_id);

    -- Every update received, appended before it is acknowledged; compaction folds a prefix of
    -- it into documents.snapshot.
    create table document_updates (
      name text not null,
      seq bigserial not null,
      update bytea not null,
      created_at timestamptz not null default now(),
      primary key (name, seq)
    );
  `,
};
