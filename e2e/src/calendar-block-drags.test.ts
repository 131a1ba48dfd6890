import { randomUUID } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { apiToken, newAccount, showWeekOf, signUp } from './helpers.js';

// The user's zone is the browser's, UTC (working hours 09:00-17:00 on weekdays, the defaults);
// the browser believes it is Monday 23 March 2026, 07:00.
test.use({ timezoneId: 'UTC' });
const NOW = new Date('2026-03-23T07:00:00Z');
const DAY = '2026-03-24';

test('a task dragged from the list onto the grid gets a pinned block; its bottom edge dragged resizes it', async ({
  page,
}) => {
  await page.clock.install({ time: NOW });
  await signUp(page, newAccount());
  const { token } = await apiToken(page);
  const suffix = randomUUID().slice(0, 6);
  const [write, read] = [`Write report ${suffix}`, `Read papers ${suffix}`];
  for (const [title, minutes] of [
    [write, 60],
    [read, 30],
  ] as const) {
    const created = await page.request.post('/api/v1/tasks', {
      headers: { authorization: `Bearer ${token}` },
      data: { title, estimated_duration: minutes },
    });
    expect(created.status()).toBe(201);
  }

  const column = await showWeekOf(page, DAY);
  const toPlace = page.getByRole('list', { name: 'Tasks to place' });
  await expect(toPlace.getByRole('button', { name: write })).toBeVisible({ timeout: 10_000 });
  await expect(toPlace).toContainText(`${write}: 1 h, no block this week`);

  // Dragged onto Tuesday's grid (09:00-17:00 shown) at 11:00: a pinned block of its estimate.
  const grid = column.locator('.hour-grid');
  const box = await grid.boundingBox();
  if (!box) throw new Error('the day has no hour grid');
  const at = (hour: number) => ({ x: box.width / 2, y: (box.height * (hour - 9)) / 8 });
  // Picked up by its line of text (the list item is what drags).
  await toPlace
    .locator('li', { hasText: write })
    .locator('.note')
    .dragTo(grid, { targetPosition: at(11) });
  const block = column.getByRole('article', { name: `Planned: ${write}` });
  await expect(block).toContainText('11:00–12:00 · pinned');
  await expect(toPlace.getByRole('button', { name: write })).toHaveCount(0);

  // Its bottom edge dragged to 13:00: it ends there, still pinned.
  await block.locator('.block-resize').dragTo(grid, { targetPosition: at(13) });
  await expect(block).toContainText('11:00–13:00 · pinned');
  // The keyboard's way of resizing: a quarter of an hour longer, then shorter.
  await block.getByRole('button', { name: '15 minutes longer' }).press('Enter');
  await expect(block).toContainText('11:00–13:15 · pinned');
  await block.getByRole('button', { name: '15 minutes shorter' }).press('Enter');
  await expect(block).toContainText('11:00–13:00 · pinned');

  // The keyboard's way of dragging a task onto the grid: a start typed in the list.
  await toPlace.getByLabel(`Block for ${read} at`).fill(`${DAY}T15:00`);
  await toPlace.getByRole('button', { name: 'Place block' }).click();
  await expect(column.getByRole('article', { name: `Planned: ${read}` })).toContainText(
    '15:00–15:30 · pinned',
  );
  await expect(toPlace).toHaveCount(0);

  // A re-plan leaves both where the user put them.
  await page.getByRole('button', { name: 'Re-plan' }).click();
  await expect(block).toContainText('11:00–13:00 · pinned');
  await expect(column.getByRole('article', { name: `Planned: ${read}` })).toContainText(
    '15:00–15:30 · pinned',
  );
});
