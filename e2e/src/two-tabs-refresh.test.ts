import { expect, test } from './fixtures.js';
import { newAccount, quickAdd, signUp, taskRow, waitUntilSynced } from './helpers.js';

test('two tabs refreshing at once stay signed in, with one refresh between them', async ({
  context,
  page,
}) => {
  await signUp(page, newAccount());
  await waitUntilSynced(page);
  const refreshes: string[] = [];
  context.on('request', (request) => {
    if (request.url().endsWith('/api/v1/auth/refresh')) refreshes.push(request.url());
  });
  // The stored access token is due: each tab refreshes as soon as it opens.
  await page.evaluate(() => {
    const session = JSON.parse(localStorage.getItem('tasks.session') ?? '{}');
    localStorage.setItem('tasks.session', JSON.stringify({ ...session, expiresAt: Date.now() }));
  });
  const second = await context.newPage();
  await Promise.all([page.reload(), second.goto('/')]);
  for (const tab of [page, second]) {
    await expect(tab.getByLabel('Add a task')).toBeVisible();
    await waitUntilSynced(tab);
  }
  expect(refreshes).toHaveLength(1);
  await expect(page.getByText('Your session ended')).toHaveCount(0);
  await expect(second.getByText('Your session ended')).toHaveCount(0);
  // Both tabs still sync with the server: a task added in one shows in the other.
  await quickAdd(second, 'Added in the second tab');
  await expect(taskRow(page, 'Added in the second tab')).toBeVisible({ timeout: 15_000 });
  // And the session the tabs share still refreshes.
  const response = await page.evaluate(async () => {
    const session = JSON.parse(localStorage.getItem('tasks.session') ?? '{}');
    const reply = await fetch('/api/v1/auth/refresh', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: session.refreshToken }),
    });
    return reply.status;
  });
  expect(response).toBe(200);
});
