import path from 'node:path';
import type { Database } from './database.js';
import { migrate } from './migrate.js';
import { createPgliteDatabase } from './pglite-database.js';
import { createPostgresDatabase } from './postgres-database.js';

export interface DatabaseConfig {
  /** A PostgreSQL URL; without it, embedded PGlite under `dataDir`. */
  databaseUrl: string | null;
  dataDir: string;
}

/** Opens the configured database and brings its schema up to date. */
export async function openDatabase(config: DatabaseConfig): Promise<Database> {
  const db = config.databaseUrl
    ? createPostgresDatabase({ url: config.databaseUrl })
    : await createPgliteDatabase(path.join(config.dataDir, 'pglite'));
  try {
    await migrate(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}
