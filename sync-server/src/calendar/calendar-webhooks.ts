import { Hono } from 'hono';
import { z } from 'zod';
import { bodyLimit } from '../http/body-limit.js';
import { errorBody } from '../http/http-error.js';
import type { Logger } from '../logger.js';
import type { PushChannelStore } from './push-channels.js';

/**
 * Where providers push (public: no session; each notification proves itself with its channel's
 * secret). Google posts an empty body with `X-Goog-Channel-*` headers
 * (https://developers.google.com/workspace/calendar/api/guides/push); Graph first validates the
 * URL with `?validationToken=` (echo it as text/plain within 10 s), then posts
 * `{ value: [notification] }` carrying our clientState
 * (https://learn.microsoft.com/graph/change-notifications-delivery-webhooks). A notification only
 * says "something changed": it queues a sync of the connection, which pulls the changes.
 */
export interface CalendarWebhookDeps {
  channels: Pick<PushChannelStore, 'verify' | 'verifyMany'>;
  /**
   * Whether this server is creating a Graph subscription now: only then is a validation request
   * expected, and only then is its token echoed (otherwise the endpoint would reflect any text
   * anyone sends it).
   */
  subscribing: () => boolean;
  /** Queues a sync of the connection (soon, not now: notifications come in bursts). */
  onPush: (connectionId: string) => Promise<void>;
  log: Logger;
}

/** Graph sends at most a few hundred notifications per post; Google none. */
const MAX_BODY_BYTES = 256 * 1024;
/** Notifications taken from one post: more is not Graph. */
export const MAX_NOTIFICATIONS = 200;
/** Graph's validation tokens are short; nothing longer is echoed. */
const MAX_VALIDATION_TOKEN = 1024;

const GraphNotifications = z.object({
  value: z
    .array(
      z.object({
        subscriptionId: z.string().min(1).max(512),
        clientState: z.string().max(512).nullable().optional(),
        changeType: z.string().max(64).optional(),
      }),
    )
    .max(MAX_NOTIFICATIONS),
});

export function createCalendarWebhooks(deps: CalendarWebhookDeps): Hono {
  const app = new Hono();
  app.use(
    '*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: (c) => c.json(errorBody('payload_too_large', 'The notification is too large.'), 413),
    }),
  );

  app.post('/google', async (c) => {
    const channelId = c.req.header('x-goog-channel-id');
    const state = c.req.header('x-goog-resource-state');
    if (!channelId || !state) {
      return c.json(
        errorBody(
          'invalid_notification',
          'X-Goog-Channel-ID and X-Goog-Resource-State are required.',
        ),
        400,
      );
    }
    const connectionId = await deps.channels.verify(
      channelId,
      c.req.header('x-goog-channel-token') ?? null,
    );
    // Unknown or forged: 404 tells Google to give up on a channel we no longer keep.
    if (!connectionId) return c.json(errorBody('not_found', 'No such channel.'), 404);
    // `sync` only announces a new channel; anything else means the calendar changed.
    if (state !== 'sync') await deps.onPush(connectionId);
    return c.body(null, 200);
  });

  app.post('/microsoft', async (c) => {
    const validationToken = c.req.query('validationToken');
    if (validationToken !== undefined) {
      if (!deps.subscribing() || validationToken.length > MAX_VALIDATION_TOKEN) {
        return c.json(errorBody('not_found', 'No subscription is being created.'), 404);
      }
      // Graph's handshake: the token back, decoded, as plain text.
      c.header('Content-Type', 'text/plain; charset=utf-8');
      return c.body(validationToken, 200);
    }
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return c.json(errorBody('invalid_notification', 'The body is not JSON.'), 400);
    }
    const parsed = GraphNotifications.safeParse(body);
    if (!parsed.success) {
      return c.json(
        errorBody('invalid_notification', 'Not a Graph change notification collection.'),
        400,
      );
    }
    const { connectionIds, rejected } = await deps.channels.verifyMany(
      parsed.data.value.map((notification) => ({
        channelId: notification.subscriptionId,
        secret: notification.clientState ?? null,
      })),
    );
    if (rejected > 0) deps.log.warn('graph notifications rejected', { rejected });
    for (const connectionId of connectionIds) await deps.onPush(connectionId);
    // 202 whatever we kept: Graph retries on errors, and a forged post deserves no hint.
    return c.body(null, 202);
  });

  return app;
}
