import { describe, expect, it } from 'vitest';
import { createScratchDatabase } from '../test-support/server-process.js';
import { MIGRATIONS, migrate } from './migrate.js';
import { createPostgresDatabase } from './postgres-database.js';
import { testDatabaseUrl } from './test-databases.js';

const url = testDatabaseUrl();

describe.skipIf(!url)('migrations of servers starting at once on postgres', () => {
  it('two servers starting together on an empty database apply every migration once', async () => {
    for (let round = 0; round < 3; round += 1) {
      const scratch = await createScratchDatabase(url as string, 'migrate');
      const servers = [0, 1].map(() => createPostgresDatabase({ url: scratch.url, max: 2 }));
      try {
        const applied = await Promise.all(servers.map((db) => migrate(db)));
        expect(applied.flat().sort()).toEqual(MIGRATIONS.map((m) => m.id).sort());
      } finally {
        for (const db of servers) await db.close();
        await scratch.drop();
      }
    }
  });
});
