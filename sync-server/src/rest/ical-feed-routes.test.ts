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
