import type * as Y from 'yjs';
import { toIso } from './dates.js';
import {
  asMap,
  readEnum,
  readInstant,
  readNullableString,
  readNumber,
  readString,
  readText,
} from './record-fields.js';
import { readReminders } from './reminder-keys.js';
import {
  EXCEPTION_KEY_PREFIX,
  PRIORITIES,
  TAG_KEY_PREFIX,
  TASK_STATUSES,
  type Task,
} from './schema.js';
import { TITLE_MAX } from './validation.js';

const EPOCH = toIso(new Date(0));

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const UTC_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

/**
 * A due/start date as writers store it: `YYYY-MM-DD` that is a real calendar day, or a UTC
 * datetime. Anything else is junk and reads as no date. (A regex and Date, not luxon: this runs
 * for every task on every list.)
 */
function readTaskDate(map: Y.Map<unknown>, key: string): string | null {
  const value = map.get(key);
  return typeof value === 'string' && isTaskDate(value) ? value : null;
}

function isTaskDate(value: string): boolean {
  const day = DATE_ONLY.exec(value);
  if (day) {
    const date = new Date(Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3])));
    return date.toISOString().startsWith(value);
  }
  return UTC_DATE_TIME.test(value) && !Number.isNaN(Date.parse(value));
}

/** The keys after `prefix` of a task map's entries set to true (tags, exceptions), sorted. */
function readKeySet(map: Y.Map<unknown>, prefix: string): string[] {
  const keys: string[] = [];
  // forEach walks the map's entries without entries()'s iterator objects (the planner reads
  // every task's keys several times).
  map.forEach((value, key) => {
    if (key.startsWith(prefix) && value === true) keys.push(key.slice(prefix.length));
  });
  return keys.sort();
}

/** Tag keys of a task map: its `tag:<key>` entries set to true. */
export function readTaskTags(map: Y.Map<unknown>): string[] {
  return readKeySet(map, TAG_KEY_PREFIX);
}

/** Recurrence exceptions of a task map: its `exdate:<occurrence>` entries that read as dates. */
export function readRecurrenceExceptions(map: Y.Map<unknown>): string[] {
  return readKeySet(map, EXCEPTION_KEY_PREFIX).filter((value) => isTaskDate(value));
}

/**
 * A task as stored, coerced to its type; null when the value is not a task at all. The parent is
 * as written: `effectiveParentId` resolves dangling parents and cycles.
 */
export function readTask(id: string, value: unknown): Task | null {
  const map = asMap(value);
  if (!map) return null;
  const createdAt = readInstant(map, 'createdAt') ?? EPOCH;
  const estimate = readNumber(map, 'estimatedDuration');
  return {
    id,
    title: readString(map, 'title').slice(0, TITLE_MAX) || 'Untitled',
    description: readText(map, 'description'),
    status: readEnum(map, 'status', TASK_STATUSES, 'TODO'),
    priority: readEnum(map, 'priority', PRIORITIES, 'MEDIUM'),
    dueDate: readTaskDate(map, 'dueDate'),
    startDate: readTaskDate(map, 'startDate'),
    estimatedDuration: estimate !== null && estimate >= 0 ? Math.round(estimate) : null,
    tags: readTaskTags(map),
    parentId: readNullableString(map, 'parentId'),
    projectId: readNullableString(map, 'projectId'),
    recurrenceRule: readNullableString(map, 'recurrenceRule'),
    recurrenceExceptions: readRecurrenceExceptions(map),
    reminders: readReminders(map),
    seriesId: readNullableString(map, 'seriesId') ?? id,
    nextOccurrenceId: readNullableString(map, 'nextOccurrenceId'),
    calendarEventId: readNullableString(map, 'calendarEventId'),
    order: readString(map, 'order'),
    createdAt,
    updatedAt: readInstant(map, 'updatedAt') ?? createdAt,
    completedAt: readInstant(map, 'completedAt'),
    deletedAt: readInstant(map, 'deletedAt'),
  };
}

/**
 * The parent a task really has: none when the written parent is missing (purged on another
 * device) or when concurrent moves made a cycle. A cycle is broken at its member with the
 * smallest id, so every replica resolves it the same way.
 */
export function effectiveParentId(tasks: Y.Map<unknown>, id: string): string | null {
  const parentOf = (taskId: string): string | null => {
    const parent = asMap(tasks.get(taskId))?.get('parentId');
    return typeof parent === 'string' && asMap(tasks.get(parent)) ? parent : null;
  };
  const own = parentOf(id);
  if (own === null) return null;
  const path = [id];
  const seen = new Set(path);
  let current: string | null = own;
  while (current !== null) {
    if (seen.has(current)) {
      const cycle = path.slice(path.indexOf(current));
      const breaker = [...cycle].sort()[0];
      // Only the breaker loses its parent; the rest of the cycle hangs below it.
      return cycle.includes(id) && breaker === id ? null : own;
    }
    seen.add(current);
    path.push(current);
    current = parentOf(current);
  }
  return own;
}

export function compareByOrder(a: Task, b: Task): number {
  if (a.order !== b.order) return a.order < b.order ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
