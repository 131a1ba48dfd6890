import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import { createJobQueueReader, JOB_QUEUES, type JobQueueFigures } from './job-queues.js';

/** What a cluster node's bus and relay count of the messages between nodes. */
export interface ClusterFigures {
  published: number;
  received: number;
  gaps: number;
  catchUps: number;
}

/** What the relay reports of itself (`Relay.stats()`), read at each scrape. */
export interface RelayFigures {
  connections: number;
  rooms: number;
  docCacheBytes: number;
  docCacheEvictions: number;
  uncommittedBytes: number;
  uncommittedUpdates: number;
  slowConsumers: number;
  rateLimitedSockets: number;
}

export interface ServerMetricsDeps {
  db: Database;
  clock: () => Date;
  log: Logger;
  /** Read at each scrape; null until the relay exists. */
  relay: () => RelayFigures | null;
  /** A cluster node's Redis (pinged at each scrape) and the node's name; absent: no Redis. */
  redis?: { nodeId: string; ping(timeoutMs: number): Promise<void> } | null;
  /** The cluster bus's totals (read at each scrape); null on a single process. */
  cluster?: () => ClusterFigures | null;
}

/** The route label of websocket upgrades (`/sync/{room}`), refused ones included. */
export const SYNC_ROUTE = '/sync/:room';

/** Seconds buckets of database commits and fan-outs: 0.5 ms to 5 s. */
const FAST_SECONDS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** Seconds buckets of REST requests: 1 ms to 10 s. */
const REQUEST_SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Seconds buckets of calendar syncs: 50 ms to 3 minutes (the worker's deadline). */
const SYNC_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 180];
const BATCH_UPDATES = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000];

/**
 * The server's Prometheus metrics, on a registry of their own (never prom-client's global one:
 * several servers may run in one process, as in the tests). Counters and histograms are fed by
 * the instrumented seams (doc store, fan-out, HTTP middleware, calendar worker, reminder
 * channels); gauges are read when scraped: the relay's figures, and the job queues (one SQL
 * query per queue).
 */
export function createServerMetrics(deps: ServerMetricsDeps) {
  const registry = new Registry();
  const registers = [registry];
  // Process memory, CPU, event-loop delay (tasks_nodejs_eventloop_lag_*), heap, handles.
  collectDefaultMetrics({ register: registry, prefix: 'tasks_' });

  /** The relay's figures: gauges, and totals it keeps itself reported as counters. */
  const relayFiguresTable: [string, string, 'gauge' | 'counter', keyof RelayFigures][] = [
    ['tasks_websocket_connections', 'Open websocket connections', 'gauge', 'connections'],
    ['tasks_rooms', 'Documents (rooms) the relay holds', 'gauge', 'rooms'],
    [
      'tasks_uncommitted_bytes',
      'Bytes of updates received and not yet committed (the uncommitted queue)',
      'gauge',
      'uncommittedBytes',
    ],
    [
      'tasks_uncommitted_updates',
      'Updates waiting for their group commit',
      'gauge',
      'uncommittedUpdates',
    ],
    [
      'tasks_doc_cache_bytes',
      'Estimated bytes of documents loaded for REST and the calendar bridge',
      'gauge',
      'docCacheBytes',
    ],
    [
      'tasks_doc_cache_evictions_total',
      'Documents evicted from the cache to stay in its budget',
      'counter',
      'docCacheEvictions',
    ],
    [
      'tasks_slow_consumers_total',
      'Connections cut because they did not read what was sent to them',
      'counter',
      'slowConsumers',
    ],
    [
      'tasks_websocket_rate_limited_total',
      'Websocket connections closed for sending more messages than their rate allows (4429)',
      'counter',
      'rateLimitedSockets',
    ],
  ];
  for (const [name, help, type, field] of relayFiguresTable) {
    if (type === 'gauge') {
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const figures = deps.relay();
          if (figures) this.set(figures[field]);
        },
      });
    } else {
      new Counter({
        name,
        help,
        registers,
        collect() {
          const figures = deps.relay();
          if (!figures) return;
          this.reset();
          this.inc(figures[field]);
        },
      });
    }
  }

  const jobQueues = createJobQueueReader(deps.db, deps.clock);
  const readQueues = async () => {
    try {
      return await jobQueues.read();
    } catch (error) {
      deps.log.warn('could not read the job queues for metrics', {
        error: (error as Error).message,
      });
      return null;
    }
  };
  const queueGauge = (name: string, help: string, field: keyof JobQueueFigures) =>
    new Gauge({
      name,
      help,
      labelNames: ['queue'],
      registers,
      async collect() {
        const figures = await readQueues();
        this.reset();
        if (!figures) return;
        for (const queue of JOB_QUEUES) this.set({ queue }, figures.queues[queue][field]);
      },
    });
  queueGauge('tasks_job_queue_depth', 'Jobs due and not yet done, per queue', 'depth');
  queueGauge(
    'tasks_job_queue_oldest_age_seconds',
    'How long the oldest due job of each queue has waited (0 when none)',
    'oldestAgeSeconds',
  );
  new Gauge({
    name: 'tasks_calendar_connections_failing',
    help: 'Calendar connections whose last sync failed for good (the user must reconnect)',
    registers,
    async collect() {
      const figures = await readQueues();
      this.reset();
      if (figures) this.set(figures.failingCalendarConnections);
    },
  });

  new Gauge({
    name: 'tasks_redis_connected',
    help: "1 while the cluster's Redis answers this node's PING within 1 s, else 0 (no sample without REDIS_URL)",
    labelNames: ['node'],
    registers,
    async collect() {
      this.reset();
      const redis = deps.redis;
      if (!redis) return;
      const answers = await redis.ping(1000).then(
        () => 1,
        () => 0,
      );
      this.set({ node: redis.nodeId }, answers);
    },
  });

  const clusterTable: [string, string, keyof ClusterFigures][] = [
    [
      'tasks_cluster_messages_published_total',
      'Committed updates and heartbeats this node published to the other nodes',
      'published',
    ],
    [
      'tasks_cluster_messages_received_total',
      'Messages of other nodes this node received',
      'received',
    ],
    [
      'tasks_cluster_gaps_total',
      'Times this node found it may have missed other nodes’ messages (Redis lost, a node silent)',
      'gaps',
    ],
    [
      'tasks_cluster_catch_ups_total',
      'Catch-ups from the database that followed a gap (every served document read again)',
      'catchUps',
    ],
  ];
  for (const [name, help, field] of clusterTable) {
    new Counter({
      name,
      help,
      registers,
      collect() {
        const figures = deps.cluster?.();
        this.reset();
        if (figures) this.inc(figures[field]);
      },
    });
  }

  return {
    registry,
    jobQueues,
    updatesReceived: new Counter({
      name: 'tasks_updates_received_total',
      help: 'Document updates received from devices over websockets',
      registers,
    }),
    updatesRelayed: new Counter({
      name: 'tasks_updates_relayed_total',
      help: 'Committed updates sent to other devices (one per receiving socket)',
      registers,
    }),
    updatesCommitted: new Counter({
      name: 'tasks_updates_committed_total',
      help: 'Updates committed to the update log',
      registers,
    }),
    commitFailures: new Counter({
      name: 'tasks_commit_failures_total',
      help: 'Group commits that failed (every update in them was refused)',
      registers,
    }),
    commitDuration: new Histogram({
      name: 'tasks_commit_duration_seconds',
      help: "Duration of one group commit's database transaction",
      buckets: FAST_SECONDS,
      registers,
    }),
    commitBatchUpdates: new Histogram({
      name: 'tasks_commit_batch_updates',
      help: 'Updates written by one group commit',
      buckets: BATCH_UPDATES,
      registers,
    }),
    fanOutDuration: new Histogram({
      name: 'tasks_fanout_duration_seconds',
      help: "Time to hand one committed update to its room's other sockets",
      buckets: FAST_SECONDS,
      registers,
    }),
    httpRequests: new Counter({
      name: 'tasks_http_requests_total',
      help: 'REST and page requests by route pattern, method and status',
      labelNames: ['route', 'method', 'status'],
      registers,
    }),
    httpDuration: new Histogram({
      name: 'tasks_http_request_duration_seconds',
      help: 'Duration of REST and page requests by route pattern and method',
      labelNames: ['route', 'method'],
      buckets: REQUEST_SECONDS,
      registers,
    }),
    authFailures: new Counter({
      name: 'tasks_auth_failures_total',
      help: 'Requests and websocket upgrades refused for want of valid credentials (401), by route pattern',
      labelNames: ['route'],
      registers,
    }),
    rateLimitRejections: new Counter({
      name: 'tasks_rate_limit_rejections_total',
      help: 'Requests refused by a rate limit (429), by route pattern',
      labelNames: ['route'],
      registers,
    }),
    calendarSyncs: new Counter({
      name: 'tasks_calendar_syncs_total',
      help: 'Calendar syncs run, by provider and outcome (success or failure)',
      labelNames: ['provider', 'outcome'],
      registers,
    }),
    calendarSyncDuration: new Histogram({
      name: 'tasks_calendar_sync_duration_seconds',
      help: 'Duration of calendar syncs, by provider and outcome',
      labelNames: ['provider', 'outcome'],
      buckets: SYNC_SECONDS,
      registers,
    }),
    remindersSent: new Counter({
      name: 'tasks_reminders_sent_total',
      help: 'Reminders delivered or handed to a channel (in-app, email, push), by channel and outcome',
      labelNames: ['channel', 'outcome'],
      registers,
    }),
  };
}

export type ServerMetrics = ReturnType<typeof createServerMetrics>;
