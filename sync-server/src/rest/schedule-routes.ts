import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import {
  planAndApplySchedule,
  planRangeOfDays,
  planSchedule,
  type SchedulePlan,
} from '@tasks/crdt';
import { errorResponses, jsonBody, jsonResponse } from './api-schemas.js';
import type { DocumentAccess } from './document-access.js';
import { validationHook } from './validation-hook.js';

const localDate = (description: string) =>
  z.string().max(64).optional().openapi({ description, example: '2026-03-23' });

const ScheduleRequest = z
  .object({
    start_date: localDate(
      'First day of the plan, a local date in the user’s time zone (default: today)',
    ),
    end_date: localDate(
      'Last day of the plan, included (default: the last day of the user’s horizon, 14 days unless set)',
    ),
    apply: z
      .boolean({ error: 'must be true or false' })
      .default(false)
      .openapi({ description: 'Store the blocks on their tasks (false: only compute the plan)' }),
  })
  .strict()
  .openapi('ScheduleRequest');

const BlockSchema = z
  .object({
    id: z.string().nullable().openapi({
      description: 'The stored block’s id; null for a new block of a plan not applied',
    }),
    task_id: z.string(),
    start: z.string().openapi({ example: '2026-03-23T09:05:00Z' }),
    end: z.string().openapi({ example: '2026-03-23T10:35:00Z' }),
    pinned: z.boolean().openapi({ description: 'Placed by the user: a re-plan never moves it' }),
    status: z.enum(['pinned', 'kept', 'new']).openapi({
      description: 'pinned by the user, kept from the last plan, or newly placed',
    }),
    reasons: z.array(z.string()).openapi({
      example: [
        'due Wed 25 Mar 17:00',
        'priority high',
        'first free 90-minute slot in working hours',
      ],
    }),
  })
  .openapi('ScheduledBlock');

const UnscheduledSchema = z
  .object({
    task_id: z.string(),
    reason: z.string().openapi({ example: 'needs 6 h before Fri 27 Mar 17:00; 3 h 55 min free' }),
    code: z.enum(['past-due', 'starts-after-plan', 'not-enough-time', 'fragmented']),
    needed_minutes: z.number().int(),
    free_minutes: z.number().int(),
    deadline: z.string().nullable(),
  })
  .openapi('UnscheduledTask');

const ScheduleSchema = z
  .object({
    start: z.string().openapi({ description: 'The plan covers [start, end)' }),
    end: z.string(),
    applied: z.boolean(),
    blocks: z.array(BlockSchema),
    unscheduled: z.array(UnscheduledSchema),
  })
  .openapi('Schedule');

function toApi(plan: SchedulePlan, applied: boolean): z.infer<typeof ScheduleSchema> {
  return {
    start: plan.range.from.toISOString(),
    end: plan.range.to.toISOString(),
    applied,
    blocks: plan.blocks.map((block) => ({
      id: block.id === '' ? null : block.id,
      task_id: block.taskId,
      start: block.start,
      end: block.end,
      pinned: block.pinned,
      status: block.status,
      reasons: block.reasons,
    })),
    unscheduled: plan.unscheduled.map((item) => ({
      task_id: item.taskId,
      reason: item.reason,
      code: item.code,
      needed_minutes: item.neededMinutes,
      free_minutes: item.freeMinutes,
      deadline: item.deadline,
    })),
  };
}

/**
 * Smart scheduling (issue 15): the crdt's planner on the user's document, the same function the
 * app runs on the device; `apply` stores its blocks as a document change every device sees.
 */
export function createScheduleRoutes(deps: { access: DocumentAccess }) {
  const app = new OpenAPIHono({ defaultHook: validationHook });

  app.openapi(
    createRoute({
      method: 'post',
      path: '/',
      summary: 'Plan open tasks into free time',
      description:
        'Places the open tasks that have an estimate into free working time (the user’s working hours and zone) between start_date and end_date, around calendar events (recurring ones expanded), tasks with a fixed time and pinned blocks; by deadline, then priority, then age; with the scheduling settings (minimum block, buffer, daily cap). Every block says why it is where it is, every task left out why. A re-plan moves nothing that need not move. With `apply: true` the blocks are stored on their tasks.',
      tags: ['Scheduling'],
      request: {
        body: jsonBody(ScheduleRequest, 'The days to plan, and whether to store the plan'),
      },
      responses: { 200: jsonResponse(ScheduleSchema, 'The plan'), ...errorResponses },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const days = { startDate: body.start_date, endDate: body.end_date };
      const plan = await deps.access.use(c.var.auth.userId, [], (docs, ctx) => {
        const range = planRangeOfDays(docs, ctx, days);
        return body.apply ? planAndApplySchedule(docs, ctx, range) : planSchedule(docs, ctx, range);
      });
      return c.json(toApi(plan, body.apply), 200);
    },
  );

  return app;
}
