import type { TaskEventLink } from '@tasks/crdt';
import { v7 as uuidv7 } from 'uuid';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import { InvalidGrantError, type OAuthClient, type TokenSet } from './oauth-client.js';
import { type TokenCrypto, TokenDecryptError } from './token-crypto.js';

/**
 * Calendar connections in Postgres (spec section 4, CalendarConnection). Secrets are sealed by
 * TokenCrypto before they reach SQL and opened only in memory, bound to their row and column;
 * nothing this store returns to a route carries one. `accessTokenFor` hands the sync engine a
 * live access token, refreshing it shortly before it expires, and marks the connection FAILED
 * with a readable `sync_error` when the provider refuses the refresh token (`invalid_grant`).
 */
export type ProviderName = 'GOOGLE' | 'MICROSOFT' | 'ICAL';
export type OAuthProviderName = Exclude<ProviderName, 'ICAL'>;
export type SyncStatus = 'PENDING' | 'SUCCESS' | 'FAILED';

export interface CalendarConnection {
  id: string;
  userId: string;
  provider: ProviderName;
  providerAccountId: string | null;
  calendarId: string;
  /** CalDAV only. */
  serverUrl: string | null;
  username: string | null;
  syncEnabled: boolean;
  syncDeleteEnabled: boolean;
  syncStatus: SyncStatus;
  syncError: string | null;
  lastSyncAt: Date | null;
  tokenExpiresAt: Date | null;
  /** The provider's sync cursor (sync token, delta link, CalDAV sync-token). */
  cursor: string | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface CaldavCredentials {
  serverUrl: string;
  username: string;
  password: string;
  /** The calendar collection's path on the server (`calendar_id`). */
  calendarPath: string;
}

/** A connection that cannot sync until the user acts (reconnects); its `sync_error` says why. */
export class ConnectionFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectionFailedError';
  }
}

export class ConnectionNotFoundError extends Error {
  constructor(readonly connectionId: string) {
    super(`calendar connection ${connectionId} does not exist`);
    this.name = 'ConnectionNotFoundError';
  }
}

export interface ConnectionStore {
  createOAuth(input: {
    userId: string;
    provider: OAuthProviderName;
    calendarId: string;
    tokens: TokenSet;
  }): Promise<CalendarConnection>;
  createCaldav(input: {
    userId: string;
    serverUrl: string;
    username: string;
    password: string;
    calendarId: string;
  }): Promise<CalendarConnection>;
  /**
   * The user's connection to the same calendar of the same account (the OAuth subject, or the
   * CalDAV server and user name), if there is one: connecting it again renews it instead.
   */
  findSame(
    userId: string,
    key: { provider: ProviderName; accountId: string; calendarId: string; serverUrl?: string },
  ): Promise<CalendarConnection | null>;
  /**
   * New credentials for a connection (the user connected it again): its links, cursor and
   * switches stay, its failure is cleared. Google sends no new refresh token on a repeated
   * consent, so a missing one keeps the stored one.
   */
  renewOAuth(id: string, tokens: TokenSet): Promise<CalendarConnection>;
  renewCaldav(id: string, password: string): Promise<CalendarConnection>;
  /** The user's connections, oldest first. */
  list(userId: string): Promise<CalendarConnection[]>;
  count(userId: string): Promise<number>;
  /** The connection if it is the user's; null for another user's and for none. */
  get(userId: string, id: string): Promise<CalendarConnection | null>;
  /** Any user's connection, for the sync worker. */
  find(id: string): Promise<CalendarConnection | null>;
  /** Changes the user's switches of a connection; null when it is not theirs. */
  updateSwitches(
    userId: string,
    id: string,
    patch: { syncEnabled?: boolean; syncDeleteEnabled?: boolean },
  ): Promise<CalendarConnection | null>;
  /**
   * Deletes the user's connection (its links and jobs go with it); null when none. Gives the
   * task links it held, read under the row's lock: a sync committing links at that moment
   * (which holds the row shared) finishes first, and one committing later finds no connection.
   */
  remove(userId: string, id: string): Promise<{ links: TaskEventLink[] } | null>;
  /**
   * A live access token: the stored one while it has more than the refresh margin left, else a
   * refreshed one (one refresh at a time per connection in this process). `forceRefresh` after
   * the provider answered 401. Throws ConnectionFailedError when only the user can fix it.
   */
  accessTokenFor(id: string, options?: { forceRefresh?: boolean }): Promise<string>;
  caldavCredentialsFor(id: string): Promise<CaldavCredentials>;
  recordSyncSuccess(id: string, cursor?: string | null): Promise<void>;
  recordSyncFailure(id: string, message: string): Promise<void>;
}

export interface ConnectionStoreDeps {
  db: Database;
  crypto: TokenCrypto;
  /** Token endpoints of the configured providers; a provider missing here cannot refresh. */
  oauth: Partial<Record<OAuthProviderName, OAuthClient>>;
  clock: () => Date;
  log: Logger;
  newId?: () => string;
  /** How long before expiry a token is refreshed (default 5 minutes). */
  refreshMarginMs?: number;
}

export const PROVIDER_LABELS: Record<ProviderName, string> = {
  GOOGLE: 'Google',
  MICROSOFT: 'Microsoft',
  ICAL: 'The CalDAV server',
};

const PUBLIC_COLUMNS = `id, user_id, provider, provider_account_id, calendar_id, server_url,
  username, sync_enabled, sync_delete_enabled, sync_status, sync_error, last_sync_at,
  token_expires_at, cursor, created_at, updated_at`;

const MAX_SYNC_ERROR = 1000;

interface ConnectionRow {
  [column: string]: unknown;
  id: string;
  user_id: string;
  provider: ProviderName;
  provider_account_id: string | null;
  calendar_id: string;
  server_url: string | null;
  username: string | null;
  sync_enabled: boolean;
  sync_delete_enabled: boolean;
  sync_status: SyncStatus;
  sync_error: string | null;
  last_sync_at: Date | string | null;
  token_expires_at: Date | string | null;
  cursor: string | null;
  created_at: Date | string;
  updated_at: Date | string;
}

interface SecretRow {
  [column: string]: unknown;
  id: string;
  provider: ProviderName;
  access_token: string | null;
  refresh_token: string | null;
  token_expires_at: Date | string | null;
  server_url: string | null;
  username: string | null;
  password: string | null;
  calendar_id: string;
}

const toDate = (value: Date | string): Date => (value instanceof Date ? value : new Date(value));
const toNullableDate = (value: Date | string | null): Date | null =>
  value === null ? null : toDate(value);

function toConnection(row: ConnectionRow): CalendarConnection {
  return {
    id: row.id,
    userId: row.user_id,
    provider: row.provider,
    providerAccountId: row.provider_account_id,
    calendarId: row.calendar_id,
    serverUrl: row.server_url,
    username: row.username,
    syncEnabled: row.sync_enabled,
    syncDeleteEnabled: row.sync_delete_enabled,
    syncStatus: row.sync_status,
    syncError: row.sync_error,
    lastSyncAt: toNullableDate(row.last_sync_at),
    tokenExpiresAt: toNullableDate(row.token_expires_at),
    cursor: row.cursor,
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
  };
}

/** Where a secret is bound: a sealed value opens only in its own row and column. */
const sealContext = (id: string, column: 'access_token' | 'refresh_token' | 'password') =>
  `calendar_connections:${id}:${column}`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Ids come from URLs: anything that is not a UUID names no connection (and no SQL error). */
export const isUuid = (value: string): boolean => UUID.test(value);

export function createConnectionStore(deps: ConnectionStoreDeps): ConnectionStore {
  const { db, crypto, clock } = deps;
  const newId = deps.newId ?? (() => uuidv7());
  const margin = deps.refreshMarginMs ?? 5 * 60_000;
  const inFlight = new Map<string, Promise<string>>();

  async function insert(columns: Record<string, unknown>): Promise<CalendarConnection> {
    const names = Object.keys(columns);
    const placeholders = names.map((_, index) => `$${index + 1}`);
    const [row] = await db.query<ConnectionRow>(
      `insert into calendar_connections (${names.join(', ')}) values (${placeholders.join(', ')})
       returning ${PUBLIC_COLUMNS}`,
      Object.values(columns),
    );
    if (!row) throw new Error('insert returned no row');
    return toConnection(row);
  }

  /** The access and refresh tokens as stored: sealed to this connection and column. */
  function sealTokens(id: string, tokens: TokenSet): [string, string | null] {
    return [
      crypto.seal(tokens.accessToken, sealContext(id, 'access_token')),
      tokens.refreshToken === null
        ? null
        : crypto.seal(tokens.refreshToken, sealContext(id, 'refresh_token')),
    ];
  }

  /**
   * Marks the connection FAILED. When it was not failing before, a failure episode begins: the
   * same statement queues the email telling the user (notifications/calendar-failure-email.ts),
   * keyed by the connection and the moment, so a retry or another server adds none.
   */
  async function markFailed(id: string, message: string, clearRefreshToken = false) {
    await db.query(
      `with previous as (
         select id, user_id, sync_status from calendar_connections where id = $1 for update
       ), failed as (
         update calendar_connections c
         set sync_status = 'FAILED', sync_error = $2, updated_at = $3
           ${clearRefreshToken ? ', refresh_token = null' : ''}
         from previous p where c.id = p.id
         returning c.id
       )
       insert into email_jobs (id, user_id, kind, key, fire_at, payload, created_at)
       select $4, p.user_id, 'calendar-failure', p.id || '@' || $5, $3,
         jsonb_build_object('connectionId', p.id), $3
       from previous p join failed f on f.id = p.id
       where p.sync_status <> 'FAILED'
       on conflict (user_id, kind, key) do nothing`,
      [id, message.slice(0, MAX_SYNC_ERROR), clock(), uuidv7(), clock().toISOString()],
    );
  }

  async function readSecrets(id: string): Promise<SecretRow> {
    if (!isUuid(id)) throw new ConnectionNotFoundError(id);
    const [row] = await db.query<SecretRow>(
      `select id, provider, access_token, refresh_token, token_expires_at, server_url, username,
         password, calendar_id
       from calendar_connections where id = $1`,
      [id],
    );
    if (!row) throw new ConnectionNotFoundError(id);
    return row;
  }

  /** Opens a secret; one that does not open fails the connection (a changed key, tampering). */
  async function open(
    row: SecretRow,
    column: 'access_token' | 'refresh_token' | 'password',
    sealed: string,
  ): Promise<string> {
    try {
      return crypto.open(sealed, sealContext(row.id, column));
    } catch (error) {
      if (!(error instanceof TokenDecryptError)) throw error;
      const message =
        "This connection's stored credentials cannot be decrypted with this server's key (was CALENDAR_TOKEN_KEY changed?). Reconnect the calendar.";
      deps.log.error('calendar credentials do not decrypt', { connectionId: row.id, column });
      await markFailed(row.id, message);
      throw new ConnectionFailedError(message);
    }
  }

  async function currentOrRefreshed(id: string, force: boolean): Promise<string> {
    const row = await readSecrets(id);
    if (row.provider === 'ICAL' || row.access_token === null) {
      throw new Error(`calendar connection ${id} (${row.provider}) has no OAuth access token`);
    }
    const label = PROVIDER_LABELS[row.provider];
    const accessToken = await open(row, 'access_token', row.access_token);
    const expiresAt = toNullableDate(row.token_expires_at);
    const isFresh = expiresAt === null || expiresAt.getTime() - clock().getTime() > margin;
    if (isFresh && !force) return accessToken;
    if (row.refresh_token === null) {
      const message = `${label} gave this connection no refresh token, and its access token has expired. Reconnect the calendar to resume syncing.`;
      await markFailed(id, message);
      throw new ConnectionFailedError(message);
    }
    const refreshToken = await open(row, 'refresh_token', row.refresh_token);
    const client = deps.oauth[row.provider];
    if (!client) {
      const message = `${label} is not configured on this server any more, so this connection cannot refresh its access.`;
      await markFailed(id, message);
      throw new ConnectionFailedError(message);
    }
    let tokens: TokenSet;
    try {
      tokens = await client.refresh(refreshToken);
    } catch (error) {
      if (!(error instanceof InvalidGrantError)) throw error;
      // The grant is dead (revoked, expired, password changed): forget the refresh token so no
      // later call asks the provider again, and tell the user what to do.
      const message = `${error.message}. The access was revoked or has expired: reconnect the calendar to resume syncing.`;
      deps.log.warn('calendar refresh token refused', { connectionId: id, provider: row.provider });
      await markFailed(id, message, true);
      throw new ConnectionFailedError(message);
    }
    // Compare-and-set on the sealed refresh token (a fresh random IV each time, so a version):
    // if another server refreshed first, its tokens win and we use them.
    const updated = await db.query(
      `update calendar_connections
       set access_token = $2, refresh_token = $3, token_expires_at = $4, updated_at = $5
       where id = $1 and refresh_token = $6
       returning id`,
      [id, ...sealTokens(id, tokens), tokens.expiresAt, clock(), row.refresh_token],
    );
    if (updated.length > 0) return tokens.accessToken;
    const again = await readSecrets(id);
    if (again.access_token === null) throw new ConnectionNotFoundError(id);
    return open(again, 'access_token', again.access_token);
  }

  return {
    async createOAuth({ userId, provider, calendarId, tokens }) {
      const id = newId();
      const now = clock();
      const [accessToken, refreshToken] = sealTokens(id, tokens);
      return insert({
        id,
        user_id: userId,
        provider,
        provider_account_id: tokens.subject,
        access_token: accessToken,
        refresh_token: refreshToken,
        token_expires_at: tokens.expiresAt,
        calendar_id: calendarId,
        created_at: now,
        updated_at: now,
      });
    },

    async createCaldav({ userId, serverUrl, username, password, calendarId }) {
      const id = newId();
      const now = clock();
      return insert({
        id,
        user_id: userId,
        provider: 'ICAL',
        provider_account_id: username,
        calendar_id: calendarId,
        server_url: serverUrl,
        username,
        password: crypto.seal(password, sealContext(id, 'password')),
        created_at: now,
        updated_at: now,
      });
    },

    async findSame(userId, { provider, accountId, calendarId, serverUrl }) {
      const [row] = await db.query<ConnectionRow>(
        `select ${PUBLIC_COLUMNS} from calendar_connections
         where user_id = $1 and provider = $2 and provider_account_id = $3 and calendar_id = $4
           and coalesce(server_url, '') = $5
         order by created_at, id limit 1`,
        [userId, provider, accountId, calendarId, serverUrl ?? ''],
      );
      return row ? toConnection(row) : null;
    },

    async renewOAuth(id, tokens) {
      const [row] = await db.query<ConnectionRow>(
        `update calendar_connections
         set access_token = $2, refresh_token = coalesce($3, refresh_token),
           token_expires_at = $4, sync_status = 'PENDING', sync_error = null, updated_at = $5,
           provider_account_id = coalesce(provider_account_id, $6)
         where id = $1
         returning ${PUBLIC_COLUMNS}`,
        [id, ...sealTokens(id, tokens), tokens.expiresAt, clock(), tokens.subject],
      );
      if (!row) throw new ConnectionNotFoundError(id);
      return toConnection(row);
    },

    async renewCaldav(id, password) {
      const [row] = await db.query<ConnectionRow>(
        `update calendar_connections
         set password = $2, sync_status = 'PENDING', sync_error = null, updated_at = $3
         where id = $1
         returning ${PUBLIC_COLUMNS}`,
        [id, crypto.seal(password, sealContext(id, 'password')), clock()],
      );
      if (!row) throw new ConnectionNotFoundError(id);
      return toConnection(row);
    },

    async list(userId) {
      const rows = await db.query<ConnectionRow>(
        `select ${PUBLIC_COLUMNS} from calendar_connections where user_id = $1
         order by created_at, id limit 1000`,
        [userId],
      );
      return rows.map(toConnection);
    },

    async updateSwitches(userId, id, patch) {
      if (!isUuid(id)) return null;
      const [row] = await db.query<ConnectionRow>(
        `update calendar_connections
         set sync_enabled = coalesce($3, sync_enabled),
           sync_delete_enabled = coalesce($4, sync_delete_enabled), updated_at = $5
         where id = $1 and user_id = $2
         returning ${PUBLIC_COLUMNS}`,
        [id, userId, patch.syncEnabled ?? null, patch.syncDeleteEnabled ?? null, clock()],
      );
      return row ? toConnection(row) : null;
    },

    async count(userId) {
      const [row] = await db.query<{ count: number | string | bigint }>(
        'select count(*) as count from calendar_connections where user_id = $1',
        [userId],
      );
      return Number(row?.count ?? 0);
    },

    async get(userId, id) {
      if (!isUuid(id)) return null;
      const [row] = await db.query<ConnectionRow>(
        `select ${PUBLIC_COLUMNS} from calendar_connections where id = $1 and user_id = $2`,
        [id, userId],
      );
      return row ? toConnection(row) : null;
    },

    async find(id) {
      if (!isUuid(id)) return null;
      const [row] = await db.query<ConnectionRow>(
        `select ${PUBLIC_COLUMNS} from calendar_connections where id = $1`,
        [id],
      );
      return row ? toConnection(row) : null;
    },

    async remove(userId, id) {
      if (!isUuid(id)) return null;
      return db.transaction(async (tx) => {
        const locked = await tx.query(
          'select id from calendar_connections where id = $1 and user_id = $2 for update',
          [id, userId],
        );
        if (locked.length === 0) return null;
        const links = await tx.query<{ task_id: string; event_id: string }>(
          'select task_id, event_id from calendar_links where connection_id = $1',
          [id],
        );
        await tx.query('delete from calendar_connections where id = $1', [id]);
        return { links: links.map((row) => ({ taskId: row.task_id, eventId: row.event_id })) };
      });
    },

    accessTokenFor(id, options = {}) {
      const running = inFlight.get(id);
      if (running) return running;
      const work = currentOrRefreshed(id, options.forceRefresh === true).finally(() =>
        inFlight.delete(id),
      );
      inFlight.set(id, work);
      return work;
    },

    async caldavCredentialsFor(id) {
      const row = await readSecrets(id);
      if (row.provider !== 'ICAL' || !row.server_url || !row.username || !row.password) {
        throw new Error(`calendar connection ${id} (${row.provider}) is not a CalDAV connection`);
      }
      return {
        serverUrl: row.server_url,
        username: row.username,
        password: await open(row, 'password', row.password),
        calendarPath: row.calendar_id,
      };
    },

    async recordSyncSuccess(id, cursor) {
      const now = clock();
      await db.query(
        `update calendar_connections
         set sync_status = 'SUCCESS', sync_error = null, last_sync_at = $2, updated_at = $2
           ${cursor === undefined ? '' : ', cursor = $3'}
         where id = $1`,
        cursor === undefined ? [id, now] : [id, now, cursor],
      );
    },

    async recordSyncFailure(id, message) {
      await markFailed(id, message);
    },
  };
}
