import { getRunningTimer, trackedSecondsByTask, type UserDocs } from '@tasks/crdt';
import type * as Y from 'yjs';
import type { DocumentAccess } from './document-access.js';

/**
 * `actual_duration` of tasks (minutes tracked, calculated from time entries): summing every
 * entry of every month on each request would cost a scan of up to 100,000 entries, so totals
 * are kept per user and recomputed only after one of the user's documents changed (or while a
 * timer runs, since then the total grows by itself).
 */
export class TrackedTime {
  private readonly cache = new Map<string, { version: number; totals: Map<string, number> }>();
  private readonly versions = new WeakMap<Y.Doc, number>();

  constructor(private readonly access: DocumentAccess) {}

  private version(doc: Y.Doc): number {
    let version = this.versions.get(doc);
    if (version === undefined) {
      version = 0;
      this.versions.set(doc, version);
      doc.on('update', () => this.versions.set(doc, (this.versions.get(doc) ?? 0) + 1));
    }
    return version;
  }

  /** Minutes per task id for this user, from every month document they have. */
  async minutesByTask(userId: string, now: Date): Promise<Map<string, number>> {
    const months = await this.access.listMonths(userId);
    return this.access.use(userId, months, (docs: UserDocs) => {
      let version = this.version(docs.main);
      // Versions only grow, so the sum changes whenever any document (or the set of months) does.
      for (const key of docs.loadedMonths()) version += this.version(docs.month(key)) + 1;
      const cached = this.cache.get(userId);
      const running = getRunningTimer(docs) !== null;
      let totals: Map<string, number>;
      if (cached && cached.version === version && !running) totals = cached.totals;
      else {
        totals = trackedSecondsByTask(docs, now);
        if (this.cache.size > 10_000) this.cache.clear(); // bounded: it is only a cache
        this.cache.set(userId, { version, totals });
      }
      const minutes = new Map<string, number>();
      for (const [taskId, seconds] of totals) minutes.set(taskId, Math.floor(seconds / 60));
      return minutes;
    });
  }
}
