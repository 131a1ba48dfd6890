import { documentVersion, type UserDocs } from '@tasks/crdt';

/** Analytics may be this old (spec 8.3 allows an hour); edits make them fresh at once. */
export const ANALYTICS_MAX_AGE_MS = 60_000;
const MAX_ENTRIES = 10_000;

/**
 * Dashboard and distribution results per user and query, valid while none of the documents they
 * read changed and for at most a minute (a running timer keeps adding time). Computing one reads
 * every task and the period's entries; under load the same answer serves every request.
 */
export class AnalyticsCache {
  private readonly entries = new Map<string, { version: string; at: number; value: unknown }>();

  get<T>(docs: UserDocs, query: string, now: Date, compute: () => T): T {
    const version = [docs.main, ...docs.loadedMonths().map((key) => docs.month(key))]
      .map((doc) => documentVersion(doc))
      .join('.');
    const key = `${docs.userId}|${query}`;
    const cached = this.entries.get(key);
    if (cached && cached.version === version && now.getTime() - cached.at < ANALYTICS_MAX_AGE_MS) {
      return cached.value as T;
    }
    const value = compute();
    this.entries.delete(key);
    if (this.entries.size >= MAX_ENTRIES) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(key, { version, at: now.getTime(), value });
    return value;
  }
}
