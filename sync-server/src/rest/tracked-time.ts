import {
  documentVersion,
  getRunningTimer,
  runningOf,
  trackedSecondsByTask,
  type UserDocs,
} from '@tasks/crdt';
import type { DocumentAccess } from './document-access.js';

interface Totals {
  key: string;
  seconds: Map<string, number>;
  at: number;
  runningTaskId: string | null;
}

/**
 * `actual_duration` of tasks (minutes tracked, calculated from time entries). Summing every
 * entry of every month on each request would cost a scan of up to 100,000 entries, so totals
 * are kept per user and recomputed only when a month document or the timers change; task edits
 * (the main document) do not touch them. A running timer's growth since is added on read.
 */
export class TrackedTime {
  private readonly cache = new Map<string, Totals>();

  constructor(private readonly access: DocumentAccess) {}

  /** Minutes per task id for this user, from every month document they have. */
  async minutesByTask(userId: string, now: Date): Promise<Map<string, number>> {
    const months = await this.access.listMonths(userId);
    return this.access.use(userId, months, (docs: UserDocs) => {
      const key = [
        JSON.stringify(runningOf(docs.main).toJSON()),
        ...months.map((month) => `${month}:${documentVersion(docs.month(month))}`),
      ].join('|');
      let totals = this.cache.get(userId);
      if (!totals || totals.key !== key) {
        totals = {
          key,
          seconds: trackedSecondsByTask(docs, now),
          at: now.getTime(),
          runningTaskId: getRunningTimer(docs)?.taskId ?? null,
        };
        if (this.cache.size >= 10_000) this.cache.clear(); // bounded: it is only a cache
        this.cache.set(userId, totals);
      }
      const minutes = new Map<string, number>();
      for (const [taskId, seconds] of totals.seconds) {
        const growing =
          taskId === totals.runningTaskId ? Math.max(0, (now.getTime() - totals.at) / 1000) : 0;
        minutes.set(taskId, Math.floor((seconds + growing) / 60));
      }
      if (totals.runningTaskId && !totals.seconds.has(totals.runningTaskId)) {
        minutes.set(
          totals.runningTaskId,
          Math.floor(Math.max(0, now.getTime() - totals.at) / 60_000),
        );
      }
      return minutes;
    });
  }
}
