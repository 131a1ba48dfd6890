import { createManualContext, createTask, type Task, UserDocs } from '@tasks/crdt';
import fc from 'fast-check';
import { DateTime } from 'luxon';

/**
 * Generated tasks for the mapping and round-trip tests: five time zones, days around their DST
 * changes, all-day and timed, with and without start, due and estimate, recurrence rules,
 * priorities. Test support: not part of the build.
 */

export const ZONES = [
  'Europe/Paris',
  'America/New_York',
  'Asia/Tokyo',
  'Australia/Sydney',
  'America/Sao_Paulo',
] as const;
// Days around DST changes in those zones, and ordinary days.
export const DAYS = [
  '2025-03-09',
  '2025-03-30',
  '2025-04-06',
  '2025-10-05',
  '2025-10-26',
  '2025-11-02',
  '2025-07-14',
  '2025-12-31',
];
export const RULES = [
  null,
  'FREQ=DAILY',
  'FREQ=WEEKLY;BYDAY=MO,WE',
  'FREQ=MONTHLY;BYMONTHDAY=15',
  'FREQ=YEARLY;COUNT=3',
  'FREQ=DAILY;INTERVAL=2;COUNT=10',
  'FREQ=MONTHLY;BYDAY=2TU',
];

export interface TaskShape {
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

export const shapeArb: fc.Arbitrary<TaskShape> = fc
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

export function build(shape: TaskShape): { docs: UserDocs; task: Task } {
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
