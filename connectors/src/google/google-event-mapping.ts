import { createHash } from 'node:crypto';
import type { calendar_v3 } from '@googleapis/calendar';
import ICAL from 'ical.js';
import { DateTime } from 'luxon';
import type { EventInput, EventOverride, EventTime, ProviderEvent } from '../calendar-provider.js';
import { exdateProperty, readExceptions } from '../recurrence-exceptions.js';

/**
 * Our `EventInput` ⇄ a Google Calendar v3 event resource
 * (https://developers.google.com/workspace/calendar/api/v3/reference/events).
 */

export type GoogleEvent = calendar_v3.Schema$Event;
type Priority = NonNullable<EventInput['priority']>;

/**
 * The private extended property that holds our task id. It is also the marker that the bridge
 * made the event: private properties are visible only to the app that set them, so a re-sync
 * recognises (adopts) its own events instead of creating them again.
 */
export const TASK_ID_PROPERTY = 'taskId';

/**
 * Priority → Google's event colour (`colorId`, the keys of `colors.get().event`). Google has no
 * priority field; colour is what a user sees. 11 Tomato (red), 6 Tangerine (orange), 5 Banana
 * (yellow), 2 Sage (green). Any other colour, or none, reads back as priority null.
 */
export const COLOR_BY_PRIORITY = {
  URGENT: '11',
  HIGH: '6',
  MEDIUM: '5',
  LOW: '2',
} as const satisfies Record<Priority, string>;

const PRIORITY_BY_COLOR = new Map<string, Priority>(
  Object.entries(COLOR_BY_PRIORITY).map(([priority, color]) => [color, priority as Priority]),
);

/**
 * Quirk (events.insert, `id`): a client may choose the event id, from the base32hex alphabet
 * (a-v, 0-9), 5 to 1024 characters, unique in the calendar; Google answers 409 when it exists.
 * A hex SHA-256 is base32hex, so the id follows from the key and a retried create collides with
 * the first one instead of duplicating it. The calendar id is hashed in so that one key used for
 * two calendars does not collide across them.
 */
export function eventIdForKey(calendarId: string, key: string): string {
  return createHash('sha256').update(`${calendarId}\n${key}`).digest('hex');
}

/** An instant in our canonical form: UTC, `Z`, no milliseconds unless there are some. */
function canonicalInstant(value: string): string | null {
  const parsed = DateTime.fromISO(value, { setZone: true });
  return parsed.isValid ? parsed.toUTC().toISO({ suppressMilliseconds: true }) : null;
}

function toGoogleTime(time: EventTime): calendar_v3.Schema$EventDateTime {
  return 'date' in time
    ? { date: time.date }
    : { dateTime: time.dateTime, timeZone: time.timeZone };
}

/**
 * Quirk: Google answers `dateTime` with the offset of the calendar's zone (not the one we sent)
 * and `timeZone` only when the event has one; an event another client made with an offset alone
 * has none, and reads as UTC (the instant is exact either way).
 */
function fromGoogleTime(time: calendar_v3.Schema$EventDateTime | undefined): EventTime | null {
  if (time?.date) return { date: time.date };
  const instant = time?.dateTime ? canonicalInstant(time.dateTime) : null;
  if (!instant) return null;
  return { dateTime: instant, timeZone: time?.timeZone ?? 'UTC' };
}

/** Google keeps `recurrence` as iCalendar lines; ours is the RRULE without its prefix. */
function ruleOf(recurrence: string[] | null | undefined): string | null {
  const line = recurrence?.find((entry) => /^RRULE:/i.test(entry));
  return line ? line.slice('RRULE:'.length) : null;
}

/**
 * The skipped occurrences in `recurrence`'s EXDATE lines. Google's own clients write them with
 * the event's TZID (`EXDATE;TZID=Europe/Paris:20260310T090000`), we in UTC; a line without
 * either is in the event's zone.
 */
export function exceptionsOf(recurrence: string[] | null | undefined, start: EventTime): string[] {
  const properties = (recurrence ?? [])
    .filter((entry) => /^EXDATE[;:]/i.test(entry))
    .flatMap((entry) => {
      try {
        return [ICAL.Property.fromString(entry)];
      } catch {
        return []; // Google validates what it stores; an unreadable line skips nothing we know.
      }
    });
  const eventZone = 'timeZone' in start ? start.timeZone : 'UTC';
  return readExceptions(properties, 'date' in start, (time, tzid) => {
    if (time.zone?.tzid === 'UTC') return time.toUnixTime() * 1000;
    const { year, month, day, hour, minute, second } = time;
    const zone = tzid ?? eventZone;
    return DateTime.fromObject({ year, month, day, hour, minute, second }, { zone }).toMillis();
  });
}

function recurrenceLines(input: EventInput): string[] | null {
  if (!input.recurrence) return null;
  const exdate = exdateProperty(input);
  return [`RRULE:${input.recurrence}`, ...(exdate ? [exdate.toICALString()] : [])];
}

/**
 * The resource to send. With `current` (the stored event), our fields are laid over it, so a PUT
 * (which replaces the whole resource) keeps what we do not map: location, attendees, reminders,
 * other apps' extended properties, and a colour the user picked that is not one of ours.
 */
export function toGoogleEvent(input: EventInput, current: GoogleEvent | null): GoogleEvent {
  const event: GoogleEvent = current ? structuredClone(current) : {};
  event.summary = input.summary;
  event.description = input.description;
  event.start = toGoogleTime(input.start);
  event.end = toGoogleTime(input.end);
  const recurrence = recurrenceLines(input);
  if (recurrence) event.recurrence = recurrence;
  else delete event.recurrence;
  const ownProperties = { ...event.extendedProperties?.private };
  if (input.taskId) ownProperties[TASK_ID_PROPERTY] = input.taskId;
  else delete ownProperties[TASK_ID_PROPERTY];
  const shared = event.extendedProperties?.shared;
  if (Object.keys(ownProperties).length > 0 || shared) {
    event.extendedProperties = { ...(shared ? { shared } : {}), private: ownProperties };
  } else {
    delete event.extendedProperties;
  }
  if (input.priority) event.colorId = COLOR_BY_PRIORITY[input.priority];
  else if (event.colorId && PRIORITY_BY_COLOR.has(event.colorId)) delete event.colorId;
  return event;
}

/**
 * An exception instance of a series (`recurringEventId` set) as an override of the occurrence
 * `originalStartTime` names: `status: 'cancelled'` when the occurrence was deleted (Google then
 * guarantees only the id, `recurringEventId` and `originalStartTime`), moved or renamed
 * otherwise. Null when it names no occurrence we can read.
 */
export function toEventOverride(
  instance: GoogleEvent,
  seriesSummary: string,
): EventOverride | null {
  const original = fromGoogleTime(instance.originalStartTime);
  if (!original) return null;
  const originalStart = 'date' in original ? original.date : original.dateTime;
  if (instance.status === 'cancelled') return { originalStart, cancelled: true };
  const start = fromGoogleTime(instance.start);
  const end = fromGoogleTime(instance.end);
  if (!start || !end) return null;
  return {
    originalStart,
    cancelled: false,
    summary: instance.summary ?? seriesSummary,
    start,
    end,
  };
}

/** The event as the sync engine sees it, or null when it is not one it can use. */
export function toProviderEvent(event: GoogleEvent): ProviderEvent | null {
  const start = fromGoogleTime(event.start);
  const end = fromGoogleTime(event.end);
  if (!event.id || !event.etag || !start || !end) return null;
  return {
    id: event.id,
    etag: event.etag,
    updatedAt: event.updated ?? new Date(0).toISOString(),
    // Google leaves out empty strings; we read them back as written.
    summary: event.summary ?? '',
    description: event.description ?? '',
    start,
    end,
    recurrence: ruleOf(event.recurrence),
    exceptions: ruleOf(event.recurrence) ? exceptionsOf(event.recurrence, start) : [],
    overrides: [],
    taskId: event.extendedProperties?.private?.[TASK_ID_PROPERTY] ?? null,
    priority: (event.colorId && PRIORITY_BY_COLOR.get(event.colorId)) || null,
  };
}

function canonicalTime(time: EventTime): EventTime {
  if ('date' in time) return { date: time.date };
  return { dateTime: canonicalInstant(time.dateTime) ?? time.dateTime, timeZone: time.timeZone };
}

/** Whether the event holds exactly what `input` would write (to recognise our own lost write). */
export function holdsInput(event: ProviderEvent, input: EventInput): boolean {
  const fields = (value: EventInput) => [
    value.summary,
    value.description,
    canonicalTime(value.start),
    canonicalTime(value.end),
    value.recurrence,
    value.exceptions,
    value.taskId,
    value.priority,
  ];
  return JSON.stringify(fields(event)) === JSON.stringify(fields(input));
}
