import type { SyncJob } from './calendar-api.js';

export interface SyncJobPollOptions {
  intervalMs: number;
  /** How long to watch; the job itself goes on after that (the list shows its result). */
  timeoutMs: number;
  /** Each state read, so the page can show the progress. */
  onProgress: (job: SyncJob) => void;
  /** True once nobody is watching (the page was left): polling stops. */
  isCancelled: () => boolean;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const isDone = (job: SyncJob) => job.state === 'succeeded' || job.state === 'failed';

/**
 * Reads a sync job (`GET status_url`) until it succeeds or fails for good; null when the watch
 * ran out of time or was cancelled first.
 */
export async function pollSyncJob(
  readJob: () => Promise<SyncJob>,
  options: SyncJobPollOptions,
): Promise<SyncJob | null> {
  const sleep = options.sleep ?? wait;
  const now = options.now ?? Date.now;
  const deadline = now() + options.timeoutMs;
  while (now() < deadline) {
    await sleep(options.intervalMs);
    if (options.isCancelled()) return null;
    const job = await readJob();
    if (options.isCancelled()) return null;
    options.onProgress(job);
    if (isDone(job)) return job;
  }
  return null;
}

/** A job's state in words, for the connection it syncs (`label`: "Google Calendar"). */
export function describeSyncJob(job: SyncJob, label: string): string {
  switch (job.state) {
    case 'queued':
      return job.error
        ? `${label}: the last try failed (${job.error}); trying again shortly…`
        : `${label}: sync queued…`;
    case 'running':
      return job.attempts > 1 ? `Syncing ${label}… (attempt ${job.attempts})` : `Syncing ${label}…`;
    case 'succeeded':
      return `${label} is in sync.`;
    case 'failed':
      return `Sync of ${label} failed: ${job.error ?? 'unknown error'}`;
  }
}
