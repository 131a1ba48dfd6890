import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type CalendarProvider,
  type EventInput,
  InvalidCursorError,
  PreconditionFailedError,
  ProviderAuthError,
  ProviderRequestError,
  RateLimitedError,
} from '../calendar-provider.js';
import { runCalendarProviderContract } from '../calendar-provider-contract.js';
import { type FakeGoogleCalendar, startFakeGoogleCalendar } from './fake-google-calendar.js';
import {
  createGoogleCalendarProvider,
  type GoogleCalendarProviderOptions,
} from './google-calendar-provider.js';

runCalendarProviderContract('Google (fake)', async () => {
  const fake = await startFakeGoogleCalendar();
  const provider = createGoogleCalendarProvider({
    rootUrl: fake.url,
    accessToken: async () => fake.token,
    calendarId: fake.calendarId,
  });
  return {
    provider,
    skippedOccurrences: 'kept',
    editOccurrence: async (series, originalStart, change) =>
      void fake.editOccurrence(series.id, originalStart, change),
    dispose: () => fake.close(),
  };
});

const timed = (overrides: Partial<EventInput> = {}): EventInput => ({
  summary: 'Plan the sprint',
  description: '',
  start: { dateTime: '2025-10-15T13:00:00Z', timeZone: 'Europe/Paris' },
  end: { dateTime: '2025-10-15T14:00:00Z', timeZone: 'Europe/Paris' },
  recurrence: null,
  exceptions: [],
  taskId: randomUUID(),
  priority: null,
  ...overrides,
});

/** A request to the fake as another client (Google's web UI, a phone) would make it. */
async function asSomeoneElse(
  fake: FakeGoogleCalendar,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(
    `${fake.url}calendar/v3/calendars/${encodeURIComponent(fake.calendarId)}/events${path}`,
    {
      method,
      headers: { Authorization: `Bearer ${fake.token}`, 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    },
  );
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : {} };
}

describe('Google Calendar adapter, against the fake', () => {
  let fake: FakeGoogleCalendar;
  let delays: number[];

  function connect(overrides: Partial<GoogleCalendarProviderOptions> = {}): CalendarProvider {
    return createGoogleCalendarProvider({
      rootUrl: fake.url,
      accessToken: async () => fake.token,
      calendarId: fake.calendarId,
      retry: {
        maxAttempts: 4,
        baseDelayMs: 100,
        maxDelayMs: 10_000,
        random: () => 0.5,
        sleep: async (ms) => {
          delays.push(ms);
        },
      },
      ...overrides,
    });
  }

  beforeEach(async () => {
    fake = await startFakeGoogleCalendar();
    delays = [];
  });
  afterEach(async () => {
    await fake.close();
  });

  it('reads every page of a long listing and continues from the last page’s sync token', async () => {
    const provider = connect({ pageSize: 2 });
    const created = [];
    for (let i = 0; i < 5; i += 1) {
      created.push(await provider.createEvent(timed({ summary: `Event ${i}` }), randomUUID()));
    }
    const before = fake.requestCount();
    const full = await provider.pullChanges(null);
    expect(fake.requestCount() - before).toBe(3);
    expect(full.changed.map((event) => event.id).sort()).toEqual(created.map((e) => e.id).sort());
    const quiet = await provider.pullChanges(full.cursor);
    expect(quiet).toMatchObject({ changed: [], deleted: [] });
  });

  it('reports an expired sync token as InvalidCursorError, and a full pull recovers', async () => {
    const provider = connect();
    const { cursor } = await provider.pullChanges(null);
    const created = await provider.createEvent(timed(), randomUUID());
    fake.expireSyncTokens();
    await expect(provider.pullChanges(cursor)).rejects.toBeInstanceOf(InvalidCursorError);
    const full = await provider.pullChanges(null);
    expect(full.changed.map((event) => event.id)).toEqual([created.id]);
    expect((await provider.pullChanges(full.cursor)).changed).toEqual([]);
  });

  it('makes one event when the answer to a create is lost and the create is retried', async () => {
    const provider = connect();
    fake.failNext(1, { method: 'POST', afterApplying: true, status: 500 });
    const first = await provider.createEvent(timed({ summary: 'Lost answer' }), 'key-1');
    fake.failNext(1, { method: 'POST', afterApplying: true, resetConnection: true });
    const second = await provider.createEvent(timed({ summary: 'Reset' }), 'key-2');
    expect(fake.events().map((event) => event.summary)).toEqual(['Lost answer', 'Reset']);
    expect(first.summary).toBe('Lost answer');
    expect(second.summary).toBe('Reset');
  });

  it('gives one event when a crashed create is done again later with the same key', async () => {
    const impatient = connect({ retry: { maxAttempts: 1 } });
    fake.failNext(1, { method: 'POST', afterApplying: true, resetConnection: true });
    await expect(impatient.createEvent(timed(), 'crash-key')).rejects.toBeInstanceOf(
      ProviderRequestError,
    );
    const again = await connect().createEvent(timed(), 'crash-key');
    expect(fake.events().map((event) => event.id)).toEqual([again.id]);
  });

  it('sends If-Match on update and lets exactly one of two racing updates win', async () => {
    const provider = connect();
    const created = await provider.createEvent(timed(), randomUUID());
    const results = await Promise.allSettled([
      provider.updateEvent(created.id, timed({ summary: 'Mine' }), created.etag),
      provider.updateEvent(created.id, timed({ summary: 'Theirs' }), created.etag),
    ]);
    const won = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const lost = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]).toBeInstanceOf(PreconditionFailedError);
    expect(fake.events()[0]?.summary).toBe(won[0]?.summary);
    const puts = fake.requests().filter((request) => request.method === 'PUT');
    expect(puts.every((request) => request.ifMatch === created.etag)).toBe(true);
  });

  it('refuses an update after someone else edited the event in Google', async () => {
    const provider = connect();
    const created = await provider.createEvent(timed(), randomUUID());
    await asSomeoneElse(fake, 'PATCH', `/${created.id}`, { summary: 'Edited on the phone' });
    await expect(
      provider.updateEvent(created.id, timed({ summary: 'Ours' }), created.etag),
    ).rejects.toBeInstanceOf(PreconditionFailedError);
    expect(fake.events()[0]?.summary).toBe('Edited on the phone');
  });

  it('recognises its own update when the answer was lost and the retry met 412', async () => {
    const provider = connect();
    const created = await provider.createEvent(timed(), randomUUID());
    fake.failNext(1, { method: 'PUT', afterApplying: true, resetConnection: true });
    const updated = await provider.updateEvent(
      created.id,
      timed({ summary: 'Landed' }),
      created.etag,
    );
    expect(updated.summary).toBe('Landed');
    expect(fake.requests().filter((request) => request.method === 'PUT')).toHaveLength(2);
  });

  it('keeps what it does not map (location, a colour the user chose) when it updates', async () => {
    const provider = connect();
    const input = timed();
    const created = await provider.createEvent(input, randomUUID());
    const edited = await asSomeoneElse(fake, 'PATCH', `/${created.id}`, {
      location: 'Room 4',
      colorId: '9',
    });
    const updated = await provider.updateEvent(
      created.id,
      { ...input, summary: 'Renamed' },
      String(edited.body.etag),
    );
    expect(updated.priority).toBeNull();
    expect(fake.events()[0]).toMatchObject({
      summary: 'Renamed',
      location: 'Room 4',
      colorId: '9',
    });
  });

  it('maps priorities to colours and back, and reads unknown colours as no priority', async () => {
    const provider = connect();
    const colors: Record<string, string> = { URGENT: '11', HIGH: '6', MEDIUM: '5', LOW: '2' };
    for (const priority of ['URGENT', 'HIGH', 'MEDIUM', 'LOW'] as const) {
      const created = await provider.createEvent(timed({ priority }), randomUUID());
      expect(created.priority).toBe(priority);
      expect(fake.events().find((event) => event.id === created.id)?.colorId).toBe(
        colors[priority],
      );
    }
    const lavender = await asSomeoneElse(fake, 'POST', '', {
      summary: 'Lavender',
      start: { dateTime: '2025-10-16T10:00:00+02:00' },
      end: { dateTime: '2025-10-16T11:00:00+02:00' },
      colorId: '1',
    });
    expect((await provider.getEvent(String(lavender.body.id)))?.priority).toBeNull();
  });

  it('pulls an event someone else created with no task id, in UTC when it has no zone', async () => {
    const provider = connect();
    const { body } = await asSomeoneElse(fake, 'POST', '', {
      summary: 'Dentist',
      start: { dateTime: '2025-10-16T10:00:00+02:00' },
      end: { dateTime: '2025-10-16T11:00:00+02:00' },
    });
    const { changed } = await provider.pullChanges(null);
    expect(changed).toEqual([
      expect.objectContaining({
        id: body.id,
        summary: 'Dentist',
        description: '',
        taskId: null,
        priority: null,
        start: { dateTime: '2025-10-16T08:00:00Z', timeZone: 'UTC' },
        end: { dateTime: '2025-10-16T09:00:00Z', timeZone: 'UTC' },
      }),
    ]);
  });

  it('reads the occurrences a series made in Google skips (EXDATE with TZID), and writes them back in UTC', async () => {
    const provider = connect();
    const { body } = await asSomeoneElse(fake, 'POST', '', {
      summary: 'Stand-up',
      start: { dateTime: '2026-03-23T09:00:00', timeZone: 'Europe/Paris' },
      end: { dateTime: '2026-03-23T09:15:00', timeZone: 'Europe/Paris' },
      recurrence: [
        'RRULE:FREQ=DAILY;COUNT=10',
        'EXDATE;TZID=Europe/Paris:20260324T090000,20260330T090000',
      ],
    });
    const event = (await provider.pullChanges(null)).changed[0];
    expect(event).toMatchObject({
      id: body.id,
      recurrence: 'FREQ=DAILY;COUNT=10',
      exceptions: ['2026-03-24T08:00:00Z', '2026-03-30T07:00:00Z'],
    });
    if (!event) throw new Error('no event');
    const { id, etag, updatedAt: _updatedAt, ...fields } = event;
    await provider.updateEvent(id, { ...fields, exceptions: ['2026-03-30T07:00:00Z'] }, etag);
    expect(fake.events().find((stored) => stored.id === id)?.recurrence).toEqual([
      'RRULE:FREQ=DAILY;COUNT=10',
      'EXDATE:20260330T070000Z',
    ]);
  });

  it('tags what it creates with the task id as a private extended property', async () => {
    const provider = connect();
    const input = timed();
    await provider.createEvent(input, randomUUID());
    expect(fake.events()[0]?.extendedProperties).toEqual({ private: { taskId: input.taskId } });
  });

  it('reports a moved occurrence as an override of its series, not as an event of its own', async () => {
    const provider = connect();
    const series = await provider.createEvent(
      timed({ recurrence: 'FREQ=WEEKLY;BYDAY=WE' }),
      randomUUID(),
    );
    const { cursor } = await provider.pullChanges(null);
    fake.editOccurrence(series.id, '2025-10-22T11:00:00Z', {
      summary: 'Moved once',
      start: '2025-10-22T13:00:00Z',
      end: '2025-10-22T14:00:00Z',
    });
    const pulled = await provider.pullChanges(cursor);
    expect(pulled.deleted).toEqual([]);
    expect(pulled.changed.map(({ id, overrides }) => ({ id, overrides }))).toEqual([
      {
        id: series.id,
        overrides: [
          {
            originalStart: '2025-10-22T11:00:00Z',
            cancelled: false,
            summary: 'Moved once',
            start: { dateTime: '2025-10-22T13:00:00Z', timeZone: 'Europe/Paris' },
            end: { dateTime: '2025-10-22T14:00:00Z', timeZone: 'Europe/Paris' },
          },
        ],
      },
    ]);
  });

  it('waits as long as Retry-After says on 429, then succeeds', async () => {
    const provider = connect();
    fake.rateLimitNext(2, { status: 429, retryAfterSeconds: 3 });
    const created = await provider.createEvent(timed(), randomUUID());
    expect(created.id).toBeTruthy();
    expect(delays).toEqual([3000, 3000]);
  });

  it('backs off with jitter on 403 rateLimitExceeded and 5xx', async () => {
    const provider = connect();
    fake.rateLimitNext(1, { status: 403, reason: 'userRateLimitExceeded' });
    fake.failNext(2, { status: 503 });
    expect((await provider.pullChanges(null)).changed).toEqual([]);
    // random() = 0.5 of a ceiling doubling from 100 ms
    expect(delays).toEqual([50, 100, 200]);
  });

  it('gives up with RateLimitedError after the last attempt, or at once for a long Retry-After', async () => {
    const provider = connect();
    fake.rateLimitNext(4, { status: 429, retryAfterSeconds: 1 });
    const before = fake.requestCount();
    const error = await provider.getEvent('abcdef').catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).retryAfterMs).toBe(1000);
    expect(fake.requestCount() - before).toBe(4);

    delays = [];
    fake.rateLimitNext(1, { status: 429, retryAfterSeconds: 120 });
    const later = await provider.getEvent('abcdef').catch((thrown: unknown) => thrown);
    expect((later as RateLimitedError).retryAfterMs).toBe(120_000);
    expect(delays).toEqual([]);
  });

  it('does not retry a refused token: 401 is ProviderAuthError', async () => {
    const provider = connect({ accessToken: async () => 'ya29.revoked' });
    const before = fake.requestCount();
    await expect(provider.pullChanges(null)).rejects.toBeInstanceOf(ProviderAuthError);
    expect(fake.requestCount() - before).toBe(1);
  });

  it('reports a connection that keeps failing as ProviderRequestError with status 0', async () => {
    const provider = connect();
    fake.failNext(4, { resetConnection: true });
    const error = await provider.getEvent('abcdef').catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ProviderRequestError);
    expect((error as ProviderRequestError).status).toBe(0);
  });

  it('reports what Google refuses as ProviderRequestError with its status', async () => {
    const provider = connect();
    const error = await provider
      .createEvent(timed({ recurrence: 'FREQ=SOMETIMES' }), randomUUID())
      .catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(ProviderRequestError);
    expect((error as ProviderRequestError).status).toBe(400);
  });
});
