import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeGoogleCalendarStore, type ListQuery } from './fake-google-calendar-store.js';
import {
  faultBody,
  GoogleApiError,
  invalidCredentials,
  notFound,
  rateLimitBody,
} from './fake-google-errors.js';
import { type GoogleEvent, isJsonObject, type JsonObject } from './fake-google-event-resource.js';
import {
  FakeWatchChannels,
  type ResourceState,
  type WatchChannel,
  type WatchDelivery,
} from './fake-google-watch-channels.js';

/**
 * A fake Google Calendar API v3 over HTTP, for tests and local demos: the part of
 * `/calendar/v3/calendars/{calendarId}/events` the Google adapter uses, answering the way the
 * real API does (bearer token, etags and If-Match, sync tokens, paging, 409/410/412, rate limits,
 * push channels), with an injectable clock, scriptable faults and a view of what it stores.
 * Point `@googleapis/calendar` at it with `calendar({ version: 'v3', rootUrl: fake.url })`.
 */

export interface FakeGoogleCalendarOptions {
  /** The calendar's id; `primary` names it too. */
  calendarId?: string;
  /** The bearer token accepted; any other is answered 401. */
  token?: string;
  /** Accepts other bearer tokens too (e.g. those a fake OAuth server issued and still holds live). */
  acceptToken?: (token: string) => boolean;
  /** The calendar's time zone, in which Google renders `dateTime` values. */
  timeZone?: string;
  /** Time of `created`/`updated` and of channel expiry. */
  clock?: () => Date;
}

/** A scripted failure of the next matching request(s). */
export interface FakeFault {
  /** Status to answer (default 503), with a Google-shaped body unless `body` is given. */
  status?: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Apply the request first (the write lands), then fail its response: a lost response. */
  afterApplying?: boolean;
  /** Destroy the connection instead of answering. */
  resetConnection?: boolean;
  /** Only requests with this method (GET, POST, PUT, PATCH, DELETE). */
  method?: string;
  /** Only requests whose path contains this. */
  pathIncludes?: string;
}

export interface RateLimitFault {
  /** 403 (Google's usual answer) or 429. */
  status?: 403 | 429;
  /** `rateLimitExceeded` (default) or `userRateLimitExceeded`. */
  reason?: string;
  retryAfterSeconds?: number;
  method?: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** The query string, `?` included (empty when none). */
  query: string;
  ifMatch: string | null;
}

export interface FakeGoogleCalendar {
  /** The `rootUrl` to give the googleapis client (ends with `/`). */
  url: string;
  token: string;
  calendarId: string;
  close(): Promise<void>;
  /** What the calendar holds, deleted events included (`status: 'cancelled'`). */
  events(): GoogleEvent[];
  /** Stores an event as another client would have made it (no validation, no marker). */
  seedEvent(event: GoogleEvent): GoogleEvent;
  /**
   * One occurrence of a series edited in Google Calendar: an exception instance with the
   * series' fields and `change` over them (new times as instants, kept in the series' zone),
   * or the occurrence deleted (`'cancel'`).
   */
  editOccurrence(
    seriesId: string,
    originalStart: string,
    change: { summary: string; start: string; end: string } | 'cancel',
  ): GoogleEvent;
  failNext(count: number, fault?: FakeFault): void;
  rateLimitNext(count: number, fault?: RateLimitFault): void;
  /** Every sync token handed out so far now answers 410 `fullSyncRequired`. */
  expireSyncTokens(): void;
  requestCount(): number;
  requests(): RecordedRequest[];
  channels(): WatchChannel[];
  /** Posts a notification to every open channel's webhook, as Google does after a change. */
  notifyWatchers(state?: ResourceState): Promise<WatchDelivery[]>;
  deliveries(): WatchDelivery[];
}

const EVENTS_PATH = /^\/calendar\/v3\/calendars\/([^/]+)\/events(?:\/([^/]+))?$/;
const MAX_BODY_BYTES = 1_000_000;
const MAX_REQUESTS_KEPT = 1_000;

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

interface QueuedFault {
  fault: FakeFault;
  remaining: number;
}

function readBody(request: IncomingMessage): Promise<JsonObject> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('error', reject);
    request.on('end', () => {
      if (size > MAX_BODY_BYTES)
        return reject(new GoogleApiError(413, 'uploadTooLarge', 'Too large'));
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve({});
      try {
        const parsed: unknown = JSON.parse(text);
        if (isJsonObject(parsed)) return resolve(parsed);
      } catch {
        // Not JSON: answered below like any body that is not an object.
      }
      reject(new GoogleApiError(400, 'parseError', 'Parse Error'));
    });
  });
}

function parseListQuery(params: URLSearchParams): ListQuery {
  const flag = (name: string) => {
    const value = params.get(name);
    return value === null ? null : value === 'true';
  };
  const text = (name: string) => params.get(name);
  const maxResults = params.get('maxResults');
  return {
    syncToken: text('syncToken'),
    pageToken: text('pageToken'),
    maxResults: maxResults === null ? 250 : Number(maxResults),
    showDeleted: flag('showDeleted'),
    singleEvents: flag('singleEvents') ?? false,
    timeMin: text('timeMin'),
    timeMax: text('timeMax'),
    orderBy: text('orderBy'),
    updatedMin: text('updatedMin'),
    q: text('q'),
    iCalUID: text('iCalUID'),
    privateExtendedProperty: params.getAll('privateExtendedProperty'),
    sharedExtendedProperty: params.getAll('sharedExtendedProperty'),
  };
}

export async function startFakeGoogleCalendar(
  options: FakeGoogleCalendarOptions = {},
): Promise<FakeGoogleCalendar> {
  const calendarId = options.calendarId ?? 'bridge-test@group.calendar.google.com';
  const token = options.token ?? `ya29.fake-${randomBytes(12).toString('hex')}`;
  const isAuthorized = (header: string | undefined) =>
    header === `Bearer ${token}` ||
    (header?.startsWith('Bearer ') === true &&
      options.acceptToken?.(header.slice('Bearer '.length)) === true);
  const clock = options.clock ?? (() => new Date());
  const store = new FakeGoogleCalendarStore({
    calendarId,
    timeZone: options.timeZone ?? 'America/New_York',
    clock,
  });
  const faults: QueuedFault[] = [];
  const recorded: RecordedRequest[] = [];
  let requestCount = 0;
  let resourceUri = '';
  const channels = new FakeWatchChannels(clock, () => resourceUri);

  function takeFault(method: string, path: string): FakeFault | null {
    const index = faults.findIndex(
      ({ fault }) =>
        (!fault.method || fault.method.toUpperCase() === method) &&
        (!fault.pathIncludes || path.includes(fault.pathIncludes)),
    );
    const queued = faults[index];
    if (!queued) return null;
    queued.remaining -= 1;
    if (queued.remaining <= 0) faults.splice(index, 1);
    return queued.fault;
  }

  async function route(request: IncomingMessage, url: URL): Promise<Reply> {
    const method = request.method ?? 'GET';
    if (url.pathname === '/calendar/v3/channels/stop' && method === 'POST') {
      channels.stop(await readBody(request));
      return { status: 204 };
    }
    const match = EVENTS_PATH.exec(url.pathname);
    if (!match) throw notFound();
    const calendar = decodeURIComponent(match[1] ?? '');
    if (calendar !== calendarId && calendar !== 'primary') throw notFound();
    const eventId = match[2] === undefined ? null : decodeURIComponent(match[2]);
    const ifMatch = request.headers['if-match'] ?? null;
    if (eventId === 'watch' && method === 'POST') {
      return { status: 200, body: channels.open(await readBody(request)) };
    }
    if (eventId === null) {
      if (method === 'GET')
        return { status: 200, body: store.list(parseListQuery(url.searchParams)) };
      if (method === 'POST') return { status: 200, body: store.insert(await readBody(request)) };
    } else {
      if (method === 'GET') return { status: 200, body: store.get(eventId) };
      if (method === 'PUT') {
        return { status: 200, body: store.update(eventId, await readBody(request), ifMatch) };
      }
      if (method === 'PATCH') {
        return { status: 200, body: store.patch(eventId, await readBody(request), ifMatch) };
      }
      if (method === 'DELETE') {
        store.delete(eventId, ifMatch);
        return { status: 204 };
      }
    }
    throw new GoogleApiError(405, 'httpMethodNotAllowed', `Method ${method} not allowed`);
  }

  function send(response: ServerResponse, reply: Reply): void {
    const headers: Record<string, string> = { ...reply.headers };
    if (reply.body === undefined) {
      response.writeHead(reply.status, headers).end();
      return;
    }
    headers['Content-Type'] = 'application/json; charset=UTF-8';
    response.writeHead(reply.status, headers).end(JSON.stringify(reply.body));
  }

  function failWith(request: IncomingMessage, response: ServerResponse, fault: FakeFault): void {
    if (fault.resetConnection) {
      request.socket.destroy();
      return;
    }
    const status = fault.status ?? 503;
    send(response, { status, body: fault.body ?? faultBody(status), headers: fault.headers ?? {} });
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const method = request.method ?? 'GET';
    requestCount += 1;
    const ifMatch = request.headers['if-match'] ?? null;
    recorded.push({ method, path: url.pathname, query: url.search, ifMatch });
    if (recorded.length > MAX_REQUESTS_KEPT) recorded.shift();
    const fault = takeFault(method, url.pathname);
    if (fault && !fault.afterApplying) return failWith(request, response, fault);
    let reply: Reply;
    try {
      if (!isAuthorized(request.headers.authorization)) throw invalidCredentials();
      reply = await route(request, url);
    } catch (error) {
      if (!(error instanceof GoogleApiError)) throw error;
      const headers: Record<string, string> =
        error.status === 401
          ? { 'WWW-Authenticate': 'Bearer realm="https://accounts.google.com/"' }
          : {};
      reply = { status: error.status, body: error.toBody(), headers };
    }
    if (fault) return failWith(request, response, fault);
    send(response, reply);
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      // A bug in the fake: answer 500 and keep the stack for the test output.
      console.error('fake Google Calendar failed:', error);
      if (!response.headersSent) send(response, { status: 500, body: faultBody(500) });
      else response.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}/`;
  resourceUri = `${url}calendar/v3/calendars/${encodeURIComponent(calendarId)}/events?alt=json`;

  return {
    url,
    token,
    calendarId,
    async close() {
      await channels.settled();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
    events: () => store.all(),
    seedEvent: (event) => store.seed(event),
    editOccurrence(seriesId, originalStart, change) {
      // Quirk: an instance's id is the series id, `_`, and its original start in UTC basic form;
      // a deleted occurrence stays as a cancelled instance (Google guarantees only the id,
      // `recurringEventId` and `originalStartTime` of it).
      const series = store.get(seriesId);
      const compact = new Date(originalStart).toISOString().replace(/[-:]|\.\d{3}/g, '');
      const zone = series.start?.timeZone;
      const originalStartTime = { dateTime: originalStart, ...(zone ? { timeZone: zone } : {}) };
      const instance = {
        id: `${seriesId}_${compact}`,
        recurringEventId: seriesId,
        originalStartTime,
      };
      if (change === 'cancel') return store.seed({ ...instance, status: 'cancelled' });
      const { id: _id, etag: _etag, recurrence: _recurrence, ...fields } = series;
      const at = (instant: string) => ({ ...originalStartTime, dateTime: instant });
      return store.seed({
        ...fields,
        ...instance,
        summary: change.summary,
        start: at(change.start),
        end: at(change.end),
      });
    },
    failNext(count, fault = {}) {
      if (count > 0) faults.push({ fault, remaining: count });
    },
    rateLimitNext(count, fault = {}) {
      const status = fault.status ?? 403;
      const headers: Record<string, string> =
        fault.retryAfterSeconds === undefined
          ? {}
          : { 'Retry-After': String(fault.retryAfterSeconds) };
      const queued: FakeFault = {
        status,
        body: rateLimitBody(status, fault.reason ?? 'rateLimitExceeded'),
        headers,
      };
      if (fault.method) queued.method = fault.method;
      if (count > 0) faults.push({ fault: queued, remaining: count });
    },
    expireSyncTokens: () => store.expireSyncTokens(),
    requestCount: () => requestCount,
    requests: () => [...recorded],
    channels: () => channels.list(),
    notifyWatchers: (state = 'exists') => channels.notify(state),
    deliveries: () => channels.deliveries(),
  };
}
