import { describe, expect, it } from 'vitest';
import {
  conflictDifferences,
  conflictRestorePatch,
  keepLosingVersion,
  readCalendarConflict,
} from './calendar-conflicts.js';
import { ValidationError } from './errors.js';
import { createTask, deleteTask, getTask } from './tasks.js';
import { manualContext, replica } from './test-support.js';
import { migrateDocument } from './user-docs.js';

const conflictOn = (taskId: string, losing: Record<string, unknown>) => ({
  connectionId: 'c1',
  taskId,
  eventId: 'e1',
  winner: 'event',
  losing: {
    side: 'task',
    isDeletion: false,
    patch: {},
    updatedAt: '2026-11-24T10:00:00Z',
    ...losing,
  },
  detectedAt: '2026-11-24T10:01:00Z',
});

function setup() {
  const docs = replica(1);
  migrateDocument(docs.main, docs.userId);
  const ctx = manualContext('c');
  const task = createTask(docs, { title: 'From Google', dueDate: '2026-12-01' }, ctx);
  return { docs, ctx, task };
}

describe('calendar conflicts in the inbox', () => {
  it('reads a conflict the sync engine wrote, and nothing else', () => {
    expect(readCalendarConflict(conflictOn('t1', { patch: { title: 'Mine' } }))).toMatchObject({
      taskId: 't1',
      losing: { patch: { title: 'Mine' } },
    });
    expect(readCalendarConflict(null)).toBeNull();
    expect(readCalendarConflict({ taskId: 't1' })).toBeNull();
    expect(readCalendarConflict(conflictOn('t1', { side: 'both' }))).toBeNull();
    expect(readCalendarConflict(conflictOn('t1', { patch: 'title=Mine' }))).toBeNull();
  });

  it('gives back only the fields an event carries', () => {
    const conflict = readCalendarConflict(
      conflictOn('t1', { patch: { title: 'Mine', status: 'COMPLETED', projectId: 'p1' } }),
    );
    expect(conflict?.losing.patch).toEqual({ title: 'Mine' });
  });

  it('refuses to keep a version whose values are not a task’s', () => {
    const { docs, ctx, task } = setup();
    const conflict = readCalendarConflict(conflictOn(task.id, { patch: { priority: 'SOMEDAY' } }));
    if (!conflict) throw new Error('unreadable');
    expect(() => keepLosingVersion(docs, conflict, ctx)).toThrow(ValidationError);
    expect(getTask(docs, task.id)?.priority).toBe(task.priority);
  });

  it('shows what the other version would change', () => {
    const { task } = setup();
    const conflict = readCalendarConflict(
      conflictOn(task.id, { patch: { title: 'From the app', dueDate: '2026-12-01' } }),
    );
    expect(conflict && conflictDifferences(conflict, task)).toEqual([
      { field: 'title', now: 'From Google', other: 'From the app' },
    ]);
  });

  it('keeps the other version: its fields, from the trash if need be', () => {
    const { docs, ctx, task } = setup();
    deleteTask(docs, task.id, ctx);
    const conflict = readCalendarConflict(
      conflictOn(task.id, { patch: { title: 'From the app' } }),
    );
    if (!conflict) throw new Error('unreadable');
    const kept = keepLosingVersion(docs, conflict, ctx);
    expect(kept).toMatchObject({ title: 'From the app', deletedAt: null });
  });

  it('keeps the other version when it was the deletion', () => {
    const { docs, ctx, task } = setup();
    const conflict = readCalendarConflict(conflictOn(task.id, { isDeletion: true }));
    if (!conflict) throw new Error('unreadable');
    keepLosingVersion(docs, conflict, ctx);
    expect(getTask(docs, task.id)?.deletedAt).not.toBeNull();
  });

  it('plans the restore from the payload and the task as it is now', () => {
    const { docs, ctx, task } = setup();
    const edit = conflictOn(task.id, { patch: { title: 'Mine', dueDate: '2026-12-01' } });
    expect(conflictRestorePatch({ taskId: task.id }, task)).toEqual({ kind: 'unreadable' });
    expect(conflictRestorePatch(edit, task)).toEqual({
      kind: 'update',
      fromTrash: false,
      patch: { title: 'Mine' },
    });
    expect(conflictRestorePatch(edit, null)).toEqual({ kind: 'nothing', reason: 'task-gone' });
    const same = conflictOn(task.id, { patch: { title: 'From Google' } });
    expect(conflictRestorePatch(same, task)).toEqual({ kind: 'nothing', reason: 'already-so' });
    const deletion = conflictOn(task.id, { isDeletion: true });
    expect(conflictRestorePatch(deletion, task)).toEqual({ kind: 'trash' });
    deleteTask(docs, task.id, ctx);
    const trashed = getTask(docs, task.id);
    expect(conflictRestorePatch(deletion, trashed)).toEqual({
      kind: 'nothing',
      reason: 'already-so',
    });
    expect(conflictRestorePatch(same, trashed)).toEqual({
      kind: 'update',
      fromTrash: true,
      patch: {},
    });
  });
});
