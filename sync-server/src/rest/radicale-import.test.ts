import { ensureRadicaleInstalled, type RadicaleServer, startRadicale } from '@tasks/connectors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../db/test-databases.js';
import { callApi as call, startTestServer, type TestServer } from '../test-server.js';

/**
 * "An .ics from Radicale imports as expected" (issue 17), with a real Radicale: a calendar
 * client's objects are stored there, the collection is downloaded as its web page's export does
 * (GET on the collection: one VCALENDAR Radicale rewrites with vobject, properties reordered,
 * time zones merged, long lines folded) and imported through `POST /api/v1/import`. Google's
 * export cannot be fetched from this machine: its sample in connectors' icalendar-file.test.ts
 * stays hand-written.
 */

const hasRadicale = await ensureRadicaleInstalled();

const BERLIN = [
  'BEGIN:VTIMEZONE',
  'TZID:Europe/Berlin',
  'BEGIN:DAYLIGHT',
  'TZOFFSETFROM:+0100',
  'TZOFFSETTO:+0200',
  'TZNAME:CEST',
  'DTSTART:19700329T020000',
  'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU',
  'END:DAYLIGHT',
  'BEGIN:STANDARD',
  'TZOFFSETFROM:+0200',
  'TZOFFSETTO:+0100',
  'TZNAME:CET',
  'DTSTART:19701025T030000',
  'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU',
  'END:STANDARD',
  'END:VTIMEZONE',
];

const calendarObject = (...lines: string[]) =>
  [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN',
    ...lines,
    'END:VCALENDAR',
    '',
  ].join('\r\n');

/** What a client (Thunderbird here) PUTs, one object per event or to-do. */
const OBJECTS: Record<string, string> = {
  'board-review.ics': calendarObject(
    ...BERLIN,
    'BEGIN:VEVENT',
    'UID:board-review-7f3a',
    'DTSTAMP:20260301T120000Z',
    'CREATED:20260220T101500Z',
    'DTSTART;TZID=Europe/Berlin:20260302T140000',
    'DTEND;TZID=Europe/Berlin:20260302T150000',
    'RRULE:FREQ=WEEKLY;BYDAY=MO',
    'EXDATE;TZID=Europe/Berlin:20260316T140000',
    'SUMMARY:Board review',
    'DESCRIPTION:Quarterly numbers\\, the hiring plan and the café budget: bring the laptop a',
    ' nd the printed slides for everyone.',
    'END:VEVENT',
    // The week of 9 March moved to Tuesday: an overridden occurrence. A task holds one rule and
    // its skips, so the import makes it a task of its own, linked to the series, which skips it.
    'BEGIN:VEVENT',
    'UID:board-review-7f3a',
    'DTSTAMP:20260301T120000Z',
    'RECURRENCE-ID;TZID=Europe/Berlin:20260309T140000',
    'DTSTART;TZID=Europe/Berlin:20260310T160000',
    'DTEND;TZID=Europe/Berlin:20260310T170000',
    'SUMMARY:Board review (moved)',
    'END:VEVENT',
  ),
  'easter.ics': calendarObject(
    'BEGIN:VEVENT',
    'UID:easter-2026',
    'DTSTAMP:20260301T120000Z',
    'DTSTART;VALUE=DATE:20260405',
    'DTEND;VALUE=DATE:20260406',
    'SUMMARY:Easter',
    'END:VEVENT',
  ),
  'dentist.ics': calendarObject(
    'BEGIN:VEVENT',
    'UID:dentist-91',
    'DTSTAMP:20260301T120000Z',
    'DTSTART:20260212T083000Z',
    'DTEND:20260212T091500Z',
    'SUMMARY:Dentist',
    'END:VEVENT',
  ),
  'move.ics': calendarObject(
    'BEGIN:VTODO',
    'UID:plan-the-move',
    'DTSTAMP:20260301T100000Z',
    'CREATED:20260215T080000Z',
    'SUMMARY:Plan the move',
    'DUE;VALUE=DATE:20260420',
    'PRIORITY:1',
    'STATUS:IN-PROCESS',
    'CATEGORIES:Home,Family',
    'END:VTODO',
  ),
  'boxes.ics': calendarObject(
    'BEGIN:VTODO',
    'UID:order-boxes',
    'DTSTAMP:20260301T100000Z',
    'SUMMARY:Order boxes',
    'DUE:20260310T170000Z',
    'STATUS:COMPLETED',
    'COMPLETED:20260305T110000Z',
    'RELATED-TO;RELTYPE=PARENT:plan-the-move',
    'END:VTODO',
  ),
};

interface ApiTask {
  id: string;
  title: string;
  description: string;
  status: string;
  priority: string;
  due_date: string | null;
  start_date: string | null;
  tags: string[];
  parent_task_id: string | null;
  recurrence_rule: string | null;
  recurrence_exceptions: string[];
  completed_at: string | null;
}

describe.runIf(hasRadicale)('importing a calendar exported from a real Radicale', () => {
  let radicale: RadicaleServer;
  let exported: string;
  beforeAll(async () => {
    radicale = await startRadicale({ users: { ana: 'secret' } });
    const authorization = `Basic ${Buffer.from('ana:secret').toString('base64')}`;
    const collection = `${radicale.url}ana/home/`;
    const made = await fetch(collection, { method: 'MKCALENDAR', headers: { authorization } });
    expect(made.status).toBe(201);
    for (const [name, body] of Object.entries(OBJECTS)) {
      const put = await fetch(collection + name, {
        method: 'PUT',
        headers: { authorization, 'content-type': 'text/calendar; charset=utf-8' },
        body,
      });
      expect(put.status, name).toBe(201);
    }
    const download = await fetch(collection, { headers: { authorization } });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toMatch(/^text\/calendar/);
    exported = await download.text();
  }, 60_000);
  afterAll(async () => {
    await radicale?.close();
  });

  it('is one calendar Radicale wrote, not the objects as they were sent', () => {
    expect(exported).toMatch(/^BEGIN:VCALENDAR\r\n/);
    expect(exported).not.toContain('Mozilla.org');
    expect(exported.match(/^BEGIN:VTIMEZONE/gm)).toHaveLength(1);
    expect(exported.match(/^BEGIN:(VEVENT|VTODO)/gm)).toHaveLength(6);
  });

  describe.each(testDatabaseKinds())('through POST /api/v1/import on %s', (kind) => {
    let ts: TestServer;
    beforeAll(async () => {
      ts = await startTestServer(kind);
    }, 60_000);
    afterAll(async () => {
      await ts?.dispose();
    });

    it('imports each event and to-do as a task, a series with its skipped and its moved week, once only', async () => {
      const user = await ts.register('radicale');
      const path = '/import?source=radicale-home';
      const report = await call<{
        imported: { tasks: number };
        skipped: unknown[];
        warnings: unknown[];
        moved_occurrences: unknown[];
      }>(ts, user, 'POST', path, exported, 'text/calendar');
      expect(report.status).toBe(200);
      expect(report.body.imported.tasks).toBe(6);
      expect(report.body.skipped).toEqual([]);
      expect(report.body.warnings).toEqual([]);

      const list = await call<{ items: ApiTask[] }>(ts, user, 'GET', '/tasks?sort=title');
      const byTitle = new Map(list.body.items.map((task) => [task.title, task]));
      expect([...byTitle.keys()]).toEqual([
        'Board review',
        'Board review (moved)',
        'Dentist',
        'Easter',
        'Order boxes',
        'Plan the move',
      ]);
      const series = byTitle.get('Board review');
      expect(series).toMatchObject({
        description:
          'Quarterly numbers, the hiring plan and the café budget: bring the laptop and the printed slides for everyone.',
        start_date: '2026-03-02T13:00:00Z',
        due_date: '2026-03-02T14:00:00Z',
        recurrence_rule: 'FREQ=WEEKLY;BYDAY=MO',
        // 16 March skipped (EXDATE), 9 March moved (RECURRENCE-ID): named by their due dates.
        recurrence_exceptions: ['2026-03-09T14:00:00Z', '2026-03-16T14:00:00Z'],
      });
      // Tuesday 10 March, 16:00 to 17:00 in Berlin, a dated task of its own.
      const moved = byTitle.get('Board review (moved)');
      expect(moved).toMatchObject({
        start_date: '2026-03-10T15:00:00Z',
        due_date: '2026-03-10T16:00:00Z',
        recurrence_rule: null,
        recurrence_exceptions: [],
        description: series?.description,
      });
      expect(report.body.moved_occurrences).toEqual([
        {
          ref: 'VEVENT board-review-7f3a occurrence 2026-03-09T13:00:00Z (Board review (moved))',
          task_id: moved?.id,
          series_id: series?.id,
          occurrence: '2026-03-09T14:00:00Z',
        },
      ]);
      // The link to the series is the task's series id, which the export keeps.
      const exportedData = await call<{ tasks: { id: string; seriesId?: string }[] }>(
        ts,
        user,
        'GET',
        '/export',
      );
      expect(exportedData.body.tasks.find((task) => task.id === moved?.id)?.seriesId).toBe(
        series?.id,
      );

      expect(byTitle.get('Dentist')).toMatchObject({
        start_date: '2026-02-12T08:30:00Z',
        due_date: '2026-02-12T09:15:00Z',
        recurrence_rule: null,
      });
      expect(byTitle.get('Easter')).toMatchObject({ due_date: '2026-04-05', start_date: null });
      const move = byTitle.get('Plan the move');
      expect(move).toMatchObject({
        due_date: '2026-04-20',
        priority: 'URGENT',
        status: 'IN_PROGRESS',
        tags: ['Family', 'Home'],
        parent_task_id: null,
      });
      expect(byTitle.get('Order boxes')).toMatchObject({
        due_date: '2026-03-10T17:00:00Z',
        status: 'COMPLETED',
        completed_at: '2026-03-05T11:00:00Z',
        parent_task_id: move?.id,
      });

      const again = await call<{ imported: { tasks: number }; moved_occurrences: unknown[] }>(
        ts,
        user,
        'POST',
        path,
        exported,
        'text/calendar',
      );
      expect(again.body.imported.tasks).toBe(0);
      expect(again.body.moved_occurrences).toEqual([]);
      const total = await call<{ total: number }>(ts, user, 'GET', '/tasks');
      expect(total.body.total).toBe(6);
    }, 60_000);
  });
});
