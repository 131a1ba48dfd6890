import { type APIRequestContext, expect, type Page, test } from '@playwright/test';
import {
  type Account,
  apiToken,
  newAccount,
  quickAdd,
  signIn,
  waitUntilSynced,
} from './helpers.js';

// The browser's own zone is neither the account's nor UTC: only the account can give Berlin.
test.use({ timezoneId: 'America/New_York' });

async function registerInBerlin(request: APIRequestContext): Promise<Account> {
  const account = newAccount();
  const response = await request.post('/api/v1/auth/register', {
    data: { ...account, timezone: 'Europe/Berlin' },
  });
  expect(response.status()).toBe(201);
  return account;
}

/** Due instants of the user's tasks with this title, as the server stores them. */
async function storedDue(page: Page, request: APIRequestContext, title: string) {
  await waitUntilSynced(page);
  const { token } = await apiToken(page);
  const response = await request.get(`/api/v1/tasks?q=${encodeURIComponent(title)}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(response.status()).toBe(200);
  const body = (await response.json()) as { items: { due_date: string | null }[] };
  return body.items.map((task) => task.due_date);
}

async function timeZoneSetting(page: Page) {
  await page.getByRole('link', { name: 'Settings' }).click();
  return page.getByLabel('Time zone');
}

for (const { season, now, due } of [
  { season: 'winter', now: '2027-01-12T10:00:00Z', due: '2027-01-13T14:00:00Z' },
  { season: 'summer', now: '2027-07-12T10:00:00Z', due: '2027-07-13T13:00:00Z' },
]) {
  test(`an account registered in Berlin gets "tomorrow 3pm" at 15:00 Berlin time in ${season}`, async ({
    page,
    request,
  }) => {
    const account = await registerInBerlin(request);
    await page.clock.install({ time: new Date(now) });
    await signIn(page, account);
    await expect(await timeZoneSetting(page)).toHaveValue('Europe/Berlin');

    await quickAdd(page, 'dentist tomorrow 3pm');
    expect(await storedDue(page, request, 'dentist')).toEqual([due]);
  });
}

test('a zone chosen in Settings, even UTC, stays over the account’s', async ({ page, request }) => {
  const account = await registerInBerlin(request);
  await page.clock.install({ time: new Date('2027-01-12T10:00:00Z') });
  await signIn(page, account);
  const setting = await timeZoneSetting(page);
  await expect(setting).toHaveValue('Europe/Berlin');
  await setting.selectOption('UTC');
  await waitUntilSynced(page);

  await page.reload();
  await expect(await timeZoneSetting(page)).toHaveValue('UTC');
  await quickAdd(page, 'dentist tomorrow 3pm');
  expect(await storedDue(page, request, 'dentist')).toEqual(['2027-01-13T15:00:00Z']);
});
