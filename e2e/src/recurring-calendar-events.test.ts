import { randomUUID } from 'node:crypto';
import { expect, test } from '@playwright/test';
import { editCaldavOccurrence } from '@tasks/connectors';
import { apiToken, newAccount, screenshot, showWeekOf, signUp } from './helpers.js';
import { createRadicaleCalendar, radicaleUrl } from './radicale-calendar.js';

// The user's zone is the browser's, Berlin's; the browser believes it is Wednesday 18 March 2026.
test.use({ timezoneId: 'Europe/Berlin' });
const NOW = new Date('2026-03-18T10:00:00Z');

test.describe('a weekly meeting from a CalDAV calendar on Radicale', () => {
  // Never in CI: under REQUIRE_SERVICES=1 global-setup fails instead when Radicale is missing.
  test.skip(radicaleUrl() === null, 'Radicale could not be installed here (see global-setup)');

  test('shows on every week it happens, moved and cancelled occurrences included, across DST', async ({
    page,
  }) => {
    await page.clock.install({ time: NOW });
    const serverUrl = radicaleUrl() as string;
    const account = newAccount();
    await signUp(page, account);

    // Mondays 10:00 in Berlin since 2020 (inside the server's sync window whatever its clock
    // says), made in another client; on 23 March 2026 it moves to Tuesday 14:00, on 6 April it
    // is cancelled. Berlin changes to summer time on 29 March.
    const calendar = await createRadicaleCalendar(serverUrl, account.username);
    const series = await calendar.provider.createEvent(
      {
        summary: 'Weekly sync',
        description: '',
        start: { dateTime: '2020-01-06T09:00:00Z', timeZone: 'Europe/Berlin' },
        end: { dateTime: '2020-01-06T09:30:00Z', timeZone: 'Europe/Berlin' },
        recurrence: 'FREQ=WEEKLY;BYDAY=MO',
        exceptions: [],
        taskId: null,
        priority: null,
      },
      randomUUID(),
    );
    const objectUrl = new URL(series.id, serverUrl);
    const authorization = `Basic ${Buffer.from(`${account.username}:e2e`).toString('base64')}`;
    await editCaldavOccurrence(objectUrl, authorization, '2026-03-23T09:00:00Z', {
      summary: 'Weekly sync (Tuesday)',
      start: '2026-03-24T13:00:00Z',
      end: '2026-03-24T13:30:00Z',
    });
    await editCaldavOccurrence(objectUrl, authorization, '2026-04-06T08:00:00Z', 'cancel');

    // Connected through the API; the first sync is queued at once.
    const { token } = await apiToken(page);
    const headers = { authorization: `Bearer ${token}` };
    const connected = await page.request.post('/api/v1/calendar/connect', {
      headers,
      data: {
        provider: 'ICAL',
        server_url: serverUrl,
        username: account.username,
        password: 'e2e',
        calendar_id: calendar.calendarPath,
      },
    });
    expect(connected.status()).toBe(201);
    const listed = async () => {
      const response = await page.request.get(
        '/api/v1/calendar/events?start_date=2026-03-16&end_date=2026-04-12',
        { headers },
      );
      const body = (await response.json()) as {
        events: { title: string; start_time: string; end_time: string }[];
      };
      return body.events.map((event) => [event.title, event.start_time, event.end_time]);
    };
    await expect.poll(listed, { timeout: 30_000 }).toEqual([
      ['Weekly sync', '2026-03-16T09:00:00.000Z', '2026-03-16T09:30:00.000Z'],
      ['Weekly sync (Tuesday)', '2026-03-24T13:00:00.000Z', '2026-03-24T13:30:00.000Z'],
      ['Weekly sync', '2026-03-30T08:00:00.000Z', '2026-03-30T08:30:00.000Z'],
    ]);

    // The week view: 10:00 Berlin time before and after the change of time.
    const meeting = (day: string, title = 'Weekly sync') =>
      page
        .locator(`section[data-date="${day}"]`)
        .getByRole('article', { name: `Calendar event: ${title}` });
    await showWeekOf(page, '2026-03-16');
    await expect(meeting('2026-03-16')).toContainText('10:00–10:30', { timeout: 10_000 });
    await showWeekOf(page, '2026-03-23');
    await expect(meeting('2026-03-24', 'Weekly sync (Tuesday)')).toContainText('14:00–14:30');
    await expect(meeting('2026-03-23')).toHaveCount(0);
    await screenshot(page, 'recurring-event-moved');
    await showWeekOf(page, '2026-03-30');
    await expect(meeting('2026-03-30')).toContainText('10:00–10:30');
    await showWeekOf(page, '2026-04-06');
    await expect(meeting('2026-04-06')).toHaveCount(0);
    await showWeekOf(page, '2026-04-13');
    await expect(meeting('2026-04-13')).toContainText('10:00–10:30');
  });
});
