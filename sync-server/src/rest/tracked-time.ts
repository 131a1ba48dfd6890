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
  async minutesByTask(userId: string, now: Date): Promise<Map<string, number>> {
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
      };
    }
    this.cache.delete(userId);
    this.cache.set(userId, totals);
    if (this.cache.size > MAX_USERS) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    for (const month of totals.months.keys()) if (!versions.has(month)) totals.months.delete(month);
    const at = new Date(totals.at);
    for (const [month, version] of versions) {
      if (totals.months.get(month)?.version === version) continue;
      // One changed month at a time: never every month document at once.
      const copies = await this.access.use(userId, [month], (docs) =>
        trackedCopiesOfMonth(docs, month, at),
      );
      totals.months.set(month, { version, copies });
    }
    const seconds = sumTrackedTime([...totals.months.values()].map((month) => month.copies));
    const growing = Math.max(0, (now.getTime() - totals.at) / 1000);
    const minutes = new Map<string, number>();
    for (const [taskId, total] of seconds) {
      const running = taskId === totals.runningTaskId ? growing : 0;
      minutes.set(taskId, Math.floor((total + running) / 60));
    }
    if (totals.runningTaskId && !seconds.has(totals.runningTaskId)) {
      minutes.set(totals.runningTaskId, Math.floor(growing / 60));
    }
    return minutes;
  }
}
