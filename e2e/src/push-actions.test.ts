import { type APIRequestContext, expect, test } from '@playwright/test';
import type { PushPayload } from '../../crdt/src/push-payload.js';
import {
  type PushServiceStandIn,
  startPushServiceStandIn,
} from '../../sync-server/src/notifications/push-service-stand-in.js';
import {
  clickNotification,
  deliverPush,
  shownNotifications,
  signUpWithServiceWorker,
} from './service-worker-push.js';

/**
 * "Snooze 10 min" and "Done" on a reminder's push notification, taken by the app's service
 * worker alone: the server pushes real reminders (with their single-use action tokens) to the
 * push-service stand-in, the worker shows them, the app's page is closed, and the buttons are
 * pressed in the worker (`notificationclick`). The task's new state is read back through the
 * REST API, and every action request is checked to have come from the worker.
 */

let push: PushServiceStandIn | null = null;

test.afterEach(async () => {
  await push?.close();
  push = null;
});

async function task(request: APIRequestContext, auth: { authorization: string }, id: string) {
  const reply = await request.get(`/api/v1/tasks/${id}`, {
    headers: auth,
    // A kept-alive connection the server closes as it is reused (idle through the wait for
    // the push) fails with ECONNRESET: a GET may simply be sent again.
    maxRetries: 2,
  });
  expect(reply.status()).toBe(200);
  return (await reply.json()) as { status: string; reminders: { at?: string }[] };
}

test('Snooze and Done pressed on push notifications work from the service worker with no page of the app open', async ({
  page,
  context,
}) => {
  test.setTimeout(90_000);
  push = await startPushServiceStandIn();
  const { start, auth } = await signUpWithServiceWorker(page, context);

  // This browser subscribed (the stand-in holds its keys); the server pushes there.
  const subscribed = await page.request.post('/api/v1/notifications/push-subscriptions', {
    headers: auth,
    data: push.subscribe(),
  });
  expect(subscribed.status()).toBe(201);
  const created: Record<'snooze' | 'done', string> = { snooze: '', done: '' };
  for (const [action, title] of [
    ['snooze', 'Book the MOT'],
    ['done', 'Return the library books'],
  ] as const) {
    const reply = await page.request.post('/api/v1/tasks', {
      headers: auth,
      data: {
        title,
        due_date: new Date(start + 3_600_000).toISOString(),
        reminders: [{ at: new Date(start + 6_000).toISOString() }],
      },
    });
    expect(reply.status()).toBe(201);
    created[action] = ((await reply.json()) as { id: string }).id;
  }

  // The server's poll (every 5 s) pushes both; the worker shows each with its buttons.
  await expect.poll(() => push?.received.length, { timeout: 30_000 }).toBe(2);
  expect(push.refused).toEqual([]);
  const payloads = push.received.map((message) => message.payload as PushPayload);
  const payloadOf = (id: string) => {
    const payload = payloads.find((candidate) => candidate.taskId === id);
    if (!payload) throw new Error(`no push for task ${id}`);
    return payload;
  };
  for (const payload of payloads) await deliverPush(context, page, JSON.stringify(payload));
  await expect.poll(async () => (await shownNotifications(page)).length).toBe(2);

  // No page of the app is open from here on; what reaches the server comes from the worker.
  const actionRequests: { fromWorker: boolean }[] = [];
  context.on('request', (request) => {
    if (request.url().endsWith('/api/v1/push-actions')) {
      actionRequests.push({ fromWorker: request.serviceWorker() !== null });
    }
  });
  await page.goto('about:blank');

  const beforeSnooze = Date.now();
  await clickNotification(context, 'snooze', payloadOf(created.snooze).notificationId);
  await expect
    .poll(async () => (await task(page.request, auth, created.snooze)).reminders.length)
    .toBe(2);
  const afterSnooze = Date.now();
  const snoozed = await task(page.request, auth, created.snooze);
  expect(snoozed.status).toBe('TODO');
  // The new reminder is 10 minutes after the button was pressed (the server's clock is this
  // run's; a second either side for the stored precision).
  const again = snoozed.reminders
    .map((reminder) => Date.parse(reminder.at ?? ''))
    .find((at) => at > start + 6_000);
  expect(again).toBeGreaterThanOrEqual(beforeSnooze + 600_000 - 1_000);
  expect(again).toBeLessThanOrEqual(afterSnooze + 600_000 + 1_000);

  await clickNotification(context, 'done', payloadOf(created.done).notificationId);
  await expect
    .poll(async () => (await task(page.request, auth, created.done)).status)
    .toBe('COMPLETED');
  expect((await task(page.request, auth, created.snooze)).status).toBe('TODO');
  expect(actionRequests).toEqual([{ fromWorker: true }, { fromWorker: true }]);

  // Either action marks the reminder's in-app notification read.
  const unread = await page.request.get('/api/v1/notifications?unread=true', {
    headers: auth,
    maxRetries: 2,
  });
  expect(((await unread.json()) as { items: unknown[] }).items).toEqual([]);
});
