import path from 'node:path';
import type { PushPayload, Settings } from '@tasks/crdt';
import webpush from 'web-push';
import { loadKeptSecret } from '../files/kept-secret-file.js';
import type { Logger } from '../logger.js';
import { createInlineDelivery, type Delivery } from './delivery.js';
import type { PushActionTokens } from './push-action-tokens.js';
import type { PushSubscriptionStore } from './push-subscriptions.js';
import type { ReminderChannel } from './reminder-channel.js';
import type { ReminderMessage } from './reminder-message.js';
import { createVapidAuthorization } from './vapid-authorization.js';

/**
 * Reminders by Web Push (RFC 8030), encrypted for each of the user's browsers (RFC 8291,
 * aes128gcm) and signed with the server's VAPID key (RFC 8292) by the `web-push` library, sent
 * through the guarded fetch (no private addresses after DNS, loopback only when allowed) by a
 * `Delivery` (delivery.ts; in delivery threads when the server has them). A subscription the push
 * service says is gone (404, 410) is deleted.
 */
export interface VapidKeys {
  publicKey: string;
  privateKey: string;
}

export const VAPID_KEY_FILE = 'vapid-keys.json';

function parseVapidKeys(text: string): VapidKeys | null {
  try {
    const value = JSON.parse(text) as Partial<VapidKeys>;
    return typeof value.publicKey === 'string' && typeof value.privateKey === 'string'
      ? { publicKey: value.publicKey, privateKey: value.privateKey }
      : null;
  } catch {
    return null;
  }
}

/** The configured keys, or the ones generated once into `${dataDir}/vapid-keys.json`. */
export async function loadVapidKeys(
  configured: VapidKeys | null,
  dataDir: string,
): Promise<VapidKeys> {
  if (configured !== null) return configured;
  return loadKeptSecret(
    path.join(dataDir, VAPID_KEY_FILE),
    () => JSON.stringify(webpush.generateVAPIDKeys()),
    parseVapidKeys,
    'does not hold VAPID keys; restore it or set VAPID_PUBLIC_KEY and VAPID_PRIVATE_KEY',
  );
}

/** The app's address of a task (its router's `#/task/<id>`). */
export const taskUrl = (taskId: string) => `/#/task/${encodeURIComponent(taskId)}`;

export interface PushChannelOptions {
  subscriptions: PushSubscriptionStore;
  keys: VapidKeys;
  subject: string;
  allowPrivateEndpoints: boolean;
  log: Logger;
  /** Mints the tokens of the notification's Done and Snooze buttons. */
  actionTokens: PushActionTokens;
  /** Seconds a push service keeps an undelivered message (default 1 day). */
  ttlSeconds?: number;
  /** Encrypts and posts each push (default: in this thread, `allowPrivateEndpoints` as given). */
  delivery?: Delivery;
}

export function createPushChannel(options: PushChannelOptions): ReminderChannel {
  const delivery =
    options.delivery ??
    createInlineDelivery({
      smtpUrl: null,
      smtpConnections: 0,
      allowPrivateEndpoints: options.allowPrivateEndpoints,
    });
  const vapidAuthorization = createVapidAuthorization({
    subject: options.subject,
    publicKey: options.keys.publicKey,
    privateKey: options.keys.privateKey,
  });
  return {
    name: 'push',
    enabled: (settings: Settings) => settings.notifyPush,
    async send(message: ReminderMessage) {
      const subscriptions = await options.subscriptions.list(message.userId);
      if (subscriptions.length === 0) return;
      const payload: PushPayload = {
        notificationId: message.id,
        taskId: message.taskId,
        title: message.title,
        body: message.body,
        url: taskUrl(message.taskId),
        fireAt: message.fireAt,
        actions: await options.actionTokens.mint({
          userId: message.userId,
          taskId: message.taskId,
          notificationId: message.id,
        }),
      };
      const failures: string[] = [];
      const json = JSON.stringify(payload);
      for (const subscription of subscriptions) {
        const status = await delivery.push({
          endpoint: subscription.endpoint,
          p256dh: subscription.p256dh,
          auth: subscription.auth,
          payload: json,
          // Signed once per push service (vapid-authorization.ts), not by web-push per request.
          authorization: vapidAuthorization(subscription.endpoint),
          ttlSeconds: options.ttlSeconds ?? 86_400,
        });
        if (status === 404 || status === 410) {
          await options.subscriptions.removeEndpoint(subscription.endpoint);
          options.log.info('push subscription expired', { userId: message.userId });
        } else if (status < 200 || status > 299) {
          failures.push(`${new URL(subscription.endpoint).host} answered ${status}`);
        }
      }
      if (failures.length > 0) throw new Error(`push failed: ${failures.join('; ')}`);
    },
  };
}
