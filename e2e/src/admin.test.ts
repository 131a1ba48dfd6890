import { expect, test } from './fixtures.js';
import { adminAccount, apiToken, newAccount, signIn, signUp } from './helpers.js';

test('the admin invites someone by link, which works once, and can disable them', async ({
  page,
  browser,
}) => {
  await signIn(page, adminAccount());
  await page.getByRole('link', { name: 'Administration' }).click();
  await expect(page.getByRole('heading', { name: 'Administration' })).toBeVisible();
  await page.getByRole('button', { name: 'Create an invite link' }).click();
  const link = await page.getByLabel(/^Invite link/).inputValue();
  expect(link).toMatch(/\/\?invite=[A-Za-z0-9_-]+$/);

  // The invited person opens the link in a browser of their own.
  const guestContext = await browser.newContext();
  const guest = await guestContext.newPage();
  const account = newAccount();
  await guest.goto(link);
  await expect(guest.getByText('You were invited to this server')).toBeVisible();
  await guest.getByLabel('Email').fill(account.email);
  await guest.getByLabel('Username').fill(account.username);
  await guest.getByLabel('Password').fill(account.password);
  await guest.getByRole('button', { name: 'Create account' }).click();
  await expect(guest.getByLabel('Add a task')).toBeVisible();
  expect(new URL(guest.url()).search).toBe('');
  const { token } = await apiToken(guest);

  // The same link a second time is refused, with the reason.
  const otherContext = await browser.newContext();
  const other = await otherContext.newPage();
  const second = newAccount();
  await other.goto(link);
  await other.getByLabel('Email').fill(second.email);
  await other.getByLabel('Username').fill(second.username);
  await other.getByLabel('Password').fill(second.password);
  await other.getByRole('button', { name: 'Create account' }).click();
  await expect(other.getByRole('alert').first()).toContainText('already used or expired');

  // The admin disables the invited account: its token stops working at once.
  await page.reload();
  const row = page.getByRole('row', { name: account.email });
  await row.getByRole('button', { name: `Disable ${account.username}` }).click();
  await expect(row.getByRole('cell', { name: 'Disabled' })).toBeVisible();
  const status = await guest.evaluate(async (accessToken) => {
    const reply = await fetch('/api/v1/tasks', {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    return reply.status;
  }, token);
  expect(status).toBe(401);
  await guestContext.close();
  await otherContext.close();
});

test('a user who is not an admin sees no Administration link', async ({ page }) => {
  await signUp(page, newAccount());
  await expect(page.getByRole('link', { name: 'Settings' })).toBeVisible();
  // The sidebar asks the server for the role (GET /auth/me): its answer is in once the network
  // is idle (the sync socket does not count).
  await page.waitForLoadState('networkidle');
  await expect(page.getByRole('link', { name: 'Administration' })).toHaveCount(0);
});
