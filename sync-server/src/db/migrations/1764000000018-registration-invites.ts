import type { Migration } from '../migrate.js';

/**
 * Invites to register (REGISTRATION=invite): created by an admin, used once, until they expire.
 * Only the SHA-256 of the invite's secret is kept, like refresh tokens.
 */
export const migration: Migration = {
  id: '1764000000018-registration-invites',
  up: `
    create table invites (
      id uuid primary key,
      token_hash text not null unique,
      created_by uuid references users(id) on delete set null,
      created_at timestamptz not null,
      expires_at timestamptz not null,
      used_at timestamptz,
      used_by uuid references users(id) on delete set null
    );
    create index invites_expires on invites (expires_at);
  `,
};
