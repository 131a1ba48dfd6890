import { z } from '@hono/zod-openapi';
import {
  type ApiEntity,
  ConflictError,
  fieldErrorsToApi,
  fieldToApi,
  PRIORITIES,
  TASK_STATUSES,
  ValidationError,
} from '@tasks/crdt';

/**
 * The spec's snake_case request shapes, built from the crdt's field rules (`taskFields`, ...):
 * one rule per field, whether it arrives through REST or from a device.
 */
export function snakeObject<F extends Record<string, z.ZodType>>(entity: ApiEntity, fields: F) {
  const shape: Record<string, z.ZodType> = {};
  for (const [key, schema] of Object.entries(fields)) shape[fieldToApi(entity, key)] = schema;
  return z.object(shape);
}

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: 'validation_failed' }),
      message: z.string(),
      fields: z.array(z.object({ field: z.string(), message: z.string() })),
    }),
  })
  .openapi('Error');

export const errorResponses = {
  400: { description: 'Malformed JSON', content: { 'application/json': { schema: ErrorSchema } } },
  401: {
    description: 'Missing or invalid access token',
    content: { 'application/json': { schema: ErrorSchema } },
  },
  415: {
    description: 'Body is not application/json',
    content: { 'application/json': { schema: ErrorSchema } },
  },
  422: { description: 'Invalid fields', content: { 'application/json': { schema: ErrorSchema } } },
  429: {
    description: 'Rate limited (see Retry-After)',
    content: { 'application/json': { schema: ErrorSchema } },
  },
} as const;

export const notFoundResponse = {
  404: {
    description: 'No such record for this user',
    content: { 'application/json': { schema: ErrorSchema } },
  },
} as const;

export const IdParam = z.object({
  id: z
    .string()
    .min(1)
    .max(100)
    .openapi({ param: { name: 'id', in: 'path' } }),
});

/**
 * A task's reminder in the spec's JSON. The shape only: crdt's `reminder` rule checks the values
 * (the body's reminders are converted to its names first).
 */
export const ReminderSchema = z
  .object({
    minutes_before: z.number().optional().openapi({
      description:
        'Minutes before the due date (the start date without one; for an all-day task, before the user’s all-day reminder time that day), 0-40320',
      example: 15,
    }),
    at: z.string().optional().openapi({
      description: 'An instant, ISO-8601 with offset',
      example: '2026-12-07T09:00:00Z',
    }),
  })
  .strict()
  .openapi('Reminder', { description: 'Either minutes_before or at' });

export const TaskSchema = z
  .object({
    id: z.string(),
    user_id: z.string(),
    title: z.string(),
    description: z.string(),
    status: z.enum(TASK_STATUSES),
    priority: z.enum(PRIORITIES),
    due_date: z.string().nullable(),
    start_date: z.string().nullable(),
    estimated_duration: z.number().int().nullable().openapi({ description: 'Minutes' }),
    actual_duration: z.number().int().openapi({
      description: 'Minutes tracked on the task, calculated from its time entries (read-only)',
    }),
    tags: z.array(z.string()),
    project_id: z.string().nullable(),
    parent_task_id: z.string().nullable(),
    calendar_event_id: z.string().nullable(),
    recurrence_rule: z.string().nullable(),
    recurrence_exceptions: z.array(z.string()).openapi({
      description:
        'Occurrences of the series skipped: the date (all-day) or UTC datetime each occurrence’s due date (start date without one) would have',
    }),
    reminders: z.array(ReminderSchema),
    created_at: z.string(),
    updated_at: z.string(),
    completed_at: z.string().nullable(),
  })
  .openapi('Task');

export function pageOf<T extends z.ZodType>(item: T, name: string) {
  return z
    .object({
      items: z.array(item),
      total: z.number().int(),
      page: z.number().int(),
      limit: z.number().int(),
      total_pages: z.number().int(),
    })
    .openapi(name);
}

export function jsonBody<T extends z.ZodType>(schema: T, description: string) {
  return { required: true, description, content: { 'application/json': { schema } } };
}

export function jsonResponse<T extends z.ZodType>(schema: T, description: string) {
  return { description, content: { 'application/json': { schema } } };
}

/** Runs a crdt write, renaming the fields its errors name to the spec's names. */
export function inApiTerms<R>(entity: ApiEntity, work: () => R): R {
  try {
    return work();
  } catch (error) {
    if (error instanceof ValidationError)
      throw new ValidationError(fieldErrorsToApi(entity, error));
    if (error instanceof ConflictError && error.field !== undefined)
      throw new ConflictError(error.message, fieldToApi(entity, error.field));
    throw error;
  }
}
