import type { calendar_v3 } from '@googleapis/calendar';
import { nextOccurrence, normalizeRecurrenceRule } from '@tasks/crdt';
import { DateTime, IANAZone } from 'luxon';
import { badRequest, GoogleApiError, requiredField } from './fake-google-errors.js';
import { exceptionsOf } from './google-event-mapping.js';

/**
 * How the fake Google Calendar checks, stores and renders one event resource: the validation
 * rules the real API applies to `start`/`end`/`recurrence`/`id`/`colorId`, the difference between
 * PUT (replace) and PATCH (merge), and the expansion of a recurring event into instances.
 */

export type GoogleEvent = calendar_v3.Schema$Event;
type EventDateTime = calendar_v3.Schema$EventDateTime;

/** Fields the server owns: a client cannot set them by insert, PUT or PATCH. */
const SERVER_FIELDS = new Set([
  'kind',
  'etag',
  'id',
  'created',
  'updated',
  'htmlLink',
  'iCalUID',
  'creator',
  'organizer',
  'recurringEventId',
  'sequence',
]);

/** Google's event colours are the keys of `colors.get().event`: "1" to "11". */
const EVENT_COLOR_IDS = new Set(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11']);

/** Client-chosen ids: base32hex characters (a-v, 0-9), 5 to 1024 of them (events.insert `id`). */
const CLIENT_ID = /^[a-v0-9]{5,1024}$/;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const HAS_OFFSET = /(Z|[+-]\d{2}:?\d{2})$/i;
const RECURRENCE_LINE = /^(RRULE|EXRULE|RDATE|EXDATE)[:;]/i;

export type JsonObject = { [key: string]: unknown };

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isServerField(key: string): boolean {
  return SERVER_FIELDS.has(key);
}

export function assertClientId(id: string): void {
  if (!CLIENT_ID.test(id)) throw badRequest('Invalid resource id value.', 'id');
}

/** The instant of an event time; a date counts from midnight in the calendar's zone. */
export function instantOf(time: EventDateTime | undefined, zone: string): DateTime | null {
  if (time?.date) return DateTime.fromISO(time.date, { zone });
  if (time?.dateTime) return DateTime.fromISO(time.dateTime, { setZone: true });
  return null;
}

interface CheckedTime {
  time: EventDateTime;
  instant: DateTime;
  isAllDay: boolean;
}

/**
 * Google answers `dateTime` in the calendar's time zone (or the request's `timeZone`), whatever
 * offset the client sent; `timeZone` comes back only when the client set it.
 */
function checkTime(value: unknown, which: 'start' | 'end', zone: string, isRecurring: boolean) {
  if (!isJsonObject(value)) throw requiredField(`Missing ${which} time.`);
  const { date, dateTime, timeZone } = value;
  if (typeof date === 'string') {
    const day = DateTime.fromISO(date, { zone });
    if (!DATE.test(date) || !day.isValid) throw badRequest(`Invalid ${which} time.`);
    return { time: { date }, instant: day, isAllDay: true } satisfies CheckedTime;
  }
  if (typeof dateTime !== 'string') throw requiredField(`Missing ${which} time.`);
  if (timeZone !== undefined && (typeof timeZone !== 'string' || !IANAZone.isValidZone(timeZone))) {
    throw badRequest(`Invalid time zone definition for ${which} time.`);
  }
  const hasOffset = HAS_OFFSET.test(dateTime);
  // Quirk (events resource, `start.timeZone`): "For recurring events this field is required and
  // specifies the time zone in which the recurrence is expanded"; an offset is not enough.
  if ((!hasOffset || isRecurring) && timeZone === undefined) {
    throw badRequest(`Missing time zone definition for ${which} time.`);
  }
  const instant = hasOffset
    ? DateTime.fromISO(dateTime, { setZone: true })
    : DateTime.fromISO(dateTime, { zone: timeZone as string });
  if (!instant.isValid) throw badRequest(`Invalid ${which} time.`);
  const rendered = instant.setZone(zone).toISO({ suppressMilliseconds: true }) as string;
  const time: EventDateTime = { dateTime: rendered };
  if (typeof timeZone === 'string') time.timeZone = timeZone;
  return { time, instant, isAllDay: false } satisfies CheckedTime;
}

function checkRecurrence(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((line) => typeof line !== 'string')) {
    throw badRequest('Invalid recurrence rule.');
  }
  const lines = value as string[];
  for (const line of lines) {
    if (!RECURRENCE_LINE.test(line)) throw badRequest('Invalid recurrence rule.');
    if (/^RRULE:/i.test(line) && 'error' in normalizeRecurrenceRule(line)) {
      throw badRequest('Invalid recurrence rule.');
    }
  }
  return lines.length > 0 ? lines : undefined;
}

function checkExtendedProperties(value: unknown): void {
  if (value === undefined || value === null) return;
  if (!isJsonObject(value)) throw badRequest('Invalid extendedProperties.');
  for (const scope of ['private', 'shared']) {
    const properties = value[scope];
    if (properties === undefined) continue;
    if (!isJsonObject(properties) || Object.values(properties).some((v) => typeof v !== 'string')) {
      throw badRequest(`Invalid extendedProperties.${scope}.`);
    }
  }
}

/**
 * Checks the client-writable part of an event (after PUT or PATCH semantics were applied) and
 * returns it as the API stores and shows it.
 */
export function checkWritableFields(fields: JsonObject, zone: string): GoogleEvent {
  for (const key of ['summary', 'description', 'location']) {
    if (fields[key] !== undefined && fields[key] !== null && typeof fields[key] !== 'string') {
      throw badRequest(`Invalid value for ${key}.`);
    }
  }
  const recurrence = checkRecurrence(fields.recurrence);
  const start = checkTime(fields.start, 'start', zone, recurrence !== undefined);
  const end = checkTime(fields.end, 'end', zone, recurrence !== undefined);
  if (start.isAllDay !== end.isAllDay) {
    throw badRequest('Start and end times must either both be date or both be dateTime.');
  }
  if (end.instant < start.instant) {
    throw new GoogleApiError(400, 'timeRangeEmpty', 'The specified time range is empty.');
  }
  const { colorId, status } = fields;
  if (colorId !== undefined && colorId !== null && !EVENT_COLOR_IDS.has(String(colorId))) {
    throw badRequest('Invalid color ID.');
  }
  if (status !== undefined && !['confirmed', 'tentative', 'cancelled'].includes(String(status))) {
    throw badRequest('Invalid event status.');
  }
  checkExtendedProperties(fields.extendedProperties);
  const event: GoogleEvent = { ...fields, start: start.time, end: end.time };
  if (recurrence) event.recurrence = recurrence;
  else delete event.recurrence;
  for (const key of Object.keys(event) as (keyof GoogleEvent)[]) {
    if (event[key] === null || event[key] === undefined) delete event[key];
  }
  return event;
}

/** The client-writable part of a request body (server-owned fields are ignored, as Google does). */
export function writableFields(body: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(body).filter(([key]) => !isServerField(key)));
}

/**
 * PATCH semantics (Google's "patch" guide): fields present replace the stored ones, nested
 * objects merge, arrays are replaced whole, and `null` clears a field.
 */
export function mergePatch(target: JsonObject, patch: JsonObject): JsonObject {
  const merged: JsonObject = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    const current = merged[key];
    if (value === null) delete merged[key];
    else if (isJsonObject(value) && isJsonObject(current)) merged[key] = mergePatch(current, value);
    else merged[key] = value;
  }
  return merged;
}

/** What an incremental sync shows of a deleted event: only `id` is guaranteed (events.list). */
export function cancelledView(event: GoogleEvent): GoogleEvent {
  const view: GoogleEvent = { kind: 'calendar#event', id: event.id ?? null, status: 'cancelled' };
  if (event.etag) view.etag = event.etag;
  if (event.recurringEventId) view.recurringEventId = event.recurringEventId;
  if (event.originalStartTime) view.originalStartTime = event.originalStartTime;
  return view;
}

function instanceSuffix(time: string, isAllDay: boolean): string {
  if (isAllDay) return time.replaceAll('-', '');
  return DateTime.fromISO(time, { zone: 'utc' }).toFormat("yyyyLLdd'T'HHmmss'Z'");
}

export interface ExpansionWindow {
  from: DateTime | null;
  to: DateTime | null;
  /** Bound on the occurrences visited per series (the fake's bound, not a documented one). */
  limit: number;
}

/**
 * `singleEvents=true`: a recurring event as its instances, expanded on wall-clock time in its
 * `start.timeZone` (crdt's `nextOccurrence`), ids `{eventId}_{YYYYMMDDTHHMMSSZ}` as Google forms
 * them. Only the RRULE is expanded (EXDATE/RDATE lines are kept but not applied by the fake).
 */
export function expandInstances(
  master: GoogleEvent,
  zone: string,
  window: ExpansionWindow,
): GoogleEvent[] {
  const rule = master.recurrence?.find((line) => /^RRULE:/i.test(line));
  const start = master.start;
  const startInstant = instantOf(start, zone);
  const endInstant = instantOf(master.end, zone);
  if (!rule || !start || !startInstant || !endInstant) return [master];
  const isAllDay = Boolean(start.date);
  const seriesZone = start.timeZone ?? zone;
  // All-day series last whole calendar days (a DST change makes such a day 23 or 25 hours).
  const duration = isAllDay ? endInstant.diff(startInstant, 'days') : endInstant.diff(startInstant);
  const first = isAllDay
    ? (start.date as string)
    : (startInstant.toUTC().toISO({ suppressMilliseconds: true }) as string);
  const instances: GoogleEvent[] = [];
  // EXDATE lines skip occurrences (read as the adapter reads them: one iCalendar reading).
  const skipped = new Set(
    exceptionsOf(
      master.recurrence,
      isAllDay ? { date: first } : { dateTime: first, timeZone: seriesZone },
    ),
  );
  let current: string | null = first;
  for (let visited = 0; current !== null && visited < window.limit; visited += 1) {
    const begins = isAllDay ? DateTime.fromISO(current, { zone }) : DateTime.fromISO(current);
    if (window.to && begins >= window.to) break;
    const ends = begins.plus(duration);
    if ((!window.from || ends > window.from) && !skipped.has(current)) {
      instances.push(instanceOf(master, current, begins, ends, isAllDay, zone));
    }
    current = nextOccurrence(rule, current, seriesZone, first);
  }
  return instances;
}

function instanceOf(
  master: GoogleEvent,
  occurrence: string,
  begins: DateTime,
  ends: DateTime,
  isAllDay: boolean,
  zone: string,
): GoogleEvent {
  const { recurrence: _recurrence, ...fields } = master;
  const timeZone = master.start?.timeZone;
  const at = (value: DateTime): EventDateTime =>
    isAllDay
      ? { date: value.toISODate() as string }
      : {
          dateTime: value.setZone(zone).toISO({ suppressMilliseconds: true }) as string,
          ...(timeZone ? { timeZone } : {}),
        };
  return {
    ...fields,
    id: `${master.id}_${instanceSuffix(occurrence, isAllDay)}`,
    recurringEventId: master.id ?? null,
    originalStartTime: at(begins),
    start: at(begins),
    end: at(ends),
  };
}
