import path from 'node:path';
import { createGuardedFetch, isPrivateAddress } from '@tasks/connectors';
import type { PushPayload, Settings } from '@tasks/crdt';
import webpush from 'web-push';
import { loadKeptSecret } from '../files/kept-secret-file.js';
import type { Logger } from '../logger.js';
import type { PushActionTokens } from './push-action-tokens.js';
import type { PushSubscriptionStore } from './push-subscriptions.js';
import type { ReminderChannel } from './reminder-channel.js';
import type { ReminderMessage } from './reminder-message.js';

/**
 * Reminders by Web Push (RFC 8030), encrypted for each of the user's browsers (RFC 8291,
 * aes128gcm) and signed with the server's VAPID key (RFC 8292) by the `web-push` library, sent
 * through the guarded fetch (no private addresses after DNS, loopback only when allowed). A
 * subscription the push service says is gone (404, 410) is deleted.
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
}

const isLoopback = (address: string) => /^(127\.|::1$|::ffff:127\.)/.test(address);

export function createPushChannel(options: PushChannelOptions): ReminderChannel {
  // Push services listen on 443; a local stand-in (tests) on whatever port it got.
  const fetchGuarded = createGuardedFetch(
    options.allowPrivateEndpoints
      ? {
          isAllowed: (address) => isLoopback(address) || !isPrivateAddress(address),
          allowedPorts: 'any',
        }
      : { allowedPorts: [443] },
  );
  const vapidDetails = {
    subject: options.subject,
    publicKey: options.keys.publicKey,
    privateKey: options.keys.privateKey,
  };
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
      for (const subscription of subscriptions) {
        const request = webpush.generateRequestDetails(
          {
            endpoint: subscription.endpoint,
            keys: { p256dh: subscription.p256dh, auth: subscription.auth },
          },
          JSON.stringify(payload),
          {
            vapidDetails,
            TTL: options.ttlSeconds ?? 86_400,
            urgency: 'high',
            contentEncoding: 'aes128gcm',
          },
        );
        const response = await fetchGuarded(request.endpoint, {
          method: request.method,
          headers: request.headers as Record<string, string>,
          body: request.body ?? null,
          signal: AbortSignal.timeout(10_000),
        });
        await response.body?.cancel();
        if (response.status === 404 || response.status === 410) {
          await options.subscriptions.removeEndpoint(subscription.endpoint);
          options.log.info('push subscription expired', { userId: message.userId });
        } else if (!response.ok) {
          failures.push(`${new URL(subscription.endpoint).host} answered ${response.status}`);
        }
      }
      if (failures.length > 0) throw new Error(`push failed: ${failures.join('; ')}`);
    },
  };
}
