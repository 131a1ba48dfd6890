import { DateTime } from 'luxon';
import { isDateOnly } from './dates.js';
import { PRIORITIES, type Priority, type Task, type TaskStatus } from './schema.js';
import { normalizeTagName } from './tags.js';
import { compareByOrder } from './task-read.js';

/**
 * Filtering, searching, sorting and paging tasks: one implementation for the REST list endpoint
 * and the app's views.
 */
export interface TaskFilter {
  status?: readonly TaskStatus[];
  priority?: readonly Priority[];
  /** A project id, or null for tasks without a project. */
  projectId?: string | null;
  /** A parent task id, or null for top-level tasks. */
  parentId?: string | null;
  /** A tag name (any case/spacing). */
  tag?: string;
  /** Instants (ISO). A date-only due date counts from the start of that day in `timezone`. */
  dueBefore?: string;
  dueAfter?: string;
  /** Words that must all appear in the title or description, any case. */
  q?: string;
  timezone?: string;
}

export const TASK_SORT_FIELDS = [
  'order',
  'created_at',
  'updated_at',
  'due_date',
  'priority',
  'title',
  'status',
] as const;
export type TaskSortField = (typeof TASK_SORT_FIELDS)[number];
export interface TaskSort {
  field: TaskSortField;
  descending: boolean;
}

/** Parses `due_date` / `-priority` style sort expressions; null when not one of ours. */
export function parseTaskSort(value: string): TaskSort | null {
  const descending = value.startsWith('-');
  const field = (descending ? value.slice(1) : value) as TaskSortField;
  return TASK_SORT_FIELDS.includes(field) ? { field, descending } : null;
}

function fold(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();
}

function dueInstant(due: string, timezone: string, cache: Map<string, number>): number {
  let ms = cache.get(due);
  if (ms === undefined) {
    ms = isDateOnly(due)
      ? DateTime.fromISO(due, { zone: timezone }).startOf('day').toMillis()
      : Date.parse(due);
    cache.set(due, ms);
  }
  return ms;
}

export function filterTasks(tasks: readonly Task[], filter: TaskFilter): Task[] {
  const timezone = filter.timezone ?? 'UTC';
  const tagKey = filter.tag === undefined ? undefined : normalizeTagName(filter.tag);
  const words = filter.q ? fold(filter.q).split(/\s+/).filter(Boolean) : [];
  const before = filter.dueBefore ? Date.parse(filter.dueBefore) : null;
  const after = filter.dueAfter ? Date.parse(filter.dueAfter) : null;
  const cache = new Map<string, number>();
  return tasks.filter((task) => {
    if (filter.status && !filter.status.includes(task.status)) return false;
    if (filter.priority && !filter.priority.includes(task.priority)) return false;
    if (filter.projectId !== undefined && task.projectId !== filter.projectId) return false;
    if (filter.parentId !== undefined && task.parentId !== filter.parentId) return false;
    if (tagKey !== undefined && !task.tags.includes(tagKey)) return false;
    if (before !== null || after !== null) {
      if (!task.dueDate) return false;
      const due = dueInstant(task.dueDate, timezone, cache);
      if (before !== null && due >= before) return false;
      if (after !== null && due < after) return false;
    }
    if (words.length > 0) {
      const text = fold(`${task.title}\n${task.description}`);
      if (!words.every((word) => text.includes(word))) return false;
    }
    return true;
  });
}

const PRIORITY_RANK = new Map(PRIORITIES.map((priority, index) => [priority, index]));

/** Sorts a copy; ties fall back to the manual order, so every replica lists the same way. */
export function sortTasks(tasks: readonly Task[], sort: TaskSort, timezone = 'UTC'): Task[] {
  const cache = new Map<string, number>();
  const direction = sort.descending ? -1 : 1;
  const compareField = (a: Task, b: Task): number => {
    switch (sort.field) {
      case 'order':
        return 0;
      case 'created_at':
        return a.createdAt.localeCompare(b.createdAt);
      case 'updated_at':
        return a.updatedAt.localeCompare(b.updatedAt);
      case 'title':
        return a.title.localeCompare(b.title);
      case 'status':
        return a.status.localeCompare(b.status);
      case 'priority':
        return (PRIORITY_RANK.get(a.priority) ?? 0) - (PRIORITY_RANK.get(b.priority) ?? 0);
      case 'due_date': {
        // Tasks without a due date come last either way.
        if (!a.dueDate || !b.dueDate) return a.dueDate ? -direction : b.dueDate ? direction : 0;
        return dueInstant(a.dueDate, timezone, cache) - dueInstant(b.dueDate, timezone, cache);
      }
    }
  };
  return [...tasks].sort((a, b) => direction * compareField(a, b) || compareByOrder(a, b));
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  limit: number;
  total_pages: number;
}

export function paginate<T>(items: readonly T[], page: number, limit: number): Page<T> {
  const start = (page - 1) * limit;
  return {
    items: items.slice(start, start + limit),
    total: items.length,
    page,
    limit,
    total_pages: Math.ceil(items.length / limit),
  };
}
