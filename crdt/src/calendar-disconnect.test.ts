import { describe, expect, it } from 'vitest';
import { forgetCalendarConnection } from './calendar-disconnect.js';
import { listCalendarEvents, upsertCalendarEvent } from './calendar-events.js';
import { getSettings, updateSettings } from './settings.js';
import { createTask, deleteTask, getTask } from './tasks.js';
import { manualContext, replica } from './test-support.js';

const october = { from: new Date('2025-10-01T00:00:00Z'), to: new Date('2025-11-01T00:00:00Z') };

function mirrored(connectionId: string, eventId: string, title: string) {
  return {
    connectionId,
    eventId,
    title,
    start: '2025-10-10T10:00:00Z',
    end: '2025-10-10T11:00:00Z',
    allDay: false,
    source: 'GOOGLE',
    taskId: null,
  };
}

describe('forgetting a disconnected calendar', () => {
  it('takes away its events, its event ids on tasks and its planned blocks, and nothing of another calendar', () => {
    const docs = replica(1);
    const ctx = manualContext('t');
    upsertCalendarEvent(docs, mirrored('work', 'e1', 'Standup'));
    upsertCalendarEvent(docs, mirrored('home', 'e2', 'Dentist'));
    const shown = createTask(docs, { title: 'Taxes', calendarEventId: 'w-1' }, ctx);
    const elsewhere = createTask(docs, { title: 'Garden', calendarEventId: 'h-1' }, ctx);
    // Linked to this calendar once, since moved to another one by a later sync.
    const moved = createTask(docs, { title: 'Moved', calendarEventId: 'h-2' }, ctx);
    updateSettings(docs, { scheduling: { blocksCalendarConnectionId: 'work' } });

    forgetCalendarConnection(
      docs,
      'work',
      [
        { taskId: shown.id, eventId: 'w-1' },
        { taskId: moved.id, eventId: 'w-2' },
      ],
      ctx,
    );

    expect(listCalendarEvents(docs, october).map((event) => event.title)).toEqual(['Dentist']);
    expect(getTask(docs, shown.id)?.calendarEventId).toBeNull();
    expect(getTask(docs, elsewhere.id)?.calendarEventId).toBe('h-1');
    expect(getTask(docs, moved.id)?.calendarEventId).toBe('h-2');
    expect(getSettings(docs).scheduling.blocksCalendarConnectionId).toBeNull();
  });

  it('keeps the planned blocks on another calendar, and can run twice', () => {
    const docs = replica(1);
    const ctx = manualContext('t');
    const task = createTask(docs, { title: 'Taxes', calendarEventId: 'w-1' }, ctx);
    updateSettings(docs, { scheduling: { blocksCalendarConnectionId: 'home' } });
    const links = [{ taskId: task.id, eventId: 'w-1' }];
    forgetCalendarConnection(docs, 'work', links, ctx);
    forgetCalendarConnection(docs, 'work', links, ctx);
    expect(getTask(docs, task.id)?.calendarEventId).toBeNull();
    expect(getSettings(docs).scheduling.blocksCalendarConnectionId).toBe('home');
  });

  it('leaves a task in the trash as it is, and passes over a task that no longer exists', () => {
    const docs = replica(1);
    const ctx = manualContext('t');
    const trashed = createTask(docs, { title: 'Old', calendarEventId: 'w-1' }, ctx);
    deleteTask(docs, trashed.id, ctx);
    forgetCalendarConnection(
      docs,
      'work',
      [
        { taskId: trashed.id, eventId: 'w-1' },
        { taskId: 'never-there', eventId: 'w-9' },
      ],
      ctx,
    );
    expect(getTask(docs, trashed.id)?.deletedAt).not.toBeNull();
  });
});
