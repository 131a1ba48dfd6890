import { createHash } from 'node:crypto';
import { getBasicAuthHeaders } from 'tsdav';
import {
  type CalendarProvider,
  type EventInput,
  PreconditionFailedError,
  type ProviderEvent,
  ProviderRequestError,
  UnsupportedEventError,
} from '../calendar-provider.js';
import {
  type CalendarObject,
  canonicalHref,
  type DavSession,
  ensureCalendarCollection,
  multigetObjects,
  putObject,
  removeObject,
  syncChanges,
} from './caldav-requests.js';
import {
  applyEventInput,
  newCalendarObject,
  parseCalendarObject,
  readEventFields,
} from './icalendar-event.js';
import { createRetryingFetch, type Fetch, type RetryOptions } from './retrying-fetch.js';

/**
 * The CalDAV adapter (RFC 4791, sync by RFC 6578), over tsdav and ical.js.
 *
 * - Event ids are the objects' hrefs, as absolute canonical paths (`/alice/tasks/x.ics`): an
 *   object another client wrote need not be named after its UID, and the href is what every
 *   request addresses.
 * - The cursor is the collection's sync-token. A full pull asks sync-collection with an empty
 *   token, which lists every member and the token in one answer, so no change can fall
 *   between the listing and the token; the members are then read with calendar-multiget.
 * - An event we create gets a UID derived from the create key and lives at `<uid>.ics`, written
 *   with `If-None-Match: *`: a retried create meets 412 and returns the object already there.
 *   It also carries X-TASKS-TASK-ID, so a re-sync from scratch adopts it.
 * - Objects holding no VEVENT (tasks, journals) are not events: pulls leave them out. Their
 *   deletions still show in `deleted`, since a deleted href no longer says what it held.
 */

export interface CaldavCalendarProviderOptions {
  serverUrl: string;
  username: string;
  password: string;
  /** The calendar collection, resolved against serverUrl (`/alice/tasks/`). */
  calendarPath: string;
  fetch?: Fetch;
  retry?: RetryOptions;
  /** Aborts every request of this provider, the one in flight included (a sync's deadline). */
  signal?: AbortSignal;
  now?: () => Date;
  /** Where objects we cannot read are reported (they are left out of pulls). */
  warn?: (message: string, details: Record<string, unknown>) => void;
}

const MAX_CREATE_ATTEMPTS = 3;

/** The UID (and file name) of the event created for `key`: the same key, the same object. */
export function uidForCreateKey(key: string): string {
  return `tasks-${createHash('sha256').update(key).digest('hex').slice(0, 40)}`;
}

function davSession(options: CaldavCalendarProviderOptions): DavSession {
  const calendarUrl = new URL(options.calendarPath, options.serverUrl);
  if (!calendarUrl.pathname.endsWith('/')) calendarUrl.pathname += '/';
  const authorization = getBasicAuthHeaders({
    username: options.username,
    password: options.password,
  });
  return {
    fetch: createRetryingFetch(options.fetch ?? globalThis.fetch, {
      ...options.retry,
      ...(options.signal ? { signal: options.signal } : {}),
    }),
    headers: { ...authorization },
    calendarUrl: calendarUrl.href,
  };
}

/**
 * Checks the calendar collection exists, creating it with MKCALENDAR when it does not (tests,
 * first setup); production connections expect it and see ProviderRequestError (404) otherwise.
 */
export async function ensureCaldavCalendar(options: CaldavCalendarProviderOptions): Promise<void> {
  await ensureCalendarCollection(davSession(options), true);
}

export function createCaldavCalendarProvider(
  options: CaldavCalendarProviderOptions,
): CalendarProvider {
  const session = davSession(options);
  const now = options.now ?? (() => new Date());
  const warn = options.warn ?? ((message, details) => console.warn(message, details));

  function toEvent(object: CalendarObject): ProviderEvent | null {
    let fields: ReturnType<typeof readEventFields>;
    try {
      fields = readEventFields(parseCalendarObject(object.data));
    } catch (error) {
      warn('caldav: skipping an object that is not readable iCalendar', {
        href: object.href,
        error: String(error),
      });
      return null;
    }
    return fields && { ...fields, id: object.href, etag: object.etag };
  }

  async function fetchObject(href: string): Promise<CalendarObject | null> {
    const { found } = await multigetObjects(session, [href]);
    return found[0] ?? null;
  }

  /** The event just written: from our text and the ETag, or read back when the server changed it. */
  async function written(href: string, text: string, etag: string | null): Promise<ProviderEvent> {
    // RFC 4791 5.3.4: a server that stores something other than what was sent omits the ETag.
    const object = etag === null ? await fetchObject(href) : { href, etag, data: text };
    const event = object && toEvent(object);
    if (!event) {
      throw new ProviderRequestError(
        `CalDAV object ${href} vanished right after it was written`,
        404,
      );
    }
    return event;
  }

  const idOf = (href: string) => canonicalHref(href, session.calendarUrl);

  return {
    name: 'ICAL',

    async pullChanges(cursor) {
      const sync = await syncChanges(session, cursor ?? '');
      const { found, missing } = await multigetObjects(session, sync.changed);
      const changed = found.map(toEvent).filter((event): event is ProviderEvent => event !== null);
      // Objects gone between the sync report and the multiget are deletions for an incremental
      // pull; a full listing simply does not contain them.
      const deleted = cursor === null ? [] : [...new Set([...sync.deleted, ...missing])];
      return { changed, deleted, cursor: sync.token };
    },

    async getEvent(id) {
      const object = await fetchObject(idOf(id));
      return object && toEvent(object);
    },

    async createEvent(input, key) {
      const uid = uidForCreateKey(key);
      const href = idOf(`${uid}.ics`);
      const text = newCalendarObject(input, uid, now()).toString();
      for (let attempt = 1; attempt <= MAX_CREATE_ATTEMPTS; attempt += 1) {
        const put = await putObject(session, href, text, { ifNoneMatch: '*' });
        if (put.status >= 200 && put.status < 300) return written(href, text, put.etag);
        if (put.status !== 412) {
          throw new ProviderRequestError(
            `CalDAV PUT ${href} failed: ${put.status} ${put.statusText}`,
            put.status,
          );
        }
        // If-None-Match: * failed, so the object exists: an earlier attempt with this key made it.
        const existing = await fetchObject(href);
        if (existing) {
          const event = toEvent(existing);
          if (!event) {
            throw new UnsupportedEventError(`CalDAV object ${href} exists but holds no event`);
          }
          return event;
        }
        // Deleted between our PUT and GET: the next attempt creates it again.
      }
      throw new ProviderRequestError(`CalDAV PUT ${href} kept failing its precondition`, 412);
    },

    async updateEvent(id, input: EventInput, etag) {
      const href = idOf(id);
      // The server judges the version (If-Match below); we only need the stored object to patch.
      const current = await fetchObject(href);
      if (!current) throw new PreconditionFailedError(`CalDAV object ${href} no longer exists`);
      let calendar: ReturnType<typeof parseCalendarObject>;
      try {
        calendar = parseCalendarObject(current.data);
      } catch (error) {
        throw new UnsupportedEventError(
          `CalDAV object ${href} is not readable iCalendar: ${String(error)}`,
        );
      }
      // Patch the stored object rather than replace it: its UID must stay (Radicale answers 409
      // no-uid-conflict otherwise) and so must what other clients keep in it (alarms, EXDATEs).
      applyEventInput(calendar, input, now());
      const text = calendar.toString();
      const put = await putObject(session, href, text, { ifMatch: etag });
      if (put.status === 412) {
        throw new PreconditionFailedError(`CalDAV object ${href} is no longer at version ${etag}`);
      }
      if (put.status < 200 || put.status >= 300) {
        throw new ProviderRequestError(
          `CalDAV PUT ${href} failed: ${put.status} ${put.statusText}`,
          put.status,
        );
      }
      return written(href, text, put.etag);
    },

    async deleteEvent(id, etag) {
      const href = idOf(id);
      const result = await removeObject(session, href, etag);
      const isGone = result.status === 404 || result.status === 410;
      if ((result.status >= 200 && result.status < 300) || isGone) return;
      if (result.status === 412) {
        throw new PreconditionFailedError(`CalDAV object ${href} changed since ${etag}`);
      }
      throw new ProviderRequestError(
        `CalDAV DELETE ${href} failed: ${result.status} ${result.statusText}`,
        result.status,
      );
    },
  };
}
