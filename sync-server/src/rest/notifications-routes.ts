import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import {
  dismissInboxItem,
  type InboxItem,
  listInbox,
  markInboxItemRead,
  markInboxItemUnread,
  NotFoundError,
  ValidationError,
} from '@tasks/crdt';
import {
  type PushSubscriptionStore,
  pushEndpointProblem,
} from '../notifications/push-subscriptions.js';
import {
  errorResponses,
  IdParam,
  jsonBody,
  jsonResponse,
  notFoundResponse,
} from './api-schemas.js';
import { listOf } from './catalog-schemas.js';
import type { DocumentAccess } from './document-access.js';
import { validationHook } from './validation-hook.js';

/**
 * /api/v1/notifications (spec 3.2.6): the in-app notifications, which are the user's replicated
 * inbox (read, unread and dismissed on every device alike), and the Web Push side: the server's
 * VAPID public key and the browsers' subscriptions.
 */
export interface NotificationRouteDeps {
  access: DocumentAccess;
  subscriptions: PushSubscriptionStore;
  vapidPublicKey: string;
  allowPrivateEndpoints: boolean;
}

export const NotificationSchema = z
  .object({
    id: z.string(),
    kind: z.string().openapi({ example: 'reminder' }),
    title: z.string(),
    body: z.string(),
    payload: z
      .unknown()
      .openapi({ description: 'What the producer attached (a reminder: its task)' }),
    read: z.boolean(),
    created_at: z.string(),
    read_at: z.string().nullable(),
  })
  .openapi('Notification');

const ListQuery = z
  .object({
    unread: z
      .enum(['true', 'false'], { error: 'must be true or false' })
      .optional()
      .openapi({ description: 'true: only unread ones' }),
  })
  .strict();

const NotificationPatch = z
  .object({ read: z.boolean({ error: 'must be true or false' }) })
  .strict()
  .openapi('NotificationPatch');

/** The browser's `PushSubscription.toJSON()`. */
const PushSubscriptionBody = z
  .object({
    endpoint: z.string().max(2048).openapi({ example: 'https://fcm.googleapis.com/fcm/send/…' }),
    expirationTime: z.number().nullable().optional(),
    keys: z
      .object({
        p256dh: z
          .string()
          .regex(/^[A-Za-z0-9_-]{80,100}={0,2}$/, 'must be the browser’s P-256 key (base64url)'),
        auth: z
          .string()
          .regex(/^[A-Za-z0-9_-]{16,30}={0,2}$/, 'must be the browser’s auth secret (base64url)'),
      })
      .strict(),
  })
  .strict()
  .openapi('PushSubscription');

const PushSubscriptionSchema = z
  .object({ id: z.string(), endpoint: z.string() })
  .openapi('PushSubscriptionSaved');

function toApi(item: InboxItem) {
  return {
    id: item.id,
    kind: item.kind,
    title: item.title,
    body: item.body,
    payload: item.payload,
    read: item.readAt !== null,
    created_at: item.createdAt,
    read_at: item.readAt,
  };
}

export function createNotificationRoutes(deps: NotificationRouteDeps) {
  const app = new OpenAPIHono({ defaultHook: validationHook });
  const tags = ['Notifications'];

  app.openapi(
    createRoute({
      method: 'get',
      path: '/',
      summary: 'List notifications, newest first',
      tags,
      request: { query: ListQuery },
      responses: {
        200: jsonResponse(listOf(NotificationSchema, 'NotificationList'), 'The notifications'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const { unread } = c.req.valid('query');
      const items = await deps.access.use(c.var.auth.userId, [], (docs) => listInbox(docs));
      const shown = unread === 'true' ? items.filter((item) => item.readAt === null) : items;
      return c.json({ items: shown.map(toApi) }, 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'get',
      path: '/vapid-public-key',
      summary: 'The server’s VAPID public key, for PushManager.subscribe',
      tags,
      responses: {
        200: jsonResponse(
          z.object({ public_key: z.string() }).openapi('VapidPublicKey'),
          'URL-safe base64 of the P-256 public key (applicationServerKey)',
        ),
        ...errorResponses,
      },
    }),
    (c) => c.json({ public_key: deps.vapidPublicKey }, 200),
  );

  app.openapi(
    createRoute({
      method: 'post',
      path: '/push-subscriptions',
      summary: 'Register this browser for Web Push',
      description:
        'The body is the browser’s PushSubscription JSON. The endpoint must be an https URL of a push service on the public internet.',
      tags,
      request: { body: jsonBody(PushSubscriptionBody, 'The subscription') },
      responses: {
        201: jsonResponse(PushSubscriptionSchema, 'Saved'),
        ...errorResponses,
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      const problem = pushEndpointProblem(body.endpoint, deps.allowPrivateEndpoints);
      if (problem !== null) {
        throw new ValidationError([{ field: 'endpoint', message: problem }]);
      }
      const saved = await deps.subscriptions.save(c.var.auth.userId, {
        endpoint: body.endpoint,
        p256dh: body.keys.p256dh,
        auth: body.keys.auth,
      });
      return c.json({ id: saved.id, endpoint: saved.endpoint }, 201);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/push-subscriptions/{id}',
      summary: 'Stop Web Push to one browser',
      tags,
      request: { params: IdParam },
      responses: { 204: { description: 'Deleted' }, ...notFoundResponse, ...errorResponses },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      if (!(await deps.subscriptions.remove(c.var.auth.userId, id))) {
        throw new NotFoundError('push subscription', id);
      }
      return c.body(null, 204);
    },
  );

  app.openapi(
    createRoute({
      method: 'patch',
      path: '/{id}',
      summary: 'Mark a notification read or unread',
      tags,
      request: { params: IdParam, body: jsonBody(NotificationPatch, '`{ "read": true }`') },
      responses: {
        200: jsonResponse(NotificationSchema, 'The notification'),
        ...notFoundResponse,
        ...errorResponses,
      },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      const { read } = c.req.valid('json');
      const item = await deps.access.use(c.var.auth.userId, [], (docs, ctx) =>
        read ? markInboxItemRead(docs, id, ctx) : markInboxItemUnread(docs, id),
      );
      return c.json(toApi(item), 200);
    },
  );

  app.openapi(
    createRoute({
      method: 'delete',
      path: '/{id}',
      summary: 'Dismiss a notification (on every device)',
      tags,
      request: { params: IdParam },
      responses: { 204: { description: 'Dismissed' }, ...notFoundResponse, ...errorResponses },
    }),
    async (c) => {
      const { id } = c.req.valid('param');
      await deps.access.use(c.var.auth.userId, [], (docs) => dismissInboxItem(docs, id));
      return c.body(null, 204);
    },
  );

  return app;
}
