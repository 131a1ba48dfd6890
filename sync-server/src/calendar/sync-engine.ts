import { createHash } from 'node:crypto';
import {
  type CalendarProvider,
  type EventTime,
  InvalidCursorError,
  PreconditionFailedError,
  type ProviderEvent,
  ProviderRequestError,
  type PullResult,
  UnsupportedEventError,
} from '@tasks/connectors';
import {
  addInboxItem,
  blocksCalendarOf,
  blocksForCalendar,
  type CalendarEventSeries,
  ConflictError,
  calendarEventsOf,
  createTask,
  forgetCalendarConnection,
  getSettings,
  getTimezone,
  listTasks,
  NotFoundError,
  removeCalendarEvent,
  restoreTask,
  type TaskCreateInput,
  type TaskEventLink,
  updateTask,
  upsertCalendarEvent,
  ValidationError,
} from '@tasks/crdt';
import type { Database, Queryable } from '../db/database.js';
import type { DocumentAccess } from '../rest/document-access.js';
import { blockCalendarCandidates } from './block-calendar.js';
import {
  type BlockLink,
  type BlockSyncAction,
  partitionBlockEvents,
  planBlockSync,
} from './block-sync-plan.js';
import {
  linkAfterWrite,
  type SyncAction,
  type SyncLink,
  type SyncOptions,
  type SyncWindow,
} from './sync-actions.js';
import { eventHash } from './sync-hash.js';
import { planSync } from './sync-plan.js';

/**
 * The effects layer of the calendar sync: loads the status table, pulls the provider's changes,
 * asks `planSync` what to do, applies the actions in order (provider calls, CRDT writes through
 * the live documents) and commits the new status table and cursor in one transaction.
 *
 * A crash anywhere before the commit leaves the old status table and cursor: the next run pulls
 * the same changes again, and the planner's idempotent keys and adoption of unlinked events make
 * the replay create nothing twice.
 */

export interface RunSyncOptions {
  /** Default: the connection's `sync_delete_enabled`. */
  syncDeleteEnabled?: boolean;
  /** Rule 4 (default: no event that is not ours becomes a task). */
  eventToTaskCriterion?: (event: ProviderEvent) => boolean;
  /** Default: now − 30 days … now + 180 days. */
  window?: SyncWindow;
  allowMassDeletion?: boolean;
}

export interface RunSyncInput {
  connectionId: string;
  provider: CalendarProvider;
  userId: string;
  db: Database;
  access: DocumentAccess;
  clock: () => Date;
  options?: RunSyncOptions;
  /**
   * Ends the sync (the worker's deadline, a lost lease, a stop): checked between steps and
   * once more inside the commit's transaction, so an aborted sync commits nothing.
   */
  signal?: AbortSignal;
}

export interface RunSyncResult {
  actions: SyncAction[];
  /** Actions applied (skips of refused tasks' remaining actions not counted). */
  applied: number;
  /** Tasks whose remaining actions were skipped after the provider or the document refused one. */
  refusedTaskIds: string[];
  /** Whether the new cursor was stored (not when a mass deletion was held back). */
  cursorSaved: boolean;
  fullPull: boolean;
}

const DAY_MS = 24 * 3600_000;

interface LinkRow {
  [column: string]: unknown;
  task_id: string;
  event_id: string;
  task_hash: string | null;
  event_hash: string | null;
  event_etag: string | null;
}

interface Loaded {
  links: SyncLink[];
  blockLinks: BlockLink[];
  detached: string[];
  cursor: string | null;
  syncDeleteEnabled: boolean;
}

async function load(db: Database, connectionId: string): Promise<Loaded> {
  const [connection] = await db.query<{ cursor: string | null; sync_delete_enabled: boolean }>(
    'select cursor, sync_delete_enabled from calendar_connections where id = $1',
    [connectionId],
  );
  if (!connection) throw new Error(`calendar connection ${connectionId} does not exist`);
  const rows = await db.query<LinkRow>(
    `select task_id, event_id, task_hash, event_hash, event_etag from calendar_links
     where connection_id = $1`,
    [connectionId],
  );
  const detached = await db.query<{ task_id: string }>(
    'select task_id from calendar_detached_tasks where connection_id = $1',
    [connectionId],
  );
  const blockLinks = await db.query<{
    marker: string;
    event_id: string;
    event_hash: string;
    event_etag: string;
  }>(
    `select marker, event_id, event_hash, event_etag from calendar_block_events
     where connection_id = $1`,
    [connectionId],
  );
  return {
    blockLinks: blockLinks.map((row) => ({
      marker: row.marker,
      eventId: row.event_id,
      eventHash: row.event_hash,
      eventEtag: row.event_etag,
    })),
    links: rows.map((row) => ({
      taskId: row.task_id,
      eventId: row.event_id,
      taskHash: row.task_hash ?? '',
      eventHash: row.event_hash ?? '',
      eventEtag: row.event_etag ?? '',
    })),
    detached: detached.map((row) => row.task_id),
    cursor: connection.cursor,
    syncDeleteEnabled: connection.sync_delete_enabled,
  };
}

async function pull(
  provider: CalendarProvider,
  cursor: string | null,
): Promise<{ result: PullResult; full: boolean }> {
  if (cursor === null) return { result: await provider.pullChanges(null), full: true };
  try {
    return { result: await provider.pullChanges(cursor), full: false };
  } catch (error) {
    if (!(error instanceof InvalidCursorError)) throw error;
    return { result: await provider.pullChanges(null), full: true };
  }
}

const PROVIDER_LABELS: Record<CalendarProvider['name'], string> = {
  GOOGLE: 'Google',
  MICROSOFT: 'Outlook',
  ICAL: 'CalDAV',
};

/** An action the provider or the document refused: the task waits for the next run. */
function isRefusal(error: unknown): boolean {
  return (
    error instanceof PreconditionFailedError ||
    error instanceof ConflictError ||
    error instanceof ValidationError ||
    error instanceof NotFoundError ||
    error instanceof UnsupportedEventError ||
    (error instanceof ProviderRequestError && (error.status === 404 || error.status === 410))
  );
}

function taskIdOf(action: SyncAction): string | null {
  switch (action.type) {
    case 'skipMassDeletion':
    case 'mirrorEvent':
    case 'unmirrorEvent':
      return null;
    case 'saveLink':
      return action.link.taskId;
    default:
      return action.taskId;
  }
}

function instantOf(time: EventTime): { at: string; allDay: boolean } {
  if ('date' in time) return { at: `${time.date}T00:00:00.000Z`, allDay: true };
  const at = Date.parse(time.dateTime);
  return { at: Number.isNaN(at) ? time.dateTime : new Date(at).toISOString(), allDay: false };
}

/** What the document keeps of a recurring event to show each of its occurrences. */
function seriesOf(event: ProviderEvent): CalendarEventSeries | null {
  if (event.recurrence === null) return null;
  const cancelled = event.overrides.filter((override) => override.cancelled);
  return {
    rule: event.recurrence,
    timeZone: 'timeZone' in event.start ? event.start.timeZone : 'UTC',
    exceptions: [...event.exceptions, ...cancelled.map((override) => override.originalStart)],
    overrides: event.overrides.flatMap((override) =>
      override.cancelled
        ? []
        : [
            {
              originalStart: override.originalStart,
              start: instantOf(override.start).at,
              end: instantOf(override.end).at,
              title: override.summary === event.summary ? null : override.summary,
            },
          ],
    ),
  };
}

/** The status table as the actions leave it: links by task, and the detached tasks. */
class StatusTable {
  readonly links: Map<string, SyncLink>;
  readonly detached: Set<string>;
  /** As loaded: the commit writes only the difference. */
  readonly #loadedLinks: ReadonlyMap<string, SyncLink>;
  readonly #loadedDetached: ReadonlySet<string>;

  constructor(loaded: Loaded) {
    this.links = new Map(loaded.links.map((link) => [link.taskId, link]));
    this.detached = new Set(loaded.detached);
    this.#loadedLinks = new Map(this.links);
    this.#loadedDetached = new Set(this.detached);
  }

  save(link: SyncLink): void {
    // One event belongs to one task (unique (connection_id, event_id)).
    for (const [taskId, other] of this.links) {
      if (taskId !== link.taskId && other.eventId === link.eventId) this.links.delete(taskId);
    }
    this.links.set(link.taskId, link);
    this.detached.delete(link.taskId);
  }

  unlink(taskId: string): void {
    this.links.delete(taskId);
    this.detached.add(taskId);
  }

  drop(taskId: string): void {
    this.links.delete(taskId);
    this.detached.delete(taskId);
  }

  async commit(
    tx: Queryable,
    connectionId: string,
    now: Date,
    cursor: string | null | undefined,
  ): Promise<void> {
    // Only what changed since the load: a quiet sync of 700 links writes no link at all. Rows
    // going or changing are deleted first, so a new row never meets an old one's event id.
    const sameLink = (a: SyncLink, b: SyncLink | undefined) =>
      b !== undefined &&
      a.eventId === b.eventId &&
      a.taskHash === b.taskHash &&
      a.eventHash === b.eventHash &&
      a.eventEtag === b.eventEtag;
    for (const [taskId, before] of this.#loadedLinks) {
      if (sameLink(before, this.links.get(taskId))) continue;
      await tx.query('delete from calendar_links where connection_id = $1 and task_id = $2', [
        connectionId,
        taskId,
      ]);
    }
    for (const link of this.links.values()) {
      if (sameLink(link, this.#loadedLinks.get(link.taskId))) continue;
      await tx.query(
        `insert into calendar_links
           (connection_id, task_id, event_id, task_hash, event_hash, event_etag, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7)`,
        [
          connectionId,
          link.taskId,
          link.eventId,
          link.taskHash,
          link.eventHash,
          link.eventEtag,
          now,
        ],
      );
    }
    for (const taskId of this.#loadedDetached) {
      if (this.detached.has(taskId)) continue;
      await tx.query(
        'delete from calendar_detached_tasks where connection_id = $1 and task_id = $2',
        [connectionId, taskId],
      );
    }
    for (const taskId of this.detached) {
      if (this.#loadedDetached.has(taskId)) continue;
      await tx.query(
        'insert into calendar_detached_tasks (connection_id, task_id, created_at) values ($1, $2, $3)',
        [connectionId, taskId, now],
      );
    }
    if (cursor !== undefined) {
      await tx.query('update calendar_connections set cursor = $2, updated_at = $3 where id = $1', [
        connectionId,
        cursor,
        now,
      ]);
    }
  }
}

export async function runSync(input: RunSyncInput): Promise<RunSyncResult> {
  const { connectionId, userId, db, access } = input;
  /** Event ids the run wrote onto tasks: taken back if the user disconnects meanwhile. */
  const shownOnTasks: TaskEventLink[] = [];
  try {
    return await syncSteps(input, shownOnTasks);
  } catch (error) {
    if (!(error instanceof ConnectionRemovedError) && (await stillConnected(db, connectionId))) {
      throw error;
    }
    // Disconnected during the run: the disconnect took away the committed links and the events
    // mirrored until then; what this run wrote to the documents goes too.
    await access.use(userId, [], (docs, ctx) =>
      forgetCalendarConnection(docs, connectionId, shownOnTasks, ctx),
    );
    throw error instanceof ConnectionRemovedError
      ? error
      : new ConnectionRemovedError(connectionId);
  }
}

/** The connection was removed (the user disconnected it) while a sync of it ran. */
export class ConnectionRemovedError extends Error {
  constructor(readonly connectionId: string) {
    super(`calendar connection ${connectionId} was disconnected during its sync`);
    this.name = 'ConnectionRemovedError';
  }
}

/** Whether the connection still exists; true when the database cannot say (nothing to undo). */
async function stillConnected(db: Database, connectionId: string): Promise<boolean> {
  try {
    const rows = await db.query('select 1 from calendar_connections where id = $1', [connectionId]);
    return rows.length > 0;
  } catch {
    return true;
  }
}

async function syncSteps(
  input: RunSyncInput,
  shownOnTasks: TaskEventLink[],
): Promise<RunSyncResult> {
  const { connectionId, provider, userId, db, access, clock } = input;
  const options = input.options ?? {};
  const { signal } = input;
  signal?.throwIfAborted();
  const loaded = await load(db, connectionId);
  const { result: pulled, full } = await pull(provider, loaded.cursor);
  signal?.throwIfAborted();

  // Events written for planned blocks are the block sync's alone: planSync never sees them.
  const { blockEvents, others } = partitionBlockEvents(pulled.changed);
  const blockEventIds = new Set(loaded.blockLinks.map((link) => link.eventId));
  const prefix = `${connectionId}:`;
  const candidates = await blockCalendarCandidates(db, userId);
  const snapshot = await access.use(userId, [], (docs) => ({
    // One calendar holds the planned blocks; every other one holds none (moved ones leave it).
    blocks:
      blocksCalendarOf(getSettings(docs).scheduling, candidates) === connectionId
        ? blocksForCalendar(docs)
        : [],
    tasks: listTasks(docs, { includeDeleted: true }),
    timezone: getTimezone(docs),
    mirrored: [...calendarEventsOf(docs.main).keys()]
      .filter((key) => key.startsWith(prefix))
      .map((key) => key.slice(prefix.length)),
  }));

  const now = clock();
  const syncOptions: SyncOptions = {
    timezone: snapshot.timezone,
    syncDeleteEnabled: options.syncDeleteEnabled ?? loaded.syncDeleteEnabled,
    eventToTaskCriterion: options.eventToTaskCriterion ?? (() => false),
    window: options.window ?? {
      start: new Date(now.getTime() - 30 * DAY_MS).toISOString(),
      end: new Date(now.getTime() + 180 * DAY_MS).toISOString(),
    },
    now: now.toISOString(),
    ...(options.allowMassDeletion === undefined
      ? {}
      : { allowMassDeletion: options.allowMassDeletion }),
  };
  const actions = planSync({
    connectionId,
    links: loaded.links,
    detachedTaskIds: loaded.detached,
    tasks: snapshot.tasks,
    eventChanges: {
      changed: others,
      deleted: pulled.deleted.filter((id) => !blockEventIds.has(id)),
      full,
    },
    mirroredEventIds: snapshot.mirrored,
    options: syncOptions,
  });

  const table = new StatusTable(loaded);
  const refused = new Set<string>();
  let applied = 0;
  let holdsCursor = false;

  /**
   * A task the calendar cannot hold (a rule Outlook has no pattern for, say) is retried every
   * run, and the user is told once per version of the task why it is not in their calendar.
   */
  const reportUnsupported = async (taskId: string, error: UnsupportedEventError) => {
    const task = snapshot.tasks.find((candidate) => candidate.id === taskId);
    const key = [connectionId, taskId, task?.updatedAt ?? '', error.message].join('\n');
    const id = `calendar-unsupported-${createHash('sha256').update(key).digest('hex')}`;
    await access.use(userId, [], (docs, ctx) => {
      addInboxItem(
        docs,
        {
          id,
          kind: 'calendar_unsupported',
          // Inbox titles hold 200 characters, task titles too.
          title: `“${(task?.title ?? 'A task').slice(0, 120)}” cannot go to your ${PROVIDER_LABELS[provider.name]} calendar`,
          body: error.message,
          payload: { connectionId, taskId },
        },
        ctx,
      );
    });
  };

  const apply = async (action: SyncAction): Promise<void> => {
    switch (action.type) {
      case 'skipMassDeletion':
        holdsCursor = true;
        return;
      case 'notifyConflict': {
        const { id, taskId, eventId, winner, losing, detectedAt } = action;
        await access.use(userId, [], (docs, ctx) => {
          addInboxItem(
            docs,
            {
              id,
              kind: 'calendar_conflict',
              title:
                winner === 'task'
                  ? 'A calendar edit lost to a newer task change'
                  : 'A task change lost to a newer calendar edit',
              payload: { connectionId, taskId, eventId, winner, losing, detectedAt },
            },
            ctx,
          );
        });
        return;
      }
      case 'restoreTask':
        await access.use(userId, [], (docs, ctx) => restoreTask(docs, action.taskId, ctx));
        return;
      case 'createTask': {
        const { patch } = action;
        const create: TaskCreateInput = {
          ...patch,
          title: patch.title ?? '(no title)',
          id: action.taskId,
          calendarEventId: action.eventId,
        };
        shownOnTasks.push({ taskId: action.taskId, eventId: action.eventId });
        await access.use(userId, [], (docs, ctx) => createTask(docs, create, ctx));
        return;
      }
      case 'updateTask':
        await access.use(userId, [], (docs, ctx) =>
          updateTask(docs, action.taskId, action.patch, ctx),
        );
        return;
      case 'unlinkTask':
        await access.use(userId, [], (docs, ctx) => {
          const task = listTasks(docs, { includeDeleted: true }).find(
            (candidate) => candidate.id === action.taskId,
          );
          // A task in the trash cannot be written; its link goes all the same.
          if (task && !task.deletedAt && task.calendarEventId !== null) {
            updateTask(docs, action.taskId, { calendarEventId: null }, ctx);
          }
        });
        table.unlink(action.taskId);
        return;
      case 'createEvent': {
        const written = await provider.createEvent(action.input, action.key);
        const link = linkAfterWrite(action, written);
        if (!link) return;
        await setCalendarEventId(action.taskId, written.id);
        table.save(link);
        return;
      }
      case 'updateEvent': {
        const written = await provider.updateEvent(action.eventId, action.input, action.etag);
        const link = linkAfterWrite(action, written);
        if (link) table.save(link);
        return;
      }
      case 'deleteEvent':
        await provider.deleteEvent(action.eventId, action.etag);
        return;
      case 'mirrorEvent': {
        const { event } = action;
        const start = instantOf(event.start);
        const end = instantOf(event.end);
        await access.use(userId, [], (docs) =>
          upsertCalendarEvent(docs, {
            connectionId,
            eventId: event.id,
            title: event.summary,
            start: start.at,
            end: end.at,
            allDay: start.allDay,
            source: provider.name,
            taskId: event.taskId,
            series: seriesOf(event),
          }),
        );
        return;
      }
      case 'unmirrorEvent':
        await access.use(userId, [], (docs) =>
          removeCalendarEvent(docs, connectionId, action.eventId),
        );
        return;
      case 'saveLink':
        // An adopted event (created by a run whose answer was lost) is shown on its task too.
        await setCalendarEventId(action.link.taskId, action.link.eventId);
        table.save(action.link);
        return;
      case 'dropLink':
        table.drop(action.taskId);
        return;
    }
  };

  /** Shows a task's event id on the task (what an unlink clears), when it is live. */
  async function setCalendarEventId(taskId: string, eventId: string): Promise<void> {
    shownOnTasks.push({ taskId, eventId });
    await access.use(userId, [], (docs, ctx) => {
      const task = listTasks(docs).find((candidate) => candidate.id === taskId);
      if (task && task.calendarEventId !== eventId) {
        updateTask(docs, taskId, { calendarEventId: eventId }, ctx);
      }
    });
  }

  for (const action of actions) {
    const taskId = taskIdOf(action);
    if (taskId !== null && refused.has(taskId)) continue;
    signal?.throwIfAborted();
    try {
      await apply(action);
      applied += 1;
    } catch (error) {
      if (taskId === null || !isRefusal(error)) throw error;
      refused.add(taskId);
      if (error instanceof UnsupportedEventError) await reportUnsupported(taskId, error);
    }
  }

  const blockActions = planBlockSync({
    blocks: snapshot.blocks,
    links: loaded.blockLinks,
    changed: blockEvents,
    deleted: pulled.deleted,
    full,
    window: syncOptions.window,
    timezone: snapshot.timezone,
  });
  const blockTable = new BlockLinkTable(loaded.blockLinks);
  const refusedBlocks = new Set<string>();
  for (const action of blockActions) {
    const marker = action.type === 'saveBlockLink' ? action.link.marker : action.marker;
    if (refusedBlocks.has(marker)) continue;
    signal?.throwIfAborted();
    try {
      await applyBlockAction(provider, blockTable, action);
    } catch (error) {
      // Refused (an edit in the calendar since the pull, say): the block waits for the next run.
      if (!isRefusal(error)) throw error;
      refusedBlocks.add(marker);
    }
  }

  const cursorSaved = !holdsCursor;
  await db.transaction(async (tx) => {
    signal?.throwIfAborted();
    // Held shared to the end: a disconnect (which locks the row to read the links it drops)
    // waits for these links, or this run finds the connection gone and writes none.
    const held = await tx.query('select id from calendar_connections where id = $1 for share', [
      connectionId,
    ]);
    if (held.length === 0) throw new ConnectionRemovedError(connectionId);
    await table.commit(tx, connectionId, clock(), cursorSaved ? pulled.cursor : undefined);
    await blockTable.commit(tx, connectionId, clock());
  });
  return { actions, applied, refusedTaskIds: [...refused].sort(), cursorSaved, fullPull: full };
}

async function applyBlockAction(
  provider: CalendarProvider,
  table: BlockLinkTable,
  action: BlockSyncAction,
): Promise<void> {
  switch (action.type) {
    case 'createBlockEvent': {
      const written = await provider.createEvent(action.input, action.key);
      // What the provider holds: an event an earlier attempt made differently is updated next run.
      table.save({
        marker: action.marker,
        eventId: written.id,
        eventHash: eventHash(written),
        eventEtag: written.etag,
      });
      return;
    }
    case 'updateBlockEvent': {
      const written = await provider.updateEvent(action.eventId, action.input, action.etag);
      table.save({
        marker: action.marker,
        eventId: written.id,
        eventHash: eventHash(action.input),
        eventEtag: written.etag,
      });
      return;
    }
    case 'deleteBlockEvent':
      await provider.deleteEvent(action.eventId, action.etag);
      return;
    case 'saveBlockLink':
      table.save(action.link);
      return;
    case 'dropBlockLink':
      table.drop(action.marker);
      return;
  }
}

/** The rows of `calendar_block_events` as the block actions leave them; commits the difference. */
class BlockLinkTable {
  readonly #links: Map<string, BlockLink>;
  readonly #loaded: ReadonlyMap<string, BlockLink>;

  constructor(loaded: readonly BlockLink[]) {
    this.#links = new Map(loaded.map((link) => [link.marker, link]));
    this.#loaded = new Map(this.#links);
  }

  save(link: BlockLink): void {
    for (const [marker, other] of this.#links) {
      if (marker !== link.marker && other.eventId === link.eventId) this.#links.delete(marker);
    }
    this.#links.set(link.marker, link);
  }

  drop(marker: string): void {
    this.#links.delete(marker);
  }

  async commit(tx: Queryable, connectionId: string, now: Date): Promise<void> {
    const same = (a: BlockLink, b: BlockLink | undefined) =>
      b !== undefined &&
      a.eventId === b.eventId &&
      a.eventHash === b.eventHash &&
      a.eventEtag === b.eventEtag;
    for (const [marker, before] of this.#loaded) {
      if (same(before, this.#links.get(marker))) continue;
      await tx.query('delete from calendar_block_events where connection_id = $1 and marker = $2', [
        connectionId,
        marker,
      ]);
    }
    for (const link of this.#links.values()) {
      if (same(link, this.#loaded.get(link.marker))) continue;
      await tx.query(
        `insert into calendar_block_events
           (connection_id, marker, event_id, event_hash, event_etag, updated_at)
         values ($1, $2, $3, $4, $5, $6)`,
        [connectionId, link.marker, link.eventId, link.eventHash, link.eventEtag, now],
      );
    }
  }
}
