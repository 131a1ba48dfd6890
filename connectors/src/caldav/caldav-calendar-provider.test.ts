import { randomUUID } from 'node:crypto';
import ICAL from 'ical.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type EventInput,
  InvalidCursorError,
  PreconditionFailedError,
  ProviderAuthError,
  ProviderRequestError,
  RateLimitedError,
} from '../calendar-provider.js';
import { runCalendarProviderContract } from '../calendar-provider-contract.js';
import {
  type CaldavCalendarProviderOptions,
  createCaldavCalendarProvider,
  ensureCaldavCalendar,
} from './caldav-calendar-provider.js';
import { editCaldavOccurrence } from './caldav-occurrence-edit.js';
import { ensureRadicaleInstalled, type RadicaleServer, startRadicale } from './radicale-server.js';
import type { Fetch } from './retrying-fetch.js';

const USER = 'tasks';
const PASSWORD = 'secret';
const isRadicaleInstalled = await ensureRadicaleInstalled();

const meeting = (overrides: Partial<EventInput> = {}): EventInput => ({
  summary: 'Planning',
  description: 'Agenda: budget; hiring, roadmap.',
  start: { dateTime: '2025-10-15T13:00:00Z', timeZone: 'Europe/Paris' },
  end: { dateTime: '2025-10-15T14:00:00Z', timeZone: 'Europe/Paris' },
  recurrence: null,
  exceptions: [],
  taskId: randomUUID(),
  priority: 'MEDIUM',
  ...overrides,
});

/** Options for a fresh calendar of its own on `server`. */
async function calendarOn(
  server: RadicaleServer,
  overrides: Partial<CaldavCalendarProviderOptions> = {},
): Promise<CaldavCalendarProviderOptions> {
  const options: CaldavCalendarProviderOptions = {
    serverUrl: server.url,
    username: USER,
    password: PASSWORD,
    calendarPath: `/${USER}/${randomUUID()}/`,
    retry: { sleep: async () => {} },
    ...overrides,
  };
  await ensureCaldavCalendar(options);
  return options;
}

const basicAuth = `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}`;

/** Writes an object as another client would, bypassing the adapter. */
async function putAsAnotherClient(url: string, ics: string): Promise<void> {
  const response = await fetch(url, {
    method: 'PUT',
    headers: { authorization: basicAuth, 'content-type': 'text/calendar; charset=utf-8' },
    body: ics,
  });
  expect(response.status).toBe(201);
}

async function rawObject(server: RadicaleServer, id: string): Promise<string> {
  const response = await fetch(new URL(id, server.url), { headers: { authorization: basicAuth } });
  expect(response.status).toBe(200);
  return response.text();
}

const methodOf = (input: Parameters<Fetch>[0], init: Parameters<Fetch>[1]) =>
  init?.method ?? (input instanceof Request ? input.method : 'GET');

describe.skipIf(!isRadicaleInstalled)('CalDAV adapter against Radicale', () => {
  runCalendarProviderContract('CalDAV (Radicale)', async () => {
    const server = await startRadicale({ users: { [USER]: PASSWORD } });
    const provider = createCaldavCalendarProvider(await calendarOn(server));
    return {
      provider,
      skippedOccurrences: 'kept',
      editOccurrence: (series, originalStart, change) =>
        editCaldavOccurrence(new URL(series.id, server.url), basicAuth, originalStart, change),
      dispose: () => server.close(),
    };
  });

  let server: RadicaleServer;
  beforeAll(async () => {
    server = await startRadicale({ users: { [USER]: PASSWORD } });
  }, 30_000);
  afterAll(async () => {
    await server?.close();
  });

  it('turns a create whose response was lost, retried with its key, into one object, overwriting nothing', async () => {
    let isPutLost = false;
    const losingFetch: Fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (methodOf(input, init) === 'PUT' && !isPutLost) {
        isPutLost = true;
        await response.body?.cancel();
        throw new TypeError('fetch failed: connection reset after the request was sent');
      }
      return response;
    };
    const options = await calendarOn(server);
    const provider = createCaldavCalendarProvider({ ...options, fetch: losingFetch });
    const key = randomUUID();
    const input = meeting();
    await expect(provider.createEvent(input, key)).rejects.toThrow(/connection reset/);
    // Before the retry, another device edits the event the lost attempt created.
    const elsewhere = createCaldavCalendarProvider(options);
    const [stored] = (await elsewhere.pullChanges(null)).changed;
    if (!stored) throw new Error('the first attempt stored nothing');
    await elsewhere.updateEvent(stored.id, { ...input, summary: 'Edited elsewhere' }, stored.etag);
    const created = await provider.createEvent(input, key);
    expect(created).toMatchObject({
      id: stored.id,
      summary: 'Edited elsewhere',
      taskId: input.taskId,
    });
    const { changed } = await provider.pullChanges(null);
    expect(changed.map((event) => [event.id, event.summary])).toEqual([
      [stored.id, 'Edited elsewhere'],
    ]);
    expect(created.id).toMatch(/\/tasks-[0-9a-f]{40}\.ics$/);
  });

  it('refuses an unknown sync token with InvalidCursorError, and a full pull recovers', async () => {
    const provider = createCaldavCalendarProvider(await calendarOn(server));
    const created = await provider.createEvent(meeting(), randomUUID());
    // Well formed, but the server never issued it (as when it expired from Radicale's cache).
    const forgotten = `http://radicale.org/ns/sync/${'0'.repeat(64)}`;
    await expect(provider.pullChanges(forgotten)).rejects.toBeInstanceOf(InvalidCursorError);
    const full = await provider.pullChanges(null);
    expect(full.changed.map((event) => event.id)).toEqual([created.id]);
    expect(full.deleted).toEqual([]);
    const next = await provider.pullChanges(full.cursor);
    expect(next).toEqual({ changed: [], deleted: [], cursor: full.cursor });
  });

  it('fails an update with PreconditionFailedError when another write lands between its read and its PUT', async () => {
    const options = await calendarOn(server);
    const rival = createCaldavCalendarProvider(options);
    const created = await rival.createEvent(meeting(), randomUUID());
    let hasRivalWritten = false;
    const racingFetch: Fetch = async (input, init) => {
      if (methodOf(input, init) === 'PUT' && !hasRivalWritten) {
        hasRivalWritten = true;
        await rival.updateEvent(created.id, meeting({ summary: 'Rival edit' }), created.etag);
      }
      return fetch(input, init);
    };
    const provider = createCaldavCalendarProvider({ ...options, fetch: racingFetch });
    await expect(
      provider.updateEvent(created.id, meeting({ summary: 'Our edit' }), created.etag),
    ).rejects.toBeInstanceOf(PreconditionFailedError);
    const stored = await provider.getEvent(created.id);
    expect(stored?.summary).toBe('Rival edit');
    await expect(provider.deleteEvent(created.id, created.etag)).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
    expect(await provider.getEvent(created.id)).not.toBeNull();
  });

  describe('an object written by another client', () => {
    const foreign = [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//Example Corp//Other Client//EN',
      'BEGIN:VTIMEZONE',
      'TZID:America/New_York',
      'BEGIN:DAYLIGHT',
      'TZOFFSETFROM:-0500',
      'TZOFFSETTO:-0400',
      'DTSTART:20070311T020000',
      'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU',
      'TZNAME:EDT',
      'END:DAYLIGHT',
      'BEGIN:STANDARD',
      'TZOFFSETFROM:-0400',
      'TZOFFSETTO:-0500',
      'DTSTART:20071104T020000',
      'RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU',
      'TZNAME:EST',
      'END:STANDARD',
      'END:VTIMEZONE',
      'BEGIN:VEVENT',
      'UID:0F3B7C1E-standup@other.example',
      'DTSTAMP:20250301T120000Z',
      'LAST-MODIFIED:20250302T080000Z',
      'DTSTART;TZID=America/New_York:20250310T090000',
      'DTEND;TZID=America/New_York:20250310T093000',
      'RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=10',
      'EXDATE;TZID=America/New_York:20250317T090000',
      'SUMMARY:Standup\\, daily',
      'DESCRIPTION:Line one\\nLine two',
      'PRIORITY:2',
      'BEGIN:VALARM',
      'ACTION:DISPLAY',
      'DESCRIPTION:Standup',
      'TRIGGER:-PT10M',
      'END:VALARM',
      'END:VEVENT',
      'END:VCALENDAR',
      '',
    ].join('\r\n');

    // Some clients name the TZID but leave out its VTIMEZONE, and give a DURATION, not a DTEND.
    const withoutVtimezone = [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//Example Corp//Terse Client//EN',
      'BEGIN:VEVENT',
      'UID:terse-1@other.example',
      'DTSTAMP:20250601T000000Z',
      'DTSTART;TZID=Asia/Tokyo:20250701T100000',
      'DURATION:PT45M',
      'SUMMARY:Call Tokyo',
      'END:VEVENT',
      'END:VCALENDAR',
      '',
    ].join('\r\n');

    const todo = [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//Example Corp//Other Client//EN',
      'BEGIN:VTODO',
      'UID:todo-1@other.example',
      'DTSTAMP:20250601T000000Z',
      'SUMMARY:Not an event',
      'END:VTODO',
      'END:VCALENDAR',
      '',
    ].join('\r\n');

    let options: CaldavCalendarProviderOptions;
    let calendarUrl: URL;
    beforeAll(async () => {
      options = await calendarOn(server);
      calendarUrl = new URL(options.calendarPath, server.url);
      // Named without `.ics`, which tsdav's fetchCalendarObjects would silently skip.
      await putAsAnotherClient(new URL('standup', calendarUrl).href, foreign);
      await putAsAnotherClient(new URL('terse-1.ics', calendarUrl).href, withoutVtimezone);
      await putAsAnotherClient(new URL('todo-1.ics', calendarUrl).href, todo);
    });

    it('is read with its zone, rule and priority, and taskId null; a VTODO is no event', async () => {
      const provider = createCaldavCalendarProvider(options);
      const { changed } = await provider.pullChanges(null);
      const byId = new Map(changed.map((event) => [event.id, event]));
      expect([...byId.keys()].sort()).toEqual([
        `${calendarUrl.pathname}standup`,
        `${calendarUrl.pathname}terse-1.ics`,
      ]);
      const standup = byId.get(`${calendarUrl.pathname}standup`);
      expect(standup).toMatchObject({
        summary: 'Standup, daily',
        description: 'Line one\nLine two',
        start: { dateTime: '2025-03-10T13:00:00Z', timeZone: 'America/New_York' },
        end: { dateTime: '2025-03-10T13:30:00Z', timeZone: 'America/New_York' },
        recurrence: 'FREQ=WEEKLY;COUNT=10;BYDAY=MO',
        taskId: null,
        priority: 'HIGH',
        updatedAt: '2025-03-02T08:00:00Z',
      });
      expect(byId.get(`${calendarUrl.pathname}terse-1.ics`)).toMatchObject({
        start: { dateTime: '2025-07-01T01:00:00Z', timeZone: 'Asia/Tokyo' },
        end: { dateTime: '2025-07-01T01:45:00Z', timeZone: 'Asia/Tokyo' },
        recurrence: null,
        taskId: null,
        priority: null,
        description: '',
      });
    });

    it('keeps its UID, EXDATE and alarm when we update the fields we own', async () => {
      const provider = createCaldavCalendarProvider(options);
      const id = `${calendarUrl.pathname}standup`;
      const before = await provider.getEvent(id);
      if (!before) throw new Error('the foreign object is missing');
      const { id: _id, etag, updatedAt: _updatedAt, ...fields } = before;
      const updated = await provider.updateEvent(
        id,
        { ...fields, summary: 'Standup (moved)' },
        etag,
      );
      expect(updated).toMatchObject({
        summary: 'Standup (moved)',
        start: fields.start,
        recurrence: fields.recurrence,
      });
      const stored = new ICAL.Component(ICAL.parse(await rawObject(server, id)));
      const event = stored.getFirstSubcomponent('vevent');
      expect(event?.getFirstPropertyValue('uid')).toBe('0F3B7C1E-standup@other.example');
      expect(event?.getAllProperties('exdate')).toHaveLength(1);
      expect(event?.getAllSubcomponents('valarm')).toHaveLength(1);
      expect(event?.getFirstPropertyValue('sequence')).toBe(1);
    });
  });

  it('writes a timed event with TZID and a VTIMEZONE, so other clients keep its wall-clock time across DST', async () => {
    const provider = createCaldavCalendarProvider(await calendarOn(server));
    const created = await provider.createEvent(
      meeting({
        start: { dateTime: '2025-03-24T08:00:00Z', timeZone: 'Europe/Paris' },
        end: { dateTime: '2025-03-24T09:00:00Z', timeZone: 'Europe/Paris' },
        recurrence: 'FREQ=WEEKLY;BYDAY=MO',
      }),
      randomUUID(),
    );
    const raw = await rawObject(server, created.id);
    expect(raw).toMatch(/DTSTART;TZID=Europe\/Paris:20250324T090000/);
    expect(raw).toMatch(/X-TASKS-TASK-ID:/);
    // Expand the stored object the way another client would, with only what it contains.
    const vevent = new ICAL.Component(ICAL.parse(raw)).getFirstSubcomponent('vevent');
    if (!vevent) throw new Error('no VEVENT stored');
    const occurrences = new ICAL.Event(vevent).iterator();
    const firstTwo = [occurrences.next(), occurrences.next()].map((time) =>
      time?.toJSDate().toISOString(),
    );
    // 24 March is CET (UTC+1), 31 March CEST (UTC+2): 09:00 in Paris both times.
    expect(firstTwo).toEqual(['2025-03-24T08:00:00.000Z', '2025-03-31T07:00:00.000Z']);
  });

  describe('rate limits', () => {
    function throttlingFetch(
      rejections: number,
      headers: Record<string, string> = {},
    ): { fetch: Fetch; requests: () => number } {
      let requests = 0;
      return {
        requests: () => requests,
        fetch: async (input, init) => {
          requests += 1;
          if (requests <= rejections) return new Response('slow down', { status: 429, headers });
          return fetch(input, init);
        },
      };
    }

    it('waits as long as Retry-After says, then succeeds', async () => {
      const options = await calendarOn(server);
      const sleeps: number[] = [];
      const throttle = throttlingFetch(2, { 'retry-after': '3' });
      const provider = createCaldavCalendarProvider({
        ...options,
        fetch: throttle.fetch,
        retry: { sleep: async (ms) => void sleeps.push(ms) },
      });
      const { cursor } = await provider.pullChanges(null);
      expect(cursor).toMatch(/^http:\/\/radicale\.org\/ns\/sync\//);
      expect(sleeps).toEqual([3000, 3000]);
    });

    it('backs off exponentially with jitter without Retry-After, then gives up with RateLimitedError', async () => {
      const options = await calendarOn(server);
      const sleeps: number[] = [];
      const throttle = throttlingFetch(Number.POSITIVE_INFINITY);
      const provider = createCaldavCalendarProvider({
        ...options,
        fetch: throttle.fetch,
        retry: {
          maxAttempts: 4,
          baseDelayMs: 100,
          random: () => 0.5,
          sleep: async (ms) => void sleeps.push(ms),
        },
      });
      const failure = provider.getEvent(`${options.calendarPath}nothing.ics`);
      await expect(failure).rejects.toBeInstanceOf(RateLimitedError);
      await expect(failure).rejects.toMatchObject({ retryAfterMs: null });
      expect(sleeps).toEqual([50, 100, 200]);
      expect(throttle.requests()).toBe(4);
    });

    it('hands a Retry-After longer than it will wait to the caller at once', async () => {
      const options = await calendarOn(server);
      const sleeps: number[] = [];
      const throttle = throttlingFetch(1, { 'retry-after': '3600' });
      const provider = createCaldavCalendarProvider({
        ...options,
        fetch: throttle.fetch,
        retry: { sleep: async (ms) => void sleeps.push(ms) },
      });
      const failure = provider.pullChanges(null);
      await expect(failure).rejects.toBeInstanceOf(RateLimitedError);
      await expect(failure).rejects.toMatchObject({ retryAfterMs: 3_600_000 });
      expect(sleeps).toEqual([]);
    });
  });

  it('reports refused credentials as ProviderAuthError', async () => {
    const options = await calendarOn(server);
    const provider = createCaldavCalendarProvider({ ...options, password: 'wrong' });
    await expect(provider.pullChanges(null)).rejects.toBeInstanceOf(ProviderAuthError);
  });

  it('expects the calendar to exist unless asked to create it, and creates it once', async () => {
    const options = {
      serverUrl: server.url,
      username: USER,
      password: PASSWORD,
      calendarPath: `/${USER}/made-on-demand/`,
    };
    const provider = createCaldavCalendarProvider(options);
    const failure = provider.pullChanges(null);
    await expect(failure).rejects.toBeInstanceOf(ProviderRequestError);
    await expect(failure).rejects.toMatchObject({ status: 404 });
    await ensureCaldavCalendar(options);
    await ensureCaldavCalendar(options);
    expect((await provider.pullChanges(null)).changed).toEqual([]);
    // The user's principal collection exists but holds no events: it is no calendar.
    await expect(ensureCaldavCalendar({ ...options, calendarPath: `/${USER}/` })).rejects.toThrow(
      /not a calendar collection/,
    );
  });
});
