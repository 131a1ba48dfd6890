import type { AddressInfo } from 'node:net';
import { type ServerType, serve } from '@hono/node-server';
import { WebSocketServer } from 'ws';
import { createApp } from './app.js';
import { guardAccessTokens } from './auth/account-sessions.js';
import { loadAuthSecret } from './auth/auth-secret.js';
import { createSessionPruner } from './auth/session-prune.js';
import { createDatabaseRevocations } from './auth/session-revocation.js';
import { createTokenService } from './auth/token-service.js';
import {
  type CalendarBridge,
  type CalendarBridgeDeps,
  createCalendarBridge,
} from './calendar/calendar-bridge.js';
import { createCalendarServices } from './calendar/connection-services.js';
import { ClusterBus } from './cluster/cluster-bus.js';
import { openRedisLink, type RedisLink } from './cluster/redis-link.js';
import { createSharedRateLimits } from './cluster/shared-rate-limits.js';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import { createTaskHistory } from './history/task-history.js';
import type { Logger } from './logger.js';
import { countReminders, recordCalendarSync } from './metrics/instrument-jobs.js';
import {
  countReceivedUpdates,
  instrumentDocStore,
  instrumentFanOut,
  relayFigures,
} from './metrics/instrument-relay.js';
import { serveMetricsListener } from './metrics/metrics-listener.js';
import { recordRecentErrors } from './metrics/recent-errors.js';
import { createServerMetrics, type ServerMetrics, SYNC_ROUTE } from './metrics/server-metrics.js';
import { createSystemRoutes } from './metrics/system-routes.js';
import { createBatchedPushSubscriptions } from './notifications/batched-push-subscriptions.js';
import { createDelivery } from './notifications/delivery-threads.js';
import { createEmailChannel } from './notifications/email-channel.js';
import {
  createEmailScheduler,
  type EmailScheduler,
  type EmailSchedulerOptions,
} from './notifications/email-scheduler.js';
import { createPushActionTokens } from './notifications/push-action-tokens.js';
import { createPushChannel, loadVapidKeys } from './notifications/push-channel.js';
import { createPushSubscriptionStore } from './notifications/push-subscriptions.js';
import type { ReminderChannel } from './notifications/reminder-channel.js';
import {
  createReminderScheduler,
  IN_APP_CHANNEL,
  type ReminderScheduler,
  type ReminderSchedulerOptions,
} from './notifications/reminder-scheduler.js';
import { createUnsubscribeLinks } from './notifications/unsubscribe-links.js';
import { traceQueries } from './observability/traced-database.js';
import { createSqlDocStore } from './persistence/sql-doc-store.js';
import { createLocalFanOut } from './relay/fan-out.js';
import { Relay, type RelayOptions } from './relay/relay.js';
import { createDocumentAccess } from './rest/document-access.js';
import { createSessionSockets } from './session-sockets.js';
import { createSyncUpgradeHandler } from './sync-upgrade.js';
import {
  createTrashPurger,
  type TrashPurger,
  type TrashPurgerOptions,
} from './trash/trash-purge.js';

export interface ServerDeps {
  config: Config;
  db: Database;
  log: Logger;
  clock?: () => Date;
  staticDir?: string | null;
  relayOptions?: Partial<RelayOptions>;
  /** Test hooks of the calendar bridge (provider factory, delays). */
  calendarOptions?: Partial<
    Omit<CalendarBridgeDeps, 'services' | 'db' | 'access' | 'changes' | 'log' | 'clock'>
  >;
  /** Test hooks of task history (recordings per user and window). */
  historyOptions?: { windowMs?: number; perWindow?: number };
  /** Test hooks of the trash purge job (poll interval). */
  trashPurgeOptions?: Partial<Omit<TrashPurgerOptions, 'db' | 'access' | 'log' | 'clock'>>;
  /** Test hooks of the reminder scheduler (poll interval, delays). */
  reminderOptions?: Partial<
    Omit<ReminderSchedulerOptions, 'db' | 'access' | 'changes' | 'log' | 'clock'>
  >;
  /** Test hooks of the agenda and calendar-failure emails (poll interval, delays). */
  emailOptions?: Partial<
    Omit<EmailSchedulerOptions, 'db' | 'access' | 'mailer' | 'changes' | 'log' | 'clock'>
  >;
}

export interface RunningServer {
  url: string;
  port: number;
  relay: Relay;
  calendar: CalendarBridge;
  /** The daily job emptying the trash of every document. */
  trash: TrashPurger;
  /** Plans and sends reminders (in the inbox, by email, by Web Push). */
  reminders: ReminderScheduler;
  /** Plans and sends the daily agenda and calendar-failure emails. */
  emails: EmailScheduler;
  /** The Prometheus metrics (served at /metrics per METRICS_TOKEN and METRICS_PORT). */
  metrics: ServerMetrics;
  /** The admin-only metrics listener's base URL (METRICS_PORT), or null. */
  metricsUrl: string | null;
  /** A cluster node's Redis link (REDIS_URL), shared by every piece that uses Redis; or null. */
  redis: RedisLink | null;
  /** The cluster's message bus, or null for a single process. */
  cluster: ClusterBus | null;
  /**
   * Graceful stop: no new connections, sockets closed, pending updates committed. With
   * `drainMs`, /readyz answers 503 that long first while the node still serves, for a load
   * balancer to send no more clients here before its sockets close.
   */
  close(options?: { drainMs?: number }): Promise<void>;
}

/** Builds and starts the whole server on the configured host and port. Dependencies come in. */
export async function startServer(deps: ServerDeps): Promise<RunningServer> {
  const { config } = deps;
  // Every statement in a span (a no-op unless tracing was started).
  const db = traceQueries(deps.db);
  const clock = deps.clock ?? (() => new Date());
  // The last warnings and errors, for the admin's System page.
  const recentErrors = recordRecentErrors(deps.log, clock);
  const log = recentErrors.log;
  let draining = false;
  let relayRef: Relay | null = null;
  const readRelay = () => (relayRef ? relayFigures(relayRef) : null);
  // A cluster node (REDIS_URL): one Redis link for what the nodes share: rate limits, news of
  // revoked sessions, storage quotas, readiness, the fan-out. Without it, one process as ever.
  const redis = config.redisUrl ? openRedisLink(config.redisUrl, log) : null;
  const shared = redis ? { link: redis, prefix: config.redisPrefix, log } : null;
  const metrics = createServerMetrics({
    db,
    clock,
    log,
    relay: readRelay,
    redis: redis && { nodeId: config.nodeId, ping: (timeoutMs) => redis.ping(timeoutMs) },
    cluster: () =>
      cluster && relayRef
        ? {
            published: cluster.published,
            received: cluster.received,
            gaps: cluster.gaps,
            catchUps: relayRef.catchUps,
          }
        : null,
  });
  const secret = await loadAuthSecret({ authSecret: config.authSecret, dataDir: config.dataDir });
  // Revoked sessions live in the database: a revocation holds after a restart and on every
  // server sharing the database, whose sockets of the session close at its next poll.
  const revocations = createDatabaseRevocations({ db, clock, log, cluster: shared });
  // A password change, sign-out everywhere or deleted account ends access tokens at once.
  // The token service answers revocations from memory; the guard's one read per request asks
  // the database for the session's revocation with the account's checks.
  const tokens = guardAccessTokens(
    createTokenService({ secret, clock, revocations: revocations.remembered }),
    db,
    { revocations, clock },
  );
  // Sockets of a revoked session close at once; every socket closes when its token expires.
  const sessionSockets = createSessionSockets({ revocations: tokens.revocations, clock });
  // A node of a cluster: committed updates reach the devices on every node through Redis.
  const cluster = redis
    ? new ClusterBus({ link: redis, prefix: config.redisPrefix, nodeId: config.nodeId, log })
    : null;
  const relay = new Relay({
    store: instrumentDocStore(createSqlDocStore(db), metrics),
    ...(cluster ? { cluster } : {}),
    fanOut: instrumentFanOut(createLocalFanOut(), metrics),
    log,
    options: {
      maxMessagesPerSecond: config.maxMessagesPerSecond,
      docQuotaBytes: config.docQuotaBytes,
      decodeTimeoutMs: config.decodeTimeoutMs,
      commitWindowMs: config.commitWindowMs,
      maxFrameBytes: config.maxFrameBytes,
      docCacheBytes: config.docCacheBytes,
      maxSocketsPerUser: config.maxSocketsPerUser,
      maxSendBufferBytes: config.maxSendBufferBytes,
      maxUncommittedBytes: config.maxUncommittedBytes,
      compactAfterUpdates: config.compactAfterUpdates,
      ...deps.relayOptions,
    },
  });
  relayRef = relay;
  if (shared) relay.quota.share(shared);
  await cluster?.start({
    onRemoteUpdate: (name, ownerId, update) => relay.applyRemote(name, ownerId, update),
    onGap: () => void relay.catchUp(),
  });
  const access = createDocumentAccess({ relay, db, clock });
  const services = await createCalendarServices({
    config: config.calendar,
    db,
    dataDir: config.dataDir,
    clock,
    log,
  });
  const calendar = createCalendarBridge({
    services,
    db,
    access,
    changes: (listener) => relay.onDocumentChange(listener),
    log,
    clock,
    onSyncFinished: (run) => recordCalendarSync(metrics, run),
    clustered: cluster !== null,
    ...deps.calendarOptions,
  });
  const history = createTaskHistory({
    db,
    access,
    changes: (listener) => relay.onDocumentChange(listener),
    clock,
    log,
    ...deps.historyOptions,
  });
  const sessionPruner = createSessionPruner({ db, log, clock, revocations });
  const trash = createTrashPurger({ db, access, log, clock, ...deps.trashPurgeOptions });
  const notifications = config.notifications;
  const vapidKeys = await loadVapidKeys(notifications.vapidKeys, config.dataDir);
  const pushSubscriptions = createPushSubscriptionStore(db, clock);
  const pushActionTokens = createPushActionTokens({ secret, db, clock });
  const batchedSubscriptions = createBatchedPushSubscriptions(db, pushSubscriptions);
  const unsubscribe = createUnsubscribeLinks(secret, config.calendar.publicUrl);
  // Pushes encrypted and emails written off the main thread (DELIVERY_THREADS).
  const delivery = createDelivery({
    threads: notifications.deliveryThreads,
    smtpUrl: notifications.smtpUrl,
    smtpConnections: 5,
    allowPrivateEndpoints: notifications.pushAllowPrivateEndpoints,
    log,
  });
  const email = notifications.smtpUrl
    ? createEmailChannel({
        smtpUrl: notifications.smtpUrl,
        from: notifications.mailFrom,
        db,
        publicUrl: config.calendar.publicUrl,
        unsubscribeUrl: (userId, kind) => unsubscribe.url(userId, kind),
        delivery,
      })
    : null;
  const channels: ReminderChannel[] = [
    ...(email ? [countReminders(email, metrics)] : []),
    countReminders(
      {
        ...createPushChannel({
          subscriptions: batchedSubscriptions,
          keys: vapidKeys,
          subject: notifications.vapidSubject,
          allowPrivateEndpoints: notifications.pushAllowPrivateEndpoints,
          log,
          actionTokens: pushActionTokens,
          delivery,
        }),
        // A batch's subscriptions in one query.
        prepare: (userIds) => batchedSubscriptions.prime(userIds),
      },
      metrics,
    ),
  ];
  const reminders = createReminderScheduler({
    db,
    access,
    changes: (listener) => relay.onDocumentChange(listener),
    log,
    clock,
    channels,
    onInAppSent: (count) =>
      metrics.remindersSent.inc({ channel: IN_APP_CHANNEL, outcome: 'sent' }, count),
    ...deps.reminderOptions,
  });
  const emails = createEmailScheduler({
    db,
    access,
    mailer: email?.mailer ?? null,
    changes: (listener) => relay.onDocumentChange(listener),
    log,
    clock,
    ...deps.emailOptions,
  });
  const app = createApp({
    db,
    tokens,
    relay,
    access,
    calendar,
    history,
    log,
    clock,
    staticDir: deps.staticDir ?? null,
    dataDir: config.dataDir,
    authLimits: config.authLimits,
    apiRequestsPerMinute: config.apiRequestsPerMinute,
    corsOrigins: config.corsOrigins,
    registration: config.registration,
    maxBodyBytes: config.maxBodyBytes,
    trustProxy: config.trustProxy,
    unsubscribe,
    metrics,
    metricsToken: config.metrics.token,
    isDraining: () => draining,
    ...(shared ? { rateLimits: createSharedRateLimits(shared), redis } : {}),
    system: createSystemRoutes({
      db,
      tokens,
      clock,
      relay: readRelay,
      jobQueues: metrics.jobQueues,
      recentErrors: () => recentErrors.list(),
      isDraining: () => draining,
    }),
    push: {
      subscriptions: pushSubscriptions,
      vapidPublicKey: vapidKeys.publicKey,
      allowPrivateEndpoints: notifications.pushAllowPrivateEndpoints,
      actionTokens: pushActionTokens,
    },
  });
  // permessage-deflate stays off: it costs CPU and memory per socket for small updates.
  // A sync message may carry a whole backlog (up to the quota); the relay holds every other
  // message to MAX_FRAME_BYTES itself.
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: Math.max(config.maxFrameBytes, config.docQuotaBytes + 64 * 1024),
    perMessageDeflate: false,
  });
  // Before the main listener: a METRICS_PORT in use stops the start with nothing listening.
  const metricsListener =
    config.metrics.port === null
      ? null
      : await serveMetricsListener({
          registry: metrics.registry,
          host: config.metrics.host,
          port: config.metrics.port,
          token: config.metrics.token,
        });
  const server: ServerType = await new Promise((resolve) => {
    const started = serve({ fetch: app.fetch, hostname: config.host, port: config.port }, () =>
      resolve(started),
    );
  });
  // What Node's parser rejects never reaches a handler: with no 'clientError' listener Node
  // answers it itself (400, 431 for oversized headers, 408 on timeout) and closes the socket.
  // Everything it accepts goes to Hono (malformed targets: 400 or 404) or, with `Upgrade`, to the
  // upgrade handler, which answers every request and never throws (sync-upgrade.ts).
  server.on(
    'upgrade',
    createSyncUpgradeHandler({
      wss,
      relay: {
        handleConnection(ws, info) {
          countReceivedUpdates(ws, metrics);
          relay.handleConnection(ws, info);
        },
      },
      tokens,
      corsOrigins: config.corsOrigins,
      log,
      sessions: sessionSockets,
      onUnauthorized: () => metrics.authFailures.inc({ route: SYNC_ROUTE }),
    }),
  );
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host}:${port}`;
  log.info('server listening', { url, database: db.kind });
  if (metricsListener) log.info('metrics listening', { url: `${metricsListener.url}/metrics` });
  calendar.start();
  trash.start();
  sessionPruner.start();
  revocations.start();
  reminders.start();
  emails.start();
  return {
    url,
    port,
    relay,
    calendar,
    trash,
    reminders,
    emails,
    metrics,
    metricsUrl: metricsListener?.url ?? null,
    redis,
    cluster,
    async close(options = {}) {
      // From now on /readyz answers 503: load balancers stop sending work here.
      draining = true;
      if (options.drainMs) await new Promise((resolve) => setTimeout(resolve, options.drainMs));
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Running syncs write to documents: they end (or give up their lease) before the relay.
      await calendar.stop();
      await trash.stop();
      history.stop();
      await history.flush();
      await sessionPruner.stop();
      await revocations.stop();
      await reminders.stop();
      await emails.stop();
      email?.close();
      await delivery.close();
      await relay.close();
      // After the relay: its last commits are published before the link goes.
      await cluster?.close();
      sessionSockets.close();
      wss.close();
      if ('closeAllConnections' in server) server.closeAllConnections();
      await closed;
      await metricsListener?.close();
      // Last: everything above may still publish or count in Redis while it stops.
      await redis?.close();
    },
  };
}
