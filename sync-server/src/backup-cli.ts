/**
 * `pnpm backup [folder]` and `pnpm restore <folder>`: backups of the embedded database for
 * self-hosters, with the server's configuration (DATA_DIR, HOST, PORT; README). A backup taken
 * while the server runs comes from the server itself, consistent; with no server running it is
 * read from DATA_DIR. Restore writes into a fresh DATA_DIR only.
 */
import path from 'node:path';
import { backup, restore } from './backup/backup.js';
import { ConfigError, loadConfig } from './config.js';

async function main(argv: string[]): Promise<void> {
  const [command, target] = argv;
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  if (config.databaseUrl) {
    console.error(
      'DATABASE_URL is set: back PostgreSQL up with pg_dump and restore it with pg_restore (README).',
    );
    process.exit(2);
  }
  const now = new Date();
  if (command === 'backup') {
    const out = path.resolve(
      target ?? `backup-${now.toISOString().replace(/[:.]/g, '-').slice(0, 19)}`,
    );
    const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    const manifest = await backup({
      dataDir: config.dataDir,
      serverUrl: `http://${host.includes(':') ? `[${host}]` : host}:${config.port}`,
      out,
      now,
    });
    console.log(`backup of ${config.dataDir} (${manifest.source}) written to ${out}`);
    return;
  }
  if (command === 'restore' && target) {
    await restore({ from: path.resolve(target), dataDir: config.dataDir });
    console.log(`restored ${target} into ${config.dataDir}`);
    return;
  }
  console.error('usage: pnpm backup [folder] | pnpm restore <folder>');
  process.exit(2);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exit(1);
});
