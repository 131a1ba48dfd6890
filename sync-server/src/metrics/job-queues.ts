import type { Database } from '../db/database.js';

/** The durable job queues: calendar syncs, reminders, emails (agenda, calendar failures). */
export const JOB_QUEUES = ['calendar_sync', 'reminder', 'email'] as const;
export type JobQueueName = (typeof JOB_QUEUES)[number];

export interface JobQueueFigures {
  /** Jobs due (their time has come) and not yet done. */
  depth: number;
  /** How long the oldest of them has been due, in seconds; 0 when none is. */
  oldestAgeSeconds: number;
}

export interface JobQueuesSnapshot {
  queues: Record<JobQueueName, JobQueueFigures>;
  failingCalendarConnections: number;
}

/**
 * One cheap query per queue, each on its partial "due" index: a job counts once its time has
 * come (a reminder for next week is not backlog). `now` is the server's clock.
 */
const QUEUE_SQL: Record<JobQueueName, string> = {
  calendar_sync: `select count(*)::int as depth,
      coalesce(extract(epoch from ($1::timestamptz - min(run_after))), 0)::float8 as age
    from sync_jobs where state = 'queued' and run_after <= $1::timestamptz`,
  reminder: `select count(*)::int as depth,
      coalesce(extract(epoch from ($1::timestamptz - min(fire_at))), 0)::float8 as age
    from reminder_jobs where state = 'pending' and fire_at <= $1::timestamptz`,
  email: `select count(*)::int as depth,
      coalesce(extract(epoch from ($1::timestamptz - min(fire_at))), 0)::float8 as age
    from email_jobs where state = 'pending' and fire_at <= $1::timestamptz`,
};

const FAILING_CONNECTIONS_SQL = `select count(*)::int as failing from calendar_connections
  where sync_enabled and sync_status = 'FAILED'`;

export interface JobQueueReader {
  /** The queues now; callers at the same moment (one scrape's gauges) share one read. */
  read(): Promise<JobQueuesSnapshot>;
}

export function createJobQueueReader(db: Database, clock: () => Date): JobQueueReader {
  let inFlight: Promise<JobQueuesSnapshot> | null = null;

  async function readNow(): Promise<JobQueuesSnapshot> {
    const now = clock().toISOString();
    const queues = {} as Record<JobQueueName, JobQueueFigures>;
    for (const queue of JOB_QUEUES) {
      const [row] = await db.query<{ depth: number; age: number }>(QUEUE_SQL[queue], [now]);
      queues[queue] = {
        depth: Number(row?.depth ?? 0),
        oldestAgeSeconds: Math.max(0, Number(row?.age ?? 0)),
      };
    }
    const [failing] = await db.query<{ failing: number }>(FAILING_CONNECTIONS_SQL);
    return { queues, failingCalendarConnections: Number(failing?.failing ?? 0) };
  }

  return {
    read() {
      if (!inFlight) {
        inFlight = readNow().finally(() => {
          inFlight = null;
        });
      }
      return inFlight;
    },
  };
}
