import {
  type CalendarBlock,
  isDateOnly,
  sameRecurrenceRule,
  type Task,
  type TaskPatch,
} from '@tasks/crdt';
import { DateTime } from 'luxon';
import type { EventInput, EventTime, ProviderEvent } from './calendar-provider.js';

/**
 * Task ⇄ event (spec 6.2): title → summary, description → description, start_date/due_date →
 * start/end (estimated_duration when only one is set), all-day when the task has dates without a
 * time (end date exclusive), priority, recurrence_rule → recurrence, and our task id as the
 * provider's private marker.
 */

/** Length of an event made from a task with one timed date and no estimate. */
export const DEFAULT_EVENT_MINUTES = 30;

function nextDay(date: string): string {
  return DateTime.fromISO(date, { zone: 'utc' }).plus({ days: 1 }).toISODate() ?? date;
}

function previousDay(date: string): string {
  return DateTime.fromISO(date, { zone: 'utc' }).minus({ days: 1 }).toISODate() ?? date;
}

function utcIso(value: DateTime): string {
  return value.toUTC().toISO({ suppressMilliseconds: true }) ?? '';
}

/** A date-only value mixed with a timed one counts from local midnight. */
function asInstant(value: string, timezone: string): DateTime {
  return isDateOnly(value)
    ? DateTime.fromISO(value, { zone: timezone }).startOf('day')
    : DateTime.fromISO(value, { zone: 'utc' });
}

/**
 * The rule a task's event carries. A completed occurrence of a series shows as its own date only:
 * completing it made the next occurrence, whose event carries the series from then on (two
 * series would show every later date twice), and so does one reopened after that. The task
 * keeps its rule.
 */
function shownRule(task: Task): string | null {
  return task.status === 'COMPLETED' || task.nextOccurrenceId !== null ? null : task.recurrenceRule;
}

/**
 * A task's skipped occurrences name each occurrence by its anchor (due date, or start date
 * without one); the event's by its start. Both move together from occurrence to occurrence, so
 * one offset turns the one into the other: `anchor` and `start` are one occurrence's.
 */
function anchorToStart(
  exceptions: readonly string[],
  anchor: string,
  start: EventTime,
  timezone: string,
): string[] {
  if ('date' in start) {
    const days = DateTime.fromISO(start.date, { zone: 'utc' }).diff(
      DateTime.fromISO(anchor, { zone: 'utc' }),
      'days',
    ).days;
    return exceptions
      .filter(isDateOnly)
      .map((value) => DateTime.fromISO(value, { zone: 'utc' }).plus({ days }).toISODate() ?? value)
      .sort();
  }
  const offset = Date.parse(start.dateTime) - asInstant(anchor, timezone).toMillis();
  return exceptions
    .filter((value) => isDateOnly(value) === isDateOnly(anchor))
    .map((value) => utcIso(asInstant(value, timezone).plus({ milliseconds: offset })))
    .sort();
}

/** The inverse of `anchorToStart`: an event's skipped starts as a task anchored at `anchor`. */
export function startToAnchor(
  exceptions: readonly string[],
  start: EventTime,
  anchor: string,
  timezone: string,
): string[] {
  if ('date' in start) {
    const days = DateTime.fromISO(anchor, { zone: 'utc' }).diff(
      DateTime.fromISO(start.date, { zone: 'utc' }),
      'days',
    ).days;
    return exceptions
      .map((value) => DateTime.fromISO(value, { zone: 'utc' }).plus({ days }).toISODate() ?? value)
      .sort();
  }
  const offset = asInstant(anchor, timezone).toMillis() - Date.parse(start.dateTime);
  return exceptions
    .map((value) => {
      const at = DateTime.fromISO(value, { zone: 'utc' }).plus({ milliseconds: offset });
      return isDateOnly(anchor) ? (at.setZone(timezone).toISODate() ?? value) : utcIso(at);
    })
    .sort();
}

/** The event a task shows as, or null when it has no date (rule 1: only dated tasks). */
export function taskToEvent(task: Task, timezone: string): EventInput | null {
  const { startDate, dueDate } = task;
  if (!startDate && !dueDate) return null;
  const recurrence = shownRule(task);
  const anchor = (dueDate ?? startDate) as string;
  const common = {
    summary: task.title,
    description: task.description,
    recurrence,
    taskId: task.id,
    priority: task.priority,
  };
  const skipped = (start: EventTime) =>
    recurrence === null ? [] : anchorToStart(task.recurrenceExceptions, anchor, start, timezone);
  const allDay = (!startDate || isDateOnly(startDate)) && (!dueDate || isDateOnly(dueDate));
  if (allDay) {
    const first = (startDate ?? dueDate) as string;
    const last = (dueDate ?? startDate) as string;
    const start = { date: first };
    return { ...common, start, end: { date: nextDay(last) }, exceptions: skipped(start) };
  }
  const minutes =
    task.estimatedDuration && task.estimatedDuration > 0
      ? task.estimatedDuration
      : DEFAULT_EVENT_MINUTES;
  const start = startDate
    ? asInstant(startDate, timezone)
    : asInstant(dueDate as string, timezone).minus({ minutes });
  const end = dueDate ? asInstant(dueDate, timezone) : start.plus({ minutes });
  const eventStart = { dateTime: utcIso(start), timeZone: timezone };
  return {
    ...common,
    start: eventStart,
    end: { dateTime: utcIso(end), timeZone: timezone },
    exceptions: skipped(eventStart),
  };
}

/**
 * A planned block as the event written for it ("put planned blocks in my calendar"): the task's
 * title, the planner's reasons as the description, and the block's marker where a task's event
 * has the task id, so a pull never takes it for the task's own event or for busy time.
 */
export function blockToEvent(block: CalendarBlock, timezone: string): EventInput {
  return {
    summary: block.title,
    description: block.reasons.join('\n'),
    start: { dateTime: block.start, timeZone: timezone },
    end: { dateTime: block.end, timeZone: timezone },
    recurrence: null,
    exceptions: [],
    taskId: block.marker,
    priority: block.priority,
  };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && [...a].sort().every((value, i) => value === [...b].sort()[i]);
}

function sameTime(a: EventTime, b: EventTime): boolean {
  if ('date' in a || 'date' in b) return 'date' in a && 'date' in b && a.date === b.date;
  return Date.parse(a.dateTime) === Date.parse(b.dateTime);
}

/**
 * The task fields an event implies. With the linked task, only what differs from the event the
 * task already shows is returned (a change counts only against the last synced version); without
 * one (rule 4, a new task from an event), every field.
 */
export function eventToTaskPatch(
  event: ProviderEvent | EventInput,
  current: Task | null,
  timezone: string,
): TaskPatch {
  const patch = eventFieldsPatch(event, current, timezone);
  // Skipped occurrences, named by the anchor the task has after the patch.
  const due = patch.dueDate !== undefined ? patch.dueDate : (current?.dueDate ?? null);
  const anchor =
    due ?? (patch.startDate !== undefined ? patch.startDate : (current?.startDate ?? null));
  const exceptions =
    event.recurrence === null || anchor === null
      ? []
      : startToAnchor(event.exceptions, event.start, anchor, timezone);
  const rulePatched = patch.recurrenceRule !== undefined;
  if (!current || rulePatched || !sameSet(exceptions, current.recurrenceExceptions)) {
    if (event.recurrence !== null) patch.recurrenceExceptions = exceptions;
  }
  return patch;
}

/** eventToTaskPatch's fields but the skipped occurrences. */
function eventFieldsPatch(
  event: ProviderEvent | EventInput,
  current: Task | null,
  timezone: string,
): TaskPatch {
  const shown = current ? taskToEvent(current, timezone) : null;
  const patch: TaskPatch = {};
  const title = event.summary.trim().slice(0, 200) || 'Untitled event';
  if (!current || title !== current.title) patch.title = title;
  if (!current || event.description !== current.description) patch.description = event.description;
  if (!current || !sameRecurrenceRule(event.recurrence, shownRule(current)))
    patch.recurrenceRule = event.recurrence;
  if (event.priority && (!current || event.priority !== current.priority))
    patch.priority = event.priority;
  if (shown && sameTime(shown.start, event.start) && sameTime(shown.end, event.end)) return patch;

  if ('date' in event.start && 'date' in event.end) {
    const first = event.start.date;
    // An empty or inverted all-day range means the one day it starts on.
    let last = previousDay(event.end.date);
    if (last < first) last = first;
    const hadStart = current ? current.startDate !== null : first !== last;
    patch.startDate = hadStart ? first : null;
    patch.dueDate = last;
    return patch;
  }
  const start = 'dateTime' in event.start ? event.start.dateTime : event.start.date;
  const end = 'dateTime' in event.end ? event.end.dateTime : event.end.date;
  const startAt = asInstant(start, timezone);
  const endAt = asInstant(end, timezone);
  const minutes = Math.max(0, Math.round(endAt.diff(startAt, 'minutes').minutes));
  const hasStart = current ? current.startDate !== null : true;
  const hasDue = current ? current.dueDate !== null : true;
  if (hasStart) patch.startDate = utcIso(startAt);
  if (hasDue) patch.dueDate = utcIso(endAt);
  // One date only: the event's length is the task's estimate.
  if (!(hasStart && hasDue) && (current?.estimatedDuration ?? DEFAULT_EVENT_MINUTES) !== minutes) {
    patch.estimatedDuration = minutes;
  }
  return patch;
}
