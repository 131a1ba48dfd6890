import { DATES, expect, test } from './fixtures.js';
import {
  newAccount,
  quickAdd,
  screenshot,
  signIn,
  signUp,
  taskRow,
  waitUntilSynced,
} from './helpers.js';

test('a timer started on one device runs on the other, and its time shows in analytics', {
  tag: DATES,
}, async ({ newContext }) => {
  const account = newAccount();
  const desk = await (await newContext()).newPage();
  const phone = await (await newContext()).newPage();
  await signUp(desk, account);
  await signIn(phone, account);
  await quickAdd(desk, 'Write the report');
  await expect(taskRow(phone, 'Write the report')).toBeVisible();

  await taskRow(desk, 'Write the report')
    .getByRole('button', { name: 'Start timer for Write the report' })
    .click();
  await expect(phone.getByRole('timer', { name: 'Running timer: Write the report' })).toBeVisible({
    timeout: 5_000,
  });
  await expect(desk).toHaveTitle(/Write the report/);
  await desk.waitForTimeout(2_500);
  await phone.getByRole('button', { name: 'Stop running timer' }).click();
  await expect(desk.getByRole('timer')).toHaveCount(0, { timeout: 5_000 });
  await waitUntilSynced(phone);

  await desk.getByRole('link', { name: 'Time' }).click();
  await expect(desk.getByRole('table', { name: 'Time entries' })).toContainText('Write the report');
  await screenshot(desk, 'time');

  await desk.getByRole('link', { name: 'Analytics' }).click();
  await desk.getByRole('button', { name: '7 days' }).click();
  const total = desk.locator('.stat', { hasText: 'Total time tracked' }).locator('strong');
  await expect(total).toHaveText(/^0:00:0[2-9]$/);
  await screenshot(desk, 'analytics');
});

test('the main views render for a user with data', { tag: DATES }, async ({ page }) => {
  await signUp(page, newAccount());
  await quickAdd(page, 'Plan sprint tomorrow 10am #work !high ~1h');
  await quickAdd(page, 'Water plants every monday');
  await waitUntilSynced(page);
  for (const [link, name] of [
    ['Today', 'today'],
    ['Upcoming', 'upcoming'],
    ['Board', 'board'],
    ['Calendar', 'calendar'],
    ['Settings', 'settings'],
  ] as const) {
    // A view's link carries a count when tasks are due in it ("Today 1" on the day "every
    // monday" falls due): the name is matched with or without it, whatever the date.
    await page
      .getByRole('navigation', { name: 'Views' })
      .getByRole('link', { name: new RegExp(`^${link}( \\d+)?$`) })
      .click();
    await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
    await screenshot(page, name);
  }
});
