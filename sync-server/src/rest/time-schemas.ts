import { z } from '@hono/zod-openapi';
import { DASHBOARD_PERIODS, DAYS_OF_WEEK, PRIORITIES } from '@tasks/crdt';

/** Response shapes of the time tracking and analytics areas (spec 5.3, 5.4). */

const seconds = (description: string) => z.number().int().openapi({ description });
const percentage = z.number().openapi({ description: 'Share of total_time, one decimal' });
const date = z.string().openapi({ example: '2025-10-06', description: 'Local date, YYYY-MM-DD' });

export const TimeEntrySchema = z
  .object({
    id: z.string(),
    task_id: z.string().nullable(),
    start_time: z.string().openapi({ example: '2025-10-06T14:30:00Z' }),
    end_time: z.string().nullable().openapi({ description: 'Null while the timer runs' }),
    duration: seconds('Seconds; a running timer counts up to now'),
    description: z.string().nullable(),
    is_manual: z.boolean(),
    created_at: z.string(),
    updated_at: z.string(),
  })
  .openapi('TimeEntry');

export const TimeEntryListSchema = z
  .object({
    entries: z.array(TimeEntrySchema),
    total_duration: seconds('Sum of the entries’ durations'),
    total_entries: z.number().int(),
  })
  .openapi('TimeEntryList');

export const DashboardSchema = z
  .object({
    period: z.enum(DASHBOARD_PERIODS),
    tasks_completed: z.number().int(),
    tasks_created: z.number().int(),
    completion_rate: z.number().openapi({ description: 'Percent, one decimal, at most 100' }),
    total_time_tracked: seconds('Seconds tracked in the period'),
    avg_task_duration: seconds('total_time_tracked / tasks_completed, in seconds'),
    productivity_score: z.number().int().openapi({ description: '0 to 100' }),
    top_tags: z.array(
      z.object({ tag: z.string(), time: seconds('Seconds'), tasks: z.number().int() }),
    ),
    daily_breakdown: z.array(
      z.object({
        date,
        tasks_completed: z.number().int(),
        tasks_created: z.number().int(),
        time_tracked: seconds('Seconds tracked that local day'),
      }),
    ),
  })
  .openapi('Dashboard');

export const TimeDistributionSchema = z
  .object({
    start_date: date,
    end_date: date,
    total_time: seconds('Seconds tracked in the range'),
    by_project: z.array(
      z.object({
        project_id: z.string().nullable(),
        project_name: z.string(),
        time: seconds('Seconds'),
        percentage,
      }),
    ),
    by_tag: z.array(z.object({ tag: z.string(), time: seconds('Seconds'), percentage })),
    by_priority: z.array(
      z.object({ priority: z.enum(PRIORITIES).nullable(), time: seconds('Seconds'), percentage }),
    ),
    by_day_of_week: z.array(
      z.object({ day: z.enum(DAYS_OF_WEEK), time: seconds('Seconds'), percentage }),
    ),
  })
  .openapi('TimeDistribution');
