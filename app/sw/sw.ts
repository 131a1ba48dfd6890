/// <reference lib="webworker" />
import type { PushAction, PushPayload } from '@tasks/crdt';
import {
  cleanupOutdatedCaches,
  createHandlerBoundToURL,
  precacheAndRoute,
} from 'workbox-precaching';
import { NavigationRoute, registerRoute } from 'workbox-routing';

/**
 * The app's service worker (vite-plugin-pwa, injectManifest): the precached app shell, so the
 * app opens with no network, and Web Push reminders. A push shows the task's title and time with
 * "Done" and "Snooze 10 min" buttons that call the server without opening the app (each carries
 * its own single-use token from the push: POST /api/v1/push-actions); clicking the notification
 * opens the app at the task, in a window already open when there is one.
 */
declare const self: ServiceWorkerGlobalScope & {
  __WB_MANIFEST: (string | { url: string; revision: string | null })[];
};

// A new version waits until the user accepts it (the app's banner sends SKIP_WAITING).
self.addEventListener('message', (event) => {
  if ((event.data as { type?: unknown } | null)?.type === 'SKIP_WAITING') void self.skipWaiting();
});

precacheAndRoute(self.__WB_MANIFEST);
cleanupOutdatedCaches();
// Every client-side view loads index.html, offline too; the API and relay never do.
registerRoute(
  new NavigationRoute(createHandlerBoundToURL('/index.html'), {
    denylist: [/^\/api\//, /^\/sync\//, /^\/healthz/, /^\/readyz/],
  }),
);

const ACTIONS: Record<PushAction, string> = { done: 'Done', snooze: 'Snooze 10 min' };
type Action = PushAction;
type Reminder = PushPayload;

/** What a shown notification keeps (`notification.data`). */
interface NotificationData {
  url: string;
  title: string;
  actions: Partial<Record<Action, string>>;
}

const isText = (value: unknown): value is string => typeof value === 'string' && value !== '';

function readReminder(data: PushMessageData | null): Reminder | null {
  let value: unknown;
  try {
    value = data?.json();
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const r = value as Record<string, unknown>;
  const actions = r.actions as Record<string, unknown> | null | undefined;
  const fields = [r.notificationId, r.taskId, r.title, r.body, r.url, r.fireAt];
  if (!fields.every(isText) || !isText(actions?.done) || !isText(actions?.snooze)) return null;
  // Only the app's own views: never another site (`//host`).
  if (!(r.url as string).startsWith('/#/')) return null;
  return value as Reminder;
}

self.addEventListener('push', (event) => {
  const reminder = readReminder(event.data);
  // Every push shows something (browsers require it); one this version cannot read says so.
  if (!reminder) {
    const data: NotificationData = { url: '/#/inbox-notes', title: 'Reminder', actions: {} };
    event.waitUntil(
      self.registration.showNotification('Tasks: a reminder', {
        body: 'Open the app to see it.',
        icon: '/icons/icon-192.png',
        data,
      }),
    );
    return;
  }
  const data: NotificationData = {
    url: reminder.url,
    title: reminder.title,
    actions: reminder.actions,
  };
  const options: NotificationOptions & {
    actions: { action: Action; title: string }[];
    timestamp: number;
  } = {
    body: reminder.body,
    tag: reminder.notificationId,
    icon: '/icons/icon-192.png',
    badge: '/icons/icon-192.png',
    timestamp: Date.parse(reminder.fireAt),
    data,
    actions: [
      { action: 'done', title: ACTIONS.done },
      { action: 'snooze', title: ACTIONS.snooze },
    ],
  };
  event.waitUntil(self.registration.showNotification(reminder.title, options));
});

/** The server's message for a refused action, or one for a network failure. */
async function failureOf(response: Response | null): Promise<string> {
  if (response === null) return 'The server cannot be reached. Try again when online.';
  try {
    const body = (await response.json()) as { error?: { message?: unknown } };
    if (isText(body.error?.message)) return body.error.message;
  } catch {
    // not the API's error shape
  }
  return `The server answered ${response.status}.`;
}

/** Presses a button: the server takes the action; a failure becomes a notification saying why. */
async function takeAction(data: NotificationData, action: Action, tag: string): Promise<void> {
  const token = data.actions[action];
  let response: Response | null = null;
  if (token) {
    try {
      response = await fetch('/api/v1/push-actions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token }),
        credentials: 'omit',
      });
    } catch {
      response = null;
    }
    if (response?.ok) return;
  }
  const verb = action === 'done' ? 'mark it done' : 'snooze it';
  const retry: NotificationData = { url: data.url, title: data.title, actions: {} };
  await self.registration.showNotification(`${data.title}: could not ${verb}`, {
    body: `${token ? await failureOf(response) : 'This notification has no such action.'} Click to open the task.`,
    tag,
    icon: '/icons/icon-192.png',
    data: retry,
  });
}

/** Focuses a window of the app and shows `url` there, or opens one. */
async function openApp(url: string): Promise<void> {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const open = windows.find((client) => new URL(client.url).origin === self.location.origin);
  if (open) {
    // The message first: focusing is the browser's call (a real click allows it).
    open.postMessage({ type: 'open', url });
    await open.focus();
    return;
  }
  await self.clients.openWindow(url);
}

self.addEventListener('notificationclick', (event) => {
  const notification = event.notification;
  const data = notification.data as NotificationData | null;
  notification.close();
  if (!data) return;
  const action = event.action;
  if (action === 'done' || action === 'snooze') {
    event.waitUntil(takeAction(data, action, notification.tag));
  } else {
    event.waitUntil(openApp(data.url));
  }
});
