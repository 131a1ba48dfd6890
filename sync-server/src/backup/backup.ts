import { randomBytes, timingSafeEqual } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Hono } from 'hono';
import type { Database } from '../db/database.js';
import { migrate } from '../db/migrate.js';
import { createPgliteDatabase } from '../db/pglite-database.js';
import { loadKeptSecret } from '../files/kept-secret-file.js';
import { errorBody } from '../http/http-error.js';

/**
 * Backups of the embedded database for self-hosters (`pnpm backup`, `pnpm restore`). A backup is
 * a folder: `pglite.tar.gz`, a consistent copy of the database's files that the running server
 * takes between two queries (PGlite's `dumpDataDir`), the secrets kept in DATA_DIR (without the
 * auth secret every session would end; without the calendar key no calendar could sync), and a
 * manifest. With PostgreSQL, pg_dump and pg_restore do this (README).
 */
export const BACKUP_FORMAT = 'tasks-platform-backup';
export const BACKUP_KEY_FILE = 'backup-key';
/** DATA_DIR's secrets a restored server needs (see `auth-secret.ts`, `token-crypto-key.ts`). */
export const KEPT_FILES = ['auth-secret', 'calendar-token-key', BACKUP_KEY_FILE] as const;
const DUMP_FILE = 'pglite.tar.gz';
const PGLITE_DIR = 'pglite';

/** The key `pnpm backup` shows the running server: a file of DATA_DIR, readable by its owner only. */
export function loadBackupKey(dataDir: string): Promise<string> {
  return loadKeptSecret(
    path.join(dataDir, BACKUP_KEY_FILE),
    () => randomBytes(32).toString('base64url'),
    (text) => (/^[A-Za-z0-9_-]{43}$/.test(text.trim()) ? text.trim() : null),
    `${BACKUP_KEY_FILE} holds no backup key: delete it and a new one is made`,
  );
}

function sameKey(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * `GET /api/v1/admin/backup` with `Authorization: Backup <key of DATA_DIR>`: the database's files,
 * gzipped tar. Only whoever can read DATA_DIR has the key, which is who could copy it anyway.
 */
export function createBackupRoute(deps: { db: Database; dataDir: string }): Hono {
  const app = new Hono();
  app.get('/', async (c) => {
    const header = c.req.header('authorization') ?? '';
    const given = /^Backup ([A-Za-z0-9_-]{1,100})$/.exec(header)?.[1] ?? '';
    if (!sameKey(given, await loadBackupKey(deps.dataDir))) {
      return c.json(errorBody('unauthorized', 'Send the backup key of DATA_DIR.'), 401);
    }
    if (!deps.db.dumpDataDir) {
      return c.json(
        errorBody('conflict', 'This server uses PostgreSQL: back it up with pg_dump (README).'),
        409,
      );
    }
    const dump = await deps.db.dumpDataDir();
    return c.body(dump, 200, { 'Content-Type': 'application/gzip' });
  });
  return app;
}

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  version: 1;
  createdAt: string;
  /** How the copy was taken: from the running server, or from DATA_DIR with no server on it. */
  source: 'running-server' | 'data-dir';
  files: string[];
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

/** The database's files from the server on DATA_DIR, or null when no server answers there. */
async function dumpFromServer(
  serverUrl: string,
  dataDir: string,
): Promise<Uint8Array<ArrayBuffer> | null> {
  let response: Response;
  try {
    response = await fetch(`${serverUrl}/api/v1/admin/backup`, {
      headers: { authorization: `Backup ${await loadBackupKey(dataDir)}` },
    });
  } catch {
    return null; // nothing listens: the server is not running
  }
  if (response.status !== 200) {
    throw new Error(`the server at ${serverUrl} refused the backup: ${await response.text()}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * Writes a backup of DATA_DIR into the folder `out` (created; it must not hold a backup yet):
 * through the running server at `serverUrl` when there is one (consistent while it runs), else
 * straight from DATA_DIR.
 */
export async function backup(options: {
  dataDir: string;
  serverUrl: string;
  out: string;
  now: Date;
}): Promise<BackupManifest> {
  if (await exists(path.join(options.out, 'manifest.json'))) {
    throw new Error(`${options.out} already holds a backup`);
  }
  let source: BackupManifest['source'] = 'running-server';
  let dump = await dumpFromServer(options.serverUrl, options.dataDir);
  if (dump === null) {
    source = 'data-dir';
    const folder = path.join(options.dataDir, PGLITE_DIR);
    if (!(await exists(folder))) throw new Error(`no embedded database in ${folder}`);
    // PGlite keeps this file while a process has the database open: two at once would corrupt it.
    if (await exists(path.join(folder, 'postmaster.pid'))) {
      throw new Error(
        `a server has ${folder} open but does not answer at ${options.serverUrl} (still starting, or PORT/HOST differ): try again once it answers. If no server runs, it did not stop cleanly: start and stop it once.`,
      );
    }
    const db = await createPgliteDatabase(folder);
    try {
      dump = await (db.dumpDataDir as () => Promise<Uint8Array<ArrayBuffer>>)();
    } finally {
      await db.close();
    }
  }
  await mkdir(options.out, { recursive: true });
  await writeFile(path.join(options.out, DUMP_FILE), dump, { mode: 0o600 });
  const files: string[] = [DUMP_FILE];
  for (const name of KEPT_FILES) {
    const from = path.join(options.dataDir, name);
    if (!(await exists(from))) continue;
    await copyFile(from, path.join(options.out, name));
    files.push(name);
  }
  const manifest: BackupManifest = {
    format: BACKUP_FORMAT,
    version: 1,
    createdAt: options.now.toISOString(),
    source,
    files,
  };
  await writeFile(
    path.join(options.out, 'manifest.json'),
    `${JSON.stringify(manifest, null, 2)}\n`,
  );
  return manifest;
}

/**
 * Restores the backup in folder `from` into `dataDir`, which must not hold a database yet (a
 * fresh DATA_DIR; stop the server and move the old one away first). Checks that the restored
 * database opens and migrates.
 */
export async function restore(options: { from: string; dataDir: string }): Promise<BackupManifest> {
  const manifest = JSON.parse(
    await readFile(path.join(options.from, 'manifest.json'), 'utf8'),
  ) as BackupManifest;
  if (manifest.format !== BACKUP_FORMAT || manifest.version !== 1) {
    throw new Error(`${options.from} is not a backup this version can restore`);
  }
  const folder = path.join(options.dataDir, PGLITE_DIR);
  if ((await exists(folder)) && (await readdir(folder)).length > 0) {
    throw new Error(`${folder} already holds a database: restore into a fresh DATA_DIR`);
  }
  for (const name of KEPT_FILES) {
    if ((await exists(path.join(options.dataDir, name))) && manifest.files.includes(name)) {
      throw new Error(`${path.join(options.dataDir, name)} exists: restore into a fresh DATA_DIR`);
    }
  }
  const dump = await readFile(path.join(options.from, DUMP_FILE));
  const db = await createPgliteDatabase(folder, { loadDataDir: new Blob([dump]) });
  try {
    await migrate(db);
  } finally {
    await db.close();
  }
  for (const name of KEPT_FILES) {
    if (!manifest.files.includes(name)) continue;
    await copyFile(path.join(options.from, name), path.join(options.dataDir, name));
  }
  return manifest;
}
