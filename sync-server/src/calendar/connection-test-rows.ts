import { randomUUID } from 'node:crypto';
import type { Database } from '../db/database.js';

/** Rows for tests of the calendar tables: a user, and a connection the queue can point at. */
export async function insertTestUser(db: Database, userId: string = randomUUID()): Promise<string> {
  await db.query(
    `insert into users (id, email, email_normalized, username, username_normalized, password_hash)
     values ($1, $2, $2, $3, $3, 'x') on conflict do nothing`,
    [userId, `${userId}@example.com`, `user_${userId}`],
  );
  return userId;
}

/** A CalDAV connection row with a placeholder secret (it is never opened). */
export async function insertTestConnection(db: Database, userId?: string): Promise<string> {
  const owner = await insertTestUser(db, userId);
  const id = randomUUID();
  await db.query(
    `insert into calendar_connections (id, user_id, provider, calendar_id, server_url, username, password)
     values ($1, $2, 'ICAL', '/cal/', 'https://dav.example.com/', 'u', 'v1:placeholder')`,
    [id, owner],
  );
  return id;
}

/**
 * A connection of the given provider for sync-engine tests and benchmarks, deleting events of
 * deleted tasks (rule 3 on); its placeholder secrets are never opened (the provider comes in).
 */
export async function insertSyncConnection(
  db: Database,
  userId: string,
  provider: 'GOOGLE' | 'MICROSOFT' | 'ICAL',
): Promise<string> {
  const id = randomUUID();
  const isCaldav = provider === 'ICAL';
  await db.query(
    `insert into calendar_connections (id, user_id, provider, calendar_id, access_token,
       server_url, username, password, sync_delete_enabled)
     values ($1, $2, $3, 'primary', $4, $5, $6, $7, true)`,
    [
      id,
      userId,
      provider,
      isCaldav ? null : 'v1:placeholder',
      isCaldav ? 'https://dav.example.com/' : null,
      isCaldav ? 'u' : null,
      isCaldav ? 'v1:placeholder' : null,
    ],
  );
  return id;
}
