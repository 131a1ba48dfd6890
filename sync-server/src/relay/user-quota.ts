import {
  type ClusterRedis,
  createRedisGuard,
  luaScript,
  type RedisGuard,
} from '../cluster/redis-guard.js';
import type { DocStore } from '../persistence/doc-store.js';

interface Usage {
  bytes: Promise<{ bytes: number }>;
  /** The same object once read (for synchronous checks). */
  resolved: { bytes: number } | null;
  /** Connections and writes using it: the entry is forgotten when none are left. */
  holders: number;
  /** On a cluster node: the object above, kept in step with the shared counter. */
  shared: SharedBytes | null;
}

/**
 * Bytes each user stores, read once and kept while the user has connections or writes in
 * flight, then forgotten (so the map is as large as the set of active users, not of every user
 * seen since start).
 *
 * On a cluster node (`share`), the count is a Redis counter every node adds its writes to, so
 * that a user writing through two nodes is held to one quota (see `SharedBytes` for the bound).
 */
export class UserQuota {
  private readonly usage = new Map<string, Usage>();
  private cluster: SharedCounters | null = null;

  constructor(
    private readonly store: DocStore,
    readonly limitBytes: number,
  ) {}

  /**
   * Counts users' bytes in the cluster's Redis from now on (call before any `hold`). Without
   * it, this process counts alone, as one server needs.
   */
  share(cluster: ClusterRedis): void {
    this.cluster = new SharedCounters(cluster, this.store);
  }

  /**
   * Holds the user's entry (read from the store the first time); pair with `release`. On a
   * cluster node every hold also re-reads the shared counter: what it resolves to includes the
   * other nodes' writes counted so far.
   */
  hold(userId: string): Promise<{ bytes: number }> {
    let usage = this.usage.get(userId);
    if (usage?.shared && usage.resolved) {
      usage.holders += 1;
      const shared = usage.shared;
      return shared.refresh().then(() => shared);
    }
    if (!usage) {
      const shared = this.cluster ? new SharedBytes(userId, this.cluster) : null;
      const bytes = shared
        ? shared.refresh().then(() => shared)
        : this.store.userSize(userId).then((total) => ({ bytes: total }));
      usage = { bytes, holders: 0, resolved: null, shared };
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
    if (this.cluster) {
      // The counter is every node's: it is set from the store, held here or not.
      void this.cluster.reset(userId, usage?.shared ?? null).catch(() => undefined);
      return;
    }
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

/** How long a user's counter outlives its last use; then it is read from the store again. */
const COUNTER_TTL_MS = 10 * 60_000;
/** Users remembered as needing their counter set from the store (about 100 bytes each). */
const MAX_UNSYNCED = 100_000;

/** The counter, or nil when there is none (never set, expired, Redis restarted). */
const READ = luaScript(`
local value = redis.call('GET', KEYS[1])
if value then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return value
`);

/** Adds to the counter if it exists; nil when it does not (it is then set from the store). */
const ADD = luaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return nil end
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return value
`);

/** Sets the counter: ARGV[3] 'NX' keeps one another node set first, 'XX' sets only one that exists. */
const SET = luaScript(`
if ARGV[3] == 'NX' or ARGV[3] == 'XX' then
  redis.call('SET', KEYS[1], ARGV[1], ARGV[3], 'PX', ARGV[2])
else
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
end
return redis.call('GET', KEYS[1])
`);

/** The cluster's counters: one Redis key per user, set from the store when missing. */
class SharedCounters {
  readonly guard: RedisGuard;
  /**
   * Users whose counter missed an addition of this node (Redis down or slow): their next read
   * sets it from the store instead. Kept past the entry's release, emptied as they are set, and
   * bounded: past MAX_UNSYNCED the oldest is forgotten (its counter is then set right at the
   * next compaction of its documents, or once it lapses unused).
   */
  private readonly unsyncedUsers = new Set<string>();
  readonly unsynced = {
    has: (userId: string) => this.unsyncedUsers.has(userId),
    delete: (userId: string) => this.unsyncedUsers.delete(userId),
    add: (userId: string) => {
      this.unsyncedUsers.delete(userId);
      if (this.unsyncedUsers.size >= MAX_UNSYNCED) {
        const oldest = this.unsyncedUsers.values().next();
        if (!oldest.done) this.unsyncedUsers.delete(oldest.value);
      }
      this.unsyncedUsers.add(userId);
    },
  };

  constructor(
    readonly cluster: ClusterRedis,
    readonly store: DocStore,
  ) {
    this.guard = createRedisGuard(cluster, { what: 'storage quotas' });
  }

  key(userId: string): string {
    return `${this.cluster.prefix}quota:${userId}`;
  }

  /** Sets a user's counter from the store now (after compaction), and the held entry with it. */
  async reset(userId: string, held: SharedBytes | null): Promise<void> {
    if (held) {
      await held.refresh({ fromStore: true });
      return;
    }
    const total = await this.store.userSize(userId);
    // Not held here: whoever holds it reads it next (no held node: it is set at the next hold).
    const answer = await this.guard.run((redis) =>
      SET(redis, [this.key(userId)], [total, COUNTER_TTL_MS, 'XX']),
    );
    if (!answer) this.unsynced.add(userId);
  }
}

/**
 * A user's bytes on a cluster node: the `{ bytes }` the relay reads and adds to, backed by the
 * user's Redis counter. Reading gives the counter as last read plus this node's additions
 * since that read was sent; adding sends the difference to the counter (INCRBY, atomic), so
 * every node's writes land in the one count.
 *
 * The bound: a node checks a write against the counter read just before (every `hold` reads
 * it), plus its own additions since. What it cannot see are the other nodes' writes between
 * their own check and their addition reaching Redis: a device's writes are checked one after
 * the other, so with one device per node the nodes together pass the quota by at most one
 * write each (the same slack two devices of one user have on one node). While Redis is down,
 * each node counts alone from its last read; the counter is set again from the store once
 * Redis answers, and after every compaction.
 */
class SharedBytes {
  /** The counter as last read. */
  private base = 0;
  /** This node's additions since that read was sent (not in `base`). */
  private pending = 0;
  /** Bumped by every addition Redis missed: a read sent before it is stale. */
  private epoch = 0;
  private reading: Promise<void> | null = null;

  constructor(
    private readonly userId: string,
    private readonly counters: SharedCounters,
  ) {}

  get bytes(): number {
    return this.base + this.pending;
  }

  set bytes(value: number) {
    const delta = value - this.bytes;
    if (delta === 0) return;
    this.pending += delta;
    const { guard } = this.counters;
    const key = this.counters.key(this.userId);
    void guard
      .run((redis) => ADD(redis, [key], [delta, COUNTER_TTL_MS]))
      .then((answer) => {
        if (answer && answer.value !== null) return;
        // Not counted there (Redis down, or the counter gone): set it from the store next time.
        this.epoch += 1;
        this.counters.unsynced.add(this.userId);
      });
  }

  /**
   * Reads the counter (one read at a time; a caller during one shares it). A missing counter,
   * or one this node failed to add to, is set from the store. Never fails once read: with
   * Redis down the last figure stands, plus this node's additions. The first read falls back
   * to the store alone, and fails only when the store does.
   */
  refresh(options: { fromStore?: boolean } = {}): Promise<void> {
    const run = () =>
      this.read(options.fromStore ?? false).catch((error: unknown) => {
        if (!this.isRead) throw error;
      });
    if (options.fromStore) return run();
    this.reading ??= run().finally(() => {
      this.reading = null;
    });
    return this.reading;
  }

  private async read(fromStore: boolean): Promise<void> {
    const epoch = this.epoch;
    const mustSet = fromStore || this.counters.unsynced.has(this.userId);
    if (!mustSet) {
      const sent = this.pending;
      const key = this.counters.key(this.userId);
      const answer = await this.counters.guard.run((redis) => READ(redis, [key], [COUNTER_TTL_MS]));
      // Redis down: the figure this node has stands (until it answers again).
      if (!answer && this.isRead) return;
      if (answer && answer.value !== null) {
        this.adopt(Number(answer.value), sent, epoch);
        return;
      }
    }
    await this.setFromStore(mustSet ? 'SET' : 'NX');
  }

  /**
   * The store's figure into the counter (NX: unless another node set it first), plus this
   * node's additions made while the store was read: their INCRBYs reached Redis before this SET,
   * which overwrites them. Writes in flight on other nodes are not in the store yet and are
   * lost from the count: the slack of one reset, not one that adds up.
   */
  private async setFromStore(mode: 'SET' | 'NX'): Promise<void> {
    const { guard, store, unsynced } = this.counters;
    const before = this.pending;
    const total = await store.userSize(this.userId);
    const figure = total + (this.pending - before);
    const sent = this.pending;
    const key = this.counters.key(this.userId);
    const answer = await guard.run((redis) => SET(redis, [key], [figure, COUNTER_TTL_MS, mode]));
    if (answer && answer.value !== null) {
      unsynced.delete(this.userId);
      this.adopt(Number(answer.value), sent, this.epoch);
      return;
    }
    // Redis down: the store's figure, counted on this node alone until Redis answers.
    unsynced.add(this.userId);
    this.adopt(figure, sent, this.epoch);
  }

  /** A counter value read when this node's additions stood at `sent`. */
  private adopt(value: number, sent: number, epoch: number): void {
    // An addition Redis missed after the read was sent: the value lacks it (the next read
    // sets the counter from the store), unless there is no figure yet at all.
    if (this.epoch !== epoch && this.isRead) return;
    this.base = value;
    this.pending -= sent;
    this.isRead = true;
  }

  private isRead = false;
}
