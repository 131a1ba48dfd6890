import { describe, expect, it } from 'vitest';
import { createManualContext } from '../context.js';
import { ValidationError } from '../errors.js';
import { createProject } from '../projects.js';
import {
  DEFAULT_SCHEDULING,
  DEFAULT_WORKING_HOURS,
  type Project,
  type Settings,
  type Task,
  type TimeEntry,
} from '../schema.js';
import { updateSettings } from '../settings.js';
import { createTask, deleteTask, purgeTask } from '../tasks.js';
import { addManualEntry, startTimer } from '../time-entries.js';
import { UserDocs } from '../user-docs.js';
import {
  computeTimeDistribution,
  type TimeDistributionOptions,
  type TimeDistributionRecords,
  timeDistributionFromRecords,
} from './time-distribution.js';

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

function project(id: string, name: string): Project {
  return {
    id,
    name,
    description: '',
    color: '#3b82f6',
    isArchived: false,
    createdAt: '2020-01-01T00:00:00Z',
    updatedAt: '2020-01-01T00:00:00Z',
  };
}

function records(fields: Partial<TimeDistributionRecords>): TimeDistributionRecords {
  return { tasks: [], entries: [], projects: [], tags: [], settings: UTC_SETTINGS, ...fields };
}

const week: TimeDistributionOptions = {
  startDate: '2025-06-02',
  endDate: '2025-06-08',
  now: new Date('2025-06-20T00:00:00Z'),
};

function validationFields(call: () => unknown) {
  try {
    call();
  } catch (error) {
    if (error instanceof ValidationError) return error.fields;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('computeTimeDistribution', () => {
  /** A week in New York (EST, UTC-5), Monday 2025-01-13 through Sunday 2025-01-19. */
  function newYorkWeek(): UserDocs {
    const docs = new UserDocs('u1');
    const ctx = createManualContext(new Date('2025-01-10T12:00:00Z'));
    updateSettings(docs, { timezone: 'America/New_York' });
    const website = createProject(docs, { name: 'Website' }, ctx);
    const backend = createProject(docs, { name: 'Backend' }, ctx);
    const a = createTask(
      docs,
      {
        title: 'Landing page',
        projectId: website.id,
        priority: 'HIGH',
        tags: ['Frontend', 'Design'],
      },
      ctx,
    );
    const b = createTask(
      docs,
      { title: 'API', projectId: backend.id, priority: 'LOW', tags: ['Backend'] },
      ctx,
    );
    const c = createTask(docs, { title: 'Inbox zero' }, ctx);
    const d = createTask(
      docs,
      { title: 'Hotfix', projectId: website.id, priority: 'URGENT', tags: ['Frontend'] },
      ctx,
    );
    const e = createTask(docs, { title: 'Gone', priority: 'HIGH', tags: ['Design'] }, ctx);
    const add = (taskId: string | null, start: string, end: string) =>
      addManualEntry(docs, { taskId, start, end }, ctx);

    add(a.id, '2025-01-12T15:00:00Z', '2025-01-12T16:00:00Z'); // Sunday before: ignored
    add(a.id, '2025-01-13T14:00:00Z', '2025-01-13T17:00:00Z'); // Mon 09:00-12:00
    add(b.id, '2025-01-16T03:00:00Z', '2025-01-16T07:00:00Z'); // Wed 22:00 - Thu 02:00
    add(c.id, '2025-01-17T15:00:00Z', '2025-01-17T16:00:00Z'); // Fri 10:00-11:00
    add(d.id, '2025-01-18T15:00:00Z', '2025-01-18T15:30:00Z'); // Sat 10:00-10:30
    add(null, '2025-01-19T04:00:00Z', '2025-01-19T06:00:00Z'); // Sat 23:00 - Sun 01:00
    add(e.id, '2025-01-14T17:00:00Z', '2025-01-14T17:30:00Z'); // Tue 12:00-12:30
    deleteTask(docs, d.id, ctx); // in the trash: still owns its time
    purgeTask(docs, e.id); // gone: its entry has no task any more
    ctx.set(new Date('2025-01-19T15:00:00Z')); // Sun 10:00, running until now (11:30)
    startTimer(docs, { taskId: a.id }, ctx);
    return docs;
  }

  it('distributes a week of time by project, tag, priority and local weekday', () => {
    const distribution = computeTimeDistribution(newYorkWeek(), {
      startDate: '2025-01-13',
      endDate: '2025-01-19',
      now: new Date('2025-01-19T16:30:00Z'),
    });
    // 10800 + 14400 + 3600 + 1800 + 7200 + 1800 + 5400 (running) = 45000.
    expect(distribution).toEqual({
      start_date: '2025-01-13',
      end_date: '2025-01-19',
      total_time: 45_000,
      by_project: [
        { project_id: expect.any(String), project_name: 'Website', time: 18_000, percentage: 40 },
        { project_id: expect.any(String), project_name: 'Backend', time: 14_400, percentage: 32 },
        { project_id: null, project_name: 'No project', time: 12_600, percentage: 28 },
      ],
      by_tag: [
        { tag: 'Frontend', time: 18_000, percentage: 40 },
        { tag: 'Design', time: 16_200, percentage: 36 },
        { tag: 'Backend', time: 14_400, percentage: 32 },
      ],
      by_priority: [
        { priority: 'LOW', time: 14_400, percentage: 32 },
        { priority: 'MEDIUM', time: 3600, percentage: 8 },
        { priority: 'HIGH', time: 16_200, percentage: 36 },
        { priority: 'URGENT', time: 1800, percentage: 4 },
        { priority: null, time: 9000, percentage: 20 },
      ],
      by_day_of_week: [
        { day: 'MONDAY', time: 10_800, percentage: 24 },
        { day: 'TUESDAY', time: 1800, percentage: 4 },
        { day: 'WEDNESDAY', time: 7200, percentage: 16 },
        { day: 'THURSDAY', time: 7200, percentage: 16 },
        { day: 'FRIDAY', time: 3600, percentage: 8 },
        { day: 'SATURDAY', time: 5400, percentage: 12 },
        { day: 'SUNDAY', time: 9000, percentage: 20 },
      ],
    });
  });

  it('validates the dates before reading the document', () => {
    expect(
      validationFields(() =>
        computeTimeDistribution(new UserDocs('u1'), {
          startDate: '2025-10-31',
          endDate: '2025-10-01',
          now: new Date(),
        }),
      ),
    ).toEqual([{ field: 'end_date', message: 'must not be before start_date' }]);
  });
});

describe('timeDistributionFromRecords', () => {
  it('lists all four priorities and seven weekdays with zeros when nothing was tracked', () => {
    expect(timeDistributionFromRecords(records({}), week)).toEqual({
      start_date: '2025-06-02',
      end_date: '2025-06-08',
      total_time: 0,
      by_project: [],
      by_tag: [],
      by_priority: [
        { priority: 'LOW', time: 0, percentage: 0 },
        { priority: 'MEDIUM', time: 0, percentage: 0 },
        { priority: 'HIGH', time: 0, percentage: 0 },
        { priority: 'URGENT', time: 0, percentage: 0 },
      ],
      by_day_of_week: [
        { day: 'MONDAY', time: 0, percentage: 0 },
        { day: 'TUESDAY', time: 0, percentage: 0 },
        { day: 'WEDNESDAY', time: 0, percentage: 0 },
        { day: 'THURSDAY', time: 0, percentage: 0 },
        { day: 'FRIDAY', time: 0, percentage: 0 },
        { day: 'SATURDAY', time: 0, percentage: 0 },
        { day: 'SUNDAY', time: 0, percentage: 0 },
      ],
    });
  });

  it('rounds percentages to one decimal and lets tag percentages add up past 100', () => {
    const result = timeDistributionFromRecords(
      records({
        tasks: [task('t1', { tags: ['a', 'b'] }), task('t2', { tags: ['b'] })],
        entries: [
          entry('e1', '2025-06-02T10:00:00Z', '2025-06-02T11:00:00Z', 't1'),
          entry('e2', '2025-06-03T10:00:00Z', '2025-06-03T11:00:00Z', 't2'),
          entry('e3', '2025-06-04T10:00:00Z', '2025-06-04T11:00:00Z'),
        ],
      }),
      week,
    );
    expect(result.total_time).toBe(10_800);
    // Tag names fall back to the key when there is no tag record.
    expect(result.by_tag).toEqual([
      { tag: 'b', time: 7200, percentage: 66.7 },
      { tag: 'a', time: 3600, percentage: 33.3 },
    ]);
    expect(result.by_project).toEqual([
      { project_id: null, project_name: 'No project', time: 10_800, percentage: 100 },
    ]);
  });

  it('counts a running entry up to now, clipped to the end of the range', () => {
    const running = [entry('run', '2025-06-08T22:00:00Z', null)];
    const during = timeDistributionFromRecords(records({ entries: running }), {
      ...week,
      now: new Date('2025-06-08T23:15:00Z'),
    });
    expect(during.total_time).toBe(4500);
    const after = timeDistributionFromRecords(records({ entries: running }), {
      ...week,
      now: new Date('2025-06-09T05:00:00Z'),
    });
    expect(after.total_time).toBe(7200);
    expect(after.by_day_of_week.find((d) => d.day === 'SUNDAY')?.time).toBe(7200);
  });

  it('includes both the start and the end date, in local time', () => {
    // The range is 2025-06-02 00:00 to 2025-06-09 00:00 in Tokyo (UTC+9).
    const result = timeDistributionFromRecords(
      records({
        entries: [
          entry('before', '2025-06-01T14:00:00Z', '2025-06-01T16:00:00Z'),
          entry('last-day', '2025-06-08T14:00:00Z', '2025-06-08T16:00:00Z'),
        ],
      }),
      { ...week, timezone: 'Asia/Tokyo' },
    );
    // 'before' is Sunday 23:00 - Monday 01:00 local: one hour in; 'last-day' is Sunday 23:00 -
    // Monday 01:00 at the other end: one hour in.
    expect(result.total_time).toBe(7200);
    expect(result.by_day_of_week.find((d) => d.day === 'MONDAY')?.time).toBe(3600);
    expect(result.by_day_of_week.find((d) => d.day === 'SUNDAY')?.time).toBe(3600);
  });

  it('attributes the 25 hours of the fall-back Sunday in Europe/Paris to Sunday', () => {
    const result = timeDistributionFromRecords(
      records({
        // Sunday 2025-10-26 00:00 CEST to Monday 00:00 CET.
        entries: [entry('e', '2025-10-25T22:00:00Z', '2025-10-26T23:00:00Z')],
      }),
      { startDate: '2025-10-20', endDate: '2025-10-26', timezone: 'Europe/Paris', now: week.now },
    );
    expect(result.total_time).toBe(90_000);
    expect(result.by_day_of_week.find((d) => d.day === 'SUNDAY')).toEqual({
      day: 'SUNDAY',
      time: 90_000,
      percentage: 100,
    });
  });

  it('sorts projects by time and treats a vanished project as no project', () => {
    const result = timeDistributionFromRecords(
      records({
        projects: [project('p1', 'Zebra'), project('p2', 'Apple')],
        tasks: [
          task('t1', { projectId: 'p1' }),
          task('t2', { projectId: 'p2' }),
          task('t3', { projectId: 'deleted-project' }),
        ],
        entries: [
          entry('e1', '2025-06-02T10:00:00Z', '2025-06-02T12:00:00Z', 't1'),
          entry('e2', '2025-06-03T10:00:00Z', '2025-06-03T12:00:00Z', 't2'),
          entry('e3', '2025-06-04T10:00:00Z', '2025-06-04T13:00:00Z', 't3'),
        ],
      }),
      week,
    );
    expect(result.by_project).toEqual([
      { project_id: null, project_name: 'No project', time: 10_800, percentage: 42.9 },
      { project_id: 'p2', project_name: 'Apple', time: 7200, percentage: 28.6 },
      { project_id: 'p1', project_name: 'Zebra', time: 7200, percentage: 28.6 },
    ]);
    expect(result.by_priority.map((p) => p.priority)).toEqual(['LOW', 'MEDIUM', 'HIGH', 'URGENT']);
  });

  describe('validation', () => {
    const records0 = records({});
    const now = new Date('2025-06-20T00:00:00Z');
    const fieldsFor = (options: Partial<TimeDistributionOptions>) =>
      validationFields(() => timeDistributionFromRecords(records0, { ...week, now, ...options }));
    const format = 'must be a date written YYYY-MM-DD, such as 2025-10-01';

    it('rejects dates that are not real YYYY-MM-DD dates, naming each field', () => {
      expect(fieldsFor({ startDate: '2025-13-01', endDate: '10/31/2025' })).toEqual([
        { field: 'start_date', message: format },
        { field: 'end_date', message: format },
      ]);
      expect(fieldsFor({ startDate: '' })).toEqual([{ field: 'start_date', message: format }]);
    });

    it('rejects an end date before the start date', () => {
      expect(fieldsFor({ startDate: '2025-06-02', endDate: '2025-06-01' })).toEqual([
        { field: 'end_date', message: 'must not be before start_date' },
      ]);
    });

    it('accepts a single day and 366 days but not 367', () => {
      const accept = (startDate: string, endDate: string) => () =>
        timeDistributionFromRecords(records0, { startDate, endDate, now });
      expect(accept('2025-06-02', '2025-06-02')).not.toThrow();
      expect(accept('2024-01-01', '2024-12-31')).not.toThrow();
      expect(fieldsFor({ startDate: '2024-01-01', endDate: '2025-01-01' })).toEqual([
        { field: 'end_date', message: 'the range may cover at most 366 days' },
      ]);
    });

    it('rejects a timezone that is not an IANA zone', () => {
      expect(fieldsFor({ timezone: 'Europe/Nowhere' })).toEqual([
        { field: 'timezone', message: 'must be an IANA time zone such as Europe/Paris' },
      ]);
    });
  });
});
