/**
 * The Microsoft Graph (Outlook) calendar behind the CalendarProvider seam.
 * https://learn.microsoft.com/graph/api/resources/event
 */
import { createHash } from 'node:crypto';
import { seriesOccurrenceStarts } from '@tasks/crdt';
import {
  type CalendarProvider,
  type EventInput,
  type EventOverride,
  InvalidCursorError,
  type ProviderEvent,
  ProviderRequestError,
  type PullResult,
} from '../calendar-provider.js';
import {
  EXTENDED_PROPERTY_IDS,
  fromGraphEvent,
  type GraphMappingOptions,
  overridesFromInstances,
  toGraphEvent,
} from './graph-event-mapping.js';
import { createGraphHttp, GraphResponseError, type RetryOptions } from './graph-http.js';
import type {
  GraphDeltaItem,
  GraphDeltaPage,
  GraphEvent,
  GraphEventPage,
  GraphSubscription,
} from './graph-wire.js';

export interface GraphCalendarProviderOptions {
  /** Graph's origin; tests point it at the fake (default https://graph.microsoft.com). */
  baseUrl?: string;
  accessToken: () => Promise<string>;
  calendarId: string;
  /** The range a full pull covers: Graph's delta works on a calendar view, never a whole calendar. */
  window: () => { start: Date; end: Date };
  retry?: RetryOptions;
  /** The zone Graph anchors all-day events in: the user's (default UTC). */
  allDayTimeZone?: string;
  /** Rows per delta page we ask for (Prefer: odata.maxpagesize, default 50). */
  pageSize?: number;
  /** Bound on the pages of one pull (default 1,000). */
  maxPages?: number;
  /**
   * Aborts every request of this provider, the one in flight included (a sync's deadline): the
   * call rejects with the signal's reason.
   */
  signal?: AbortSignal;
}

export interface SubscribeOptions {
  /** Where Graph posts; it must answer the validation handshake (see graph-notifications). */
  notificationUrl: string;
  /** A secret Graph echoes in every notification. */
  clientState: string;
  /** Graph keeps event subscriptions at most 4,230 minutes: renew before. */
  expiresAt: Date;
}

export interface GraphCalendarProvider extends CalendarProvider {
  readonly name: 'MICROSOFT';
  /** Asks Graph to notify `notificationUrl` of created, updated and deleted events. */
  subscribe(options: SubscribeOptions): Promise<GraphSubscription>;
  unsubscribe(subscriptionId: string): Promise<void>;
}

/**
 * Times in UTC (the event's own zone comes back as originalStartTimeZone), bodies as text
 * rather than Outlook's HTML. https://learn.microsoft.com/graph/api/event-get#request-headers
 */
const PREFER = 'outlook.timezone="UTC", outlook.body-content-type="text"';
/** Events fetched one by one after a delta page: parallel, but not so much that Graph throttles. */
const FETCH_CONCURRENCY = 4;

/**
 * Graph documents `transactionId` only as a string; our keys can be anything. A GUID-shaped
 * digest of the key is short, deterministic (a retry sends the same value) and opaque.
 */
export function transactionIdFor(key: string): string {
  const hex = createHash('sha256').update(key).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** 404, and 410 for an event Exchange has already purged: the event is not there. */
function isGone(error: unknown): boolean {
  if (!(error instanceof GraphResponseError)) return false;
  // A malformed id names no event either (Graph answers 400 ErrorInvalidIdMalformed).
  return error.status === 404 || error.status === 410 || error.code === 'ErrorInvalidIdMalformed';
}

/** Graph's answers when a delta token is no longer valid; the caller then pulls from scratch. */
function isExpiredSyncState(error: unknown): boolean {
  if (!(error instanceof GraphResponseError)) return false;
  return (
    error.status === 410 ||
    error.code === 'SyncStateNotFound' ||
    error.code === 'SyncStateInvalid' ||
    error.code === 'ErrorInvalidSyncStateData'
  );
}

export function createGraphCalendarProvider(
  options: GraphCalendarProviderOptions,
): GraphCalendarProvider {
  const http = createGraphHttp({
    baseUrl: options.baseUrl ?? 'https://graph.microsoft.com',
    accessToken: options.accessToken,
    retry: options.retry,
    signal: options.signal,
  });
  const mapping: GraphMappingOptions = { allDayTimeZone: options.allDayTimeZone ?? 'UTC' };
  const pageSize = options.pageSize ?? 50;
  const maxPages = options.maxPages ?? 1000;
  const calendarPath = `/me/calendars/${encodeURIComponent(options.calendarId)}`;
  const eventPath = (id: string) => `${calendarPath}/events/${encodeURIComponent(id)}`;
  // calendarView/delta cannot $expand (https://learn.microsoft.com/graph/api/event-delta#query-parameters),
  // so our properties come from a GET of each event.
  const filter = EXTENDED_PROPERTY_IDS.map((id) => `id eq '${id}'`).join(' or ');
  const expand = `$expand=${encodeURIComponent(`singleValueExtendedProperties($filter=${filter})`)}`;

  async function getEvent(id: string): Promise<ProviderEvent | null> {
    let event: ProviderEvent;
    try {
      const stored = await http.get<GraphEvent>(`${eventPath(id)}?${expand}`, { Prefer: PREFER });
      event = fromGraphEvent(stored, mapping);
    } catch (error) {
      if (isGone(error)) return null;
      throw error;
    }
    if (event.recurrence === null) return event;
    return { ...event, overrides: await overridesOf(event) };
  }

  /** A series' moved and deleted occurrences in the window, from its instances there. */
  async function overridesOf(series: ProviderEvent): Promise<EventOverride[]> {
    const { start, end } = options.window();
    const rows: GraphEvent[] = [];
    let path: string | null =
      `${eventPath(series.id)}/instances?startDateTime=${start.toISOString()}&endDateTime=${end.toISOString()}`;
    for (let page = 0; path !== null && page < maxPages; page += 1) {
      let body: GraphEventPage;
      try {
        body = await http.get<GraphEventPage>(path, { Prefer: PREFER });
      } catch (error) {
        if (isGone(error)) return [];
        throw error;
      }
      rows.push(...body.value);
      const next = body['@odata.nextLink'];
      path = next ? http.pathOfLink(next) : null;
    }
    const zone = 'timeZone' in series.start ? series.start.timeZone : 'UTC';
    const first = 'date' in series.start ? series.start.date : series.start.dateTime;
    const expected =
      series.recurrence === null
        ? null
        : seriesOccurrenceStarts(series.recurrence, first, zone, { from: start, to: end });
    return overridesFromInstances(series, rows, expected, mapping);
  }

  async function deltaPage(path: string): Promise<GraphDeltaPage> {
    try {
      return await http.get<GraphDeltaPage>(path, {
        Prefer: `${PREFER}, odata.maxpagesize=${pageSize}`,
      });
    } catch (error) {
      if (isExpiredSyncState(error)) {
        throw new InvalidCursorError(
          `Microsoft Graph no longer knows this delta token: ${String(error)}`,
        );
      }
      throw error;
    }
  }

  function cursorPath(cursor: string): string {
    const path = http.pathOfLink(cursor);
    // Only a deltaLink Graph gave us: following any other URL would send it our token.
    if (path === null || !/\/calendarview\/delta\?/i.test(path)) {
      throw new InvalidCursorError(
        'Not a Microsoft Graph calendarView deltaLink of this connection',
      );
    }
    return path;
  }

  function initialPath(): string {
    const { start, end } = options.window();
    return `${calendarPath}/calendarView/delta?startDateTime=${start.toISOString()}&endDateTime=${end.toISOString()}`;
  }

  /** Every page of one round: the rows, and the deltaLink that ends it. */
  async function readRound(
    firstPath: string,
  ): Promise<{ rows: GraphDeltaItem[]; deltaLink: string }> {
    const rows: GraphDeltaItem[] = [];
    let path = firstPath;
    for (let page = 0; page < maxPages; page += 1) {
      const body = await deltaPage(path);
      rows.push(...body.value);
      const deltaLink = body['@odata.deltaLink'];
      if (deltaLink) return { rows, deltaLink };
      const nextLink = body['@odata.nextLink'];
      const nextPath = nextLink ? http.pathOfLink(nextLink) : null;
      if (nextPath === null) {
        throw new ProviderRequestError(
          'Microsoft Graph sent a delta page without a usable link',
          502,
        );
      }
      path = nextPath;
    }
    throw new ProviderRequestError(
      `Microsoft Graph delta did not end within ${maxPages} pages`,
      502,
    );
  }

  /** The rows of a round as our events: one per single event or series, with our properties. */
  async function resolveRows(rows: GraphDeltaItem[]): Promise<Omit<PullResult, 'cursor'>> {
    const wanted = new Set<string>();
    for (const row of rows) {
      // A calendar view lists a series as its occurrences and exceptions, each pointing at the
      // series master: the series is what we sync, fetched once however many rows point at it.
      if (
        !row['@removed'] &&
        (row.type === 'occurrence' || row.type === 'exception') &&
        row.seriesMasterId
      ) {
        wanted.add(row.seriesMasterId);
      } else {
        // `@removed` also means "left the window" (moved to another year): the GET below tells
        // a deleted event (404) from a moved one, which is a change. Removed occurrence ids of
        // a series answer 404 too; the sync engine does not know them and ignores them.
        wanted.add(row.id);
      }
    }
    const ids = [...wanted];
    const changed: ProviderEvent[] = [];
    const deleted: string[] = [];
    for (let offset = 0; offset < ids.length; offset += FETCH_CONCURRENCY) {
      const batch = ids.slice(offset, offset + FETCH_CONCURRENCY);
      const events = await Promise.all(batch.map((id) => getEvent(id)));
      events.forEach((event, index) => {
        const id = batch[index];
        if (event) changed.push(event);
        else if (id) deleted.push(id);
      });
    }
    return { changed, deleted };
  }

  /** After a create: the event with our properties (a POST answer does not expand them). */
  async function withProperties(event: GraphEvent): Promise<ProviderEvent> {
    if (event.singleValueExtendedProperties) return fromGraphEvent(event, mapping);
    const fetched = await getEvent(event.id);
    if (!fetched)
      throw new ProviderRequestError(`Event ${event.id} vanished right after its creation`, 404);
    return fetched;
  }

  return {
    name: 'MICROSOFT',

    async pullChanges(cursor: string | null): Promise<PullResult> {
      const { rows, deltaLink } = await readRound(
        cursor === null ? initialPath() : cursorPath(cursor),
      );
      return { ...(await resolveRows(rows)), cursor: deltaLink };
    },

    getEvent,

    async createEvent(input: EventInput, key: string): Promise<ProviderEvent> {
      // transactionId makes Graph answer a repeated POST with the event the first one made.
      const body = { ...toGraphEvent(input, mapping), transactionId: transactionIdFor(key) };
      const created = await http.post<GraphEvent>(`${calendarPath}/events`, body, {
        Prefer: PREFER,
      });
      return withProperties(created);
    },

    async updateEvent(id: string, input: EventInput, etag: string): Promise<ProviderEvent> {
      const body = toGraphEvent(input, mapping);
      const updated = await http.patch<GraphEvent>(eventPath(id), body, {
        Prefer: PREFER,
        'If-Match': etag,
      });
      // The PATCH answer is the whole event but without extended properties; this PATCH just
      // wrote them, so they hold what we sent.
      return fromGraphEvent(
        { ...updated, singleValueExtendedProperties: body.singleValueExtendedProperties },
        mapping,
      );
    },

    async deleteEvent(id: string, etag: string | null): Promise<void> {
      try {
        await http.delete(eventPath(id), etag ? { 'If-Match': etag } : {});
      } catch (error) {
        if (isGone(error)) return;
        throw error;
      }
    },

    subscribe(subscription: SubscribeOptions): Promise<GraphSubscription> {
      return http.post<GraphSubscription>('/subscriptions', {
        changeType: 'created,updated,deleted',
        notificationUrl: subscription.notificationUrl,
        resource: `me/calendars/${encodeURIComponent(options.calendarId)}/events`,
        expirationDateTime: subscription.expiresAt.toISOString(),
        clientState: subscription.clientState,
      });
    },

    async unsubscribe(subscriptionId: string): Promise<void> {
      try {
        await http.delete(`/subscriptions/${encodeURIComponent(subscriptionId)}`);
      } catch (error) {
        if (isGone(error)) return;
        throw error;
      }
    },
  };
}
