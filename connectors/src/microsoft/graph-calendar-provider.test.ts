import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type EventInput,
  InvalidCursorError,
  PreconditionFailedError,
  ProviderAuthError,
  ProviderRequestError,
  RateLimitedError,
  UnsupportedEventError,
} from '../calendar-provider.js';
import { runCalendarProviderContract } from '../calendar-provider-contract.js';
import { type FakeGraphCalendar, startFakeGraphCalendar } from './fake-graph-calendar.js';
import {
  createGraphCalendarProvider,
  type GraphCalendarProvider,
  type GraphCalendarProviderOptions,
  transactionIdFor,
} from './graph-calendar-provider.js';
import { RRULE_PROPERTY } from './graph-event-mapping.js';
import { answerGraphNotification, type GraphNotificationAnswer } from './graph-notifications.js';

const YEAR_2025 = () => ({
  start: new Date('2025-01-01T00:00:00Z'),
  end: new Date('2026-01-01T00:00:00Z'),
});

interface Setup {
  fake: FakeGraphCalendar;
  provider: GraphCalendarProvider;
  sleeps: number[];
}

async function setUp(overrides: Partial<GraphCalendarProviderOptions> = {}): Promise<Setup> {
  const fake = await startFakeGraphCalendar();
  const sleeps: number[] = [];
  const provider = createGraphCalendarProvider({
    baseUrl: fake.url,
    accessToken: async () => fake.token,
    calendarId: fake.calendarId,
    window: YEAR_2025,
    retry: {
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      random: () => 0.5,
    },
    ...overrides,
  });
  return { fake, provider, sleeps };
}

const event = (overrides: Partial<EventInput> = {}): EventInput => ({
  summary: 'Plan the sprint',
  description: 'Backlog first.',
  start: { dateTime: '2025-03-24T08:00:00Z', timeZone: 'Europe/Paris' },
  end: { dateTime: '2025-03-24T09:00:00Z', timeZone: 'Europe/Paris' },
  recurrence: null,
  exceptions: [],
  taskId: randomUUID(),
  priority: 'MEDIUM',
  ...overrides,
});

runCalendarProviderContract('Microsoft Graph (fake)', async () => {
  const { fake, provider } = await setUp();
  return {
    provider,
    skippedOccurrences: 'refused',
    editOccurrence: async (series, originalStart, change) =>
      void fake.editOccurrence(series.id, originalStart, change),
    dispose: () => fake.close(),
  };
});

describe('Microsoft Graph adapter', () => {
  let setup: Setup;
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });
  async function start(overrides: Partial<GraphCalendarProviderOptions> = {}): Promise<Setup> {
    setup = await setUp(overrides);
    const { fake } = setup;
    cleanups.push(() => fake.close());
    return setup;
  }

  describe('delta', () => {
    it('follows nextLink through every page of a round', async () => {
      const { fake, provider } = await start({ pageSize: 3 });
      for (let day = 1; day <= 7; day += 1) {
        fake.insertEvent({
          subject: `Day ${day}`,
          start: { dateTime: `2025-06-0${day}T10:00:00`, timeZone: 'UTC' },
          end: { dateTime: `2025-06-0${day}T11:00:00`, timeZone: 'UTC' },
        });
      }
      const { changed, cursor } = await provider.pullChanges(null);
      expect(changed.map((entry) => entry.summary).sort()).toEqual([
        'Day 1',
        'Day 2',
        'Day 3',
        'Day 4',
        'Day 5',
        'Day 6',
        'Day 7',
      ]);
      const pages = fake
        .requests()
        .filter((request) => request.path.includes('/calendarView/delta'));
      expect(pages).toHaveLength(3);
      expect(pages.filter((request) => request.path.includes('$skiptoken='))).toHaveLength(2);
      expect(cursor).toContain('$deltatoken=');
    });

    it('turns an expired delta token into InvalidCursorError, and a pull from scratch recovers', async () => {
      const { fake, provider } = await start();
      const created = await provider.createEvent(event(), randomUUID());
      const { cursor } = await provider.pullChanges(null);
      fake.expireDeltaTokens();
      await expect(provider.pullChanges(cursor)).rejects.toBeInstanceOf(InvalidCursorError);
      const again = await provider.pullChanges(null);
      expect(again.changed.map((entry) => entry.id)).toEqual([created.id]);
      expect((await provider.pullChanges(again.cursor)).changed).toEqual([]);
    });

    it('never follows a cursor to another host, so the token stays home', async () => {
      const { fake, provider } = await start();
      const foreign =
        'https://graph.example.net/v1.0/me/calendars/x/calendarView/delta?$deltatoken=abc';
      await expect(provider.pullChanges(foreign)).rejects.toBeInstanceOf(InvalidCursorError);
      expect(fake.requestCount()).toBe(0);
    });

    it('reports a series once, fetching its master and its instances once however many occurrences the view lists', async () => {
      const { fake, provider } = await start();
      const series = await provider.createEvent(
        event({ recurrence: 'FREQ=WEEKLY;BYDAY=MO;COUNT=5' }),
        randomUUID(),
      );
      const before = fake.requestCount();
      const { changed } = await provider.pullChanges(null);
      expect(changed.map((entry) => [entry.id, entry.recurrence])).toEqual([
        [series.id, 'FREQ=WEEKLY;BYDAY=MO;COUNT=5'],
      ]);
      const gets = fake
        .requests()
        .slice(before)
        .filter((request) => request.path.includes(`/events/${series.id}`))
        .map((request) => (request.path.includes('/instances?') ? 'instances' : 'master'));
      expect(gets).toEqual(['master', 'instances']);
    });

    it('reports an event moved out of the window as changed, and a deleted one as deleted', async () => {
      const { fake, provider } = await start();
      const moved = await provider.createEvent(event({ summary: 'Moved' }), randomUUID());
      const gone = await provider.createEvent(event({ summary: 'Gone' }), randomUUID());
      const { cursor } = await provider.pullChanges(null);
      fake.editEvent(moved.id, {
        start: { dateTime: '2027-01-04T10:00:00', timeZone: 'UTC' },
        end: { dateTime: '2027-01-04T11:00:00', timeZone: 'UTC' },
      });
      fake.removeEvent(gone.id);
      const next = await provider.pullChanges(cursor);
      expect(next.changed.map((entry) => [entry.id, entry.start])).toEqual([
        [moved.id, { dateTime: '2027-01-04T10:00:00Z', timeZone: 'UTC' }],
      ]);
      expect(next.deleted).toEqual([gone.id]);
    });

    it('pulls an event made in Outlook with taskId null, in its own time zone', async () => {
      const { fake, provider } = await start();
      fake.insertEvent({
        subject: 'Dentist',
        body: { contentType: 'text', content: 'Bring the card.\nAnd the form.' },
        start: { dateTime: '2025-05-02T10:00:00', timeZone: 'Europe/Berlin' },
        end: { dateTime: '2025-05-02T10:30:00', timeZone: 'Europe/Berlin' },
        importance: 'high',
      });
      const { changed } = await provider.pullChanges(null);
      expect(changed).toHaveLength(1);
      expect(changed[0]).toMatchObject({
        summary: 'Dentist',
        description: 'Bring the card.\nAnd the form.',
        start: { dateTime: '2025-05-02T08:00:00Z', timeZone: 'Europe/Berlin' },
        end: { dateTime: '2025-05-02T08:30:00Z', timeZone: 'Europe/Berlin' },
        recurrence: null,
        taskId: null,
        priority: 'HIGH',
      });
    });
  });

  describe('writes', () => {
    it('stores a timed event as wall time in its IANA zone, tagged with our task id', async () => {
      const { fake, provider } = await start();
      const input = event({
        start: { dateTime: '2025-10-15T13:00:00Z', timeZone: 'Europe/Paris' },
        end: { dateTime: '2025-10-15T15:00:00Z', timeZone: 'Europe/Paris' },
      });
      const created = await provider.createEvent(input, randomUUID());
      const stored = fake.event(created.id);
      expect(stored?.start).toEqual({
        dateTime: '2025-10-15T15:00:00.0000000',
        timeZone: 'Europe/Paris',
      });
      expect(stored?.end).toEqual({
        dateTime: '2025-10-15T17:00:00.0000000',
        timeZone: 'Europe/Paris',
      });
      expect(stored?.singleValueExtendedProperties).toContainEqual({
        id: expect.stringMatching(/^String \{[0-9a-f-]{36}\} Name taskId$/),
        value: input.taskId,
      });
    });

    // Found by the provider round trip: 02:15 on the night Paris goes back is read as 01:15Z.
    it('writes an instant in the first pass of a repeated hour in UTC, exact', async () => {
      const { fake, provider } = await start();
      const input = event({
        start: { dateTime: '2025-10-26T00:15:00Z', timeZone: 'Europe/Paris' },
        end: { dateTime: '2025-10-26T02:00:00Z', timeZone: 'Europe/Paris' },
      });
      const created = await provider.createEvent(input, randomUUID());
      expect(fake.event(created.id)?.start).toEqual({
        dateTime: '2025-10-26T00:15:00.0000000',
        timeZone: 'UTC',
      });
      expect((await provider.getEvent(created.id))?.start).toEqual({
        dateTime: '2025-10-26T00:15:00Z',
        timeZone: 'UTC',
      });
      expect((await provider.getEvent(created.id))?.end).toEqual(input.end);
    });

    it('anchors all-day events at midnight in the configured zone', async () => {
      const { fake, provider } = await start({ allDayTimeZone: 'Europe/Paris' });
      const input = event({ start: { date: '2025-10-20' }, end: { date: '2025-10-22' } });
      const created = await provider.createEvent(input, randomUUID());
      expect(fake.event(created.id)).toMatchObject({
        isAllDay: true,
        start: { dateTime: '2025-10-20T00:00:00.0000000', timeZone: 'Europe/Paris' },
        end: { dateTime: '2025-10-22T00:00:00.0000000', timeZone: 'Europe/Paris' },
      });
      expect((await provider.getEvent(created.id))?.start).toEqual({ date: '2025-10-20' });
    });

    it('creates once when the answer to the first create was lost', async () => {
      const { fake, provider } = await start();
      const key = randomUUID();
      fake.failNext({ method: 'POST', pathIncludes: '/events', dropResponse: true });
      await expect(
        provider.createEvent(event({ summary: 'Lost answer' }), key),
      ).rejects.toBeInstanceOf(ProviderRequestError);
      const retried = await provider.createEvent(event({ summary: 'Lost answer' }), key);
      const stored = fake.events().filter((entry) => entry.subject === 'Lost answer');
      expect(stored.map((entry) => [entry.id, entry.transactionId])).toEqual([
        [retried.id, transactionIdFor(key)],
      ]);
    });

    it('refuses an update and a delete racing an edit made in Outlook (412)', async () => {
      const { fake, provider } = await start();
      const created = await provider.createEvent(event(), randomUUID());
      fake.editEvent(created.id, { subject: 'Edited in Outlook' });
      await expect(
        provider.updateEvent(created.id, event({ summary: 'Ours' }), created.etag),
      ).rejects.toBeInstanceOf(PreconditionFailedError);
      await expect(provider.deleteEvent(created.id, created.etag)).rejects.toBeInstanceOf(
        PreconditionFailedError,
      );
      expect(fake.event(created.id)?.subject).toBe('Edited in Outlook');
    });

    it('treats 410 on delete as already deleted', async () => {
      const { fake, provider } = await start();
      const created = await provider.createEvent(event(), randomUUID());
      fake.failNext({ method: 'DELETE', status: 410, code: 'ErrorItemNotFound' });
      await expect(provider.deleteEvent(created.id, created.etag)).resolves.toBeUndefined();
    });

    it('keeps the exact priority and shows it as importance; an importance set in Outlook wins', async () => {
      const { fake, provider } = await start();
      const created = await provider.createEvent(event({ priority: 'URGENT' }), randomUUID());
      expect(fake.event(created.id)?.importance).toBe('high');
      expect((await provider.getEvent(created.id))?.priority).toBe('URGENT');
      fake.editEvent(created.id, { importance: 'low' });
      expect((await provider.getEvent(created.id))?.priority).toBe('LOW');
    });
  });

  describe('throttling and auth', () => {
    it('waits as long as Retry-After says on 429, then succeeds', async () => {
      const { fake, provider, sleeps } = await start();
      const created = await provider.createEvent(event(), randomUUID());
      fake.failNext({ status: 429, code: 'ApplicationThrottled', retryAfterSeconds: 7 }, 2);
      expect((await provider.getEvent(created.id))?.id).toBe(created.id);
      expect(sleeps).toEqual([7000, 7000]);
    });

    it('backs off with full jitter without Retry-After, then gives up with RateLimitedError', async () => {
      const { fake, provider, sleeps } = await start({
        retry: {
          maxAttempts: 4,
          baseDelayMs: 500,
          random: () => 0.5,
          sleep: async (ms) => void sleeps.push(ms),
        },
      });
      fake.failNext({ status: 503, code: 'ServiceUnavailable' }, 10);
      await expect(provider.getEvent('any')).rejects.toBeInstanceOf(RateLimitedError);
      expect(sleeps).toEqual([250, 500, 1000]);
      expect(fake.requestCount()).toBe(4);
    });

    it('hands a Retry-After longer than it will wait to the caller', async () => {
      const { fake, provider, sleeps } = await start();
      fake.failNext({ status: 429, retryAfterSeconds: 3600 });
      const failure = await provider.pullChanges(null).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(RateLimitedError);
      expect((failure as RateLimitedError).retryAfterMs).toBe(3_600_000);
      expect(sleeps).toEqual([]);
    });

    it('lets the error of the token source through, without a request', async () => {
      const revoked = new ProviderAuthError('refresh token revoked');
      const { fake, provider } = await start({ accessToken: () => Promise.reject(revoked) });
      await expect(provider.pullChanges(null)).rejects.toBe(revoked);
      expect(fake.requestCount()).toBe(0);
    });

    it('reports a refused token as ProviderAuthError', async () => {
      const { provider } = await start({ accessToken: async () => 'expired' });
      await expect(provider.pullChanges(null)).rejects.toBeInstanceOf(ProviderAuthError);
    });
  });

  describe('recurrence', () => {
    it('reads the deleted and the moved occurrences of an all-day series by their dates', async () => {
      const { fake, provider } = await start({ allDayTimeZone: 'Europe/Paris' });
      const series = await provider.createEvent(
        event({
          taskId: null,
          start: { date: '2025-03-24' },
          end: { date: '2025-03-25' },
          recurrence: 'FREQ=WEEKLY;BYDAY=MO;COUNT=4',
        }),
        randomUUID(),
      );
      // Midnight of 31 March in Paris is 22:00Z the day before.
      fake.editOccurrence(series.id, '2025-03-30T22:00:00Z', 'cancel');
      // An all-day exception's times are midnights, as any all-day event's.
      fake.editOccurrence(series.id, '2025-04-06T22:00:00Z', {
        summary: 'Tuesday instead',
        start: '2025-04-08T00:00:00Z',
        end: '2025-04-09T00:00:00Z',
      });
      expect((await provider.getEvent(series.id))?.overrides).toEqual([
        { originalStart: '2025-03-31', cancelled: true },
        {
          originalStart: '2025-04-07',
          cancelled: false,
          summary: 'Tuesday instead',
          start: { date: '2025-04-08' },
          end: { date: '2025-04-09' },
        },
      ]);
    });

    const refused: [string, RegExp][] = [
      ['FREQ=HOURLY', /FREQ=HOURLY/],
      ['FREQ=MONTHLY;BYDAY=MO;BYSETPOS=1,3', /BYSETPOS with more than one value/],
      ['FREQ=MONTHLY;BYMONTHDAY=-1', /BYMONTHDAY=-1/],
      ['FREQ=WEEKLY;BYDAY=MO;BYHOUR=9', /BYHOUR/],
      ['FREQ=MONTHLY;BYDAY=5FR', /position 5/],
      ['FREQ=MONTHLY;BYDAY=MO,TU', /BYDAY must be one weekday/],
      ['FREQ=YEARLY;BYMONTH=1,7', /BYMONTH with more than one value/],
      ['FREQ=DAILY;BYMONTH=1', /BYMONTH/],
      ['FREQ=WEEKLY;X-NAME=1', /X-NAME/],
    ];
    it.each(refused)(
      'refuses %s with UnsupportedEventError before any request',
      async (rule, part) => {
        const { fake, provider } = await start();
        const failure = await provider
          .createEvent(event({ recurrence: rule }), randomUUID())
          .catch((error: unknown) => error);
        expect(failure).toBeInstanceOf(UnsupportedEventError);
        expect((failure as Error).message).toMatch(part);
        await expect(
          provider.updateEvent('some-id', event({ recurrence: rule }), 'W/"x"'),
        ).rejects.toBeInstanceOf(UnsupportedEventError);
        expect(fake.requestCount()).toBe(0);
      },
    );

    // Written in the canonical part order, so the RRULE read back from Graph's recurrence alone
    // (as for a series made in Outlook) is the same string.
    const patterns: [string, object][] = [
      [
        'FREQ=DAILY;INTERVAL=2;COUNT=10',
        {
          pattern: { type: 'daily', interval: 2 },
          range: { type: 'numbered', numberOfOccurrences: 10 },
        },
      ],
      [
        'FREQ=WEEKLY;BYDAY=MO,WE,FR;UNTIL=20251231T080000Z',
        {
          pattern: { type: 'weekly', daysOfWeek: ['monday', 'wednesday', 'friday'] },
          range: { type: 'endDate', endDate: '2025-12-31' },
        },
      ],
      [
        'FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;WKST=SU',
        { pattern: { type: 'weekly', interval: 2, firstDayOfWeek: 'sunday' } },
      ],
      [
        'FREQ=MONTHLY;BYMONTHDAY=24',
        { pattern: { type: 'absoluteMonthly', dayOfMonth: 24 }, range: { type: 'noEnd' } },
      ],
      [
        'FREQ=MONTHLY;INTERVAL=3;BYDAY=-1FR',
        {
          pattern: { type: 'relativeMonthly', interval: 3, daysOfWeek: ['friday'], index: 'last' },
        },
      ],
      [
        'FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=1',
        {
          pattern: {
            type: 'relativeMonthly',
            daysOfWeek: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'],
            index: 'first',
          },
        },
      ],
      [
        'FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=24',
        { pattern: { type: 'absoluteYearly', month: 3, dayOfMonth: 24 } },
      ],
      [
        'FREQ=YEARLY;BYMONTH=11;BYDAY=4TH;COUNT=3',
        {
          pattern: { type: 'relativeYearly', month: 11, daysOfWeek: ['thursday'], index: 'fourth' },
        },
      ],
    ];
    it.each(patterns)('round-trips %s through patternedRecurrence', async (rule, graph) => {
      const { fake, provider } = await start();
      const created = await provider.createEvent(event({ recurrence: rule }), randomUUID());
      expect(fake.event(created.id)?.recurrence).toMatchObject({
        ...graph,
        range: {
          startDate: '2025-03-24',
          recurrenceTimeZone: 'Europe/Paris',
          ...(graph as { range?: object }).range,
        },
      });
      expect((await provider.getEvent(created.id))?.recurrence).toBe(rule);
      // Without the RRULE we stored, the rule comes from Graph's recurrence alone.
      fake.editEvent(created.id, {
        singleValueExtendedProperties: [{ id: RRULE_PROPERTY, value: '' }],
      });
      expect((await provider.getEvent(created.id))?.recurrence).toBe(rule);
    });

    it('round-trips an all-day series with a date UNTIL', async () => {
      const { fake, provider } = await start();
      const rule = 'FREQ=WEEKLY;BYDAY=MO;UNTIL=20251229';
      const input = event({
        start: { date: '2025-03-24' },
        end: { date: '2025-03-25' },
        recurrence: rule,
      });
      const created = await provider.createEvent(input, randomUUID());
      expect(fake.event(created.id)?.recurrence?.range).toMatchObject({
        type: 'endDate',
        endDate: '2025-12-29',
      });
      fake.editEvent(created.id, {
        singleValueExtendedProperties: [{ id: RRULE_PROPERTY, value: '' }],
      });
      expect((await provider.getEvent(created.id))?.recurrence).toBe(rule);
    });

    it('reads back an equivalent rule as written, and a series changed in Outlook from Graph', async () => {
      const { fake, provider } = await start();
      const created = await provider.createEvent(
        event({ recurrence: 'FREQ=WEEKLY' }),
        randomUUID(),
      );
      expect(fake.event(created.id)?.recurrence?.pattern.daysOfWeek).toEqual(['monday']);
      expect((await provider.getEvent(created.id))?.recurrence).toBe('FREQ=WEEKLY');
      fake.editEvent(created.id, {
        recurrence: {
          pattern: {
            type: 'weekly',
            interval: 1,
            daysOfWeek: ['tuesday'],
            firstDayOfWeek: 'sunday',
          },
          range: { type: 'noEnd', startDate: '2025-03-24' },
        },
      });
      expect((await provider.getEvent(created.id))?.recurrence).toBe('FREQ=WEEKLY;BYDAY=TU');
    });
  });

  describe('subscriptions', () => {
    async function subscriber(
      respond: (url: string, body: string) => GraphNotificationAnswer | null,
    ) {
      const received: GraphNotificationAnswer[] = [];
      const server: Server = createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
          const answer = respond(request.url ?? '/', Buffer.concat(chunks).toString('utf8'));
          if (!answer) {
            response.writeHead(200, { 'Content-Type': 'text/plain' }).end('not the token');
            return;
          }
          received.push(answer);
          if (answer.kind === 'validation')
            response.writeHead(200, { 'Content-Type': answer.contentType }).end(answer.body);
          else response.writeHead(answer.status).end();
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
      return {
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graph/notify`,
        received,
      };
    }

    it('passes the validation handshake, then receives changes with our clientState', async () => {
      const { fake, provider } = await start();
      const clientState = randomUUID();
      const endpoint = await subscriber((url, body) =>
        answerGraphNotification({ url, body }, clientState),
      );
      const subscription = await provider.subscribe({
        notificationUrl: endpoint.url,
        clientState,
        expiresAt: new Date(Date.now() + 60 * 60_000),
      });
      expect(endpoint.received.map((answer) => answer.kind)).toEqual(['validation']);
      expect(fake.subscriptions().map((entry) => entry.id)).toEqual([subscription.id]);
      const created = await provider.createEvent(event(), randomUUID());
      await fake.settled();
      const [, notified] = endpoint.received;
      expect(notified).toMatchObject({ kind: 'notifications', rejected: 0 });
      expect(
        notified?.kind === 'notifications' &&
          notified.notifications.map((entry) => [entry.changeType, entry.resourceData.id]),
      ).toEqual([['created', created.id]]);
      expect(fake.deliveries().map((delivery) => delivery.status)).toEqual([202]);
    });

    it('is refused by Graph when the endpoint does not echo the validation token', async () => {
      const { fake, provider } = await start();
      const endpoint = await subscriber(() => null);
      const failure = await provider
        .subscribe({
          notificationUrl: endpoint.url,
          clientState: 'x',
          expiresAt: new Date(Date.now() + 60_000),
        })
        .catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ProviderRequestError);
      expect((failure as ProviderRequestError).status).toBe(400);
      expect(fake.subscriptions()).toEqual([]);
    });

    it('drops notifications that carry another clientState', () => {
      const notification = {
        subscriptionId: 's',
        subscriptionExpirationDateTime: '2025-01-01T00:00:00Z',
        changeType: 'updated',
        resource: 'Users/u/Events/e',
        clientState: 'forged',
        tenantId: 't',
        resourceData: {
          '@odata.type': '#Microsoft.Graph.Event',
          '@odata.id': 'Users/u/Events/e',
          id: 'e',
        },
      };
      const answer = answerGraphNotification(
        { url: '/notify', body: JSON.stringify({ value: [notification] }) },
        'ours',
      );
      expect(answer).toMatchObject({
        kind: 'notifications',
        status: 202,
        notifications: [],
        rejected: 1,
      });
      expect(answerGraphNotification({ url: '/notify', body: 'not json' }, 'ours')).toMatchObject({
        status: 400,
      });
    });
  });
});
