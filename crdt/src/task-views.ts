import { DateTime } from 'luxon';
import { isDateOnly } from './dates.js';
import type { Task } from './schema.js';

/**
 * The app's standard lists, defined once: which tasks Inbox, Today, Upcoming, a project, a tag
 * and the trash show. Open = TODO or IN_PROGRESS. "Today" is the user's local day.
 */
export type TaskView =
  | { kind: 'inbox' }
  | { kind: 'today' }
  | { kind: 'upcoming' }
  | { kind: 'all' }
  | { kind: 'trash' }
  | { kind: 'project'; projectId: string }
  | { kind: 'tag'; tagKey: string };

export function isOpen(task: Task): boolean {
  return task.status === 'TODO' || task.status === 'IN_PROGRESS';
}

/** The local calendar day (`YYYY-MM-DD`) a due/start value falls on in `timezone`. */
export function localDay(value: string, timezone: string): string {
  if (isDateOnly(value)) return value;
  return (
    DateTime.fromISO(value, { zone: 'utc' }).setZone(timezone).toISODate() ?? value.slice(0, 10)
  );
}

export function selectTaskView(
  tasks: readonly Task[],
  view: TaskView,
  options: { now: Date; timezone: string },
): Task[] {
  const today = DateTime.fromJSDate(options.now).setZone(options.timezone).toISODate() ?? '';
  const dueDay = (task: Task) => (task.dueDate ? localDay(task.dueDate, options.timezone) : null);
  return tasks.filter((task) => {
    if (view.kind === 'trash') return task.deletedAt !== null;
    if (task.deletedAt !== null) return false;
    switch (view.kind) {
      case 'inbox':
        return isOpen(task) && task.projectId === null && task.parentId === null;
      case 'today': {
        const day = dueDay(task);
        return isOpen(task) && day !== null && day <= today;
      }
      case 'upcoming': {
        const day = dueDay(task);
        return isOpen(task) && day !== null && day > today;
      }
      case 'all':
        return task.parentId === null;
      case 'project':
        return task.projectId === view.projectId && task.parentId === null;
      case 'tag':
        return task.tags.includes(view.tagKey);
      default:
        return false;
    }
  });
}
