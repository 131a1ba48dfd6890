import { type APIRequestContext, expect, type Page, test } from '@playwright/test';
import {
  type Account,
  newAccount,
  quickAdd,
  screenshot,
  signUp,
  taskRow,
  waitForServiceWorker,
  waitUntilSynced,
} from './helpers.js';

// A month long past, so its time entries live in a month document the app does not open at
// start (it opens the current and the previous month).
const PAST_DAY = '2024-03-05';

async function signInThroughApi(request: APIRequestContext, account: Account): Promise<string> {
  const response = await request.post('/api/v1/auth/login', {
    data: { email: account.email, password: account.password },
  });
  expect(response.status()).toBe(200);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** What the server holds: task titles, and descriptions of time entries in March 2024. */
async function serverCopy(request: APIRequestContext, account: Account) {
  const headers = { authorization: `Bearer ${await signInThroughApi(request, account)}` };
  const tasks = (await (await request.get('/api/v1/tasks', { headers })).json()) as {
    items: { title: string }[];
  };
  const entries = (await (
    await request.get('/api/v1/time/entries?start_date=2024-03-01&end_date=2024-03-31', {
      headers,
    })
  ).json()) as { entries: { description: string | null }[] };
  return {
    titles: tasks.items.map((task) => task.title),
    entries: entries.entries.map((entry) => entry.description),
  };
}

async function addPastTimeEntry(page: Page, description: string): Promise<void> {
  await page.getByRole('link', { name: 'Time', exact: true }).click();
  await page.getByLabel('Date', { exact: true }).fill(PAST_DAY);
  await page.getByLabel('Start time').fill('09:00');
  await page.getByLabel('End time').fill('10:30');
  await page.getByLabel('Entry description').fill(description);
  await page.getByRole('button', { name: 'Add entry' }).click();
  await expect(page.getByText('Time entry added (outside the listed week)')).toBeVisible();
}

async function askToSignOut(page: Page): Promise<void> {
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('button', { name: 'Sign out', exact: true }).click();
}

function signOutDialog(page: Page) {
  return page.getByRole('alertdialog');
}

test('signing out offline warns about unsynced changes, keeps them on cancel, and signs out once they reach the server', async ({
  browser,
}) => {
  const account = newAccount();
  const context = await browser.newContext({ timezoneId: 'UTC' });
  const page = await context.newPage();
  await signUp(page, account);
  await waitUntilSynced(page);
  await waitForServiceWorker(page);

  await context.setOffline(true);
  await quickAdd(page, 'Written offline');
  await addPastTimeEntry(page, 'Offline hours');
  const status = page.getByRole('status', { name: /^Sync status: Offline/ });
  await expect(status).toHaveAccessibleName(/· 2 changes not yet on the server$/);
  // A new session, still offline: the March document is not open until something asks for it,
  // yet its change still counts.
  await page.reload();
  await expect(status).toHaveAccessibleName(/· 2 changes not yet on the server$/);

  await askToSignOut(page);
  const dialog = signOutDialog(page);
  await expect(dialog).toHaveAccessibleName('Sign out with unsynced changes?');
  await expect(dialog).toContainText('2 changes made on this device are not on the server yet.');
  await expect(dialog).toContainText('You are offline.');
  await screenshot(page, 'sign-out-warning');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();

  // "Sign out anyway" asks again; keeping the changes leaves everything in place.
  await askToSignOut(page);
  await dialog.getByRole('button', { name: 'Sign out anyway' }).click();
  await expect(dialog).toHaveAccessibleName('Discard 2 changes?');
  await dialog.getByRole('button', { name: 'Keep my changes' }).click();
  await expect(dialog).toBeHidden();
  await page.getByRole('link', { name: 'All tasks' }).click();
  await expect(taskRow(page, 'Written offline')).toBeVisible();
  await expect(status).toHaveAccessibleName(/· 2 changes not yet on the server$/);

  await askToSignOut(page);
  await dialog.getByRole('button', { name: 'Wait and sign out' }).click();
  await expect(dialog).toHaveAccessibleName('Waiting to sign out');
  await expect(dialog).toContainText('You are offline: this happens once you are back online.');
  await context.setOffline(false);
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible({ timeout: 15_000 });

  const server = await serverCopy(page.request, account);
  expect(server.titles).toContain('Written offline');
  expect(server.entries).toEqual(['Offline hours']);
  await context.close();
});

test('signing out anyway discards unsynced changes only after a second confirmation', async ({
  browser,
}) => {
  const account = newAccount();
  const context = await browser.newContext();
  const page = await context.newPage();
  await signUp(page, account);
  await quickAdd(page, 'Kept on the server');
  await waitUntilSynced(page);

  await context.setOffline(true);
  await quickAdd(page, 'Only on this device');
  await askToSignOut(page);
  const dialog = signOutDialog(page);
  await dialog.getByRole('button', { name: 'Sign out anyway' }).click();
  await expect(dialog).toHaveAccessibleName('Discard 1 change?');
  await expect(page.getByLabel('Add a task')).toBeVisible();
  await dialog.getByRole('button', { name: 'Discard 1 change and sign out' }).click();
  await expect(page.getByRole('button', { name: 'Sign in' })).toBeVisible();

  await context.setOffline(false);
  const server = await serverCopy(page.request, account);
  expect(server.titles).toEqual(['Kept on the server']);
  await context.close();
});
