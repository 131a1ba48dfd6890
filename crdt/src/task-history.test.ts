import { describe, expect, it } from 'vitest';
import { diffVersions, restoreVersion, versionFieldsOf, writersOf } from './task-history.js';
import { createTask, deleteTask, getTask, updateTask } from './tasks.js';
import { cloneReplica, manualContext, replica, sync } from './test-support.js';

describe('task history', () => {
  it('compares versions field by field, and a new task by what it was given', () => {
    const docs = replica(1);
    const ctx = manualContext('t');
    const task = createTask(docs, { title: 'Draft', tags: ['work'] }, ctx);
    const first = versionFieldsOf(task);
    expect(diffVersions(null, first)).toEqual([
      { field: 'title', before: null, after: 'Draft' },
      { field: 'description', before: null, after: '' },
      { field: 'status', before: null, after: 'TODO' },
      { field: 'priority', before: null, after: 'MEDIUM' },
      { field: 'tags', before: null, after: ['work'] },
    ]);
    const second = versionFieldsOf(
      updateTask(docs, task.id, { title: 'Final', priority: 'HIGH' }, ctx).task,
    );
    expect(diffVersions(first, second)).toEqual([
      { field: 'title', before: 'Draft', after: 'Final' },
      { field: 'priority', before: 'MEDIUM', after: 'HIGH' },
    ]);
  });

  it('names the devices that wrote the fields as they are', () => {
    const laptop = replica(11);
    const ctx = manualContext('t');
    const task = createTask(laptop, { title: 'Shared' }, ctx);
    const phone = cloneReplica(laptop, 22);
    updateTask(phone, task.id, { title: 'Shared, edited on the phone' }, ctx);
    sync(laptop, phone);
    expect(writersOf(laptop, task.id)).toEqual([11, 22]);
  });

  it('restores an earlier version as a new change, out of the trash too', () => {
    const docs = replica(1);
    const ctx = manualContext('t');
    const task = createTask(docs, { title: 'One', dueDate: '2026-05-01' }, ctx);
    const first = versionFieldsOf(task);
    updateTask(docs, task.id, { title: 'Two', dueDate: null, status: 'IN_PROGRESS' }, ctx);
    deleteTask(docs, task.id, ctx);
    const restored = restoreVersion(docs, task.id, first, ctx);
    expect(restored).toMatchObject({
      title: 'One',
      dueDate: '2026-05-01',
      status: 'TODO',
      deletedAt: null,
    });
    expect(versionFieldsOf(getTask(docs, task.id) as never)).toEqual(first);
  });
});
