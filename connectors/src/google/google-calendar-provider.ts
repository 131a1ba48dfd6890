import { calendar, type calendar_v3, type MethodOptions } from '@googleapis/calendar';
import {
  type CalendarProvider,
  type EventInput,
  InvalidCursorError,
  PreconditionFailedError,
  ProviderAuthError,
  type ProviderEvent,
  ProviderRequestError,
  type PullResult,
} from '../calendar-provider.js';
import {
  eventIdForKey,
  type GoogleEvent,
  holdsInput,
  toEventOverride,
  toGoogleEvent,
  toProviderEvent,
} from './google-event-mapping.js';
import {
  type AttemptCounter,
  createSendWithRetry,
  GoogleResponseError,
  type GoogleRetryOptions,
} from './google-request-retry.js';

/**
 * The Google Calendar v3 adapter behind `CalendarProvider`, on the googleapis client
 * (`@googleapis/calendar`). Google's quirks stay here and in the two modules beside it
 * (mapping, retries), each with a comment naming it.
 */

export interface GoogleCalendarProviderOptions {
  /** API root (default Google's); tests give the fake's `url`. */
  rootUrl?: string;
  /** An OAuth access token, asked for before every attempt so a refreshed one is used. */
  accessToken: () => Promise<string>;
  calendarId: string;
  retry?: GoogleRetryOptions;
  /** Events per page of a listing (`maxResults`, Google allows 1 to 2500; default 250). */
  pageSize?: number;
  /** The most pages one pull reads before giving up (default 1000). */
  maxPages?: number;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  /**
   * Aborts every request of this provider, the one in flight included (a sync's deadline): the
   * call rejects with the signal's reason.
   */
  signal?: AbortSignal;
}

/** A push notification channel (events.watch): Google posts to `address` when events change. */
export interface GoogleWatchOptions {
  /** Our id of the channel (a UUID), echoed as X-Goog-Channel-ID. */
  channelId: string;
  /** An https URL Google can reach (Google refuses others). */
  address: string;
  /** A secret echoed as X-Goog-Channel-Token, to tell our channels from forged posts. */
  token: string;
  /** Google caps a channel's life (a week for events); it may expire earlier than asked. */
  expiresAt: Date;
}

export interface GoogleWatchChannel {
  channelId: string;
  /** Google's id of the watched resource, needed to stop the channel. */
  resourceId: string;
  expiresAt: Date;
}

export interface GoogleCalendarProvider extends CalendarProvider {
  readonly name: 'GOOGLE';
  watch(options: GoogleWatchOptions): Promise<GoogleWatchChannel>;
  /** Stops a channel; one Google no longer knows is already stopped. */
  stopWatch(channel: { channelId: string; resourceId: string }): Promise<void>;
}

export const GOOGLE_ROOT_URL = 'https://www.googleapis.com/';

function hasStatus(error: unknown, ...statuses: number[]): error is GoogleResponseError {
  return error instanceof GoogleResponseError && statuses.includes(error.status);
}

/** The typed error the sync engine expects for an answer no operation handled itself. */
function providerError(error: unknown): unknown {
  if (!(error instanceof GoogleResponseError)) return error;
  if (error.status === 401) return new ProviderAuthError(error.message);
  if (error.status === 412) return new PreconditionFailedError(error.message);
  return new ProviderRequestError(error.message, error.status);
}

/**
 * Quirk: an expired or unknown sync token is 410 `fullSyncRequired`; some malformed ones have
 * been reported as 400 on the `syncToken` parameter. Both mean: list everything again.
 */
function isRefusedSyncToken(error: unknown): boolean {
  return hasStatus(error, 410) || (hasStatus(error, 400) && error.location === 'syncToken');
}

function readable(event: GoogleEvent): ProviderEvent {
  const mapped = toProviderEvent(event);
  if (!mapped)
    throw new ProviderRequestError(`Google returned an unreadable event ${event.id}`, 200);
  return mapped;
}

export function createGoogleCalendarProvider(
  options: GoogleCalendarProviderOptions,
): GoogleCalendarProvider {
  const { calendarId } = options;
  const pageSize = options.pageSize ?? 250;
  const maxPages = options.maxPages ?? 1000;
  // googleapis retries by default (gaxios, 3 times, no jitter, no 403 rate limits): off, ours
  // below does it. Auth goes in a header per request, so no google-auth-library client.
  const api = calendar({
    version: 'v3',
    rootUrl: options.rootUrl ?? GOOGLE_ROOT_URL,
    retry: false,
    timeout: options.timeoutMs ?? 30_000,
  });
  const { signal } = options;
  const send = createSendWithRetry(options.retry, signal);

  async function requestOptions(headers: Record<string, string> = {}): Promise<MethodOptions> {
    return {
      headers: { ...headers, Authorization: `Bearer ${await options.accessToken()}` },
      ...(signal ? { signal } : {}),
    };
  }

  /** The stored resource, `status: 'cancelled'` included; null when Google has none. */
  async function fetchEvent(id: string): Promise<GoogleEvent | null> {
    try {
      const response = await send(async () =>
        api.events.get({ calendarId, eventId: id }, await requestOptions()),
      );
      return response.data;
    } catch (error) {
      if (hasStatus(error, 404, 410)) return null;
      throw providerError(error);
    }
  }

  async function listPage(cursor: string | null, pageToken: string | null) {
    // Google wants the parameters of the first listing repeated with the token, and refuses
    // time bounds, ordering or filters next to `syncToken` (400); none are sent.
    const params: calendar_v3.Params$Resource$Events$List = {
      calendarId,
      maxResults: pageSize,
      showDeleted: true,
      singleEvents: false,
    };
    if (cursor !== null) params.syncToken = cursor;
    if (pageToken !== null) params.pageToken = pageToken;
    try {
      const response = await send(async () => api.events.list(params, await requestOptions()));
      return response.data;
    } catch (error) {
      if (cursor !== null && isRefusedSyncToken(error)) {
        throw new InvalidCursorError('Google no longer accepts this sync token: pull from null');
      }
      throw providerError(error);
    }
  }

  /**
   * The exception instances of a series (moved, renamed or cancelled occurrences). They share
   * the series' iCalUID, so a listing by iCalUID answers them with the series in one request.
   */
  async function exceptionsOf(master: GoogleEvent): Promise<GoogleEvent[]> {
    if (!master.iCalUID) return [];
    const found: GoogleEvent[] = [];
    let pageToken: string | undefined;
    for (let page = 0; page < maxPages; page += 1) {
      const params: calendar_v3.Params$Resource$Events$List = {
        calendarId,
        iCalUID: master.iCalUID,
        maxResults: pageSize,
        showDeleted: true,
        singleEvents: false,
        ...(pageToken ? { pageToken } : {}),
      };
      let data: calendar_v3.Schema$Events;
      try {
        data = (await send(async () => api.events.list(params, await requestOptions()))).data;
      } catch (error) {
        throw providerError(error);
      }
      found.push(...(data.items ?? []).filter((item) => item.recurringEventId === master.id));
      if (!data.nextPageToken || data.nextPageToken === pageToken) return found;
      pageToken = data.nextPageToken;
    }
    return found;
  }

  /** A series with its overrides: from `exceptions` when given, else asked for. */
  async function withOverrides(
    master: GoogleEvent,
    exceptions?: GoogleEvent[],
  ): Promise<ProviderEvent | null> {
    const event = toProviderEvent(master);
    if (!event || event.recurrence === null) return event;
    const overrides = (exceptions ?? (await exceptionsOf(master)))
      .map((instance) => toEventOverride(instance, event.summary))
      .filter((override) => override !== null)
      .sort((a, b) => a.originalStart.localeCompare(b.originalStart));
    return { ...event, overrides };
  }

  async function pullChanges(cursor: string | null): Promise<PullResult> {
    const masters = new Map<string, GoogleEvent>();
    const deleted = new Set<string>();
    const exceptions = new Map<string, GoogleEvent[]>();
    let pageToken: string | null = null;
    for (let page = 0; page < maxPages; page += 1) {
      const data: calendar_v3.Schema$Events = await listPage(cursor, pageToken);
      for (const item of data.items ?? []) {
        if (!item.id) continue;
        // Quirk: with `singleEvents: false` a moved or cancelled occurrence of a series comes as
        // its own event with `recurringEventId` (a deleted occurrence with `status: 'cancelled'`,
        // which deletes no event): it is an override of its series.
        if (item.recurringEventId) {
          const series = exceptions.get(item.recurringEventId) ?? [];
          exceptions.set(item.recurringEventId, [...series, item]);
          continue;
        }
        // Quirk: deletions arrive as `status: 'cancelled'`, with only the id guaranteed.
        if (item.status === 'cancelled') {
          masters.delete(item.id);
          deleted.add(item.id);
          continue;
        }
        deleted.delete(item.id);
        masters.set(item.id, item);
      }
      // Quirk: only the last page carries `nextSyncToken`; the others carry `nextPageToken`.
      if (data.nextPageToken) {
        if (data.nextPageToken === pageToken) {
          throw new ProviderRequestError('Google repeated a page token', 200);
        }
        pageToken = data.nextPageToken;
        continue;
      }
      if (!data.nextSyncToken) {
        throw new ProviderRequestError('Google ended a listing without a nextSyncToken', 200);
      }
      // An incremental listing holds only what changed: a series whose occurrence alone changed
      // is not in it, and a changed series comes without its unchanged exceptions.
      if (cursor !== null) {
        for (const seriesId of exceptions.keys()) {
          if (masters.has(seriesId) || deleted.has(seriesId)) continue;
          const master = await fetchEvent(seriesId);
          if (master && master.status !== 'cancelled') masters.set(seriesId, master);
        }
      }
      const changed: ProviderEvent[] = [];
      for (const master of masters.values()) {
        const known = cursor === null ? (exceptions.get(master.id as string) ?? []) : undefined;
        const event = await withOverrides(master, known);
        if (event) changed.push(event);
      }
      return { changed, deleted: [...deleted], cursor: data.nextSyncToken };
    }
    throw new ProviderRequestError(`A listing of more than ${maxPages} pages was cut short`, 200);
  }

  async function getEvent(id: string): Promise<ProviderEvent | null> {
    const event = await fetchEvent(id);
    // Quirk: events.get still answers 200 for a deleted event, with `status: 'cancelled'`.
    if (!event || event.status === 'cancelled') return null;
    return withOverrides(event);
  }

  async function createEvent(input: EventInput, key: string): Promise<ProviderEvent> {
    const id = eventIdForKey(calendarId, key);
    const requestBody: GoogleEvent = { ...toGoogleEvent(input, null), id };
    try {
      const response = await send(async () =>
        api.events.insert({ calendarId, requestBody }, await requestOptions()),
      );
      return readable(response.data);
    } catch (error) {
      if (!hasStatus(error, 409)) throw providerError(error);
    }
    // 409 `duplicate`: an earlier attempt with this key created the event (its answer was lost,
    // or this is a retry after a crash): that event is the result.
    const existing = await fetchEvent(id);
    if (!existing) throw new ProviderRequestError(`Google reported ${id} taken but has none`, 409);
    // Quirk: a deleted event keeps its id (insert answers 409 for ever), so a create retried
    // after someone deleted the event cannot succeed; the event is gone, which pulls will report.
    if (existing.status === 'cancelled') {
      throw new ProviderRequestError(`The event created for this key (${id}) was deleted`, 409);
    }
    return readable(existing);
  }

  async function updateEvent(id: string, input: EventInput, etag: string): Promise<ProviderEvent> {
    // PUT replaces the whole resource: start from the stored one so fields we do not map
    // survive (mapping). Its etag also tells early whether our version is stale.
    const current = await fetchEvent(id);
    if (!current) throw new ProviderRequestError(`Event ${id} not found`, 404);
    if (current.status === 'cancelled' || current.etag !== etag) {
      throw new PreconditionFailedError(`Event ${id} changed since version ${etag}`);
    }
    const requestBody = toGoogleEvent(input, current);
    const attempts: AttemptCounter = { count: 0 };
    try {
      const response = await send(
        async () =>
          api.events.update(
            { calendarId, eventId: id, requestBody },
            await requestOptions({ 'If-Match': etag }),
          ),
        attempts,
      );
      return readable(response.data);
    } catch (error) {
      if (!hasStatus(error, 412)) throw providerError(error);
      // A 412 on a retry may be our own first attempt, which landed but whose answer was lost.
      if (attempts.count > 1) {
        const now = await getEvent(id);
        if (now && holdsInput(now, input)) return now;
      }
      throw new PreconditionFailedError(`Event ${id} changed since version ${etag}`);
    }
  }

  async function deleteEvent(id: string, etag: string | null): Promise<void> {
    try {
      await send(async () =>
        api.events.delete(
          { calendarId, eventId: id },
          await requestOptions(etag === null ? {} : { 'If-Match': etag }),
        ),
      );
    } catch (error) {
      // Quirk: deleting again answers 410 `deleted` (404 once Google purged it): already done.
      if (hasStatus(error, 404, 410)) return;
      throw providerError(error);
    }
  }

  async function watch(watchOptions: GoogleWatchOptions): Promise<GoogleWatchChannel> {
    const requestBody: calendar_v3.Schema$Channel = {
      id: watchOptions.channelId,
      type: 'web_hook',
      address: watchOptions.address,
      token: watchOptions.token,
      expiration: String(watchOptions.expiresAt.getTime()),
    };
    try {
      const response = await send(async () =>
        api.events.watch({ calendarId, requestBody }, await requestOptions()),
      );
      const { resourceId, expiration } = response.data;
      if (!resourceId)
        throw new ProviderRequestError('Google opened a channel without a resourceId', 200);
      const expires = Number(expiration);
      return {
        channelId: watchOptions.channelId,
        resourceId,
        expiresAt: Number.isFinite(expires) ? new Date(expires) : watchOptions.expiresAt,
      };
    } catch (error) {
      throw providerError(error);
    }
  }

  async function stopWatch(channel: { channelId: string; resourceId: string }): Promise<void> {
    try {
      await send(async () =>
        api.channels.stop(
          { requestBody: { id: channel.channelId, resourceId: channel.resourceId } },
          await requestOptions(),
        ),
      );
    } catch (error) {
      if (hasStatus(error, 404, 410)) return;
      throw providerError(error);
    }
  }

  return {
    name: 'GOOGLE',
    pullChanges,
    getEvent,
    createEvent,
    updateEvent,
    deleteEvent,
    watch,
    stopWatch,
  };
}
