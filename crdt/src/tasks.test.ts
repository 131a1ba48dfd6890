import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { NotFoundError } from './errors.js';
import { createProject } from './projects.js';
import type { Task } from './schema.js';
import { updateSettings } from './settings.js';
import {
  completeTask,
  createTask,
  deleteTask,
  getTask,
  listSubtasks,
  listTasks,
  moveTask,
  purgeExpiredTasks,
  purgeTask,
  queryTasks,
  reorderTask,
  restoreTask,
  updateTask,
} from './tasks.js';
import {
  cloneReplica,
  invalidFields,
  manualContext,
  replica,
  sync,
  T0,
  TEST_USER as USER,
} from './test-support.js';
import { migrateDocument, tasksOf, type UserDocs } from './user-docs.js';
import type { TaskCreateInput, TaskPatch } from './validation.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

function setup() {
  const docs = replica(1);
  migrateDocument(docs.main, USER);
  return { docs, ctx: manualContext('task') };
}

const titles = (tasks: Task[]) => tasks.map((task) => task.title);

function ancestorsOf(tasks: Task[], id: string): string[] {
  const byId = new Map(tasks.map((task) => [task.id, task]));
  const chain: string[] = [];
  let current = byId.get(id)?.parentId ?? null;
  while (current !== null) {
    if (chain.includes(current)) return [...chain, current];
    chain.push(current);
    current = byId.get(current)?.parentId ?? null;
  }
  return chain;
}

describe('createTask', () => {
  it('creates a to-do of medium priority with an empty description and no dates', () => {
    const { docs, ctx } = setup();
    const task = createTask(docs, { title: 'Buy milk' }, ctx);
    expect(task).toEqual({
      id: 'task-001',
      title: 'Buy milk',
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
      reminders: [],
      nextOccurrenceId: null,
      seriesId: 'task-001',
      calendarEventId: null,
      order: expect.any(String),
      createdAt: '2025-03-01T10:00:00Z',
      updatedAt: '2025-03-01T10:00:00Z',
      completedAt: null,
      deletedAt: null,
    });
    expect(getTask(docs, 'task-001')).toEqual(task);
  });

  it('writes only the fields that are set, the description as a Y.Text', () => {
    const { docs, ctx } = setup();
    const task = createTask(docs, { title: 'Buy milk' }, ctx);
    const map = tasksOf(docs.main).get(task.id);
    expect(map).toBeInstanceOf(Y.Map);
    const stored = map as Y.Map<unknown>;
    expect([...stored.keys()].sort()).toEqual([
      'createdAt',
      'description',
      'order',
      'priority',
      'status',
      'title',
      'updatedAt',
    ]);
    expect(stored.get('description')).toBeInstanceOf(Y.Text);
  });

  it('keeps every field given, normalizing a datetime to UTC and an all-day date as a date', () => {
    const { docs, ctx } = setup();
    const project = createProject(docs, { name: 'Home' }, ctx);
    const task = createTask(
      docs,
      {
        title: '  File taxes  ',
        description: 'Forms A and B',
        status: 'IN_PROGRESS',
        priority: 'URGENT',
        startDate: '2025-03-05',
        dueDate: '2025-03-10T09:00:00+01:00',
        estimatedDuration: 90,
        tags: ['Paperwork'],
        projectId: project.id,
        recurrenceRule: 'RRULE:FREQ=YEARLY',
      },
      ctx,
    );
    expect(task).toMatchObject({
      title: 'File taxes',
      description: 'Forms A and B',
      status: 'IN_PROGRESS',
      priority: 'URGENT',
      startDate: '2025-03-05',
      dueDate: '2025-03-10T08:00:00Z',
      estimatedDuration: 90,
      tags: ['paperwork'],
      projectId: project.id,
      recurrenceRule: 'FREQ=YEARLY',
    });
  });

  it('stamps the completion time of a task created already completed', () => {
    const { docs, ctx } = setup();
    const task = createTask(docs, { title: 'Done already', status: 'COMPLETED' }, ctx);
    expect(task.completedAt).toBe('2025-03-01T10:00:00Z');
  });

  it('lists new tasks in the order they were created', () => {
    const { docs, ctx } = setup();
    for (const title of ['first', 'second', 'third']) createTask(docs, { title }, ctx);
    expect(titles(listTasks(docs))).toEqual(['first', 'second', 'third']);
  });

  it('accepts a title of exactly 200 characters', () => {
    const { docs, ctx } = setup();
    expect(createTask(docs, { title: 'x'.repeat(200) }, ctx).title).toHaveLength(200);
  });
});

describe('task validation', () => {
  const invalidInputs: Array<[string, Record<string, unknown>, string[]]> = [
    ['an empty title', { title: '   ' }, ['title']],
    ['a title of 201 characters', { title: 'x'.repeat(201) }, ['title']],
    ['an unknown status', { title: 'a', status: 'DONE' }, ['status']],
    ['an unknown priority', { title: 'a', priority: 'CRITICAL' }, ['priority']],
    ['a due date that is not a date', { title: 'a', dueDate: 'next friday' }, ['dueDate']],
    [
      'a local datetime that does not exist',
      { title: 'a', dueDate: '2025-02-30T09:00' },
      ['dueDate'],
    ],
    ['an impossible calendar date', { title: 'a', startDate: '2025-02-30' }, ['startDate']],
    [
      'a start date after the due date',
      { title: 'a', startDate: '2025-03-11', dueDate: '2025-03-10' },
      ['startDate'],
    ],
    [
      'an invalid recurrence rule',
      { title: 'a', recurrenceRule: 'FREQ=SOMETIMES' },
      ['recurrenceRule'],
    ],
    ['an unknown field', { title: 'a', colour: 'red' }, ['colour']],
    ['a parent task that does not exist', { title: 'a', parentId: 'missing' }, ['parentId']],
    ['a project that does not exist', { title: 'a', projectId: 'missing' }, ['projectId']],
    ['several bad fields at once', { title: '', priority: 'CRITICAL' }, ['title', 'priority']],
  ];

  it('reads a due or start time without an offset in the user’s zone, on create and update', () => {
    const { docs, ctx } = setup();
    updateSettings(docs, { timezone: 'Europe/Berlin' });
    const task = createTask(
      docs,
      { title: 'Dentist', startDate: '2027-01-13T14:00', dueDate: '2027-01-13T15:00:00' },
      ctx,
    );
    expect([task.startDate, task.dueDate]).toEqual([
      '2027-01-13T13:00:00Z',
      '2027-01-13T14:00:00Z',
    ]);
    const moved = updateTask(docs, task.id, { dueDate: '2027-07-13T15:00' }, ctx).task;
    expect(moved.dueDate).toBe('2027-07-13T13:00:00Z');
    expect(
      invalidFields(() => updateTask(docs, task.id, { startDate: '2027-07-13T16:00' }, ctx)),
    ).toEqual(['startDate']);
  });

  it.each(invalidInputs)('rejects a task with %s, naming the field', (_name, input, fields) => {
    const { docs, ctx } = setup();
    expect(invalidFields(() => createTask(docs, input as TaskCreateInput, ctx))).toEqual(fields);
    expect(listTasks(docs, { includeDeleted: true })).toEqual([]);
  });

  it('rejects a subtask of a task in the trash', () => {
    const { docs, ctx } = setup();
    const parent = createTask(docs, { title: 'parent' }, ctx);
    deleteTask(docs, parent.id, ctx);
    expect(
      invalidFields(() => createTask(docs, { title: 'child', parentId: parent.id }, ctx)),
    ).toEqual(['parentId']);
  });

  it('rejects an update that puts the start date after the existing due date', () => {
    const { docs, ctx } = setup();
    const task = createTask(docs, { title: 'a', dueDate: '2025-03-10' }, ctx);
    expect(
      invalidFields(() => updateTask(docs, task.id, { startDate: '2025-03-12' }, ctx)),
    ).toEqual(['startDate']);
    expect(getTask(docs, task.id)?.startDate).toBeNull();
  });

  it('rejects an update with an unknown field and changes nothing', () => {
    const { docs, ctx } = setup();
    const task = createTask(docs, { title: 'a' }, ctx);
    const patch = { title: 'b', done: true } as Record<string, unknown>;
    expect(invalidFields(() => updateTask(docs, task.id, patch as TaskPatch, ctx))).toEqual([
      'done',
    ]);
    expect(getTask(docs, task.id)?.title).toBe('a');
  });

  it('reports a missing task as not found', () => {
    const { docs, ctx } = setup();
    expect(() => updateTask(docs, 'missing', { title: 'b' }, ctx)).toThrow(NotFoundError);
  });
});

describe('updateTask', () => {
  it('changes only the fields in the patch and bumps updatedAt', () => {
    const { docs, ctx } = setup();
    const task = createTask(
      docs,
      { title: 'Call mum', priority: 'HIGH', dueDate: '2025-03-10', tags: ['family'] },
      ctx,
    );
    ctx.advance(5 * MINUTE);
    const { task: updated } = updateTask(docs, task.id, { title: 'Call mum back' }, ctx);
    expect(updated).toEqual({
      ...task,
      title: 'Call mum back',
      updatedAt: '2025-03-01T10:05:00Z',
    });
  });

  it('clears a field set to null', () => {
    const { docs, ctx } = setup();
    const task = createTask(
      docs,
      { title: 'a', dueDate: '2025-03-10', estimatedDuration: 30 },
      ctx,
    );
    const { task: updated } = updateTask(
      docs,
      task.id,
      { dueDate: null, estimatedDuration: null },
      ctx,
    );
    expect(updated.dueDate).toBeNull();
    expect(updated.estimatedDuration).toBeNull();
    const map = tasksOf(docs.main).get(task.id) as Y.Map<unknown>;
    expect(map.has('dueDate')).toBe(false);
    expect(map.has('estimatedDuration')).toBe(false);
  });

  it('replaces the tag list, removing tags left out and adding new ones', () => {
    const { docs, ctx } = setup();
    const task = createTask(docs, { title: 'a', tags: ['home', 'errand'] }, ctx);
    const { task: updated } = updateTask(docs, task.id, { tags: ['Home', 'Urgent'] }, ctx);
    expect(updated.tags).toEqual(['home', 'urgent']);
  });

  it('merges a description edit with typing on another device, as edits rather than overwrites', () => {
    const { docs: a, ctx } = setup();
    const task = createTask(a, { title: 'Shopping', description: 'Buy milk' }, ctx);
    const b = cloneReplica(a, 2);
    updateTask(a, task.id, { description: 'Buy oat milk' }, ctx);
    updateTask(b, task.id, { description: 'Buy milk today' }, manualContext('b'));
    sync(a, b);
    expect(getTask(a, task.id)?.description).toBe('Buy oat milk today');
    expect(getTask(b, task.id)?.description).toBe('Buy oat milk today');
  });

  it('keeps a tag another device added while this one edited the tag list', () => {
    const { docs: a, ctx } = setup();
    const task = createTask(a, { title: 'Weekend', tags: ['home', 'errand'] }, ctx);
    const b = cloneReplica(a, 2);
    updateTask(a, task.id, { tags: ['home', 'urgent'] }, ctx);
    updateTask(b, task.id, { tags: ['home', 'errand', 'garden'] }, manualContext('b'));
    sync(a, b);
    expect(getTask(a, task.id)?.tags).toEqual(['garden', 'home', 'urgent']);
    expect(getTask(b, task.id)?.tags).toEqual(['garden', 'home', 'urgent']);
  });

  it('merges a title edit on one device with a description edit and a new tag on another', () => {
    const { docs: a, ctx } = setup();
    const task = createTask(a, { title: 'Write report' }, ctx);
    const b = cloneReplica(a, 2);
    updateTask(a, task.id, { title: 'Write quarterly report' }, ctx);
    updateTask(
      b,
      task.id,
      { description: 'Include Q3 numbers', tags: ['work'] },
      manualContext('b'),
    );
    sync(a, b);
    for (const docs of [a, b]) {
      expect(getTask(docs, task.id)).toMatchObject({
        title: 'Write quarterly report',
        description: 'Include Q3 numbers',
        tags: ['work'],
      });
    }
  });
});

describe('completing a task', () => {
  it('stamps completedAt when completed and clears it when the task is reopened', () => {
    const { docs, ctx } = setup();
    const task = createTask(docs, { title: 'a' }, ctx);
    ctx.advance(60 * MINUTE);
    const { task: done, next } = completeTask(docs, task.id, ctx);
    expect(done.status).toBe('COMPLETED');
    expect(done.completedAt).toBe('2025-03-01T11:00:00Z');
    expect(next).toBeNull();
    const { task: reopened } = updateTask(docs, task.id, { status: 'IN_PROGRESS' }, ctx);
    expect(reopened.status).toBe('IN_PROGRESS');
    expect(reopened.completedAt).toBeNull();
  });

  it('creates the next occurrence of a recurring task with the same title, tags, priority and project', () => {
    const { docs, ctx } = setup();
    const project = createProject(docs, { name: 'Garden' }, ctx);
    const task = createTask(
      docs,
      {
        title: 'Water plants',
        priority: 'HIGH',
        tags: ['home'],
        projectId: project.id,
        startDate: '2025-03-01',
        dueDate: '2025-03-03',
        estimatedDuration: 15,
        recurrenceRule: 'FREQ=WEEKLY',
      },
      ctx,
    );
    ctx.advance(DAY);
    const { next } = completeTask(docs, task.id, ctx);
    expect(next).toMatchObject({
      title: 'Water plants',
      status: 'TODO',
      priority: 'HIGH',
      tags: ['home'],
      projectId: project.id,
      startDate: '2025-03-08',
      dueDate: '2025-03-10',
      estimatedDuration: 15,
      recurrenceRule: 'FREQ=WEEKLY',
      seriesId: task.id,
      completedAt: null,
    });
    expect(next?.id).not.toBe(task.id);
    const series = listTasks(docs).sort((x, y) => (x.dueDate ?? '').localeCompare(y.dueDate ?? ''));
    expect(series.map((t) => [t.title, t.status, t.dueDate])).toEqual([
      ['Water plants', 'COMPLETED', '2025-03-03'],
      ['Water plants', 'TODO', '2025-03-10'],
    ]);
  });

  it('stops a COUNT rule after its last occurrence', () => {
    const { docs, ctx } = setup();
    const first = createTask(
      docs,
      { title: 'Physio', dueDate: '2025-03-03', recurrenceRule: 'FREQ=DAILY;COUNT=2' },
      ctx,
    );
    const second = completeTask(docs, first.id, ctx).next;
    expect(second?.recurrenceRule).toBe('FREQ=DAILY;COUNT=2');
    expect(second?.dueDate).toBe('2025-03-04');
    expect(completeTask(docs, second?.id ?? '', ctx).next).toBeNull();
    expect(listTasks(docs)).toHaveLength(2);
  });

  it('keeps a weekly 09:00 task at 09:00 in the user time zone across the change to summer time', () => {
    const { docs, ctx } = setup();
    updateSettings(docs, { timezone: 'Europe/Paris' });
    const task = createTask(
      docs,
      { title: 'Team sync', dueDate: '2025-03-24T09:00:00+01:00', recurrenceRule: 'FREQ=WEEKLY' },
      ctx,
    );
    expect(completeTask(docs, task.id, ctx).next?.dueDate).toBe('2025-03-31T07:00:00Z');
  });

  it('keeps a daily 02:30 series at 02:30 after the day summer time skips that hour', () => {
    const { docs, ctx } = setup();
    updateSettings(docs, { timezone: 'Europe/Paris' });
    // 02:30 CET on 2025-03-29; on 2025-03-30 02:30 does not exist and reads as 03:30 CEST.
    const first = createTask(
      docs,
      { title: 'Night job', dueDate: '2025-03-29T02:30:00+01:00', recurrenceRule: 'FREQ=DAILY' },
      ctx,
    );
    const second = completeTask(docs, first.id, ctx).next;
    expect(second?.dueDate).toBe('2025-03-30T01:30:00Z');
    const third = completeTask(docs, second?.id ?? '', ctx).next;
    // 02:30 CEST on 2025-03-31: the series' wall-clock time, not the shifted 03:30.
    expect(third?.dueDate).toBe('2025-03-31T00:30:00Z');
  });

  it('creates one next occurrence when a recurring task is completed, reopened and completed again', () => {
    const { docs, ctx } = setup();
    const task = createTask(
      docs,
      { title: 'Water plants', dueDate: '2025-03-03', recurrenceRule: 'FREQ=WEEKLY' },
      ctx,
    );
    const first = completeTask(docs, task.id, ctx).next;
    updateTask(docs, task.id, { status: 'TODO' }, ctx);
    const second = completeTask(docs, task.id, ctx).next;
    expect(second?.id).toBe(first?.id);
    expect(listTasks(docs)).toHaveLength(2);
    // The first occurrence knows its successor carries the series on, reopened or not.
    expect(getTask(docs, task.id)?.nextOccurrenceId).toBe(first?.id);
    expect(first?.nextOccurrenceId).toBeNull();
  });

  it('creates one next occurrence when two devices complete the same recurring task offline', () => {
    const { docs: a, ctx } = setup();
    const task = createTask(
      a,
      {
        title: 'Water plants',
        dueDate: '2025-03-03',
        tags: ['home'],
        recurrenceRule: 'FREQ=WEEKLY',
      },
      ctx,
    );
    const b = cloneReplica(a, 2);
    completeTask(a, task.id, ctx);
    completeTask(b, task.id, manualContext('b', new Date(T0.getTime() + 5 * MINUTE)));
    sync(a, b);
    const seen = [a, b].map((docs) =>
      listTasks(docs)
        .map((t) => ({ id: t.id, status: t.status, dueDate: t.dueDate, tags: t.tags }))
        .sort((x, y) => (x.dueDate ?? '').localeCompare(y.dueDate ?? '')),
    );
    expect(seen[0]).toEqual(seen[1]);
    expect(seen[0]).toEqual([
      { id: task.id, status: 'COMPLETED', dueDate: '2025-03-03', tags: ['home'] },
      { id: expect.any(String), status: 'TODO', dueDate: '2025-03-10', tags: ['home'] },
    ]);
  });
});

describe('skipping occurrences of a series (recurrence exceptions)', () => {
  const weekly = (exceptions: string[] = []) =>
    ({
      title: 'Water plants',
      dueDate: '2025-03-03',
      recurrenceRule: 'FREQ=WEEKLY',
      recurrenceExceptions: exceptions,
    }) satisfies TaskCreateInput;

  it('completing lands on the next occurrence that is not skipped, which keeps the later skips', () => {
    const { docs, ctx } = setup();
    const task = createTask(docs, weekly(['2025-03-10', '2025-03-17', '2025-04-07']), ctx);
    expect(task.recurrenceExceptions).toEqual(['2025-03-10', '2025-03-17', '2025-04-07']);
    const { next } = completeTask(docs, task.id, ctx);
    expect(next?.dueDate).toBe('2025-03-24');
    expect(next?.recurrenceExceptions).toEqual(['2025-04-07']);
  });

  it('skipping the open occurrence moves the task to the next one, keeping the series start', () => {
    const { docs, ctx } = setup();
    const task = createTask(
      docs,
      {
        title: 'Physio',
        startDate: '2025-03-03T08:00:00Z',
        dueDate: '2025-03-03T09:00:00Z',
        recurrenceRule: 'FREQ=DAILY;COUNT=3',
      },
      ctx,
    );
    const moved = updateTask(
      docs,
      task.id,
      { recurrenceExceptions: ['2025-03-03T09:00:00Z'] },
      ctx,
    ).task;
    expect([moved.startDate, moved.dueDate]).toEqual([
      '2025-03-04T08:00:00Z',
      '2025-03-04T09:00:00Z',
    ]);
    // COUNT still counts from the series' first occurrence: the 5th is past the third.
    expect(completeTask(docs, task.id, ctx).next?.dueDate).toBe('2025-03-05T09:00:00Z');
  });

  it('an exception given in another notation of the same instant still skips it', () => {
    const { docs, ctx } = setup();
    const task = createTask(
      docs,
      {
        title: 'Stand-up',
        dueDate: '2025-03-03T09:00:00Z',
        recurrenceRule: 'FREQ=DAILY',
        recurrenceExceptions: ['2025-03-04T10:00:00+01:00'],
      },
      ctx,
    );
    expect(completeTask(docs, task.id, ctx).next?.dueDate).toBe('2025-03-05T09:00:00Z');
  });

  it('a new rule starts over without the old skips; no rule refuses skips', () => {
    const { docs, ctx } = setup();
    const task = createTask(docs, weekly(['2025-03-10']), ctx);
    const changed = updateTask(docs, task.id, { recurrenceRule: 'FREQ=DAILY' }, ctx).task;
    expect(changed.recurrenceExceptions).toEqual([]);
    expect(
      invalidFields(() =>
        updateTask(
          docs,
          task.id,
          { recurrenceRule: null, recurrenceExceptions: ['2025-03-10'] },
          ctx,
        ),
      ),
    ).toEqual(['recurrenceExceptions']);
    expect(
      invalidFields(() =>
        createTask(docs, { title: 'x', recurrenceExceptions: ['2025-03-10'] }, ctx),
      ),
    ).toEqual(['recurrenceExceptions']);
    expect(invalidFields(() => createTask(docs, { ...weekly(['next tuesday']) }, ctx))).toEqual([
      'recurrenceExceptions.0',
    ]);
  });

  it('two devices skipping different occurrences offline both keep their skip', () => {
    const { docs: a, ctx } = setup();
    const task = createTask(a, weekly(), ctx);
    const b = cloneReplica(a, 2);
    updateTask(a, task.id, { recurrenceExceptions: ['2025-03-10'] }, ctx);
    updateTask(b, task.id, { recurrenceExceptions: ['2025-03-24'] }, ctx);
    sync(a, b);
    for (const docs of [a, b]) {
      expect(listTasks(docs)[0]?.recurrenceExceptions).toEqual(['2025-03-10', '2025-03-24']);
    }
  });
});

describe('trash', () => {
  function family(docs: UserDocs, ctx: ReturnType<typeof manualContext>) {
    const parent = createTask(docs, { title: 'parent' }, ctx);
    const child = createTask(docs, { title: 'child', parentId: parent.id }, ctx);
    const grandchild = createTask(docs, { title: 'grandchild', parentId: child.id }, ctx);
    return { parent, child, grandchild };
  }

  it('moves a task and all its subtasks to the trash', () => {
    const { docs, ctx } = setup();
    const { parent, child, grandchild } = family(docs, ctx);
    const other = createTask(docs, { title: 'other' }, ctx);
    ctx.advance(MINUTE);
    deleteTask(docs, parent.id, ctx);
    expect(titles(listTasks(docs))).toEqual(['other']);
    const trashed = listTasks(docs, { includeDeleted: true }).filter((t) => t.deletedAt !== null);
    expect(trashed.map((t) => [t.id, t.deletedAt])).toEqual([
      [parent.id, '2025-03-01T10:01:00Z'],
      [child.id, '2025-03-01T10:01:00Z'],
      [grandchild.id, '2025-03-01T10:01:00Z'],
    ]);
    expect(getTask(docs, other.id)?.deletedAt).toBeNull();
  });

  it('refuses to delete or edit a task that is already in the trash', () => {
    const { docs, ctx } = setup();
    const task = createTask(docs, { title: 'a' }, ctx);
    deleteTask(docs, task.id, ctx);
    expect(() => deleteTask(docs, task.id, ctx)).toThrow(NotFoundError);
    expect(() => updateTask(docs, task.id, { title: 'b' }, ctx)).toThrow(NotFoundError);
  });

  it('restores a task with the subtasks deleted along with it, not those deleted before', () => {
    const { docs, ctx } = setup();
    const { parent, child, grandchild } = family(docs, ctx);
    const earlier = createTask(docs, { title: 'deleted earlier', parentId: parent.id }, ctx);
    deleteTask(docs, earlier.id, ctx);
    ctx.advance(MINUTE);
    deleteTask(docs, parent.id, ctx);
    ctx.advance(MINUTE);
    const restored = restoreTask(docs, parent.id, ctx);
    expect(restored.deletedAt).toBeNull();
    expect(titles(listTasks(docs))).toEqual(['parent', 'child', 'grandchild']);
    expect(getTask(docs, child.id)?.parentId).toBe(parent.id);
    expect(getTask(docs, grandchild.id)?.parentId).toBe(child.id);
    expect(getTask(docs, earlier.id)?.deletedAt).not.toBeNull();
  });

  it('brings a subtask restored alone back as a top-level task while its parent stays in the trash', () => {
    const { docs, ctx } = setup();
    const { parent, child, grandchild } = family(docs, ctx);
    deleteTask(docs, parent.id, ctx);
    const restored = restoreTask(docs, child.id, ctx);
    expect(restored.parentId).toBeNull();
    expect(titles(listTasks(docs))).toEqual(['child', 'grandchild']);
    expect(getTask(docs, grandchild.id)?.parentId).toBe(child.id);
    expect(getTask(docs, parent.id)?.deletedAt).not.toBeNull();
  });

  it('refuses to restore a task that is not in the trash', () => {
    const { docs, ctx } = setup();
    const task = createTask(docs, { title: 'a' }, ctx);
    expect(() => restoreTask(docs, task.id, ctx)).toThrow(NotFoundError);
    expect(() => restoreTask(docs, 'missing', ctx)).toThrow(NotFoundError);
  });

  it('purges a task for good, with its subtasks in the trash', () => {
    const { docs, ctx } = setup();
    const { parent, child, grandchild } = family(docs, ctx);
    deleteTask(docs, parent.id, ctx);
    purgeTask(docs, parent.id);
    expect(listTasks(docs, { includeDeleted: true })).toEqual([]);
    for (const id of [parent.id, child.id, grandchild.id]) expect(getTask(docs, id)).toBeNull();
    expect(() => purgeTask(docs, parent.id)).toThrow(NotFoundError);
  });

  it('purges tasks that have been in the trash for more than 30 days, and only those', () => {
    const { docs, ctx } = setup();
    const { parent } = family(docs, ctx);
    const recent = createTask(docs, { title: 'recent' }, ctx);
    createTask(docs, { title: 'kept' }, ctx);
    deleteTask(docs, parent.id, ctx);
    ctx.advance(10 * DAY);
    deleteTask(docs, recent.id, ctx);

    ctx.set(new Date(T0.getTime() + 29 * DAY));
    expect(purgeExpiredTasks(docs, ctx)).toBe(0);
    expect(listTasks(docs, { includeDeleted: true })).toHaveLength(5);

    ctx.set(new Date(T0.getTime() + 31 * DAY));
    expect(purgeExpiredTasks(docs, ctx)).toBe(3);
    expect(titles(listTasks(docs, { includeDeleted: true }))).toEqual(['recent', 'kept']);
  });

  it('purges the same expired trash on two replicas at once without harm (idempotent)', () => {
    const { docs: server, ctx } = setup();
    const old = createTask(server, { title: 'old' }, ctx);
    createTask(server, { title: 'kept' }, ctx);
    deleteTask(server, old.id, ctx);
    const device = cloneReplica(server, 2);
    ctx.set(new Date(T0.getTime() + 31 * DAY));
    expect(purgeExpiredTasks(server, ctx)).toBe(1);
    expect(purgeExpiredTasks(device, ctx)).toBe(1);
    sync(server, device);
    expect(purgeExpiredTasks(server, ctx)).toBe(0);
    for (const docs of [server, device]) {
      expect(titles(listTasks(docs, { includeDeleted: true }))).toEqual(['kept']);
    }
  });
});

describe('reorderTask', () => {
  function abcd() {
    const { docs, ctx } = setup();
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((title) => createTask(docs, { title }, ctx).id);
    return { docs, ctx, ids: { a: a ?? '', b: b ?? '', c: c ?? '', d: d ?? '' } };
  }

  it('places a task right after another', () => {
    const { docs, ctx, ids } = abcd();
    reorderTask(docs, ids.d, { afterId: ids.a }, ctx);
    expect(titles(listTasks(docs))).toEqual(['a', 'd', 'b', 'c']);
  });

  it('places a task right before another', () => {
    const { docs, ctx, ids } = abcd();
    reorderTask(docs, ids.a, { beforeId: ids.d }, ctx);
    expect(titles(listTasks(docs))).toEqual(['b', 'c', 'a', 'd']);
  });

  it('places a task at the start', () => {
    const { docs, ctx, ids } = abcd();
    reorderTask(docs, ids.c, { afterId: null }, ctx);
    expect(titles(listTasks(docs))).toEqual(['c', 'a', 'b', 'd']);
  });

  it('places a task at the end', () => {
    const { docs, ctx, ids } = abcd();
    reorderTask(docs, ids.b, { beforeId: null }, ctx);
    expect(titles(listTasks(docs))).toEqual(['a', 'c', 'd', 'b']);
    reorderTask(docs, ids.a, {}, ctx);
    expect(titles(listTasks(docs))).toEqual(['c', 'd', 'b', 'a']);
  });

  it('changes only the moved task', () => {
    const { docs, ctx, ids } = abcd();
    const before = listTasks(docs);
    ctx.advance(MINUTE);
    reorderTask(docs, ids.d, { afterId: ids.a }, ctx);
    const after = listTasks(docs);
    for (const task of before.filter((t) => t.id !== ids.d)) {
      expect(after.find((t) => t.id === task.id)).toEqual(task);
    }
  });

  /** Tasks x-1 and y-1 created offline on two devices share one order key. */
  function tiedPair() {
    const { docs: a, ctx } = setup();
    const first = createTask(a, { title: 'first' }, ctx);
    const b = cloneReplica(a, 2);
    createTask(a, { id: 'x-1', title: 'x' }, ctx);
    createTask(b, { id: 'y-1', title: 'y' }, manualContext('b'));
    sync(a, b);
    const last = createTask(a, { title: 'last' }, ctx);
    expect(getTask(a, 'x-1')?.order).toBe(getTask(a, 'y-1')?.order);
    return { docs: a, ctx, first: first.id, last: last.id };
  }

  it('moves a task after a pair of tasks that share an order key', () => {
    const { docs, ctx, first } = tiedPair();
    expect(titles(listTasks(docs))).toEqual(['first', 'x', 'y', 'last']);
    reorderTask(docs, first, { afterId: 'x-1' }, ctx);
    expect(titles(listTasks(docs))).toEqual(['x', 'y', 'first', 'last']);
  });

  it('moves a task before a pair of tasks that share an order key', () => {
    const { docs, ctx, last } = tiedPair();
    reorderTask(docs, last, { beforeId: 'y-1' }, ctx);
    expect(titles(listTasks(docs))).toEqual(['first', 'last', 'x', 'y']);
  });

  it('appends a task created after another task was moved to the end', () => {
    const { docs, ctx, ids } = abcd();
    reorderTask(docs, ids.a, { beforeId: null }, ctx);
    // A client-chosen id that sorts before the moved task's: the order key alone must put it last.
    createTask(docs, { id: 'aaa', title: 'new' }, ctx);
    expect(titles(listTasks(docs))).toEqual(['b', 'c', 'd', 'a', 'new']);
  });

  it('names the unknown neighbour field when the neighbour does not exist', () => {
    const { docs, ctx, ids } = abcd();
    expect(invalidFields(() => reorderTask(docs, ids.a, { afterId: 'missing' }, ctx))).toEqual([
      'afterId',
    ]);
    expect(invalidFields(() => reorderTask(docs, ids.a, { beforeId: 'missing' }, ctx))).toEqual([
      'beforeId',
    ]);
  });
});

describe('task hierarchy', () => {
  it('lists the subtasks of a task', () => {
    const { docs, ctx } = setup();
    const parent = createTask(docs, { title: 'parent' }, ctx);
    createTask(docs, { title: 'one', parentId: parent.id }, ctx);
    createTask(docs, { title: 'other' }, ctx);
    createTask(docs, { title: 'two', parentId: parent.id }, ctx);
    expect(titles(listSubtasks(docs, parent.id))).toEqual(['one', 'two']);
  });

  it('rejects moving a task under one of its own descendants', () => {
    const { docs, ctx } = setup();
    const parent = createTask(docs, { title: 'parent' }, ctx);
    const child = createTask(docs, { title: 'child', parentId: parent.id }, ctx);
    const grandchild = createTask(docs, { title: 'grandchild', parentId: child.id }, ctx);
    expect(
      invalidFields(() => moveTask(docs, parent.id, { parentId: grandchild.id }, ctx)),
    ).toEqual(['parentId']);
    expect(invalidFields(() => updateTask(docs, parent.id, { parentId: parent.id }, ctx))).toEqual([
      'parentId',
    ]);
    expect(getTask(docs, parent.id)?.parentId).toBeNull();
  });

  it('shows a subtask as top-level when its parent was purged on another device', () => {
    const { docs: a, ctx } = setup();
    const parent = createTask(a, { title: 'parent' }, ctx);
    const b = cloneReplica(a, 2);
    deleteTask(a, parent.id, ctx);
    purgeTask(a, parent.id);
    const child = createTask(b, { title: 'child', parentId: parent.id }, manualContext('b'));
    sync(a, b);
    for (const docs of [a, b]) {
      expect(getTask(docs, parent.id)).toBeNull();
      expect(getTask(docs, child.id)?.parentId).toBeNull();
      expect(listTasks(docs).map((t) => [t.title, t.parentId])).toEqual([['child', null]]);
    }
  });

  it('resolves a cycle made by concurrent moves the same way on both devices', () => {
    const { docs: a, ctx } = setup();
    const x = createTask(a, { title: 'x' }, ctx);
    const y = createTask(a, { title: 'y' }, ctx);
    const z = createTask(a, { title: 'z' }, ctx);
    const b = cloneReplica(a, 2);
    moveTask(a, x.id, { parentId: y.id }, ctx);
    moveTask(b, y.id, { parentId: z.id }, manualContext('b'));
    moveTask(b, z.id, { parentId: x.id }, manualContext('b'));
    sync(a, b);
    const onA = listTasks(a);
    const onB = listTasks(b);
    expect(onA.map((t) => [t.id, t.parentId])).toEqual(onB.map((t) => [t.id, t.parentId]));
    for (const task of onA) expect(ancestorsOf(onA, task.id)).not.toContain(task.id);
    // The cycle is broken at exactly one task; the other two stay nested.
    expect(onA.filter((t) => t.parentId === null)).toHaveLength(1);
    for (const task of onA) expect(getTask(a, task.id)?.parentId).toBe(task.parentId);
  });
});

describe('queryTasks', () => {
  const byOrder = { field: 'order', descending: false } as const;

  it('gives the same frozen answer until the document changes, then a new one', () => {
    const { docs, ctx } = setup();
    const high = createTask(docs, { title: 'Ship it', priority: 'HIGH' }, ctx);
    createTask(docs, { title: 'Someday', priority: 'LOW' }, ctx);
    const first = queryTasks(docs, { priority: ['HIGH'], timezone: 'UTC' }, byOrder);
    expect(first.map((task) => task.title)).toEqual(['Ship it']);
    expect(queryTasks(docs, { priority: ['HIGH'], timezone: 'UTC' }, byOrder)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);

    updateTask(docs, high.id, { priority: 'LOW' }, ctx);
    expect(queryTasks(docs, { priority: ['HIGH'], timezone: 'UTC' }, byOrder)).toEqual([]);
    const low = queryTasks(docs, { priority: ['LOW'], timezone: 'UTC' }, byOrder);
    expect(low.map((task) => task.title).sort()).toEqual(['Ship it', 'Someday']);
  });

  it('tells "no project" from "any project", leaves the trash out and keys on the sort', () => {
    const { docs, ctx } = setup();
    const project = createProject(docs, { name: 'Home' }, ctx);
    createTask(docs, { title: 'Paint', projectId: project.id }, ctx);
    createTask(docs, { title: 'Call', dueDate: '2025-03-02' }, ctx);
    const gone = createTask(docs, { title: 'Gone', dueDate: '2025-03-01' }, ctx);
    deleteTask(docs, gone.id, ctx);
    const titlesOf = (list: readonly Readonly<Task>[]) => list.map((task) => task.title);
    expect(titlesOf(queryTasks(docs, { projectId: null }, byOrder))).toEqual(['Call']);
    expect(titlesOf(queryTasks(docs, {}, byOrder)).sort()).toEqual(['Call', 'Paint']);
    expect(titlesOf(queryTasks(docs, {}, { field: 'title', descending: true }))).toEqual([
      'Paint',
      'Call',
    ]);
    expect(titlesOf(queryTasks(docs, {}, { field: 'title', descending: false }))).toEqual([
      'Call',
      'Paint',
    ]);
  });
});
