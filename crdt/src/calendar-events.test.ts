import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import {
  listCalendarEvents,
  removeCalendarEvent,
  removeCalendarEventsOf,
  upsertCalendarEvent,
} from './calendar-events.js';
import { calendarEventsOf, UserDocs } from './user-docs.js';

const meeting = {
  connectionId: 'conn-1',
  eventId: 'evt-1',
  title: 'Team meeting',
  start: '2025-10-10T10:00:00Z',
  end: '2025-10-10T11:00:00Z',
  allDay: false,
  source: 'GOOGLE',
  taskId: null,
};

describe('mirrored calendar events', () => {
  it('lists what the document holds now, after a change here, on another device or in a transaction', () => {
    const docs = new UserDocs('u1');
    const october = {
      from: new Date('2025-10-01T00:00:00Z'),
      to: new Date('2025-11-01T00:00:00Z'),
    };
    upsertCalendarEvent(docs, meeting);
    const first = listCalendarEvents(docs, october);
    expect(first.map((event) => event.title)).toEqual(['Team meeting']);
    // A caller changing what it got changes nothing for the next one.
    (first[0] as { title: string }).title = 'Changed by a caller';
    expect(listCalendarEvents(docs, october).map((event) => event.title)).toEqual(['Team meeting']);
    upsertCalendarEvent(docs, { ...meeting, title: 'Moved meeting' });
    expect(listCalendarEvents(docs, october).map((event) => event.title)).toEqual([
      'Moved meeting',
    ]);
    const other = new UserDocs('u1');
    Y.applyUpdate(other.main, Y.encodeStateAsUpdate(docs.main));
    upsertCalendarEvent(other, { ...meeting, eventId: 'evt-2', title: 'From the phone' });
    Y.applyUpdate(docs.main, Y.encodeStateAsUpdate(other.main));
    expect(listCalendarEvents(docs, october).map((event) => event.title)).toEqual([
      'Moved meeting',
      'From the phone',
    ]);
    docs.main.transact(() => {
      removeCalendarEvent(docs, 'conn-1', 'evt-2');
      expect(listCalendarEvents(docs, october)).toHaveLength(1);
    });
    expect(listCalendarEvents(docs, october)).toHaveLength(1);
  });

  it('lists events overlapping a window, keyed by connection and event id', () => {
    const docs = new UserDocs('u1');
    upsertCalendarEvent(docs, meeting);
    upsertCalendarEvent(docs, {
      ...meeting,
      eventId: 'evt-2',
      start: '2025-11-01T10:00:00Z',
      end: '2025-11-01T11:00:00Z',
    });
    const october = listCalendarEvents(docs, {
      from: new Date('2025-10-01T00:00:00Z'),
      to: new Date('2025-11-01T00:00:00Z'),
    });
    expect(october.map((event) => event.id)).toEqual(['conn-1:evt-1']);
    expect(october[0]).toMatchObject({
      connectionId: 'conn-1',
      eventId: 'evt-1',
      source: 'GOOGLE',
    });
  });

  it('updates an event in place, writing only what changed', () => {
    const docs = new UserDocs('u1');
    upsertCalendarEvent(docs, meeting);
    let updates = 0;
    docs.main.on('update', () => {
      updates += 1;
    });
    upsertCalendarEvent(docs, meeting);
    expect(updates).toBe(0);
    upsertCalendarEvent(docs, { ...meeting, title: 'Moved meeting', taskId: 'task-1' });
    const [event] = listCalendarEvents(docs, { from: new Date(0), to: new Date('2030-01-01') });
    expect(event).toMatchObject({ title: 'Moved meeting', taskId: 'task-1' });
    removeCalendarEvent(docs, 'conn-1', 'evt-1');
    expect(calendarEventsOf(docs.main).size).toBe(0);
  });

  it('skips mirrored events without valid times', () => {
    const docs = new UserDocs('u1');
    upsertCalendarEvent(docs, { ...meeting, start: 'not a date' });
    calendarEventsOf(docs.main).set('junk', 'x');
    expect(listCalendarEvents(docs, { from: new Date(0), to: new Date('2030-01-01') })).toEqual([]);
  });
});

describe('mirrored recurring events', () => {
  // A weekly meeting at 10:00 Berlin time from Monday 9 March 2026 (CET; CEST from 29 March):
  // the 23 March occurrence moved to Tuesday 14:00, the 6 April one cancelled.
  const series = {
    ...meeting,
    eventId: 'weekly',
    title: 'Weekly sync',
    start: '2026-03-09T09:00:00.000Z',
    end: '2026-03-09T09:30:00.000Z',
    series: {
      rule: 'FREQ=WEEKLY;BYDAY=MO',
      timeZone: 'Europe/Berlin',
      exceptions: ['2026-04-06T08:00:00Z'],
      overrides: [
        {
          originalStart: '2026-03-23T09:00:00Z',
          start: '2026-03-24T13:00:00Z',
          end: '2026-03-24T13:30:00Z',
          title: 'Weekly sync (moved)',
        },
      ],
    },
  };
  const fromMarch16 = {
    from: new Date('2026-03-16T00:00:00Z'),
    to: new Date('2026-04-14T00:00:00Z'),
  };

  it('lists every occurrence in the range, moved and cancelled ones where they are', () => {
    const docs = new UserDocs('u1');
    upsertCalendarEvent(docs, series);
    const listed = listCalendarEvents(docs, fromMarch16);
    expect(listed.map(({ id, title, start, end }) => ({ id, title, start, end }))).toEqual([
      {
        id: 'conn-1:weekly@2026-03-16T09:00:00Z',
        title: 'Weekly sync',
        start: '2026-03-16T09:00:00.000Z',
        end: '2026-03-16T09:30:00.000Z',
      },
      {
        id: 'conn-1:weekly@2026-03-23T09:00:00Z',
        title: 'Weekly sync (moved)',
        start: '2026-03-24T13:00:00.000Z',
        end: '2026-03-24T13:30:00.000Z',
      },
      {
        id: 'conn-1:weekly@2026-03-30T08:00:00Z',
        title: 'Weekly sync',
        start: '2026-03-30T08:00:00.000Z',
        end: '2026-03-30T08:30:00.000Z',
      },
      {
        id: 'conn-1:weekly@2026-04-13T08:00:00Z',
        title: 'Weekly sync',
        start: '2026-04-13T08:00:00.000Z',
        end: '2026-04-13T08:30:00.000Z',
      },
    ]);
    expect(listed[0]).toMatchObject({
      seriesId: 'conn-1:weekly',
      eventId: 'weekly',
      originalStart: '2026-03-16T09:00:00Z',
    });
  });

  it('writes a series once, and only the fields it has', () => {
    const docs = new UserDocs('u1');
    upsertCalendarEvent(docs, series);
    let updates = 0;
    docs.main.on('update', () => {
      updates += 1;
    });
    upsertCalendarEvent(docs, { ...series, series: { ...series.series } });
    expect(updates).toBe(0);
    const stored = calendarEventsOf(docs.main).get('conn-1:weekly') as Y.Map<unknown>;
    expect([...stored.keys()].sort()).toEqual([
      'end',
      'exceptions',
      'overrides',
      'recurrence',
      'source',
      'start',
      'timeZone',
      'title',
    ]);
    upsertCalendarEvent(docs, { ...series, series: null });
    expect([...stored.keys()].sort()).toEqual(['end', 'source', 'start', 'title']);
    expect(listCalendarEvents(docs, fromMarch16)).toEqual([]);
  });

  it('shows the first occurrence alone when another device wrote a rule it cannot expand', () => {
    const docs = new UserDocs('u1');
    upsertCalendarEvent(docs, series);
    const stored = calendarEventsOf(docs.main).get('conn-1:weekly') as Y.Map<unknown>;
    stored.set('recurrence', 'FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30');
    stored.set('overrides', [{ originalStart: 12 }, 'junk', null]);
    stored.set('exceptions', 'not a list');
    const first = { from: new Date('2026-03-01T00:00:00Z'), to: new Date('2026-04-14T00:00:00Z') };
    expect(listCalendarEvents(docs, first).map((event) => event.id)).toEqual(['conn-1:weekly']);
    stored.set('recurrence', 'FREQ=WEEKLY');
    stored.set('timeZone', 42);
    // A zone that is not a string reads as UTC: the occurrences stay at the first one's instant.
    expect(listCalendarEvents(docs, fromMarch16).map((event) => event.start)).toEqual([
      '2026-03-16T09:00:00.000Z',
      '2026-03-23T09:00:00.000Z',
      '2026-03-30T09:00:00.000Z',
      '2026-04-06T09:00:00.000Z',
      '2026-04-13T09:00:00.000Z',
    ]);
  });

  it('removes every event of a disconnected calendar', () => {
    const docs = new UserDocs('u1');
    upsertCalendarEvent(docs, series);
    upsertCalendarEvent(docs, meeting);
    upsertCalendarEvent(docs, { ...meeting, connectionId: 'conn-2' });
    removeCalendarEventsOf(docs, 'conn-1');
    expect([...calendarEventsOf(docs.main).keys()]).toEqual(['conn-2:evt-1']);
  });
});
