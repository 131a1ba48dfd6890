import {
  type ForeignTask,
  type ForeignTaskList,
  isDateOnly,
  type Priority,
  stableImportId,
  type Task,
  type TaskStatus,
  ValidationError,
} from '@tasks/crdt';
import ICAL from 'ical.js';
import { DateTime } from 'luxon';
import {
  newCalendarObject,
  priorityFromIcal,
  readEventFields,
  TASK_ID_PROPERTY,
} from './caldav/icalendar-event.js';
import { buildVtimezone, isKnownTimeZone, timeZoneWindow, wallClock } from './caldav/vtimezone.js';
import type { EventTime } from './calendar-provider.js';
import { eventToTaskPatch, startToAnchor, taskToEvent } from './task-event-mapping.js';

/**
 * Whole iCalendar files (RFC 5545) of a user's tasks, read and written with ical.js: an export of
 * every task as VTODO, a feed of the dated ones as VEVENT (what Google, Apple and Outlook
 * calendars subscribe to: none of them shows VTODO), and the tasks of another app's file (VTODO
 * and VEVENT) to import.
 */

const PRODID = '-//tasks-platform//export//EN';

function newCalendar(name: string | null): ICAL.Component {
  const calendar = new ICAL.Component('vcalendar');
  calendar.addPropertyWithValue('version', '2.0');
  calendar.addPropertyWithValue('prodid', PRODID);
  calendar.addPropertyWithValue('calscale', 'GREGORIAN');
  if (name) calendar.addPropertyWithValue('x-wr-calname', name);
  return calendar;
}

const ICAL_STATUS: Record<TaskStatus, string> = {
  TODO: 'NEEDS-ACTION',
  IN_PROGRESS: 'IN-PROCESS',
  COMPLETED: 'COMPLETED',
  CANCELLED: 'CANCELLED',
};
const ICAL_PRIORITY: Record<Priority, number> = { URGENT: 1, HIGH: 3, MEDIUM: 5, LOW: 9 };

function utc(iso: string): ICAL.Time {
  return ICAL.Time.fromJSDate(new Date(iso), true);
}

/** The rule a task writes: a completed occurrence, or one whose series moved on, has none. */
function seriesRule(task: Task): string | null {
  return task.status === 'COMPLETED' || task.nextOccurrenceId !== null ? null : task.recurrenceRule;
}

/** One VTIMEZONE per zone, covering every time written in it. */
class Zones {
  private readonly spans = new Map<string, { fromMs: number; toMs: number }>();

  /** The time of `iso` (a date, or a UTC instant) to write: a date, or wall clock in `zone`. */
  time(iso: string, zone: string, recurring: boolean): { time: ICAL.Time; tzid: string | null } {
    if (isDateOnly(iso)) return { time: ICAL.Time.fromDateString(iso), tzid: null };
    const ms = Date.parse(iso);
    if (zone === 'UTC' || !isKnownTimeZone(zone)) return { time: utc(iso), tzid: null };
    const window = timeZoneWindow(ms, ms, recurring);
    const span = this.spans.get(zone);
    this.spans.set(zone, {
      fromMs: Math.min(span?.fromMs ?? window.fromMs, window.fromMs),
      toMs: Math.max(span?.toMs ?? window.toMs, window.toMs),
    });
    return { time: wallClock(zone, ms), tzid: zone };
  }

  addTo(calendar: ICAL.Component): void {
    const components = [...this.spans].map(([zone, span]) =>
      buildVtimezone(zone, span.fromMs, span.toMs),
    );
    // VTIMEZONEs first, as most writers put them.
    const rest = [...calendar.getAllSubcomponents()];
    for (const component of rest) calendar.removeSubcomponent(component);
    for (const component of [...components, ...rest]) calendar.addSubcomponent(component);
  }
}

function setTime(
  component: ICAL.Component,
  name: string,
  value: { time: ICAL.Time; tzid: string | null },
): void {
  const property = component.addPropertyWithValue(name, value.time);
  if (value.tzid) property.setParameter('tzid', value.tzid);
}

/** Occurrences anchored at one date of the task, re-anchored at another (the series' DTSTART). */
function shiftExceptions(exceptions: readonly string[], from: string, to: string): string[] {
  if (from === to) return [...exceptions];
  if (isDateOnly(from) && isDateOnly(to)) {
    const days = DateTime.fromISO(to, { zone: 'utc' }).diff(
      DateTime.fromISO(from, { zone: 'utc' }),
      'days',
    ).days;
    return exceptions.map(
      (value) => DateTime.fromISO(value, { zone: 'utc' }).plus({ days }).toISODate() ?? value,
    );
  }
  if (isDateOnly(from) || isDateOnly(to)) return [];
  const offset = Date.parse(to) - Date.parse(from);
  return exceptions
    .filter((value) => !isDateOnly(value))
    .map((value) => new Date(Date.parse(value) + offset).toISOString().replace('.000Z', 'Z'));
}

/**
 * Every task but those in the trash as VTODOs: SUMMARY, DESCRIPTION, STATUS, PRIORITY,
 * CATEGORIES (tags), DTSTART and DUE (in the user's zone, with its VTIMEZONE; dates as dates),
 * RRULE with its skipped occurrences as EXDATE, COMPLETED, RELATED-TO (the parent), and our
 * task id, so importing the file into the same account again finds the same tasks.
 */
export function tasksToVtodoCalendar(
  tasks: readonly Task[],
  options: { timezone: string; now: Date; name?: string },
): string {
  const calendar = newCalendar(options.name ?? null);
  const zones = new Zones();
  const stamp = utc(options.now.toISOString());
  for (const task of tasks) {
    if (task.deletedAt !== null) continue;
    const todo = new ICAL.Component('vtodo');
    todo.addPropertyWithValue('uid', task.id);
    todo.addPropertyWithValue('dtstamp', stamp);
    todo.addPropertyWithValue('created', utc(task.createdAt));
    todo.addPropertyWithValue('last-modified', utc(task.updatedAt));
    todo.addPropertyWithValue('summary', task.title);
    if (task.description) todo.addPropertyWithValue('description', task.description);
    todo.addPropertyWithValue('status', ICAL_STATUS[task.status]);
    todo.addPropertyWithValue('priority', ICAL_PRIORITY[task.priority]);
    if (task.tags.length > 0) {
      const categories = new ICAL.Property('categories');
      categories.setValues(task.tags);
      todo.addProperty(categories);
    }
    const rule = seriesRule(task);
    const anchor = task.dueDate ?? task.startDate;
    // RFC 5545: a series counts from DTSTART; a task without a start repeats from its due date.
    const start = task.startDate ?? (rule && anchor ? anchor : null);
    const recurring = rule !== null;
    if (start) setTime(todo, 'dtstart', zones.time(start, options.timezone, recurring));
    if (task.dueDate) setTime(todo, 'due', zones.time(task.dueDate, options.timezone, recurring));
    if (rule && anchor && start) {
      todo.addPropertyWithValue('rrule', ICAL.Recur.fromString(rule));
      for (const skipped of shiftExceptions(task.recurrenceExceptions, anchor, start)) {
        setTime(todo, 'exdate', zones.time(skipped, options.timezone, true));
      }
    }
    if (task.completedAt) todo.addPropertyWithValue('completed', utc(task.completedAt));
    if (task.parentId) todo.addPropertyWithValue('related-to', task.parentId);
    todo.addPropertyWithValue(TASK_ID_PROPERTY, task.id);
    calendar.addSubcomponent(todo);
  }
  zones.addTo(calendar);
  return calendar.toString();
}

/**
 * The dated tasks as events (the same mapping as a connected calendar's, spec 6.2): for a feed
 * that calendar apps subscribe to. Tasks in the trash and cancelled ones are left out; a
 * completed one shows with a check mark.
 */
export function tasksToEventFeed(
  tasks: readonly Task[],
  options: { timezone: string; now: Date; name: string },
): string {
  const feed = newCalendar(options.name);
  feed.addPropertyWithValue('x-wr-timezone', options.timezone);
  const spans = new Map<string, { fromMs: number; toMs: number }>();
  for (const task of tasks) {
    if (task.deletedAt !== null || task.status === 'CANCELLED') continue;
    const input = taskToEvent(task, options.timezone);
    if (!input) continue;
    if (task.status === 'COMPLETED') input.summary = `✓ ${input.summary}`;
    const object = newCalendarObject(input, task.id, options.now);
    for (const component of [...object.getAllSubcomponents()]) {
      if (component.name !== 'vtimezone') {
        feed.addSubcomponent(component);
        continue;
      }
      // One VTIMEZONE per zone, over the span of every event using it.
      const tzid = String(component.getFirstPropertyValue('tzid'));
      const startMs = 'dateTime' in input.start ? Date.parse(input.start.dateTime) : 0;
      const endMs = 'dateTime' in input.end ? Date.parse(input.end.dateTime) : startMs;
      const window = timeZoneWindow(startMs, endMs, input.recurrence !== null);
      const span = spans.get(tzid);
      spans.set(tzid, {
        fromMs: Math.min(span?.fromMs ?? window.fromMs, window.fromMs),
        toMs: Math.max(span?.toMs ?? window.toMs, window.toMs),
      });
    }
  }
  const events = [...feed.getAllSubcomponents()];
  for (const event of events) feed.removeSubcomponent(event);
  for (const [zone, span] of spans)
    feed.addSubcomponent(buildVtimezone(zone, span.fromMs, span.toMs));
  for (const event of events) feed.addSubcomponent(event);
  return feed.toString();
}

// ---------------------------------------------------------------------------------------------
// Reading another app's file.

const TASK_STATUS: Record<string, TaskStatus> = {
  'NEEDS-ACTION': 'TODO',
  'IN-PROCESS': 'IN_PROGRESS',
  COMPLETED: 'COMPLETED',
  CANCELLED: 'CANCELLED',
};

function text(component: ICAL.Component, name: string): string {
  const value = component.getFirstPropertyValue(name);
  return typeof value === 'string' ? value : '';
}

function timeOf(component: ICAL.Component, name: string): ICAL.Time | null {
  const value = component.getFirstPropertyValue(name);
  return value instanceof ICAL.Time ? value : null;
}

/** A time of our forms: a date, or a UTC instant (`Z`, whole seconds). */
function ourTime(time: EventTime): string {
  return 'date' in time ? time.date : time.dateTime;
}

/** The master component of each UID (the one without RECURRENCE-ID), in file order. */
function masters(calendar: ICAL.Component, name: 'vevent' | 'vtodo') {
  const byUid = new Map<string, ICAL.Component[]>();
  calendar.getAllSubcomponents(name).forEach((component, index) => {
    const uid = text(component, 'uid') || `#${index + 1}`;
    byUid.set(uid, [...(byUid.get(uid) ?? []), component]);
  });
  return [...byUid].map(([uid, components]) => ({ uid, components }));
}

/**
 * The tasks of an iCalendar file: each VTODO, and each VEVENT (a series once, however many of
 * its occurrences the file overrides), as a task. Times keep their zones (TZID with the file's
 * VTIMEZONE or an IANA name; floating ones are in `timezone`, the user's). Throws
 * ValidationError when the text is not iCalendar.
 */
export function readICalendarTasks(
  icsText: string,
  options: { timezone: string; source: string },
): ForeignTaskList {
  let calendar: ICAL.Component;
  try {
    calendar = new ICAL.Component(ICAL.parse(icsText));
  } catch (error) {
    throw new ValidationError([
      { field: '(body)', message: `not an iCalendar file (${(error as Error).message})` },
    ]);
  }
  if (calendar.name !== 'vcalendar') {
    throw new ValidationError([
      { field: '(body)', message: 'not an iCalendar file (no VCALENDAR)' },
    ]);
  }
  const result: ForeignTaskList = { tasks: [], skipped: [], warnings: [] };
  const timezones = calendar.getAllSubcomponents('vtimezone');
  const idOf = (uid: string, component: ICAL.Component) => {
    const ours = component.getFirstPropertyValue(TASK_ID_PROPERTY);
    return typeof ours === 'string' && ours !== ''
      ? ours
      : stableImportId(`ical:${options.source}:${uid}`);
  };
  const alone = (components: ICAL.Component[]) => {
    const object = newCalendar(null);
    for (const zone of timezones) object.addSubcomponent(new ICAL.Component(zone.toJSON()));
    for (const component of components) {
      const copy = new ICAL.Component(component.toJSON());
      pinFloatingTimes(copy, options.timezone);
      object.addSubcomponent(copy);
    }
    return object;
  };

  for (const { uid, components } of masters(calendar, 'vevent')) {
    const ref = `VEVENT ${uid}`;
    const fields = readEventFields(alone(components));
    if (!fields) {
      result.skipped.push({ kind: 'task', ref, reason: 'an event without a start (DTSTART)' });
      continue;
    }
    // A cancelled occurrence (RECURRENCE-ID with STATUS:CANCELLED) is skipped, as an EXDATE.
    const cancelled = fields.overrides.flatMap((o) => (o.cancelled ? [o.originalStart] : []));
    const series = { ...fields, exceptions: [...fields.exceptions, ...cancelled] };
    const patch = eventToTaskPatch(series, null, options.timezone);
    const master = components.find((c) => !c.hasProperty('recurrence-id')) ?? components[0];
    if (!master) continue;
    const { title, ...rest } = patch;
    const seriesId = idOf(uid, master);
    result.tasks.push({
      id: seriesId,
      ref: `${ref} (${fields.summary || 'no title'})`,
      input: { ...rest, title: title ?? 'Untitled event' },
      createdAt: createdOf(master),
    });
    if (fields.recurrence === null) {
      // Occurrences of a series whose master does not repeat: nothing to move them from.
      for (const other of components) {
        if (other === master || !other.hasProperty('recurrence-id')) continue;
        result.skipped.push({
          kind: 'task',
          ref: `${ref} occurrence ${String(other.getFirstPropertyValue('recurrence-id'))}`,
          reason: 'an occurrence (RECURRENCE-ID) of an event that does not repeat (no RRULE)',
        });
      }
    }
    const anchor = patch.dueDate ?? patch.startDate ?? null;
    for (const override of fields.overrides) {
      if (override.cancelled || anchor === null) continue;
      // A moved occurrence: a task of its own, dated as the file moved it (see
      // importForeignTasks, which makes the series skip it).
      const { title: movedTitle, ...moved } = eventToTaskPatch(
        {
          summary: override.summary,
          description: fields.description,
          start: override.start,
          end: override.end,
          recurrence: null,
          exceptions: [],
          taskId: null,
          priority: fields.priority,
        },
        null,
        options.timezone,
      );
      const [occurrence] = startToAnchor(
        [override.originalStart],
        fields.start,
        anchor,
        options.timezone,
      );
      if (occurrence === undefined) continue;
      result.tasks.push({
        id: stableImportId(`ical:${options.source}:${uid}:${override.originalStart}`),
        ref: `${ref} occurrence ${override.originalStart} (${override.summary || 'no title'})`,
        input: { ...moved, title: movedTitle ?? 'Untitled event' },
        createdAt: createdOf(master),
        occurrenceOf: { seriesId, occurrence },
      });
    }
  }

  const todos: ForeignTask[] = [];
  const parentUid = new Map<string, string>();
  for (const { uid, components } of masters(calendar, 'vtodo')) {
    const todo = components.find((c) => !c.hasProperty('recurrence-id')) ?? components[0];
    if (!todo) continue;
    for (const changed of components) {
      if (changed === todo || !changed.hasProperty('recurrence-id')) continue;
      result.skipped.push({
        kind: 'task',
        ref: `VTODO ${uid} occurrence ${String(changed.getFirstPropertyValue('recurrence-id'))}`,
        reason:
          'a changed occurrence of a recurring to-do (RECURRENCE-ID) is not imported: the series is, as it repeats',
      });
    }
    const task = readTodo(uid, todo, alone);
    task.id = idOf(uid, todo);
    const related = text(todo, 'related-to');
    if (related) parentUid.set(task.id, related);
    todos.push(task);
  }
  // Parents (RELATED-TO) first, so subtasks are created under them.
  const idByUid = new Map(
    masters(calendar, 'vtodo').map(({ uid, components }) => [
      uid,
      idOf(uid, components[0] as ICAL.Component),
    ]),
  );
  for (const task of todos) {
    const related = parentUid.get(task.id);
    const parent = related ? (idByUid.get(related) ?? null) : null;
    task.parentId = parent !== task.id ? parent : null;
  }
  result.tasks.push(...parentsBeforeChildren(todos));
  for (const other of ['vjournal', 'vfreebusy'] as const) {
    for (const component of calendar.getAllSubcomponents(other)) {
      result.skipped.push({
        kind: 'task',
        ref: `${other.toUpperCase()} ${text(component, 'uid') || '(no UID)'}`,
        reason: `a ${other.toUpperCase()} is not a task`,
      });
    }
  }
  return result;
}

/**
 * Floating times (no zone, no `Z`: "at 9:00 wherever you are") are the user's wall clock: they
 * get the user's zone as TZID before the event reader, which reads them as UTC otherwise.
 */
function pinFloatingTimes(component: ICAL.Component, zone: string): void {
  if (zone === 'UTC' || !isKnownTimeZone(zone)) return;
  for (const name of ['dtstart', 'dtend', 'due', 'exdate', 'recurrence-id']) {
    for (const property of component.getAllProperties(name)) {
      // Read as written (jCal), before ical.js gives the value a zone of its own.
      const [, parameters, type, ...values] = property.toJSON() as [
        string,
        Record<string, unknown>,
        string,
        ...unknown[],
      ];
      const floating =
        type === 'date-time' &&
        parameters.tzid === undefined &&
        values.every((value) => typeof value === 'string' && !value.endsWith('Z'));
      if (!floating) continue;
      component.removeProperty(property);
      component.addProperty(
        new ICAL.Property([name, { ...parameters, tzid: zone }, type, ...values]),
      );
    }
  }
}

function createdOf(component: ICAL.Component): string | null {
  const created = timeOf(component, 'created');
  return created ? new Date(created.toUnixTime() * 1000).toISOString() : null;
}

/**
 * A VTODO as a task. Its times are read as an event's would be (the same zone rules): DTSTART
 * (or DUE, when it has no start) as the event's start, DUE as its end.
 */
function readTodo(
  uid: string,
  todo: ICAL.Component,
  alone: (components: ICAL.Component[]) => ICAL.Component,
): ForeignTask {
  const dtstart = todo.getFirstProperty('dtstart');
  const due = todo.getFirstProperty('due');
  const asEvent = new ICAL.Component('vevent');
  asEvent.addPropertyWithValue('uid', uid);
  for (const name of ['summary', 'description', 'rrule', 'exdate', 'priority']) {
    for (const property of todo.getAllProperties(name)) {
      asEvent.addProperty(new ICAL.Property(property.toJSON()));
    }
  }
  const first = dtstart ?? due;
  // The same value and parameters (TZID, VALUE=DATE) under the event's name.
  const renamed = (property: ICAL.Property, name: string) => {
    const [, ...rest] = property.toJSON();
    return new ICAL.Property([name, ...rest] as typeof rest);
  };
  if (first) asEvent.addProperty(renamed(first, 'dtstart'));
  if (dtstart && due) asEvent.addProperty(renamed(due, 'dtend'));
  const fields = first ? readEventFields(alone([asEvent])) : null;
  const status = TASK_STATUS[text(todo, 'status').toUpperCase()] ?? 'TODO';
  const priority = todo.getFirstPropertyValue('priority');
  const tags = todo
    .getAllProperties('categories')
    .flatMap((property) => property.getValues())
    .filter((value): value is string => typeof value === 'string' && value.trim() !== '');
  const completed = timeOf(todo, 'completed');
  const input: ForeignTask['input'] = {
    title: text(todo, 'summary').trim().slice(0, 200) || 'Untitled task',
    ...(text(todo, 'description') && { description: text(todo, 'description') }),
    status,
    ...(typeof priority === 'number' &&
      priorityFromIcal(priority) && { priority: priorityFromIcal(priority) as Priority }),
    ...(tags.length > 0 && { tags: [...new Set(tags)] }),
  };
  if (fields) {
    const start = ourTime(fields.start);
    if (dtstart) input.startDate = start;
    if (due) input.dueDate = dtstart ? ourTime(fields.end) : start;
    if (fields.recurrence) {
      input.recurrenceRule = fields.recurrence;
      // EXDATEs name occurrences by DTSTART; a task names them by its due date.
      const anchor = input.dueDate ?? start;
      if (fields.exceptions.length > 0) {
        input.recurrenceExceptions = shiftExceptions(fields.exceptions, start, anchor);
      }
    }
  }
  return {
    id: '',
    ref: `VTODO ${uid} (${input.title})`,
    input,
    completedAt: completed ? new Date(completed.toUnixTime() * 1000).toISOString() : null,
    createdAt: createdOf(todo),
  };
}

function parentsBeforeChildren(tasks: readonly ForeignTask[]): ForeignTask[] {
  const byId = new Map(tasks.map((task) => [task.id, task]));
  const placed = new Set<string>();
  const result: ForeignTask[] = [];
  const place = (task: ForeignTask, path: Set<string>) => {
    if (placed.has(task.id)) return;
    if (path.has(task.id)) {
      task.parentId = null; // a cycle of RELATED-TO: broken here
      return;
    }
    path.add(task.id);
    const parent = task.parentId ? byId.get(task.parentId) : undefined;
    if (parent) place(parent, path);
    placed.add(task.id);
    result.push(task);
  };
  for (const task of tasks) place(task, new Set());
  return result;
}
