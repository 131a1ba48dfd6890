import { describe, expect, it } from 'vitest';
import { upsertCalendarEvent } from './calendar-events.js';
import { agendaSendTime, dailyAgenda, isAgendaEmpty, nextAgenda } from './daily-agenda.js';
import { addPinnedBlock } from './task-blocks.js';
import { completeTask, createTask, deleteTask } from './tasks.js';
import { manualContext, replica, TEST_USER } from './test-support.js';
import { migrateDocument, type UserDocs } from './user-docs.js';

function setup(): UserDocs {
  const docs = replica(1);
  migrateDocument(docs.main, TEST_USER);
  return docs;
}

const berlin = { timezone: 'Europe/Berlin', agendaTime: '07:30' };

describe('when the daily agenda goes out', () => {
  it('is the chosen time of day in the user’s zone, on both sides of a DST change', () => {
    // Winter (UTC+1), the day clocks go forward (30 March 2025) and summer (UTC+2).
    expect(agendaSendTime('2025-03-29', berlin)).toBe('2025-03-29T06:30:00Z');
    expect(agendaSendTime('2025-03-30', berlin)).toBe('2025-03-30T05:30:00Z');
    expect(agendaSendTime('2025-10-26', berlin)).toBe('2025-10-26T06:30:00Z');
  });

  it('moves a time the zone skips forward by the gap, and takes the first pass of a repeated one', () => {
    expect(agendaSendTime('2025-03-30', { ...berlin, agendaTime: '02:30' })).toBe(
      '2025-03-30T01:30:00Z',
    );
    expect(agendaSendTime('2025-10-26', { ...berlin, agendaTime: '02:30' })).toBe(
      '2025-10-26T00:30:00Z',
    );
  });

  it('is today’s while its time is to come, tomorrow’s after it, and none without a time', () => {
    expect(nextAgenda(berlin, new Date('2025-03-30T05:29:59Z'))).toEqual({
      day: '2025-03-30',
      at: '2025-03-30T05:30:00Z',
    });
    expect(nextAgenda(berlin, new Date('2025-03-30T05:30:01Z'))).toEqual({
      day: '2025-03-31',
      at: '2025-03-31T05:30:00Z',
    });
    // 23:30 UTC on the 29th is already the 30th in Berlin.
    expect(nextAgenda(berlin, new Date('2025-03-29T23:30:00Z'))?.day).toBe('2025-03-30');
    expect(nextAgenda({ ...berlin, agendaTime: null }, new Date('2025-03-30T00:00:00Z'))).toBe(
      null,
    );
  });
});

describe('what the daily agenda holds', () => {
  it('lists the day’s open tasks, the overdue ones, the blocks and the events, in the user’s zone', () => {
    const docs = setup();
    const ctx = manualContext('t');
    // 30 March 2025 in Berlin runs from 29 March 23:00 UTC to 30 March 22:00 UTC (23 hours).
    const late = createTask(docs, { title: 'Late evening', dueDate: '2025-03-30T21:30:00Z' }, ctx);
    createTask(docs, { title: 'Tomorrow in Berlin', dueDate: '2025-03-30T22:30:00Z' }, ctx);
    const early = createTask(
      docs,
      { title: 'Just after midnight', dueDate: '2025-03-29T23:15:00Z' },
      ctx,
    );
    createTask(docs, { title: 'All day', dueDate: '2025-03-30' }, ctx);
    createTask(docs, { title: 'Forgotten', dueDate: '2025-03-27' }, ctx);
    createTask(docs, { title: 'Starts today', startDate: '2025-03-30T08:00:00Z' }, ctx);
    const done = createTask(docs, { title: 'Done already', dueDate: '2025-03-30' }, ctx);
    completeTask(docs, done.id, ctx);
    const gone = createTask(docs, { title: 'Deleted', dueDate: '2025-03-30' }, ctx);
    deleteTask(docs, gone.id, ctx);
    addPinnedBlock(
      docs,
      late.id,
      { start: '2025-03-30T12:00:00Z', end: '2025-03-30T13:00:00Z' },
      ctx,
    );
    addPinnedBlock(
      docs,
      early.id,
      { start: '2025-03-31T12:00:00Z', end: '2025-03-31T13:00:00Z' },
      ctx,
    );
    upsertCalendarEvent(docs, {
      connectionId: 'c1',
      eventId: 'e1',
      title: 'Standup',
      start: '2025-03-30T07:00:00Z',
      end: '2025-03-30T07:15:00Z',
      allDay: false,
      source: 'GOOGLE',
      taskId: null,
    });

    const agenda = dailyAgenda(docs, '2025-03-30', 'Europe/Berlin');
    expect(agenda.due.map((task) => task.title)).toEqual([
      'All day',
      'Just after midnight',
      'Late evening',
    ]);
    expect(agenda.overdue.map((task) => task.title)).toEqual(['Forgotten']);
    expect(agenda.starting.map((task) => task.title)).toEqual(['Starts today']);
    expect(agenda.blocks).toEqual([
      {
        taskId: late.id,
        title: 'Late evening',
        start: '2025-03-30T12:00:00Z',
        end: '2025-03-30T13:00:00Z',
      },
    ]);
    expect(agenda.events.map((event) => event.title)).toEqual(['Standup']);
    expect(isAgendaEmpty(agenda)).toBe(false);
    expect(isAgendaEmpty(dailyAgenda(setup(), '2025-03-30', 'Europe/Berlin'))).toBe(true);
  });

  it('refuses a day that is not one', () => {
    expect(() => dailyAgenda(setup(), '2025-13-40', 'Europe/Berlin')).toThrow(/not a day/);
  });
});
