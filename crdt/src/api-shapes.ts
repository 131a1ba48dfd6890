import type { FieldError, ValidationError } from './errors.js';
import type {
  CalendarEvent,
  InboxItem,
  Priority,
  Project,
  Reminder,
  Tag,
  Task,
  TaskStatus,
  TimeEntry,
} from './schema.js';
import { entryDurationSeconds } from './time-entries.js';

/**
 * The one place where the document's camelCase meets the spec's snake_case JSON (spec section 5).
 * Keys convert mechanically, except the few the spec names differently (the rename tables).
 */
export type ApiEntity =
  | 'task'
  | 'project'
  | 'tag'
  | 'timeEntry'
  | 'calendarEvent'
  | 'inbox'
  | 'settings';

const RENAMES: Record<ApiEntity, Record<string, string>> = {
  task: { parentId: 'parent_task_id' },
  project: {},
  tag: {},
  timeEntry: { start: 'start_time', end: 'end_time' },
  calendarEvent: { start: 'start_time', end: 'end_time' },
  inbox: {},
  settings: {},
};

export function camelToSnake(key: string): string {
  return key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

export function snakeToCamel(key: string): string {
  return key.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

/** The spec's name of a document field. */
export function fieldToApi(entity: ApiEntity, field: string): string {
  const [head = '', ...rest] = field.split('.');
  const renamed = RENAMES[entity][head] ?? camelToSnake(head);
  return [renamed, ...rest.map(camelToSnake)].join('.');
}

/** The document's name of a spec field. */
export function fieldFromApi(entity: ApiEntity, field: string): string {
  const renames = RENAMES[entity];
  const original = Object.keys(renames).find((key) => renames[key] === field);
  return original ?? snakeToCamel(field);
}

/** Converts the top-level keys of a record to the spec's names (values untouched). */
export function toApiKeys(entity: ApiEntity, record: object): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) result[fieldToApi(entity, key)] = value;
  return result;
}

/**
 * Converts a request body's top-level keys to the document's names, for validation by the
 * crdt schemas. Anything that is not a plain object is returned as is (the schema rejects it).
 */
export function fromApiKeys(entity: ApiEntity, body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    const field = fieldFromApi(entity, key);
    // A task's reminders are objects of their own (`{ "minutes_before": 15 }`).
    result[field] =
      entity === 'task' && field === 'reminders' && Array.isArray(value)
        ? value.map((item) => fromApiKeys('task', item))
        : value;
  }
  return result;
}

/** A reminder in the spec's JSON: `{ "minutes_before": 15 }` or `{ "at": "…Z" }`. */
export type ApiReminder = { minutes_before: number } | { at: string };

export function reminderToApi(reminder: Reminder): ApiReminder {
  return 'minutesBefore' in reminder
    ? { minutes_before: reminder.minutesBefore }
    : { at: reminder.at };
}

/** A ValidationError's fields with the spec's names. */
export function fieldErrorsToApi(entity: ApiEntity, error: ValidationError): FieldError[] {
  return error.fields.map((field) => ({
    field: field.field
      .split(', ')
      .map((name) => fieldToApi(entity, name))
      .join(', '),
    message: field.message,
  }));
}

export interface TaskApiExtras {
  userId: string;
  /** Tracked minutes on the task (spec: actual_duration, calculated). */
  actualDuration?: number;
  /** Display names of tag keys; a key without a tag record shows as itself. */
  tagNames?: ReadonlyMap<string, string>;
}

/** A task in the spec's JSON (section 5.1). */
export interface ApiTask {
  id: string;
  user_id: string;
  title: string;
  description: string;
  status: TaskStatus;
  priority: Priority;
  due_date: string | null;
  start_date: string | null;
  estimated_duration: number | null;
  actual_duration: number;
  tags: string[];
  project_id: string | null;
  parent_task_id: string | null;
  calendar_event_id: string | null;
  recurrence_rule: string | null;
  /** Occurrences of the series skipped (see `Task.recurrenceExceptions`). */
  recurrence_exceptions: string[];
  /** Its reminders (see `Task.reminders`). */
  reminders: ApiReminder[];
  created_at: string;
  updated_at: string;
  completed_at: string | null;
}

export interface ApiTimeEntry {
  id: string;
  task_id: string | null;
  start_time: string;
  end_time: string | null;
  /** Seconds. */
  duration: number;
  description: string | null;
  is_manual: boolean;
  created_at: string;
  updated_at: string;
}

export interface ApiProject {
  id: string;
  user_id: string;
  name: string;
  description: string;
  color: string;
  is_archived: boolean;
  created_at: string;
  updated_at: string;
}

export interface ApiTag {
  id: string;
  user_id: string;
  name: string;
  color: string;
  created_at: string;
}

export interface ApiCalendarEvent {
  /** The event's id; an occurrence of a recurring event has its own (`series_id@original start`). */
  id: string;
  /** The event (for a recurring one, the series) in its calendar. */
  series_id: string;
  title: string;
  start_time: string;
  end_time: string;
  all_day: boolean;
  source: string;
  task_id: string | null;
}

export function taskToApi(task: Task, extras: TaskApiExtras): ApiTask {
  return {
    id: task.id,
    user_id: extras.userId,
    title: task.title,
    description: task.description,
    status: task.status,
    priority: task.priority,
    due_date: task.dueDate,
    start_date: task.startDate,
    estimated_duration: task.estimatedDuration,
    actual_duration: extras.actualDuration ?? 0,
    tags: task.tags.map((key) => extras.tagNames?.get(key) ?? key),
    project_id: task.projectId,
    parent_task_id: task.parentId,
    calendar_event_id: task.calendarEventId,
    recurrence_rule: task.recurrenceRule,
    recurrence_exceptions: task.recurrenceExceptions,
    reminders: task.reminders.map(reminderToApi),
    created_at: task.createdAt,
    updated_at: task.updatedAt,
    completed_at: task.completedAt,
  };
}

export function timeEntryToApi(entry: TimeEntry, now: Date): ApiTimeEntry {
  return {
    id: entry.id,
    task_id: entry.taskId,
    start_time: entry.start,
    end_time: entry.end,
    duration: entryDurationSeconds(entry, now),
    description: entry.description || null,
    is_manual: entry.isManual,
    created_at: entry.createdAt,
    updated_at: entry.updatedAt,
  };
}

export function projectToApi(project: Project, userId: string): ApiProject {
  return {
    id: project.id,
    user_id: userId,
    name: project.name,
    description: project.description,
    color: project.color,
    is_archived: project.isArchived,
    created_at: project.createdAt,
    updated_at: project.updatedAt,
  };
}

export function tagToApi(tag: Tag, userId: string): ApiTag {
  return {
    id: tag.id,
    user_id: userId,
    name: tag.name,
    color: tag.color,
    created_at: tag.createdAt,
  };
}

export function calendarEventToApi(event: CalendarEvent): ApiCalendarEvent {
  return {
    id: event.id,
    series_id: event.seriesId,
    title: event.title,
    start_time: event.start,
    end_time: event.end,
    all_day: event.allDay,
    source: event.source,
    task_id: event.taskId,
  };
}

export function inboxItemToApi(item: InboxItem): Record<string, unknown> {
  return toApiKeys('inbox', item);
}
