import type { DocStore } from '../persistence/doc-store.js';

interface Usage {
  bytes: Promise<{ bytes: number }>;
  /** The same object once read (for synchronous checks). */
  resolved: { bytes: number } | null;
  /** Connections and writes using it: the entry is forgotten when none are left. */
  holders: number;
}

/**
 * Bytes each user stores, read once and kept while the user has connections or writes in
 * flight, then forgotten (so the map is as large as the set of active users, not of every user
 * seen since start).
 */
export class UserQuota {
  private readonly usage = new Map<string, Usage>();

  constructor(
    private readonly store: DocStore,
    readonly limitBytes: number,
  ) {}

  /** Holds the user's entry (read from the store the first time); pair with `release`. */
  hold(userId: string): Promise<{ bytes: number }> {
    let usage = this.usage.get(userId);
    if (!usage) {
      const bytes = this.store.userSize(userId).then((total) => ({ bytes: total }));
      usage = { bytes, holders: 0, resolved: null };
      const entry = usage;
      bytes.then(
        (value) => {
          entry.resolved = value;
        },
        () => {
          if (this.usage.get(userId) === entry) this.usage.delete(userId);
        },
      );
      this.usage.set(userId, usage);
    }
    usage.holders += 1;
    return usage.bytes;
  }

  /** The user's bytes if held and read, for a check that cannot wait; null otherwise. */
  current(userId: string): { bytes: number } | null {
    return this.usage.get(userId)?.resolved ?? null;
  }

  release(userId: string): void {
    const usage = this.usage.get(userId);
    if (!usage) return;
    usage.holders -= 1;
    if (usage.holders <= 0) this.usage.delete(userId);
  }

  /** Re-reads a held user's size (after compaction shrank it). */
  refresh(userId: string): void {
    const usage = this.usage.get(userId);
    if (!usage) return;
    void this.store.userSize(userId).then(
      async (total) => {
        (await usage.bytes).bytes = total;
      },
      () => undefined,
    );
  }

  get trackedUsers(): number {
    return this.usage.size;
  }
}
