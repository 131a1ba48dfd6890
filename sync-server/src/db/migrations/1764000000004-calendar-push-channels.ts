import type { Migration } from '../migrate.js';

/**
 * Push channels of calendar connections: a Google watch channel or a Graph subscription, so a
 * provider's notification finds its connection. The secret (Google's channel token, Graph's
 * clientState) is kept as a SHA-256 digest only; one channel per connection.
 */
export const migration: Migration = {
  id: '1764000000004-calendar-push-channels',
  up: `
    create table calendar_push_channels (
      connection_id uuid primary key references calendar_connections(id) on delete cascade,
      channel_id text not null unique,
      resource_id text,
      secret_hash text not null,
      expires_at timestamptz not null,
      created_at timestamptz not null default now()
    );
  `,
};
