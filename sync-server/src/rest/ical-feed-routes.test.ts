import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ensureRadicaleInstalled, type RadicaleServer, startRadicale } from '@tasks/connectors';
import ICAL from 'ical.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../db/test-databases.js';
import { callApi as call, startTestServer, type TestServer } from '../test-server.js';

interface NewFeed {
  enabled: true;
  created_at: string;
  token: string;
  path: string;
  url: string;
}

/** What a calendar app sees at the address: the events, each series expanded by ical.js. */
async function subscribe(url: string) {
  const response = await fetch(url);
  if (response.status !== 200) return { status: response.status, events: [] };
  expect(response.headers.get('content-type')).toMatch(/^text\/calendar/);
  const calendar = new ICAL.Component(ICAL.parse(await response.text()));
  for (const zone of calendar.getAllSubcomponents('vtimezone')) {
    const timezone = new ICAL.Timezone(zone);
    if (!ICAL.TimezoneService.has(timezone.tzid)) ICAL.TimezoneService.register(timezone);
  }
  const events = calendar.getAllSubcomponents('vevent').map((component) => {
    const event = new ICAL.Event(component);
    const iterator = event.iterator();
    const starts: string[] = [];
    for (let next = iterator.next(); next && starts.length < 4; next = iterator.next()) {
      // A date stays a date: as a JS date it would be midnight in the machine's zone.
      starts.push(next.isDate ? next.toString() : next.toJSDate().toISOString());
    }
    return { summary: event.summary, starts };
  });
  return { status: 200, events: events.sort((a, b) => a.summary.localeCompare(b.summary)) };
}

/** vobject (and Radicale, which reads with it) comes with Debian's python3-radicale. */
const hasVobject = await ensureRadicaleInstalled();
const VOBJECT_READER = fileURLToPath(new URL('./read-ics-with-vobject.py', import.meta.url));

interface VobjectEvent {
  uid: string;
  summary: string;
  start: string;
  end: string | null;
  tzid: string | null;
  rrule: string | null;
  occurrences: string[];
}

/** The feed as a second, independent parser reads it: vobject, run by the system Python. */
function readWithVobject(icsText: string): {
  name: string | null;
  timezones: string[];
  events: VobjectEvent[];
} {
  const run = spawnSync('/usr/bin/python3', [VOBJECT_READER, '4'], {
    input: icsText,
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (run.status !== 0) throw new Error(`vobject could not read the feed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

const RADICALE_USER = { ana: 'secret' };
const AUTHORIZATION = `Basic ${Buffer.from('ana:secret').toString('base64')}`;

/** The UIDs of the collection's events with an occurrence in [from, to), as Radicale finds them. */
async function eventsBetween(collection: string, from: string, to: string): Promise<string[]> {
  const response = await fetch(collection, {
    method: 'REPORT',
    headers: {
      authorization: AUTHORIZATION,
      depth: '1',
      'content-type': 'application/xml; charset=utf-8',
    },
    body: `<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><C:calendar-data/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="${from}" end="${to}"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>`,
  });
  expect(response.status).toBe(207);
  const uids = [...(await response.text()).matchAll(/^UID:(.+?)\r?$/gm)].map((m) => m[1] ?? '');
  return [...new Set(uids)].sort();
}

describe.each(testDatabaseKinds())('calendar feed on %s', (kind) => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer(kind);
  }, 60_000);
  afterAll(async () => {
    await ts?.dispose();
  });

  it('serves the dated tasks as events at a secret address, series without skipped days', async () => {
    const user = await ts.register('feed');
    await call(ts, user, 'POST', '/tasks', { title: 'Undated idea' });
    await call(ts, user, 'POST', '/tasks', { title: 'Dentist', due_date: '2026-04-14' });
    await call(ts, user, 'POST', '/tasks', {
      title: 'Gym',
      start_date: '2026-03-23T17:00:00Z',
      due_date: '2026-03-23T18:00:00Z',
      recurrence_rule: 'FREQ=WEEKLY',
      // Skipped occurrences are named by their due date.
      recurrence_exceptions: ['2026-03-30T18:00:00Z'],
    });
    expect((await call(ts, user, 'GET', '/ical-feed')).body).toEqual({
      enabled: false,
      created_at: null,
    });
    const made = await call<NewFeed>(ts, user, 'POST', '/ical-feed');
    expect(made.status).toBe(201);
    expect(made.body.url).toBe(`${ts.url}/ical/${made.body.token}.ics`);
    const feed = await subscribe(made.body.url);
    expect(feed.events).toEqual([
      { summary: 'Dentist', starts: ['2026-04-14'] },
      {
        summary: 'Gym',
        // Every week from the start date, the 30th skipped.
        starts: [
          '2026-03-23T17:00:00.000Z',
          '2026-04-06T17:00:00.000Z',
          '2026-04-13T17:00:00.000Z',
          '2026-04-20T17:00:00.000Z',
        ],
      },
    ]);
    expect((await call(ts, user, 'GET', '/ical-feed')).body).toMatchObject({ enabled: true });
  });

  it.runIf(hasVobject)(
    'reads the same in vobject and in a real CalDAV server: zones, all-day days, skips, DST',
    async () => {
      const user = await ts.register('feed-berlin');
      await call(ts, user, 'PATCH', '/settings', { timezone: 'Europe/Berlin' });
      const task = async (body: Record<string, unknown>) =>
        (await call<{ id: string }>(ts, user, 'POST', '/tasks', body)).body.id;
      // 09:00 in Berlin every Monday: 08:00Z in winter, 07:00Z once summer time began (29 March).
      const standUp = await task({
        title: 'Stand-up',
        start_date: '2026-03-16T08:00:00Z',
        due_date: '2026-03-16T08:15:00Z',
        recurrence_rule: 'FREQ=WEEKLY;BYDAY=MO',
        recurrence_exceptions: ['2026-03-23T08:15:00Z'],
      });
      const bins = await task({
        title: 'Bins out',
        due_date: '2026-03-27',
        recurrence_rule: 'FREQ=WEEKLY',
        recurrence_exceptions: ['2026-04-03'],
      });
      const dentist = await task({ title: 'Dentist', due_date: '2026-04-14' });
      const flight = await task({
        title: 'Flight to Lisbon',
        start_date: '2026-04-02T05:30:00Z',
        due_date: '2026-04-02T07:45:00Z',
      });
      const tax = await task({ title: 'Tax return', due_date: '2026-03-31' });
      await call(ts, user, 'PATCH', `/tasks/${tax}`, { status: 'COMPLETED' });
      await task({ title: 'Undated idea' });
      const made = await call<NewFeed>(ts, user, 'POST', '/ical-feed');
      const text = await (await fetch(made.body.url)).text();

      const read = readWithVobject(text);
      expect(read.name).toBe('Tasks');
      expect(read.timezones).toEqual(['Europe/Berlin']);
      const allDay = { tzid: null, rrule: null };
      expect(read.events).toEqual([
        {
          uid: bins,
          summary: 'Bins out',
          start: '2026-03-27',
          end: '2026-03-28',
          tzid: null,
          rrule: 'FREQ=WEEKLY',
          occurrences: ['2026-03-27', '2026-04-10', '2026-04-17', '2026-04-24'],
        },
        {
          uid: dentist,
          summary: 'Dentist',
          start: '2026-04-14',
          end: '2026-04-15',
          occurrences: ['2026-04-14'],
          ...allDay,
        },
        {
          uid: flight,
          summary: 'Flight to Lisbon',
          start: '2026-04-02T05:30:00Z',
          end: '2026-04-02T07:45:00Z',
          tzid: 'Europe/Berlin',
          rrule: null,
          occurrences: ['2026-04-02T05:30:00Z'],
        },
        {
          uid: standUp,
          summary: 'Stand-up',
          start: '2026-03-16T08:00:00Z',
          end: '2026-03-16T08:15:00Z',
          tzid: 'Europe/Berlin',
          rrule: 'FREQ=WEEKLY;BYDAY=MO',
          occurrences: [
            '2026-03-16T08:00:00Z',
            '2026-03-30T07:00:00Z',
            '2026-04-06T07:00:00Z',
            '2026-04-13T07:00:00Z',
          ],
        },
        {
          uid: tax,
          summary: '✓ Tax return',
          start: '2026-03-31',
          end: '2026-04-01',
          occurrences: ['2026-03-31'],
          ...allDay,
        },
      ]);
      // ical.js, which wrote the feed, expands every series to the same occurrences.
      const icaljs = await subscribe(made.body.url);
      const bySummary = (events: { summary: string; starts: string[] }[]) =>
        new Map(
          events.map(({ summary, starts }) => [
            summary,
            starts.map((start) => start.replace('.000Z', 'Z')),
          ]),
        );
      expect(bySummary(icaljs.events)).toEqual(
        bySummary(read.events.map((event) => ({ ...event, starts: event.occurrences }))),
      );

      // A real CalDAV server takes the feed as a whole calendar (PUT on a collection, as its
      // import does): Radicale validates it with vobject and refuses bad iCalendar.
      const radicale: RadicaleServer = await startRadicale({ users: RADICALE_USER });
      try {
        const collection = `${radicale.url}ana/feed/`;
        const put = await fetch(collection, {
          method: 'PUT',
          headers: { authorization: AUTHORIZATION, 'content-type': 'text/calendar; charset=utf-8' },
          body: text,
        });
        expect(put.status, await put.text()).toBe(201);
        const stored = await fetch(collection, { headers: { authorization: AUTHORIZATION } });
        expect(readWithVobject(await stored.text()).events).toEqual(read.events);
        // Radicale's own recurrence expansion: the skipped Monday has no stand-up, the first
        // Monday of summer time has one at 07:00Z, the skipped Friday has no bins.
        const between = (date: string) => {
          const day = date.replace(/-/g, '');
          return eventsBetween(collection, `${day}T000000Z`, `${day}T235959Z`);
        };
        expect(await between('2026-03-23')).toEqual([]);
        expect(await between('2026-03-30')).toEqual([standUp]);
        expect(await between('2026-04-03')).toEqual([]);
        expect(await between('2026-04-10')).toEqual([bins]);
        expect(await eventsBetween(collection, '20260330T070000Z', '20260330T071000Z')).toEqual([
          standUp,
        ]);
        expect(await eventsBetween(collection, '20260330T080000Z', '20260330T081000Z')).toEqual([]);
      } finally {
        await radicale.close();
      }
    },
    60_000,
  );

  it('rotates the address, the old one ending at once, and turns the feed off', async () => {
    const user = await ts.register('rotate');
    const first = await call<NewFeed>(ts, user, 'POST', '/ical-feed');
    const second = await call<NewFeed>(ts, user, 'POST', '/ical-feed');
    expect(second.body.token).not.toBe(first.body.token);
    expect((await subscribe(first.body.url)).status).toBe(404);
    expect((await subscribe(second.body.url)).status).toBe(200);
    expect((await call(ts, user, 'DELETE', '/ical-feed')).status).toBe(204);
    expect((await subscribe(second.body.url)).status).toBe(404);
    expect((await call(ts, user, 'DELETE', '/ical-feed')).status).toBe(404);
  });

  it('answers 404 for an address no one has, and the settings need a signed-in user', async () => {
    expect((await fetch(`${ts.url}/ical/${'a'.repeat(43)}.ics`)).status).toBe(404);
    expect((await fetch(`${ts.url}/ical/not-a-token`)).status).toBe(404);
    expect((await fetch(`${ts.url}/api/v1/ical-feed`, { method: 'POST' })).status).toBe(401);
  });
});
