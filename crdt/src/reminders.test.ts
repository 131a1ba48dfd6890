import { describe, expect, it } from 'vitest';
import { reminderKey } from './reminder-keys.js';
import {
  isReminderStillDue,
  reminderFireTime,
  reminderSchedule,
  snoozeReminder,
  upcomingReminders,
} from './reminders.js';
import { REMINDER_KEY_PREFIX } from './schema.js';
import { getSettings, updateSettings } from './settings.js';
import { completeTask, createTask, deleteTask, getTask, updateTask } from './tasks.js';
import {
  cloneReplica,
  invalidFields,
  manualContext,
  replica,
  sync,
  TEST_USER,
} from './test-support.js';
import { migrateDocument, tasksOf, type UserDocs } from './user-docs.js';

function setup(): UserDocs {
  const docs = replica(1);
  migrateDocument(docs.main, TEST_USER);
  return docs;
}

describe('reminders on a task', () => {
  it('fire before the due date, or at their own instant', () => {
    const docs = setup();
    const ctx = manualContext('t');
    const task = createTask(
      docs,
      {
        title: 'Send the report',
        dueDate: '2026-12-07T15:00:00Z',
        reminders: [{ at: '2026-12-07T09:00:00+01:00' }, { minutesBefore: 15 }],
      },
      ctx,
    );
    expect(task.reminders).toEqual([{ minutesBefore: 15 }, { at: '2026-12-07T08:00:00Z' }]);
    expect(reminderSchedule(docs).map((item) => [item.key, item.fireAt])).toEqual([
      ['at:2026-12-07T08:00:00Z', '2026-12-07T08:00:00Z'],
      ['before:15', '2026-12-07T14:45:00Z'],
    ]);
  });

  it('count from the start date when the task has no due date', () => {
    const docs = setup();
    const task = createTask(
      docs,
      { title: 'Call', startDate: '2026-12-07T10:00:00Z', reminders: [{ minutesBefore: 60 }] },
      manualContext('t'),
    );
    expect(
      reminderFireTime(
        task,
        { minutesBefore: 60 },
        { timezone: 'UTC', allDayReminderTime: '09:00' },
      ),
    ).toBe('2026-12-07T09:00:00Z');
    expect(reminderSchedule(docs)).toHaveLength(1);
  });

  it('of an undated task never fire unless absolute', () => {
    const docs = setup();
    createTask(
      docs,
      { title: 'Someday', reminders: [{ minutesBefore: 10 }, { at: '2027-01-01T00:00:00Z' }] },
      manualContext('t'),
    );
    expect(reminderSchedule(docs).map((item) => item.key)).toEqual(['at:2027-01-01T00:00:00Z']);
  });

  it('of an all-day task count from the user’s reminder time that day in their zone', () => {
    const docs = setup();
    updateSettings(docs, { timezone: 'Europe/Berlin' });
    const ctx = manualContext('t');
    createTask(
      docs,
      {
        title: 'Tax return',
        dueDate: '2026-12-07',
        reminders: [{ minutesBefore: 0 }, { minutesBefore: 1440 }],
      },
      ctx,
    );
    // 09:00 in Berlin (UTC+1 in December), and the day before.
    expect(reminderSchedule(docs).map((item) => item.fireAt)).toEqual([
      '2026-12-06T08:00:00Z',
      '2026-12-07T08:00:00Z',
    ]);
    updateSettings(docs, { allDayReminderTime: '07:30', timezone: 'America/New_York' });
    expect(reminderSchedule(docs).map((item) => item.fireAt)).toEqual([
      '2026-12-06T12:30:00Z',
      '2026-12-07T12:30:00Z',
    ]);
  });

  it('of an all-day task on the day Berlin moves its clocks fire at that morning’s wall time', () => {
    const docs = setup();
    updateSettings(docs, { timezone: 'Europe/Berlin' });
    createTask(
      docs,
      { title: 'Summer time', dueDate: '2026-03-29', reminders: [{ minutesBefore: 0 }] },
      manualContext('t'),
    );
    expect(reminderSchedule(docs)[0]?.fireAt).toBe('2026-03-29T07:00:00Z');
  });

  it('stop when the task is completed, cancelled or deleted', () => {
    const docs = setup();
    const ctx = manualContext('t');
    const input = { dueDate: '2026-12-07T15:00:00Z', reminders: [{ minutesBefore: 5 }] };
    const done = createTask(docs, { title: 'a', ...input }, ctx);
    const cancelled = createTask(docs, { title: 'b', ...input }, ctx);
    const deleted = createTask(docs, { title: 'c', ...input }, ctx);
    const open = createTask(docs, { title: 'd', ...input }, ctx);
    expect(reminderSchedule(docs)).toHaveLength(4);
    completeTask(docs, done.id, ctx);
    updateTask(docs, cancelled.id, { status: 'CANCELLED' }, ctx);
    deleteTask(docs, deleted.id, ctx);
    expect(reminderSchedule(docs).map((item) => item.taskId)).toEqual([open.id]);
    expect(isReminderStillDue(docs, done.id, 'before:5', '2026-12-07T14:55:00Z')).toBe(false);
    expect(isReminderStillDue(docs, open.id, 'before:5', '2026-12-07T14:55:00Z')).toBe(true);
  });

  it('move with the due date, and a removed one is no longer due', () => {
    const docs = setup();
    const ctx = manualContext('t');
    const task = createTask(
      docs,
      { title: 'a', dueDate: '2026-12-07T15:00:00Z', reminders: [{ minutesBefore: 30 }] },
      ctx,
    );
    updateTask(docs, task.id, { dueDate: '2026-12-08T10:00:00Z' }, ctx);
    expect(isReminderStillDue(docs, task.id, 'before:30', '2026-12-07T14:30:00Z')).toBe(false);
    expect(reminderSchedule(docs)[0]?.fireAt).toBe('2026-12-08T09:30:00Z');
    updateTask(docs, task.id, { reminders: [] }, ctx);
    expect(reminderSchedule(docs)).toEqual([]);
    expect(isReminderStillDue(docs, task.id, 'before:30', '2026-12-08T09:30:00Z')).toBe(false);
  });

  it('of a recurring task follow the next occurrence when one is completed', () => {
    const docs = setup();
    const ctx = manualContext('t');
    const task = createTask(
      docs,
      {
        title: 'Water plants',
        dueDate: '2026-12-07T18:00:00Z',
        recurrenceRule: 'FREQ=DAILY',
        reminders: [{ minutesBefore: 10 }, { at: '2026-12-07T08:00:00Z' }],
      },
      ctx,
    );
    const { next } = completeTask(docs, task.id, ctx);
    expect(next?.dueDate).toBe('2026-12-08T18:00:00Z');
    expect(next?.reminders).toEqual([{ minutesBefore: 10 }, { at: '2026-12-08T08:00:00Z' }]);
    expect(reminderSchedule(docs).map((item) => [item.taskId, item.fireAt])).toEqual([
      [next?.id, '2026-12-08T08:00:00Z'],
      [next?.id, '2026-12-08T17:50:00Z'],
    ]);
  });

  it('upcoming ones are those after the injected now', () => {
    const docs = setup();
    createTask(
      docs,
      {
        title: 'a',
        dueDate: '2026-12-07T15:00:00Z',
        reminders: [{ minutesBefore: 60 }, { minutesBefore: 5 }],
      },
      manualContext('t'),
    );
    expect(upcomingReminders(docs, new Date('2026-12-07T14:00:00Z')).map((r) => r.key)).toEqual([
      'before:5',
    ]);
    expect(upcomingReminders(docs, new Date('2026-12-07T15:00:00Z'))).toEqual([]);
  });

  it('refuses malformed reminders with the field and the reason', () => {
    const docs = setup();
    const ctx = manualContext('t');
    const bad = (reminders: unknown) =>
      invalidFields(() =>
        createTask(
          docs,
          { title: 'x', reminders } as unknown as Parameters<typeof createTask>[1],
          ctx,
        ),
      );
    expect(bad([{ minutesBefore: -1 }])).toEqual(['reminders.0.minutesBefore']);
    expect(bad([{ at: '2026-12-07T09:00' }])).toEqual(['reminders.0.at']);
    expect(bad([{ minutesBefore: 5, at: '2026-12-07T09:00:00Z' }])).toEqual(['reminders.0']);
    expect(bad(Array.from({ length: 11 }, (_, i) => ({ minutesBefore: i })))).toEqual([
      'reminders',
    ]);
  });

  it('added on two devices at once are both kept', () => {
    const a = setup();
    const ctx = manualContext('t');
    const task = createTask(a, { title: 'x', dueDate: '2026-12-07T15:00:00Z' }, ctx);
    const b = cloneReplica(a, 2);
    updateTask(a, task.id, { reminders: [{ minutesBefore: 10 }] }, ctx);
    updateTask(b, task.id, { reminders: [{ minutesBefore: 60 }] }, ctx);
    sync(a, b);
    expect(getTask(a, task.id)?.reminders).toEqual([{ minutesBefore: 10 }, { minutesBefore: 60 }]);
    expect(getTask(b, task.id)?.reminders).toEqual(getTask(a, task.id)?.reminders);
  });

  it('written as junk by another client are ignored', () => {
    const docs = setup();
    const task = createTask(
      docs,
      { title: 'x', dueDate: '2026-12-07T15:00:00Z' },
      manualContext('t'),
    );
    const map = tasksOf(docs.main).get(task.id) as import('yjs').Map<unknown>;
    map.set(`${REMINDER_KEY_PREFIX}before:-3`, true);
    map.set(`${REMINDER_KEY_PREFIX}at:tomorrow`, true);
    map.set(`${REMINDER_KEY_PREFIX}before:5`, 'yes');
    map.set(`${REMINDER_KEY_PREFIX}${reminderKey({ minutesBefore: 20 })}`, true);
    expect(getTask(docs, task.id)?.reminders).toEqual([{ minutesBefore: 20 }]);
  });
});

describe('the default reminder', () => {
  it('is given to a new dated task, and to a task dated for the first time', () => {
    const docs = setup();
    const ctx = manualContext('t');
    updateSettings(docs, { defaultReminderMinutes: 15 });
    const dated = createTask(docs, { title: 'a', dueDate: '2026-12-07T15:00:00Z' }, ctx);
    const undated = createTask(docs, { title: 'b' }, ctx);
    const own = createTask(
      docs,
      { title: 'c', dueDate: '2026-12-07T15:00:00Z', reminders: [] },
      ctx,
    );
    expect(dated.reminders).toEqual([{ minutesBefore: 15 }]);
    expect(undated.reminders).toEqual([]);
    expect(own.reminders).toEqual([]);
    expect(updateTask(docs, undated.id, { dueDate: '2026-12-08' }, ctx).task.reminders).toEqual([
      { minutesBefore: 15 },
    ]);
    // Moving a date later keeps the reminders the task has (none chosen stays none).
    expect(updateTask(docs, own.id, { dueDate: '2026-12-09' }, ctx).task.reminders).toEqual([]);
  });

  it('is none while the setting is unset', () => {
    const docs = setup();
    expect(
      createTask(docs, { title: 'a', dueDate: '2026-12-07T15:00:00Z' }, manualContext('t'))
        .reminders,
    ).toEqual([]);
  });
});

describe('snoozing a reminder', () => {
  it('adds a reminder ten minutes from now, kept beside the others', () => {
    const docs = setup();
    const ctx = manualContext('t', new Date('2026-12-07T14:45:00Z'));
    const task = createTask(
      docs,
      { title: 'a', dueDate: '2026-12-07T15:00:00Z', reminders: [{ minutesBefore: 15 }] },
      ctx,
    );
    expect(snoozeReminder(docs, task.id, ctx).reminders).toEqual([
      { minutesBefore: 15 },
      { at: '2026-12-07T14:55:00Z' },
    ]);
    expect(upcomingReminders(docs, ctx.now()).map((item) => item.fireAt)).toEqual([
      '2026-12-07T14:55:00Z',
    ]);
    deleteTask(docs, task.id, ctx);
    expect(() => snoozeReminder(docs, task.id, ctx)).toThrow(/task/);
  });
});

describe('the reminder plan of a document as it changes', () => {
  it('is after each change what planning the whole document from scratch gives', () => {
    const laptop = setup();
    const server = cloneReplica(laptop, 2);
    const ctx = manualContext('r');
    const fresh = () => reminderSchedule(server, getSettings(server));
    const expectSame = () => expect(reminderSchedule(server)).toEqual(fresh());

    const report = createTask(
      laptop,
      { title: 'Report', dueDate: '2026-03-10T16:00:00Z', reminders: [{ minutesBefore: 15 }] },
      ctx,
    );
    const trip = createTask(
      laptop,
      { title: 'Trip', dueDate: '2026-03-12', reminders: [{ minutesBefore: 0 }] },
      ctx,
    );
    createTask(laptop, { title: 'No reminder', dueDate: '2026-03-11T09:00:00Z' }, ctx);
    sync(laptop, server);
    expect(reminderSchedule(server)).toHaveLength(2);
    expectSame();

    const steps: (() => void)[] = [
      () => updateTask(laptop, report.id, { dueDate: '2026-03-10T18:00:00Z' }, ctx),
      () =>
        updateTask(
          laptop,
          report.id,
          { reminders: [{ minutesBefore: 60 }, { at: '2026-03-09T08:00:00Z' }] },
          ctx,
        ),
      () => updateSettings(laptop, { allDayReminderTime: '07:30' }),
      () => updateSettings(laptop, { timezone: 'America/New_York' }),
      () => completeTask(laptop, trip.id, ctx),
      () => updateTask(laptop, report.id, { status: 'TODO', title: 'Report, final' }, ctx),
      () => deleteTask(laptop, report.id, ctx),
      () => tasksOf(laptop.main).delete(trip.id),
    ];
    for (const step of steps) {
      step();
      sync(laptop, server);
      expectSame();
    }
    expect(reminderSchedule(server)).toEqual([]);
  });
});
