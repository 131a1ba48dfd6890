import { describe, expect, it } from 'vitest';
import type * as Y from 'yjs';
import { createProject, deleteProject } from './projects.js';
import { updateSettings } from './settings.js';
import {
  diffVersions,
  followTaskChanges,
  recentlyDeleted,
  restoreVersion,
  versionFieldsOf,
  writersOf,
} from './task-history.js';
import { createTask, deleteTask, getTask, purgeTask, updateTask } from './tasks.js';
import { cloneReplica, manualContext, replica, sync } from './test-support.js';
import { tasksOf } from './user-docs.js';

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

describe('recently deleted', () => {
  const last = (task: Parameters<typeof versionFieldsOf>[0], recordedAt: string) => ({
    taskId: task.id,
    version: 2,
    recordedAt,
    fields: versionFieldsOf(task),
  });

  it('lists the tasks gone from the document, not those alive or in the trash, latest first', () => {
    const docs = replica(1);
    const ctx = manualContext('t');
    const kept = createTask(docs, { title: 'Kept' }, ctx);
    const trashed = createTask(docs, { title: 'In the trash' }, ctx);
    const old = createTask(docs, { title: 'Purged long ago' }, ctx);
    const recent = createTask(docs, { title: 'Purged lately' }, ctx);
    const removed = createTask(docs, { title: 'Removed by a device' }, ctx);
    const versions = [kept, trashed, old, recent, removed].map((task) =>
      last(task, '2026-03-01T10:00:00.000Z'),
    );
    for (const [index, task] of [trashed, old, recent].entries()) {
      deleteTask(docs, task.id, manualContext(`d${index}`));
    }
    // What the server recorded last: the trash time for those deleted through the trash.
    versions[2] = last(getTask(docs, old.id) as never, '2026-03-02T00:00:00.000Z');
    versions[2].fields.deletedAt = '2026-01-05T09:00:00.000Z';
    versions[3] = last(getTask(docs, recent.id) as never, '2026-03-02T00:00:00.000Z');
    versions[3].fields.deletedAt = '2026-02-20T09:00:00.000Z';
    purgeTask(docs, old.id);
    purgeTask(docs, recent.id);
    tasksOf(docs.main).delete(removed.id);
    expect(recentlyDeleted(docs, versions).map((item) => item.fields.title)).toEqual([
      'Removed by a device',
      'Purged lately',
      'Purged long ago',
    ]);
  });

  it('brings a purged task back under its own id, out of the trash, parent and project kept if there', () => {
    const docs = replica(1);
    const ctx = manualContext('t');
    const project = createProject(docs, { name: 'Home' }, ctx);
    const parent = createTask(docs, { title: 'Move' }, ctx);
    const child = createTask(
      docs,
      {
        title: 'Pack books',
        parentId: parent.id,
        projectId: project.id,
        tags: ['boxes'],
        dueDate: '2026-05-01',
        recurrenceRule: 'FREQ=WEEKLY',
        recurrenceExceptions: ['2026-05-08'],
      },
      ctx,
    );
    deleteTask(docs, child.id, ctx);
    const inTrash = versionFieldsOf(getTask(docs, child.id) as never);
    purgeTask(docs, child.id);
    expect(getTask(docs, child.id)).toBeNull();

    const back = restoreVersion(docs, child.id, inTrash, ctx);
    expect(back).toMatchObject({
      id: child.id,
      title: 'Pack books',
      parentId: parent.id,
      projectId: project.id,
      tags: ['boxes'],
      dueDate: '2026-05-01',
      recurrenceRule: 'FREQ=WEEKLY',
      recurrenceExceptions: ['2026-05-08'],
      deletedAt: null,
    });

    // Without its parent (in the trash) and its project (gone): top-level, in no project.
    purgeTask(docs, child.id);
    deleteTask(docs, parent.id, ctx);
    deleteProject(docs, project.id, ctx);
    expect(restoreVersion(docs, child.id, inTrash, ctx)).toMatchObject({
      title: 'Pack books',
      parentId: null,
      projectId: null,
      deletedAt: null,
    });
  });

  describe('following which tasks a change touched', () => {
    const ids = (changes: ReturnType<ReturnType<typeof followTaskChanges>['take']>) =>
      changes.all ? 'all' : [...changes.ids].sort();

    it('names the tasks edited, created or trashed, and says all at first', () => {
      const docs = replica(1);
      const ctx = manualContext('t');
      const a = createTask(docs, { title: 'A' }, ctx);
      const b = createTask(docs, { title: 'B' }, ctx);
      const follower = followTaskChanges(docs.main);
      expect(ids(follower.take())).toBe('all');
      expect(ids(follower.take())).toEqual([]);

      updateTask(docs, a.id, { title: 'A2', priority: 'HIGH' }, ctx);
      expect(ids(follower.take())).toEqual([a.id]);
      updateTask(docs, b.id, { description: 'longer' }, ctx);
      expect(ids(follower.take())).toEqual([b.id]);
      const c = createTask(docs, { title: 'C' }, ctx);
      deleteTask(docs, a.id, ctx);
      expect(ids(follower.take())).toEqual([a.id, c.id].sort());
      // Settings and the inbox are not read into any task's history fields.
      updateSettings(docs, { timezone: 'Europe/Berlin' });
      expect(ids(follower.take())).toEqual([]);
      follower.stop();
    });

    it("says all when a change can move other tasks' resolved parent or project", () => {
      const docs = replica(2);
      const ctx = manualContext('t');
      const parent = createTask(docs, { title: 'Parent' }, ctx);
      const child = createTask(docs, { title: 'Child' }, ctx);
      const follower = followTaskChanges(docs.main);
      follower.take();
      updateTask(docs, child.id, { parentId: parent.id }, ctx);
      expect(ids(follower.take())).toBe('all');
      purgeTask(docs, parent.id);
      expect(ids(follower.take())).toBe('all');
      createProject(docs, { name: 'Home' }, ctx);
      expect(ids(follower.take())).toBe('all');

      // A task arriving after another device already named it as a parent.
      const orphan = createTask(docs, { title: 'Orphan' }, ctx);
      follower.take();
      (tasksOf(docs.main).get(orphan.id) as Y.Map<unknown>).set('parentId', 'late-parent');
      expect(ids(follower.take())).toBe('all');
      createTask(docs, { id: 'late-parent', title: 'Late' }, ctx);
      expect(ids(follower.take())).toBe('all');
      createTask(docs, { title: 'Nobody names me' }, ctx);
      expect(follower.take().all).toBe(false);
    });

    it('follows changes that arrive from another replica as updates', () => {
      const laptop = replica(11);
      const ctx = manualContext('t');
      const task = createTask(laptop, { title: 'Shared' }, ctx);
      const server = cloneReplica(laptop, 22);
      const follower = followTaskChanges(server.main);
      follower.take();
      updateTask(laptop, task.id, { status: 'IN_PROGRESS' }, ctx);
      sync(laptop, server);
      expect(ids(follower.take())).toEqual([task.id]);
    });
  });
});
