import type { Database } from './database.js';
import { migration as usersSessionsDocuments } from './migrations/1764000000000-users-sessions-documents.js';
import { migration as calendarConnections } from './migrations/1764000000002-calendar-connections.js';
import { migration as calendarDetached } from './migrations/1764000000003-calendar-detached.js';
import { migration as calendarPushChannels } from './migrations/1764000000004-calendar-push-channels.js';
import { migration as trashPurges } from './migrations/1764000000005-trash-purges.js';
import { migration as reminderJobs } from './migrations/1764000000006-reminder-jobs.js';
import { migration as registrationInvites } from './migrations/1764000000018-registration-invites.js';
import { migration as calendarBlockEvents } from './migrations/1764000001502-calendar-block-events.js';
import { migration as ownYourData } from './migrations/1764000001700-own-your-data.js';
import { migration as taskVersions } from './migrations/1764000001701-task-versions.js';
import { migration as emailJobs } from './migrations/1764000001716-email-jobs.js';
import { migration as pushActionUses } from './migrations/1764000001716-push-action-uses.js';
import { migration as revokedSessions } from './migrations/1764000001800-revoked-sessions.js';
import { migration as syncJobRequestId } from './migrations/1796592945649-sync-job-request-id.js';
import { migration as documentSizeIsSnapshot } from './migrations/1796600000000-document-size-is-snapshot.js';

export interface Migration {
  /** `<epoch-ms>-<name>`: applied in this order, each once. */
  id: string;
  up: string;
}

/** Every migration, oldest first. A new one is a file in migrations/ added here. */
export const MIGRATIONS: readonly Migration[] = [
  usersSessionsDocuments,
  calendarConnections,
  calendarDetached,
  calendarPushChannels,
  trashPurges,
  reminderJobs,
  registrationInvites,
  calendarBlockEvents,
  ownYourData,
  taskVersions,
  emailJobs,
  pushActionUses,
  revokedSessions,
  syncJobRequestId,
  documentSizeIsSnapshot,
];

// Any constant works: it only has to be the same for every server sharing the database.
const MIGRATION_LOCK = 7_331_002;

/**
 * Applies the migrations not yet applied, each in its own transaction. Servers starting at once
 * on one database take turns through an advisory lock.
 */
export async function migrate(db: Database, migrations = MIGRATIONS): Promise<string[]> {
  const ids = migrations.map((m) => m.id);
  if (new Set(ids).size !== ids.length) throw new Error('duplicate migration id');
  if ([...ids].sort().join() !== ids.join()) throw new Error('migrations are not in order');
  // Under the lock too: two `create table if not exists` at once collide in the catalog.
  await db.transaction(async (tx) => {
    await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.query(
      'create table if not exists schema_migrations (id text primary key, applied_at timestamptz not null default now())',
    );
  });
  const applied: string[] = [];
  for (const migration of migrations) {
    const done = await db.transaction(async (tx) => {
      await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      const rows = await tx.query('select 1 from schema_migrations where id = $1', [migration.id]);
      if (rows.length > 0) return false;
      await tx.exec(migration.up);
      await tx.query('insert into schema_migrations (id) values ($1)', [migration.id]);
      return true;
    });
    if (done) applied.push(migration.id);
  }
  return applied;
}
