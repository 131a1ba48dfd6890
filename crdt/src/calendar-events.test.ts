import { describe, expect, it } from 'vitest';
import { listCalendarEvents, removeCalendarEvent, upsertCalendarEvent } from './calendar-events.js';
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
