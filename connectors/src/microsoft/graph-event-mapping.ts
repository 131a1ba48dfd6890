/**
 * EventInput ⇄ Graph event JSON. Pure functions; the HTTP side lives in graph-calendar-provider.
 */
import { otherPassOf } from '@tasks/crdt';
import { DateTime, IANAZone } from 'luxon';
import {
  type EventInput,
  type EventOverride,
  type EventTime,
  type ProviderEvent,
  ProviderRequestError,
  UnsupportedEventError,
} from '../calendar-provider.js';
import { readRrule, type SeriesStart, toPatternedRecurrence } from './graph-recurrence.js';
import type {
  GraphDateTimeTimeZone,
  GraphEvent,
  GraphEventWrite,
  GraphImportance,
  GraphSingleValueExtendedProperty,
} from './graph-wire.js';

/**
 * Our property set. Graph names a single-value extended property `{type} {GUID} Name {name}`;
 * the GUID is ours, fixed forever: changing it would orphan every tag already written.
 * https://learn.microsoft.com/graph/api/resources/singlevaluelegacyextendedproperty
 */
const PROPERTY_SET = '{7d1c5a0e-3f2b-4c8e-9a61-5b0e2f4d8c17}';
export const TASK_ID_PROPERTY = `String ${PROPERTY_SET} Name taskId`;
export const PRIORITY_PROPERTY = `String ${PROPERTY_SET} Name priority`;
/** The RRULE we wrote, so it reads back as written while Graph's recurrence is unchanged. */
export const RRULE_PROPERTY = `String ${PROPERTY_SET} Name recurrenceRule`;
export const EXTENDED_PROPERTY_IDS = [TASK_ID_PROPERTY, PRIORITY_PROPERTY, RRULE_PROPERTY] as const;

type Priority = NonNullable<EventInput['priority']>;
const PRIORITIES: readonly Priority[] = ['LOW', 'MEDIUM', 'HIGH', 'URGENT'];

/** For people looking at Outlook; the exact priority travels in PRIORITY_PROPERTY. */
function importanceOf(priority: EventInput['priority']): GraphImportance {
  if (priority === 'LOW') return 'low';
  if (priority === 'HIGH' || priority === 'URGENT') return 'high';
  return 'normal';
}

const PRIORITY_FOR_IMPORTANCE: Record<GraphImportance, Priority> = {
  low: 'LOW',
  normal: 'MEDIUM',
  high: 'HIGH',
};

export interface GraphMappingOptions {
  /**
   * Graph anchors an all-day event's midnights in a time zone, and our all-day EventTime has
   * none: the user's zone keeps it on the right day in their Outlook.
   */
  allDayTimeZone: string;
}

function isIanaZone(zone: string | null | undefined): zone is string {
  return typeof zone === 'string' && IANAZone.isValidZone(zone);
}

/** Graph's wall-time format: seven fractional digits, no offset. */
function graphWallTime(local: DateTime): string {
  return `${local.toFormat("yyyy-MM-dd'T'HH:mm:ss.SSS")}0000`;
}

function requireZone(zone: string): string {
  if (!isIanaZone(zone)) throw new UnsupportedEventError(`Unknown IANA time zone "${zone}"`);
  return zone;
}

/**
 * Quirk: Graph takes a wall time and a zone, and reads a wall time the zone repeats (clocks going
 * back) as its second pass, like Windows' TimeZoneInfo; an instant in the first pass has no wall
 * time there. A single event is then written in UTC, exact (it reads back with zone UTC). A series
 * keeps its zone, so that its later occurrences keep their local time: its first occurrence
 * reads back one change (usually an hour) later.
 */
function graphReadable(local: DateTime, isRecurring: boolean): DateTime {
  if (isRecurring) return local;
  const twin = otherPassOf(local);
  return twin !== null && twin.toMillis() > local.toMillis() ? local.setZone('UTC') : local;
}

/** The wall time Graph stores for one of our times, in the zone it belongs to. */
function localTime(time: EventTime, options: GraphMappingOptions, isRecurring = false): DateTime {
  if ('date' in time) {
    const midnight = DateTime.fromISO(time.date, { zone: requireZone(options.allDayTimeZone) });
    if (!midnight.isValid || time.date.length !== 10) {
      throw new UnsupportedEventError(`Invalid all-day date "${time.date}"`);
    }
    return midnight;
  }
  const instant = DateTime.fromISO(time.dateTime, { zone: 'utc' });
  if (!instant.isValid) throw new UnsupportedEventError(`Invalid date-time "${time.dateTime}"`);
  return graphReadable(instant.setZone(requireZone(time.timeZone)), isRecurring);
}

function graphTime(local: DateTime): GraphDateTimeTimeZone {
  return { dateTime: graphWallTime(local), timeZone: local.zoneName ?? 'UTC' };
}

/**
 * The Graph body for a create or update. Throws UnsupportedEventError, before any request, for
 * what Graph cannot hold.
 */
export function toGraphEvent(input: EventInput, options: GraphMappingOptions): GraphEventWrite {
  const isAllDay = 'date' in input.start;
  if (isAllDay !== 'date' in input.end) {
    throw new UnsupportedEventError('Start and end must both be dates or both be date-times');
  }
  // Quirk: Graph v1.0 has no EXDATE. An occurrence can be deleted, but the series never says
  // which were (cancelledOccurrences is beta only), so a skip could not be read back.
  if (input.exceptions.length > 0) {
    throw new UnsupportedEventError(
      `Outlook cannot hold a series that skips occurrences (${input.exceptions.join(', ')}): Microsoft Graph has no recurrence exceptions`,
    );
  }
  const start = localTime(input.start, options, input.recurrence !== null);
  const end = localTime(input.end, options, input.recurrence !== null);
  const seriesStart: SeriesStart = { local: start, isAllDay };
  return {
    subject: input.summary,
    body: { contentType: 'text', content: input.description },
    start: graphTime(start),
    end: graphTime(end),
    isAllDay,
    recurrence: input.recurrence ? toPatternedRecurrence(input.recurrence, seriesStart) : null,
    importance: importanceOf(input.priority),
    // Graph cannot delete a single-value extended property through PATCH: an empty value
    // stands for "none".
    singleValueExtendedProperties: [
      { id: TASK_ID_PROPERTY, value: input.taskId ?? '' },
      { id: PRIORITY_PROPERTY, value: input.priority ?? '' },
      { id: RRULE_PROPERTY, value: input.recurrence ?? '' },
    ],
  };
}

/** Graph may answer with the property id in another case than we wrote it: compare lowercased. */
export function extendedValues(
  properties: GraphSingleValueExtendedProperty[] | undefined,
): Map<string, string> {
  return new Map((properties ?? []).map((property) => [property.id.toLowerCase(), property.value]));
}

function readPriority(
  written: string | undefined,
  importance: GraphImportance,
): EventInput['priority'] {
  const priority = PRIORITIES.find((candidate) => candidate === written) ?? null;
  // Someone changed the importance in Outlook since we wrote the priority: theirs wins.
  if (importanceOf(priority) !== importance) return PRIORITY_FOR_IMPORTANCE[importance];
  return priority;
}

interface ReadTime {
  time: EventTime;
  local: DateTime;
}

function readTime(
  time: GraphDateTimeTimeZone | undefined,
  originalZone: string | null | undefined,
  isAllDay: boolean,
  options: GraphMappingOptions,
): ReadTime {
  if (!time) throw new ProviderRequestError('Graph returned an event without start or end', 502);
  if (isAllDay) {
    // All-day events come back as midnights whatever zone we ask for: the date is the answer.
    const date = time.dateTime.slice(0, 10);
    return { time: { date }, local: DateTime.fromISO(date, { zone: options.allDayTimeZone }) };
  }
  // We ask for UTC (Prefer: outlook.timezone); the zone the event lives in comes back as
  // originalStartTimeZone. Outlook-made events name Windows zones there ("W. Europe Standard
  // Time"), which have no IANA name without a table: those read as UTC.
  if (!isIanaZone(time.timeZone)) {
    throw new ProviderRequestError(
      `Graph answered in a non-IANA time zone "${time.timeZone}"`,
      502,
    );
  }
  const instant = DateTime.fromISO(time.dateTime, { zone: time.timeZone });
  if (!instant.isValid)
    throw new ProviderRequestError(`Graph answered a bad time "${time.dateTime}"`, 502);
  const zone = isIanaZone(originalZone) ? originalZone : 'UTC';
  const dateTime = instant.toUTC().toISO({ suppressMilliseconds: true }) ?? time.dateTime;
  return { time: { dateTime, timeZone: zone }, local: instant.setZone(zone) };
}

/** Our view of a Graph event (fetched with our extended properties expanded). */
export function fromGraphEvent(event: GraphEvent, options: GraphMappingOptions): ProviderEvent {
  const values = extendedValues(event.singleValueExtendedProperties);
  const isAllDay = event.isAllDay === true;
  const start = readTime(event.start, event.originalStartTimeZone, isAllDay, options);
  const end = readTime(event.end, event.originalEndTimeZone, isAllDay, options);
  let recurrence: string | null = null;
  if (event.recurrence) {
    const zone = event.recurrence.range.recurrenceTimeZone;
    const seriesStart: SeriesStart = {
      local: isIanaZone(zone)
        ? start.local.setZone(zone, { keepLocalTime: isAllDay })
        : start.local,
      isAllDay,
    };
    recurrence = readRrule(
      event.recurrence,
      seriesStart,
      values.get(RRULE_PROPERTY.toLowerCase()) || null,
    );
  }
  const updatedAt = DateTime.fromISO(event.lastModifiedDateTime ?? '', { zone: 'utc' });
  if (!updatedAt.isValid)
    throw new ProviderRequestError('Graph returned an event without lastModifiedDateTime', 502);
  return {
    id: event.id,
    etag: event['@odata.etag'] ?? '',
    updatedAt: updatedAt.toISO() ?? '',
    summary: event.subject ?? '',
    // We ask for text bodies (Prefer: outlook.body-content-type); Exchange stores them as
    // HTML and hands the text back with CRLF line ends.
    description: (event.body?.content ?? '').replace(/\r\n/g, '\n'),
    start: start.time,
    end: end.time,
    recurrence,
    // Deleted occurrences are not visible through Graph v1.0 (see toGraphEvent).
    exceptions: [],
    // Read from the series' instances by the provider (graph-calendar-provider.ts).
    overrides: [],
    taskId: values.get(TASK_ID_PROPERTY.toLowerCase()) || null,
    priority: readPriority(
      values.get(PRIORITY_PROPERTY.toLowerCase()),
      event.importance ?? 'normal',
    ),
  };
}

/**
 * A series' overrides from its instances in a window (`GET /events/{id}/instances`): each
 * `exception` (moved or renamed) by its `originalStart`, and, cancelled, each occurrence of
 * `expected` (what the series' rule puts in the window) that Graph does not list. Quirk: Graph
 * v1.0 never says which occurrences were deleted (`cancelledOccurrences` is beta): a deleted
 * occurrence is one missing from the instances.
 */
export function overridesFromInstances(
  series: ProviderEvent,
  instances: GraphEvent[],
  expected: string[] | null,
  options: GraphMappingOptions,
): EventOverride[] {
  const allDay = 'date' in series.start;
  const originalOf = (row: GraphEvent): string | null => {
    const at = DateTime.fromISO(row.originalStart ?? '', { zone: 'utc' });
    if (!at.isValid) return null;
    if (!allDay) return at.toISO({ suppressMilliseconds: true });
    // An all-day occurrence's original start is the instant of its midnight in its zone.
    const zone = row.originalStartTimeZone;
    return at.setZone(isIanaZone(zone) ? zone : options.allDayTimeZone).toISODate();
  };
  const listed = new Set<string>();
  const overrides: EventOverride[] = [];
  for (const row of instances) {
    const originalStart = originalOf(row);
    if (originalStart === null) continue;
    listed.add(originalStart);
    if (row.type !== 'exception') continue;
    const isAllDay = row.isAllDay === true;
    overrides.push({
      originalStart,
      cancelled: false,
      summary: row.subject ?? series.summary,
      start: readTime(row.start, row.originalStartTimeZone, isAllDay, options).time,
      end: readTime(row.end, row.originalEndTimeZone, isAllDay, options).time,
    });
  }
  for (const originalStart of expected ?? []) {
    if (!listed.has(originalStart)) overrides.push({ originalStart, cancelled: true });
  }
  return overrides.sort((a, b) => a.originalStart.localeCompare(b.originalStart));
}
