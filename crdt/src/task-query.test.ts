import { describe, expect, it } from 'vitest';
import type { Task } from './schema.js';
import { filterTasks, paginate, parseTaskSort, sortTasks } from './task-query.js';
import { taskFixture } from './test-support.js';

const task = taskFixture;

const tasks = [
  task('a', {
    title: 'Write the Report',
    priority: 'HIGH',
    dueDate: '2025-10-10T09:00:00Z',
    order: 'a2',
    tags: ['work'],
  }),
  task('b', {
    title: 'Café visit',
    description: 'meet Bob',
    dueDate: '2025-10-05',
    order: 'a1',
    projectId: 'p1',
  }),
  task('c', { title: 'Pay rent', priority: 'URGENT', status: 'COMPLETED', order: 'a3' }),
  task('d', {
    title: 'Plan',
    priority: 'LOW',
    dueDate: '2025-10-20T09:00:00Z',
    order: 'a0',
    parentId: 'a',
  }),
];
const ids = (list: Task[]) => list.map((t) => t.id);

describe('task queries', () => {
  it('filters by status, priority, project, parent and tag, all at once', () => {
    expect(ids(filterTasks(tasks, { status: ['TODO'] }))).toEqual(['a', 'b', 'd']);
    expect(ids(filterTasks(tasks, { priority: ['HIGH', 'URGENT'] }))).toEqual(['a', 'c']);
    expect(ids(filterTasks(tasks, { projectId: 'p1' }))).toEqual(['b']);
    expect(ids(filterTasks(tasks, { projectId: null, parentId: null }))).toEqual(['a', 'c']);
    expect(ids(filterTasks(tasks, { tag: ' WORK ' }))).toEqual(['a']);
  });

  it('searches every word in the title or description, ignoring case and accents', () => {
    expect(ids(filterTasks(tasks, { q: 'report write' }))).toEqual(['a']);
    expect(ids(filterTasks(tasks, { q: 'cafe bob' }))).toEqual(['b']);
    expect(ids(filterTasks(tasks, { q: 'nothing like it' }))).toEqual([]);
  });

  it('compares a date-only due date from the start of that day in the user’s zone', () => {
    const options = { dueAfter: '2025-10-05T00:00:00Z', dueBefore: '2025-10-15T00:00:00Z' };
    expect(ids(filterTasks(tasks, { ...options, timezone: 'UTC' }))).toEqual(['a', 'b']);
    // In Tokyo, 5 October starts at 4 October 15:00 UTC: before dueAfter.
    expect(ids(filterTasks(tasks, { ...options, timezone: 'Asia/Tokyo' }))).toEqual(['a']);
  });

  it('sorts by a field either way, tasks without a due date last, ties in manual order', () => {
    expect(ids(sortTasks(tasks, { field: 'order', descending: false }))).toEqual([
      'd',
      'b',
      'a',
      'c',
    ]);
    expect(ids(sortTasks(tasks, { field: 'due_date', descending: false }))).toEqual([
      'b',
      'a',
      'd',
      'c',
    ]);
    expect(ids(sortTasks(tasks, { field: 'due_date', descending: true }))).toEqual([
      'd',
      'a',
      'b',
      'c',
    ]);
    expect(ids(sortTasks(tasks, { field: 'priority', descending: true }))).toEqual([
      'c',
      'a',
      'b',
      'd',
    ]);
    expect(parseTaskSort('-created_at')).toEqual({ field: 'created_at', descending: true });
    expect(parseTaskSort('colour')).toBeNull();
  });

  it('pages with totals the way the spec counts them', () => {
    const items = Array.from({ length: 45 }, (_, i) => i);
    expect(paginate(items, 3, 20)).toEqual({
      items: [40, 41, 42, 43, 44],
      total: 45,
      page: 3,
      limit: 20,
      total_pages: 3,
    });
    expect(paginate([], 1, 20)).toEqual({
      items: [],
      total: 0,
      page: 1,
      limit: 20,
      total_pages: 0,
    });
  });
});
