/**
 * The Graph fake spoken to over raw HTTP, without the adapter: what it answers must look like
 * what Graph answers, or the adapter's tests prove nothing.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeGraphCalendar, startFakeGraphCalendar } from './fake-graph-calendar.js';
import type { GraphDeltaPage, GraphErrorBody, GraphEvent } from './graph-wire.js';

/** Whatever the fake answers, read as the Graph shapes the tests look at. */
type Answer = Partial<GraphEvent & GraphErrorBody & GraphDeltaPage>;

let fake: FakeGraphCalendar;
afterEach(async () => {
  await fake?.close();
});

async function call(
  method: string,
  path: string,
  options: { body?: unknown; headers?: Record<string, string>; token?: string } = {},
) {
  const response = await fetch(`${fake.url}/v1.0${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${options.token ?? fake.token}`,
      'Content-Type': 'application/json',
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  const json = (text ? JSON.parse(text) : {}) as Answer;
  return { status: response.status, json };
}

const window = 'startDateTime=2025-01-01T00:00:00Z&endDateTime=2026-01-01T00:00:00Z';

async function series(recurrence: object, start = '2025-03-24T10:00:00') {
  const created = await call('POST', `/me/calendars/${fake.calendarId}/events`, {
    body: {
      subject: 'Series',
      start: { dateTime: start, timeZone: 'Europe/Paris' },
      end: { dateTime: start.replace('T10', 'T11'), timeZone: 'Europe/Paris' },
      recurrence,
    },
  });
  expect(created.status).toBe(201);
  const view = await call('GET', `/me/calendars/${fake.calendarId}/calendarView/delta?${window}`, {
    headers: { Prefer: 'odata.maxpagesize=100, outlook.timezone="Europe/Paris"' },
  });
  const rows = view.json.value ?? [];
  return {
    master: rows.filter((row) => row.type === 'seriesMaster'),
    days: rows
      .filter((row) => row.type === 'occurrence' && row.seriesMasterId === created.json.id)
      .map((row) => row.start?.dateTime.slice(0, 16)),
  };
}

describe('Graph fake', () => {
  it('refuses a request without the bearer token', async () => {
    fake = await startFakeGraphCalendar();
    const answer = await call('GET', '/me/events/x', { token: 'wrong' });
    expect(answer.status).toBe(401);
    expect(answer.json.error?.code).toBe('InvalidAuthenticationToken');
  });

  it('answers in UTC with an HTML body unless the client prefers otherwise', async () => {
    fake = await startFakeGraphCalendar();
    const created = await call('POST', '/me/events', {
      body: {
        subject: 'Zones',
        body: { contentType: 'text', content: 'a\nb' },
        start: { dateTime: '2025-07-01T10:00:00', timeZone: 'Europe/Paris' },
        end: { dateTime: '2025-07-01T11:00:00', timeZone: 'Europe/Paris' },
      },
    });
    expect(created.json).toMatchObject({
      start: { dateTime: '2025-07-01T08:00:00.0000000', timeZone: 'UTC' },
      originalStartTimeZone: 'Europe/Paris',
      body: { contentType: 'html', content: '<html><body>a<br>b</body></html>' },
    });
    const preferred = await call('GET', `/me/events/${created.json.id ?? ''}`, {
      headers: { Prefer: 'outlook.timezone="America/New_York", outlook.body-content-type="text"' },
    });
    expect(preferred.json).toMatchObject({
      start: { dateTime: '2025-07-01T04:00:00.0000000', timeZone: 'America/New_York' },
      body: { contentType: 'text', content: 'a\r\nb' },
    });
  });

  it('refuses $expand on delta, as Graph does', async () => {
    fake = await startFakeGraphCalendar();
    const answer = await call(
      'GET',
      `/me/calendars/${fake.calendarId}/calendarView/delta?${window}&$expand=singleValueExtendedProperties`,
    );
    expect(answer.status).toBe(400);
  });

  it('fills unused recurrence fields with defaults, as Graph does', async () => {
    fake = await startFakeGraphCalendar();
    const created = await call('POST', '/me/events', {
      body: {
        start: { dateTime: '2025-03-24T10:00:00', timeZone: 'Europe/Paris' },
        end: { dateTime: '2025-03-24T11:00:00', timeZone: 'Europe/Paris' },
        recurrence: {
          pattern: { type: 'daily', interval: 1 },
          range: { type: 'noEnd', startDate: '2025-03-24' },
        },
      },
    });
    expect(created.json.recurrence).toEqual({
      pattern: {
        type: 'daily',
        interval: 1,
        month: 0,
        dayOfMonth: 0,
        daysOfWeek: [],
        firstDayOfWeek: 'sunday',
        index: 'first',
      },
      range: {
        type: 'noEnd',
        startDate: '2025-03-24',
        endDate: '0001-01-01',
        recurrenceTimeZone: 'Europe/Paris',
        numberOfOccurrences: 0,
      },
    });
  });

  describe('lists the occurrences of a series in the window, keeping the wall time across DST', () => {
    it('relative monthly: the last Friday of every third month', async () => {
      fake = await startFakeGraphCalendar();
      const { master, days } = await series({
        pattern: { type: 'relativeMonthly', interval: 3, daysOfWeek: ['friday'], index: 'last' },
        range: { type: 'noEnd', startDate: '2025-03-24' },
      });
      expect(master).toHaveLength(1);
      expect(days).toEqual([
        '2025-03-28T10:00',
        '2025-06-27T10:00',
        '2025-09-26T10:00',
        '2025-12-26T10:00',
      ]);
    });

    it('weekly every other week, counted from the week of the start date', async () => {
      fake = await startFakeGraphCalendar();
      const { days } = await series({
        pattern: {
          type: 'weekly',
          interval: 2,
          daysOfWeek: ['monday', 'thursday'],
          firstDayOfWeek: 'monday',
        },
        range: { type: 'numbered', startDate: '2025-03-24', numberOfOccurrences: 5 },
      });
      expect(days).toEqual([
        '2025-03-24T10:00',
        '2025-03-27T10:00',
        '2025-04-07T10:00',
        '2025-04-10T10:00',
        '2025-04-21T10:00',
      ]);
    });

    it('an occurrence edited on its own is an exception, a deleted one is gone, in the view and the instances', async () => {
      fake = await startFakeGraphCalendar();
      const weekly = {
        pattern: { type: 'weekly', interval: 1, daysOfWeek: ['monday'], firstDayOfWeek: 'monday' },
        range: { type: 'numbered', startDate: '2025-03-24', numberOfOccurrences: 3 },
      };
      const [master] = (await series(weekly)).master;
      const base = `/me/calendars/${fake.calendarId}/events`;
      const edited = await call('PATCH', `${base}/${master?.id}_20250331`, {
        body: {
          subject: 'Moved',
          start: { dateTime: '2025-04-01T15:00:00', timeZone: 'Europe/Paris' },
          end: { dateTime: '2025-04-01T16:00:00', timeZone: 'Europe/Paris' },
        },
      });
      expect(edited.status).toBe(200);
      expect((await call('DELETE', `${base}/${master?.id}_20250407`)).status).toBe(204);
      expect((await call('DELETE', `${base}/${master?.id}_20250408`)).status).toBe(404);
      const instances = await call('GET', `${base}/${master?.id}/instances?${window}`);
      expect(
        (instances.json as { value: GraphEvent[] }).value.map((row) => [
          row.type,
          row.originalStart,
          row.subject,
          row.start?.dateTime,
        ]),
      ).toEqual([
        ['occurrence', '2025-03-24T09:00:00Z', 'Series', '2025-03-24T09:00:00.0000000'],
        ['exception', '2025-03-31T08:00:00Z', 'Moved', '2025-04-01T13:00:00.0000000'],
      ]);
      const view = await call(
        'GET',
        `/me/calendars/${fake.calendarId}/calendarView/delta?${window}`,
      );
      expect(
        (view.json.value ?? [])
          .filter((row) => row.seriesMasterId === master?.id)
          .map((row) => [row.type, row.originalStart]),
      ).toEqual([
        ['occurrence', '2025-03-24T09:00:00Z'],
        ['exception', '2025-03-31T08:00:00Z'],
      ]);
    });

    it('absolute yearly up to an end date', async () => {
      fake = await startFakeGraphCalendar();
      const { days } = await series(
        {
          pattern: { type: 'absoluteYearly', interval: 1, month: 2, dayOfMonth: 10 },
          range: { type: 'endDate', startDate: '2024-02-10', endDate: '2030-01-01' },
        },
        '2024-02-10T10:00:00',
      );
      expect(days).toEqual(['2025-02-10T10:00']);
    });
  });
});
