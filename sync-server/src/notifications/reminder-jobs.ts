import type { PlannedReminder } from '@tasks/crdt';
import { v7 as uuidv7 } from 'uuid';
import type { Database } from '../db/database.js';

/**
 * The durable queue of reminders (table `reminder_jobs`), through the Database seam so on PGlite
 * as on PostgreSQL. Planned from a user's document (`replan`: the pending rows become exactly
 * the reminders the document has, a row already sent is never planned again), claimed when due
 * under a lease with `FOR UPDATE SKIP LOCKED`, with `attempts` as the fencing token: a worker
 * whose lease ran out cannot record anything on a row another worker has since claimed. Times
 * come from the injected clock, never the database's `now()`.
 */
export interface ReminderJob {
  id: string;
  userId: string;
  taskId: string;
  /** The reminder's key in its task (`before:15`, `at:…`). */
  reminderKey: string;
  fireAt: Date;
  /** Times claimed; the claim's fencing token. */
  attempts: number;
  /** Channels already delivered (`in-app`, `email`, `push`). */
  channelsDone: string[];
}

export type ReminderJobState = 'pending' | 'sent' | 'cancelled' | 'failed';

export interface ReminderJobStoreOptions {
  clock: () => Date;
  /** How long a claim holds a job (default 2 minutes). */
  leaseMs?: number;
  /** Claims before a job fails for good (default 5). */
  maxAttempts?: number;
  /** Wait before retry number `attempt` (default 15 s × 2^(attempt-1)). */
  backoffMs?: (attempt: number) => number;
}

export interface ReminderJobStore {
  /**
   * Makes the user's pending jobs the given reminders: pending ones no longer planned go (the
   * task was completed, deleted, its reminder removed or its date moved), new ones come in if
   * they fire after `notBefore` (a reminder whose time had passed when it was set is not sent).
   */
  replan(
    userId: string,
    planned: readonly PlannedReminder[],
    notBefore: Date,
  ): Promise<{ added: number; removed: number }>;
  /** Up to `limit` due jobs, now claimed under a fresh lease. */
  claim(limit: number): Promise<ReminderJob[]>;
  /** Records a delivered channel; false when the claim was lost. */
  markChannel(job: ReminderJob, channel: string): Promise<boolean>;
  /** Ends the job (`sent`, or `cancelled` when the document no longer has it). */
  finish(job: ReminderJob, state: 'sent' | 'cancelled'): Promise<boolean>;
  /** Records a failure: retried after the backoff, or `failed` when out of attempts. */
  fail(job: ReminderJob, error: string): Promise<void>;
  /** Jobs of a user in a state (tests, the benchmark). */
  count(filter: { userId?: string; state: ReminderJobState }): Promise<number>;
  /** Deletes finished jobs that finished before `before`; returns how many. */
  prune(before: Date): Promise<number>;
}

interface JobRow {
  [column: string]: unknown;
  id: string;
  user_id: string;
  task_id: string;
  reminder_key: string;
  fire_at: Date | string;
  attempts: number;
  channels_done: string[] | string;
}

const COLUMNS = 'id, user_id, task_id, reminder_key, fire_at, attempts, channels_done';
const MAX_ERROR = 1000;

/** A text[] column: an array from postgres.js and PGlite, a literal `{a,b}` from older drivers. */
function readTextArray(value: string[] | string): string[] {
  if (Array.isArray(value)) return value;
  const inner = value.replace(/^\{|\}$/g, '');
  return inner === '' ? [] : inner.split(',');
}

function toJob(row: JobRow): ReminderJob {
  return {
    id: row.id,
    userId: row.user_id,
    taskId: row.task_id,
    reminderKey: row.reminder_key,
    fireAt: row.fire_at instanceof Date ? row.fire_at : new Date(row.fire_at),
    attempts: Number(row.attempts),
    channelsDone: readTextArray(row.channels_done),
  };
}

export const defaultReminderBackoffMs = (attempt: number): number =>
  Math.min(600_000, 15_000 * 2 ** Math.max(0, attempt - 1));

export function createReminderJobStore(
  db: Database,
  options: ReminderJobStoreOptions,
): ReminderJobStore {
  const { clock } = options;
  const leaseMs = options.leaseMs ?? 120_000;
  const maxAttempts = options.maxAttempts ?? 5;
  const backoffMs = options.backoffMs ?? defaultReminderBackoffMs;
  const later = (ms: number) => new Date(clock().getTime() + ms);

  return {
    async replan(userId, planned, notBefore) {
      // The planned set goes in as one JSON parameter: the same SQL on both drivers.
      const desired = JSON.stringify(
        planned.map((item) => ({
          id: uuidv7(),
          task_id: item.taskId,
          reminder_key: item.key,
          fire_at: item.fireAt,
        })),
      );
      const record = 'd(id uuid, task_id text, reminder_key text, fire_at timestamptz)';
      return db.transaction(async (tx) => {
        const removed = await tx.query(
          `delete from reminder_jobs j
           where j.user_id = $1 and j.state = 'pending'
             and not exists (
               select 1 from jsonb_to_recordset($2::text::jsonb) as ${record}
               where d.task_id = j.task_id and d.reminder_key = j.reminder_key
                 and d.fire_at = j.fire_at)
           returning j.id`,
          [userId, desired],
        );
        const added = await tx.query(
          `insert into reminder_jobs (id, user_id, task_id, reminder_key, fire_at, created_at)
           select d.id, $1, d.task_id, d.reminder_key, d.fire_at, $4
           from jsonb_to_recordset($2::text::jsonb) as ${record}
           where d.fire_at > $3
           on conflict (user_id, task_id, reminder_key, fire_at) do nothing
           returning id`,
          [userId, desired, notBefore, clock()],
        );
        return { added: added.length, removed: removed.length };
      });
    },

    async claim(limit) {
      const now = clock();
      const rows = await db.query<JobRow>(
        `update reminder_jobs set locked_until = $2, attempts = attempts + 1
         where id in (
           select id from reminder_jobs
           where state = 'pending' and fire_at <= $1
             and (locked_until is null or locked_until <= $1)
           order by fire_at, id
           limit $3
           for update skip locked)
         returning ${COLUMNS}`,
        [now, later(leaseMs), limit],
      );
      return rows.map(toJob);
    },

    async markChannel(job, channel) {
      const rows = await db.query(
        `update reminder_jobs set channels_done = array_append(channels_done, $3)
         where id = $1 and attempts = $2 and state = 'pending'
           and not ($3 = any(channels_done))
         returning id`,
        [job.id, job.attempts, channel],
      );
      if (rows.length === 0) return false;
      job.channelsDone.push(channel);
      return true;
    },

    async finish(job, state) {
      const rows = await db.query(
        `update reminder_jobs set state = $3, finished_at = $4, locked_until = null
         where id = $1 and attempts = $2 and state = 'pending'
         returning id`,
        [job.id, job.attempts, state, clock()],
      );
      return rows.length > 0;
    },

    async fail(job, error) {
      const outOfAttempts = job.attempts >= maxAttempts;
      await db.query(
        `update reminder_jobs
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

    async count(filter) {
      const rows = await db.query<{ n: number | string }>(
        `select count(*) as n from reminder_jobs
         where state = $1 and ($2::uuid is null or user_id = $2::uuid)`,
        [filter.state, filter.userId ?? null],
      );
      return Number(rows[0]?.n ?? 0);
    },

    async prune(before) {
      const rows = await db.query(
        `delete from reminder_jobs where state <> 'pending' and finished_at < $1 returning id`,
        [before],
      );
      return rows.length;
    },
  };
}
