import { expect, test } from './fixtures.js';
import {
  apiToken,
  newAccount,
  quickAdd,
  screenshot,
  signIn,
  signUp,
  taskRow,
  waitUntilSynced,
} from './helpers.js';

test('a new user’s tasks are still there after a reload', async ({ page }) => {
  await signUp(page, newAccount());
  await quickAdd(page, 'Buy milk');
  await quickAdd(page, 'Call the bank');
  await expect(taskRow(page, 'Buy milk')).toBeVisible();
  await waitUntilSynced(page);
  await page.reload();
  await expect(taskRow(page, 'Buy milk')).toBeVisible();
  await expect(taskRow(page, 'Call the bank')).toBeVisible();
  await screenshot(page, 'inbox');
});

test('an edit on one device appears on the other within two seconds', async ({ newContext }) => {
  const account = newAccount();
  const laptop = await (await newContext()).newPage();
  const phone = await (await newContext({ viewport: { width: 390, height: 844 } })).newPage();
  await signUp(laptop, account);
  await signIn(phone, account);
  await waitUntilSynced(phone);
  await quickAdd(laptop, 'Shared groceries');
  await expect(taskRow(phone, 'Shared groceries')).toBeVisible({ timeout: 2_000 });
  // Completing moves the task out of the Inbox, so click (check() would wait for the box to stay).
  await taskRow(phone, 'Shared groceries')
    .getByRole('checkbox', { name: 'Complete Shared groceries' })
    .click();
  await laptop.getByRole('link', { name: 'All tasks' }).click();
  await expect(
    taskRow(laptop, 'Shared groceries').getByRole('checkbox', { name: 'Reopen Shared groceries' }),
  ).toBeChecked({ timeout: 2_000 });
  await screenshot(phone, 'phone-all-tasks');
});

test('offline edits on two devices to one task all survive the reconnect', async ({
  newContext,
}) => {
  const account = newAccount();
  const contextA = await newContext();
  const contextB = await newContext();
  const a = await contextA.newPage();
  const b = await contextB.newPage();
  await signUp(a, account);
  await signIn(b, account);
  await quickAdd(a, 'Quarterly plan');
  await expect(taskRow(b, 'Quarterly plan')).toBeVisible();
  await waitUntilSynced(a);
  await waitUntilSynced(b);

  await contextA.setOffline(true);
  await expect(a.getByRole('status', { name: /Sync status: Offline/ })).toBeVisible();
  await taskRow(a, 'Quarterly plan')
    .getByRole('button', { name: 'Quarterly plan', exact: true })
    .click();
  const titleA = a.getByLabel('Title');
  await titleA.fill('Quarterly plan v2');
  await titleA.press('Tab');
  await expect(a.getByRole('status', { name: /not yet on the server/ })).toBeVisible();

  await contextB.setOffline(true);
  await taskRow(b, 'Quarterly plan')
    .getByRole('button', { name: 'Quarterly plan', exact: true })
    .click();
  await b.getByLabel('Description').fill('Numbers first, then the story.');
  const tags = b.getByLabel('Tags (comma separated)');
  await tags.fill('planning');
  await tags.press('Tab');

  await contextA.setOffline(false);
  await contextB.setOffline(false);
  for (const page of [a, b]) {
    await waitUntilSynced(page);
    await expect(page.getByLabel('Title')).toHaveValue('Quarterly plan v2');
    await expect(page.getByLabel('Description')).toHaveValue('Numbers first, then the story.');
    await expect(page.getByLabel('Tags (comma separated)')).toHaveValue('planning');
  }
  const { token } = await apiToken(a);
  const response = await a.request.get('/api/v1/tasks?q=quarterly', {
    headers: { authorization: `Bearer ${token}` },
  });
  const body = (await response.json()) as {
    items: { title: string; description: string; tags: string[] }[];
  };
  expect(body.items).toEqual([
    expect.objectContaining({
      title: 'Quarterly plan v2',
      description: 'Numbers first, then the story.',
      tags: ['planning'],
    }),
  ]);
  await screenshot(a, 'task-editor');
});

test('a title with markup is shown as text, never run', async ({ page }) => {
  let dialogs = 0;
  page.on('dialog', async (dialog) => {
    dialogs += 1;
    await dialog.dismiss();
  });
  await signUp(page, newAccount());
  const title = '<img src=x onerror=alert(1)>';
  await quickAdd(page, title);
  await expect(taskRow(page, title)).toBeVisible();
  await expect(page.getByRole('button', { name: title, exact: true })).toHaveText(title);
  expect(await page.locator('main img').count()).toBe(0);
  expect(dialogs).toBe(0);
});
