import { expect, test } from './fixtures.js';
import {
  newAccount,
  quickAdd,
  screenshot,
  signIn,
  signUp,
  taskRow,
  waitForServiceWorker,
  waitUntilSynced,
} from './helpers.js';

test('with the network off, a reload still opens the app with the user’s tasks, and edits reach the other device later', async ({
  newContext,
}) => {
  const account = newAccount();
  const laptopContext = await newContext();
  const laptop = await laptopContext.newPage();
  const phone = await (await newContext()).newPage();
  await signUp(laptop, account);
  await quickAdd(laptop, 'Pack for the trip');
  await waitUntilSynced(laptop);
  await waitForServiceWorker(laptop);
  expect(await laptop.evaluate(() => navigator.serviceWorker.controller?.state)).toBe('activated');

  await laptopContext.setOffline(true);
  await laptop.reload();
  await expect(laptop.getByLabel('Add a task')).toBeVisible();
  await expect(taskRow(laptop, 'Pack for the trip')).toBeVisible();
  await expect(laptop.getByRole('status', { name: /Sync status: Offline/ })).toBeVisible();
  await quickAdd(laptop, 'Written on the plane');
  await expect(taskRow(laptop, 'Written on the plane')).toBeVisible();
  await screenshot(laptop, 'offline-inbox');

  await signIn(phone, account);
  await expect(taskRow(phone, 'Pack for the trip')).toBeVisible();
  await expect(taskRow(phone, 'Written on the plane')).toHaveCount(0);

  await laptopContext.setOffline(false);
  await expect(taskRow(phone, 'Written on the plane')).toBeVisible({ timeout: 15_000 });
  await waitUntilSynced(laptop);
});
