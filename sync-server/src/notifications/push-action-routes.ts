import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import {
  completeTask,
  getTask,
  listInbox,
  markInboxItemRead,
  NotFoundError,
  PUSH_ACTIONS,
  snoozeReminder,
} from '@tasks/crdt';
import type { Database } from '../db/database.js';
import { HttpError } from '../http/http-error.js';
import { clientIp, type RateLimitStore, rateLimit } from '../middleware/rate-limit/index.js';
import { errorResponses, jsonBody, jsonResponse, notFoundResponse } from '../rest/api-schemas.js';
import type { DocumentAccess } from '../rest/document-access.js';
import { validationHook } from '../rest/validation-hook.js';
import type { PushActionTokens } from './push-action-tokens.js';

/**
 * `POST /api/v1/push-actions`: what a Web Push notification's "Done" and "Snooze 10 min" buttons
 * call from the service worker, with no session: the body's token (from the push) is the
 * authority, for one user, one task and one action, once (push-action-tokens.ts). Done completes
 * the task and Snooze adds a reminder 10 minutes from now, by the crdt's rules as the app and
 * REST apply them; either marks the reminder's in-app notification read.
 */
export interface PushActionRouteDeps {
  access: DocumentAccess;
  db: Database;
  tokens: PushActionTokens;
  clock: () => Date;
  /** Action requests per client address per minute. */
  requestsPerMinute?: number;
  /** Where the rate is counted (default: this process). */
  rateLimits?: RateLimitStore;
}

const PushActionBody = z
  .object({
    token: z
      .string({ error: 'must be the action token from the notification' })
      .min(1, 'must be the action token from the notification')
      .max(2048, 'is too long to be an action token'),
  })
  .strict()
  .openapi('PushActionRequest');

const PushActionResult = z
  .object({
    action: z.enum(PUSH_ACTIONS),
    task_id: z.string(),
    status: z
      .string()
      .openapi({ description: 'The task’s status afterwards', example: 'COMPLETED' }),
    remind_at: z
      .string()
      .nullable()
      .openapi({ description: 'Snooze: when the task reminds again', example: null }),
  })
  .openapi('PushActionResult');

export function createPushActionRoutes(deps: PushActionRouteDeps) {
  const app = new OpenAPIHono({ defaultHook: validationHook });
  app.use(
    '*',
    rateLimit({
      windowMs: 60_000,
      max: deps.requestsPerMinute ?? 60,
      clock: deps.clock,
      key: clientIp,
      ...(deps.rateLimits ? { store: { limits: deps.rateLimits, name: 'push-action-ip' } } : {}),
    }),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/',
      summary: 'Take a push notification’s action (Done, Snooze 10 min) without a session',
      description:
        'Called by the app’s service worker when a notification button is pressed. The token comes with the push; it names the user, the task and the action, expires after a day, and one action per notification is taken (a second answers 409).',
      tags: ['Notifications'],
      security: [],
      request: { body: jsonBody(PushActionBody, 'The token of the pressed button') },
      responses: {
        200: jsonResponse(PushActionResult, 'The action was taken'),
        409: {
          description: 'An action of this notification was taken already',
          content: errorResponses[422].content,
        },
        ...notFoundResponse,
        ...errorResponses,
      },
    }),
    async (c) => {
      const claims = await deps.tokens.verify(c.req.valid('json').token);
      const users = await deps.db.query<{ is_active: boolean }>(
        'select is_active from users where id = $1',
        [claims.userId],
      );
      if (!users[0]?.is_active) {
        throw new HttpError(401, 'account_unavailable', 'This account no longer exists.');
      }
      await deps.tokens.consume(claims);
      try {
        const result = await deps.access.use(claims.userId, [], (docs, ctx) => {
          const current = getTask(docs, claims.taskId);
          if (!current || current.deletedAt !== null) {
            throw new NotFoundError('task', claims.taskId);
          }
          const task =
            claims.action === 'done'
              ? completeTask(docs, claims.taskId, ctx).task
              : snoozeReminder(docs, claims.taskId, ctx);
          if (listInbox(docs).some((item) => item.id === claims.notificationId)) {
            markInboxItemRead(docs, claims.notificationId, ctx);
          }
          const added = claims.action === 'snooze' ? task.reminders.at(-1) : undefined;
          return {
            status: task.status,
            remindAt: added && 'at' in added ? added.at : null,
          };
        });
        return c.json(
          {
            action: claims.action,
            task_id: claims.taskId,
            status: result.status,
            remind_at: result.remindAt,
          },
          200,
        );
      } catch (error) {
        // A missing task stays missing; anything else (storage down) may be tried again.
        if (!(error instanceof NotFoundError)) await deps.tokens.release(claims);
        throw error;
      }
    },
  );
  return app;
}
