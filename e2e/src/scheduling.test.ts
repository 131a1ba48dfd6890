import { randomUUID } from 'node:crypto';
import { DATES, expect, test } from './fixtures.js';
import { apiToken, screenshot, showWeekOf, uniqueTitle } from './helpers.js';
import { radicaleUrl, signUpWithCalendar } from './radicale-calendar.js';

// The user's zone is the browser's: UTC, working hours 09:00-17:00 on weekdays (the defaults).
test.use({ timezoneId: 'UTC' });

/** The first weekday (UTC) at least two days from now, so that all of its working hours are ahead. */
function aWorkingDayAhead(): string {
  for (let offset = 2; ; offset += 1) {
    const day = new Date(Date.now() + offset * 86_400_000);
    if (day.getUTCDay() !== 0 && day.getUTCDay() !== 6) return day.toISOString().slice(0, 10);
  }
}

test.describe('planning a week around a CalDAV meeting', { tag: DATES }, () => {
  // Never in CI: under REQUIRE_SERVICES=1 global-setup fails instead when Radicale is missing.
  test.skip(radicaleUrl() === null, 'Radicale could not be installed here (see global-setup)');

  test('places blocks around the meeting with their reasons; a moved block stays on re-plan; blocks go to Radicale as events and leave with their task', async ({
    page,
  }) => {
    const { calendar } = await signUpWithCalendar(page);
    const day = aWorkingDayAhead();
    await calendar.provider.createEvent(
      {
        summary: 'Design review',
        description: '',
        start: { dateTime: `${day}T09:00:00Z`, timeZone: 'UTC' },
        end: { dateTime: `${day}T10:00:00Z`, timeZone: 'UTC' },
        recurrence: null,
        exceptions: [],
        taskId: null,
        priority: null,
      },
      randomUUID(),
    );
    const connection = page
      .getByRole('list', { name: 'Connected calendars' })
      .getByRole('listitem');
    await connection.getByRole('button', { name: 'Sync now' }).click();
    await expect(connection.getByRole('status')).toHaveText('CalDAV is in sync.', {
      timeout: 20_000,
    });

    // A two-hour task that may start on that day, through the REST API like another client.
    const { token } = await apiToken(page);
    const title = uniqueTitle('Write report');
    const created = await page.request.post('/api/v1/tasks', {
      headers: { authorization: `Bearer ${token}` },
      data: { title, estimated_duration: 120, start_date: day, priority: 'HIGH' },
    });
    expect(created.status()).toBe(201);
    const { id: taskId } = (await created.json()) as { id: string };

    const column = await showWeekOf(page, day);
    await expect(
      column.getByRole('article', { name: 'Calendar event: Design review' }),
    ).toBeVisible({
      timeout: 10_000,
    });
    await expect(column.getByRole('button', { name: title })).toBeVisible({ timeout: 10_000 });
    await page.getByRole('button', { name: 'Plan my week' }).click();

    // After the meeting and its 5-minute buffer: 10:05-12:05, with why.
    const block = column.getByRole('article', { name: `Planned: ${title}` });
    await expect(block).toContainText('10:05–12:05 · planned');
    await block.getByRole('button', { name: title }).focus();
    const reasons = block.getByRole('list', { name: 'Why here' });
    await expect(reasons).toBeVisible();
    await expect(reasons).toContainText('priority high');
    await expect(reasons).toContainText('first free 120-minute slot in working hours');
    await screenshot(page, 'scheduling-planned');

    // Moved with the keyboard (the drag's alternative): pinned, and a re-plan leaves it there.
    await block.getByRole('button', { name: '15 minutes later' }).press('Enter');
    await expect(block).toContainText('10:20–12:20 · pinned');
    await page.getByRole('button', { name: 'Re-plan' }).click();
    await expect(block).toContainText('10:20–12:20 · pinned');

    // Dragged on the hour grid (09:00-17:00 shown) to 14:00: it starts there, and stays there.
    const grid = column.locator('.hour-grid');
    const box = await grid.boundingBox();
    if (!box) throw new Error('the day has no hour grid');
    await block.dragTo(grid, { targetPosition: { x: box.width / 2, y: (box.height * 5) / 8 } });
    await expect(block).toContainText('14:00–16:00 · pinned');
    await page.getByRole('button', { name: 'Re-plan' }).click();
    await expect(block).toContainText('14:00–16:00 · pinned');
    await expect(column.getByRole('article', { name: `Planned: ${title}` })).toHaveCount(1);

    // A task for that day alone needing more than it has left is listed with why; given a start
    // with the keyboard, it gets a pinned block there, beside the one it overlaps.
    const big = uniqueTitle('Migrate data');
    const bigTask = await page.request.post('/api/v1/tasks', {
      headers: { authorization: `Bearer ${token}` },
      data: { title: big, estimated_duration: 300, start_date: day, due_date: day },
    });
    expect(bigTask.status()).toBe(201);
    await expect(column.getByRole('button', { name: big })).toBeVisible({ timeout: 10_000 });
    await page.getByRole('button', { name: 'Re-plan' }).click();
    const notPlanned = page.getByRole('list', { name: 'Not planned' });
    // 10:05-13:55 and 16:05-17:00 are free: 4 h 45 min.
    await expect(notPlanned).toContainText(`${big}: needs 5 h by`);
    await expect(notPlanned).toContainText('4 h 45 min free');
    await notPlanned.getByLabel(`Block for ${big} at`).fill(`${day}T10:30`);
    await notPlanned.getByRole('button', { name: 'Place block' }).click();
    const placed = column.getByRole('article', { name: `Planned: ${big}` });
    await expect(placed).toContainText('10:30–15:30 · pinned');
    await expect(notPlanned).toHaveCount(0);
    await screenshot(page, 'scheduling-moved');

    // The month view lists the day's meeting and blocks; its date opens the day on its grid.
    await page.getByRole('button', { name: 'Month', exact: true }).click();
    const cell = page.locator(`article.month-day[data-date="${day}"]`);
    await expect(cell).toContainText('09:00 Design review');
    await expect(cell).toContainText(`14:00 ${title}`);
    await cell.getByRole('button', { name: String(Number(day.slice(8))) }).click();
    await expect(page.locator('section[data-date]')).toHaveCount(1);
    await expect(column.getByRole('article', { name: `Planned: ${title}` })).toContainText(
      '14:00–16:00 · pinned',
    );

    // "Put planned blocks in my calendar": both blocks go to Radicale as events, once each.
    const blockEvents = async () =>
      (await calendar.provider.pullChanges(null)).changed
        .filter((event) => event.taskId?.startsWith('block:'))
        .map((event) => {
          const start = 'dateTime' in event.start ? new Date(event.start.dateTime) : null;
          return `${event.summary} ${start?.toISOString() ?? 'all day'}`;
        })
        .sort();
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByLabel('Put planned blocks in my calendar', { exact: false }).check();
    // One calendar receives them: by default the first connected, here the only one.
    await expect(page.getByLabel('Calendar for planned blocks')).toHaveValue('');
    await expect(
      page.getByText(`Planned blocks go to CalDAV — ${calendar.calendarPath} only.`),
    ).toBeVisible();
    // Paused, it receives none (and none other syncs); resumed, it does again.
    await connection.getByRole('button', { name: 'Pause' }).click();
    await expect(
      page.getByText('No connected calendar syncs now: planned blocks wait for one.'),
    ).toBeVisible();
    await connection.getByRole('button', { name: 'Resume' }).click();
    await expect(
      page.getByText(`Planned blocks go to CalDAV — ${calendar.calendarPath} only.`),
    ).toBeVisible();
    await connection.getByRole('button', { name: 'Sync now' }).click();
    await expect
      .poll(blockEvents, { timeout: 30_000 })
      .toEqual([`${big} ${day}T10:30:00.000Z`, `${title} ${day}T14:00:00.000Z`].sort());

    // The task is completed: its block's event leaves the calendar; the other stays.
    const completed = await page.request.patch(`/api/v1/tasks/${taskId}`, {
      headers: { authorization: `Bearer ${token}` },
      data: { status: 'COMPLETED' },
    });
    expect(completed.status()).toBe(200);
    await connection.getByRole('button', { name: 'Sync now' }).click();
    await expect.poll(blockEvents, { timeout: 30_000 }).toEqual([`${big} ${day}T10:30:00.000Z`]);
  });
});
