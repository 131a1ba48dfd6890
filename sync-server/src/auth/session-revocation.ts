/**
 * Revoked sessions, so that revoking one bites at once: every access token names its session
 * (the `sid` claim: the refresh-token family), and `verifyAccessToken` refuses a token whose
 * session is in this set. An entry is kept as long as a token of that session could still be
 * unexpired (the access-token lifetime after the revocation), then forgotten.
 *
 * The set answers asynchronously so that a shared store (Redis, when several servers share the
 * sessions) can back it behind the same interface; `createInProcessRevocations` is the one-process
 * store. Listeners hear every revocation this process learns of, which is how open sockets of a
 * revoked session are closed (sync-upgrade.ts).
 */
export interface SessionRevocations {
  /** Revokes the sessions; their access tokens are refused from now until `until`. */
  revoke(sessionIds: readonly string[], until: Date): Promise<void>;
  isRevoked(sessionId: string): Promise<boolean>;
  /** Calls `listener` with each session revoked from now on; returns the unsubscribe. */
  onRevoked(listener: (sessionId: string) => void): () => void;
}

export interface InProcessRevocationsOptions {
  clock: () => Date;
  /** Sessions remembered at most (default 100,000); beyond it the soonest to lapse is dropped. */
  maxEntries?: number;
}

export function createInProcessRevocations(
  options: InProcessRevocationsOptions,
): SessionRevocations {
  const { clock } = options;
  const maxEntries = options.maxEntries ?? 100_000;
  // Epoch ms each entry lapses at; entries are pruned lazily, on the way past.
  const lapses = new Map<string, number>();
  const listeners = new Set<(sessionId: string) => void>();

  const prune = (now: number) => {
    for (const [sessionId, lapsesAt] of lapses) {
      if (lapsesAt <= now) lapses.delete(sessionId);
    }
  };
  const dropSoonest = () => {
    let soonest: [string, number] | null = null;
    for (const entry of lapses) if (!soonest || entry[1] < soonest[1]) soonest = entry;
    if (soonest) lapses.delete(soonest[0]);
  };

  return {
    async revoke(sessionIds, until) {
      const now = clock().getTime();
      if (lapses.size + sessionIds.length > maxEntries) prune(now);
      for (const sessionId of sessionIds) {
        if (!lapses.has(sessionId) && lapses.size >= maxEntries) dropSoonest();
        lapses.set(sessionId, Math.max(lapses.get(sessionId) ?? 0, until.getTime()));
      }
      for (const sessionId of sessionIds) {
        for (const listener of listeners) listener(sessionId);
      }
    },
    async isRevoked(sessionId) {
      const lapsesAt = lapses.get(sessionId);
      if (lapsesAt === undefined) return false;
      if (lapsesAt > clock().getTime()) return true;
      lapses.delete(sessionId);
      return false;
    },
    onRevoked(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
