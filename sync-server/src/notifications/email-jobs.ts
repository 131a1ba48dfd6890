import { v7 as uuidv7 } from 'uuid';
import type { Database } from '../db/database.js';
import { type Claim, createLeasedJobs, type LeasedJobsOptions } from './leased-jobs.js';

/**
 * The durable queue of emails other than reminders (table `email_jobs`): the daily agenda (key:
 * the user's local day) and the message about a failing calendar connection (key: the
 * connection and the moment its failure began). One row per (user, kind, key), so planning
 * twice, on two servers or after a crash adds nothing; claimed under a lease with `FOR UPDATE
 * SKIP LOCKED`, `attempts` fencing a claim that ran out. Times come from the injected clock.
 */
export const EMAIL_JOB_KINDS = ['agenda', 'calendar-failure'] as const;
export type EmailJobKind = (typeof EMAIL_JOB_KINDS)[number];

export interface EmailJob {
  id: string;
  userId: string;
  kind: EmailJobKind;
  key: string;
  fireAt: Date;
  payload: Record<string, unknown>;
  attempts: number;
}

export type EmailJobStoreOptions = LeasedJobsOptions;

export interface EmailJobStore {
  /** Adds the job unless one of that user, kind and key exists (in any state); true if added. */
  plan(job: { userId: string; kind: EmailJobKind; key: string; fireAt: Date }): Promise<boolean>;
  /** Removes the user's pending jobs of a kind whose key is not in `keep`; returns how many. */
  unplan(userId: string, kind: EmailJobKind, keep: readonly string[]): Promise<number>;
  claim(limit: number): Promise<EmailJob[]>;
  /** Ends the jobs whose claim still holds; returns their ids. */
  finish(jobs: readonly Claim[], state: 'sent' | 'cancelled'): Promise<Set<string>>;
  fail(job: Claim, error: string): Promise<void>;
  list(filter: { userId: string; kind?: EmailJobKind }): Promise<
    {
      kind: EmailJobKind;
      key: string;
      fireAt: Date;
      state: string;
      attempts: number;
      lastError: string | null;
    }[]
  >;
  prune(before: Date): Promise<number>;
}

interface JobRow {
  [column: string]: unknown;
  id: string;
  user_id: string;
  kind: EmailJobKind;
  key: string;
  fire_at: Date | string;
  payload: Record<string, unknown> | string;
  attempts: number;
  state: string;
  last_error?: string | null;
}

const toDate = (value: Date | string) => (value instanceof Date ? value : new Date(value));

function toJob(row: JobRow): EmailJob {
  return {
    id: row.id,
    userId: row.user_id,
    kind: row.kind,
    key: row.key,
    fireAt: toDate(row.fire_at),
    payload: typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload,
    attempts: Number(row.attempts),
  };
}

export function createEmailJobStore(db: Database, options: EmailJobStoreOptions): EmailJobStore {
  const { clock } = options;
  const leased = createLeasedJobs<JobRow>(
    db,
    'email_jobs',
    'id, user_id, kind, key, fire_at, payload, attempts, state',
    options,
  );

  return {
    async plan(job) {
      const rows = await db.query(
        `insert into email_jobs (id, user_id, kind, key, fire_at, created_at)
         values ($1, $2, $3, $4, $5, $6)
         on conflict (user_id, kind, key) do nothing
         returning id`,
        [uuidv7(), job.userId, job.kind, job.key, job.fireAt, clock()],
      );
      return rows.length > 0;
    },

    async unplan(userId, kind, keep) {
      const rows = await db.query(
        `delete from email_jobs
         where user_id = $1 and kind = $2 and state = 'pending'
           and not (key = any($3::text[]))
         returning id`,
        [userId, kind, [...keep]],
      );
      return rows.length;
    },

    async claim(limit) {
      return (await leased.claim(limit)).map(toJob);
    },

    finish: leased.finish,
    fail: leased.fail,
    prune: leased.prune,

    async list(filter) {
      const rows = await db.query<JobRow>(
        `select id, user_id, kind, key, fire_at, payload, attempts, state, last_error
         from email_jobs
         where user_id = $1 and ($2::text is null or kind = $2::text)
         order by fire_at, id`,
        [filter.userId, filter.kind ?? null],
      );
      return rows.map((row) => ({
        kind: row.kind,
        key: row.key,
        fireAt: toDate(row.fire_at),
        state: row.state,
        attempts: Number(row.attempts),
        lastError: row.last_error ?? null,
      }));
    },
  };
}
