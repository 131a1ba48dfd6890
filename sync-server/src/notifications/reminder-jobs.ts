import type { PlannedReminder } from '@tasks/crdt';
import { v7 as uuidv7 } from 'uuid';
import type { Database } from '../db/database.js';
import {
  type Claim,
  createLeasedJobs,
  DEFAULT_LEASE_MS,
  type LeasedJobsOptions,
} from './leased-jobs.js';

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

export type ReminderJobStoreOptions = LeasedJobsOptions;

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
  /**
   * Up to `limit` due jobs, now claimed under a fresh lease, grouped by user: the users of the
   * earliest due jobs, earliest first, each with all their due jobs while the limit lasts (so a
   * batch reads and writes few documents, however the due jobs interleave across users).
   */
  claim(limit: number): Promise<ReminderJob[]>;
  /**
   * Records a channel as delivered for these jobs, in one statement; returns the ids whose
   * claim still holds (the others were lost: another server has them now).
   */
  markChannel(jobs: readonly ReminderJob[], channel: string): Promise<Set<string>>;
  /** Ends the jobs (`sent`, or `cancelled` when the document no longer has them); as above. */
  finish(jobs: readonly Claim[], state: 'sent' | 'cancelled'): Promise<Set<string>>;
  /** Records a failure: retried after the backoff, or `failed` when out of attempts. */
  fail(job: Claim, error: string): Promise<void>;
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

/**
 * A claim looks for its users among the earliest `limit / CLAIM_SEED_RATIO` due jobs: enough
 * users to fill a batch when each has many due jobs, few enough that collecting their due jobs
 * stays a small index scan when a whole minute of reminders is due at once.
 */
const CLAIM_SEED_RATIO = 10;

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

export function createReminderJobStore(
  db: Database,
  options: ReminderJobStoreOptions,
): ReminderJobStore {
  const { clock } = options;
  const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  const leased = createLeasedJobs<JobRow>(db, 'reminder_jobs', COLUMNS, options);

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
      // One statement (one round trip, atomic): pending jobs no longer planned go, new ones come.
      const [counts] = await db.query<{ removed: number | string; added: number | string }>(
        `with d as (select * from jsonb_to_recordset($2::text::jsonb) as ${record}),
         removed as (
           delete from reminder_jobs j
           where j.user_id = $1 and j.state = 'pending'
             and not exists (
               select 1 from d
               where d.task_id = j.task_id and d.reminder_key = j.reminder_key
                 and d.fire_at = j.fire_at)
           returning j.id),
         added as (
           insert into reminder_jobs (id, user_id, task_id, reminder_key, fire_at, created_at)
           select d.id, $1, d.task_id, d.reminder_key, d.fire_at, $4 from d
           where d.fire_at > $3
           on conflict (user_id, task_id, reminder_key, fire_at) do nothing
           returning id)
         select (select count(*) from removed) as removed, (select count(*) from added) as added`,
        [userId, desired, notBefore, clock()],
      );
      return { added: Number(counts?.added ?? 0), removed: Number(counts?.removed ?? 0) };
    },

    async claim(limit) {
      const now = clock();
      // Like LeasedJobs.claim (lease, fencing `attempts`, SKIP LOCKED), in user order: the seed
      // is read without locks, the rows are locked where they are claimed.
      const rows = await db.query<JobRow>(
        `with seed as (
           select user_id, min(fire_at) as first_at from (
             select user_id, fire_at from reminder_jobs
             where state = 'pending' and fire_at <= $1
               and (locked_until is null or locked_until <= $1)
             order by fire_at, id
             limit $4) as earliest
           group by user_id)
         update reminder_jobs set locked_until = $2, attempts = attempts + 1
         where id in (
           select j.id from reminder_jobs j join seed on seed.user_id = j.user_id
           where j.state = 'pending' and j.fire_at <= $1
             and (j.locked_until is null or j.locked_until <= $1)
           order by seed.first_at, j.user_id, j.fire_at, j.id
           limit $3
           for update of j skip locked)
         returning ${COLUMNS}`,
        [now, new Date(now.getTime() + leaseMs), limit, Math.ceil(limit / CLAIM_SEED_RATIO)],
      );
      return rows.map(toJob);
    },

    async markChannel(jobs, channel) {
      const waiting = jobs.filter((job) => !job.channelsDone.includes(channel));
      if (waiting.length === 0) return new Set();
      const rows = await db.query<{ id: string }>(
        `update reminder_jobs j set channels_done = array_append(j.channels_done, $1)
         from unnest($2::uuid[], $3::int[]) as m(id, attempts)
         where j.id = m.id and j.attempts = m.attempts and j.state = 'pending'
           and not ($1 = any(j.channels_done))
         returning j.id`,
        [channel, waiting.map((job) => job.id), waiting.map((job) => job.attempts)],
      );
      const marked = new Set(rows.map((row) => row.id));
      for (const job of waiting) if (marked.has(job.id)) job.channelsDone.push(channel);
      return marked;
    },

    finish: leased.finish,
    fail: leased.fail,
    prune: leased.prune,

    async count(filter) {
      const rows = await db.query<{ n: number | string }>(
        `select count(*) as n from reminder_jobs
         where state = $1 and ($2::uuid is null or user_id = $2::uuid)`,
        [filter.state, filter.userId ?? null],
      );
      return Number(rows[0]?.n ?? 0);
    },
  };
}
