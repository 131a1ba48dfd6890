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
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import { createTaskHistory } from './history/task-history.js';
import type { Logger } from './logger.js';
import { createBatchedPushSubscriptions } from './notifications/batched-push-subscriptions.js';
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
  type ReminderScheduler,
  type ReminderSchedulerOptions,
} from './notifications/reminder-scheduler.js';
import { createUnsubscribeLinks } from './notifications/unsubscribe-links.js';
import { createSqlDocStore } from './persistence/sql-doc-store.js';
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
  /** Graceful stop: no new connections, sockets closed, pending updates committed. */
  close(): Promise<void>;
}

/** Builds and starts the whole server on the configured host and port. Dependencies come in. */
export async function startServer(deps: ServerDeps): Promise<RunningServer> {
  const { config, db, log } = deps;
  const clock = deps.clock ?? (() => new Date());
  const secret = await loadAuthSecret({ authSecret: config.authSecret, dataDir: config.dataDir });
  // Revoked sessions live in the database: a revocation holds after a restart and on every
  // server sharing the database, whose sockets of the session close at its next poll.
  const revocations = createDatabaseRevocations({ db, clock, log });
  // A password change, sign-out everywhere or deleted account ends access tokens at once.
  const tokens = guardAccessTokens(createTokenService({ secret, clock, revocations }), db);
  // Sockets of a revoked session close at once; every socket closes when its token expires.
  const sessionSockets = createSessionSockets({ revocations: tokens.revocations, clock });
  const relay = new Relay({
    store: createSqlDocStore(db),
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
      ...deps.relayOptions,
    },
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
    ...deps.calendarOptions,
  });
  const history = createTaskHistory({
    db,
    access,
    changes: (listener) => relay.onDocumentChange(listener),
    clock,
    log,
  });
  const sessionPruner = createSessionPruner({ db, log, clock, revocations });
  const trash = createTrashPurger({ db, access, log, clock, ...deps.trashPurgeOptions });
  const notifications = config.notifications;
  const vapidKeys = await loadVapidKeys(notifications.vapidKeys, config.dataDir);
  const pushSubscriptions = createPushSubscriptionStore(db, clock);
  const pushActionTokens = createPushActionTokens({ secret, db, clock });
  const batchedSubscriptions = createBatchedPushSubscriptions(db, pushSubscriptions);
  const unsubscribe = createUnsubscribeLinks(secret, config.calendar.publicUrl);
  const email = notifications.smtpUrl
    ? createEmailChannel({
        smtpUrl: notifications.smtpUrl,
        from: notifications.mailFrom,
        db,
        publicUrl: config.calendar.publicUrl,
        unsubscribeUrl: (userId, kind) => unsubscribe.url(userId, kind),
      })
    : null;
  const channels: ReminderChannel[] = [
    ...(email ? [email] : []),
    {
      ...createPushChannel({
        subscriptions: batchedSubscriptions,
        keys: vapidKeys,
        subject: notifications.vapidSubject,
        allowPrivateEndpoints: notifications.pushAllowPrivateEndpoints,
        log,
        actionTokens: pushActionTokens,
      }),
      // A batch's subscriptions in one query.
      prepare: (userIds) => batchedSubscriptions.prime(userIds),
    },
  ];
  const reminders = createReminderScheduler({
    db,
    access,
    changes: (listener) => relay.onDocumentChange(listener),
    log,
    clock,
    channels,
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
      relay,
      tokens,
      corsOrigins: config.corsOrigins,
      log,
      sessions: sessionSockets,
    }),
  );
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host}:${port}`;
  log.info('server listening', { url, database: db.kind });
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
    async close() {
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
      await relay.close();
      sessionSockets.close();
      wss.close();
      if ('closeAllConnections' in server) server.closeAllConnections();
      await closed;
    },
  };
}
