import * as Y from 'yjs';
import {
  asMap,
  readBoolean,
  readInstant,
  readNullableString,
  readString,
} from './record-fields.js';
import type { CalendarEvent } from './schema.js';
import { calendarEventsOf, type UserDocs } from './user-docs.js';

/**
 * External events mirrored read-only (keyed `connectionId:eventId`) for the calendar view and
 * for scheduling around busy time. Only the calendar bridge writes them.
 */
export function readCalendarEvent(key: string, value: unknown): CalendarEvent | null {
  const map = asMap(value);
  if (!map) return null;
  const start = readInstant(map, 'start');
  const end = readInstant(map, 'end');
  if (!start || !end) return null;
  const separator = key.indexOf(':');
  return {
    id: key,
    connectionId: separator > 0 ? key.slice(0, separator) : '',
    eventId: separator > 0 ? key.slice(separator + 1) : key,
    title: readString(map, 'title') || '(no title)',
    start,
    end,
    allDay: readBoolean(map, 'allDay'),
    source: readString(map, 'source') || 'ICAL',
    taskId: readNullableString(map, 'taskId'),
  };
}

export type CalendarEventInput = Omit<CalendarEvent, 'id'>;

/** Writes a mirrored event, touching only the fields that changed. */
export function upsertCalendarEvent(docs: UserDocs, event: CalendarEventInput): CalendarEvent {
  const key = `${event.connectionId}:${event.eventId}`;
  const events = calendarEventsOf(docs.main);
  docs.main.transact(() => {
    let map = asMap(events.get(key));
    if (!map) {
      map = new Y.Map<unknown>();
      events.set(key, map);
    }
    const fields: Record<string, unknown> = {
      title: event.title,
      start: event.start,
      end: event.end,
      allDay: event.allDay || null,
      source: event.source,
      taskId: event.taskId,
    };
    for (const [field, value] of Object.entries(fields)) {
      if (value === null) map.delete(field);
      else if (map.get(field) !== value) map.set(field, value);
    }
  });
  return readCalendarEvent(key, events.get(key)) as CalendarEvent;
}

export function removeCalendarEvent(docs: UserDocs, connectionId: string, eventId: string): void {
  const events = calendarEventsOf(docs.main);
  const key = `${connectionId}:${eventId}`;
  if (events.has(key)) docs.main.transact(() => events.delete(key));
}

/** Mirrored events overlapping [from, to), by start. */
export function listCalendarEvents(
  docs: UserDocs,
  range: { from: Date; to: Date },
): CalendarEvent[] {
  const result: CalendarEvent[] = [];
  for (const [key, value] of calendarEventsOf(docs.main).entries()) {
    const event = readCalendarEvent(key, value);
    if (!event) continue;
    if (
      Date.parse(event.start) < range.to.getTime() &&
      Date.parse(event.end) > range.from.getTime()
    ) {
      result.push(event);
    }
  }
  return result.sort((a, b) => a.start.localeCompare(b.start) || a.id.localeCompare(b.id));
}
