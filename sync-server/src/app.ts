import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { serveStatic } from '@hono/node-server/serve-static';
import { seedAccountTimezone } from '@tasks/crdt';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
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
import { errorBody, errorResponse } from './http/http-error.js';
import { securityHeaders } from './http/security-headers.js';
import type { Logger } from './logger.js';
import { clientAddress, type TrustProxy } from './middleware/rate-limit/client-address.js';
import {
  createUnsubscribeRoute,
  UNSUBSCRIBE_PATH,
  type UnsubscribeLinks,
} from './notifications/unsubscribe-links.js';
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
}

/** The HTTP side of the server: one sub-app per area, errors mapped in one place. */
export function createApp(deps: AppDeps): Hono {
  const app = new Hono();
  app.onError((error, c) => errorResponse(error, c, deps.log));
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
  app.use('/api/*', cors({ origin: [...deps.corsOrigins], credentials: true, maxAge: 600 }));
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    try {
      await deps.db.query('select 1');
      return c.json({ status: 'ready', database: deps.db.kind, ...deps.relay.stats() });
    } catch (error) {
      deps.log.warn('readiness check failed', { error: (error as Error).message });
      return c.json({ status: 'unavailable', database: deps.db.kind }, 503);
    }
  });

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
    tracked: new TrackedTime(access),
    tokens: deps.tokens,
    clock: deps.clock,
    requestsPerMinute: deps.apiRequestsPerMinute,
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
        c.header('Cache-Control', 'public, max-age=31536000, immutable');
      else c.header('Cache-Control', 'no-cache');
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
