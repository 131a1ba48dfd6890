import { randomUUID } from 'node:crypto';
import { fakeGoogle } from './fake-google.js';
import { DATES, expect, test } from './fixtures.js';
import { newAccount, quickAdd, screenshot, showWeekOf, signUp, uniqueTitle } from './helpers.js';

// 09:00 UTC falls on this date in every zone from UTC−9 to UTC+14 (the browser's and the user's).
const tomorrowUtc = () => new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);

test('connects Google through its consent page, sends a dated task there and shows its meetings', {
  tag: DATES,
}, async ({ page }) => {
  const google = fakeGoogle();
  await signUp(page, newAccount());
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('button', { name: 'Connect Google Calendar' }).click();
  // The provider's consent page sends the browser back; the app finishes connecting.
  await expect(
    page.getByRole('status').filter({ hasText: 'Google Calendar connected' }),
  ).toBeVisible({
    timeout: 15_000,
  });
  await expect(page).toHaveURL(/#\/settings$/);
  const connection = page.getByRole('list', { name: 'Connected calendars' }).getByRole('listitem');
  await expect(connection).toContainText('Google Calendar — primary');

  // A task with a date becomes an event in Google.
  const title = uniqueTitle('Dentist');
  await page.getByRole('link', { name: 'Inbox' }).first().click();
  await quickAdd(page, `${title} tomorrow`);
  await expect
    .poll(
      async () => (await google.pullChanges(null)).changed.some((event) => event.summary === title),
      {
        timeout: 20_000,
      },
    )
    .toBe(true);

  // A meeting someone puts in Google shows in the week view after a sync.
  const meetingDay = tomorrowUtc();
  await google.createEvent(
    {
      summary: 'Standup with the team',
      description: '',
      start: { dateTime: `${meetingDay}T09:00:00Z`, timeZone: 'UTC' },
      end: { dateTime: `${meetingDay}T09:15:00Z`, timeZone: 'UTC' },
      recurrence: null,
      exceptions: [],
      taskId: null,
      priority: null,
    },
    randomUUID(),
  );
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('button', { name: 'Sync now' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'is in sync' })).toBeVisible({
    timeout: 20_000,
  });
  await expect(connection).toContainText('success');
  // Tomorrow is in next week's view on a Sunday: open the week that holds it.
  const column = await showWeekOf(page, meetingDay);
  await expect(column.getByText('Standup with the team')).toBeVisible({ timeout: 10_000 });
  await screenshot(page, 'calendar-connected');
});
