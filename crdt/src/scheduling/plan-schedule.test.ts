import { describe, expect, it } from 'vitest';
import { upsertCalendarEvent } from '../calendar-events.js';
import { createManualContext } from '../context.js';
import { updateSettings } from '../settings.js';
import { addPinnedBlock, listTaskBlocks } from '../task-blocks.js';
import { completeTask, createTask, updateTask } from '../tasks.js';
import { UserDocs } from '../user-docs.js';
import { planAndApplySchedule, planSchedule } from './schedule-docs.js';

// Monday 23 March 2026, 08:00 in Berlin (UTC+1 until Sunday 29 March, UTC+2 after).
const MONDAY_8 = new Date('2026-03-23T07:00:00Z');
const NEXT_MONDAY = new Date('2026-03-30T00:00:00+02:00');

function setup(now = MONDAY_8) {
  const docs = new UserDocs('user');
  let next = 0;
  const ctx = createManualContext(now, () => {
    next += 1;
    return `id-${String(next).padStart(3, '0')}`;
  });
  updateSettings(docs, { timezone: 'Europe/Berlin' });
  return { docs, ctx };
}

const meeting = (id: string, start: string, end: string, series: string | null = null) => ({
  connectionId: 'cal',
  eventId: id,
  title: id,
  start,
  end,
  allDay: false,
  source: 'ICAL',
  taskId: null,
  series: series
    ? { rule: series, timeZone: 'Europe/Berlin', exceptions: [], overrides: [] }
    : null,
});

const times = (blocks: { start: string; end: string }[]) => blocks.map((b) => [b.start, b.end]);

describe('planning a week', () => {
  it('puts a task in the first free slot around a meeting and says why', () => {
    const { docs, ctx } = setup();
    // 09:00-10:00 Berlin meeting; the task needs 90 minutes before Wednesday 17:00.
    upsertCalendarEvent(docs, meeting('sync', '2026-03-23T08:00:00Z', '2026-03-23T09:00:00Z'));
    const task = createTask(
      docs,
      { title: 'Report', estimatedDuration: 90, priority: 'HIGH', dueDate: '2026-03-25T17:00' },
      ctx,
    );
    const plan = planSchedule(docs, ctx, { to: NEXT_MONDAY });
    expect(plan.unscheduled).toEqual([]);
    expect(plan.blocks).toEqual([
      {
        id: '',
        taskId: task.id,
        // 10:00 + the 5-minute buffer after the meeting, to 11:35 Berlin time.
        start: '2026-03-23T09:05:00Z',
        end: '2026-03-23T10:35:00Z',
        pinned: false,
        status: 'new',
        reasons: [
          'due Wed 25 Mar 17:00',
          'priority high',
          'first free 90-minute slot in working hours',
        ],
      },
    ]);
  });

  it('orders by deadline, then priority, then age', () => {
    const { docs, ctx } = setup();
    const later = createTask(
      docs,
      { title: 'Later', estimatedDuration: 60, priority: 'URGENT', dueDate: '2026-03-27' },
      ctx,
    );
    ctx.advance(1000);
    const older = createTask(
      docs,
      { title: 'Older', estimatedDuration: 60, dueDate: '2026-03-24' },
      ctx,
    );
    ctx.advance(1000);
    const newer = createTask(
      docs,
      { title: 'Newer', estimatedDuration: 60, dueDate: '2026-03-24' },
      ctx,
    );
    ctx.advance(1000);
    const high = createTask(
      docs,
      { title: 'High', estimatedDuration: 60, priority: 'HIGH', dueDate: '2026-03-24' },
      ctx,
    );
    const plan = planSchedule(docs, ctx, { to: NEXT_MONDAY });
    expect(plan.blocks.map((block) => block.taskId)).toEqual([
      high.id,
      older.id,
      newer.id,
      later.id,
    ]);
    expect(plan.blocks[1]?.reasons.slice(0, 2)).toEqual(['due Tue 24 Mar', 'priority medium']);
  });

  it('splits a long task into blocks no shorter than the minimum, with the buffer between', () => {
    const { docs, ctx } = setup();
    // Busy 10:00-11:00 and 12:00-17:00 on Monday: free 09:00-09:55, 11:05-11:55; Tuesday all day.
    upsertCalendarEvent(docs, meeting('a', '2026-03-23T09:00:00Z', '2026-03-23T10:00:00Z'));
    upsertCalendarEvent(docs, meeting('b', '2026-03-23T11:00:00Z', '2026-03-23T16:00:00Z'));
    updateSettings(docs, { scheduling: { minBlockMinutes: 45 } });
    const now = new Date('2026-03-23T08:00:00Z');
    ctx.set(now);
    createTask(docs, { title: 'Long', estimatedDuration: 150 }, ctx);
    const plan = planSchedule(docs, ctx, { to: NEXT_MONDAY });
    expect(times(plan.blocks)).toEqual([
      ['2026-03-23T08:00:00Z', '2026-03-23T08:55:00Z'],
      ['2026-03-23T10:05:00Z', '2026-03-23T10:55:00Z'],
      ['2026-03-24T08:00:00Z', '2026-03-24T08:45:00Z'],
    ]);
    expect(plan.blocks[0]?.reasons[2]).toBe(
      'part 1 of 3 (55 min): no free slot holds 2 h 30 min at once, so the earliest free working time in blocks of at least 45 min',
    );
  });

  it('shortens an earlier block when each free piece left is too short for the rest on its own', () => {
    const { docs, ctx } = setup();
    // Monday in Berlin: free 09:00-11:00, 13:05-13:40 and 15:05-15:40 (meetings and buffers
    // between), 2 h 50 min in all. 2 h 45 min cannot be 2 h + 35 min + 10 min (a block under
    // the minimum), but it can be 1 h 40 min + 35 min + 30 min.
    upsertCalendarEvent(docs, meeting('a', '2026-03-23T10:05:00Z', '2026-03-23T12:00:00Z'));
    upsertCalendarEvent(docs, meeting('b', '2026-03-23T12:45:00Z', '2026-03-23T14:00:00Z'));
    upsertCalendarEvent(docs, meeting('c', '2026-03-23T14:45:00Z', '2026-03-23T16:00:00Z'));
    createTask(docs, { title: 'Report', estimatedDuration: 165, dueDate: '2026-03-23T17:00' }, ctx);
    const plan = planSchedule(docs, ctx, { to: NEXT_MONDAY });
    expect(plan.unscheduled).toEqual([]);
    expect(times(plan.blocks)).toEqual([
      ['2026-03-23T08:00:00Z', '2026-03-23T09:40:00Z'],
      ['2026-03-23T12:05:00Z', '2026-03-23T12:40:00Z'],
      ['2026-03-23T14:05:00Z', '2026-03-23T14:35:00Z'],
    ]);
  });

  it('reports a task it cannot fit before its deadline with the time it needs and the time free', () => {
    const { docs, ctx } = setup(new Date('2026-03-26T08:00:00Z'));
    // Thursday 09:00 Berlin: 8 h free Thursday and 8 h Friday, of which a meeting takes 12 h.
    upsertCalendarEvent(docs, meeting('offsite', '2026-03-26T08:00:00Z', '2026-03-26T16:00:00Z'));
    upsertCalendarEvent(docs, meeting('review', '2026-03-27T08:00:00Z', '2026-03-27T12:00:00Z'));
    const task = createTask(
      docs,
      { title: 'Big', estimatedDuration: 360, dueDate: '2026-03-27T17:00' },
      ctx,
    );
    const plan = planSchedule(docs, ctx, { to: NEXT_MONDAY });
    expect(plan.blocks).toEqual([]);
    expect(plan.unscheduled).toEqual([
      {
        taskId: task.id,
        code: 'not-enough-time',
        // 13:05-17:00 Friday: 3 h 55 min after the review and its buffer.
        reason: 'needs 6 h before Fri 27 Mar 17:00; 3 h 55 min free',
        neededMinutes: 360,
        freeMinutes: 235,
        deadline: '2026-03-27T16:00:00Z',
      },
    ]);
  });

  it('says so for a task due before the plan starts and one starting after it ends', () => {
    const { docs, ctx } = setup();
    const late = createTask(
      docs,
      { title: 'Late', estimatedDuration: 30, dueDate: '2026-03-20' },
      ctx,
    );
    const future = createTask(
      docs,
      { title: 'Future', estimatedDuration: 30, startDate: '2026-04-06' },
      ctx,
    );
    const { unscheduled } = planSchedule(docs, ctx, { to: NEXT_MONDAY });
    expect(unscheduled.map((item) => [item.taskId, item.code, item.reason])).toEqual([
      [late.id, 'past-due', 'was due Fri 20 Mar, before this plan starts'],
      [future.id, 'starts-after-plan', 'starts Mon 6 Apr, after this plan ends Mon 30 Mar 00:00'],
    ]);
  });

  it('plans around every occurrence of a recurring meeting, all-day events and fixed tasks', () => {
    const { docs, ctx } = setup();
    updateSettings(docs, { scheduling: { bufferMinutes: 0 } });
    // A stand-up 09:00-12:00 Berlin every weekday, a day off on Tuesday, a fixed 12:00-16:00 call
    // on Monday: the first free time is Monday 16:00, then Wednesday 12:00.
    upsertCalendarEvent(
      docs,
      meeting('standup', '2026-03-23T08:00:00Z', '2026-03-23T11:00:00Z', 'FREQ=DAILY'),
    );
    upsertCalendarEvent(docs, {
      ...meeting('off', '2026-03-24T00:00:00Z', '2026-03-25T00:00:00Z'),
      allDay: true,
    });
    createTask(
      docs,
      {
        title: 'Call',
        startDate: '2026-03-23T12:00',
        dueDate: '2026-03-23T16:00',
        estimatedDuration: 240,
      },
      ctx,
    );
    createTask(docs, { title: 'Work', estimatedDuration: 120 }, ctx);
    const plan = planSchedule(docs, ctx, { to: NEXT_MONDAY });
    expect(times(plan.blocks)).toEqual([
      ['2026-03-23T15:00:00Z', '2026-03-23T16:00:00Z'],
      ['2026-03-25T11:00:00Z', '2026-03-25T12:00:00Z'],
    ]);
  });

  it('keeps each day within the daily cap', () => {
    const { docs, ctx } = setup();
    updateSettings(docs, { scheduling: { dailyCapMinutes: 120, bufferMinutes: 0 } });
    createTask(docs, { title: 'A', estimatedDuration: 90 }, ctx);
    createTask(docs, { title: 'B', estimatedDuration: 90 }, ctx);
    const plan = planSchedule(docs, ctx, { to: NEXT_MONDAY });
    // Two hours on Monday: B gets the 30 minutes A left, and the rest on Tuesday.
    expect(times(plan.blocks)).toEqual([
      ['2026-03-23T08:00:00Z', '2026-03-23T09:30:00Z'],
      ['2026-03-23T09:30:00Z', '2026-03-23T10:00:00Z'],
      ['2026-03-24T08:00:00Z', '2026-03-24T09:00:00Z'],
    ]);
  });

  it('keeps working hours on the wall clock across the change to summer time', () => {
    const { docs, ctx } = setup(new Date('2026-03-27T15:00:00Z'));
    updateSettings(docs, { workingHours: { fri: [{ start: '16:00', end: '17:00' }] } });
    createTask(docs, { title: 'Across', estimatedDuration: 120 }, ctx);
    const plan = planSchedule(docs, ctx, { to: new Date('2026-04-01T00:00:00Z') });
    // Friday 16:00-17:00 is UTC+1 (15:00Z); Monday 09:00 is UTC+2 (07:00Z).
    expect(times(plan.blocks)).toEqual([
      ['2026-03-27T15:00:00Z', '2026-03-27T16:00:00Z'],
      ['2026-03-30T07:00:00Z', '2026-03-30T08:00:00Z'],
    ]);
  });

  it('plans over the horizon of the settings from today by default', () => {
    const { docs, ctx } = setup();
    updateSettings(docs, { scheduling: { horizonDays: 2 } });
    createTask(docs, { title: 'Huge', estimatedDuration: 1200 }, ctx);
    const { range, unscheduled } = planSchedule(docs, ctx);
    expect(range.to.toISOString()).toBe('2026-03-24T23:00:00.000Z');
    expect(unscheduled[0]?.reason).toBe(
      'needs 20 h by the end of this plan, Wed 25 Mar 00:00; 16 h free',
    );
  });
});

describe('stored blocks and re-planning', () => {
  it('stores the blocks on the task and keeps them on a re-plan', () => {
    const { docs, ctx } = setup();
    const task = createTask(docs, { title: 'Write', estimatedDuration: 60 }, ctx);
    const applied = planAndApplySchedule(docs, ctx, { to: NEXT_MONDAY });
    expect(listTaskBlocks(docs, task.id)).toEqual([
      {
        id: applied.blocks[0]?.id,
        taskId: task.id,
        start: '2026-03-23T08:00:00Z',
        end: '2026-03-23T09:00:00Z',
        pinned: false,
        reasons: ['no due date', 'priority medium', 'first free 60-minute slot in working hours'],
      },
    ]);
    const again = planSchedule(docs, ctx, { to: NEXT_MONDAY });
    expect(again.blocks.map((b) => [b.id, b.status, b.start])).toEqual([
      [applied.blocks[0]?.id, 'kept', '2026-03-23T08:00:00Z'],
    ]);
    expect(again.blocks[0]?.reasons.at(-1)).toBe('kept where the last plan put it');
  });

  it('places a slipped block again and leaves the past one as it was', () => {
    const { docs, ctx } = setup();
    const task = createTask(docs, { title: 'Write', estimatedDuration: 60 }, ctx);
    const [first] = planAndApplySchedule(docs, ctx, { to: NEXT_MONDAY }).blocks;
    // It is 11:00 and the task is not done: its 09:00-10:00 block passed.
    ctx.set(new Date('2026-03-23T10:00:00Z'));
    const plan = planAndApplySchedule(docs, ctx, { to: NEXT_MONDAY });
    expect(plan.blocks.map((b) => [b.status, b.start])).toEqual([['new', '2026-03-23T10:00:00Z']]);
    expect(listTaskBlocks(docs, task.id).map((b) => b.id)).toEqual([first?.id, plan.blocks[0]?.id]);
  });

  it('counts pinned blocks as the task’s work and plans around them', () => {
    const { docs, ctx } = setup();
    const task = createTask(docs, { title: 'Write', estimatedDuration: 90 }, ctx);
    const other = createTask(docs, { title: 'Other', estimatedDuration: 60 }, ctx);
    addPinnedBlock(
      docs,
      task.id,
      { start: '2026-03-23T08:00:00Z', end: '2026-03-23T09:00:00Z' },
      ctx,
    );
    const plan = planSchedule(docs, ctx, { to: NEXT_MONDAY });
    expect(plan.blocks.map((b) => [b.taskId, b.status, b.start, b.end])).toEqual([
      [task.id, 'pinned', '2026-03-23T08:00:00Z', '2026-03-23T09:00:00Z'],
      [task.id, 'new', '2026-03-23T09:05:00Z', '2026-03-23T09:35:00Z'],
      [other.id, 'new', '2026-03-23T09:40:00Z', '2026-03-23T10:40:00Z'],
    ]);
  });

  it('moves what must move when a task grows, and drops the blocks of a task done', () => {
    const { docs, ctx } = setup();
    const task = createTask(docs, { title: 'Write', estimatedDuration: 60 }, ctx);
    const done = createTask(docs, { title: 'Done', estimatedDuration: 30 }, ctx);
    const [kept] = planAndApplySchedule(docs, ctx, { to: NEXT_MONDAY }).blocks;
    updateTask(docs, task.id, { estimatedDuration: 120 }, ctx);
    completeTask(docs, done.id, ctx);
    const plan = planAndApplySchedule(docs, ctx, { to: NEXT_MONDAY });
    expect(plan.blocks.map((b) => [b.id === kept?.id, b.status, b.start, b.end])).toEqual([
      [true, 'kept', '2026-03-23T08:00:00Z', '2026-03-23T09:00:00Z'],
      [false, 'new', '2026-03-23T09:05:00Z', '2026-03-23T10:05:00Z'],
    ]);
    expect(listTaskBlocks(docs, done.id)).toEqual([]);
  });
});
