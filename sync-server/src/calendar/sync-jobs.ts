import { v7 as uuidv7 } from 'uuid';
import type { Database, Queryable } from '../db/database.js';
import { currentLogContext } from '../observability/log-context.js';

/**
 * The durable queue of calendar sync jobs, in Postgres through the Database seam (so on PGlite
 * too). A job is claimed with `FOR UPDATE SKIP LOCKED` under a lease (`locked_until`): workers
 * on several servers never take the same job, a connection never has two jobs running (a
 * partial unique index backs the claim's check), a user never has two jobs running (claims take
 * turns on an advisory lock; fair turns across users: see `claimOnce`), and a crashed worker's
 * job runs again once its lease is over. `attempts` doubles as the fencing token: a worker whose lease ran out cannot
 * complete or fail a job another worker has since claimed. Times come from the injected clock.
 */
export type SyncJobState = 'queued' | 'running' | 'succeeded' | 'failed';

export interface SyncJob {
  id: string;
  connectionId: string;
  state: SyncJobState;
  /** Times the job was claimed; the claim's fencing token. */
  attempts: number;
  runAfter: Date;
  lockedUntil: Date | null;
  error: string | null;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  /** The request that queued (or last brought forward) the job; null for the server's polls. */
  requestId: string | null;
}

export interface SyncJobQueueOptions {
  clock: () => Date;
  /** How long a claim holds a job before another worker may take it (default 5 minutes). */
  leaseMs?: number;
  /** Claims before a job fails for good (default 5). */
  maxAttempts?: number;
  /** Wait before retry number `attempt` (default 30 s × 4^(attempt-1), at most 1 h). */
  backoffMs?: (attempt: number) => number;
  newId?: () => string;
}

export interface SyncJobQueue {
  /**
   * A job for the connection: the one already waiting if there is one (never two waiting),
   * brought forward when this one is due sooner (a "sync now" over a scheduled poll).
   */
  enqueue(connectionId: string, options?: { delayMs?: number }): Promise<SyncJob>;
  /** The next due job, now running under a fresh lease; null when none is due. */
  claim(): Promise<SyncJob | null>;
  /** Pushes the lease of a job still being worked on; false when the claim was lost. */
  extendLease(job: SyncJob): Promise<boolean>;
  /** false when the claim was lost (the lease ran out and the job was claimed again). */
  complete(job: SyncJob): Promise<boolean>;
  /**
   * Records a failure: the job waits for a retry (after the backoff, or `retryAfterMs`) unless it
   * is out of attempts, `retry` is false, or another job for the connection already waits.
   * Returns the job as it now is, or null when the claim was lost.
   */
  fail(
    job: SyncJob,
    error: string,
    options?: { retry?: boolean; retryAfterMs?: number | null },
  ): Promise<SyncJob | null>;
  /** Drops the connection's waiting job (a paused connection); a running one finishes. */
  cancelQueued(connectionId: string): Promise<void>;
  get(id: string): Promise<SyncJob | null>;
  /** The job if its connection belongs to the user; null otherwise. */
  getForUser(userId: string, id: string): Promise<SyncJob | null>;
  /** Deletes finished jobs that finished before `before`; returns how many. */
  prune(before: Date): Promise<number>;
}

const COLUMNS = `id, connection_id, state, attempts, run_after, locked_until, error, created_at,
  started_at, finished_at, request_id`;
const MAX_ERROR = 1000;
const UNIQUE_VIOLATION = '23505';
/** The advisory lock key claims take turns on (any fixed bigint; "sync" in ASCII). */
const CLAIM_LOCK = 0x73796e63;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface JobRow {
  [column: string]: unknown;
  id: string;
  connection_id: string;
  state: SyncJobState;
  attempts: number;
  run_after: Date | string;
  locked_until: Date | string | null;
  error: string | null;
  created_at: Date | string;
  started_at: Date | string | null;
  finished_at: Date | string | null;
  request_id: string | null;
}

const toDate = (value: Date | string): Date => (value instanceof Date ? value : new Date(value));
const toNullableDate = (value: Date | string | null): Date | null =>
  value === null ? null : toDate(value);

function toJob(row: JobRow): SyncJob {
  return {
    id: row.id,
    connectionId: row.connection_id,
    state: row.state,
    attempts: Number(row.attempts),
    runAfter: toDate(row.run_after),
    lockedUntil: toNullableDate(row.locked_until),
    error: row.error,
    createdAt: toDate(row.created_at),
    startedAt: toNullableDate(row.started_at),
    finishedAt: toNullableDate(row.finished_at),
    requestId: row.request_id,
  };
}

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === UNIQUE_VIOLATION;
}

export const defaultBackoffMs = (attempt: number): number =>
  Math.min(3600_000, 30_000 * 4 ** Math.max(0, attempt - 1));

export function createSyncJobQueue(db: Database, options: SyncJobQueueOptions): SyncJobQueue {
  const { clock } = options;
  const leaseMs = options.leaseMs ?? 5 * 60_000;
  const maxAttempts = options.maxAttempts ?? 5;
  const backoffMs = options.backoffMs ?? defaultBackoffMs;
  const newId = options.newId ?? (() => uuidv7());
  const later = (ms: number) => new Date(clock().getTime() + ms);

  async function get(id: string): Promise<SyncJob | null> {
    if (!UUID.test(id)) return null;
    const [row] = await db.query<JobRow>(`select ${COLUMNS} from sync_jobs where id = $1`, [id]);
    return row ? toJob(row) : null;
  }

  /** One claim attempt in its own transaction: the row it picks stays locked until it is running. */
  async function claimOnce(tx: Queryable): Promise<{ job: SyncJob | null; gaveUp: boolean }> {
    // Claims take turns across servers (held until this transaction ends, a few ms): without
    // it two servers could each start a job of the same user, neither seeing the other's.
    await tx.query('select pg_advisory_xact_lock($1)', [CLAIM_LOCK]);
    const now = clock();
    // A waiting job whose connection has nothing running and whose user has nothing running
    // under a live lease (one user's slow calendar holds one worker at most), or a running job
    // whose lease is over (its worker died). The running one goes first, so the waiting one
    // keeps waiting for it. Then users take turns: the one whose last sync started longest ago
    // (or never) first, and within a user the job due first.
    const [candidate] = await tx.query<JobRow>(
      `select ${COLUMNS.split(',')
        .map((column) => `j.${column.trim()}`)
        .join(', ')}
       from sync_jobs j join calendar_connections c on c.id = j.connection_id
       where (j.state = 'queued' and j.run_after <= $1
              and not exists (select 1 from sync_jobs r
                              where r.connection_id = j.connection_id and r.state = 'running')
              and not exists (select 1 from sync_jobs r
                              join calendar_connections rc on rc.id = r.connection_id
                              where rc.user_id = c.user_id and r.state = 'running'
                                and r.locked_until > $1))
          or (j.state = 'running' and j.locked_until <= $1)
       order by (j.state = 'running') desc,
         (select max(s.started_at) from sync_jobs s
          join calendar_connections sc on sc.id = s.connection_id
          where sc.user_id = c.user_id) asc nulls first,
         j.run_after, j.id
       limit 1
       for update of j skip locked`,
      [now],
    );
    if (!candidate) return { job: null, gaveUp: false };
    if (candidate.state === 'running' && Number(candidate.attempts) >= maxAttempts) {
      await tx.query(
        `update sync_jobs set state = 'failed', locked_until = null, finished_at = $2,
           error = coalesce(error || ' / ', '') || $3::text
         where id = $1`,
        [
          candidate.id,
          now,
          `the worker stopped answering ${candidate.attempts} times (lease expired)`,
        ],
      );
      return { job: null, gaveUp: true };
    }
    const [row] = await tx.query<JobRow>(
      `update sync_jobs
       set state = 'running', attempts = attempts + 1, locked_until = $2, started_at = $3
       where id = $1
       returning ${COLUMNS}`,
      [candidate.id, later(leaseMs), now],
    );
    return { job: row ? toJob(row) : null, gaveUp: false };
  }

  return {
    async enqueue(connectionId, enqueueOptions = {}) {
      const runAfter = later(enqueueOptions.delayMs ?? 0);
      // The job's log lines carry the id of the request that asked for it (log-context.ts).
      const requestId = currentLogContext()?.requestId ?? null;
      // Another server may enqueue, or claim the waiting job, between our insert and select:
      // a few rounds settle it.
      for (let round = 0; round < 5; round += 1) {
        const [row] = await db.query<JobRow>(
          `with inserted as (
             insert into sync_jobs (id, connection_id, state, run_after, created_at, request_id)
             values ($1, $2, 'queued', $3, $4, $5)
             on conflict (connection_id) where state = 'queued'
               do update set run_after = least(sync_jobs.run_after, excluded.run_after),
                 request_id = coalesce(excluded.request_id, sync_jobs.request_id)
             returning ${COLUMNS}
           )
           select ${COLUMNS} from inserted
           union all
           select ${COLUMNS} from sync_jobs where connection_id = $2 and state = 'queued'
           limit 1`,
          [newId(), connectionId, runAfter, clock(), requestId],
        );
        if (row) return toJob(row);
      }
      throw new Error(`could not enqueue a sync of connection ${connectionId}`);
    },

    async claim() {
      // Each lost worker's job that ran out of attempts is failed on the way: bounded rounds.
      for (let round = 0; round < 10; round += 1) {
        try {
          const result = await db.transaction(claimOnce);
          if (!result.gaveUp) return result.job;
        } catch (error) {
          // Two servers raced to start one connection's jobs: the unique index kept one out.
          if (!isUniqueViolation(error)) throw error;
        }
      }
      return null;
    },

    async extendLease(job) {
      const rows = await db.query(
        `update sync_jobs set locked_until = $3
         where id = $1 and attempts = $2 and state = 'running' returning id`,
        [job.id, job.attempts, later(leaseMs)],
      );
      return rows.length > 0;
    },

    async complete(job) {
      const rows = await db.query(
        `update sync_jobs
         set state = 'succeeded', locked_until = null, finished_at = $3, error = null
         where id = $1 and attempts = $2 and state = 'running' returning id`,
        [job.id, job.attempts, clock()],
      );
      return rows.length > 0;
    },

    async fail(job, error, failOptions = {}) {
      const now = clock();
      const message = error.slice(0, MAX_ERROR);
      const canRetry = failOptions.retry !== false && job.attempts < maxAttempts;
      if (canRetry) {
        const delay = failOptions.retryAfterMs ?? backoffMs(job.attempts);
        try {
          // Waits again unless another job for the connection already waits: that one will do.
          const [row] = await db.query<JobRow>(
            `update sync_jobs j
             set state = 'queued', locked_until = null, run_after = $3, error = $4
             where j.id = $1 and j.attempts = $2 and j.state = 'running'
               and not exists (select 1 from sync_jobs q
                               where q.connection_id = j.connection_id and q.state = 'queued')
             returning ${COLUMNS}`,
            [job.id, job.attempts, later(delay), message],
          );
          if (row) return toJob(row);
        } catch (failure) {
          if (!isUniqueViolation(failure)) throw failure;
        }
      }
      const [row] = await db.query<JobRow>(
        `update sync_jobs
         set state = 'failed', locked_until = null, finished_at = $3, error = $4
         where id = $1 and attempts = $2 and state = 'running'
         returning ${COLUMNS}`,
        [job.id, job.attempts, now, message],
      );
      return row ? toJob(row) : null;
    },

    async cancelQueued(connectionId) {
      await db.query(`delete from sync_jobs where connection_id = $1 and state = 'queued'`, [
        connectionId,
      ]);
    },

    get,

    async getForUser(userId, id) {
      if (!UUID.test(id)) return null;
      const [row] = await db.query<JobRow>(
        `select ${COLUMNS.split(',')
          .map((column) => `j.${column.trim()}`)
          .join(', ')}
         from sync_jobs j join calendar_connections c on c.id = j.connection_id
         where j.id = $1 and c.user_id = $2`,
        [id, userId],
      );
      return row ? toJob(row) : null;
    },

    async prune(before) {
      const rows = await db.query(
        `delete from sync_jobs where state in ('succeeded', 'failed') and finished_at < $1
         returning id`,
        [before],
      );
      return rows.length;
    },
  };
}
