import type * as Y from 'yjs';
import type { DocContext } from './context.js';
import { isDateOnly, localDateTimeToInstant, normalizeDateTime } from './dates.js';
import { isInTransaction } from './doc-version.js';
import { NotFoundError } from './errors.js';
import { asMap } from './record-fields.js';
import { hasReminderKeys, reminderKey } from './reminder-keys.js';
import { type Reminder, ROOT, type Settings, type Task } from './schema.js';
import { getSettings } from './settings.js';
import { followTaskChanges, type TaskChangeFollower } from './task-history.js';
import { getTask, updateTask } from './tasks.js';
import { tasksOf, type UserDocs } from './user-docs.js';

/**
 * When each reminder of a document fires. The server's scheduler plans one job per (task,
 * reminder key, instant); a reminder removed, a date moved, a task done or deleted changes the
 * set computed here, which is all the scheduler compares its jobs against.
 */

/** The settings reminders are computed with. */
export type ReminderSettings = Pick<Settings, 'timezone' | 'allDayReminderTime'>;

/**
 * When one reminder of a task fires (a UTC instant, `Z`), or null when it cannot: a relative
 * reminder of a task without a date. Relative reminders count back from the due date, else the
 * start date; an all-day date counts from the user's all-day reminder time that day in their
 * zone (so "0 minutes before" an all-day task is 09:00 that morning by default).
 */
export function reminderFireTime(
  task: Pick<Task, 'dueDate' | 'startDate'>,
  reminder: Reminder,
  settings: ReminderSettings,
): string | null {
  if ('at' in reminder) return normalizeDateTime(reminder.at);
  const anchor = task.dueDate ?? task.startDate;
  if (anchor === null) return null;
  const base = isDateOnly(anchor)
    ? localDateTimeToInstant(`${anchor}T${settings.allDayReminderTime}`, settings.timezone)
    : anchor;
  if (base === null) return null;
  return new Date(Date.parse(base) - reminder.minutesBefore * 60_000)
    .toISOString()
    .replace('.000Z', 'Z');
}

/** One reminder of one task at the instant it fires. */
export interface PlannedReminder {
  taskId: string;
  /** The reminder's key (`before:15`, `at:…`): with the task and the instant, its identity. */
  key: string;
  reminder: Reminder;
  fireAt: string;
}

/** Whether a task can still remind anyone: not done, cancelled or in the trash. */
function remindable(task: Readonly<Task>): boolean {
  return task.deletedAt === null && task.status !== 'COMPLETED' && task.status !== 'CANCELLED';
}

/**
 * Every reminder of the document's open tasks and when it fires, earliest first. A recurring
 * task's reminders are those of its current (open) occurrence: completing it moves them to the
 * next one with the dates (`completeTask`). Reminders whose time has passed are included; see
 * `upcomingReminders` for those still ahead.
 */
export function reminderSchedule(docs: UserDocs, settings?: ReminderSettings): PlannedReminder[] {
  const tasks = tasksOf(docs.main);
  const planned: PlannedReminder[] = [];
  if (settings !== undefined || isInTransaction(docs.main)) {
    const zone = settings ?? getSettings(docs);
    for (const id of tasks.keys()) planned.push(...remindersOfTask(docs, id, zone));
    return planned.sort(byFireTime);
  }
  // Planned again only for the tasks changed since the last call on this document (a server
  // plans a 10,000-task document after each burst of edits); settings changes replan all.
  let cache = schedules.get(docs.main);
  if (!cache) {
    cache = { follower: followTaskChanges(docs.main, [ROOT.settings]), byTask: new Map() };
    schedules.set(docs.main, cache);
  }
  const changes = cache.follower.take();
  const zone = getSettings(docs);
  if (changes.all) cache.byTask.clear();
  for (const id of changes.all ? tasks.keys() : changes.ids) {
    const own = remindersOfTask(docs, id, zone);
    if (own.length > 0) cache.byTask.set(id, own);
    else cache.byTask.delete(id);
  }
  for (const own of cache.byTask.values()) planned.push(...own);
  return planned.sort(byFireTime);
}

const schedules = new WeakMap<
  Y.Doc,
  { follower: TaskChangeFollower; byTask: Map<string, PlannedReminder[]> }
>();

function byFireTime(a: PlannedReminder, b: PlannedReminder): number {
  return (
    a.fireAt.localeCompare(b.fireAt) ||
    a.taskId.localeCompare(b.taskId) ||
    a.key.localeCompare(b.key)
  );
}

/** The reminders of one task that fire (none for a task done, deleted, gone or undated). */
function remindersOfTask(docs: UserDocs, id: string, zone: ReminderSettings): PlannedReminder[] {
  // Most tasks have no reminder: they are skipped on their map's keys, unread.
  const map = asMap(tasksOf(docs.main).get(id));
  if (!map || map.has('deletedAt') || !hasReminderKeys(map)) return [];
  const task = getTask(docs, id);
  if (!task || !remindable(task)) return [];
  const planned: PlannedReminder[] = [];
  for (const reminder of task.reminders) {
    const fireAt = reminderFireTime(task, reminder, zone);
    if (fireAt !== null) planned.push({ taskId: id, key: reminderKey(reminder), reminder, fireAt });
  }
  return planned;
}

/** The reminders that fire after `now` (the injected clock), earliest first. */
export function upcomingReminders(
  docs: UserDocs,
  now: Date,
  settings?: ReminderSettings,
): PlannedReminder[] {
  const at = now.getTime();
  return reminderSchedule(docs, settings).filter((item) => Date.parse(item.fireAt) > at);
}

/**
 * Whether the reminder `key` of task `taskId` still fires at `fireAt` in the document as it is
 * now: what the server checks right before sending one it planned earlier.
 */
export function isReminderStillDue(
  docs: UserDocs,
  taskId: string,
  key: string,
  fireAt: string,
  settings?: ReminderSettings,
): boolean {
  const zone = settings ?? getSettings(docs);
  const task = getTask(docs, taskId);
  if (!task || !remindable(task)) return false;
  const reminder = task.reminders.find((item) => reminderKey(item) === key);
  if (!reminder) return false;
  const when = reminderFireTime(task, reminder, zone);
  return when !== null && Date.parse(when) === Date.parse(fireAt);
}

/** Minutes "Snooze" puts a reminder off by. */
export const SNOOZE_MINUTES = 10;

/**
 * "Snooze 10 min" on a reminder: the task gets one more reminder at `minutes` from now (the
 * injected clock), which the server sends like any other.
 */
export function snoozeReminder(
  docs: UserDocs,
  taskId: string,
  ctx: DocContext,
  minutes = SNOOZE_MINUTES,
): Task {
  const task = getTask(docs, taskId);
  if (!task || task.deletedAt !== null) throw new NotFoundError('task', taskId);
  const at = new Date(ctx.now().getTime() + minutes * 60_000).toISOString().replace('.000Z', 'Z');
  return updateTask(docs, taskId, { reminders: [...task.reminders, { at }] }, ctx).task;
}
