import { expect, test } from '@playwright/test';
import { apiToken, newAccount, signUp, waitUntilSynced } from './helpers.js';

/**
 * A reminder is sent by the server at its time, lands in the replicated inbox and shows in the
 * app's Notifications, where "Done" completes the task. The browser's clock is pinned to the
 * run's clock (the server's, under the clock matrix too) with Playwright's clock.
 */
test('a reminder shows in Notifications at its time, and Done completes the task', async ({
  page,
  context,
}) => {
  test.setTimeout(90_000);
  // The user allowed notifications: the open app also shows the reminder as a system one.
  await context.grantPermissions(['notifications']);
  const start = Date.now();
  await page.clock.install({ time: new Date(start) });
  await signUp(page, newAccount());
  const { token } = await apiToken(page);
  // Due in 40 seconds, reminded 30 seconds before: the server sends it about 10 seconds from now.
  const due = new Date(start + 40_000);
  const remindAt = new Date(start + 10_000);
  const created = await page.request.post('/api/v1/tasks', {
    headers: { authorization: `Bearer ${token}` },
    data: {
      title: 'Water the plants',
      due_date: due.toISOString(),
      reminders: [{ at: remindAt.toISOString() }],
    },
  });
  expect(created.status()).toBe(201);
  const task = (await created.json()) as { id: string };
  await waitUntilSynced(page);
  await page.getByRole('link', { name: 'Notifications' }).click();
  await expect(page.getByText('No notifications.')).toBeVisible();

  // The server's poll (every 5 s) sends it once its time has come; the inbox syncs to the page.
  const notification = page.getByRole('listitem').filter({ hasText: 'Water the plants' });
  await expect(notification).toBeVisible({ timeout: 30_000 });
  expect(Date.now()).toBeGreaterThanOrEqual(remindAt.getTime());
  await expect(notification).toContainText(/^Water the plants\s*Due /);
  const systemNotifications = () =>
    page.evaluate(async () => {
      const registration = await navigator.serviceWorker.ready;
      return (await registration.getNotifications()).map((shown) => shown.title);
    });
  await expect.poll(systemNotifications, { timeout: 10_000 }).toEqual(['Water the plants']);
  await notification.getByRole('button', { name: 'Done' }).click();
  await expect(notification).toContainText('Done.');
  await waitUntilSynced(page);

  const stored = await page.request.get(`/api/v1/tasks/${task.id}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(((await stored.json()) as { status: string }).status).toBe('COMPLETED');
});

test('reminder settings chosen in the app reach the server', async ({ page }) => {
  await signUp(page, newAccount());
  const { token } = await apiToken(page);
  await page.getByRole('link', { name: 'Settings' }).click();
  await page
    .getByLabel('Default reminder for dated tasks')
    .selectOption({ label: '15 minutes before' });
  await page.getByLabel('All-day tasks remind at').fill('07:30');
  await page.getByLabel('All-day tasks remind at').dispatchEvent('change');
  await page.getByRole('checkbox', { name: 'Email', exact: true }).check();
  await page.getByRole('checkbox', { name: 'Push notifications' }).uncheck();
  await waitUntilSynced(page);
  await expect(async () => {
    const reply = await page.request.get('/api/v1/settings', {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await reply.json()).toMatchObject({
      default_reminder_minutes: 15,
      all_day_reminder_time: '07:30',
      notify_in_app: true,
      notify_push: false,
      notify_email: true,
    });
  }).toPass({ timeout: 10_000 });
});
