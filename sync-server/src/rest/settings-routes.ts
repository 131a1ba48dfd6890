import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import {
  fromApiKeys,
  getSettings,
  type Settings,
  type SettingsPatch,
  settingsPatch,
  toApiKeys,
  updateSettings,
} from '@tasks/crdt';
import { errorResponses, inApiTerms, jsonBody, jsonResponse, snakeObject } from './api-schemas.js';
import type { DocumentAccess } from './document-access.js';
import { validationHook } from './validation-hook.js';

/**
 * /api/v1/settings: the settings the app edits (time zone, week start, working hours, calendar
 * import, reminder defaults and channels, agenda time), kept in the user's document, so a change
 * here reaches every device. A PATCH changes only the settings it names.
 */
const TimeRange = z.object({ start: z.string(), end: z.string() });

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
  })
  .openapi('Settings');

const SettingsPatchBody = snakeObject('settings', settingsPatch.shape)
  .partial()
  .strict()
  .openapi('SettingsPatch');

const toApi = (settings: Settings) => toApiKeys('settings', settings);

export function createSettingsRoutes(deps: { access: DocumentAccess }) {
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
      const patch = fromApiKeys('settings', c.req.valid('json')) as SettingsPatch;
      const settings = await deps.access.use(c.var.auth.userId, [], (docs) =>
        inApiTerms('settings', () => updateSettings(docs, patch)),
      );
      return c.json(toApi(settings) as z.infer<typeof SettingsSchema>, 200);
    },
  );

  return app;
}
