import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { DatabaseRevocations } from './session-revocation.js';
import { createSessionStore } from './session-store.js';

export interface SessionPruner {
  start(): void;
  /** Stops the timer and waits for a pass under way. */
  stop(): Promise<void>;
  /**
   * One pass: deletes expired refresh-token rows in batches, and revocations no token can
   * outlive any more; how many refresh-token rows went.
   */
  runOnce(): Promise<number>;
}

export interface SessionPrunerOptions {
  db: Database;
  log: Logger;
  clock: () => Date;
  /** The revoked sessions, whose lapsed rows go too. */
  revocations: Pick<DatabaseRevocations, 'prune'>;
  /** Time between passes (default six hours); the first runs at start. */
  intervalMs?: number;
  batchSize?: number;
}

/**
 * The job deleting refresh-token rows long expired (`SessionStore.prune`), so the table holds
 * live sessions and recent evidence only, and lapsed revocations (`revoked_sessions`). Servers sharing a database may all run it: a delete
 * of what another server deleted already deletes nothing.
 */
export function createSessionPruner(options: SessionPrunerOptions): SessionPruner {
  const { log, clock } = options;
  const sessions = createSessionStore(options.db);
  const intervalMs = options.intervalMs ?? 6 * 3600 * 1000;
  const batchSize = options.batchSize ?? 10_000;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> = Promise.resolve();

  const runOnce = async () => {
    let total = 0;
    for (;;) {
      const deleted = await sessions.prune(clock(), batchSize);
      total += deleted;
      if (deleted < batchSize) break;
    }
    const lapsed = await options.revocations.prune(clock());
    if (total > 0 || lapsed > 0) {
      log.info('expired refresh tokens pruned', { rows: total, lapsedRevocations: lapsed });
    }
    return total;
  };
  const pass = () => {
    running = runOnce().catch((error: unknown) => {
      log.warn('refresh-token pruning failed', { error: String(error) });
    });
  };
  return {
    runOnce,
    start() {
      if (timer) return;
      pass();
      timer = setInterval(pass, intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
  };
}
