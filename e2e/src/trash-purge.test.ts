import { expect, test } from '@playwright/test';
import {
  newAccount,
  quickAdd,
  signUp,
  taskRow,
  waitForServiceWorker,
  waitUntilSynced,
} from './helpers.js';

const DAY = 86_400_000;
// Far from any real "now" the server's own daily purge could reach: only the app can purge here.
const T0 = new Date('2040-01-12T10:00:00Z').getTime();

test('the app empties its trash of tasks deleted more than 30 days ago when it starts', async ({
  page,
  context,
}) => {
  await page.clock.install({ time: new Date(T0) });
  await signUp(page, newAccount());
  await waitForServiceWorker(page);
  for (const title of ['old news', 'recent news', 'kept news']) await quickAdd(page, title);
  await page.getByRole('button', { name: 'Delete old news' }).click();
  await page.clock.setSystemTime(new Date(T0 + 2 * DAY));
  await page.getByRole('button', { name: 'Delete recent news' }).click();
  await waitUntilSynced(page);
  await page.getByRole('link', { name: 'Trash' }).click();
  await expect(taskRow(page, 'old news')).toBeVisible();
  await expect(taskRow(page, 'recent news')).toBeVisible();

  // Offline, so nothing but this device's own start can change its copy.
  await context.setOffline(true);
  await page.clock.setSystemTime(new Date(T0 + 31 * DAY));
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Trash' })).toBeVisible();
  await expect(taskRow(page, 'recent news')).toBeVisible(); // deleted 29 days ago
  await expect(taskRow(page, 'old news')).toHaveCount(0); // deleted 31 days ago
  await page.getByRole('link', { name: 'All tasks' }).click();
  await expect(taskRow(page, 'kept news')).toBeVisible();
});
