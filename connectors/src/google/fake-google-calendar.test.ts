import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeGoogleCalendar, startFakeGoogleCalendar } from './fake-google-calendar.js';

type Json = Record<string, unknown> & {
  items?: Json[];
  error?: { code: number; errors: { reason: string }[] };
};

const paris = (dateTime: string) => ({ dateTime, timeZone: 'Europe/Paris' });
const meeting = (overrides: Record<string, unknown> = {}) => ({
  summary: 'Standup',
  start: paris('2025-10-15T09:00:00+02:00'),
  end: paris('2025-10-15T09:15:00+02:00'),
  ...overrides,
});

describe('fake Google Calendar', () => {
  let fake: FakeGoogleCalendar;
  let now: Date;

  async function call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: Json; headers: Headers }> {
    const response = await fetch(
      `${fake.url}calendar/v3/calendars/${encodeURIComponent(fake.calendarId)}/events${path}`,
      {
        method,
        headers: { Authorization: `Bearer ${fake.token}`, ...headers },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      },
    );
    const text = await response.text();
    return {
      status: response.status,
      body: text ? JSON.parse(text) : {},
      headers: response.headers,
    };
  }

  const reason = (body: Json) => body.error?.errors[0]?.reason;

  beforeEach(async () => {
    now = new Date('2025-10-01T08:00:00Z');
    fake = await startFakeGoogleCalendar({ clock: () => now, timeZone: 'America/New_York' });
  });
  afterEach(async () => {
    await fake.close();
  });

  it('answers 401 to a missing or wrong bearer token', async () => {
    const response = await fetch(`${fake.url}calendar/v3/calendars/primary/events`, {
      headers: { Authorization: 'Bearer nope' },
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await fetch(`${fake.url}calendar/v3/calendars/primary/events`)).status).toBe(401);
  });

  it('stamps `updated` with the injected clock and renders times in the calendar’s zone', async () => {
    const { body } = await call('POST', '', meeting());
    expect(body).toMatchObject({
      status: 'confirmed',
      updated: '2025-10-01T08:00:00.000Z',
      start: { dateTime: '2025-10-15T03:00:00-04:00', timeZone: 'Europe/Paris' },
    });
  });

  it('pages a listing, with the sync token on the last page only', async () => {
    for (let i = 0; i < 5; i += 1) await call('POST', '', meeting({ summary: `M${i}` }));
    const first = await call('GET', '?maxResults=2');
    expect(first.body.items?.map((event) => event.summary)).toEqual(['M0', 'M1']);
    expect(first.body.nextSyncToken).toBeUndefined();
    const second = await call('GET', `?maxResults=2&pageToken=${first.body.nextPageToken}`);
    const third = await call('GET', `?maxResults=2&pageToken=${second.body.nextPageToken}`);
    expect(second.body.nextSyncToken).toBeUndefined();
    expect(third.body.items?.map((event) => event.summary)).toEqual(['M4']);
    expect(third.body.nextPageToken).toBeUndefined();
    expect(third.body.nextSyncToken).toEqual(expect.any(String));
  });

  it('refuses parameters Google does not allow next to a sync token', async () => {
    const { body } = await call('GET', '');
    const token = encodeURIComponent(String(body.nextSyncToken));
    for (const extra of [
      'timeMin=2025-01-01T00:00:00Z',
      'orderBy=updated',
      'q=x',
      'showDeleted=false',
    ]) {
      const refused = await call('GET', `?syncToken=${token}&${extra}`);
      expect(refused.status, extra).toBe(400);
    }
    expect((await call('GET', `?syncToken=${token}&showDeleted=true`)).status).toBe(200);
  });

  it('answers 410 fullSyncRequired to an unknown or expired sync token', async () => {
    expect(reason((await call('GET', '?syncToken=made-up')).body)).toBe('fullSyncRequired');
    const token = encodeURIComponent(String((await call('GET', '')).body.nextSyncToken));
    expect((await call('GET', `?syncToken=${token}`)).status).toBe(200);
    fake.expireSyncTokens();
    const expired = await call('GET', `?syncToken=${token}`);
    expect(expired.status).toBe(410);
  });

  it('keeps deleted events as cancelled: in incremental sync, on get, and 410 on a second delete', async () => {
    const created = (await call('POST', '', meeting())).body;
    const token = encodeURIComponent(String((await call('GET', '')).body.nextSyncToken));
    expect((await call('DELETE', `/${created.id}`)).status).toBe(204);
    const changes = await call('GET', `?syncToken=${token}`);
    expect(changes.body.items).toEqual([
      { kind: 'calendar#event', id: created.id, etag: expect.any(String), status: 'cancelled' },
    ]);
    expect((await call('GET', '')).body.items).toEqual([]);
    expect((await call('GET', '?showDeleted=true')).body.items).toHaveLength(1);
    expect((await call('GET', `/${created.id}`)).body.status).toBe('cancelled');
    expect((await call('DELETE', `/${created.id}`)).status).toBe(410);
    expect((await call('DELETE', '/unknownid')).status).toBe(404);
  });

  it('changes the etag on every write and answers 412 to a stale If-Match', async () => {
    const created = (await call('POST', '', meeting())).body;
    const stale = { 'If-Match': String(created.etag) };
    const patched = await call('PATCH', `/${created.id}`, { summary: 'Moved' }, stale);
    expect(patched.body.etag).not.toBe(created.etag);
    expect((await call('PUT', `/${created.id}`, meeting(), stale)).status).toBe(412);
    expect(reason((await call('PATCH', `/${created.id}`, {}, stale)).body)).toBe('conditionNotMet');
    expect((await call('DELETE', `/${created.id}`, undefined, stale)).status).toBe(412);
    const fresh = { 'If-Match': String(patched.body.etag) };
    expect((await call('DELETE', `/${created.id}`, undefined, fresh)).status).toBe(204);
  });

  it('replaces the whole event on PUT and merges on PATCH', async () => {
    const created = (
      await call(
        'POST',
        '',
        meeting({ location: 'Room 4', colorId: '6', extendedProperties: { private: { a: '1' } } }),
      )
    ).body;
    const patched = await call('PATCH', `/${created.id}`, {
      colorId: null,
      extendedProperties: { private: { b: '2' } },
    });
    expect(patched.body).toMatchObject({
      location: 'Room 4',
      extendedProperties: { private: { a: '1', b: '2' } },
    });
    expect(patched.body.colorId).toBeUndefined();
    const put = await call('PUT', `/${created.id}`, meeting({ summary: 'Only this' }));
    expect(put.body.summary).toBe('Only this');
    expect(put.body.location).toBeUndefined();
    expect(put.body.extendedProperties).toBeUndefined();
    expect(put.body.created).toBe(created.created);
  });

  it('takes a client-chosen base32hex id once, answering 409 after, even once deleted', async () => {
    const body = meeting({ id: 'abcdefghijklmnopqrstuv0123456789' });
    expect((await call('POST', '', body)).status).toBe(200);
    expect(reason((await call('POST', '', body)).body)).toBe('duplicate');
    await call('DELETE', '/abcdefghijklmnopqrstuv0123456789');
    expect((await call('POST', '', body)).status).toBe(409);
    expect((await call('POST', '', meeting({ id: 'HasUpperCase' }))).status).toBe(400);
    expect((await call('POST', '', meeting({ id: 'wxyz0' }))).status).toBe(400);
  });

  it('requires a time zone on a recurring timed event, as Google does', async () => {
    const refused = await call('POST', '', {
      summary: 'Weekly',
      start: { dateTime: '2025-10-15T09:00:00+02:00' },
      end: { dateTime: '2025-10-15T10:00:00+02:00' },
      recurrence: ['RRULE:FREQ=WEEKLY'],
    });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatchObject({
      message: 'Missing time zone definition for start time.',
    });
    const allDay = { start: { date: '2025-10-15' }, end: { date: '2025-10-16' } };
    expect((await call('POST', '', { ...allDay, recurrence: ['RRULE:FREQ=YEARLY'] })).status).toBe(
      200,
    );
    expect((await call('POST', '', meeting({ recurrence: ['RRULE:FREQ=WEEKLY'] }))).status).toBe(
      200,
    );
    expect((await call('POST', '', meeting({ recurrence: ['RRULE:FREQ=NEVER'] }))).status).toBe(
      400,
    );
  });

  it('refuses events whose end is before their start or that mix dates and times', async () => {
    const backwards = meeting({ end: paris('2025-10-15T08:00:00+02:00') });
    expect(reason((await call('POST', '', backwards)).body)).toBe('timeRangeEmpty');
    expect((await call('POST', '', meeting({ end: { date: '2025-10-16' } }))).status).toBe(400);
    expect((await call('POST', '', { summary: 'No times' })).status).toBe(400);
  });

  it('expands a series into instances at the same wall-clock time across a DST change', async () => {
    const series = (
      await call(
        'POST',
        '',
        meeting({
          recurrence: ['RRULE:FREQ=WEEKLY;COUNT=3'],
          start: paris('2025-10-19T09:00:00'),
          end: paris('2025-10-19T09:30:00'),
        }),
      )
    ).body;
    const { body } = await call('GET', '?singleEvents=true&orderBy=startTime');
    expect(body.items?.map((event) => [event.id, event.recurringEventId, event.start])).toEqual([
      [`${series.id}_20251019T070000Z`, series.id, paris('2025-10-19T03:00:00-04:00')],
      [`${series.id}_20251026T080000Z`, series.id, paris('2025-10-26T04:00:00-04:00')],
      [`${series.id}_20251102T080000Z`, series.id, paris('2025-11-02T03:00:00-05:00')],
    ]);
    expect((await call('GET', '?orderBy=startTime')).status).toBe(400);
  });

  it('keeps an edited or deleted occurrence as an instance of the series, listed with it by iCalUID', async () => {
    const series = (
      await call(
        'POST',
        '',
        meeting({
          recurrence: ['RRULE:FREQ=WEEKLY'],
          start: paris('2025-10-19T09:00:00'),
          end: paris('2025-10-19T09:30:00'),
        }),
      )
    ).body;
    fake.editOccurrence(series.id as string, '2025-10-26T08:00:00Z', {
      summary: 'Moved',
      start: '2025-10-27T13:00:00Z',
      end: '2025-10-27T13:30:00Z',
    });
    fake.editOccurrence(series.id as string, '2025-11-02T08:00:00Z', 'cancel');
    const query = `?iCalUID=${encodeURIComponent(series.iCalUID as string)}&showDeleted=true`;
    const { body } = await call('GET', query);
    expect(
      body.items?.map((event) => [
        event.id,
        event.status,
        event.recurringEventId,
        (event.originalStartTime as { dateTime?: string } | undefined)?.dateTime,
      ]),
    ).toEqual([
      [series.id, 'confirmed', undefined, undefined],
      [`${series.id}_20251026T080000Z`, 'confirmed', series.id, '2025-10-26T08:00:00Z'],
      [`${series.id}_20251102T080000Z`, 'cancelled', series.id, '2025-11-02T08:00:00Z'],
    ]);
    const expanded = await call(
      'GET',
      '?singleEvents=true&orderBy=startTime&timeMax=2025-11-10T00:00:00Z',
    );
    expect(expanded.body.items?.map((event) => [event.summary, event.start])).toEqual([
      ['Standup', paris('2025-10-19T03:00:00-04:00')],
      ['Moved', { dateTime: '2025-10-27T13:00:00Z', timeZone: 'Europe/Paris' }],
      ['Standup', paris('2025-11-09T03:00:00-05:00')],
    ]);
  });

  it('leaves the occurrences a series skips (EXDATE) out of its instances', async () => {
    const series = (
      await call(
        'POST',
        '',
        meeting({
          recurrence: ['RRULE:FREQ=WEEKLY;COUNT=3', 'EXDATE;TZID=Europe/Paris:20251026T090000'],
          start: paris('2025-10-19T09:00:00'),
          end: paris('2025-10-19T09:30:00'),
        }),
      )
    ).body;
    const { body } = await call('GET', '?singleEvents=true&orderBy=startTime');
    expect(body.items?.map((event) => event.id)).toEqual([
      `${series.id}_20251019T070000Z`,
      `${series.id}_20251102T080000Z`,
    ]);
  });

  it('plays scripted faults: errors before or after applying, rate limits with Retry-After', async () => {
    fake.failNext(1, { status: 502 });
    expect((await call('GET', '')).status).toBe(502);
    expect((await call('GET', '')).status).toBe(200);
    fake.rateLimitNext(1, { status: 429, retryAfterSeconds: 7 });
    const limited = await call('GET', '');
    expect([limited.status, limited.headers.get('retry-after'), reason(limited.body)]).toEqual([
      429,
      '7',
      'rateLimitExceeded',
    ]);
    fake.failNext(1, { method: 'POST', afterApplying: true, status: 500 });
    expect((await call('POST', '', meeting())).status).toBe(500);
    expect(fake.events()).toHaveLength(1);
    expect(fake.requestCount()).toBe(4);
  });

  it('notifies registered webhooks: sync when the channel opens, exists when told', async () => {
    const received: IncomingHttpHeaders[] = [];
    const hook = createServer((request, response) => {
      received.push(request.headers);
      response.writeHead(200).end();
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    const address = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
    try {
      const channel = await call('POST', '/watch', {
        id: 'chan-1',
        type: 'web_hook',
        address,
        token: 'secret',
      });
      expect(channel.body).toMatchObject({ kind: 'api#channel', id: 'chan-1', token: 'secret' });
      await fake.notifyWatchers();
      expect(received.map((headers) => headers['x-goog-resource-state'])).toEqual([
        'sync',
        'exists',
      ]);
      expect(received[1]).toMatchObject({
        'x-goog-channel-id': 'chan-1',
        'x-goog-channel-token': 'secret',
      });
      const stop = await fetch(`${fake.url}calendar/v3/channels/stop`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${fake.token}` },
        body: JSON.stringify({ id: 'chan-1', resourceId: channel.body.resourceId }),
      });
      expect(stop.status).toBe(204);
      expect(await fake.notifyWatchers()).toEqual([]);
    } finally {
      hook.closeAllConnections();
      await new Promise((resolve) => hook.close(resolve));
    }
  });

  it('drops a channel once it expires by the fake’s clock', async () => {
    await call('POST', '/watch', {
      id: 'short',
      type: 'web_hook',
      address: 'http://127.0.0.1:9/none',
      params: { ttl: '60' },
    });
    now = new Date(now.getTime() + 61_000);
    expect(await fake.notifyWatchers()).toEqual([]);
    expect(fake.channels()).toEqual([]);
  });
});
