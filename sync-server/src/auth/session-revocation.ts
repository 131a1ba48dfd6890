import type { ClusterRedis } from '../cluster/redis-guard.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';

/**
 * Revoked sessions, so that revoking one bites at once: every access token names its session
 * (the `sid` claim: the refresh-token family), and `verifyAccessToken` refuses a token whose
 * session is in this set. An entry is kept as long as a token of that session could still be
 * unexpired (the access-token lifetime after the revocation), then forgotten.
 *
 * The set answers asynchronously so that a shared store can back it behind the same interface:
 * `createInProcessRevocations` is the one-process store (it forgets on restart),
 * `createDatabaseRevocations` the server's, kept in the database so that a revocation survives a
 * restart and reaches every server sharing the database. Listeners hear every revocation this
 * process learns of, which is how open sockets of a revoked session are closed (sync-upgrade.ts).
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

export interface DatabaseRevocationsOptions {
  db: Database;
  clock: () => Date;
  log: Logger;
  /**
   * How often revocations recorded by other servers are looked for, so that their sockets here
   * close (default 1 s). Token checks never wait for it: they ask the database.
   */
  pollIntervalMs?: number;
  /**
   * A cluster's Redis: each revocation is also published there, so that every node closes the
   * session's sockets at once rather than at its next poll (which stays, for a message Redis
   * loses). Absent: one process, polling only.
   */
  cluster?: ClusterRedis | null;
}

export interface DatabaseRevocations extends SessionRevocations {
  /** Starts polling for revocations recorded by other servers (and listening, on a cluster). */
  start(): void;
  /** Stops polling (and listening) and waits for a poll under way. */
  stop(): Promise<void>;
  /** One poll (tests): tells the listeners of every revocation not heard of yet. */
  pollOnce(): Promise<void>;
  /** Deletes the rows no token can outlive any more; how many went (the session pruner). */
  prune(now: Date): Promise<number>;
  /**
   * The same set, with `isRevoked` answered from memory only: for a checker that reads the
   * session's row in a statement of its own (`guardAccessTokens`, one read per request with the
   * account's checks) and hands what it found to `learn`.
   */
  readonly remembered: SessionRevocations;
  /** A revocation read from `revoked_sessions` by another statement: answered from memory now. */
  learn(sessionId: string, lapsesAt: Date): Promise<void>;
}

/**
 * The condition a statement reads a session's revocation with: `revoked_sessions` row of the
 * session `$session` that lapses after `$now` (see `guardAccessTokens`).
 */
export function revokedSessionSql(session: string, now: string): string {
  return `select lapses_at from revoked_sessions
           where session_id = ${session} and lapses_at > ${now}::timestamptz`;
}

/**
 * A revocation is a row of `revoked_sessions`, kept until its session's last access token has
 * lapsed. A token check asks the database (one primary-key read; a session known to be revoked
 * is answered from memory), so a revocation holds at once on every server and after a restart.
 * Sockets are closed by listeners, which hear of revocations made here at once and of those made
 * by other servers at the next poll.
 */
export function createDatabaseRevocations(
  options: DatabaseRevocationsOptions,
): DatabaseRevocations {
  const { db, clock, log } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  // Sessions known to be revoked, and the listeners: the one-process set does both.
  const known = createInProcessRevocations({ clock });
  // What this process has told its listeners of (session → lapse), so a poll tells each once.
  const told = new Map<string, number>();
  // Database time of the last poll, less a margin for a revocation committed a moment after the
  // database stamped it; null before the first poll, which reads every live revocation.
  let cursor: Date | null = null;
  let timer: NodeJS.Timeout | null = null;
  let polling: Promise<void> = Promise.resolve();
  const news = options.cluster ? revocationNews(options.cluster, (ids) => confirm(ids)) : null;

  const learn = async (sessionId: string, lapsesAt: Date) => {
    if ((told.get(sessionId) ?? 0) >= lapsesAt.getTime()) return;
    told.set(sessionId, lapsesAt.getTime());
    await known.revoke([sessionId], lapsesAt);
  };

  /**
   * Sessions another node says it revoked, learnt only as the database has them: the database
   * is the truth, and a message on Redis (from anyone who can reach it) never revokes alone.
   */
  const confirm = async (sessionIds: readonly string[]) => {
    const rows = await db.query<{ session_id: string; lapses_at: Date }>(
      `select session_id, lapses_at from revoked_sessions
        where session_id = any($1::text[]) and lapses_at > $2::timestamptz`,
      [[...sessionIds], clock().toISOString()],
    );
    for (const row of rows) await learn(row.session_id, new Date(row.lapses_at));
  };

  const pollOnce = async () => {
    const now = clock().getTime();
    for (const [session, lapse] of told) if (lapse <= now) told.delete(session);
    const rows = await db.query<{
      session_id: string | null;
      lapses_at: Date | null;
      polled_at: Date;
    }>(
      `select r.session_id, r.lapses_at, n.polled_at
         from (select clock_timestamp() as polled_at) n
         left join revoked_sessions r
           on r.recorded_at >= coalesce($1::timestamptz, '-infinity') and r.lapses_at > $2::timestamptz`,
      [cursor?.toISOString() ?? null, clock().toISOString()],
    );
    for (const row of rows) {
      if (row.session_id !== null && row.lapses_at !== null) {
        await learn(row.session_id, new Date(row.lapses_at));
      }
    }
    const polledAt = rows[0]?.polled_at;
    if (polledAt) cursor = new Date(new Date(polledAt).getTime() - POLL_OVERLAP_MS);
  };

  const revocations: DatabaseRevocations = {
    async revoke(sessionIds, until) {
      if (sessionIds.length === 0) return;
      await db.query(
        `insert into revoked_sessions (session_id, lapses_at)
           select unnest($1::text[]), $2::timestamptz
         on conflict (session_id) do update
           set lapses_at = greatest(revoked_sessions.lapses_at, excluded.lapses_at),
               recorded_at = clock_timestamp()`,
        [[...sessionIds], until.toISOString()],
      );
      for (const sessionId of sessionIds) await learn(sessionId, until);
      news?.publish(sessionIds);
    },
    async isRevoked(sessionId) {
      if (await known.isRevoked(sessionId)) return true;
      const [row] = await db.query<{ lapses_at: Date }>(revokedSessionSql('$1', '$2'), [
        sessionId,
        clock().toISOString(),
      ]);
      if (!row) return false;
      await learn(sessionId, new Date(row.lapses_at));
      return true;
    },
    onRevoked: (listener) => known.onRevoked(listener),
    remembered: {
      revoke: (sessionIds, until) => revocations.revoke(sessionIds, until),
      isRevoked: (sessionId) => known.isRevoked(sessionId),
      onRevoked: (listener) => known.onRevoked(listener),
    },
    learn,
    pollOnce,
    async prune(now) {
      const rows = await db.query<{ session_id: string }>(
        'delete from revoked_sessions where lapses_at <= $1::timestamptz returning session_id',
        [now.toISOString()],
      );
      return rows.length;
    },
    start() {
      if (timer) return;
      let busy = false;
      const poll = () => {
        // A tick while a poll is still under way (a slow database) is skipped, not queued.
        if (busy) return;
        busy = true;
        // A failed poll is retried at the next tick from where the last one ended.
        polling = pollOnce()
          .catch((error: unknown) => {
            log.warn('polling session revocations failed', { error: String(error) });
          })
          .finally(() => {
            busy = false;
          });
      };
      poll();
      timer = setInterval(poll, pollIntervalMs);
      timer.unref();
      news?.listen();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await news?.stop();
      await polling;
    },
  };
  return revocations;
}

/**
 * How far each poll looks back past the previous one: a revocation is stamped by the database
 * when inserted and visible once committed, a moment later; a single-statement insert commits
 * within this margin.
 */
const POLL_OVERLAP_MS = 5000;

/**
 * The cluster's channel of revocations: `{"sessions": [...]}` published by the node that
 * recorded them (after its insert committed), heard by every node, itself included (harmless:
 * a session already known is told once). Publishing never fails a revocation: with Redis down,
 * the other nodes learn it at their next poll.
 */
function revocationNews(cluster: ClusterRedis, heard: (sessionIds: string[]) => Promise<void>) {
  const channel = `${cluster.prefix}revoked-sessions`;
  const { commands, subscriber } = cluster.link;
  const onMessage = (from: string, message: string) => {
    if (from !== channel) return;
    let sessionIds: string[];
    try {
      const parsed = JSON.parse(message) as { sessions?: unknown };
      if (!Array.isArray(parsed.sessions)) throw new Error('no sessions');
      sessionIds = parsed.sessions.filter((id): id is string => typeof id === 'string');
    } catch (error) {
      cluster.log.warn('ignored a malformed revocation message', {
        error: (error as Error).message,
      });
      return;
    }
    if (sessionIds.length === 0) return;
    heard(sessionIds).catch((error: unknown) => {
      // The next poll finds it in the database.
      cluster.log.warn('could not read a revocation heard from redis', { error: String(error) });
    });
  };
  let listening = false;
  const subscribe = () => {
    subscriber.subscribe(channel).catch((error: unknown) => {
      cluster.log.warn('could not subscribe to revocations; polling only until redis answers', {
        error: String(error),
      });
    });
  };
  return {
    publish(sessionIds: readonly string[]) {
      commands.publish(channel, JSON.stringify({ sessions: sessionIds })).catch(() => {
        // Redis down: the RedisLink has warned once; the other nodes poll.
      });
    },
    listen() {
      if (listening) return;
      listening = true;
      subscriber.on('message', onMessage);
      subscribe();
      // ioredis resubscribes what it had subscribed after a reconnection, but not a channel
      // whose first SUBSCRIBE failed (Redis down at start): ask again on every connection.
      subscriber.on('ready', subscribe);
    },
    async stop() {
      if (!listening) return;
      listening = false;
      subscriber.off('message', onMessage);
      subscriber.off('ready', subscribe);
      await subscriber.unsubscribe(channel).catch(() => undefined);
    },
  };
}
