/**
 * A Microsoft Graph v1.0 calendar over HTTP, for tests: the subset the Graph adapter uses,
 * answering with Graph's status codes, error bodies and quirks.
 *
 * Routes (`/me/...` is also served under `/me/calendars/{id}/...`):
 * - POST /v1.0/me/calendars/{id}/events: create; a second POST with the same `transactionId`
 *   answers the event the first one made (while it exists).
 * - GET/PATCH/DELETE /v1.0/me/calendars/{id}/events/{eventId}: `If-Match` with a stale
 *   `@odata.etag` → 412; `$expand=singleValueExtendedProperties($filter=id eq '…' or …)`.
 * - GET /v1.0/me/calendars/{id}/calendarView/delta: see fake-graph-delta.ts.
 * - POST /v1.0/subscriptions, DELETE /v1.0/subscriptions/{id}: see fake-graph-subscriptions.ts.
 * Every request needs `Authorization: Bearer {token}` (401 otherwise). `Prefer:
 * outlook.timezone`, `outlook.body-content-type` and `odata.maxpagesize` are honoured.
 */

import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DateTime } from 'luxon';
import { FakeGraphDelta, FakeGraphGone, windowOf } from './fake-graph-delta.js';
import {
  applyWrite,
  FakeGraphBadRequest,
  type FakeGraphEvent,
  graphInstant,
  type JsonObject,
  newChangeKey,
  newEventId,
  type RenderPreferences,
  renderEvent,
  renderOccurrences,
} from './fake-graph-events.js';
import { type Occurrence, occurrencesInWindow } from './fake-graph-occurrences.js';
import { type FakeGraphDelivery, FakeGraphSubscriptions } from './fake-graph-subscriptions.js';
import type { GraphDateTimeTimeZone, GraphSubscription } from './graph-wire.js';

export type { FakeGraphEvent } from './fake-graph-events.js';
export type { FakeGraphDelivery } from './fake-graph-subscriptions.js';

export interface FakeGraphCalendarOptions {
  /** The bearer token the fake accepts (random by default). */
  token?: string;
  /** Accepts other bearer tokens too (e.g. those a fake OAuth server issued and still holds live). */
  acceptToken?: (token: string) => boolean;
  calendarId?: string;
  /** Drives lastModifiedDateTime and subscription expiry. */
  clock?: () => Date;
  /** Delta rows per page when the client sends no `Prefer: odata.maxpagesize` (default 10). */
  pageSize?: number;
  /** Deletions remembered for delta; older delta tokens then answer 410 (default 10,000). */
  maxTombstones?: number;
}

/** A scripted answer to the next matching request. */
export interface FakeGraphFault {
  /** Answer this status with a Graph error body instead of serving the request. */
  status?: number;
  code?: string;
  retryAfterSeconds?: number;
  /** Serve the request, then cut the connection before answering: a lost response. */
  dropResponse?: boolean;
  /** Only requests with this method (GET, POST, …). */
  method?: string;
  /** Only requests whose path and query contain this. */
  pathIncludes?: string;
}

export interface FakeGraphCalendar {
  /** The origin to give the adapter as `baseUrl` (the fake serves `/v1.0/...` under it). */
  url: string;
  token: string;
  calendarId: string;
  close(): Promise<void>;
  /** Stored events: times in the zone they were written in. Copies. */
  events(): FakeGraphEvent[];
  event(id: string): FakeGraphEvent | undefined;
  /** An event made by a person in Outlook (no transactionId, no properties unless given). */
  insertEvent(body: JsonObject): FakeGraphEvent;
  /** An edit made in Outlook: new etag and lastModifiedDateTime, visible to delta. */
  editEvent(id: string, body: JsonObject): FakeGraphEvent;
  /** A deletion made in Outlook. */
  removeEvent(id: string): void;
  /**
   * One occurrence of a series (the one the pattern starts at `originalStart`, an instant)
   * edited in Outlook (new subject and times, instants), which makes it an exception, or deleted
   * (`'cancel'`). Over HTTP: PATCH or DELETE /events/{series id}_{yyyyMMdd}.
   */
  editOccurrence(
    seriesId: string,
    originalStart: string,
    change: { summary: string; start: string; end: string } | 'cancel',
  ): void;
  /** Forgets every delta and skip token: the next use answers 410 SyncStateNotFound. */
  expireDeltaTokens(): void;
  failNext(fault: FakeGraphFault, times?: number): void;
  requestCount(): number;
  /** The last requests (method and path with query), oldest first. */
  requests(): { method: string; path: string }[];
  subscriptions(): GraphSubscription[];
  deliveries(): FakeGraphDelivery[];
  /** Waits until notifications under way are delivered. */
  settled(): Promise<void>;
}

interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

class NotFound extends Error {}
class Conflict extends Error {}

const MAX_BODY_BYTES = 1_000_000;
const MAX_REQUESTS_LOGGED = 10_000;
/** Occurrences one `instances` listing answers at most. */
const MAX_INSTANCES = 1000;

function errorAnswer(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
): Answer {
  const innerError = {
    date: new Date().toISOString(),
    'request-id': randomBytes(8).toString('hex'),
  };
  return { status, body: { error: { code, message, innerError } }, headers };
}

function readPreferences(request: IncomingMessage): {
  render: RenderPreferences;
  maxPageSize: number | null;
} {
  const values = new Map<string, string>();
  const header = request.headers.prefer;
  for (const part of (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',')) {
    const [key, ...rest] = part.split('=');
    if (key?.trim())
      values.set(key.trim().toLowerCase(), rest.join('=').trim().replace(/^"|"$/g, ''));
  }
  const size = Number(values.get('odata.maxpagesize'));
  return {
    render: {
      timeZone: values.get('outlook.timezone') || 'UTC',
      textBody: values.get('outlook.body-content-type') === 'text',
    },
    maxPageSize: Number.isInteger(size) && size > 0 ? Math.min(size, 1000) : null,
  };
}

/** `singleValueExtendedProperties($filter=id eq 'a' or id eq 'b')` → ['a', 'b']. */
function expandedPropertyIds(expand: string | null): string[] | null {
  if (expand === null) return null;
  const match = /^singleValueExtendedProperties\(\$filter=(.+)\)$/i.exec(expand.trim());
  if (!match?.[1]) throw new FakeGraphBadRequest('BadRequest', `Unsupported $expand "${expand}"`);
  return match[1].split(/\s+or\s+/i).map((clause) => {
    const id = /^id eq '(.+)'$/i.exec(clause.trim())?.[1];
    if (!id) throw new FakeGraphBadRequest('BadRequest', `Unsupported $filter clause "${clause}"`);
    return id;
  });
}

async function readJson(request: IncomingMessage): Promise<JsonObject> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > MAX_BODY_BYTES)
      throw new FakeGraphBadRequest('RequestBodyTooLarge', 'Request body too large');
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new FakeGraphBadRequest('BadRequest', `Invalid JSON: ${String(error)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new FakeGraphBadRequest('BadRequest', 'The body must be a JSON object');
  }
  return parsed as JsonObject;
}

function copy(event: FakeGraphEvent): FakeGraphEvent {
  return structuredClone(event);
}

export async function startFakeGraphCalendar(
  options: FakeGraphCalendarOptions = {},
): Promise<FakeGraphCalendar> {
  const token = options.token ?? randomBytes(16).toString('hex');
  const calendarId = options.calendarId ?? `AAMkCalendar${randomBytes(6).toString('hex')}`;
  const clock = options.clock ?? (() => new Date());
  const maxTombstones = options.maxTombstones ?? 10_000;
  const store = new Map<string, FakeGraphEvent>();
  const transactions = new Map<string, string>();
  const tombstones: { id: string; calendarId: string; sequence: number }[] = [];
  const faults: { fault: FakeGraphFault; remaining: number }[] = [];
  const log: { method: string; path: string }[] = [];
  let requestTotal = 0;
  let sequence = 0;
  let oldestAnswerable = 0;
  let origin = '';

  const subscriptions = new FakeGraphSubscriptions(clock, new Set([calendarId]), calendarId);
  const delta = new FakeGraphDelta(
    {
      events: (calendar) => [...store.values()].filter((event) => event.calendarId === calendar),
      tombstones: (calendar) => tombstones.filter((tombstone) => tombstone.calendarId === calendar),
      currentSequence: () => sequence,
      oldestAnswerableSequence: () => oldestAnswerable,
    },
    () => origin,
  );

  function commit(event: FakeGraphEvent, changeType: 'created' | 'updated'): FakeGraphEvent {
    sequence += 1;
    event.sequence = sequence;
    event.changeKey = newChangeKey();
    event.lastModifiedDateTime = graphInstant(clock());
    store.set(event.id, event);
    subscriptions.notify(changeType, event);
    return event;
  }

  function create(calendar: string, body: JsonObject): FakeGraphEvent {
    if (body.start === undefined || body.end === undefined) {
      throw new FakeGraphBadRequest('ErrorInvalidRequest', 'An event needs a start and an end');
    }
    const transactionId = typeof body.transactionId === 'string' ? body.transactionId : null;
    const now = graphInstant(clock());
    const event: FakeGraphEvent = {
      id: newEventId(),
      calendarId: calendar,
      changeKey: '',
      createdDateTime: now,
      lastModifiedDateTime: now,
      subject: '',
      body: { contentType: 'text', content: '' },
      start: { dateTime: '', timeZone: 'UTC' },
      end: { dateTime: '', timeZone: 'UTC' },
      isAllDay: false,
      recurrence: null,
      importance: 'normal',
      categories: [],
      transactionId,
      singleValueExtendedProperties: [],
      occurrenceEdits: {},
      sequence: 0,
    };
    applyWrite(event, body);
    if (transactionId !== null) transactions.set(transactionId, event.id);
    return commit(event, 'created');
  }

  function find(calendar: string, id: string): FakeGraphEvent {
    const event = store.get(id);
    if (!event || event.calendarId !== calendar)
      throw new NotFound('The specified object was not found in the store.');
    return event;
  }

  function checkIfMatch(event: FakeGraphEvent, ifMatch: string | undefined): void {
    if (ifMatch !== undefined && ifMatch !== '*' && ifMatch !== `W/"${event.changeKey}"`) {
      throw new Conflict(
        'The change key passed in the request does not match the current change key for the item.',
      );
    }
  }

  function update(
    calendar: string,
    id: string,
    body: JsonObject,
    ifMatch?: string,
  ): FakeGraphEvent {
    const current = find(calendar, id);
    checkIfMatch(current, ifMatch);
    const next = copy(current);
    // transactionId is immutable once the event exists.
    const { transactionId: _ignored, ...fields } = body;
    applyWrite(next, fields);
    return commit(next, 'updated');
  }

  /** The series and occurrence an occurrence id (`{series id}_{yyyyMMdd}`) names, or null. */
  function occurrenceOf(
    calendar: string,
    id: string,
  ): { series: FakeGraphEvent; occurrence: Occurrence } | null {
    const match = /^(.+)_(\d{8})$/.exec(id);
    const series = match?.[1] ? store.get(match[1]) : undefined;
    if (!match?.[2] || !series?.recurrence || series.calendarId !== calendar) return null;
    const day = DateTime.fromFormat(match[2], 'yyyyMMdd', { zone: 'utc' });
    const window = { start: day.minus({ days: 2 }), end: day.plus({ days: 3 }) };
    const occurrence = occurrencesInWindow(series, window, 10).find((found) => found.id === id);
    return occurrence ? { series, occurrence } : null;
  }

  /** An occurrence edited (PATCH: it becomes an exception) or deleted on its own. */
  function editOccurrence(calendar: string, id: string, body: JsonObject | 'cancel'): void {
    const found = occurrenceOf(calendar, id);
    if (!found) throw new NotFound('The specified object was not found in the store.');
    const { series, occurrence } = found;
    const next = copy(series);
    const current = series.occurrenceEdits[id];
    const base =
      current && !current.cancelled ? current : { subject: series.subject, ...occurrence };
    const time = (value: unknown, fallback: GraphDateTimeTimeZone) =>
      typeof value === 'object' && value !== null ? (value as GraphDateTimeTimeZone) : fallback;
    next.occurrenceEdits[id] =
      body === 'cancel'
        ? { cancelled: true }
        : {
            cancelled: false,
            subject: typeof body.subject === 'string' ? body.subject : base.subject,
            start: time(body.start, base.start),
            end: time(body.end, base.end),
          };
    commit(next, 'updated');
  }

  function instances(
    calendar: string,
    id: string,
    query: URLSearchParams,
    render: RenderPreferences,
  ) {
    const series = find(calendar, id);
    const occurrences = occurrencesInWindow(series, windowOf(query), MAX_INSTANCES);
    return { value: renderOccurrences(series, occurrences, render) };
  }

  function remove(calendar: string, id: string, ifMatch?: string): void {
    const event = find(calendar, id);
    checkIfMatch(event, ifMatch);
    store.delete(id);
    sequence += 1;
    tombstones.push({ id, calendarId: calendar, sequence });
    if (tombstones.length > maxTombstones) {
      const dropped = tombstones.shift();
      // A token from before this deletion could no longer learn of it: it must start over.
      if (dropped) oldestAnswerable = dropped.sequence;
    }
    subscriptions.notify('deleted', event);
  }

  function calendarOf(segment: string | undefined): string {
    const calendar = segment === undefined ? calendarId : decodeURIComponent(segment);
    if (calendar !== calendarId) throw new NotFound(`Calendar ${calendar} not found`);
    return calendar;
  }

  async function route(request: IncomingMessage, url: URL): Promise<Answer> {
    const method = request.method ?? 'GET';
    const path = url.pathname;
    const preferences = readPreferences(request);
    const ifMatch =
      typeof request.headers['if-match'] === 'string' ? request.headers['if-match'] : undefined;
    const collection = /^\/v1\.0\/me(?:\/calendars\/([^/]+))?\/events$/.exec(path);
    if (collection && method === 'POST') {
      const calendar = calendarOf(collection[1]);
      const body = await readJson(request);
      // Graph's retry-safe create: the same transactionId answers the event it already made.
      const existingId =
        typeof body.transactionId === 'string' ? transactions.get(body.transactionId) : undefined;
      const existing = existingId === undefined ? undefined : store.get(existingId);
      const event = existing ?? create(calendar, body);
      return { status: 201, body: renderEvent(event, preferences.render, null) };
    }
    const listed = /^\/v1\.0\/me(?:\/calendars\/([^/]+))?\/events\/([^/]+)\/instances$/.exec(path);
    if (listed?.[2] && method === 'GET') {
      const calendar = calendarOf(listed[1]);
      const id = decodeURIComponent(listed[2]);
      return { status: 200, body: instances(calendar, id, url.searchParams, preferences.render) };
    }
    const single = /^\/v1\.0\/me(?:\/calendars\/([^/]+))?\/events\/([^/]+)$/.exec(path);
    if (single?.[2] && !store.has(decodeURIComponent(single[2])) && method !== 'GET') {
      // An occurrence of a series: an edit makes it an exception, a delete cancels it.
      const calendar = calendarOf(single[1]);
      const id = decodeURIComponent(single[2]);
      if (method === 'PATCH') {
        editOccurrence(calendar, id, await readJson(request));
        return { status: 200, body: {} };
      }
      if (method === 'DELETE') {
        editOccurrence(calendar, id, 'cancel');
        return { status: 204 };
      }
    }
    if (single?.[2]) {
      const calendar = calendarOf(single[1]);
      const id = decodeURIComponent(single[2]);
      if (method === 'GET') {
        const expand = expandedPropertyIds(url.searchParams.get('$expand'));
        return { status: 200, body: renderEvent(find(calendar, id), preferences.render, expand) };
      }
      if (method === 'PATCH') {
        const event = update(calendar, id, await readJson(request), ifMatch);
        return { status: 200, body: renderEvent(event, preferences.render, null) };
      }
      if (method === 'DELETE') {
        remove(calendar, id, ifMatch);
        return { status: 204 };
      }
    }
    const view = /^\/v1\.0\/me(?:\/calendars\/([^/]+))?\/calendarview\/delta$/i.exec(path);
    if (view && method === 'GET') {
      const pageSize = preferences.maxPageSize ?? options.pageSize ?? 10;
      return {
        status: 200,
        body: delta.page(calendarOf(view[1]), url.searchParams, preferences.render, pageSize),
      };
    }
    if (path === '/v1.0/subscriptions' && method === 'POST') {
      return { status: 201, body: await subscriptions.create(await readJson(request)) };
    }
    const subscription = /^\/v1\.0\/subscriptions\/([^/]+)$/.exec(path);
    if (subscription?.[1] && method === 'DELETE') {
      if (!subscriptions.remove(decodeURIComponent(subscription[1])))
        throw new NotFound('Subscription not found');
      return { status: 204 };
    }
    return errorAnswer(400, 'BadRequest', `Resource not found for the segment '${path}'.`);
  }

  function takeFault(method: string, path: string): FakeGraphFault | null {
    const index = faults.findIndex(
      ({ fault }) =>
        (fault.method === undefined || fault.method.toUpperCase() === method) &&
        (fault.pathIncludes === undefined || path.includes(fault.pathIncludes)),
    );
    const entry = faults[index];
    if (!entry) return null;
    entry.remaining -= 1;
    if (entry.remaining <= 0) faults.splice(index, 1);
    return entry.fault;
  }

  function answerError(error: unknown): Answer {
    if (error instanceof FakeGraphBadRequest) return errorAnswer(400, error.code, error.message);
    if (error instanceof NotFound) return errorAnswer(404, 'ErrorItemNotFound', error.message);
    if (error instanceof Conflict)
      return errorAnswer(412, 'ErrorIrresolvableConflict', error.message);
    if (error instanceof FakeGraphGone) return errorAnswer(410, 'SyncStateNotFound', error.message);
    return errorAnswer(500, 'InternalServerError', String(error));
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', origin);
    const method = request.method ?? 'GET';
    requestTotal += 1;
    log.push({ method, path: `${url.pathname}${url.search}` });
    if (log.length > MAX_REQUESTS_LOGGED) log.shift();
    let answer: Answer;
    const header = request.headers.authorization;
    const isAuthorized =
      header === `Bearer ${token}` ||
      (header?.startsWith('Bearer ') === true &&
        options.acceptToken?.(header.slice('Bearer '.length)) === true);
    const fault = isAuthorized ? takeFault(method, `${url.pathname}${url.search}`) : null;
    if (!isAuthorized) {
      answer = errorAnswer(401, 'InvalidAuthenticationToken', 'Access token is empty or invalid.');
    } else if (fault?.status !== undefined) {
      const headers: Record<string, string> =
        fault.retryAfterSeconds === undefined
          ? {}
          : { 'Retry-After': String(fault.retryAfterSeconds) };
      answer = errorAnswer(
        fault.status,
        fault.code ?? 'TooManyRequests',
        'Scripted failure',
        headers,
      );
    } else {
      answer = await route(request, url).catch(answerError);
    }
    if (fault?.dropResponse) {
      response.socket?.destroy();
      return;
    }
    const headers: Record<string, string> = { ...answer.headers };
    if (answer.body !== undefined)
      headers['Content-Type'] = 'application/json; odata.metadata=minimal; charset=utf-8';
    response.writeHead(answer.status, headers);
    response.end(answer.body === undefined ? undefined : JSON.stringify(answer.body));
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) response.writeHead(500, { 'Content-Type': 'text/plain' });
      response.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: origin,
    token,
    calendarId,
    async close() {
      await subscriptions.settled();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) =>
        server.close((error) => (error ? reject(error) : resolve())),
      );
    },
    events: () => [...store.values()].map(copy),
    event: (id) => {
      const event = store.get(id);
      return event ? copy(event) : undefined;
    },
    insertEvent: (body) => copy(create(calendarId, { ...body, transactionId: undefined })),
    editEvent: (id, body) => copy(update(calendarId, id, body)),
    editOccurrence(seriesId, originalStart, change) {
      const series = find(calendarId, seriesId);
      const zone = series.recurrence?.range.recurrenceTimeZone ?? series.start.timeZone;
      const day = DateTime.fromISO(originalStart, { zone }).toFormat('yyyyMMdd');
      const utc = (instant: string) => ({ dateTime: instant.replace(/Z$/, ''), timeZone: 'UTC' });
      editOccurrence(
        calendarId,
        `${seriesId}_${day}`,
        change === 'cancel'
          ? change
          : { subject: change.summary, start: utc(change.start), end: utc(change.end) },
      );
    },
    removeEvent: (id) => remove(calendarId, id),
    expireDeltaTokens: () => delta.expireAll(),
    failNext(fault, times = 1) {
      faults.push({ fault, remaining: Math.max(1, times) });
    },
    requestCount: () => requestTotal,
    requests: () => log.map((entry) => ({ ...entry })),
    subscriptions: () => subscriptions.list(),
    deliveries: () => subscriptions.deliveries(),
    settled: () => subscriptions.settled(),
  };
}
