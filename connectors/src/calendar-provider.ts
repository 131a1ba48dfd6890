/**
 * The seam between the sync engine and a calendar provider (Google Calendar v3, Microsoft
 * Graph, CalDAV). One adapter per provider implements it; provider quirks stay inside the
 * adapter. Every implementation, the fakes included, passes `runCalendarProviderContract`.
 */

/** A time of an event: a calendar date (all-day, end exclusive) or an instant with its zone. */
export type EventTime = { date: string } | { dateTime: string; timeZone: string };

/** What we write to a provider. */
export interface EventInput {
  summary: string;
  description: string;
  start: EventTime;
  end: EventTime;
  /** An RRULE (without the `RRULE:` prefix) or null. */
  recurrence: string | null;
  /**
   * Occurrences the series skips (EXDATE), sorted: each occurrence's start, a date for an all-day
   * series, a UTC instant (`2026-03-10T08:00:00Z`) for a timed one. Empty without recurrence.
   */
  exceptions: string[];
  /** Our task id, stored as the provider's private extended property / X- property. */
  taskId: string | null;
  /** The task's priority, mapped by each adapter to what the provider has (colour, category). */
  priority: 'LOW' | 'MEDIUM' | 'HIGH' | 'URGENT' | null;
}

/**
 * An occurrence of a series that is not where or what the rule says: cancelled on its own, or
 * moved or renamed (Google's exception instances, Graph's `exception` events, CalDAV's VEVENTs
 * with RECURRENCE-ID). `originalStart` is where the rule puts it, in the form of
 * `EventInput.exceptions`: a date for an all-day series, a UTC instant for a timed one.
 */
export type EventOverride =
  | { originalStart: string; cancelled: true }
  | { originalStart: string; cancelled: false; summary: string; start: EventTime; end: EventTime };

/** What a provider holds. */
export interface ProviderEvent extends EventInput {
  /**
   * The occurrences of a series changed or cancelled on their own, sorted by original start;
   * empty for a single event. Read only: the bridge never writes them (a task has one rule).
   */
  overrides: EventOverride[];
  /** The provider's id of the event (Google event id, Graph id, CalDAV object href). */
  id: string;
  /** Version for optimistic concurrency (If-Match). */
  etag: string;
  /** Last modification as the provider reports it (ISO UTC), for last-write-wins. */
  updatedAt: string;
}

export interface PullResult {
  /** Events created or changed since the cursor (all events when the cursor was null). */
  changed: ProviderEvent[];
  /** Ids of events deleted since the cursor. */
  deleted: string[];
  /** The cursor to pass next time. */
  cursor: string;
}

export interface CalendarProvider {
  readonly name: 'GOOGLE' | 'MICROSOFT' | 'ICAL';
  /**
   * Changes since `cursor` (null: a full listing). Throws InvalidCursorError when the provider
   * no longer accepts the cursor: the caller then pulls again from null.
   */
  pullChanges(cursor: string | null): Promise<PullResult>;
  /** The event, or null when it does not exist (or was deleted). */
  getEvent(id: string): Promise<ProviderEvent | null>;
  /**
   * Creates an event at most once per `key`: a retry with the same key (after a timeout, a
   * crash) returns the event the first attempt created instead of a duplicate.
   */
  createEvent(input: EventInput, key: string): Promise<ProviderEvent>;
  /** Replaces the event's fields if its version is still `etag`; PreconditionFailedError if not. */
  updateEvent(id: string, input: EventInput, etag: string): Promise<ProviderEvent>;
  /** Deletes the event if its version is still `etag`; an event already gone is success. */
  deleteEvent(id: string, etag: string | null): Promise<void>;
}

export class CalendarProviderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** The sync cursor expired or was refused (Google 410, Graph SyncStateNotFound, CalDAV valid-sync-token). */
export class InvalidCursorError extends CalendarProviderError {}

/** The event changed since the version we hold (412). */
export class PreconditionFailedError extends CalendarProviderError {}

/** The provider asks us to slow down (429, Google 403 rateLimitExceeded). */
export class RateLimitedError extends CalendarProviderError {
  constructor(
    message: string,
    readonly retryAfterMs: number | null,
  ) {
    super(message);
  }
}

/** The credentials were refused (401, revoked refresh token). */
export class ProviderAuthError extends CalendarProviderError {}

/** The provider cannot express what we asked (e.g. an RRULE Graph has no pattern for). */
export class UnsupportedEventError extends CalendarProviderError {}

/** Anything else the provider answered with an error status. */
export class ProviderRequestError extends CalendarProviderError {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}
