import { randomUUID } from 'node:crypto';
import type { Database } from './database.js';
import { migrate } from './migrate.js';
import { createPgliteDatabase } from './pglite-database.js';
import { createPostgresDatabase } from './postgres-database.js';

/**
 * The databases integration tests run against: always embedded PGlite, and a real PostgreSQL
 * when DATABASE_URL (or TEST_DATABASE_URL) is set. With REQUIRE_SERVICES=1 (CI) a missing URL
 * is an error, never a silent skip.
 */
export type DatabaseKind = 'pglite' | 'postgres';

export function testDatabaseUrl(): string | null {
  const url = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? null;
  if (!url && process.env.REQUIRE_SERVICES === '1') {
    throw new Error('REQUIRE_SERVICES=1 but neither TEST_DATABASE_URL nor DATABASE_URL is set');
  }
  return url;
}

export function testDatabaseKinds(): DatabaseKind[] {
  return testDatabaseUrl() ? ['pglite', 'postgres'] : ['pglite'];
}

export interface TestDatabase {
  db: Database;
  /**
   * PostgreSQL only: another pool on the same schema, as a second server would have (closed by
   * `dispose`); null on PGlite, which has one connection.
   */
  connect(options: { max: number }): Database | null;
  /** Drops what the test created. */
  dispose(): Promise<void>;
}

/**
 * A migrated database of the given kind, isolated from every other test: an in-memory PGlite,
 * or a fresh schema on the real server.
 */
export async function openTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const db = await createPgliteDatabase(null);
    await migrate(db);
    return { db, connect: () => null, dispose: () => db.close() };
  }
  const url = testDatabaseUrl();
  if (!url) throw new Error('no PostgreSQL URL for the postgres test database');
  const schema = `test_${randomUUID().replaceAll('-', '')}`;
  const admin = createPostgresDatabase({ url, max: 1 });
  await admin.exec(`create schema ${schema}`);
  const db = createPostgresDatabase({ url, schema, max: 5 });
  await migrate(db);
  const others: Database[] = [];
  return {
    db,
    connect({ max }) {
      const other = createPostgresDatabase({ url, schema, max });
      others.push(other);
      return other;
    },
    async dispose() {
      for (const other of others) await other.close();
      await db.close();
      await admin.exec(`drop schema ${schema} cascade`);
      await admin.close();
    },
  };
}
