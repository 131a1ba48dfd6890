import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Database } from '../db/database.js';

/**
 * Push channels in Postgres: one per connection (a Google watch channel, a Graph subscription),
 * found again by the id the provider echoes in each notification. The channel's secret (Google's
 * token, Graph's clientState) is kept only as a digest: a notification proves itself by carrying
 * the secret, and a database dump cannot forge one.
 */
export interface PushChannel {
  connectionId: string;
  channelId: string;
  /** Google's resourceId (needed to stop the channel); null for Graph. */
  resourceId: string | null;
  expiresAt: Date;
}

export interface PushChannelStore {
  forConnection(connectionId: string): Promise<PushChannel | null>;
  /** Replaces the connection's channel. */
  save(channel: PushChannel, secret: string): Promise<void>;
  /** The connection of a channel whose secret matches; null for an unknown channel or secret. */
  verify(channelId: string, secret: string | null): Promise<string | null>;
  /**
   * `verify` for a batch, in one query: the connections of the channels whose secret matches
   * (each once), and how many notifications did not prove themselves.
   */
  verifyMany(
    notifications: readonly { channelId: string; secret: string | null }[],
  ): Promise<{ connectionIds: string[]; rejected: number }>;
  remove(connectionId: string): Promise<void>;
}

/** A fresh channel secret: 192 random bits. */
export const newChannelSecret = (): string => randomBytes(24).toString('base64url');

const digest = (secret: string): string => createHash('sha256').update(secret).digest('hex');

interface ChannelRow {
  [column: string]: unknown;
  connection_id: string;
  channel_id: string;
  resource_id: string | null;
  secret_hash: string;
  expires_at: Date | string;
}

export function createPushChannelStore(db: Database): PushChannelStore {
  return {
    async forConnection(connectionId) {
      const [row] = await db.query<ChannelRow>(
        `select connection_id, channel_id, resource_id, secret_hash, expires_at
         from calendar_push_channels where connection_id = $1`,
        [connectionId],
      );
      if (!row) return null;
      return {
        connectionId: row.connection_id,
        channelId: row.channel_id,
        resourceId: row.resource_id,
        expiresAt: new Date(row.expires_at),
      };
    },

    async save(channel, secret) {
      await db.query(
        `insert into calendar_push_channels
           (connection_id, channel_id, resource_id, secret_hash, expires_at)
         values ($1, $2, $3, $4, $5)
         on conflict (connection_id) do update set channel_id = excluded.channel_id,
           resource_id = excluded.resource_id, secret_hash = excluded.secret_hash,
           expires_at = excluded.expires_at, created_at = now()`,
        [
          channel.connectionId,
          channel.channelId,
          channel.resourceId,
          digest(secret),
          channel.expiresAt,
        ],
      );
    },

    async verify(channelId, secret) {
      if (secret === null || channelId.length > 512) return null;
      const [row] = await db.query<ChannelRow>(
        `select connection_id, channel_id, resource_id, secret_hash, expires_at
         from calendar_push_channels where channel_id = $1`,
        [channelId],
      );
      if (!row) return null;
      const expected = Buffer.from(row.secret_hash, 'hex');
      const given = Buffer.from(digest(secret), 'hex');
      return timingSafeEqual(expected, given) ? row.connection_id : null;
    },

    async verifyMany(notifications) {
      const candidates = notifications.filter(
        (n): n is { channelId: string; secret: string } =>
          n.secret !== null && n.channelId.length <= 512,
      );
      const ids = [...new Set(candidates.map((n) => n.channelId))];
      const rows =
        ids.length === 0
          ? []
          : await db.query<ChannelRow>(
              `select connection_id, channel_id, resource_id, secret_hash, expires_at
               from calendar_push_channels where channel_id = any($1::text[])`,
              [ids],
            );
      const byChannel = new Map(rows.map((row) => [row.channel_id, row]));
      const connectionIds = new Set<string>();
      let rejected = notifications.length - candidates.length;
      for (const { channelId, secret } of candidates) {
        const row = byChannel.get(channelId);
        const matches =
          row !== undefined &&
          timingSafeEqual(Buffer.from(row.secret_hash, 'hex'), Buffer.from(digest(secret), 'hex'));
        if (matches) connectionIds.add(row.connection_id);
        else rejected += 1;
      }
      return { connectionIds: [...connectionIds], rejected };
    },

    async remove(connectionId) {
      await db.query('delete from calendar_push_channels where connection_id = $1', [connectionId]);
    },
  };
}
