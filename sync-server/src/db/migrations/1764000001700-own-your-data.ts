import type { Migration } from '../migrate.js';

/**
 * Issue 17, "own your data". `session_cutoffs`: access tokens of a user issued before
 * `valid_after` (a password change, "sign out everywhere") are refused at once, though they have
 * not expired. `ical_feeds`: the secret of each user's calendar feed (`/ical/{token}.ics`),
 * stored as its SHA-256 only, like refresh tokens.
 */
export const migration: Migration = {
  id: '1764000001700-own-your-data',
  up: `
    create table session_cutoffs (
      user_id uuid primary key references users(id) on delete cascade,
      valid_after timestamptz not null
    );
    create table ical_feeds (
      user_id uuid primary key references users(id) on delete cascade,
      token_hash text not null unique,
      created_at timestamptz not null
    );
  `,
};
