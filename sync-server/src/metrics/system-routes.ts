import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { TokenService } from '../auth/token-service.js';
import { createUserStore } from '../auth/user-store.js';
import type { Database } from '../db/database.js';
import { HttpError } from '../http/http-error.js';
import { requireAuth } from '../middleware/require-auth/index.js';
import { ErrorSchema, errorResponses, jsonResponse } from '../rest/api-schemas.js';
import { validationHook } from '../rest/validation-hook.js';
import { JOB_QUEUES, type JobQueueReader } from './job-queues.js';
import type { RecentError } from './recent-errors.js';
import type { RelayFigures } from './server-metrics.js';

export interface SystemRoutesDeps {
  db: Database;
  tokens: Pick<TokenService, 'verifyAccessToken'>;
  clock: () => Date;
  relay: () => RelayFigures | null;
  jobQueues: JobQueueReader;
  recentErrors: () => RecentError[];
  isDraining: () => boolean;
}

const QueueSchema = z.object({
  depth: z.number().int().openapi({ description: 'Jobs due and not yet done' }),
  oldest_age_seconds: z
    .number()
    .openapi({ description: 'How long the oldest due job has waited (0: none)' }),
});

export const SystemHealthSchema = z
  .object({
    generated_at: z.string().openapi({ description: 'When these figures were read (ISO-8601)' }),
    database: z.enum(['postgres', 'pglite']),
    draining: z.boolean().openapi({ description: 'Shutdown has begun on this node' }),
    connections: z.number().int().openapi({ description: 'Open websocket connections' }),
    rooms: z.number().int().openapi({ description: 'Documents the relay holds' }),
    uncommitted_updates: z
      .number()
      .int()
      .openapi({ description: 'Sync backlog: updates waiting for their commit' }),
    uncommitted_bytes: z.number().int(),
    doc_cache_bytes: z.number().int(),
    job_queues: z.object({
      calendar_sync: QueueSchema,
      reminder: QueueSchema,
      email: QueueSchema,
    }),
    failing_calendar_connections: z
      .number()
      .int()
      .openapi({ description: 'Connections whose sync failed for good (the user must act)' }),
    recent_errors: z
      .array(
        z.object({
          time: z.string(),
          level: z.enum(['warn', 'error']),
          message: z.string(),
          detail: z.string().nullable(),
        }),
      )
      .openapi({ description: 'The last warnings and errors logged, newest first' }),
  })
  .openapi('SystemHealth');

/**
 * `GET /api/v1/admin/system`: the server's health in figures a person can read (the app's
 * Settings → System), for an administrator only (the role is read on each request, as in the
 * admin area); 403 for anyone else.
 */
export function createSystemRoutes(deps: SystemRoutesDeps) {
  const users = createUserStore(deps.db);
  const app = new OpenAPIHono({ defaultHook: validationHook });
  app.use('*', requireAuth(deps.tokens), async (c, next) => {
    const me = await users.findById(c.var.auth.userId);
    if (!me?.isActive || me.role !== 'admin') {
      throw new HttpError(403, 'forbidden', 'Only an administrator may do this.');
    }
    await next();
  });
  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      summary: 'The server’s health (administrators only)',
      tags: ['Admin'],
      responses: {
        200: jsonResponse(SystemHealthSchema, 'Connections, backlog, job queues, recent errors'),
        ...errorResponses,
        403: {
          description: 'Not an administrator',
          content: { 'application/json': { schema: ErrorSchema } },
        },
      },
    }),
    async (c) => {
      const relay = deps.relay();
      const queues = await deps.jobQueues.read();
      const jobQueues = Object.fromEntries(
        JOB_QUEUES.map((name) => [
          name,
          {
            depth: queues.queues[name].depth,
            oldest_age_seconds: queues.queues[name].oldestAgeSeconds,
          },
        ]),
      ) as z.infer<typeof SystemHealthSchema>['job_queues'];
      return c.json(
        {
          generated_at: deps.clock().toISOString(),
          database: deps.db.kind,
          draining: deps.isDraining(),
          connections: relay?.connections ?? 0,
          rooms: relay?.rooms ?? 0,
          uncommitted_updates: relay?.uncommittedUpdates ?? 0,
          uncommitted_bytes: relay?.uncommittedBytes ?? 0,
          doc_cache_bytes: relay?.docCacheBytes ?? 0,
          job_queues: jobQueues,
          failing_calendar_connections: queues.failingCalendarConnections,
          recent_errors: deps.recentErrors(),
        },
        200,
      );
    },
  );
  return app;
}
