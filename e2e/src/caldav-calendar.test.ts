import { randomUUID } from 'node:crypto';
import { DATES, expect, test } from './fixtures.js';
import { quickAdd, screenshot, taskRow, uniqueTitle } from './helpers.js';
import { type RadicaleCalendar, radicaleUrl, signUpWithCalendar } from './radicale-calendar.js';

// The user's zone is the browser's: UTC, so "today" here is today in the week view too.
test.use({ timezoneId: 'UTC' });

const utcDay = (offset: number) =>
  new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

const summaries = async (calendar: RadicaleCalendar) =>
  (await calendar.provider.pullChanges(null)).changed.map((event) => event.summary);

test.describe('a CalDAV calendar on Radicale', { tag: DATES }, () => {
  // Never in CI: under REQUIRE_SERVICES=1 global-setup fails instead when Radicale is missing.
  test.skip(radicaleUrl() === null, 'Radicale could not be installed here (see global-setup)');

  test('connects, sends a dated task there and shows its events in the week', async ({ page }) => {
    const { calendar } = await signUpWithCalendar(page);
    const connection = page
      .getByRole('list', { name: 'Connected calendars' })
      .getByRole('listitem');
    await expect(connection).toContainText(`CalDAV — ${calendar.calendarPath}`);
    await connection.getByRole('button', { name: 'Sync now' }).click();
    await expect(connection.getByRole('status')).toHaveText('CalDAV is in sync.', {
      timeout: 20_000,
    });
    await expect(connection).toContainText('success');
    await expect(connection).toContainText('last sync just now');
    await connection.scrollIntoViewIfNeeded();
    await screenshot(page, 'caldav-settings');

    // A task with a date becomes an event on the CalDAV server (the bridge syncs on change).
    const title = uniqueTitle('Dentist');
    await page.getByRole('link', { name: 'Inbox' }).first().click();
    await quickAdd(page, `${title} today`);
    await expect.poll(() => summaries(calendar), { timeout: 30_000 }).toContain(title);

    // Events someone puts in the calendar show in the week view after a sync: a timed one, and
    // an all-day one in the all-day row.
    const event = {
      description: '',
      recurrence: null,
      exceptions: [] as string[],
      taskId: null,
      priority: null,
    } as const;
    await calendar.provider.createEvent(
      {
        ...event,
        summary: 'Standup with the team',
        start: { dateTime: `${utcDay(0)}T12:00:00Z`, timeZone: 'UTC' },
        end: { dateTime: `${utcDay(0)}T12:15:00Z`, timeZone: 'UTC' },
      },
      randomUUID(),
    );
    await calendar.provider.createEvent(
      { ...event, summary: 'Team offsite', start: { date: utcDay(0) }, end: { date: utcDay(1) } },
      randomUUID(),
    );
    await page.getByRole('link', { name: 'Settings' }).click();
    await connection.getByRole('button', { name: 'Sync now' }).click();
    await expect(connection.getByRole('status')).toHaveText('CalDAV is in sync.', {
      timeout: 20_000,
    });
    await page.getByRole('link', { name: 'Calendar' }).click();
    const standup = page.getByRole('article', { name: 'Calendar event: Standup with the team' });
    await expect(standup).toBeVisible({ timeout: 10_000 });
    await expect(standup).toContainText('12:00–12:15');
    const offsite = page.getByRole('article', { name: 'Calendar event: Team offsite' });
    await expect(offsite).toContainText('All day');
    // The task's own event is the task, not a second card.
    await expect(page.getByText(title)).toHaveCount(1);
    await screenshot(page, 'caldav-connected');
  });

  test('skips a day of a repeating task, and the calendar leaves that day out', async ({
    page,
  }) => {
    const { calendar } = await signUpWithCalendar(page);
    const title = uniqueTitle('Yoga');
    await page.getByRole('link', { name: 'Inbox' }).first().click();
    await quickAdd(page, `${title} today daily`);
    const series = async () =>
      (await calendar.provider.pullChanges(null)).changed.find((event) => event.summary === title);
    await expect
      .poll(async () => (await series())?.recurrence, { timeout: 30_000 })
      .toBe('FREQ=DAILY');

    await taskRow(page, title).getByRole('button', { name: title, exact: true }).click();
    const editor = page.getByRole('dialog', { name: 'Edit task' });
    await editor.getByRole('button', { name: /^Skip / }).click();
    await expect(editor).toContainText('1 occurrence skipped');
    // The task moved to tomorrow; the series on the server starts there and skips today.
    await expect
      .poll(
        async () => {
          const event = await series();
          return event && { start: event.start, exceptions: event.exceptions };
        },
        { timeout: 30_000 },
      )
      .toEqual({ start: { date: utcDay(1) }, exceptions: [utcDay(0)] });
    await screenshot(page, 'caldav-skip');
  });

  test('shows a conflict in the notifications and keeps the version that lost', async ({
    page,
  }) => {
    const { calendar } = await signUpWithCalendar(page);
    const title = uniqueTitle('Review');
    await page.getByRole('link', { name: 'Inbox' }).first().click();
    await quickAdd(page, `${title} today`);
    await expect.poll(() => summaries(calendar), { timeout: 30_000 }).toContain(title);

    // Both sides change before the next sync, the task last (timestamps are whole seconds).
    const pulled = await calendar.provider.pullChanges(null);
    const event = pulled.changed.find((candidate) => candidate.summary === title);
    if (!event) throw new Error('the task’s event vanished');
    await calendar.provider.updateEvent(
      event.id,
      { ...event, summary: `${title} (calendar)` },
      event.etag,
    );
    await page.waitForTimeout(1_100);
    await taskRow(page, title).getByRole('button', { name: title, exact: true }).click();
    const titleField = page.getByLabel('Title');
    await titleField.fill(`${title} (app)`);
    await titleField.press('Tab');
    await page
      .getByRole('dialog', { name: 'Edit task' })
      .getByRole('button', { name: 'Close' })
      .click();
    // The task won: its title goes to the calendar; the calendar's edit goes to the inbox.
    await expect.poll(() => summaries(calendar), { timeout: 30_000 }).toContain(`${title} (app)`);

    await page.getByRole('link', { name: 'Notifications' }).click();
    const notice = page
      .getByRole('list', { name: 'Notifications' })
      .getByRole('listitem')
      .filter({ hasText: 'A calendar edit lost to a newer task change' });
    await expect(notice).toBeVisible({ timeout: 15_000 });
    await expect(notice).toContainText(`“${title} (app)”: the task’s change was newer`);
    await expect(notice.getByRole('definition')).toHaveText(`${title} (app) → ${title} (calendar)`);
    await screenshot(page, 'caldav-conflict');
    await notice.getByRole('button', { name: 'Keep the other version' }).click();
    await expect(notice).toHaveCount(0);
    await expect
      .poll(() => summaries(calendar), { timeout: 30_000 })
      .toContain(`${title} (calendar)`);
  });
});
