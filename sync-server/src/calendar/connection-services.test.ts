import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../db/test-databases.js';
import { silentLogger } from '../logger.js';
import { createCalendarServices } from './connection-services.js';
import { loadCalendarConfig } from './oauth-config.js';
import { TOKEN_KEY_FILE } from './token-crypto-key.js';

describe('calendar services', () => {
  let test: TestDatabase;
  let dataDir: string;
  beforeAll(async () => {
    test = await openTestDatabase('pglite');
    dataDir = await mkdtemp(path.join(tmpdir(), 'calendar-services-'));
  }, 60_000);
  afterAll(async () => {
    await test?.dispose();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps a generated key in the data folder and turns on only the configured providers', async () => {
    const services = await createCalendarServices({
      config: loadCalendarConfig({ GOOGLE_CLIENT_ID: 'g' }),
      db: test.db,
      dataDir,
      clock: () => new Date(),
      log: silentLogger,
    });
    expect(Object.keys(services.oauth)).toEqual(['GOOGLE']);
    expect((await stat(path.join(dataDir, TOKEN_KEY_FILE))).isFile()).toBe(true);
    expect(await services.connections.list('0193c2a4-6a5e-7c3b-9d1e-2f4a5b6c7d8e')).toEqual([]);
  });
});
