import {
  buildSampleUser,
  createManualContext,
  createTask,
  exportUserData,
  type UserDataExport,
  updateTask,
} from '@tasks/crdt';
import ICAL from 'ical.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../db/test-databases.js';
import {
  callApi as call,
  startTestServer,
  type TestServer,
  type TestUser,
} from '../test-server.js';

const START = Date.parse('2025-09-01T08:00:00Z');
const END = Date.parse('2026-01-10T08:00:00Z');

/** A generated user's file: all fields, series with skips, entries over four months. */
function sampleFile(): UserDataExport {
  const { docs } = buildSampleUser({
    userId: 'source-user',
    tasks: 150,
    entries: 400,
    start: START,
    end: END,
  });
  const ctx = createManualContext(new Date(END - 86_400_000));
  const series = createTask(
    docs,
    {
      title: 'Weekly report',
      dueDate: '2026-01-12T16:00:00Z',
      recurrenceRule: 'FREQ=WEEKLY',
      recurrenceExceptions: ['2026-01-26T16:00:00Z'],
    },
    ctx,
  );
  updateTask(docs, series.id, { description: 'Numbers from finance' }, ctx);
  return exportUserData(docs, { now: new Date(END) });
}

function comparable(data: UserDataExport) {
  const { exportedAt: _, calendarConnections: __, ...rest } = data;
  return rest;
}

interface Report {
  imported: Record<string, number>;
  skipped: { kind: string; ref: string; reason: string }[];
  warnings: { kind: string; ref: string; reason: string }[];
}

async function rawCall(ts: TestServer, user: TestUser, path: string, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${user.token}`);
  return fetch(`${ts.url}/api/v1${path}`, { ...init, headers });
}

describe.each(testDatabaseKinds())('export and import API on %s', (kind) => {
  let ts: TestServer;
  let file: UserDataExport;
  beforeAll(async () => {
    ts = await startTestServer(kind);
    file = sampleFile();
  }, 120_000);
  afterAll(async () => {
    await ts?.dispose();
  });

  it('round-trips a generated user: imported, exported, imported into a new account, exported equal', async () => {
    const alice = await ts.register('alice');
    const imported = await call<Report>(ts, alice, 'POST', '/import', file);
    expect(imported.status).toBe(200);
    expect(imported.body.skipped).toEqual([]);
    expect(imported.body.imported).toMatchObject({
      tasks: file.tasks.length,
      projects: file.projects.length,
      time_entries: 400,
    });
    const fromAlice = await call<UserDataExport>(ts, alice, 'GET', '/export');
    expect(fromAlice.status).toBe(200);
    expect(comparable(fromAlice.body)).toEqual(comparable(file));

    const bob = await ts.register('bob');
    expect((await call<Report>(ts, bob, 'POST', '/import', fromAlice.body)).status).toBe(200);
    const fromBob = await call<UserDataExport>(ts, bob, 'GET', '/export');
    expect(comparable(fromBob.body)).toEqual(comparable(fromAlice.body));
  }, 60_000);

  it('imports the same file twice without creating anything twice', async () => {
    const carol = await ts.register('carol');
    await call<Report>(ts, carol, 'POST', '/import', file);
    const again = await call<Report>(ts, carol, 'POST', '/import', file);
    expect(again.status).toBe(200);
    expect(again.body.imported).toEqual({
      settings: 0,
      projects: 0,
      tags: 0,
      tasks: 0,
      time_entries: 0,
    });
    expect(new Set(again.body.skipped.map((skip) => skip.reason))).toEqual(
      new Set(['already exists']),
    );
    const tasks = await call<{ total: number }>(ts, carol, 'GET', '/tasks?limit=1');
    expect(tasks.body.total).toBe(file.tasks.filter((task) => task.deletedAt === null).length);
  }, 60_000);

  it('exports the tasks as iCalendar VTODOs that ical.js reads', async () => {
    const dave = await ts.register('dave');
    await call<Report>(ts, dave, 'POST', '/import', file);
    const response = await rawCall(ts, dave, '/export?format=ics');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/calendar/);
    expect(response.headers.get('content-disposition')).toMatch(/attachment; filename="tasks-/);
    const calendar = new ICAL.Component(ICAL.parse(await response.text()));
    const todos = calendar.getAllSubcomponents('vtodo');
    expect(todos).toHaveLength(file.tasks.filter((task) => task.deletedAt === null).length);
    const series = todos.find((todo) => todo.getFirstPropertyValue('summary') === 'Weekly report');
    expect(String(series?.getFirstPropertyValue('rrule'))).toBe('FREQ=WEEKLY');
    expect(series?.getFirstPropertyValue('description')).toBe('Numbers from finance');
    expect(series?.hasProperty('exdate')).toBe(true);
  }, 60_000);

  it('gives a time sheet as CSV for a range', async () => {
    const erin = await ts.register('erin');
    await call<Report>(ts, erin, 'POST', '/import', file);
    const response = await rawCall(
      ts,
      erin,
      '/time/entries?format=csv&start_date=2025-10-01&end_date=2025-10-31',
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    const lines = (await response.text()).trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'date,start,end,duration_minutes,task,project,tags,description,manual,entry_id,task_id',
    );
    const json = await call<{ total_entries: number }>(
      ts,
      erin,
      'GET',
      '/time/entries?start_date=2025-10-01&end_date=2025-10-31',
    );
    expect(json.body.total_entries).toBeGreaterThan(0);
    expect(lines).toHaveLength(json.body.total_entries + 1);
  }, 60_000);

  it('imports a Todoist CSV and an iCalendar file as tasks, each only once', async () => {
    const frank = await ts.register('frank');
    const csv = 'TYPE,CONTENT,PRIORITY,INDENT,DATE\r\ntask,Pay rent @home,1,1,2026-02-01\r\n';
    const first = await call<Report>(ts, frank, 'POST', '/import?source=Home', csv, 'text/csv');
    expect(first.status).toBe(200);
    expect(first.body.imported.tasks).toBe(1);
    const again = await call<Report>(ts, frank, 'POST', '/import?source=Home', csv, 'text/csv');
    expect(again.body.imported.tasks).toBe(0);
    const ics = [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//test//EN',
      'BEGIN:VEVENT',
      'UID:dentist-1',
      'DTSTART:20260210T090000Z',
      'DTEND:20260210T100000Z',
      'SUMMARY:Dentist',
      'END:VEVENT',
      'END:VCALENDAR',
    ].join('\r\n');
    const calendar = await call<Report>(ts, frank, 'POST', '/import', ics, 'text/calendar');
    expect(calendar.body.imported.tasks).toBe(1);
    const list = await call<{
      items: { title: string; due_date: string | null; tags: string[] }[];
    }>(ts, frank, 'GET', '/tasks?sort=title');
    expect(list.body.items.map(({ title, due_date, tags }) => ({ title, due_date, tags }))).toEqual(
      [
        { title: 'Dentist', due_date: '2026-02-10T10:00:00Z', tags: [] },
        { title: 'Pay rent', due_date: '2026-02-01', tags: ['home'] },
      ],
    );
  }, 60_000);

  it('says what is wrong with a file it cannot read, and changes nothing', async () => {
    const gina = await ts.register('gina');
    const notOurs = await call(ts, gina, 'POST', '/import', { format: 'other', version: 1 });
    expect(notOurs.status).toBe(422);
    expect(notOurs.body.error.fields).toEqual([
      { field: 'format', message: 'must be "tasks-platform-export"' },
    ]);
    const broken = await call(ts, gina, 'POST', '/import', '{"format":', 'application/json');
    expect(broken.status).toBe(400);
    const unknown = await call(ts, gina, 'POST', '/import', 'hello', 'text/plain');
    expect(unknown.status).toBe(415);
    const notCsv = await call(ts, gina, 'POST', '/import', 'a,b\n1,2', 'text/csv');
    expect(notCsv.status).toBe(422);
    const tasks = await call<{ total: number }>(ts, gina, 'GET', '/tasks');
    expect(tasks.body.total).toBe(0);
  });

  it('needs a signed-in user', async () => {
    const response = await fetch(`${ts.url}/api/v1/export`);
    expect(response.status).toBe(401);
  });
});
