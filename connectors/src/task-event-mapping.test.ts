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
import { eventToTaskPatch, taskToEvent } from './task-event-mapping.js';

const ZONES = [
  'Europe/Paris',
  'America/New_York',
  'Asia/Tokyo',
  'Australia/Sydney',
  'America/Sao_Paulo',
] as const;
// Days around DST changes in those zones, and ordinary days.
const DAYS = [
  '2025-03-09',
  '2025-03-30',
  '2025-04-06',
  '2025-10-05',
  '2025-10-26',
  '2025-11-02',
  '2025-07-14',
  '2025-12-31',
];
const RULES = [
  null,
  'FREQ=DAILY',
  'FREQ=WEEKLY;BYDAY=MO,WE',
  'FREQ=MONTHLY;BYMONTHDAY=15',
  'FREQ=YEARLY;COUNT=3',
];

interface TaskShape {
  zone: string;
  day: string;
  hour: number;
  allDay: boolean;
  hasStart: boolean;
  hasDue: boolean;
  spanDays: number;
  spanMinutes: number;
  estimate: number | null;
  rule: string | null;
  priority: Task['priority'];
  title: string;
}

const shapeArb: fc.Arbitrary<TaskShape> = fc
  .record({
    zone: fc.constantFrom(...ZONES),
    day: fc.constantFrom(...DAYS),
    hour: fc.integer({ min: 0, max: 23 }),
    allDay: fc.boolean(),
    hasStart: fc.boolean(),
    hasDue: fc.boolean(),
    spanDays: fc.integer({ min: 0, max: 3 }),
    spanMinutes: fc.integer({ min: 15, max: 600 }),
    estimate: fc.option(fc.integer({ min: 5, max: 480 }), { nil: null }),
    rule: fc.constantFrom(...RULES),
    priority: fc.constantFrom('LOW', 'MEDIUM', 'HIGH', 'URGENT'),
    title: fc.string({ minLength: 1, maxLength: 60 }).filter((s) => s.trim().length > 0),
  })
  .filter((shape) => shape.hasStart || shape.hasDue);

function build(shape: TaskShape): { docs: UserDocs; task: Task } {
  const docs = new UserDocs('u1');
  const ctx = createManualContext(new Date('2025-01-01T00:00:00Z'));
  const local = DateTime.fromISO(`${shape.day}T${String(shape.hour).padStart(2, '0')}:00`, {
    zone: shape.zone,
  });
  const start = shape.allDay
    ? shape.day
    : (local.toUTC().toISO({ suppressMilliseconds: true }) ?? '');
  const due = shape.allDay
    ? (DateTime.fromISO(shape.day).plus({ days: shape.spanDays }).toISODate() ?? shape.day)
    : (local.plus({ minutes: shape.spanMinutes }).toUTC().toISO({ suppressMilliseconds: true }) ??
      '');
  const task = createTask(
    docs,
    {
      title: shape.title.trim(),
      description: `About ${shape.title}`,
      priority: shape.priority,
      startDate: shape.hasStart ? start : null,
      dueDate: shape.hasDue ? due : null,
      estimatedDuration: shape.estimate,
      recurrenceRule: shape.rule,
    },
    ctx,
  );
  return { docs, task };
}

describe('task ⇄ event mapping', () => {
  it('maps a task with a due time to an event ending then, lasting its estimate', () => {
    const { task } = build({
      zone: 'Europe/Paris',
      day: '2025-10-15',
      hour: 17,
      allDay: false,
      hasStart: false,
      hasDue: true,
      spanDays: 0,
      spanMinutes: 0,
      estimate: 120,
      rule: null,
      priority: 'HIGH',
      title: 'Report',
    });
    expect(taskToEvent(task, 'Europe/Paris')).toEqual({
      summary: 'Report',
      description: 'About Report',
      start: { dateTime: '2025-10-15T13:00:00Z', timeZone: 'Europe/Paris' },
      end: { dateTime: '2025-10-15T15:00:00Z', timeZone: 'Europe/Paris' },
      recurrence: null,
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
