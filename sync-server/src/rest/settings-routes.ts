import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import {
  fieldFromApi,
  fieldToApi,
  fromApiKeys,
  getSettings,
  type Settings,
  type SettingsPatch,
  schedulingPatch,
  settingsPatch,
  toApiKeys,
  updateSettings,
  ValidationError,
} from '@tasks/crdt';
import { blockCalendarCandidates } from '../calendar/block-calendar.js';
import type { Database } from '../db/database.js';
import { errorResponses, inApiTerms, jsonBody, jsonResponse, snakeObject } from './api-schemas.js';
import type { DocumentAccess } from './document-access.js';
import { validationHook } from './validation-hook.js';

/**
 * /api/v1/settings: the settings the app edits (time zone, week start, working hours, calendar
 * import, reminder defaults and channels, agenda time, the planner's settings), kept in the
 * user's document, so a change here reaches every device. A PATCH changes only the settings it
 * names (inside `scheduling` too).
 */
const TimeRange = z.object({ start: z.string(), end: z.string() });

const SchedulingSchema = z
  .object({
    horizon_days: z.number().int().openapi({ description: 'Days a plan looks ahead' }),
    min_block_minutes: z
      .number()
      .int()
      .openapi({ description: 'A task is split across blocks only down to this' }),
    buffer_minutes: z.number().int().openapi({ description: 'Kept free around each block' }),
    daily_cap_minutes: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'Planned minutes per day at most (null: no cap)' }),
    blocks_to_calendar: z.boolean().openapi({
      description: '"Put planned blocks in my calendar": blocks written to a connected calendar',
    }),
    blocks_calendar_connection_id: z
      .string()
      .nullable()
      .openapi({
        description:
          'The calendar connection (GET /calendar/connections) whose calendar receives the ' +
          'planned blocks; null: the first one that syncs, which is also where they go while the ' +
          'one named is turned off. Changing it moves the blocks at the next sync.',
      }),
  })
  .openapi('SchedulingSettings');

/** The planner's settings with the API's names (nested, so converted here, both ways). */
const schedulingToApi = (value: object) =>
  Object.fromEntries(Object.entries(value).map(([key, v]) => [fieldToApi('settings', key), v]));
const schedulingFromApi = (value: unknown) =>
  typeof value === 'object' && value !== null && !Array.isArray(value)
    ? Object.fromEntries(
        Object.entries(value).map(([key, v]) => [fieldFromApi('settings', key), v]),
      )
    : value;

export const SettingsSchema = z
  .object({
    timezone: z.string().openapi({ example: 'Europe/Berlin' }),
    week_start: z.string(),
    working_hours: z.record(z.string(), z.array(TimeRange)),
    calendar_import: z.string(),
    calendar_import_keyword: z.string(),
    default_reminder_minutes: z.number().int().nullable().openapi({
      description: 'Minutes before its date a new dated task is reminded (null: none)',
    }),
    all_day_reminder_time: z.string().openapi({
      description: 'When an all-day task’s reminders count from, HH:MM in the user’s zone',
      example: '09:00',
    }),
    notify_in_app: z.boolean(),
    notify_push: z.boolean(),
    notify_email: z.boolean(),
    agenda_time: z.string().nullable().openapi({
      description: 'HH:MM of the daily agenda email in the user’s zone (null: none)',
    }),
    email_calendar_failures: z.boolean().openapi({
      description: 'Whether a failing calendar connection is told by email (with notify_email)',
    }),
    scheduling: SchedulingSchema,
  })
  .openapi('Settings');

const SettingsPatchBody = snakeObject('settings', {
  ...settingsPatch.shape,
  scheduling: snakeObject('settings', schedulingPatch.shape).partial().strict(),
})
  .partial()
  .strict()
  .openapi('SettingsPatch');

const toApi = (settings: Settings) => ({
  ...toApiKeys('settings', settings),
  scheduling: schedulingToApi(settings.scheduling),
});

/** A connection named for the planned blocks must be one of the user's (422 otherwise). */
async function checkBlocksCalendar(
  db: Pick<Database, 'query'>,
  userId: string,
  patch: SettingsPatch,
): Promise<void> {
  const id = patch.scheduling?.blocksCalendarConnectionId;
  if (typeof id !== 'string') return;
  const candidates = await blockCalendarCandidates(db, userId);
  if (candidates.some((candidate) => candidate.id === id)) return;
  throw new ValidationError([
    {
      field: fieldToApi('settings', 'scheduling.blocksCalendarConnectionId'),
      message: 'is not one of your calendar connections',
    },
  ]);
}

export function createSettingsRoutes(deps: {
  access: DocumentAccess;
  db: Pick<Database, 'query'>;
}) {
  const app = new OpenAPIHono({ defaultHook: validationHook });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      summary: 'The user’s settings',
      tags: ['Settings'],
      responses: { 200: jsonResponse(SettingsSchema, 'The settings'), ...errorResponses },
    }),
    async (c) => {
      const settings = await deps.access.use(c.var.auth.userId, [], (docs) => getSettings(docs));
      return c.json(toApi(settings) as z.infer<typeof SettingsSchema>, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/',
      summary: 'Change some settings',
      tags: ['Settings'],
      request: { body: jsonBody(SettingsPatchBody, 'The settings to change') },
      responses: { 200: jsonResponse(SettingsSchema, 'The settings now'), ...errorResponses },
    }),
    async (c) => {
      const body = fromApiKeys('settings', c.req.valid('json')) as Record<string, unknown>;
      if ('scheduling' in body) body.scheduling = schedulingFromApi(body.scheduling);
      const patch = body as SettingsPatch;
      await checkBlocksCalendar(deps.db, c.var.auth.userId, patch);
      const settings = await deps.access.use(c.var.auth.userId, [], (docs) =>
        inApiTerms('settings', () => updateSettings(docs, patch)),
      );
      return c.json(toApi(settings) as z.infer<typeof SettingsSchema>, 200);
    },
  );

  return app;
}
