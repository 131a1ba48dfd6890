import { describe, expect, it } from 'vitest';
import { createManualContext } from '../context.js';
import { ValidationError } from '../errors.js';
import {
  DEFAULT_SCHEDULING,
  DEFAULT_WORKING_HOURS,
  type Settings,
  type Tag,
  type Task,
  type TimeEntry,
} from '../schema.js';
import { updateSettings } from '../settings.js';
import { completeTask, createTask, deleteTask } from '../tasks.js';
import { addManualEntry, startTimer } from '../time-entries.js';
import { UserDocs } from '../user-docs.js';
import {
  computeDashboard,
  type DashboardPeriod,
  type DashboardRecords,
  dashboardFromRecords,
  dashboardWindow,
  productivityScore,
  workingSeconds,
} from './dashboard.js';

const UTC_SETTINGS: Settings = {
  timezone: 'UTC',
  weekStart: 'mon',
  workingHours: DEFAULT_WORKING_HOURS,
  calendarImport: 'none',
  calendarImportKeyword: '#task',
  scheduling: DEFAULT_SCHEDULING,
  defaultReminderMinutes: null,
  allDayReminderTime: '09:00',
  notifyInApp: true,
  notifyPush: true,
  notifyEmail: false,
  agendaTime: null,
  emailCalendarFailures: true,
};

function task(id: string, fields: Partial<Task> = {}): Task {
  return {
    id,
    title: id,
    description: '',
    status: 'TODO',
    priority: 'MEDIUM',
    dueDate: null,
    startDate: null,
    estimatedDuration: null,
    tags: [],
    parentId: null,
    projectId: null,
    recurrenceRule: null,
    recurrenceExceptions: [],
    seriesId: id,
    nextOccurrenceId: null,
    calendarEventId: null,
    order: 'a0',
    createdAt: '2020-01-01T00:00:00Z',
    updatedAt: '2020-01-01T00:00:00Z',
    completedAt: null,
    deletedAt: null,
    reminders: [],
    ...fields,
  };
}

function completed(id: string, completedAt: string, fields: Partial<Task> = {}): Task {
  return task(id, { status: 'COMPLETED', completedAt, ...fields });
}

function entry(id: string, start: string, end: string | null, taskId: string | null = null) {
  const result: TimeEntry = {
    id,
    taskId,
    start,
    end,
    description: '',
    isManual: true,
    createdAt: start,
    updatedAt: start,
  };
  return result;
}

function tag(key: string, name: string): Tag {
  return { id: key, key, name, color: '#64748b', createdAt: '2020-01-01T00:00:00Z' };
}

function records(fields: Partial<DashboardRecords>): DashboardRecords {
  return { tasks: [], entries: [], tags: [], settings: UTC_SETTINGS, ...fields };
}

const day = (date: string, completed: number, created: number, time: number) => ({
  date,
  tasks_completed: completed,
  tasks_created: created,
  time_tracked: time,
});

describe('computeDashboard', () => {
  /**
   * A week in New York (EST, UTC-5), now Friday 2025-01-17 10:00 local. The period is Saturday
   * 2025-01-11 00:00 local (05:00Z) through now.
   */
  function newYorkWeek(): UserDocs {
    const docs = new UserDocs('u1');
    const ctx = createManualContext(new Date('2025-01-05T12:00:00Z'));
    const at = (iso: string) => ctx.set(new Date(iso));
    updateSettings(docs, { timezone: 'America/New_York' });

    createTask(docs, { title: 'Old, never done' }, ctx);
    at('2025-01-10T12:00:00Z');
    const spec = createTask(docs, { title: 'Write spec', tags: ['Development'] }, ctx);
    at('2025-01-13T14:00:00Z');
    const review = createTask(docs, { title: 'Review', tags: ['Development', 'Meetings'] }, ctx);
    at('2025-01-14T15:00:00Z');
    const plan = createTask(docs, { title: 'Plan', tags: ['Meetings'] }, ctx);
    at('2025-01-15T15:00:00Z');
    const trashed = createTask(docs, { title: 'Expenses', tags: ['Admin'] }, ctx);
    at('2025-01-16T15:00:00Z');
    createTask(docs, { title: 'Untagged' }, ctx);

    at('2025-01-13T15:00:00Z'); // Monday 10:00 local
    completeTask(docs, spec.id, ctx);
    at('2025-01-16T04:30:00Z'); // Wednesday 23:30 local, Thursday in UTC
    completeTask(docs, review.id, ctx);

    // Before the period: ignored.
    addManualEntry(
      docs,
      { taskId: spec.id, start: '2025-01-08T15:00:00Z', end: '2025-01-08T16:00:00Z' },
      ctx,
    );
    // Thursday 23:00 to Saturday 01:00 local: only the last hour is in the period.
    addManualEntry(docs, { start: '2025-01-10T04:00:00Z', end: '2025-01-11T06:00:00Z' }, ctx);
    // Monday 09:00-11:00 local.
    addManualEntry(
      docs,
      { taskId: spec.id, start: '2025-01-13T14:00:00Z', end: '2025-01-13T16:00:00Z' },
      ctx,
    );
    // Wednesday 23:00 to Thursday 01:00 local: an hour on each day.
    addManualEntry(
      docs,
      { taskId: review.id, start: '2025-01-16T04:00:00Z', end: '2025-01-16T06:00:00Z' },
      ctx,
    );
    // Wednesday 10:00-10:30 local, on a task deleted afterwards.
    addManualEntry(
      docs,
      { taskId: trashed.id, start: '2025-01-15T15:00:00Z', end: '2025-01-15T15:30:00Z' },
      ctx,
    );
    deleteTask(docs, trashed.id, ctx);
    // Friday 09:00 local, still running at 10:00.
    at('2025-01-17T14:00:00Z');
    startTimer(docs, { taskId: plan.id }, ctx);
    return docs;
  }

  it('computes every field for a week in the user time zone', () => {
    const dashboard = computeDashboard(newYorkWeek(), {
      period: '7d',
      now: new Date('2025-01-17T15:00:00Z'),
    });
    // Created in the period: Review, Plan, Untagged (Expenses is in the trash). Completed: Write
    // spec and Review. Time: 3600 + 7200 + 7200 + 1800 + 3600 (running) = 23400.
    // Score: 0.5 × 0.667 + 0.3 × 5/7 + 0.2 × 23400/144000 = 0.5803 → 58 (5 working days of 8 h).
    expect(dashboard).toEqual({
      period: '7d',
      tasks_completed: 2,
      tasks_created: 3,
      completion_rate: 66.7,
      total_time_tracked: 23_400,
      avg_task_duration: 11_700,
      productivity_score: 58,
      top_tags: [
        { tag: 'Development', time: 14_400, tasks: 2 },
        { tag: 'Meetings', time: 10_800, tasks: 2 },
        { tag: 'Admin', time: 1800, tasks: 1 },
      ],
      daily_breakdown: [
        day('2025-01-11', 0, 0, 3600),
        day('2025-01-12', 0, 0, 0),
        day('2025-01-13', 1, 1, 7200),
        day('2025-01-14', 0, 1, 0),
        day('2025-01-15', 1, 0, 5400),
        day('2025-01-16', 0, 1, 3600),
        day('2025-01-17', 0, 0, 3600),
      ],
    });
  });

  it('lets an explicit timezone override the one in settings', () => {
    const dashboard = computeDashboard(newYorkWeek(), {
      period: '7d',
      timezone: 'UTC',
      now: new Date('2025-01-17T15:00:00Z'),
    });
    // In UTC the period starts 2025-01-11T00:00Z: the crossing entry gives it 6 hours, and the
    // Wednesday-night entry and completion fall on Thursday.
    expect(dashboard.total_time_tracked).toBe(21_600 + 7200 + 7200 + 1800 + 3600);
    expect(dashboard.daily_breakdown.find((d) => d.date === '2025-01-16')).toEqual(
      day('2025-01-16', 1, 1, 7200),
    );
  });

  it('counts a running timer up to now', () => {
    const docs = new UserDocs('u1');
    const ctx = createManualContext(new Date('2025-06-10T08:00:00Z'));
    startTimer(docs, {}, ctx);
    const dashboard = computeDashboard(docs, {
      period: '7d',
      now: new Date('2025-06-10T09:15:00Z'),
    });
    expect(dashboard.total_time_tracked).toBe(4500);
    expect(dashboard.daily_breakdown.at(-1)).toEqual(day('2025-06-10', 0, 0, 4500));
  });

  it('returns zeros for an empty document, with one day per day of the period', () => {
    const dashboard = computeDashboard(new UserDocs('u1'), {
      period: '30d',
      now: new Date('2025-06-10T12:00:00Z'),
    });
    expect(dashboard).toMatchObject({
      period: '30d',
      tasks_completed: 0,
      tasks_created: 0,
      completion_rate: 0,
      total_time_tracked: 0,
      avg_task_duration: 0,
      productivity_score: 0,
      top_tags: [],
    });
    expect(dashboard.daily_breakdown).toHaveLength(30);
    expect(dashboard.daily_breakdown[0]).toEqual(day('2025-05-12', 0, 0, 0));
  });

  it('rejects an unknown period and an invalid timezone with field errors', () => {
    const docs = new UserDocs('u1');
    const now = new Date('2025-06-10T12:00:00Z');
    const call = () =>
      computeDashboard(docs, { period: '1y' as DashboardPeriod, timezone: 'Mars/Olympus', now });
    expect(call).toThrow(ValidationError);
    try {
      call();
    } catch (error) {
      expect((error as ValidationError).fields).toEqual([
        { field: 'period', message: 'must be one of 7d, 30d, 90d' },
        { field: 'timezone', message: 'must be an IANA time zone such as Europe/Paris' },
      ]);
    }
  });
});

describe('dashboardFromRecords', () => {
  const now = new Date('2025-06-10T12:00:00Z');

  it('counts the period from local midnight N-1 days ago through now, both ends included', () => {
    const dashboard = dashboardFromRecords(
      records({
        tasks: [
          task('before', { createdAt: '2025-06-03T23:59:59Z' }),
          task('first-instant', { createdAt: '2025-06-04T00:00:00Z' }),
          task('at-now', { createdAt: '2025-06-10T12:00:00Z' }),
          task('after-now', { createdAt: '2025-06-10T12:00:01Z' }),
        ],
        entries: [
          entry('across-start', '2025-06-03T23:00:00Z', '2025-06-04T01:00:00Z'),
          entry('past-now', '2025-06-10T11:00:00Z', '2025-06-10T13:00:00Z'),
          entry('after-now', '2025-06-10T12:30:00Z', '2025-06-10T13:00:00Z'),
        ],
      }),
      { period: '7d', now },
    );
    expect(dashboard.tasks_created).toBe(2);
    expect(dashboard.total_time_tracked).toBe(3600 + 3600);
    expect(dashboard.daily_breakdown.map((d) => d.date)).toEqual([
      '2025-06-04',
      '2025-06-05',
      '2025-06-06',
      '2025-06-07',
      '2025-06-08',
      '2025-06-09',
      '2025-06-10',
    ]);
  });

  it('puts an event at now on today when now is exactly local midnight', () => {
    const midnight = new Date('2025-06-10T00:00:00Z');
    const dashboard = dashboardFromRecords(
      records({
        tasks: [
          task('at-midnight', { createdAt: '2025-06-10T00:00:00Z' }),
          task('just-before', { createdAt: '2025-06-09T23:59:59Z' }),
        ],
        entries: [entry('running', '2025-06-09T23:00:00Z', null)],
      }),
      { period: '7d', now: midnight },
    );
    expect(dashboard.daily_breakdown.slice(-2)).toEqual([
      day('2025-06-09', 0, 1, 3600),
      day('2025-06-10', 0, 1, 0),
    ]);
  });

  it('covers 30 and 90 local days for the longer periods', () => {
    const window30 = dashboardWindow('30d', 'UTC', now);
    const window90 = dashboardWindow('90d', 'UTC', now);
    expect(window30.days).toHaveLength(30);
    expect(window30.days[0]?.date).toBe('2025-05-12');
    expect(window90.days).toHaveLength(90);
    expect(window90.days[0]?.date).toBe('2025-03-13');
    expect(window90.start).toBe(Date.parse('2025-03-13T00:00:00Z') / 1000);
  });

  it('uses the settings time zone when none is given', () => {
    // 03:00Z on June 10 is still June 9 in New York.
    const dashboard = dashboardFromRecords(
      records({
        tasks: [task('t', { createdAt: '2025-06-10T03:00:00Z' })],
        settings: { ...UTC_SETTINGS, timezone: 'America/New_York' },
      }),
      { period: '7d', now },
    );
    expect(dashboard.daily_breakdown.find((d) => d.tasks_created === 1)?.date).toBe('2025-06-09');
  });

  it('caps the completion rate at 100 when more tasks are completed than created', () => {
    const dashboard = dashboardFromRecords(
      records({
        tasks: [
          completed('a', '2025-06-05T10:00:00Z'),
          completed('b', '2025-06-06T10:00:00Z'),
          completed('c', '2025-06-07T10:00:00Z', { createdAt: '2025-06-07T09:00:00Z' }),
        ],
      }),
      { period: '7d', now },
    );
    expect(dashboard.tasks_completed).toBe(3);
    expect(dashboard.tasks_created).toBe(1);
    expect(dashboard.completion_rate).toBe(100);
  });

  it('rounds the completion rate to one decimal, as in the spec example', () => {
    const created = Array.from({ length: 58 }, (_, i) =>
      task(`t${i}`, {
        createdAt: '2025-06-05T10:00:00Z',
        ...(i < 42 ? { status: 'COMPLETED' as const, completedAt: '2025-06-06T10:00:00Z' } : {}),
      }),
    );
    const dashboard = dashboardFromRecords(
      records({
        tasks: created,
        entries: [entry('e', '2025-06-05T00:00:00Z', '2025-06-06T16:00:00Z')],
      }),
      { period: '7d', now },
    );
    expect(dashboard.completion_rate).toBe(72.4);
    expect(dashboard.total_time_tracked).toBe(144_000);
    expect(dashboard.avg_task_duration).toBe(3428);
  });

  it('leaves trashed tasks and cancelled or reopened tasks out of the counts', () => {
    const dashboard = dashboardFromRecords(
      records({
        tasks: [
          completed('trashed', '2025-06-05T10:00:00Z', {
            createdAt: '2025-06-05T09:00:00Z',
            deletedAt: '2025-06-06T09:00:00Z',
          }),
          task('cancelled', { status: 'CANCELLED', completedAt: '2025-06-05T10:00:00Z' }),
          task('reopened', { status: 'TODO', completedAt: null }),
        ],
      }),
      { period: '7d', now },
    );
    expect(dashboard.tasks_created).toBe(0);
    expect(dashboard.tasks_completed).toBe(0);
    expect(dashboard.completion_rate).toBe(0);
    expect(dashboard.avg_task_duration).toBe(0);
  });

  it('orders top tags by time, then tasks, then name, and keeps five', () => {
    const tasks = [
      task('t1', { tags: ['alpha'] }),
      task('t2', { tags: ['beta'] }),
      task('t3', { tags: ['beta', 'gamma'] }),
      task('t4', { tags: ['delta'] }),
      task('t5', { tags: ['epsilon'] }),
      task('t6', { tags: ['zeta'] }),
      completed('t7', '2025-06-09T10:00:00Z', { tags: ['eta', 'deleted-tag'] }),
      task('t8', { tags: ['idle'] }),
    ];
    const hour = (id: string, taskId: string, date: string) =>
      entry(id, `${date}T10:00:00Z`, `${date}T11:00:00Z`, taskId);
    const dashboard = dashboardFromRecords(
      records({
        tasks,
        tags: [
          tag('alpha', 'Alpha'),
          tag('beta', 'Beta'),
          tag('gamma', 'Gamma'),
          tag('delta', 'Delta'),
        ],
        entries: [
          hour('e1', 't1', '2025-06-05'),
          hour('e2', 't2', '2025-06-06'),
          hour('e3', 't3', '2025-06-07'),
          hour('e4', 't4', '2025-06-08'),
          hour('e5', 't6', '2025-06-08'),
          // Long ago: t5 and t8 count nowhere.
          hour('e6', 't5', '2025-01-08'),
        ],
      }),
      { period: '7d', now },
    );
    // beta: 2 h on 2 tasks; alpha, gamma, delta, zeta: 1 h on 1 task, by name (display name, or
    // the key when the tag record is gone); eta and deleted-tag: completion only.
    expect(dashboard.top_tags).toEqual([
      { tag: 'Beta', time: 7200, tasks: 2 },
      { tag: 'Alpha', time: 3600, tasks: 1 },
      { tag: 'Delta', time: 3600, tasks: 1 },
      { tag: 'Gamma', time: 3600, tasks: 1 },
      { tag: 'zeta', time: 3600, tasks: 1 },
    ]);
  });

  it('lists a tag whose only activity in the period is a completion', () => {
    const dashboard = dashboardFromRecords(
      records({ tasks: [completed('t', '2025-06-09T10:00:00Z', { tags: ['done'] })] }),
      { period: '7d', now },
    );
    expect(dashboard.top_tags).toEqual([{ tag: 'done', time: 0, tasks: 1 }]);
  });

  it('splits time across local midnights on the 23-hour DST day in Europe/Paris', () => {
    const sundayHours = { ...DEFAULT_WORKING_HOURS, sun: [{ start: '01:00', end: '04:00' }] };
    const dashboard = dashboardFromRecords(
      records({
        // Saturday 22:00 CET to Monday 01:00 CEST.
        entries: [entry('e', '2025-03-29T21:00:00Z', '2025-03-30T23:00:00Z')],
        settings: { ...UTC_SETTINGS, workingHours: sundayHours },
      }),
      { period: '7d', timezone: 'Europe/Paris', now: new Date('2025-03-31T10:00:00Z') },
    );
    expect(dashboard.total_time_tracked).toBe(93_600);
    expect(dashboard.daily_breakdown.slice(-3)).toEqual([
      day('2025-03-29', 0, 0, 7200),
      day('2025-03-30', 0, 0, 82_800),
      day('2025-03-31', 0, 0, 3600),
    ]);
    // Working time: Tue-Fri and Mon, 8 h each, plus Sunday 01:00-04:00, which lasts 2 h that day.
    const window = dashboardWindow('7d', 'Europe/Paris', new Date('2025-03-31T10:00:00Z'));
    expect(
      workingSeconds(window.days, { ...UTC_SETTINGS, workingHours: sundayHours }, 'Europe/Paris'),
    ).toBe(5 * 28_800 + 7200);
    // 0.5 × 0 + 0.3 × 3/7 + 0.2 × 93600/151200 = 0.2524 → 25.
    expect(dashboard.productivity_score).toBe(25);
  });
});

describe('productivityScore', () => {
  it('weighs completion, active days and focus 50/30/20', () => {
    const base = {
      completionRate: 80,
      activeDays: 3,
      days: 7,
      trackedSeconds: 36_000,
      workingSeconds: 144_000,
    };
    // 0.4 + 0.1286 + 0.05 = 0.5786.
    expect(productivityScore(base)).toBe(58);
    expect(productivityScore({ ...base, workingSeconds: 0 })).toBe(53);
    expect(
      productivityScore({
        completionRate: 100,
        activeDays: 7,
        days: 7,
        trackedSeconds: 999_999,
        workingSeconds: 1,
      }),
    ).toBe(100);
    expect(
      productivityScore({
        completionRate: 0,
        activeDays: 0,
        days: 7,
        trackedSeconds: 0,
        workingSeconds: 0,
      }),
    ).toBe(0);
  });
});
