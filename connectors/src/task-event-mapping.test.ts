import {
  createManualContext,
  createTask,
  getTask,
  type Task,
  UserDocs,
  updateTask,
} from '@tasks/crdt';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import type { EventInput } from './calendar-provider.js';
import { build, shapeArb } from './generated-tasks.test-support.js';
import { eventToTaskPatch, taskToEvent } from './task-event-mapping.js';

describe('task ⇄ event mapping', () => {
  it('maps a task with a due time to an event ending then, lasting its estimate', () => {
    const { task } = build({
      zone: 'Europe/Paris',
      day: '2025-10-15',
      hour: 17,
      minute: 0,
      allDay: false,
      hasStart: false,
      hasDue: true,
      spanDays: 0,
      spanMinutes: 0,
      estimate: 120,
      rule: null,
      skips: [],
      priority: 'HIGH',
      title: 'Report',
      description: 'About Report',
    });
    expect(taskToEvent(task, 'Europe/Paris')).toEqual({
      summary: 'Report',
      description: 'About Report',
      start: { dateTime: '2025-10-15T13:00:00Z', timeZone: 'Europe/Paris' },
      end: { dateTime: '2025-10-15T15:00:00Z', timeZone: 'Europe/Paris' },
      recurrence: null,
      exceptions: [],
      taskId: task.id,
      priority: 'HIGH',
    } satisfies EventInput);
  });

  it('maps a date without a time to an all-day event with an exclusive end date', () => {
    const docs = new UserDocs('u1');
    const task = createTask(
      docs,
      { title: 'Holiday', startDate: '2025-12-24', dueDate: '2025-12-26' },
      createManualContext(new Date()),
    );
    expect(taskToEvent(task, 'UTC')).toMatchObject({
      start: { date: '2025-12-24' },
      end: { date: '2025-12-27' },
    });
    const undated = createTask(docs, { title: 'Someday' }, createManualContext(new Date()));
    expect(taskToEvent(undated, 'UTC')).toBeNull();
  });

  it('shows a completed occurrence of a series as its own date, keeping the task’s rule', () => {
    const docs = new UserDocs('u1');
    const ctx = createManualContext(new Date('2025-01-01T00:00:00Z'));
    const task = createTask(
      docs,
      { title: 'Water plants', dueDate: '2025-06-02', recurrenceRule: 'FREQ=WEEKLY' },
      ctx,
    );
    const { next } = updateTask(docs, task.id, { status: 'COMPLETED' }, ctx);
    const done = getTask(docs, task.id) as Task;
    const event = taskToEvent(done, 'UTC') as EventInput;
    expect(event.recurrence).toBeNull();
    expect(eventToTaskPatch(event, done, 'UTC')).toEqual({});
    expect(taskToEvent(next as Task, 'UTC')?.recurrence).toBe('FREQ=WEEKLY');
    // Reopened, it stays its own date: the next occurrence carries the series.
    const reopened = updateTask(docs, task.id, { status: 'TODO' }, ctx).task;
    expect(taskToEvent(reopened, 'UTC')).toEqual(event);
    expect(eventToTaskPatch(event, reopened, 'UTC')).toEqual({});
  });

  it('round-trips 200 generated tasks: the event a task shows implies no change to it', () => {
    fc.assert(
      fc.property(shapeArb, (shape) => {
        const { task } = build(shape);
        const event = taskToEvent(task, shape.zone) as EventInput;
        expect(eventToTaskPatch(event, task, shape.zone)).toEqual({});
      }),
      { numRuns: 200 },
    );
  });

  it('round-trips 200 generated events into new tasks that show the same event', () => {
    fc.assert(
      fc.property(shapeArb, (shape) => {
        const { task } = build({ ...shape, hasStart: true, hasDue: true });
        const event = taskToEvent(task, shape.zone) as EventInput;
        const docs = new UserDocs('u2');
        const created = createTask(
          docs,
          { ...eventToTaskPatch(event, null, shape.zone), title: event.summary } as Parameters<
            typeof createTask
          >[1],
          createManualContext(new Date()),
        );
        expect({ ...(taskToEvent(created, shape.zone) as EventInput), taskId: task.id }).toEqual(
          event,
        );
      }),
      { numRuns: 200 },
    );
  });

  it('follows an event moved in the calendar: the task moves, keeping its wall-clock length', () => {
    fc.assert(
      fc.property(shapeArb, fc.integer({ min: -72, max: 72 }), (shape, hours) => {
        const { docs, task } = build(shape);
        const event = taskToEvent(task, shape.zone) as EventInput;
        const shift = (time: EventInput['start']): EventInput['start'] =>
          'date' in time
            ? {
                date:
                  DateTime.fromISO(time.date)
                    .plus({ days: Math.trunc(hours / 24) })
                    .toISODate() ?? time.date,
              }
            : {
                dateTime:
                  DateTime.fromISO(time.dateTime, { zone: 'utc' })
                    .plus({ hours })
                    .toUTC()
                    .toISO({ suppressMilliseconds: true }) ?? time.dateTime,
                timeZone: time.timeZone,
              };
        const moved: EventInput = {
          ...event,
          start: shift(event.start),
          end: shift(event.end),
          summary: 'Moved',
        };
        // Moved onto an occurrence the series skips, the task goes on to the next one (crdt).
        const movedStart = 'date' in moved.start ? moved.start.date : moved.start.dateTime;
        fc.pre(!moved.exceptions.includes(movedStart));
        updateTask(
          docs,
          task.id,
          eventToTaskPatch(moved, task, shape.zone),
          createManualContext(new Date()),
        );
        const after = getTask(docs, task.id) as Task;
        expect(taskToEvent(after, shape.zone)).toEqual(moved);
      }),
      { numRuns: 200 },
    );
  });
});
