import {
  createObject,
  DAVNamespace,
  type DAVResponse,
  davRequest,
  deleteObject,
  getDAVAttribute,
  makeCalendar,
  propfind,
  syncCollection,
  updateObject,
} from 'tsdav';
import { InvalidCursorError, ProviderRequestError } from '../calendar-provider.js';
import type { Fetch } from './retrying-fetch.js';

/**
 * The CalDAV requests the adapter makes, over tsdav, each checking the statuses itself.
 *
 * tsdav quirks this module works around:
 * - `davRequest` (and so `syncCollection`, `propfind`, `makeCalendar`) does not throw on an
 *   error status: it returns one entry with the status and the raw body (`requestFailure`).
 * - `createObject`, `updateObject`, `deleteObject` return the fetch Response, whatever its status.
 * - `calendarMultiGet`/`collectionQuery` throw a generic Error when any href in a multistatus
 *   is 404, which is how a server reports an object deleted since we listed it, so we send the
 *   calendar-multiget REPORT through `davRequest` and read each response's status.
 * - `fetchCalendarObjects` keeps only hrefs containing `.ics`; other clients may name objects
 *   otherwise, so we never list through it.
 */

export interface DavSession {
  fetch: Fetch;
  /** Authorization and any other header every request carries. */
  headers: Record<string, string>;
  /** The calendar collection's absolute URL, ending with a slash. */
  calendarUrl: string;
}

export interface CalendarObject {
  href: string;
  etag: string;
  data: string;
}

const MULTIGET_BATCH = 100;
/** RFC 6578 3.6: a server may truncate a sync report (507) and expects us to continue. */
const MAX_SYNC_PAGES = 50;

/**
 * The canonical form of an object's href, which is the event id: an absolute path with each
 * segment percent-encoded once, so that hrefs a server spells differently compare equal.
 */
export function canonicalHref(href: string, base: string): string {
  const path = new URL(href, base).pathname;
  return path
    .split('/')
    .map((segment) => {
      try {
        return encodeURIComponent(decodeURIComponent(segment));
      } catch (error) {
        // A lone '%' is no escape: keep the segment as the server wrote it.
        if (error instanceof URIError) return segment;
        throw error;
      }
    })
    .join('/');
}

function field(value: unknown, key: string): unknown {
  return value !== null && typeof value === 'object'
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

/** The text of an XML element as tsdav's xml-js parse leaves it (text, number, CDATA). */
function textOf(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  const nested = field(value, '_cdata') ?? field(value, '_text');
  return typeof nested === 'string' ? nested : null;
}

/** The single entry davRequest returns for a non-multistatus answer, when that was an error. */
function requestFailure(responses: DAVResponse[]): DAVResponse | null {
  const [first] = responses;
  return responses.length === 1 && first && first.props === undefined && !first.ok ? first : null;
}

function requestError(what: string, status: number, statusText: string): ProviderRequestError {
  return new ProviderRequestError(`CalDAV ${what} failed: ${status} ${statusText}`.trim(), status);
}

interface SyncPage {
  token: string;
  changed: string[];
  deleted: string[];
  isTruncated: boolean;
}

async function syncPage(session: DavSession, token: string): Promise<SyncPage> {
  const responses = await syncCollection({
    url: session.calendarUrl,
    props: { 'd:getetag': {} },
    syncLevel: 1,
    syncToken: token,
    headers: { ...session.headers, depth: '0' },
    fetch: session.fetch,
  });
  const failure = requestFailure(responses);
  if (failure) {
    // RFC 6578 3.2: a token the server no longer accepts is refused with 403 and the
    // DAV:valid-sync-token precondition (Radicale: unknown, malformed or expired tokens).
    if (failure.status === 403 && /valid-sync-token/.test(String(failure.raw))) {
      throw new InvalidCursorError(`CalDAV server refused the sync token ${token}`);
    }
    throw requestError('sync-collection', failure.status, failure.statusText);
  }
  const newToken = textOf(field(field(responses[0]?.raw, 'multistatus'), 'syncToken'));
  if (!newToken) throw requestError('sync-collection (no sync-token in the answer)', 207, '');
  const page: SyncPage = { token: newToken, changed: [], deleted: [], isTruncated: false };
  const collection = canonicalHref(session.calendarUrl, session.calendarUrl);
  for (const response of responses) {
    if (response.href === undefined) continue;
    const href = canonicalHref(String(response.href), session.calendarUrl);
    if (href === collection) {
      if (response.status === 507) page.isTruncated = true;
      continue;
    }
    if (response.status === 404 || response.status === 410) page.deleted.push(href);
    else if (response.ok) page.changed.push(href);
    else throw requestError(`sync-collection for ${href}`, response.status, response.statusText);
  }
  return page;
}

/** Hrefs changed and deleted since `token` ('' for every member) and the token to use next. */
export async function syncChanges(
  session: DavSession,
  token: string,
): Promise<{ token: string; changed: string[]; deleted: string[] }> {
  const changed = new Set<string>();
  const deleted = new Set<string>();
  let current = token;
  for (let pages = 0; pages < MAX_SYNC_PAGES; pages += 1) {
    const page = await syncPage(session, current);
    for (const href of page.changed) {
      changed.add(href);
      deleted.delete(href);
    }
    for (const href of page.deleted) {
      deleted.add(href);
      changed.delete(href);
    }
    current = page.token;
    if (!page.isTruncated) return { token: current, changed: [...changed], deleted: [...deleted] };
  }
  throw requestError(`sync-collection (still truncated after ${MAX_SYNC_PAGES} pages)`, 507, '');
}

async function multigetBatch(session: DavSession, hrefs: string[]) {
  const responses = await davRequest({
    url: session.calendarUrl,
    init: {
      method: 'REPORT',
      namespace: 'd',
      // RFC 4791 7.9: no Depth header on calendar-multiget.
      headers: session.headers,
      body: {
        'c:calendar-multiget': {
          _attributes: getDAVAttribute([DAVNamespace.CALDAV, DAVNamespace.DAV]),
          'd:prop': { 'd:getetag': {}, 'c:calendar-data': {} },
          'd:href': hrefs,
        },
      },
    },
    fetch: session.fetch,
  });
  const failure = requestFailure(responses);
  if (failure) throw requestError('calendar-multiget', failure.status, failure.statusText);
  const found: CalendarObject[] = [];
  const missing = new Set(hrefs);
  for (const response of responses) {
    if (response.href === undefined) continue;
    const href = canonicalHref(String(response.href), session.calendarUrl);
    if (response.status === 404 || response.status === 410) continue;
    if (!response.ok) {
      throw requestError(`calendar-multiget for ${href}`, response.status, response.statusText);
    }
    const etag = textOf(response.props?.getetag);
    const data = textOf(response.props?.calendarData);
    if (etag === null || data === null) {
      throw requestError(`calendar-multiget for ${href} (no etag or data)`, 207, '');
    }
    found.push({ href, etag, data });
    missing.delete(href);
  }
  return { found, missing: [...missing] };
}

/** The objects at `hrefs` (canonical), in batches; the hrefs the server no longer has. */
export async function multigetObjects(
  session: DavSession,
  hrefs: string[],
): Promise<{ found: CalendarObject[]; missing: string[] }> {
  const found: CalendarObject[] = [];
  const missing: string[] = [];
  for (let offset = 0; offset < hrefs.length; offset += MULTIGET_BATCH) {
    const batch = await multigetBatch(session, hrefs.slice(offset, offset + MULTIGET_BATCH));
    found.push(...batch.found);
    missing.push(...batch.missing);
  }
  return { found, missing };
}

export type WritePrecondition = { ifNoneMatch: '*' } | { ifMatch: string };

/** PUT of an iCalendar object; the status and the new ETag (absent when the server altered it). */
export async function putObject(
  session: DavSession,
  href: string,
  body: string,
  precondition: WritePrecondition,
): Promise<{ status: number; statusText: string; etag: string | null }> {
  const url = new URL(href, session.calendarUrl).href;
  const headers = { ...session.headers, 'content-type': 'text/calendar; charset=utf-8' };
  const response =
    'ifNoneMatch' in precondition
      ? await createObject({
          url,
          data: body,
          headers: { ...headers, 'if-none-match': '*' },
          fetch: session.fetch,
        })
      : await updateObject({
          url,
          data: body,
          etag: precondition.ifMatch,
          headers,
          fetch: session.fetch,
        });
  await response.body?.cancel();
  return {
    status: response.status,
    statusText: response.statusText,
    etag: response.headers.get('etag'),
  };
}

/** DELETE, conditional on `etag` when given; the status. */
export async function removeObject(
  session: DavSession,
  href: string,
  etag: string | null,
): Promise<{ status: number; statusText: string }> {
  const url = new URL(href, session.calendarUrl).href;
  const response = await deleteObject({
    url,
    ...(etag === null ? {} : { etag }),
    headers: session.headers,
    fetch: session.fetch,
  });
  await response.body?.cancel();
  return { status: response.status, statusText: response.statusText };
}

/** Checks the calendar collection exists, creating it with MKCALENDAR when `create` is set. */
export async function ensureCalendarCollection(
  session: DavSession,
  create: boolean,
): Promise<void> {
  const responses = await propfind({
    url: session.calendarUrl,
    props: { 'd:resourcetype': {} },
    depth: '0',
    headers: session.headers,
    fetch: session.fetch,
  });
  const failure = requestFailure(responses) ?? responses.find((response) => !response.ok) ?? null;
  if (failure === null) {
    const types = responses[0]?.props?.resourcetype;
    if (field(types, 'calendar') === undefined) {
      throw requestError(`PROPFIND ${session.calendarUrl} (not a calendar collection)`, 207, '');
    }
    return;
  }
  if (failure.status !== 404 || !create) {
    throw requestError(`PROPFIND ${session.calendarUrl}`, failure.status, failure.statusText);
  }
  const made = await makeCalendar({
    url: session.calendarUrl,
    props: { 'd:displayname': 'Tasks' },
    headers: session.headers,
    fetch: session.fetch,
  });
  const refused = made.find((response) => !response.ok);
  if (refused) {
    throw requestError(`MKCALENDAR ${session.calendarUrl}`, refused.status, refused.statusText);
  }
}
