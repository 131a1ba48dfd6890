import { createHash, randomBytes } from 'node:crypto';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { tasksToEventFeed } from '@tasks/connectors';
import { getTimezone, listTasks } from '@tasks/crdt';
import { Hono } from 'hono';
import type { Database } from '../db/database.js';
import { errorBody } from '../http/http-error.js';
import { ErrorSchema, errorResponses, jsonResponse } from './api-schemas.js';
import type { DocumentAccess } from './document-access.js';
import { validationHook } from './validation-hook.js';

/**
 * The calendar feed (issue 17): a secret per-user address, `/ical/{token}.ics`, that Google,
 * Apple and Outlook calendars subscribe to, with the dated tasks as events. Only the token's
 * SHA-256 is stored (table `ical_feeds`): the address is shown when it is made, and rotating it
 * makes a new one and ends the old at once.
 */

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

const hashOf = (token: string) => createHash('sha256').update(token).digest('hex');

const FeedStateSchema = z
  .object({
    enabled: z.boolean(),
    created_at: z.string().nullable(),
  })
  .openapi('CalendarFeed');

const NewFeedSchema = z
  .object({
    enabled: z.literal(true),
    created_at: z.string(),
    token: z.string(),
    path: z.string().openapi({ example: '/ical/3q2-7wEg….ics' }),
    url: z.string().openapi({ description: 'The address to subscribe to: keep it secret' }),
  })
  .openapi('NewCalendarFeed');

export function createICalFeedRoutes(deps: { db: Database; clock: () => Date }) {
  const app = new OpenAPIHono({ defaultHook: validationHook });

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      summary: 'Whether the calendar feed is on',
      tags: ['Your data'],
      responses: { 200: jsonResponse(FeedStateSchema, 'The feed’s state'), ...errorResponses },
    }),
    async (c) => {
      const [row] = await deps.db.query<{ created_at: Date }>(
        'select created_at from ical_feeds where user_id = $1',
        [c.var.auth.userId],
      );
      return c.json(
        {
          enabled: row !== undefined,
          created_at: row ? new Date(row.created_at).toISOString() : null,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/',
      summary: 'Turn the calendar feed on, or give it a new address',
      description:
        'Makes a new secret address; the previous one (if any) stops working at once. The address is shown only now.',
      tags: ['Your data'],
      responses: { 201: jsonResponse(NewFeedSchema, 'The new address'), ...errorResponses },
    }),
    async (c) => {
      const token = randomBytes(32).toString('base64url');
      const now = deps.clock();
      await deps.db.query(
        `insert into ical_feeds (user_id, token_hash, created_at) values ($1, $2, $3::timestamptz)
         on conflict (user_id) do update set token_hash = excluded.token_hash,
           created_at = excluded.created_at`,
        [c.var.auth.userId, hashOf(token), now.toISOString()],
      );
      const path = `/ical/${token}.ics`;
      return c.json(
        {
          enabled: true as const,
          created_at: now.toISOString(),
          token,
          path,
          url: `${new URL(c.req.url).origin}${path}`,
        },
        201,
      );
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/',
      summary: 'Turn the calendar feed off',
      description: 'Its address stops working at once.',
      tags: ['Your data'],
      responses: {
        204: { description: 'Off' },
        404: jsonResponse(ErrorSchema, 'The feed was off'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const rows = await deps.db.query(
        'delete from ical_feeds where user_id = $1 returning user_id',
        [c.var.auth.userId],
      );
      if (rows.length === 0) {
        return c.json(errorBody('not_found', 'The calendar feed is off.'), 404);
      }
      return c.body(null, 204);
    },
  );

  return app;
}

/** The public side: `GET /ical/{token}.ics`, no other authentication than the token. */
export function createICalFeed(deps: {
  db: Database;
  access: DocumentAccess;
  clock: () => Date;
}): Hono {
  const app = new Hono();
  app.get('/:file', async (c) => {
    const file = c.req.param('file');
    const token = file.endsWith('.ics') ? file.slice(0, -'.ics'.length) : '';
    const notFound = () => c.json(errorBody('not_found', 'No calendar feed at this address.'), 404);
    if (!TOKEN.test(token)) return notFound();
    const [row] = await deps.db.query<{ user_id: string }>(
      'select user_id from ical_feeds where token_hash = $1',
      [hashOf(token)],
    );
    if (!row) return notFound();
    const now = deps.clock();
    const text = await deps.access.use(row.user_id, [], (docs) =>
      tasksToEventFeed(listTasks(docs), { timezone: getTimezone(docs), now, name: 'Tasks' }),
    );
    c.header('Cache-Control', 'private, no-cache');
    return c.body(text, 200, { 'Content-Type': 'text/calendar; charset=utf-8' });
  });
  return app;
}
