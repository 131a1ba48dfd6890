import {
  getRunningTimer,
  runningOf,
  sumTrackedTime,
  type TrackedCopy,
  trackedCopiesOfMonth,
} from '@tasks/crdt';
import type { DocumentAccess } from './document-access.js';

interface UserTotals {
  /** The timers (main document) the month shares were computed under. */
  timers: string;
  runningTaskId: string | null;
  /** The instant the month shares were computed at (a running entry counts up to it). */
  at: number;
  /** Each month's entries, as of its stored version. */
  months: Map<string, { version: string; copies: TrackedCopy[] }>;
  /** Seconds per task over every month's shares; null once a share changed. */
  seconds: Map<string, number> | null;
}

/** Minutes tracked per task id (0 for a task nobody tracked). */
export interface TrackedMinutes {
  get(taskId: string): number;
}

const MAX_USERS = 10_000;

/**
 * `actual_duration` of tasks (minutes tracked, calculated from time entries). Summing every
 * entry of every month on each request would load every month document of the user (up to
 * 100,000 entries), so each month's share is kept, keyed by the month's stored version: a
 * request reads the versions (one query) and loads only months that changed since, usually none.
 * Task edits (the main document) do not touch the shares; starting or stopping a timer
 * recomputes them. A running timer's growth since the shares were computed is added on read.
 */
export class TrackedTime {
  /** Per user, least recently used first. */
  private readonly cache = new Map<string, UserTotals>();

  constructor(private readonly access: DocumentAccess) {}

  /** Minutes per task id for this user, from every month document they have. */
  async minutesByTask(userId: string, now: Date): Promise<TrackedMinutes> {
    const [versions, timers] = await Promise.all([
      this.access.monthVersions(userId),
      this.access.use(userId, [], (docs) => ({
        key: JSON.stringify(runningOf(docs.main).toJSON()),
        runningTaskId: getRunningTimer(docs)?.taskId ?? null,
      })),
    ]);
    let totals = this.cache.get(userId);
    if (!totals || totals.timers !== timers.key) {
      totals = {
        timers: timers.key,
        runningTaskId: timers.runningTaskId,
        at: now.getTime(),
        months: new Map(),
        seconds: null,
      };
    }
    this.cache.delete(userId);
    this.cache.set(userId, totals);
    if (this.cache.size > MAX_USERS) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    for (const month of totals.months.keys()) {
      if (versions.has(month)) continue;
      totals.months.delete(month);
      totals.seconds = null;
    }
    const at = new Date(totals.at);
    for (const [month, version] of versions) {
      if (totals.months.get(month)?.version === version) continue;
      // One changed month at a time: never every month document at once.
      const copies = await this.access.use(userId, [month], (docs) =>
        trackedCopiesOfMonth(docs, month, at),
      );
      totals.months.set(month, { version, copies });
      totals.seconds = null;
    }
    // Summed once per change of a month or of the timers, not per request (100,000 entries).
    totals.seconds ??= sumTrackedTime([...totals.months.values()].map((month) => month.copies));
    const seconds = totals.seconds;
    const runningTaskId = totals.runningTaskId;
    const growing = Math.max(0, (now.getTime() - totals.at) / 1000);
    return {
      get: (taskId) =>
        Math.floor(((seconds.get(taskId) ?? 0) + (taskId === runningTaskId ? growing : 0)) / 60),
    };
  }
}
