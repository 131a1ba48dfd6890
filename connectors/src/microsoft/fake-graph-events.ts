/**
 * The events of the Graph fake: how a write is validated and stored, and how a stored event is
 * rendered the way Graph renders it (times in the zone the client prefers, text or HTML bodies,
 * every recurrence field filled with defaults, occurrences of a series).
 */
import { randomBytes } from 'node:crypto';
import { DateTime, IANAZone } from 'luxon';
import type { Occurrence } from './fake-graph-occurrences.js';
import type {
  GraphDateTimeTimeZone,
  GraphDayOfWeek,
  GraphImportance,
  GraphPatternedRecurrence,
  GraphRecurrencePattern,
  GraphRecurrenceRange,
  GraphWeekIndex,
} from './graph-wire.js';

/** An event as the fake stores it: times in the zone they were written in. */
export interface FakeGraphEvent {
  id: string;
  calendarId: string;
  changeKey: string;
  createdDateTime: string;
  lastModifiedDateTime: string;
  subject: string;
  body: { contentType: 'text' | 'html'; content: string };
  start: GraphDateTimeTimeZone;
  end: GraphDateTimeTimeZone;
  isAllDay: boolean;
  recurrence: GraphPatternedRecurrence | null;
  importance: GraphImportance;
  categories: string[];
  transactionId: string | null;
  singleValueExtendedProperties: { id: string; value: string }[];
  /** Occurrences of a series edited or deleted on their own, by occurrence id. */
  occurrenceEdits: Record<string, FakeOccurrenceEdit>;
  /** Position in the fake's change log (what delta tokens compare). */
  sequence: number;
}

/** An occurrence deleted, or made an exception (its own subject and times). */
export type FakeOccurrenceEdit =
  | { cancelled: true }
  | {
      cancelled: false;
      subject: string;
      start: GraphDateTimeTimeZone;
      end: GraphDateTimeTimeZone;
    };

/** A write Graph refuses: status 400 with this code. */
export class FakeGraphBadRequest extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type JsonObject = Record<string, unknown>;

export const DAYS: readonly GraphDayOfWeek[] = [
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
];
export const INDEXES: readonly GraphWeekIndex[] = ['first', 'second', 'third', 'fourth', 'last'];
const PATTERNS = new Set([
  'daily',
  'weekly',
  'absoluteMonthly',
  'relativeMonthly',
  'absoluteYearly',
  'relativeYearly',
]);
const WALL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?$/;
const PROPERTY_ID = /^String \{[0-9a-f-]{36}\} Name \S+$/i;

export function newChangeKey(): string {
  return randomBytes(12).toString('base64');
}

export function newEventId(): string {
  return `AAMkAGFake${randomBytes(18).toString('base64url')}`;
}

/** Graph writes instants with seven fractional digits. */
export function graphInstant(date: Date): string {
  return date.toISOString().replace('Z', '0000Z');
}

function bad(message: string, code = 'ErrorInvalidRequest'): FakeGraphBadRequest {
  return new FakeGraphBadRequest(code, message);
}

function isZone(zone: unknown): zone is string {
  return typeof zone === 'string' && IANAZone.isValidZone(zone);
}

function wallTime(value: unknown, field: string): GraphDateTimeTimeZone {
  const time = value as Partial<GraphDateTimeTimeZone> | null;
  if (
    typeof time !== 'object' ||
    time === null ||
    typeof time.dateTime !== 'string' ||
    !WALL_TIME.test(time.dateTime)
  ) {
    throw bad(`${field}.dateTime must be a wall time like 2025-10-15T15:00:00.0000000`);
  }
  // Graph takes Windows or IANA names; this fake knows IANA ones only.
  if (!isZone(time.timeZone))
    throw bad(
      `${field}.timeZone "${String(time.timeZone)}" is not supported`,
      'TimeZoneNotSupportedException',
    );
  const local = DateTime.fromISO(time.dateTime, { zone: time.timeZone });
  return {
    dateTime: `${local.toFormat("yyyy-MM-dd'T'HH:mm:ss.SSS")}0000`,
    timeZone: time.timeZone,
  };
}

export function instantOf(time: GraphDateTimeTimeZone): DateTime {
  return DateTime.fromISO(time.dateTime, { zone: time.timeZone });
}

function isDate(value: unknown): value is string {
  return (
    typeof value === 'string' &&
    /^\d{4}-\d{2}-\d{2}$/.test(value) &&
    DateTime.fromISO(value).isValid
  );
}

function recurrenceOf(value: unknown): GraphPatternedRecurrence | null {
  if (value === null) return null;
  const { pattern, range } = (value ?? {}) as Partial<GraphPatternedRecurrence>;
  if (!pattern || !range) throw bad('recurrence needs a pattern and a range');
  if (!PATTERNS.has(pattern.type) || !Number.isInteger(pattern.interval) || pattern.interval < 1) {
    throw bad('recurrence.pattern needs a known type and an interval of at least 1');
  }
  const days = pattern.daysOfWeek ?? [];
  if (!days.every((day) => DAYS.includes(day)))
    throw bad('recurrence.pattern.daysOfWeek holds an unknown day');
  const needsDays = ['weekly', 'relativeMonthly', 'relativeYearly'].includes(pattern.type);
  if (needsDays && days.length === 0) throw bad(`a ${pattern.type} pattern needs daysOfWeek`);
  if (
    pattern.type.startsWith('relative') &&
    pattern.index !== undefined &&
    !INDEXES.includes(pattern.index)
  ) {
    throw bad('recurrence.pattern.index is unknown');
  }
  const dayOfMonth = pattern.dayOfMonth ?? 0;
  if (pattern.type.startsWith('absolute') && (dayOfMonth < 1 || dayOfMonth > 31)) {
    throw bad(`a ${pattern.type} pattern needs dayOfMonth 1-31`);
  }
  const month = pattern.month ?? 0;
  if (pattern.type.endsWith('Yearly') && (month < 1 || month > 12))
    throw bad(`a ${pattern.type} pattern needs month 1-12`);
  if (!['endDate', 'noEnd', 'numbered'].includes(range.type) || !isDate(range.startDate)) {
    throw bad('recurrence.range needs a known type and a startDate');
  }
  if (range.type === 'endDate' && !isDate(range.endDate))
    throw bad('an endDate range needs endDate');
  if (range.type === 'numbered' && !((range.numberOfOccurrences ?? 0) >= 1)) {
    throw bad('a numbered range needs numberOfOccurrences');
  }
  if (range.recurrenceTimeZone !== undefined && !isZone(range.recurrenceTimeZone)) {
    throw bad(
      'recurrence.range.recurrenceTimeZone is not supported',
      'TimeZoneNotSupportedException',
    );
  }
  return { pattern: { ...pattern }, range: { ...range } };
}

function stringField(body: JsonObject, key: string): string | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw bad(`${key} must be a string`);
  return value;
}

/** Applies a POST or PATCH body to an event (a new one for POST), as Graph validates it. */
export function applyWrite(event: FakeGraphEvent, body: JsonObject): void {
  const subject = stringField(body, 'subject');
  if (subject !== undefined) event.subject = subject;
  if (body.body !== undefined) {
    const content = body.body as { contentType?: unknown; content?: unknown } | null;
    if (
      !content ||
      (content.contentType !== 'text' && content.contentType !== 'html') ||
      typeof content.content !== 'string'
    ) {
      throw bad('body needs contentType text or html and a content');
    }
    event.body = { contentType: content.contentType, content: content.content };
  }
  if (body.start !== undefined) event.start = wallTime(body.start, 'start');
  if (body.end !== undefined) event.end = wallTime(body.end, 'end');
  if (body.isAllDay !== undefined) event.isAllDay = body.isAllDay === true;
  if (body.recurrence !== undefined) event.recurrence = recurrenceOf(body.recurrence);
  if (body.importance !== undefined) {
    if (!['low', 'normal', 'high'].includes(String(body.importance)))
      throw bad('importance must be low, normal or high');
    event.importance = body.importance as GraphImportance;
  }
  if (body.categories !== undefined) {
    if (
      !Array.isArray(body.categories) ||
      !body.categories.every((entry) => typeof entry === 'string')
    ) {
      throw bad('categories must be strings');
    }
    event.categories = [...body.categories];
  }
  if (body.singleValueExtendedProperties !== undefined)
    mergeProperties(event, body.singleValueExtendedProperties);
  checkTimes(event);
}

/** PATCH upserts the properties it names and keeps the others. */
function mergeProperties(event: FakeGraphEvent, value: unknown): void {
  if (!Array.isArray(value)) throw bad('singleValueExtendedProperties must be an array');
  for (const entry of value as { id?: unknown; value?: unknown }[]) {
    if (
      typeof entry.id !== 'string' ||
      !PROPERTY_ID.test(entry.id) ||
      typeof entry.value !== 'string'
    ) {
      throw bad(
        `Invalid extended property ${JSON.stringify(entry)}`,
        'ErrorInvalidExtendedProperty',
      );
    }
    const id = entry.id;
    const existing = event.singleValueExtendedProperties.find(
      (property) => property.id.toLowerCase() === id.toLowerCase(),
    );
    if (existing) existing.value = entry.value;
    else event.singleValueExtendedProperties.push({ id, value: entry.value });
  }
}

function checkTimes(event: FakeGraphEvent): void {
  if (instantOf(event.end) < instantOf(event.start))
    throw bad('The end of an event cannot precede its start');
  if (event.isAllDay) {
    const midnight = (time: GraphDateTimeTimeZone) => time.dateTime.slice(11, 19) === '00:00:00';
    if (
      !midnight(event.start) ||
      !midnight(event.end) ||
      event.start.dateTime >= event.end.dateTime
    ) {
      throw bad('An all-day event starts and ends at midnight and lasts at least a day');
    }
  }
}

export interface RenderPreferences {
  /** From `Prefer: outlook.timezone`; Graph answers in UTC without it. */
  timeZone: string;
  /** From `Prefer: outlook.body-content-type="text"`; Graph answers HTML without it. */
  textBody: boolean;
}

export function renderTime(
  time: GraphDateTimeTimeZone,
  isAllDay: boolean,
  zone: string,
): GraphDateTimeTimeZone {
  // All-day events keep their midnights whatever zone is asked for.
  if (isAllDay) return { dateTime: time.dateTime, timeZone: zone };
  const local = instantOf(time).setZone(zone);
  return { dateTime: `${local.toFormat("yyyy-MM-dd'T'HH:mm:ss.SSS")}0000`, timeZone: zone };
}

function renderBody(
  event: FakeGraphEvent,
  textBody: boolean,
): { contentType: string; content: string } {
  const text = event.body.content;
  // Exchange keeps bodies as HTML; the text it hands back has CRLF line ends.
  if (textBody) return { contentType: 'text', content: text.replace(/\r?\n/g, '\r\n') };
  const escaped = text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\r?\n/g, '<br>');
  return { contentType: 'html', content: `<html><body>${escaped}</body></html>` };
}

/** Graph answers every recurrence field, unused ones with defaults. */
function renderRecurrence(
  recurrence: GraphPatternedRecurrence,
  startZone: string,
): GraphPatternedRecurrence {
  const pattern: GraphRecurrencePattern = {
    type: recurrence.pattern.type,
    interval: recurrence.pattern.interval,
    month: recurrence.pattern.month ?? 0,
    dayOfMonth: recurrence.pattern.dayOfMonth ?? 0,
    daysOfWeek: recurrence.pattern.daysOfWeek ?? [],
    firstDayOfWeek: recurrence.pattern.firstDayOfWeek ?? 'sunday',
    index: recurrence.pattern.index ?? 'first',
  };
  const range: GraphRecurrenceRange = {
    type: recurrence.range.type,
    startDate: recurrence.range.startDate,
    endDate: recurrence.range.type === 'endDate' ? (recurrence.range.endDate ?? '') : '0001-01-01',
    recurrenceTimeZone: recurrence.range.recurrenceTimeZone ?? startZone,
    numberOfOccurrences:
      recurrence.range.type === 'numbered' ? (recurrence.range.numberOfOccurrences ?? 0) : 0,
  };
  return { pattern, range };
}

/** The event as Graph answers it; `expandProperties` are the ids of a `$expand` filter. */
export function renderEvent(
  event: FakeGraphEvent,
  preferences: RenderPreferences,
  expandProperties: string[] | null,
): JsonObject {
  const rendered: JsonObject = {
    '@odata.etag': `W/"${event.changeKey}"`,
    id: event.id,
    createdDateTime: event.createdDateTime,
    lastModifiedDateTime: event.lastModifiedDateTime,
    changeKey: event.changeKey,
    categories: [...event.categories],
    transactionId: event.transactionId,
    originalStartTimeZone: event.start.timeZone,
    originalEndTimeZone: event.end.timeZone,
    subject: event.subject,
    bodyPreview: event.body.content.slice(0, 255),
    importance: event.importance,
    isAllDay: event.isAllDay,
    type: event.recurrence ? 'seriesMaster' : 'singleInstance',
    seriesMasterId: null,
    recurrence: event.recurrence ? renderRecurrence(event.recurrence, event.start.timeZone) : null,
    body: renderBody(event, preferences.textBody),
    start: renderTime(event.start, event.isAllDay, preferences.timeZone),
    end: renderTime(event.end, event.isAllDay, preferences.timeZone),
  };
  if (expandProperties) {
    const wanted = new Set(expandProperties.map((id) => id.toLowerCase()));
    const properties = event.singleValueExtendedProperties.filter((property) =>
      wanted.has(property.id.toLowerCase()),
    );
    // Graph leaves the collection out when nothing matches the filter.
    if (properties.length > 0)
      rendered.singleValueExtendedProperties = properties.map((property) => ({ ...property }));
  }
  return rendered;
}

/**
 * The rows of a series' occurrences in a calendar view or an `instances` listing: the master's
 * fields with each occurrence's own id, times, type and `originalStart` (the UTC instant the
 * pattern puts it at); an exception with its own subject and times; a deleted one left out.
 */
export function renderOccurrences(
  event: FakeGraphEvent,
  occurrences: Occurrence[],
  preferences: RenderPreferences,
): JsonObject[] {
  const master = renderEvent(event, preferences, null);
  return occurrences.flatMap((occurrence) => {
    const edit = event.occurrenceEdits[occurrence.id];
    if (edit?.cancelled) return [];
    const times = edit ?? occurrence;
    return [
      {
        ...master,
        id: occurrence.id,
        type: edit ? 'exception' : 'occurrence',
        seriesMasterId: event.id,
        recurrence: null,
        ...(edit ? { subject: edit.subject } : {}),
        originalStart: instantOf(occurrence.start).toUTC().toISO({ suppressMilliseconds: true }),
        start: renderTime(times.start, event.isAllDay, preferences.timeZone),
        end: renderTime(times.end, event.isAllDay, preferences.timeZone),
      },
    ];
  });
}
