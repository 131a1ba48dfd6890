import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildSampleUser, exportUserData, type UserDataExport } from '@tasks/crdt';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import type { Database } from '../db/database.js';
import { openDatabase } from '../db/open-database.js';
import { silentLogger } from '../logger.js';
import { type RunningServer, startServer } from '../server.js';
import { backup, restore } from './backup.js';

const folders: string[] = [];
async function folder(name: string): Promise<string> {
  const made = await mkdtemp(path.join(tmpdir(), `tasks-${name}-`));
  folders.push(made);
  return made;
}

/** A server as `pnpm start` runs it: embedded PGlite in DATA_DIR, secrets generated there. */
async function serve(dataDir: string): Promise<{ server: RunningServer; db: Database }> {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    AUTH_REGISTER_PER_MINUTE: '1000',
    // Two accounts: past the first, only an open server lets anyone register.
    REGISTRATION: 'open',
  });
  const db = await openDatabase({ databaseUrl: null, dataDir });
  const server = await startServer({ config, db, log: silentLogger });
  return { server, db };
}

interface Account {
  token: string;
}

async function api<T>(
  server: RunningServer,
  account: Account,
  method: string,
  url: string,
  body?: unknown,
) {
  const response = await fetch(`${server.url}/api/v1${url}`, {
    method,
    headers: {
      authorization: `Bearer ${account.token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as T };
}

async function register(server: RunningServer, name: string): Promise<Account> {
  const response = await fetch(`${server.url}/api/v1/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: `${name}@example.com`,
      username: name,
      password: 'correct horse battery',
    }),
  });
  return { token: ((await response.json()) as { access_token: string }).access_token };
}

const comparable = ({ exportedAt: _, ...rest }: UserDataExport) => rest;

afterAll(async () => {
  for (const made of folders) await rm(made, { recursive: true, force: true });
});

describe('pnpm backup and pnpm restore of the embedded database', () => {
  it('copies DATA_DIR while the server runs, and a fresh DATA_DIR restored from it holds every user’s data', async () => {
    const dataDir = await folder('data');
    const { server, db } = await serve(dataDir);
    const { docs } = buildSampleUser({
      userId: 'sample',
      tasks: 120,
      entries: 300,
      start: Date.parse('2025-06-01T00:00:00Z'),
      end: Date.parse('2025-10-01T00:00:00Z'),
      // The restored server's start-up purge would empty a months-old trash: not what is tested.
      trash: false,
    });
    const file = exportUserData(docs, { now: new Date('2025-10-01T00:00:00Z') });
    const ana = await register(server, 'ana');
    const ben = await register(server, 'ben');
    expect((await api(server, ana, 'POST', '/import', file)).status).toBe(200);
    expect((await api(server, ben, 'POST', '/tasks', { title: 'Ben’s only task' })).status).toBe(
      201,
    );
    const before = {
      ana: (await api<UserDataExport>(server, ana, 'GET', '/export')).body,
      ben: (await api<UserDataExport>(server, ben, 'GET', '/export')).body,
    };

    const out = path.join(await folder('backup'), 'nightly');
    const manifest = await backup({ dataDir, serverUrl: server.url, out, now: new Date() });
    expect(manifest.source).toBe('running-server');
    expect(manifest.files).toEqual([
      'pglite.tar.gz',
      'auth-secret',
      'calendar-token-key',
      'backup-key',
    ]);
    // The server went on serving while (and after) it was copied.
    expect((await api(server, ben, 'POST', '/tasks', { title: 'After the backup' })).status).toBe(
      201,
    );
    await expect(backup({ dataDir, serverUrl: server.url, out, now: new Date() })).rejects.toThrow(
      /already holds a backup/,
    );
    await server.close();
    await db.close();

    const fresh = await folder('restored');
    await restore({ from: out, dataDir: fresh });
    await expect(restore({ from: out, dataDir: fresh })).rejects.toThrow(/fresh DATA_DIR/);
    const restored = await serve(fresh);
    try {
      // The auth secret came along: the very same tokens work on the restored server.
      const after = {
        ana: (await api<UserDataExport>(restored.server, ana, 'GET', '/export')).body,
        ben: (await api<UserDataExport>(restored.server, ben, 'GET', '/export')).body,
      };
      expect(comparable(after.ana)).toEqual(comparable(before.ana));
      expect(comparable(after.ben)).toEqual(comparable(before.ben));
      expect(after.ben.tasks.map((task) => task.title)).toEqual(['Ben’s only task']);
      expect(after.ana.timeEntries).toHaveLength(300);
    } finally {
      await restored.server.close();
      await restored.db.close();
    }
  }, 180_000);

  it('reads DATA_DIR itself when no server runs on it', async () => {
    const dataDir = await folder('idle');
    const { server, db } = await serve(dataDir);
    const cleo = await register(server, 'cleo');
    await api(server, cleo, 'POST', '/tasks', { title: 'Kept' });
    const url = server.url;
    await server.close();
    await db.close();
    const out = path.join(await folder('backup'), 'offline');
    const manifest = await backup({ dataDir, serverUrl: url, out, now: new Date() });
    expect(manifest.source).toBe('data-dir');
    const fresh = await folder('restored');
    await restore({ from: out, dataDir: fresh });
    const restored = await serve(fresh);
    try {
      const list = await api<{ items: { title: string }[] }>(
        restored.server,
        cleo,
        'GET',
        '/tasks',
      );
      expect(list.body.items.map((task) => task.title)).toEqual(['Kept']);
    } finally {
      await restored.server.close();
      await restored.db.close();
    }
  }, 120_000);

  it('refuses to hand the database to a caller without DATA_DIR’s backup key', async () => {
    const dataDir = await folder('guarded');
    const { server, db } = await serve(dataDir);
    try {
      const response = await fetch(`${server.url}/api/v1/admin/backup`, {
        headers: { authorization: 'Backup not-the-key' },
      });
      expect(response.status).toBe(401);
      // Nor does it open the database behind a server that does not answer where it looks.
      const out = path.join(await folder('backup'), 'elsewhere');
      await expect(
        backup({ dataDir, serverUrl: 'http://127.0.0.1:9', out, now: new Date() }),
      ).rejects.toThrow(/has .* open but does not answer/);
    } finally {
      await server.close();
      await db.close();
    }
  }, 60_000);
});
