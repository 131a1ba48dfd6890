import {
  createManualContext,
  createTask,
  getTask,
  importForeignTasks,
  listTasks,
  type Task,
  UserDocs,
  updateSettings,
  updateTask,
} from '@tasks/crdt';
import ICAL from 'ical.js';
import { describe, expect, it } from 'vitest';
import { readICalendarTasks, tasksToEventFeed, tasksToVtodoCalendar } from './icalendar-file.js';

const NOW = new Date('2026-03-02T08:00:00Z');
const ZONE = 'Europe/Berlin';

/** A user in Berlin with a weekly series skipping one week, an all-day task, a subtask, a done one. */
function userTasks(): { docs: UserDocs; tasks: Task[] } {
  const docs = new UserDocs('user-1');
  updateSettings(docs, { timezone: ZONE });
  const ctx = createManualContext(NOW);
  const standup = createTask(
    docs,
    {
      title: 'Standup',
      dueDate: '2026-03-09T09:15:00Z',
      startDate: '2026-03-09T09:00:00Z',
      recurrenceRule: 'FREQ=WEEKLY;BYDAY=MO',
      recurrenceExceptions: ['2026-03-23T09:15:00Z'],
      priority: 'HIGH',
      tags: ['work'],
    },
    ctx,
  );
  const taxes = createTask(
    docs,
    { title: 'File taxes', dueDate: '2026-05-31', description: 'Forms A and B' },
    ctx,
  );
  createTask(docs, { title: 'Collect receipts', parentId: taxes.id }, ctx);
  const done = createTask(docs, { title: 'Book flights', dueDate: '2026-03-01' }, ctx);
  updateTask(docs, done.id, { status: 'COMPLETED' }, ctx);
  expect(standup.recurrenceExceptions).toEqual(['2026-03-23T09:15:00Z']);
  return { docs, tasks: listTasks(docs) };
}

function parse(text: string): ICAL.Component {
  return new ICAL.Component(ICAL.parse(text));
}

/** Occurrence starts of an event or to-do as ical.js expands them (UTC ISO), up to `count`. */
function occurrences(calendar: ICAL.Component, component: ICAL.Component, count: number) {
  for (const zone of calendar.getAllSubcomponents('vtimezone')) {
    const timezone = new ICAL.Timezone(zone);
    if (!ICAL.TimezoneService.has(timezone.tzid)) ICAL.TimezoneService.register(timezone);
  }
  const event = new ICAL.Event(component);
  const iterator = event.iterator();
  const result: string[] = [];
  for (let next = iterator.next(); next && result.length < count; next = iterator.next()) {
    result.push(next.toJSDate().toISOString());
  }
  return result;
}

describe('tasks as an iCalendar file of VTODOs', () => {
  it('writes every field ical.js reads back, the series in the user’s zone with its skips', () => {
    const { tasks } = userTasks();
    const calendar = parse(tasksToVtodoCalendar(tasks, { timezone: ZONE, now: NOW }));
    const todos = calendar.getAllSubcomponents('vtodo');
    expect(todos).toHaveLength(4);
    const standup = todos.find((todo) => todo.getFirstPropertyValue('summary') === 'Standup');
    expect(standup?.getFirstProperty('dtstart')?.getParameter('tzid')).toBe(ZONE);
    expect(String(standup?.getFirstPropertyValue('dtstart'))).toBe('2026-03-09T10:00:00');
    expect(String(standup?.getFirstPropertyValue('rrule'))).toBe('FREQ=WEEKLY;BYDAY=MO');
    expect(standup?.getFirstPropertyValue('priority')).toBe(3);
    expect(standup?.getFirstProperty('categories')?.getValues()).toEqual(['work']);
    // The skip is named by DTSTART (10:00 Berlin on the 23rd), as RFC 5545 counts a series.
    expect(String(standup?.getFirstPropertyValue('exdate'))).toBe('2026-03-23T10:00:00');
    expect(occurrences(calendar, standup as ICAL.Component, 3)).toEqual([
      '2026-03-09T09:00:00.000Z',
      '2026-03-16T09:00:00.000Z',
      // 10:00 in Berlin after the clocks change on the 29th.
      '2026-03-30T08:00:00.000Z',
    ]);
    const taxes = todos.find((todo) => todo.getFirstPropertyValue('summary') === 'File taxes');
    expect(String(taxes?.getFirstPropertyValue('due'))).toBe('2026-05-31');
    const receipts = todos.find(
      (todo) => todo.getFirstPropertyValue('summary') === 'Collect receipts',
    );
    expect(receipts?.getFirstPropertyValue('related-to')).toBe(taxes?.getFirstPropertyValue('uid'));
    const flights = todos.find((todo) => todo.getFirstPropertyValue('summary') === 'Book flights');
    expect(flights?.getFirstPropertyValue('status')).toBe('COMPLETED');
    expect(flights?.hasProperty('completed')).toBe(true);
  });

  it('reads back as the same tasks, and into the same account as nothing new', () => {
    const { docs, tasks } = userTasks();
    const text = tasksToVtodoCalendar(tasks, { timezone: ZONE, now: NOW });
    const read = readICalendarTasks(text, { timezone: ZONE, source: 'export.ics' });
    const fields = (task: Pick<Task, 'title'> & Record<string, unknown>) => ({
      title: task.title,
      startDate: task.startDate ?? null,
      dueDate: task.dueDate ?? null,
      recurrenceRule: task.recurrenceRule ?? null,
      recurrenceExceptions: task.recurrenceExceptions ?? [],
      status: task.status ?? 'TODO',
    });
    expect(read.tasks.map((task) => fields(task.input as never)).sort(byTitle)).toEqual(
      tasks.map((task) => fields(task as never)).sort(byTitle),
    );
    const again = importForeignTasks(docs, read, createManualContext(NOW));
    expect(again.imported.task).toBe(0);

    const other = new UserDocs('user-2');
    const report = importForeignTasks(other, read, createManualContext(NOW));
    expect(report.imported.task).toBe(4);
    const receipts = listTasks(other).find((task) => task.title === 'Collect receipts');
    expect(listTasks(other).find((task) => task.id === receipts?.parentId)?.title).toBe(
      'File taxes',
    );
  });
});

const byTitle = (a: { title: string }, b: { title: string }) => a.title.localeCompare(b.title);

describe('the calendar feed of dated tasks', () => {
  it('shows each dated task as an event, series expanded without its skipped week', () => {
    const { tasks } = userTasks();
    const calendar = parse(tasksToEventFeed(tasks, { timezone: ZONE, now: NOW, name: 'Tasks' }));
    expect(calendar.getFirstPropertyValue('x-wr-calname')).toBe('Tasks');
    const events = calendar.getAllSubcomponents('vevent');
    // The subtask has no date; the done task shows, checked.
    expect(events.map((event) => event.getFirstPropertyValue('summary')).sort()).toEqual([
      'File taxes',
      'Standup',
      '✓ Book flights',
    ]);
    expect(calendar.getAllSubcomponents('vtimezone')).toHaveLength(1);
    const standup = events.find((event) => event.getFirstPropertyValue('summary') === 'Standup');
    expect(occurrences(calendar, standup as ICAL.Component, 3)).toEqual([
      '2026-03-09T09:00:00.000Z',
      '2026-03-16T09:00:00.000Z',
      '2026-03-30T08:00:00.000Z',
    ]);
    const taxes = events.find((event) => event.getFirstPropertyValue('summary') === 'File taxes');
    expect(String(taxes?.getFirstPropertyValue('dtstart'))).toBe('2026-05-31');
    expect(String(taxes?.getFirstPropertyValue('dtend'))).toBe('2026-06-01');
  });
});

/**
 * As Google Calendar exports a calendar (Settings → Import & export → Export): a weekly series
 * ending on a date (UNTIL in UTC, the end of that day in the calendar's zone), a skipped week
 * (EXDATE with TZID), a moved week (a VEVENT of the series' UID with RECURRENCE-ID, repeating the
 * series' description), and an all-day event. Hand-written, since Google cannot be reached from
 * this machine, after the structure of a real export: the one in ls.joyous's tests
 * (github.com/linuxsoftware/ls.joyous, ls/joyous/tests/test_ical.py, testGoogleCalendar): the
 * header with METHOD:PUBLISH and X-WR-CALNAME/X-WR-TIMEZONE, the VTIMEZONE with X-LIC-LOCATION,
 * Google's property order (DTSTART, DTEND, RRULE, EXDATE, DTSTAMP, UID, RECURRENCE-ID, CREATED,
 * DESCRIPTION, LAST-MODIFIED, LOCATION, SEQUENCE, STATUS, SUMMARY, TRANSP), empty DESCRIPTION
 * and LOCATION written out, lines folded at 75 octets. The Radicale file, by contrast, comes from
 * a real Radicale in sync-server's src/rest/radicale-import.test.ts.
 */
const GOOGLE_ICS = `BEGIN:VCALENDAR
PRODID:-//Google Inc//Google Calendar 70.9054//EN
VERSION:2.0
CALSCALE:GREGORIAN
METHOD:PUBLISH
X-WR-CALNAME:ana@example.com
X-WR-TIMEZONE:Europe/Berlin
BEGIN:VTIMEZONE
TZID:Europe/Berlin
X-LIC-LOCATION:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
DTSTART;TZID=Europe/Berlin:20260302T140000
DTEND;TZID=Europe/Berlin:20260302T150000
RRULE:FREQ=WEEKLY;UNTIL=20260427T215959Z;BYDAY=MO
EXDATE;TZID=Europe/Berlin:20260316T140000
DTSTAMP:20260301T120000Z
UID:4q9m1c0a8b7d6e5f4g3h2i1j0k@google.com
CREATED:20260220T101500Z
DESCRIPTION:Weekly review of the board: the numbers of the week\\, the hirin
 g plan and what is blocked.
LAST-MODIFIED:20260225T090000Z
LOCATION:Room 4.12
SEQUENCE:1
STATUS:CONFIRMED
SUMMARY:Board review
TRANSP:OPAQUE
END:VEVENT
BEGIN:VEVENT
DTSTART;TZID=Europe/Berlin:20260310T160000
DTEND;TZID=Europe/Berlin:20260310T170000
DTSTAMP:20260301T120000Z
UID:4q9m1c0a8b7d6e5f4g3h2i1j0k@google.com
RECURRENCE-ID;TZID=Europe/Berlin:20260309T140000
CREATED:20260220T101500Z
DESCRIPTION:Weekly review of the board: the numbers of the week\\, the hirin
 g plan and what is blocked.
LAST-MODIFIED:20260226T081500Z
LOCATION:Room 4.12
SEQUENCE:2
STATUS:CONFIRMED
SUMMARY:Board review (moved)
TRANSP:OPAQUE
END:VEVENT
BEGIN:VEVENT
DTSTART;VALUE=DATE:20260405
DTEND;VALUE=DATE:20260406
DTSTAMP:20260301T120000Z
UID:0a1b2c3d4e5f6g7h8i9j0k1l2m@google.com
CREATED:20260110T093000Z
DESCRIPTION:
LAST-MODIFIED:20260110T093000Z
LOCATION:
SEQUENCE:0
STATUS:CONFIRMED
SUMMARY:Easter
TRANSP:TRANSPARENT
END:VEVENT
END:VCALENDAR
`;

/** As Radicale stores to-dos a client (Thunderbird, Tasks.org) wrote: a parent, a done subtask. */
const RADICALE_ICS = `BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Radicale//NONSGML Radicale Server//EN
BEGIN:VTODO
UID:9f8e7d6c-parent
DTSTAMP:20260301T100000Z
CREATED:20260215T080000Z
SUMMARY:Plan the move
DESCRIPTION:Boxes\\, van\\, keys
DUE;VALUE=DATE:20260420
PRIORITY:1
STATUS:IN-PROCESS
CATEGORIES:Home,Family
END:VTODO
BEGIN:VTODO
UID:9f8e7d6c-child
DTSTAMP:20260301T100000Z
SUMMARY:Order boxes
DUE:20260310T170000Z
STATUS:COMPLETED
COMPLETED:20260305T110000Z
RELATED-TO;RELTYPE=PARENT:9f8e7d6c-parent
END:VTODO
BEGIN:VJOURNAL
UID:journal-1
SUMMARY:Notes
END:VJOURNAL
END:VCALENDAR
`;

describe('importing iCalendar files of other apps', () => {
  it('takes a Google calendar’s events as tasks, its moved week as a task of its own, in the event’s zone', () => {
    const read = readICalendarTasks(GOOGLE_ICS, { timezone: 'UTC', source: 'google.ics' });
    expect(read.skipped).toEqual([]);
    const description =
      'Weekly review of the board: the numbers of the week, the hiring plan and what is blocked.';
    expect(read.tasks.map((task) => task.input)).toEqual([
      {
        title: 'Board review',
        description,
        // The same rule, its parts in ical.js's order.
        recurrenceRule: 'FREQ=WEEKLY;BYDAY=MO;UNTIL=20260427T215959Z',
        startDate: '2026-03-02T13:00:00Z',
        dueDate: '2026-03-02T14:00:00Z',
        recurrenceExceptions: ['2026-03-16T14:00:00Z'],
      },
      {
        title: 'Board review (moved)',
        description,
        recurrenceRule: null,
        startDate: '2026-03-10T15:00:00Z',
        dueDate: '2026-03-10T16:00:00Z',
      },
      {
        title: 'Easter',
        description: '',
        recurrenceRule: null,
        startDate: null,
        dueDate: '2026-04-05',
      },
    ]);
    const [series, moved] = read.tasks;
    // The moved week names its series and the occurrence it replaces, as the series' due date.
    expect(moved?.occurrenceOf).toEqual({
      seriesId: series?.id,
      occurrence: '2026-03-09T14:00:00Z',
    });
    const docs = new UserDocs('user-1');
    const report = importForeignTasks(docs, read, createManualContext(NOW));
    expect(report.imported.task).toBe(3);
    expect(report.moved).toEqual([
      {
        ref: `VEVENT 4q9m1c0a8b7d6e5f4g3h2i1j0k@google.com occurrence 2026-03-09T13:00:00Z (Board review (moved))`,
        taskId: moved?.id,
        seriesId: series?.id,
        occurrence: '2026-03-09T14:00:00Z',
      },
    ]);
    // The series skips the moved week; the moved week is a task of the series.
    expect(getTask(docs, series?.id ?? '')).toMatchObject({
      recurrenceExceptions: ['2026-03-09T14:00:00Z', '2026-03-16T14:00:00Z'],
    });
    expect(getTask(docs, moved?.id ?? '')).toMatchObject({
      seriesId: series?.id,
      recurrenceRule: null,
      startDate: '2026-03-10T15:00:00Z',
    });
    const again = readICalendarTasks(GOOGLE_ICS, { timezone: 'UTC', source: 'google.ics' });
    const second = importForeignTasks(docs, again, createManualContext(NOW));
    expect(second.imported.task).toBe(0);
    expect(second.moved).toEqual([]);
    expect(listTasks(docs)).toHaveLength(3);
  });

  it('skips a cancelled occurrence (RECURRENCE-ID with STATUS:CANCELLED) as the series’ EXDATE', () => {
    const cancelledWeek = GOOGLE_ICS.replace(
      'SUMMARY:Board review (moved)',
      'SUMMARY:Board review (moved)\nSTATUS:CANCELLED',
    ).replace('STATUS:CONFIRMED\nSUMMARY:Board review (moved)', 'SUMMARY:Board review (moved)');
    const read = readICalendarTasks(cancelledWeek, { timezone: 'UTC', source: 'google.ics' });
    expect(read.tasks.map((task) => task.input.title)).toEqual(['Board review', 'Easter']);
    expect(read.tasks[0]?.input.recurrenceExceptions).toEqual([
      '2026-03-09T14:00:00Z',
      '2026-03-16T14:00:00Z',
    ]);
  });

  it('takes Radicale’s to-dos with status, priority, categories and the parent', () => {
    const read = readICalendarTasks(RADICALE_ICS, { timezone: 'UTC', source: 'radicale.ics' });
    expect(read.skipped).toEqual([
      { kind: 'task', ref: 'VJOURNAL journal-1', reason: 'a VJOURNAL is not a task' },
    ]);
    const docs = new UserDocs('user-1');
    const report = importForeignTasks(docs, read, createManualContext(NOW));
    expect(report.imported.task).toBe(2);
    const [move, boxes] = listTasks(docs);
    expect(move).toMatchObject({
      title: 'Plan the move',
      description: 'Boxes, van, keys',
      dueDate: '2026-04-20',
      priority: 'URGENT',
      status: 'IN_PROGRESS',
      tags: ['family', 'home'],
      createdAt: '2026-02-15T08:00:00Z',
    });
    expect(boxes).toMatchObject({
      title: 'Order boxes',
      dueDate: '2026-03-10T17:00:00Z',
      status: 'COMPLETED',
      completedAt: '2026-03-05T11:00:00Z',
      parentId: move?.id,
    });
  });

  it('reports a changed occurrence of a recurring to-do as skipped, with the reason', () => {
    const ics = [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//Nextcloud Tasks//EN',
      'BEGIN:VTODO',
      'UID:water-plants',
      'SUMMARY:Water the plants',
      'DUE;VALUE=DATE:20260303',
      'RRULE:FREQ=WEEKLY',
      'END:VTODO',
      'BEGIN:VTODO',
      'UID:water-plants',
      'RECURRENCE-ID;VALUE=DATE:20260310',
      'SUMMARY:Water the plants (balcony too)',
      'DUE;VALUE=DATE:20260311',
      'END:VTODO',
      'END:VCALENDAR',
    ].join('\r\n');
    const read = readICalendarTasks(ics, { timezone: 'UTC', source: 'tasks.ics' });
    expect(read.tasks.map((task) => task.input.title)).toEqual(['Water the plants']);
    expect(read.skipped).toEqual([
      {
        kind: 'task',
        ref: 'VTODO water-plants occurrence 2026-03-10',
        reason:
          'a changed occurrence of a recurring to-do (RECURRENCE-ID) is not imported: the series is, as it repeats',
      },
    ]);
  });

  it('reports an occurrence of an event that does not repeat as skipped, with the reason', () => {
    const ics = GOOGLE_ICS.replace('RRULE:FREQ=WEEKLY;UNTIL=20260427T215959Z;BYDAY=MO\n', '');
    const read = readICalendarTasks(ics, { timezone: 'UTC', source: 'google.ics' });
    expect(read.tasks.map((task) => task.input.title)).toEqual(['Board review', 'Easter']);
    expect(read.skipped).toEqual([
      {
        kind: 'task',
        ref: 'VEVENT 4q9m1c0a8b7d6e5f4g3h2i1j0k@google.com occurrence 2026-03-09T14:00:00',
        reason: 'an occurrence (RECURRENCE-ID) of an event that does not repeat (no RRULE)',
      },
    ]);
  });

  it('refuses text that is not iCalendar', () => {
    expect(() => readICalendarTasks('hello', { timezone: 'UTC', source: 'x' })).toThrow(
      /not an iCalendar file/,
    );
  });
});

describe('floating times', () => {
  it('are read as the user’s wall clock', () => {
    const ics = [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//test//EN',
      'BEGIN:VTODO',
      'UID:floating-1',
      'SUMMARY:Call mum',
      'DUE:20260701T180000',
      'END:VTODO',
      'END:VCALENDAR',
    ].join('\r\n');
    const read = readICalendarTasks(ics, { timezone: 'America/New_York', source: 'f.ics' });
    // 18:00 in New York in July is 22:00 UTC.
    expect(read.tasks[0]?.input.dueDate).toBe('2026-07-01T22:00:00Z');
  });
});
