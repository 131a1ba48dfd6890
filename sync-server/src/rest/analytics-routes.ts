import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import {
  computeDashboard,
  computeTimeDistribution,
  DASHBOARD_PERIODS,
  dashboardMonths,
  timeDistributionMonths,
} from '@tasks/crdt';
import { AnalyticsCache } from './analytics-cache.js';
import { errorResponses, jsonResponse } from './api-schemas.js';
import type { DocumentAccess } from './document-access.js';
import { useMonths } from './time-routes.js';
import { DashboardSchema, TimeDistributionSchema } from './time-schemas.js';
import type { TrackedTime } from './tracked-time.js';
import { validationHook } from './validation-hook.js';

const DashboardQuery = z
  .object({
    period: z
      .enum(DASHBOARD_PERIODS, { error: `must be one of ${DASHBOARD_PERIODS.join(', ')}` })
      .default('30d'),
  })
  .strict();

const localDate = (name: string) =>
  z
    .string({ error: 'required: a date written YYYY-MM-DD' })
    .max(64)
    .openapi({
      description: `${name}, a local date in the user’s time zone`,
      example: '2025-10-01',
    });

const DistributionQuery = z
  .object({ start_date: localDate('First day'), end_date: localDate('Last day (included)') })
  .strict();

/**
 * The analytics of spec 5.4, computed by the crdt from the user's documents: the bodies are the
 * crdt's results as they are (its field errors already carry the query's names).
 */
export function createAnalyticsRoutes(deps: {
  access: DocumentAccess;
  tracked: TrackedTime;
  clock: () => Date;
}) {
  const app = new OpenAPIHono({ defaultHook: validationHook });
  const cache = new AnalyticsCache();

  app.openapi(
    createRoute({
      method: 'get',
      path: '/dashboard',
      summary: 'Productivity dashboard',
      description:
        'Tasks created and completed, time tracked and a productivity score over the last 7, 30 or 90 local days (the user’s time zone), today included up to now.',
      tags: ['Analytics'],
      request: { query: DashboardQuery },
      responses: { 200: jsonResponse(DashboardSchema, 'The dashboard'), ...errorResponses },
    }),
    async (c) => {
      const { period } = c.req.valid('query');
      const dashboard = await useMonths(
        deps.access,
        c.var.auth.userId,
        { needs: (docs, ctx) => ({ months: dashboardMonths(docs, { period, now: ctx.now() }) }) },
        (docs, ctx) => {
          const now = ctx.now();
          return cache.get(docs, `dashboard:${period}`, now, () =>
            computeDashboard(docs, { period, now }),
          );
        },
      );
      return c.json(dashboard, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/time-distribution',
      summary: 'Where tracked time went',
      description:
        'Tracked time from start_date through end_date (local days, at most 366) by project, tag, priority and day of the week.',
      tags: ['Analytics'],
      request: { query: DistributionQuery },
      responses: {
        200: jsonResponse(TimeDistributionSchema, 'The distribution'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { start_date: startDate, end_date: endDate } = c.req.valid('query');
      const distribution = await useMonths(
        deps.access,
        c.var.auth.userId,
        {
          needs: (docs, ctx) => ({
            months: timeDistributionMonths(docs, { startDate, endDate, now: ctx.now() }),
          }),
        },
        (docs, ctx) => {
          const now = ctx.now();
          return cache.get(docs, `distribution:${startDate}:${endDate}`, now, () =>
            computeTimeDistribution(docs, { startDate, endDate, now }),
          );
        },
      );
      return c.json(distribution, 200);
    },
  );

  return app;
}
