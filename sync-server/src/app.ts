import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { serveStatic } from '@hono/node-server/serve-static';
import { seedAccountTimezone } from '@tasks/crdt';
import { Hono } from 'hono';
import { createAccountRoutes } from './auth/account-routes.js';
import { createAdminRoutes } from './auth/admin-routes.js';
import { createAuthRoutes } from './auth/auth-routes.js';
import { createRegistration, type RegistrationMode } from './auth/registration.js';
import type { TokenService } from './auth/token-service.js';
import { createBackupRoute } from './backup/backup.js';
import type { CalendarBridge } from './calendar/calendar-bridge.js';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import type { TaskHistory } from './history/task-history.js';
import { apiCors } from './http/api-cors.js';
import { bodyLimit } from './http/body-limit.js';
import { errorBody, errorResponse } from './http/http-error.js';
import { setResponseHeader } from './http/response-headers.js';
import { securityHeaders } from './http/security-headers.js';
import type { Logger } from './logger.js';
import { httpMetrics } from './metrics/http-metrics.js';
import { createMetricsRoute } from './metrics/metrics-routes.js';
import { type ReadinessDeps, readiness } from './metrics/readiness.js';
import type { ServerMetrics } from './metrics/server-metrics.js';
import type { createSystemRoutes } from './metrics/system-routes.js';
import { clientAddress, type TrustProxy } from './middleware/rate-limit/client-address.js';
import type { RateLimitStore } from './middleware/rate-limit/index.js';
import {
  createUnsubscribeRoute,
  UNSUBSCRIBE_PATH,
  type UnsubscribeLinks,
} from './notifications/unsubscribe-links.js';
import { requestLog } from './observability/request-log.js';
import { traceRequests } from './observability/trace-requests.js';
import { CLOSE } from './relay/protocol.js';
import type { Relay } from './relay/relay.js';
import { type ApiDeps, mountApi } from './rest/api.js';
import { createDocumentAccess, type DocumentAccess } from './rest/document-access.js';
import { createICalFeed } from './rest/ical-feed-routes.js';
import { TrackedTime } from './rest/tracked-time.js';

export interface AppDeps {
  db: Database;
  tokens: TokenService;
  relay: Relay;
  log: Logger;
  clock: () => Date;
  /** Folder of the built PWA, served at `/` when present. */
  staticDir: string | null;
  authLimits: Config['authLimits'];
  apiRequestsPerMinute: number;
  corsOrigins: readonly string[];
  /** Who may say the client's address (TRUST_PROXY); default: the socket's peer. */
  trustProxy?: TrustProxy;
  /** Largest request body of any API route (MAX_BODY_BYTES). */
  maxBodyBytes: number;
  /** Who may register after the first account (REGISTRATION). */
  registration: RegistrationMode;
  /** The user documents' door; default: one over `relay`. */
  access?: DocumentAccess;
  /** DATA_DIR, for `pnpm backup` of the embedded database (absent: no backup route). */
  dataDir?: string;
  /** Task history's recorder (absent: no history routes). */
  history?: TaskHistory;
  /** The calendar bridge's routes and webhooks (absent: no /calendar area). */
  calendar?: Pick<CalendarBridge, 'routes' | 'webhooks'>;
  /** Web Push keys and subscriptions (absent: no /notifications area). */
  push?: ApiDeps['push'];
  /** Signed one-click unsubscribe links of emails (absent: no unsubscribe route). */
  unsubscribe?: UnsubscribeLinks;
  /** The server's metrics (absent: no request metrics, /metrics not served). */
  metrics?: ServerMetrics;
  /** METRICS_TOKEN: with it, /metrics is served here to its bearer (and /readyz shows counts). */
  metricsToken?: string | null;
  /** True once shutdown began: /readyz answers 503. */
  isDraining?: () => boolean;
  /** The admin's System figures (absent: no /admin/system route). */
  system?: ReturnType<typeof createSystemRoutes>;
  /** Where rate limits are counted (absent: this process; a cluster's: Redis). */
  rateLimits?: RateLimitStore;
  /** A cluster's Redis, which /readyz checks too (absent: one process, no Redis). */
  redis?: ReadinessDeps['redis'];
}

/** The HTTP side of the server: one sub-app per area, errors mapped in one place. */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.onError((error, c) => errorResponse(error, c, deps.log));
  app.use('*', traceRequests());
  app.use('*', requestLog({ log: deps.log }));
  if (deps.metrics) app.use('*', httpMetrics(deps.metrics));
  app.use('*', securityHeaders());
  app.use('*', clientAddress(deps.trustProxy ?? { kind: 'none' }));
  // No API body is larger (auth routes cap theirs lower); beyond it, 413 before any parsing.
  app.use(
    '/api/*',
    bodyLimit({
      maxSize: deps.maxBodyBytes,
      onError: (c) => c.json(errorBody('payload_too_large', 'The request body is too large.'), 413),
    }),
  );

  // Cross-origin callers only from the allow-list (CORS_ORIGINS); same-origin needs none.
  app.use('/api/*', apiCors({ origins: deps.corsOrigins, maxAgeSeconds: 600 }));
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  const metricsToken = deps.metricsToken ?? null;
  app.get(
    '/readyz',
    readiness({
      db: deps.db,
      log: deps.log,
      isDraining: deps.isDraining ?? (() => false),
      figures: () => deps.relay.stats(),
      metricsToken,
      redis: deps.redis ?? null,
    }),
  );
  // Without METRICS_TOKEN the metrics are only on the admin listener (METRICS_PORT), or nowhere.
  if (deps.metrics && metricsToken) {
    app.route(
      '/metrics',
      createMetricsRoute(deps.metrics.registry, { kind: 'token', token: metricsToken }),
    );
  } else {
    app.get('/metrics', (c) => c.json(errorBody('not_found', 'No route for GET /metrics.'), 404));
  }

  const access =
    deps.access ?? createDocumentAccess({ relay: deps.relay, db: deps.db, clock: deps.clock });
  const minute = 60_000;
  const registration = createRegistration(deps.db, deps.registration);
  const auth = createAuthRoutes({
    db: deps.db,
    tokens: deps.tokens,
    clock: deps.clock,
    log: deps.log,
    registration,
    ...(deps.rateLimits ? { rateLimits: deps.rateLimits } : {}),
    limits: {
      registerPerIp: { windowMs: minute, max: deps.authLimits.registerPerMinute },
      loginPerIp: { windowMs: minute, max: deps.authLimits.loginPerMinute },
      loginPerAccount: { windowMs: minute, max: deps.authLimits.loginPerAccountPerMinute },
    },
    // The document exists from the start, in the account's time zone, for devices and REST alike.
    onRegistered: async (user) => {
      await access.use(user.id, [], (docs) => seedAccountTimezone(docs, user.timezone));
    },
  });
  app.route('/api/v1/auth', auth);
  // Profile, password, sign out everywhere, delete the account (issue 17).
  app.route(
    '/api/v1/auth',
    createAccountRoutes({
      db: deps.db,
      tokens: deps.tokens,
      clock: deps.clock,
      log: deps.log,
      ...(deps.rateLimits ? { rateLimits: deps.rateLimits } : {}),
      // Open sockets of ended sessions (or a deleted account) close at once.
      onSessionsEnded: (userId) =>
        deps.relay.closeUser(userId, CLOSE.sessionEnded, 'session ended: sign in again'),
    }),
  );
  // `pnpm backup` authenticates with DATA_DIR's backup key, not a session: mounted before the
  // admin area, whose routes all need an admin's session.
  if (deps.dataDir) {
    app.route('/api/v1/admin/backup', createBackupRoute({ db: deps.db, dataDir: deps.dataDir }));
  }
  app.route(
    '/api/v1/admin',
    createAdminRoutes({
      db: deps.db,
      tokens: deps.tokens,
      registration,
      clock: deps.clock,
      log: deps.log,
    }),
  );
  // Providers post here without a session: each notification carries its channel's secret.
  if (deps.calendar) app.route('/api/v1/webhooks/calendar', deps.calendar.webhooks);
  // An email's unsubscribe link: no session, the link's signature names the user.
  if (deps.unsubscribe) {
    app.route(UNSUBSCRIBE_PATH, createUnsubscribeRoute({ links: deps.unsubscribe, access }));
  }
  mountApi(app, {
    access,
    db: deps.db,
    ...(deps.history ? { history: deps.history } : {}),
    ...(deps.calendar ? { calendar: deps.calendar.routes } : {}),
    ...(deps.push ? { push: deps.push } : {}),
    ...(deps.system ? { system: deps.system } : {}),
    tracked: new TrackedTime(access),
    tokens: deps.tokens,
    clock: deps.clock,
    requestsPerMinute: deps.apiRequestsPerMinute,
    ...(deps.rateLimits ? { rateLimits: deps.rateLimits } : {}),
  });
  // Calendar apps subscribe here: the secret address is the only authentication.
  app.route('/ical', createICalFeed({ db: deps.db, access, clock: deps.clock }));
  app.all('/api/*', (c) =>
    c.json(errorBody('not_found', `No route for ${c.req.method} ${c.req.path}.`), 404),
  );

  const staticDir = deps.staticDir;
  if (staticDir && existsSync(path.join(staticDir, 'index.html'))) {
    const root = path.relative(process.cwd(), staticDir) || '.';
    app.use('/*', async (c, next) => {
      await next();
      // Hashed bundles never change; the service worker and the page must always be checked.
      if (c.req.path.startsWith('/assets/'))
        setResponseHeader(c, 'Cache-Control', 'public, max-age=31536000, immutable');
      else setResponseHeader(c, 'Cache-Control', 'no-cache');
    });
    app.use('/*', serveStatic({ root }));
    // Client-side routes of the single-page app all load index.html.
    app.get('/*', async (c) => c.html(await readFile(path.join(staticDir, 'index.html'), 'utf8')));
  } else {
    app.get('/', (c) =>
      c.text(
        'Tasks sync server. The web app is not built yet: run `pnpm build` at the repository root.',
      ),
    );
  }
  return app;
}
