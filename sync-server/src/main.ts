/**
 * `pnpm start`: the whole server in one process. Configuration from the environment (README),
 * embedded PGlite under DATA_DIR unless DATABASE_URL is set, migrations at start, graceful
 * shutdown on SIGTERM/SIGINT (pending updates are committed first; SIGTERM first drains for
 * SHUTDOWN_DRAIN_MS). An error nothing caught is logged and ends the process with status 1 after
 * the same graceful shutdown, for a supervisor to restart it (`process-failure.ts`); before the
 * server is up, Node's default does the same.
 */
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from './config.js';
import { openDatabase } from './db/open-database.js';
import { createLogger } from './logger.js';
import { startTracing } from './observability/start-tracing.js';
import { exitOnUnexpectedErrors } from './process-failure.js';
import { startServer } from './server.js';

async function main(): Promise<void> {
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
  const log = createLogger(config.logLevel);
  // Before anything that queries or serves: spans need the SDK registered (when configured).
  const tracing = startTracing(config.tracing);
  // The origin only: a URL's user and password stay out of the log.
  if (tracing && config.tracing.endpoint) {
    log.info('exporting traces', { to: new URL(config.tracing.endpoint).origin });
  }
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const staticDir = fileURLToPath(new URL('../../app/dist', import.meta.url));
  const server = await startServer({ config, db, log, staticDir });
  let closing: Promise<void> | null = null;
  const close = (drainMs = 0) => {
    closing ??= (async () => {
      await server.close({ drainMs });
      await db.close();
      await tracing?.shutdown();
    })();
    return closing;
  };
  let failed = false;
  exitOnUnexpectedErrors({
    process,
    log,
    shutdown: () => {
      failed = true;
      return close();
    },
  });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    // SIGTERM (a supervisor's stop, a rolling deploy) drains: /readyz answers 503 for
    // SHUTDOWN_DRAIN_MS while the node serves on, so the load balancer moves new clients to
    // other nodes; then sockets close with 1012 and their clients reconnect there.
    const drainMs = signal === 'SIGTERM' ? config.shutdownDrainMs : 0;
    log.info('shutting down', { signal, drainMs });
    try {
      await close(drainMs);
      process.exit(failed ? 1 : 0);
    } catch (error) {
      log.error('shutdown failed', { error: (error as Error).message });
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
