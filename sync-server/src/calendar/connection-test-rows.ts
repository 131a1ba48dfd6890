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
