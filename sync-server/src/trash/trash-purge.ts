import { purgeExpiredTasks } from '@tasks/crdt';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { DocumentAccess } from '../rest/document-access.js';

/**
 * Empties the trash of every user document once a day: tasks deleted more than 30 days ago
 * (`purgeExpiredTasks`, by the injected clock) leave the document for good. Each document has a
 * row in `trash_purges`; a poll claims the due ones under a lease (`FOR UPDATE SKIP LOCKED`), so
 * servers sharing the database purge different documents, and purges through the REST API's
 * door (`DocumentAccess`): the purge is committed and reaches every open device like any other
 * server write. Purging twice (a lease that ran out, two servers) changes nothing the second time.
 */
export interface TrashPurgerOptions {
  db: Database;
  access: DocumentAccess;
  log: Logger;
  clock: () => Date;
  /** Between polls for due documents (default 1 minute). */
  pollIntervalMs?: number;
  /** Between two purges of one document (default 1 day). */
  everyMs?: number;
  /** A claim's lease (default 10 minutes). */
  leaseMs?: number;
  /** Wait before purging a document again after a failure (default 1 hour). */
  retryAfterMs?: number;
  /** Documents one poll claims (default 20). */
  batch?: number;
}

export interface TrashPurger {
  start(): void;
  /** Ends the polls and waits for the one under way. */
  stop(): Promise<void>;
  /** Purges the documents due now; resolves with how many it purged. */
  runDue(): Promise<number>;
}

const MINUTE = 60_000;

export function createTrashPurger(options: TrashPurgerOptions): TrashPurger {
  const { db, access, log, clock } = options;
  const pollIntervalMs = options.pollIntervalMs ?? MINUTE;
  const everyMs = options.everyMs ?? 24 * 60 * MINUTE;
  const leaseMs = options.leaseMs ?? 10 * MINUTE;
  const retryAfterMs = options.retryAfterMs ?? 60 * MINUTE;
  const batch = options.batch ?? 20;
  const later = (ms: number) => new Date(clock().getTime() + ms);
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<number> | null = null;
  let stopped = false;

  /** Users without a row yet (new accounts, or older than this job) are due now. */
  async function scheduleNewDocuments(): Promise<void> {
    await db.query(
      `insert into trash_purges (user_id, run_after)
       select u.id, $1 from users u
       where not exists (select 1 from trash_purges p where p.user_id = u.id)
       on conflict (user_id) do nothing`,
      [clock()],
    );
  }

  async function claim(): Promise<string[]> {
    const now = clock();
    const rows = await db.query<{ user_id: string }>(
      `update trash_purges set locked_until = $2
       where user_id in (
         select user_id from trash_purges
         where run_after <= $1 and (locked_until is null or locked_until <= $1)
         order by run_after, user_id
         limit $3
         for update skip locked)
       returning user_id`,
      [now, later(leaseMs), batch],
    );
    return rows.map((row) => row.user_id);
  }

  async function purge(userId: string): Promise<boolean> {
    try {
      const purged = await access.use(userId, [], (docs, ctx) => purgeExpiredTasks(docs, ctx), {
        transient: true,
      });
      await db.query(
        `update trash_purges
         set run_after = $2, locked_until = null, last_run_at = $3, last_purged = $4
         where user_id = $1`,
        [userId, later(everyMs), clock(), purged],
      );
      if (purged > 0) log.info('trash purged', { userId, tasks: purged });
      return true;
    } catch (error) {
      log.warn('could not purge a trash', {
        userId,
        error: error instanceof Error ? error.message : String(error),
      });
      await db
        .query('update trash_purges set run_after = $2, locked_until = null where user_id = $1', [
          userId,
          later(retryAfterMs),
        ])
        .catch(() => undefined); // the lease runs out and the purge is claimed again
      return false;
    }
  }

  async function runDue(): Promise<number> {
    await scheduleNewDocuments();
    let purged = 0;
    for (;;) {
      const userIds = await claim();
      for (const userId of userIds) if (await purge(userId)) purged += 1;
      if (userIds.length < batch || stopped) return purged;
    }
  }

  function poll(): void {
    running ??= runDue()
      .catch((error: unknown) => {
        log.error('trash purge poll failed', {
          error: error instanceof Error ? error.message : String(error),
        });
        return 0;
      })
      .finally(() => {
        running = null;
      });
  }

  return {
    start() {
      if (timer) return;
      stopped = false;
      timer = setInterval(poll, pollIntervalMs);
      timer.unref();
      poll();
    },
    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
    runDue,
  };
}
