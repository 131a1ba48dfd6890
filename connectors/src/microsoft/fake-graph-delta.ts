/**
 * calendarView delta for the Graph fake: rounds of pages linked by `$skiptoken` nextLinks and
 * closed by a `$deltatoken` deltaLink; a delta token remembers where the change log stood and
 * which events the client has seen in its window.
 *
 * Modelled: a full round lists every single event in the window, and for a series its master
 * (`type: 'seriesMaster'`) and its occurrences in the window (`type: 'occurrence'`,
 * `seriesMasterId`). The documented v1.0 calendar view lists occurrences and exceptions; the
 * master row is here so an adapter cannot depend on either. A later round lists events changed
 * since (a changed series again with all its occurrences), and `@removed` for events deleted
 * or moved out of the window that the client had seen. A deleted series is removed by its
 * master id only. Unknown, evicted or expired tokens answer 410 SyncStateNotFound.
 */
import { randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import {
  FakeGraphBadRequest,
  type FakeGraphEvent,
  type JsonObject,
  type RenderPreferences,
  renderEvent,
  renderOccurrences,
} from './fake-graph-events.js';
import { isInWindow, occurrencesInWindow, type Window } from './fake-graph-occurrences.js';

interface DeltaState {
  calendarId: string;
  window: Window;
  /** The change log position this state has seen. */
  sequence: number;
  /** Ids of events (single or series) the client holds for this window. */
  seen: Set<string>;
}

interface PendingRound {
  rows: JsonObject[];
  offset: number;
  next: DeltaState;
}

export interface DeltaSource {
  events(calendarId: string): FakeGraphEvent[];
  /** Deleted event ids with the log position of their deletion. */
  tombstones(calendarId: string): { id: string; sequence: number }[];
  currentSequence(): number;
  /** Tokens older than this can no longer be answered (tombstones were dropped). */
  oldestAnswerableSequence(): number;
}

/** The calendar view's window of a request (`startDateTime`, `endDateTime`), or 400. */
export function windowOf(query: URLSearchParams): Window {
  const start = DateTime.fromISO(query.get('startDateTime') ?? '', { zone: 'utc' });
  const end = DateTime.fromISO(query.get('endDateTime') ?? '', { zone: 'utc' });
  if (!start.isValid || !end.isValid || end <= start) {
    throw new FakeGraphBadRequest(
      'ErrorInvalidParameter',
      'startDateTime and endDateTime are required',
    );
  }
  return { start, end };
}

export class FakeGraphGone extends Error {}

/** Tokens kept at once: older ones are forgotten, as Graph forgets idle sync states. */
const MAX_TOKENS = 1000;
/** Occurrences listed per series and round. */
const MAX_OCCURRENCES = 1000;

function remember<V>(map: Map<string, V>, value: V): string {
  const token = randomBytes(16).toString('base64url');
  map.set(token, value);
  if (map.size > MAX_TOKENS) {
    const oldest = map.keys().next().value;
    if (oldest !== undefined) map.delete(oldest);
  }
  return token;
}

export class FakeGraphDelta {
  private readonly deltaTokens = new Map<string, DeltaState>();
  private readonly skipTokens = new Map<string, PendingRound>();

  constructor(
    private readonly source: DeltaSource,
    private readonly linkBase: () => string,
  ) {}

  expireAll(): void {
    this.deltaTokens.clear();
    this.skipTokens.clear();
  }

  /** One page for `GET …/calendarView/delta` with these query parameters. */
  page(
    calendarId: string,
    query: URLSearchParams,
    preferences: RenderPreferences,
    pageSize: number,
  ): JsonObject {
    for (const option of ['$expand', '$select', '$filter', '$orderby', '$search']) {
      // https://learn.microsoft.com/graph/api/event-delta#query-parameters
      if (query.has(option))
        throw new FakeGraphBadRequest(
          'ErrorInvalidUrlQuery',
          `${option} is not supported with change tracking over events`,
        );
    }
    const skipToken = query.get('$skiptoken');
    if (skipToken !== null) {
      const round = this.skipTokens.get(skipToken);
      if (!round) throw new FakeGraphGone('The sync state of this skip token is unknown');
      this.skipTokens.delete(skipToken);
      return this.serve(calendarId, round, pageSize);
    }
    const deltaToken = query.get('$deltatoken');
    if (deltaToken === null) {
      return this.serve(
        calendarId,
        this.round(this.initialState(calendarId, query), preferences),
        pageSize,
      );
    }
    const state = this.deltaTokens.get(deltaToken);
    if (
      !state ||
      state.calendarId !== calendarId ||
      state.sequence < this.source.oldestAnswerableSequence()
    ) {
      throw new FakeGraphGone('The sync state of this delta token is unknown or expired');
    }
    return this.serve(calendarId, this.round(state, preferences), pageSize);
  }

  private initialState(calendarId: string, query: URLSearchParams): DeltaState {
    // Sequence -1: every event counts as changed, none as seen.
    return { calendarId, window: windowOf(query), sequence: -1, seen: new Set() };
  }

  private rowsOf(
    event: FakeGraphEvent,
    window: Window,
    preferences: RenderPreferences,
  ): JsonObject[] {
    const master = renderEvent(event, preferences, null);
    if (!event.recurrence) return [master];
    const occurrences = occurrencesInWindow(event, window, MAX_OCCURRENCES);
    return [master, ...renderOccurrences(event, occurrences, preferences)];
  }

  private round(state: DeltaState, preferences: RenderPreferences): PendingRound {
    const rows: JsonObject[] = [];
    const seen = new Set(state.seen);
    const removed = (id: string) => ({
      '@odata.type': '#microsoft.graph.event',
      id,
      '@removed': { reason: 'deleted' },
    });
    const changed = this.source
      .events(state.calendarId)
      .filter((event) => event.sequence > state.sequence)
      .sort((a, b) => a.sequence - b.sequence);
    for (const event of changed) {
      if (isInWindow(event, state.window)) {
        rows.push(...this.rowsOf(event, state.window, preferences));
        seen.add(event.id);
      } else if (seen.delete(event.id)) {
        rows.push(removed(event.id));
      }
    }
    for (const tombstone of this.source.tombstones(state.calendarId)) {
      if (tombstone.sequence > state.sequence && seen.delete(tombstone.id))
        rows.push(removed(tombstone.id));
    }
    const next = { ...state, sequence: this.source.currentSequence(), seen };
    return { rows, offset: 0, next };
  }

  private serve(calendarId: string, round: PendingRound, pageSize: number): JsonObject {
    const value = round.rows.slice(round.offset, round.offset + pageSize);
    const link = `${this.linkBase()}/v1.0/me/calendars/${encodeURIComponent(calendarId)}/calendarView/delta`;
    if (round.offset + pageSize < round.rows.length) {
      const token = remember(this.skipTokens, { ...round, offset: round.offset + pageSize });
      return { value, '@odata.nextLink': `${link}?$skiptoken=${token}` };
    }
    const token = remember(this.deltaTokens, round.next);
    return { value, '@odata.deltaLink': `${link}?$deltatoken=${token}` };
  }
}
