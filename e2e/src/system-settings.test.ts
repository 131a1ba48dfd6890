import { expect, test } from './fixtures.js';
import { adminAccount, apiToken, newAccount, signIn, signUp } from './helpers.js';

test('an admin reads the server’s health under Settings → System', async ({ page }) => {
  await signIn(page, adminAccount());
  await page.getByRole('link', { name: 'Settings' }).click();
  const system = page.getByRole('region', { name: 'System' });
  await expect(system.getByRole('heading', { name: 'System' })).toBeVisible();
  // The admin's own page holds a sync socket open: at least one connection, read by the server.
  const connections = system.getByRole('definition').first();
  await expect(connections).toHaveText(/^[1-9]\d*$/);
  const queues = system.getByRole('table', { name: 'Job queues' });
  for (const queue of ['Calendar syncs', 'Reminders', 'Emails']) {
    await expect(queues.getByRole('row', { name: new RegExp(`^${queue}`) })).toBeVisible();
  }
  await expect(system.getByText('Failing calendar connections')).toBeVisible();
  await expect(system.getByRole('heading', { name: 'Last errors' })).toBeVisible();
  await system.getByRole('button', { name: 'Refresh' }).click();
  await expect(connections).toHaveText(/^[1-9]\d*$/);
});

test('a user who is not an admin sees no System section, and the server refuses them', async ({
  page,
}) => {
  await signUp(page, newAccount());
  await page.getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByRole('heading', { name: 'Settings', level: 1 })).toBeVisible();
  // The section waits for the role (GET /auth/me): its answer is in once the network is idle.
  await page.waitForLoadState('networkidle');
  await expect(page.getByRole('heading', { name: 'System' })).toHaveCount(0);
  const { token } = await apiToken(page);
  const status = await page.evaluate(async (accessToken) => {
    const reply = await fetch('/api/v1/admin/system', {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    return reply.status;
  }, token);
  expect(status).toBe(403);
});
