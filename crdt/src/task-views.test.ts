import { describe, expect, it } from 'vitest';
import { localDay, selectTaskView } from './task-views.js';
import { taskFixture } from './test-support.js';

const task = taskFixture;

const tasks = [
  task('inbox', {}),
  task('overdue', { dueDate: '2025-10-09' }),
  task('tonight', { dueDate: '2025-10-11T03:30:00Z' }), // 23:30 on the 10th in New York
  task('tomorrow', { dueDate: '2025-10-11T15:00:00Z' }),
  task('done', { dueDate: '2025-10-10', status: 'COMPLETED' }),
  task('in-project', { projectId: 'p1', tags: ['work'] }),
  task('sub', { parentId: 'inbox', tags: ['work'] }),
  task('trashed', { deletedAt: '2025-10-09T00:00:00Z', dueDate: '2025-10-10' }),
];
const options = { now: new Date('2025-10-10T16:00:00Z'), timezone: 'America/New_York' };
const ids = (kind: Parameters<typeof selectTaskView>[1]) =>
  selectTaskView(tasks, kind, options).map((t) => t.id);

describe('task views', () => {
  it('shows open top-level tasks without a project in the inbox', () => {
    expect(ids({ kind: 'inbox' })).toEqual(['inbox', 'overdue', 'tonight', 'tomorrow']);
  });

  it('shows open tasks due today or earlier in the user’s time zone under Today', () => {
    expect(ids({ kind: 'today' })).toEqual(['overdue', 'tonight']);
    expect(ids({ kind: 'upcoming' })).toEqual(['tomorrow']);
  });

  it('lists a project’s top-level tasks, a tag’s tasks at any depth, and the trash', () => {
    expect(ids({ kind: 'project', projectId: 'p1' })).toEqual(['in-project']);
    expect(ids({ kind: 'tag', tagKey: 'work' })).toEqual(['in-project', 'sub']);
    expect(ids({ kind: 'trash' })).toEqual(['trashed']);
  });

  it('reads a UTC due time as the local day it falls on', () => {
    expect(localDay('2025-10-11T03:30:00Z', 'America/New_York')).toBe('2025-10-10');
    expect(localDay('2025-10-11', 'America/New_York')).toBe('2025-10-11');
  });
});
