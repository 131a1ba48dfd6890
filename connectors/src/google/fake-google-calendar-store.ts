import { randomBytes } from 'node:crypto';
import type { calendar_v3 } from '@googleapis/calendar';
import { DateTime } from 'luxon';
import {
  badRequest,
  conditionNotMet,
  deleted,
  duplicate,
  fullSyncRequired,
  notFound,
} from './fake-google-errors.js';
import {
  assertClientId,
  cancelledView,
  checkWritableFields,
  expandInstances,
  type GoogleEvent,
  instantOf,
  isServerField,
  type JsonObject,
  mergePatch,
  writableFields,
} from './fake-google-event-resource.js';

/**
 * The events of one fake Google calendar: storage with etags and change sequence numbers, and
 * `events.list` with Google's paging and sync-token rules
 * (https://developers.google.com/workspace/calendar/api/guides/sync).
 */

export interface ListQuery {
  syncToken: string | null;
  pageToken: string | null;
  maxResults: number;
  showDeleted: boolean | null;
  singleEvents: boolean;
  timeMin: string | null;
  timeMax: string | null;
  orderBy: string | null;
  updatedMin: string | null;
  q: string | null;
  iCalUID: string | null;
  privateExtendedProperty: string[];
  sharedExtendedProperty: string[];
}

/** Parameters Google refuses next to a `syncToken` (events.list, `syncToken`). */
const NOT_WITH_SYNC_TOKEN = [
  'iCalUID',
  'orderBy',
  'privateExtendedProperty',
  'q',
  'sharedExtendedProperty',
  'timeMin',
  'timeMax',
  'updatedMin',
] as const;

/** Sync tokens remembered; older ones are forgotten and answer 410, as expired ones do. */
const MAX_SYNC_TOKENS = 10_000;
/** Occurrences visited per series when expanding `singleEvents=true`. */
const MAX_INSTANCES_PER_SERIES = 730;

interface StoredEvent {
  resource: GoogleEvent;
  /** Insertion order: listing order and the paging cursor. */
  position: number;
  /** The store's change sequence number at this event's last write. */
  changeSeq: number;
}

interface PageState {
  since: number | null;
  tokenSeq: number;
  after: number[];
  query: string;
}

interface ListItem {
  key: number[];
  event: GoogleEvent;
}

export interface FakeStoreOptions {
  calendarId: string;
  timeZone: string;
  clock: () => Date;
}

function compareKeys(a: number[], b: number[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i += 1) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

function parseTimeParameter(value: string | null, name: string): DateTime | null {
  if (value === null) return null;
  const parsed = DateTime.fromISO(value, { setZone: true });
  if (!parsed.isValid || !/(Z|[+-]\d{2}:\d{2})$/i.test(value))
    throw badRequest('Bad Request', name);
  return parsed;
}

export class FakeGoogleCalendarStore {
  readonly #options: FakeStoreOptions;
  readonly #events = new Map<string, StoredEvent>();
  readonly #syncTokens = new Map<string, number>();
  #seq = 0;
  #positions = 0;
  #writes = 0;

  constructor(options: FakeStoreOptions) {
    this.#options = options;
  }

  get timeZone(): string {
    return this.#options.timeZone;
  }

  /** Every stored event, deleted ones included (`status: 'cancelled'`), as copies. */
  all(): GoogleEvent[] {
    return [...this.#events.values()].map((stored) => structuredClone(stored.resource));
  }

  /** Forgets every sync token: the next incremental list answers 410 `fullSyncRequired`. */
  expireSyncTokens(): void {
    this.#syncTokens.clear();
  }

  /** A change was made: new etag, `updated` from the injected clock, new change number. */
  #stamp(stored: StoredEvent): GoogleEvent {
    const now = this.#options.clock();
    this.#writes += 1;
    this.#seq += 1;
    stored.changeSeq = this.#seq;
    stored.resource.etag = `"${now.getTime()}${String(this.#writes).padStart(6, '0')}"`;
    stored.resource.updated = now.toISOString();
    this.#events.set(stored.resource.id as string, stored);
    return structuredClone(stored.resource);
  }

  #find(id: string): StoredEvent {
    const stored = this.#events.get(id);
    if (!stored) throw notFound();
    return stored;
  }

  #checkIfMatch(stored: StoredEvent, ifMatch: string | null): void {
    if (ifMatch !== null && ifMatch !== '*' && ifMatch !== stored.resource.etag) {
      throw conditionNotMet();
    }
  }

  insert(body: JsonObject): GoogleEvent {
    const requested = body.id;
    if (requested !== undefined && typeof requested !== 'string') throw badRequest('Invalid id.');
    if (requested !== undefined) assertClientId(requested);
    // Quirk: a client-chosen id stays taken after the event is deleted: 409 `duplicate` either way.
    if (requested !== undefined && this.#events.has(requested)) throw duplicate();
    const id = requested ?? randomBytes(16).toString('hex');
    const fields = checkWritableFields(writableFields(body), this.timeZone);
    const created = this.#options.clock().toISOString();
    const owner = { email: this.#options.calendarId, self: true };
    const resource: GoogleEvent = {
      kind: 'calendar#event',
      id,
      status: 'confirmed',
      htmlLink: `https://www.google.com/calendar/event?eid=${id}`,
      created,
      creator: owner,
      organizer: owner,
      iCalUID: `${id}@google.com`,
      sequence: 0,
      reminders: { useDefault: true },
      eventType: 'default',
      ...fields,
    };
    return this.#stamp({ resource, position: ++this.#positions, changeSeq: 0 });
  }

  /** Stores a resource as it is, e.g. an event another client created or an instance exception. */
  seed(resource: GoogleEvent): GoogleEvent {
    const id = resource.id ?? randomBytes(16).toString('hex');
    // An exception instance shares its series' iCalUID (a listing by iCalUID finds them all).
    const series = resource.recurringEventId
      ? this.#events.get(resource.recurringEventId)?.resource
      : undefined;
    const iCalUID = resource.iCalUID ?? series?.iCalUID ?? `${id}@google.com`;
    const copy: GoogleEvent = {
      kind: 'calendar#event',
      status: 'confirmed',
      ...resource,
      id,
      iCalUID,
    };
    return this.#stamp({ resource: copy, position: ++this.#positions, changeSeq: 0 });
  }

  /** A deleted event is still returned, with `status: 'cancelled'`, as Google does. */
  get(id: string): GoogleEvent {
    return structuredClone(this.#find(id).resource);
  }

  /** PUT: the body replaces every writable field; what it leaves out is cleared. */
  update(id: string, body: JsonObject, ifMatch: string | null): GoogleEvent {
    const stored = this.#find(id);
    this.#checkIfMatch(stored, ifMatch);
    const fields = checkWritableFields(writableFields(body), this.timeZone);
    return this.#replaceFields(stored, fields);
  }

  /** PATCH: the body is merged into the stored fields. */
  patch(id: string, body: JsonObject, ifMatch: string | null): GoogleEvent {
    const stored = this.#find(id);
    this.#checkIfMatch(stored, ifMatch);
    const current = writableFields(stored.resource as JsonObject);
    const fields = checkWritableFields(mergePatch(current, writableFields(body)), this.timeZone);
    return this.#replaceFields(stored, fields);
  }

  #replaceFields(stored: StoredEvent, fields: GoogleEvent): GoogleEvent {
    const kept = Object.fromEntries(
      Object.entries(stored.resource).filter(([key]) => isServerField(key)),
    );
    // A write without `status` leaves the event confirmed: a PUT on a cancelled event restores it
    // (the fake's reading of Google; the adapter never writes to a cancelled event).
    stored.resource = {
      ...kept,
      status: 'confirmed',
      ...fields,
      sequence: (stored.resource.sequence ?? 0) + 1,
    };
    return this.#stamp(stored);
  }

  delete(id: string, ifMatch: string | null): void {
    const stored = this.#find(id);
    if (stored.resource.status === 'cancelled') throw deleted();
    this.#checkIfMatch(stored, ifMatch);
    stored.resource.status = 'cancelled';
    this.#stamp(stored);
  }

  #issueSyncToken(seq: number): string {
    if (this.#syncTokens.size >= MAX_SYNC_TOKENS) {
      const oldest = this.#syncTokens.keys().next().value;
      if (oldest !== undefined) this.#syncTokens.delete(oldest);
    }
    const token = `CP${randomBytes(12).toString('base64url')}=`;
    this.#syncTokens.set(token, seq);
    return token;
  }

  #checkQuery(query: ListQuery): void {
    if (query.maxResults < 1 || query.maxResults > 2500 || !Number.isInteger(query.maxResults)) {
      throw badRequest('Invalid value for maxResults.', 'maxResults');
    }
    if (query.orderBy !== null && !['startTime', 'updated'].includes(query.orderBy)) {
      throw badRequest('Invalid value for orderBy.', 'orderBy');
    }
    // Quirk: ordering by start time is only defined for expanded instances.
    if (query.orderBy === 'startTime' && !query.singleEvents) {
      throw badRequest('The requested ordering is not available for the particular query.');
    }
    if (query.syncToken === null) return;
    for (const name of NOT_WITH_SYNC_TOKEN) {
      const value = query[name];
      if (value !== null && !(Array.isArray(value) && value.length === 0)) {
        throw badRequest(`Parameter ${name} is not allowed together with syncToken.`, name);
      }
    }
    // "Deleted events are always included when syncToken is set; showDeleted=false is refused."
    if (query.showDeleted === false) {
      throw badRequest('showDeleted=false is not allowed together with syncToken.', 'showDeleted');
    }
  }

  #pageState(query: ListQuery, fingerprint: string): PageState {
    if (query.pageToken !== null) {
      try {
        const state = JSON.parse(Buffer.from(query.pageToken, 'base64url').toString()) as PageState;
        if (state.query === fingerprint && Array.isArray(state.after)) return state;
      } catch {
        // An unreadable page token is answered like a foreign one, below.
      }
      throw badRequest('Invalid page token value.', 'pageToken');
    }
    if (query.syncToken === null)
      return { since: null, tokenSeq: this.#seq, after: [], query: fingerprint };
    const since = this.#syncTokens.get(query.syncToken);
    if (since === undefined) throw fullSyncRequired();
    return { since, tokenSeq: this.#seq, after: [], query: fingerprint };
  }

  list(query: ListQuery): calendar_v3.Schema$Events {
    this.#checkQuery(query);
    // A page token belongs to the query that made it (its sync token aside, which it carries).
    const { pageToken: _page, maxResults: _max, syncToken: _sync, ...rest } = query;
    const state = this.#pageState(query, JSON.stringify(rest));
    const items = this.#items(query, state.since)
      .filter((item) => compareKeys(item.key, state.after) > 0)
      .sort((a, b) => compareKeys(a.key, b.key));
    const page = items.slice(0, query.maxResults);
    const response: calendar_v3.Schema$Events = {
      kind: 'calendar#events',
      etag: `"${this.#seq}"`,
      summary: this.#options.calendarId,
      updated: this.#options.clock().toISOString(),
      timeZone: this.timeZone,
      accessRole: 'owner',
      defaultReminders: [],
      items: page.map((item) => item.event),
    };
    const last = page.at(-1);
    // Quirk: `nextSyncToken` is on the last page only; earlier pages carry `nextPageToken`.
    if (items.length > page.length && last) {
      const next: PageState = { ...state, after: last.key };
      response.nextPageToken = Buffer.from(JSON.stringify(next)).toString('base64url');
    } else {
      response.nextSyncToken = this.#issueSyncToken(state.tokenSeq);
    }
    return response;
  }

  #items(query: ListQuery, since: number | null): ListItem[] {
    const zone = this.timeZone;
    const from = parseTimeParameter(query.timeMin, 'timeMin');
    const to = parseTimeParameter(query.timeMax, 'timeMax');
    const updatedMin = parseTimeParameter(query.updatedMin, 'updatedMin');
    const includeDeleted = since !== null || query.showDeleted === true;
    const items: ListItem[] = [];
    for (const stored of this.#events.values()) {
      const event = stored.resource;
      if (since !== null && stored.changeSeq <= since) continue;
      const isCancelled = event.status === 'cancelled';
      if (isCancelled && !includeDeleted) continue;
      if (!this.#matches(event, query, updatedMin)) continue;
      if (isCancelled) {
        items.push({
          key: this.#sortKey(query, event, stored.position, 0),
          event: cancelledView(event),
        });
        continue;
      }
      const expanded =
        query.singleEvents && event.recurrence
          ? expandInstances(event, zone, { from, to, limit: MAX_INSTANCES_PER_SERIES })
          : [event];
      expanded.forEach((instance, index) => {
        // An occurrence edited or deleted on its own is the stored instance of that id, listed
        // (or, cancelled, left out) as an event of its own.
        if (instance !== event && this.#events.has(instance.id as string)) return;
        if (!event.recurrence || query.singleEvents) {
          if (!this.#overlaps(instance, from, to)) return;
        } else if (to && (instantOf(event.start, zone) ?? to) >= to) {
          // A series (not expanded) is listed when it starts before timeMax (the fake's reading).
          return;
        }
        const key = this.#sortKey(query, instance, stored.position, index);
        items.push({ key, event: structuredClone(instance) });
      });
    }
    return items;
  }

  #matches(event: GoogleEvent, query: ListQuery, updatedMin: DateTime | null): boolean {
    if (query.iCalUID !== null && event.iCalUID !== query.iCalUID) return false;
    if (updatedMin && DateTime.fromISO(event.updated ?? '') < updatedMin) return false;
    if (query.q !== null) {
      const text = `${event.summary ?? ''} ${event.description ?? ''}`.toLowerCase();
      if (!text.includes(query.q.toLowerCase())) return false;
    }
    const hasAll = (wanted: string[], properties: Record<string, string> | null | undefined) =>
      wanted.every((pair) => {
        const [key = '', ...value] = pair.split('=');
        return properties?.[key] === value.join('=');
      });
    return (
      hasAll(query.privateExtendedProperty, event.extendedProperties?.private) &&
      hasAll(query.sharedExtendedProperty, event.extendedProperties?.shared)
    );
  }

  #overlaps(event: GoogleEvent, from: DateTime | null, to: DateTime | null): boolean {
    const start = instantOf(event.start, this.timeZone);
    const end = instantOf(event.end, this.timeZone);
    if (!start || !end) return true;
    return (!from || end > from) && (!to || start < to);
  }

  #sortKey(query: ListQuery, event: GoogleEvent, position: number, index: number): number[] {
    if (query.orderBy === 'startTime') {
      return [instantOf(event.start, this.timeZone)?.toMillis() ?? 0, position, index];
    }
    if (query.orderBy === 'updated') return [Date.parse(event.updated ?? '') || 0, position, index];
    return [position, index];
  }
}
