import * as Y from 'yjs';
import { isDateOnly, normalizeDateTime } from './dates.js';
import { isInTransaction } from './doc-version.js';
import { MAX_SERIES_OCCURRENCES, seriesOccurrenceStarts } from './event-series.js';
import {
  asMap,
  readBoolean,
  readInstant,
  readNullableString,
  readString,
  writeField,
} from './record-fields.js';
import { normalizeRecurrenceRule } from './recurrence.js';
import type { CalendarEvent, CalendarEventOverride, CalendarEventSeries } from './schema.js';
import { calendarEventsOf, type UserDocs } from './user-docs.js';

/**
 * External events mirrored read-only (keyed `connectionId:eventId`) for the calendar view and
 * for scheduling around busy time. Only the calendar bridge writes them. A recurring event is
 * kept once, as its first occurrence plus its series (rule, zone, skipped and changed
 * occurrences), and expanded by `listCalendarEvents` for the range asked.
 */

/** What the bridge writes: the event, or a series as its first occurrence and `series`. */
export interface CalendarEventInput
  extends Omit<CalendarEvent, 'id' | 'seriesId' | 'originalStart'> {
  series?: CalendarEventSeries | null;
}

/** A mirrored event as stored: the first occurrence of a series, with its series. */
export interface MirroredCalendarEvent extends Omit<CalendarEvent, 'id' | 'originalStart'> {
  series: CalendarEventSeries | null;
}

/** Skipped and changed occurrences one series keeps at most (each written is kept forever). */
export const MAX_SERIES_EXCEPTIONS = 1000;

const DAY_MS = 24 * 3600_000;

/** An original start in the form occurrences are matched by: a date, or a UTC instant. */
function occurrenceKey(value: unknown, allDay: boolean): string | null {
  if (typeof value !== 'string') return null;
  if (allDay) return isDateOnly(value) ? value : null;
  return normalizeDateTime(value);
}

function isoInstant(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

function readOverride(value: unknown, allDay: boolean): CalendarEventOverride | null {
  if (typeof value !== 'object' || value === null) return null;
  const record = value as Record<string, unknown>;
  const originalStart = occurrenceKey(record.originalStart, allDay);
  const start = isoInstant(record.start);
  const end = isoInstant(record.end);
  if (!originalStart || !start || !end || end < start) return null;
  const title = typeof record.title === 'string' && record.title !== '' ? record.title : null;
  return { originalStart, start, end, title };
}

/**
 * A series as valid, sorted and bounded values, or null when there is no rule to expand. Used on
 * write (what a provider sent) and on read (what another device wrote).
 */
function cleanSeries(
  rule: unknown,
  timeZone: unknown,
  exceptions: unknown,
  overrides: unknown,
  allDay: boolean,
): CalendarEventSeries | null {
  if (typeof rule !== 'string') return null;
  const normalized = normalizeRecurrenceRule(rule);
  if ('error' in normalized) return null;
  const skipped = new Set<string>();
  for (const value of Array.isArray(exceptions) ? exceptions : []) {
    const key = occurrenceKey(value, allDay);
    if (key) skipped.add(key);
  }
  const changed = new Map<string, CalendarEventOverride>();
  for (const value of Array.isArray(overrides) ? overrides : []) {
    const override = readOverride(value, allDay);
    if (override && !skipped.has(override.originalStart)) {
      changed.set(override.originalStart, override);
    }
  }
  return {
    rule: normalized.rule,
    timeZone: typeof timeZone === 'string' && timeZone !== '' ? timeZone : 'UTC',
    exceptions: [...skipped].sort().slice(0, MAX_SERIES_EXCEPTIONS),
    overrides: [...changed.values()]
      .sort((a, b) => a.originalStart.localeCompare(b.originalStart))
      .slice(0, MAX_SERIES_EXCEPTIONS),
  };
}

function readMirroredEvent(key: string, value: unknown): MirroredCalendarEvent | null {
  const map = asMap(value);
  if (!map) return null;
  const start = readInstant(map, 'start');
  const end = readInstant(map, 'end');
  if (!start || !end) return null;
  const allDay = readBoolean(map, 'allDay');
  const separator = key.indexOf(':');
  return {
    seriesId: key,
    connectionId: separator > 0 ? key.slice(0, separator) : '',
    eventId: separator > 0 ? key.slice(separator + 1) : key,
    title: readString(map, 'title') || '(no title)',
    start,
    end,
    allDay,
    source: readString(map, 'source') || 'ICAL',
    taskId: readNullableString(map, 'taskId'),
    series: cleanSeries(
      map.get('recurrence'),
      map.get('timeZone'),
      map.get('exceptions'),
      map.get('overrides'),
      allDay,
    ),
  };
}

/** Writes a list field as JSON only when its content changed (each write is an item forever). */
function writeList(map: Y.Map<unknown>, key: string, value: readonly unknown[] | null): void {
  if (value === null || value.length === 0) {
    writeField(map, key, null);
    return;
  }
  if (JSON.stringify(map.get(key)) !== JSON.stringify(value)) map.set(key, value);
}

/** Writes a mirrored event, touching only the fields that changed; fields not set are absent. */
export function upsertCalendarEvent(docs: UserDocs, event: CalendarEventInput): void {
  const key = `${event.connectionId}:${event.eventId}`;
  const events = calendarEventsOf(docs.main);
  const series = event.series
    ? cleanSeries(
        event.series.rule,
        event.series.timeZone,
        event.series.exceptions,
        event.series.overrides,
        event.allDay,
      )
    : null;
  docs.main.transact(() => {
    let map = asMap(events.get(key));
    if (!map) {
      map = new Y.Map<unknown>();
      events.set(key, map);
    }
    writeField(map, 'title', event.title);
    writeField(map, 'start', event.start);
    writeField(map, 'end', event.end);
    writeField(map, 'allDay', event.allDay || null);
    writeField(map, 'source', event.source);
    writeField(map, 'taskId', event.taskId);
    writeField(map, 'recurrence', series?.rule);
    writeField(map, 'timeZone', series && !event.allDay ? series.timeZone : null);
    writeList(map, 'exceptions', series?.exceptions ?? null);
    writeList(
      map,
      'overrides',
      series?.overrides.map(({ title, ...times }) =>
        title === null ? times : { ...times, title },
      ) ?? null,
    );
  });
}

export function removeCalendarEvent(docs: UserDocs, connectionId: string, eventId: string): void {
  const events = calendarEventsOf(docs.main);
  const key = `${connectionId}:${eventId}`;
  if (events.has(key)) docs.main.transact(() => events.delete(key));
}

/** Removes every event mirrored from one connection (a calendar disconnected). */
export function removeCalendarEventsOf(docs: UserDocs, connectionId: string): void {
  const events = calendarEventsOf(docs.main);
  const prefix = `${connectionId}:`;
  const keys = [...events.keys()].filter((key) => key.startsWith(prefix));
  if (keys.length === 0) return;
  docs.main.transact(() => {
    for (const key of keys) events.delete(key);
  });
}

function occurrence(
  event: MirroredCalendarEvent,
  originalStart: string | null,
  times: { start: string; end: string; title?: string | null },
): CalendarEvent {
  const { series: _series, ...fields } = event;
  return {
    ...fields,
    id: originalStart === null ? event.seriesId : `${event.seriesId}@${originalStart}`,
    start: times.start,
    end: times.end,
    title: times.title ?? event.title,
    originalStart,
  };
}

/**
 * The occurrences of a series overlapping [from, to): the rule's (less the skipped and changed
 * ones, each at the series' duration) and the changed ones where they now are. Null when the
 * rule cannot be expanded (the caller shows the first occurrence).
 */
function seriesOccurrences(
  event: MirroredCalendarEvent,
  series: CalendarEventSeries,
  range: { from: Date; to: Date },
): CalendarEvent[] | null {
  const startMs = Date.parse(event.start);
  const duration = Math.max(0, Date.parse(event.end) - startMs);
  const firstStart = event.allDay ? event.start.slice(0, 10) : normalizeDateTime(event.start);
  if (!firstStart) return null;
  // An occurrence overlapping the range starts at most one duration before it.
  const from = new Date(range.from.getTime() - duration);
  const starts = seriesOccurrenceStarts(series.rule, firstStart, series.timeZone, {
    from,
    to: range.to,
  });
  if (starts === null) return null;
  const skipped = new Set(series.exceptions);
  const changed = new Set(series.overrides.map((override) => override.originalStart));
  const result: CalendarEvent[] = [];
  for (const originalStart of starts) {
    if (skipped.has(originalStart) || changed.has(originalStart)) continue;
    const at = event.allDay ? Date.parse(`${originalStart}T00:00:00Z`) : Date.parse(originalStart);
    const end = at + (event.allDay ? Math.round(duration / DAY_MS) * DAY_MS : duration);
    if (end <= range.from.getTime()) continue;
    result.push(
      occurrence(event, originalStart, {
        start: new Date(at).toISOString(),
        end: new Date(end).toISOString(),
      }),
    );
  }
  for (const override of series.overrides) {
    if (
      Date.parse(override.start) < range.to.getTime() &&
      Date.parse(override.end) > range.from.getTime() &&
      result.length < MAX_SERIES_OCCURRENCES
    ) {
      result.push(occurrence(event, override.originalStart, override));
    }
  }
  return result;
}

// Expanding every recurring series is the dearest read of the document (rrule and luxon for each
// occurrence): the last list is kept per document and range until the mirrored events change
// (counted by an observer, so a change from any replica counts), and read from outside a
// transaction only. Callers get copies.
const eventChanges = new WeakMap<Y.Map<unknown>, { count: number }>();
const lastList = new WeakMap<
  Y.Map<unknown>,
  { count: number; from: number; to: number; events: CalendarEvent[] }
>();

function changesOf(events: Y.Map<unknown>): { count: number } {
  let changes = eventChanges.get(events);
  if (!changes) {
    const counter = { count: 0 };
    events.observeDeep(() => {
      counter.count += 1;
    });
    eventChanges.set(events, counter);
    changes = counter;
  }
  return changes;
}

/**
 * Mirrored events overlapping [from, to), by start: each occurrence of a recurring event on its
 * own, with its own id, start and end (at most MAX_SERIES_OCCURRENCES per series). A series whose
 * rule this cannot expand shows its first occurrence only.
 */
export function listCalendarEvents(
  docs: UserDocs,
  range: { from: Date; to: Date },
): CalendarEvent[] {
  const events = calendarEventsOf(docs.main);
  const [from, to] = [range.from.getTime(), range.to.getTime()];
  const cacheable = !isInTransaction(docs.main);
  const { count } = changesOf(events);
  const cached = lastList.get(events);
  if (cacheable && cached && cached.count === count && cached.from === from && cached.to === to) {
    return cached.events.map((event) => ({ ...event }));
  }
  const result = expandCalendarEvents(events, range);
  if (cacheable) lastList.set(events, { count, from, to, events: result });
  return result.map((event) => ({ ...event }));
}

function expandCalendarEvents(
  events: Y.Map<unknown>,
  range: { from: Date; to: Date },
): CalendarEvent[] {
  const result: CalendarEvent[] = [];
  for (const [key, value] of events.entries()) {
    const event = readMirroredEvent(key, value);
    if (!event) continue;
    const expanded = event.series ? seriesOccurrences(event, event.series, range) : null;
    if (expanded) {
      result.push(...expanded);
      continue;
    }
    if (
      Date.parse(event.start) < range.to.getTime() &&
      Date.parse(event.end) > range.from.getTime()
    ) {
      result.push(occurrence(event, null, event));
    }
  }
  return result.sort((a, b) => a.start.localeCompare(b.start) || a.id.localeCompare(b.id));
}
