import { RateLimitedError } from '@tasks/connectors';
import type { Logger } from '../logger.js';
import { runWithLogContext } from '../observability/log-context.js';
import { ConnectionFailedError, type ConnectionStore } from './connection-store.js';
import type { SyncJob, SyncJobQueue } from './sync-jobs.js';

/**
 * Runs sync jobs from the queue: one timer polls for due jobs (and keeps the leases of running
 * ones alive), at most `concurrency` run at once, `stop()` ends the timer and waits a bounded
 * time for running jobs. A job whose sync outlives the stop keeps its lease and runs again after
 * it, on this server's next start or on another server.
 *
 * The sync itself is `run(job, signal)`, the bridge's business; the worker records its outcome
 * on the connection (SUCCESS, or FAILED with the error once no retry is left).
 */
export interface SyncWorkerOptions {
  queue: SyncJobQueue;
  connections: Pick<ConnectionStore, 'recordSyncSuccess' | 'recordSyncFailure'>;
  run: (job: SyncJob, signal: AbortSignal) => Promise<void>;
  log: Logger;
  clock: () => Date;
  /** Jobs running at once on this server (default 2). */
  concurrency?: number;
  /**
   * The longest one sync may run (default 3 minutes): then its signal aborts (the provider's
   * requests with it) and the job fails with a SyncDeadlineError, to be retried. A sync that
   * ignores the signal is let go of all the same: its slot frees at the deadline.
   */
  deadlineMs?: number;
  /** Between polls when idle (default 1 s). */
  pollIntervalMs?: number;
  /** Must be well under the queue's lease (default 60 s; the lease defaults to 5 minutes). */
  leaseRenewIntervalMs?: number;
  /** The longest `stop()` waits for running jobs (default 10 s). */
  stopTimeoutMs?: number;
  /** Finished jobs are deleted after this long (default 7 days). */
  keepFinishedMs?: number;
}

export interface SyncWorker {
  start(): void;
  /** Polls now (after an enqueue) instead of at the next tick. */
  wake(): void;
  stop(): Promise<void>;
  /** Jobs running now. */
  active(): number;
}

interface Running {
  job: SyncJob;
  controller: AbortController;
  done: Promise<void>;
  renewedAt: number;
}

/** A sync ran past the worker's deadline and was stopped; nothing of it was committed. */
export class SyncDeadlineError extends Error {
  override readonly name = 'SyncDeadlineError';
  constructor(readonly deadlineMs: number) {
    super(
      `the calendar server was too slow: the sync did not finish within ${formatDuration(deadlineMs)} and was stopped, with nothing of it saved`,
    );
  }
}

function formatDuration(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms >= 1000) return `${Math.round(ms / 100) / 10} s`;
  return `${ms} ms`;
}

const MAX_ERROR = 1000;
const PRUNE_INTERVAL_MS = 3600_000;

/** Errors only the user can fix (reconnect): retrying would only fail again. */
function isPermanent(error: unknown): boolean {
  return error instanceof ConnectionFailedError;
}

function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.slice(0, MAX_ERROR);
}

export function createSyncWorker(options: SyncWorkerOptions): SyncWorker {
  const { queue, log, clock } = options;
  const concurrency = options.concurrency ?? 2;
  const deadlineMs = options.deadlineMs ?? 3 * 60_000;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const renewMs = options.leaseRenewIntervalMs ?? 60_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
  const keepFinishedMs = options.keepFinishedMs ?? 7 * 24 * 3600_000;
  const running = new Map<string, Running>();
  let timer: NodeJS.Timeout | null = null;
  let isStarted = false;
  let ticking: Promise<void> | null = null;
  let prunedAt = 0;

  async function settle(job: SyncJob, outcome: { ok: true } | { ok: false; error: unknown }) {
    if (outcome.ok) {
      if (await queue.complete(job)) await options.connections.recordSyncSuccess(job.connectionId);
      return;
    }
    const message = describe(outcome.error);
    const retryAfterMs =
      outcome.error instanceof RateLimitedError ? outcome.error.retryAfterMs : null;
    const after = await queue.fail(job, message, {
      retry: !isPermanent(outcome.error),
      retryAfterMs,
    });
    log.warn('calendar sync failed', {
      jobId: job.id,
      connectionId: job.connectionId,
      attempt: job.attempts,
      willRetry: after?.state === 'queued',
      error: message,
    });
    if (after?.state === 'failed') {
      await options.connections.recordSyncFailure(job.connectionId, message);
    }
  }

  function launch(job: SyncJob): void {
    const controller = new AbortController();
    const { signal } = controller;
    const deadline = setTimeout(
      () => controller.abort(new SyncDeadlineError(deadlineMs)),
      deadlineMs,
    );
    deadline.unref();
    // Settles when the signal aborts, whether or not the sync notices: its slot is free then.
    const aborted = new Promise<never>((_resolve, reject) => {
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
    aborted.catch(() => undefined);
    // Its log lines carry the id of the request that queued it, if a request did.
    const context = job.requestId ? { requestId: job.requestId } : undefined;
    const done = runWithLogContext(context, async () => {
      let outcome: { ok: true } | { ok: false; error: unknown };
      try {
        await Promise.race([options.run(job, signal), aborted]);
        outcome = { ok: true };
      } catch (error) {
        // An abort's own reason says why (a request cut by it may report only "aborted").
        outcome = { ok: false, error: signal.aborted ? signal.reason : error };
      } finally {
        clearTimeout(deadline);
      }
      try {
        await settle(job, outcome);
      } catch (error) {
        // The database went away (shutdown): the lease runs out and the job runs again.
        log.error('could not record a sync job outcome', { jobId: job.id, error: describe(error) });
      } finally {
        running.delete(job.id);
        if (isStarted) schedule(0);
      }
    });
    running.set(job.id, { job, controller, done, renewedAt: clock().getTime() });
  }

  async function renewLeases(): Promise<void> {
    const now = clock().getTime();
    for (const entry of running.values()) {
      if (now - entry.renewedAt < renewMs) continue;
      entry.renewedAt = now;
      if (!(await queue.extendLease(entry.job))) {
        log.warn('a sync job lost its lease', { jobId: entry.job.id });
        entry.controller.abort(new Error('the job lease was lost'));
      }
    }
  }

  function tick(): Promise<void> {
    ticking ??= poll().finally(() => {
      ticking = null;
      if (isStarted) schedule(pollIntervalMs);
    });
    return ticking;
  }

  async function poll(): Promise<void> {
    try {
      await renewLeases();
      while (isStarted && running.size < concurrency) {
        const job = await queue.claim();
        if (!job) break;
        launch(job);
      }
      const now = clock().getTime();
      if (now - prunedAt > PRUNE_INTERVAL_MS) {
        prunedAt = now;
        await queue.prune(new Date(now - keepFinishedMs));
      }
    } catch (error) {
      log.error('sync worker poll failed', { error: describe(error) });
    }
  }

  /** The one timer: every (re)schedule replaces it. */
  function schedule(delayMs: number): void {
    if (timer) clearTimeout(timer);
    // Polls belong to no request, whichever one woke the worker.
    timer = setTimeout(() => {
      timer = null;
      void runWithLogContext(undefined, tick);
    }, delayMs);
    timer.unref();
  }

  return {
    start() {
      if (isStarted) return;
      isStarted = true;
      schedule(0);
    },
    wake() {
      if (isStarted && !ticking) schedule(0);
    },
    async stop() {
      isStarted = false;
      if (timer) clearTimeout(timer);
      timer = null;
      // A poll under way may still claim a job: let it finish, then stop what it started too.
      await ticking;
      const jobs = [...running.values()];
      for (const entry of jobs) entry.controller.abort(new Error('the server is stopping'));
      let deadline: NodeJS.Timeout | null = null;
      await Promise.race([
        Promise.allSettled(jobs.map((entry) => entry.done)),
        new Promise<void>((resolve) => {
          deadline = setTimeout(resolve, stopTimeoutMs);
        }),
      ]);
      if (deadline) clearTimeout(deadline);
    },
    active: () => running.size,
  };
}
