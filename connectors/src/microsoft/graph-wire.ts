/**
 * The subset of Microsoft Graph v1.0 JSON that the calendar adapter and the fake speak.
 * Types only: the adapter and the fake each read and write these shapes on their own, so a
 * mistake in one is not silently mirrored by the other.
 * https://learn.microsoft.com/graph/api/resources/event
 */

/** Graph `dateTimeTimeZone`: a wall time (`2025-10-15T15:00:00.0000000`) and a zone name. */
export interface GraphDateTimeTimeZone {
  dateTime: string;
  timeZone: string;
}

export type GraphDayOfWeek =
  | 'sunday'
  | 'monday'
  | 'tuesday'
  | 'wednesday'
  | 'thursday'
  | 'friday'
  | 'saturday';

export type GraphWeekIndex = 'first' | 'second' | 'third' | 'fourth' | 'last';

export type GraphPatternType =
  | 'daily'
  | 'weekly'
  | 'absoluteMonthly'
  | 'relativeMonthly'
  | 'absoluteYearly'
  | 'relativeYearly';

/** Graph `recurrencePattern`. Responses carry every field, with defaults for unused ones. */
export interface GraphRecurrencePattern {
  type: GraphPatternType;
  interval: number;
  month?: number;
  dayOfMonth?: number;
  daysOfWeek?: GraphDayOfWeek[];
  firstDayOfWeek?: GraphDayOfWeek;
  index?: GraphWeekIndex;
}

/** Graph `recurrenceRange`: dates are calendar dates in `recurrenceTimeZone`. */
export interface GraphRecurrenceRange {
  type: 'endDate' | 'noEnd' | 'numbered';
  startDate: string;
  endDate?: string;
  numberOfOccurrences?: number;
  recurrenceTimeZone?: string;
}

export interface GraphPatternedRecurrence {
  pattern: GraphRecurrencePattern;
  range: GraphRecurrenceRange;
}

export interface GraphSingleValueExtendedProperty {
  id: string;
  value: string;
}

export type GraphImportance = 'low' | 'normal' | 'high';

export type GraphEventType = 'singleInstance' | 'occurrence' | 'exception' | 'seriesMaster';

/** An event as Graph returns it (only the fields we read). */
export interface GraphEvent {
  id: string;
  '@odata.etag'?: string;
  type?: GraphEventType;
  seriesMasterId?: string | null;
  /** Of an occurrence or exception: the UTC instant its series' pattern puts it at. */
  originalStart?: string | null;
  subject?: string | null;
  body?: { contentType: 'text' | 'html'; content: string } | null;
  start?: GraphDateTimeTimeZone;
  end?: GraphDateTimeTimeZone;
  originalStartTimeZone?: string | null;
  originalEndTimeZone?: string | null;
  isAllDay?: boolean;
  recurrence?: GraphPatternedRecurrence | null;
  importance?: GraphImportance;
  categories?: string[];
  transactionId?: string | null;
  lastModifiedDateTime?: string;
  singleValueExtendedProperties?: GraphSingleValueExtendedProperty[];
}

/** What we send on create (POST) and update (PATCH). */
export interface GraphEventWrite {
  subject: string;
  body: { contentType: 'text'; content: string };
  start: GraphDateTimeTimeZone;
  end: GraphDateTimeTimeZone;
  isAllDay: boolean;
  recurrence: GraphPatternedRecurrence | null;
  importance: GraphImportance;
  singleValueExtendedProperties: GraphSingleValueExtendedProperty[];
  transactionId?: string;
}

/** A page of a listing (`GET /events/{id}/instances`). */
export interface GraphEventPage {
  value: GraphEvent[];
  '@odata.nextLink'?: string;
}

/** A row of a delta page: an event, or a removal marker carrying only the id. */
export type GraphDeltaItem = GraphEvent & { '@removed'?: { reason: string } };

export interface GraphDeltaPage {
  value: GraphDeltaItem[];
  '@odata.nextLink'?: string;
  '@odata.deltaLink'?: string;
}

/** Graph's error body: `{ error: { code, message } }`. */
export interface GraphErrorBody {
  error: { code: string; message: string };
}

export interface GraphSubscription {
  id: string;
  resource: string;
  changeType: string;
  notificationUrl: string;
  expirationDateTime: string;
  clientState?: string | null;
}

/** One change notification, as posted to the subscriber's notificationUrl. */
export interface GraphChangeNotification {
  subscriptionId: string;
  subscriptionExpirationDateTime: string;
  changeType: 'created' | 'updated' | 'deleted';
  resource: string;
  clientState: string | null;
  tenantId: string;
  resourceData: { '@odata.type': string; '@odata.id': string; '@odata.etag'?: string; id: string };
}
