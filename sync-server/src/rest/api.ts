import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { OpenAPIHono } from '@hono/zod-openapi';
import { Scalar } from '@scalar/hono-api-reference';
import type { Hono } from 'hono';
import type { TokenService } from '../auth/token-service.js';
import type { Database } from '../db/database.js';
import { createHistoryRoutes, type TaskHistory } from '../history/task-history.js';
import { type RateLimitStore, rateLimit } from '../middleware/rate-limit/index.js';
import { requireAuth } from '../middleware/require-auth/index.js';
import { createPushActionRoutes } from '../notifications/push-action-routes.js';
import type { PushActionTokens } from '../notifications/push-action-tokens.js';
import { createAnalyticsRoutes } from './analytics-routes.js';
import { createDataRoutes } from './data-routes.js';
import type { DocumentAccess } from './document-access.js';
import { createICalFeedRoutes } from './ical-feed-routes.js';
import type { NotificationRouteDeps } from './notifications-routes.js';
import { createNotificationRoutes } from './notifications-routes.js';
import { createProjectRoutes } from './projects-routes.js';
import { createScheduleRoutes } from './schedule-routes.js';
import { createSettingsRoutes } from './settings-routes.js';
import { createTagRoutes } from './tags-routes.js';
import { createTaskRoutes } from './tasks-routes.js';
import { createTimeRoutes } from './time-routes.js';
import type { TrackedTime } from './tracked-time.js';
import { validationHook } from './validation-hook.js';

export interface ApiDeps {
  access: DocumentAccess;
  db: Database;
  /** Task history (absent: no history routes). */
  history?: TaskHistory;
  tracked: TrackedTime;
  tokens: Pick<TokenService, 'verifyAccessToken'>;
  clock: () => Date;
  /** Requests per user per minute (spec 7.4: 100). */
  requestsPerMinute: number;
  /** Where rate limits are counted (default: this process; a cluster's: Redis). */
  rateLimits?: RateLimitStore;
  /** /calendar (spec 5.2), from the calendar bridge. */
  calendar?: OpenAPIHono;
  /**
   * /notifications: Web Push keys and subscriptions, and /push-actions: the notifications'
   * buttons, authorized by the tokens they carry (absent: neither area).
   */
  push?: Omit<NotificationRouteDeps, 'access'> & { actionTokens: PushActionTokens };
  /** /admin/system: the server's health for an administrator (metrics/system-routes.ts). */
  system?: OpenAPIHono;
}

const SCALAR_BUNDLE = createRequire(import.meta.url).resolve(
  '@scalar/api-reference/browser/standalone.js',
);

/** Areas of the REST API that act on a user's documents, all behind auth and the user's rate. */
const AREAS = [
  'tasks',
  'projects',
  'tags',
  'time',
  'analytics',
  'schedule',
  'calendar',
  'export',
  'import',
  'ical-feed',
  'notifications',
  'settings',
] as const;

/**
 * The REST API of the spec (section 5) as a second door into the live documents: one sub-app
 * per area, validated by schemas built from the crdt's rules, documented by the same schemas
 * (`/api/v1/openapi.json`, browsable at `/api/docs`).
 */
export function mountApi(app: Hono, deps: ApiDeps): void {
  const api = new OpenAPIHono({ defaultHook: validationHook });
  const auth = requireAuth(deps.tokens);
  const perUser = rateLimit({
    windowMs: 60_000,
    max: deps.requestsPerMinute,
    clock: deps.clock,
    key: (c) => c.var.auth.userId,
    ...(deps.rateLimits ? { store: { limits: deps.rateLimits, name: 'api-user' } } : {}),
  });
  // `/tasks/*` also matches `/tasks` itself: one registration, so each request counts once.
  for (const area of AREAS) api.use(`/${area}/*`, auth, perUser);
  api.route('/tasks', createTaskRoutes(deps));
  if (deps.history) api.route('/tasks', createHistoryRoutes({ ...deps, history: deps.history }));
  api.route('/projects', createProjectRoutes(deps));
  api.route('/tags', createTagRoutes(deps));
  api.route('/time', createTimeRoutes(deps));
  api.route('/analytics', createAnalyticsRoutes(deps));
  api.route('/schedule', createScheduleRoutes(deps));
  if (deps.calendar) api.route('/calendar', deps.calendar);
  api.route('/', createDataRoutes(deps));
  api.route('/ical-feed', createICalFeedRoutes(deps));
  api.route('/settings', createSettingsRoutes(deps));
  if (deps.push) {
    api.route('/notifications', createNotificationRoutes({ access: deps.access, ...deps.push }));
    // No session: the service worker's request carries the notification's action token.
    api.route(
      '/push-actions',
      createPushActionRoutes({
        access: deps.access,
        db: deps.db,
        tokens: deps.push.actionTokens,
        clock: deps.clock,
        ...(deps.rateLimits ? { rateLimits: deps.rateLimits } : {}),
      }),
    );
  }
  if (deps.system) api.route('/admin/system', deps.system);
  api.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
  });
  api.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Tasks, calendar and time API',
      version: '1.0.0',
      description:
        'A REST door into the same documents every device syncs: a write here reaches open devices within a second. Errors have one shape: `{ error: { code, message, fields } }`.',
    },
    security: [{ bearer: [] }],
  });
  app.route('/api/v1', api);
  // The reference page's script is served from here, not a CDN: self-hosters may be offline.
  app.get('/api/docs/scalar.js', async (c) => {
    c.header('Cache-Control', 'public, max-age=86400');
    c.header('Content-Type', 'text/javascript; charset=utf-8');
    return c.body(await readFile(SCALAR_BUNDLE));
  });
  app.get(
    '/api/docs',
    Scalar({
      url: '/api/v1/openapi.json',
      pageTitle: 'Tasks API reference',
      cdn: '/api/docs/scalar.js',
      // Its web fonts come from Scalar's servers: system fonts keep the page self-contained.
      withDefaultFonts: false,
    }),
  );
}
