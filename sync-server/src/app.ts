import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { serveStatic } from '@hono/node-server/serve-static';
import { seedAccountTimezone } from '@tasks/crdt';
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { createAuthRoutes } from './auth/auth-routes.js';
import type { TokenService } from './auth/token-service.js';
import type { CalendarBridge } from './calendar/calendar-bridge.js';
import type { Config } from './config.js';
import type { Database } from './db/database.js';
import { errorBody, errorResponse } from './http/http-error.js';
import type { Logger } from './logger.js';
import {
  createUnsubscribeRoute,
  UNSUBSCRIBE_PATH,
  type UnsubscribeLinks,
} from './notifications/unsubscribe-links.js';
import type { Relay } from './relay/relay.js';
import { type ApiDeps, mountApi } from './rest/api.js';
import { createDocumentAccess, type DocumentAccess } from './rest/document-access.js';
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
  /** The user documents' door; default: one over `relay`. */
  access?: DocumentAccess;
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
  const auth = createAuthRoutes({
    db: deps.db,
    tokens: deps.tokens,
    clock: deps.clock,
    log: deps.log,
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
  // Providers post here without a session: each notification carries its channel's secret.
  if (deps.calendar) app.route('/api/v1/webhooks/calendar', deps.calendar.webhooks);
  // An email's unsubscribe link: no session, the link's signature names the user.
  if (deps.unsubscribe) {
    app.route(UNSUBSCRIBE_PATH, createUnsubscribeRoute({ links: deps.unsubscribe, access }));
  }
  mountApi(app, {
    access,
    ...(deps.calendar ? { calendar: deps.calendar.routes } : {}),
    ...(deps.push ? { push: deps.push } : {}),
    tracked: new TrackedTime(access),
    tokens: deps.tokens,
    clock: deps.clock,
    requestsPerMinute: deps.apiRequestsPerMinute,
  });
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
