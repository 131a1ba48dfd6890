import type { Database } from '../db/database.js';

/**
 * What the notification queues (`reminder_jobs`, `email_jobs`) share: due rows claimed under a
 * lease with `FOR UPDATE SKIP LOCKED` (servers sharing the database take different rows; a
 * crashed server's claim is taken again once its lease is over), `attempts` as the fencing
 * token (a worker whose lease ran out records nothing on a row claimed again since), failures
 * retried after a backoff until out of attempts, finished rows pruned. Times come from the
 * injected clock, never the database's `now()`. Finishing takes many jobs in one statement.
 */
export interface LeasedJobsOptions {
  clock: () => Date;
  /** How long a claim holds a job (default 2 minutes). */
  leaseMs?: number;
  /** Claims before a job fails for good (default 5). */
  maxAttempts?: number;
  /** Wait before retry number `attempt` (default 15 s × 2^(attempt-1), at most 10 minutes). */
  backoffMs?: (attempt: number) => number;
}

/** A claimed job as far as the queue cares: its row and its claim. */
export interface Claim {
  id: string;
  attempts: number;
}

export const DEFAULT_LEASE_MS = 120_000;

export const defaultBackoffMs = (attempt: number): number =>
  Math.min(600_000, 15_000 * 2 ** Math.max(0, attempt - 1));

const MAX_ERROR = 1000;

export interface LeasedJobs<Row> {
  /** Up to `limit` due rows, now claimed under a fresh lease (`columns` of each). */
  claim(limit: number): Promise<Row[]>;
  /** Ends the jobs whose claim still holds; returns their ids. */
  finish(jobs: readonly Claim[], state: 'sent' | 'cancelled'): Promise<Set<string>>;
  /** Records a failure: retried after the backoff, or `failed` when out of attempts. */
  fail(job: Claim, error: string): Promise<void>;
  /** Deletes finished jobs that finished before `before`; returns how many. */
  prune(before: Date): Promise<number>;
}

export function createLeasedJobs<Row extends Record<string, unknown>>(
  db: Database,
  table: 'reminder_jobs' | 'email_jobs',
  columns: string,
  options: LeasedJobsOptions,
): LeasedJobs<Row> {
  const { clock } = options;
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const maxAttempts = options.maxAttempts ?? 5;
  const backoffMs = options.backoffMs ?? defaultBackoffMs;
  const later = (ms: number) => new Date(clock().getTime() + ms);
  return {
    async claim(limit) {
      const now = clock();
      return db.query<Row>(
        `update ${table} set locked_until = $2, attempts = attempts + 1
         where id in (
           select id from ${table}
           where state = 'pending' and fire_at <= $1
             and (locked_until is null or locked_until <= $1)
           order by fire_at, id
           limit $3
           for update skip locked)
         returning ${columns}`,
        [now, later(leaseMs), limit],
      );
    },

    async finish(jobs, state) {
      if (jobs.length === 0) return new Set();
      const rows = await db.query<{ id: string }>(
        `update ${table} j set state = $1, finished_at = $2, locked_until = null
         from unnest($3::uuid[], $4::int[]) as f(id, attempts)
         where j.id = f.id and j.attempts = f.attempts and j.state = 'pending'
         returning j.id`,
        [state, clock(), jobs.map((job) => job.id), jobs.map((job) => job.attempts)],
      );
      return new Set(rows.map((row) => row.id));
    },

    async fail(job, error) {
      const outOfAttempts = job.attempts >= maxAttempts;
      await db.query(
        `update ${table}
         set state = $3, locked_until = $4, last_error = $5,
             finished_at = case when $3 = 'failed' then $6::timestamptz else null end
         where id = $1 and attempts = $2 and state = 'pending'`,
        [
          job.id,
          job.attempts,
          outOfAttempts ? 'failed' : 'pending',
          outOfAttempts ? null : later(backoffMs(job.attempts)),
          error.slice(0, MAX_ERROR),
          clock(),
        ],
      );
    },

    async prune(before) {
      const rows = await db.query(
        `delete from ${table} where state <> 'pending' and finished_at < $1 returning id`,
        [before],
      );
      return rows.length;
    },
  };
}
