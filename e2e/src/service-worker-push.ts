import { type BrowserContext, expect, type Page } from '@playwright/test';
import { apiToken, newAccount, signUp, waitForServiceWorker } from './helpers.js';

/**
 * Driving the app's service worker as Chromium's push service and notification centre would:
 * a push message handed to the worker with DevTools' `ServiceWorker.deliverPushMessage` (headless
 * Chromium has no push service of its own), the notifications it shows read back, and a
 * notification's button pressed by dispatching `notificationclick` in the worker, so the worker's
 * own handler runs.
 */

export async function serviceWorkerOf(context: BrowserContext) {
  const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));
  return worker;
}

/** Hands a push message to the page's service worker, as Chromium does for its push service. */
export async function deliverPush(
  context: BrowserContext,
  page: Page,
  data: string,
): Promise<void> {
  const cdp = await context.newCDPSession(page);
  const registrations: { registrationId: string; scopeURL: string; isDeleted: boolean }[] = [];
  cdp.on('ServiceWorker.workerRegistrationUpdated', (event) =>
    registrations.push(...event.registrations),
  );
  await cdp.send('ServiceWorker.enable');
  await expect.poll(() => registrations.some((r) => !r.isDeleted)).toBe(true);
  const registration = registrations.find((r) => !r.isDeleted);
  const origin = new URL(page.url()).origin;
  await cdp.send('ServiceWorker.deliverPushMessage', {
    origin,
    registrationId: registration?.registrationId ?? '',
    data,
  });
  await cdp.detach();
}

export async function shownNotifications(page: Page) {
  return page.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready;
    return (await registration.getNotifications()).map((n) => ({
      title: n.title,
      body: n.body,
      tag: n.tag,
      actions: (n as Notification & { actions: { action: string; title: string }[] }).actions.map(
        (a) => `${a.action}:${a.title}`,
      ),
    }));
  });
}

/**
 * Presses a notification's button (or its body, with action ''), in the service worker: the
 * first one shown, or the one tagged `tag` (a reminder's notification id).
 */
export async function clickNotification(
  context: BrowserContext,
  action: string,
  tag?: string,
): Promise<void> {
  const worker = await serviceWorkerOf(context);
  await worker.evaluate(
    async ({ pressed, tag }) => {
      // The worker's globals, typed here: this package's types are the page's (DOM), not a worker's.
      const scope = self as unknown as {
        registration: ServiceWorkerRegistration;
        dispatchEvent(event: Event): boolean;
        NotificationEvent: new (
          type: string,
          init: { notification: Notification; action: string },
        ) => Event;
      };
      const [notification] = await scope.registration.getNotifications(tag ? { tag } : {});
      if (!notification) throw new Error(`no notification is shown${tag ? ` tagged ${tag}` : ''}`);
      scope.dispatchEvent(
        new scope.NotificationEvent('notificationclick', { notification, action: pressed }),
      );
    },
    { pressed: action, tag },
  );
}

/**
 * A new account signed up in a browser that allows notifications, with the browser's clock
 * pinned to now and the app's service worker in control. Returns that now and the API header.
 */
export async function signUpWithServiceWorker(
  page: Page,
  context: BrowserContext,
): Promise<{ start: number; auth: { authorization: string } }> {
  await context.grantPermissions(['notifications']);
  const start = Date.now();
  await page.clock.install({ time: new Date(start) });
  await signUp(page, newAccount());
  await waitForServiceWorker(page);
  const { token } = await apiToken(page);
  return { start, auth: { authorization: `Bearer ${token}` } };
}
