import { eventBecomesTask, getSettings, getTimezone } from '@tasks/crdt';
import { v7 as uuidv7 } from 'uuid';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { DocumentChange } from '../relay/relay.js';
import type { DocumentAccess } from '../rest/document-access.js';
import {
  type BuiltProvider,
  createProviderFactory,
  type ProviderFactory,
} from './calendar-providers.js';
import { createCalendarRoutes } from './calendar-routes.js';
import { createCalendarWebhooks } from './calendar-webhooks.js';
import type { CalendarServices } from './connection-services.js';
import type { CalendarConnection, ProviderName } from './connection-store.js';
import {
  createPushChannelStore,
  newChannelSecret,
  type PushChannelStore,
} from './push-channels.js';
import { ConnectionRemovedError, type RunSyncOptions, runSync } from './sync-engine.js';
import type { SyncJob } from './sync-jobs.js';
import { createSyncWorker, type SyncWorker } from './sync-jobs-worker.js';

/**
 * The calendar bridge as the server runs it: the sync worker (jobs from Postgres), and what
 * queues those jobs — a change to a user's document (debounced), a provider's push
 * notification, the polling schedule of the spec (Google and Microsoft every 15 minutes, CalDAV
 * every 30), and the user's "sync now". The bridge's own writes to the document carry
 * BRIDGE_ORIGIN, so they do not queue another sync.
 */
export const BRIDGE_ORIGIN = Symbol('calendar-bridge');

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

export const POLL_INTERVAL_MS: Record<ProviderName, number> = {
  GOOGLE: 15 * MINUTE,
  MICROSOFT: 15 * MINUTE,
  ICAL: 30 * MINUTE,
};

export interface CalendarBridgeDeps {
  services: CalendarServices;
  db: Database;
  access: DocumentAccess;
  /** The relay's change feed (`Relay.onDocumentChange`). */
  changes: (listener: (change: DocumentChange) => void) => () => void;
  log: Logger;
  clock: () => Date;
  /** Default: adapters built from the config and the connection store. */
  providerFactory?: ProviderFactory;
  /** A document change queues a sync this long after it (default 5 s). */
  changeDelayMs?: number;
  /** How long a user's syncable connections are remembered between changes (default 30 s). */
  connectionCacheMs?: number;
  /**
   * One of several nodes (REDIS_URL): a calendar connected on another node is unknown to this
   * one's cache of the user's connections until it ends, so a connection made here is synced
   * again once every node's cache has ended (what they saw meanwhile, they did not queue).
   */
  clustered?: boolean;
  pollIntervalMs?: Record<ProviderName, number>;
  /** How often connections without a waiting job get their next poll (default 1 minute). */
  scheduleIntervalMs?: number;
  /** The worker's idle poll of the queue (default 1 s). */
  workerPollMs?: number;
  /** Options of every sync (tests narrow the window or set a task criterion). */
  syncOptions?: RunSyncOptions;
  /** false: `start` runs no worker, scheduler or change feed (tests that drive the queue). */
  runJobs?: boolean;
  /** Told how each sync of a connection ended and how long it took (the metrics). */
  onSyncFinished?: (run: {
    provider: ProviderName;
    outcome: 'success' | 'failure';
    durationMs: number;
  }) => void;
}

export interface CalendarBridge {
  /** The authenticated /api/v1/calendar routes. */
  routes: ReturnType<typeof createCalendarRoutes>;
  /** The public webhooks providers push to (/api/v1/webhooks/calendar). */
  webhooks: ReturnType<typeof createCalendarWebhooks>;
  worker: SyncWorker;
  channels: PushChannelStore;
  start(): void;
  /** Stops queuing and lets running syncs finish (bounded); call before closing the relay. */
  stop(): Promise<void>;
  /** Gives every connection without a waiting job its next poll; returns how many it queued. */
  schedulePolls(): Promise<number>;
}

/** Google keeps an events channel a week at most; Graph an event subscription 4,230 minutes. */
const CHANNEL_LIFETIME_MS: Record<'GOOGLE' | 'MICROSOFT', number> = {
  GOOGLE: 7 * DAY,
  MICROSOFT: 4200 * MINUTE,
};
/** A channel this close to its end is replaced at the next sync. */
const CHANNEL_RENEW_MS = 12 * 60 * MINUTE;
/** Connections one scheduling round looks at. */
const SCHEDULE_BATCH = 500;

export function createCalendarBridge(deps: CalendarBridgeDeps): CalendarBridge {
  const { services, db, log, clock } = deps;
  const { connections, jobs, config } = services;
  const changeDelayMs = deps.changeDelayMs ?? 5000;
  const connectionCacheMs = deps.connectionCacheMs ?? 30_000;
  const pollIntervalMs = deps.pollIntervalMs ?? POLL_INTERVAL_MS;
  const scheduleIntervalMs = deps.scheduleIntervalMs ?? MINUTE;
  const channels = createPushChannelStore(db);
  const windowOf = () => {
    const now = clock().getTime();
    return { start: new Date(now - 30 * DAY), end: new Date(now + 180 * DAY) };
  };
  const factory =
    deps.providerFactory ?? createProviderFactory({ config, connections, log, window: windowOf });
  /** The bridge's writes carry its origin, so they do not queue another sync. */
  const access: DocumentAccess = {
    use: (userId, months, fn, options) =>
      deps.access.use(userId, months, fn, { origin: BRIDGE_ORIGIN, ...options }),
    listMonths: (userId) => deps.access.listMonths(userId),
    monthVersions: (userId) => deps.access.monthVersions(userId),
  };

  async function queue(connectionId: string, delayMs = 0): Promise<void> {
    await jobs.enqueue(connectionId, { delayMs });
    if (delayMs === 0) worker.wake();
  }

  /** Graph subscriptions being created now (see the webhook's validation handshake). */
  let subscribing = 0;

  async function ensurePushChannel(connection: CalendarConnection, built: BuiltProvider) {
    if (config.publicUrl === null || built.kind === 'ICAL') return;
    const now = clock().getTime();
    const current = await channels.forConnection(connection.id);
    if (current && current.expiresAt.getTime() - now > CHANNEL_RENEW_MS) return;
    const secret = newChannelSecret();
    const expiresAt = new Date(now + CHANNEL_LIFETIME_MS[built.kind]);
    if (built.kind === 'GOOGLE') {
      const channel = await built.provider.watch({
        channelId: uuidv7(),
        address: `${config.publicUrl}/api/v1/webhooks/calendar/google`,
        token: secret,
        expiresAt,
      });
      await channels.save({ connectionId: connection.id, ...channel }, secret);
      if (current?.resourceId) {
        await built.provider
          .stopWatch({ channelId: current.channelId, resourceId: current.resourceId })
          .catch((error: unknown) =>
            log.warn('could not stop an old Google channel', { error: String(error) }),
          );
      }
    } else {
      // Graph validates the URL while this call runs: the webhook echoes its token only then.
      subscribing += 1;
      const subscription = await built.provider
        .subscribe({
          notificationUrl: `${config.publicUrl}/api/v1/webhooks/calendar/microsoft`,
          clientState: secret,
          expiresAt,
        })
        .finally(() => {
          subscribing -= 1;
        });
      await channels.save(
        {
          connectionId: connection.id,
          channelId: subscription.id,
          resourceId: null,
          expiresAt: new Date(subscription.expirationDateTime),
        },
        secret,
      );
      if (current) {
        await built.provider
          .unsubscribe(current.channelId)
          .catch((error: unknown) =>
            log.warn('could not end an old Graph subscription', { error: String(error) }),
          );
      }
    }
    log.info('calendar push channel opened', { connectionId: connection.id, provider: built.kind });
  }

  async function run(job: SyncJob, signal: AbortSignal): Promise<void> {
    const connection = await connections.find(job.connectionId);
    // Disconnected since the job was queued, or paused: nothing to do.
    if (!connection?.syncEnabled) return;
    const started = performance.now();
    const finished = (outcome: 'success' | 'failure') =>
      deps.onSyncFinished?.({
        provider: connection.provider,
        outcome,
        durationMs: performance.now() - started,
      });
    try {
      await syncConnection(connection, signal);
    } catch (error) {
      if (error instanceof ConnectionRemovedError) {
        // The user disconnected it meanwhile; what this run wrote was taken back.
        log.info('calendar sync ended by a disconnect', { connectionId: connection.id });
        return;
      }
      finished('failure');
      throw error;
    }
    finished('success');
  }

  async function syncConnection(connection: CalendarConnection, signal: AbortSignal) {
    const settings = await access.use(connection.userId, [], (docs) => getSettings(docs));
    const built = await factory(connection, { timezone: settings.timezone, signal });
    await runSync({
      signal,
      connectionId: connection.id,
      provider: built.provider,
      userId: connection.userId,
      db,
      access,
      clock,
      options: {
        // Rule 4, as the user set it.
        eventToTaskCriterion: (event) => eventBecomesTask(settings, event),
        ...deps.syncOptions,
      },
    });
    try {
      await ensurePushChannel(connection, built);
    } catch (error) {
      // Push is an optimisation: polling goes on without it.
      log.warn('could not open a calendar push channel', {
        connectionId: connection.id,
        error: error instanceof Error ? error.message : String(error),
      });
    }
    await jobs.enqueue(connection.id, { delayMs: pollIntervalMs[connection.provider] });
  }

  const worker = createSyncWorker({
    queue: jobs,
    connections,
    run,
    log,
    clock,
    concurrency: config.syncConcurrency,
    deadlineMs: config.syncDeadlineMs,
    ...(deps.workerPollMs === undefined ? {} : { pollIntervalMs: deps.workerPollMs }),
  });

  /** Users' syncable connections, briefly cached: most document changes are by users with none. */
  const connectionCache = new Map<string, { ids: string[]; until: number }>();
  /** Lookups in flight; one that a change of the user's connections overtook is not cached. */
  const lookups = new Map<string, { overtaken: boolean }>();
  async function syncableConnections(userId: string): Promise<string[]> {
    const now = clock().getTime();
    const cached = connectionCache.get(userId);
    if (cached && cached.until > now) return cached.ids;
    const lookup = { overtaken: false };
    lookups.set(userId, lookup);
    try {
      const rows = await db.query<{ id: string }>(
        `select id from calendar_connections
         where user_id = $1 and sync_enabled and sync_status <> 'FAILED'`,
        [userId],
      );
      const ids = rows.map((row) => row.id);
      if (!lookup.overtaken) connectionCache.set(userId, { ids, until: now + connectionCacheMs });
      return ids;
    } finally {
      if (lookups.get(userId) === lookup) lookups.delete(userId);
    }
  }

  /** Follow-up syncs of connections made on this node (`clustered`), until they run. */
  const followUps = new Set<NodeJS.Timeout>();
  /** `syncable`: the connection that can sync now (connected, reconnected or resumed). */
  function connectionsChanged(userId: string, syncable: string | null): void {
    connectionCache.delete(userId);
    const lookup = lookups.get(userId);
    if (lookup) lookup.overtaken = true;
    if (!deps.clustered || syncable === null) return;
    const timer = setTimeout(() => {
      followUps.delete(timer);
      queue(syncable).catch((error: unknown) =>
        log.warn('could not queue the follow-up sync of a new connection', {
          connectionId: syncable,
          error: String(error),
        }),
      );
    }, connectionCacheMs + changeDelayMs);
    timer.unref();
    followUps.add(timer);
  }

  /**
   * Per user, until when the syncs a change queued wait to start: changes before then ride on
   * them (those syncs will read the document after them). A change's job may have been merged
   * into one already due (the first sync of a new connection, a "sync now"): then nothing
   * rides, since that sync may already have read the document. Only a queued job counts: a user
   * without connections queues nothing.
   */
  const ridingUntil = new Map<string, number>();
  const queuing = new Set<string>();
  function onDocumentChange(change: DocumentChange): void {
    // Month documents hold time entries: nothing a calendar shows.
    if (change.room !== change.ownerId || change.origin === BRIDGE_ORIGIN) return;
    const userId = change.ownerId;
    const now = clock().getTime();
    if (queuing.has(userId)) return;
    const until = ridingUntil.get(userId);
    if (until !== undefined) {
      if (now < until) return;
      ridingUntil.delete(userId);
    }
    queuing.add(userId);
    void (async () => {
      const ids = await syncableConnections(userId);
      let start = Number.POSITIVE_INFINITY;
      for (const id of ids) {
        const job = await jobs.enqueue(id, { delayMs: changeDelayMs });
        start = Math.min(start, job.runAfter.getTime());
      }
      if (ids.length > 0) ridingUntil.set(userId, start);
    })()
      .catch((error: unknown) => {
        log.warn('could not queue a calendar sync after a change', {
          userId,
          error: String(error),
        });
      })
      .finally(() => queuing.delete(userId));
  }

  async function schedulePolls(): Promise<number> {
    const rows = await db.query<{
      id: string;
      provider: ProviderName;
      last_sync_at: Date | string | null;
    }>(
      `select c.id, c.provider, c.last_sync_at from calendar_connections c
       where c.sync_enabled and c.sync_status <> 'FAILED'
         and not exists (select 1 from sync_jobs j
                         where j.connection_id = c.id and j.state in ('queued', 'running'))
       order by c.id limit ${SCHEDULE_BATCH}`,
    );
    const now = clock().getTime();
    for (const row of rows) {
      const last = row.last_sync_at === null ? null : new Date(row.last_sync_at).getTime();
      const due = last === null ? now : last + pollIntervalMs[row.provider];
      await jobs.enqueue(row.id, { delayMs: Math.max(0, due - now) });
    }
    return rows.length;
  }

  /** Stops the provider's pushes to us; a failure only means they stop when the channel ends. */
  async function closePushChannel(connection: CalendarConnection): Promise<void> {
    const current = await channels.forConnection(connection.id);
    if (!current) return;
    try {
      const timezone = await access.use(connection.userId, [], (docs) => getTimezone(docs));
      const built = await factory(connection, { timezone });
      if (built.kind === 'GOOGLE' && current.resourceId) {
        await built.provider.stopWatch({
          channelId: current.channelId,
          resourceId: current.resourceId,
        });
      } else if (built.kind === 'MICROSOFT') {
        await built.provider.unsubscribe(current.channelId);
      }
    } catch (error) {
      log.warn('could not close a push channel on disconnect', {
        connectionId: connection.id,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }

  const routes = createCalendarRoutes({
    access: deps.access,
    connections,
    oauth: services.oauth,
    providers: { google: config.google, microsoft: config.microsoft },
    caldavPrivateNetworks: config.caldavPrivateNetworks,
    caldavPorts: config.caldavPorts,
    jobs,
    clock,
    log,
    wakeWorker: () => worker.wake(),
    onConnectionsChanged: connectionsChanged,
    beforeDisconnect: closePushChannel,
  });
  const webhooks = createCalendarWebhooks({
    channels,
    subscribing: () => subscribing > 0,
    // Notifications come in bursts (one per changed event): a short delay gathers them.
    onPush: (connectionId) => queue(connectionId, 2000),
    log,
  });

  let unsubscribe: (() => void) | null = null;
  let scheduler: NodeJS.Timeout | null = null;
  const scheduleNow = () => {
    schedulePolls().catch((error: unknown) =>
      log.warn('could not schedule calendar polls', { error: String(error) }),
    );
  };

  return {
    routes,
    webhooks,
    worker,
    channels,
    start() {
      if (unsubscribe || deps.runJobs === false) return;
      unsubscribe = deps.changes(onDocumentChange);
      worker.start();
      scheduleNow();
      scheduler = setInterval(scheduleNow, scheduleIntervalMs);
      scheduler.unref();
    },
    async stop() {
      unsubscribe?.();
      unsubscribe = null;
      if (scheduler) clearInterval(scheduler);
      scheduler = null;
      for (const timer of followUps) clearTimeout(timer);
      followUps.clear();
      await worker.stop();
    },
    schedulePolls,
  };
}
