import type { EventInput, ProviderEvent } from '@tasks/connectors';
import type { Task, TaskPatch } from '@tasks/crdt';
import { eventHash } from './sync-hash.js';

/**
 * The vocabulary of the calendar sync decision (see sync-plan.ts): the status table's links, what
 * the planner reads, and the actions it returns for the effects layer to apply in order.
 */

/** A row of the status table: a task and an event linked, as they were when last synced. */
export interface SyncLink {
  taskId: string;
  eventId: string;
  /** `taskHash` of the task when last synced, or a *_TASK_HASH marker (sync-hash.ts). */
  taskHash: string;
  /** `eventHash` of the event when last synced. */
  eventHash: string;
  /** The event's version when last synced, for If-Match. */
  eventEtag: string;
}

/** What `CalendarProvider.pullChanges` reported, with whether it was a full listing. */
export interface EventChanges {
  changed: readonly ProviderEvent[];
  deleted: readonly string[];
  /** A listing of every event in the window (cursor null): an event it does not list is gone. */
  full: boolean;
}

export interface SyncWindow {
  /** ISO instants, e.g. now − 30 days … now + 180 days. */
  start: string;
  end: string;
}

export interface SyncOptions {
  timezone: string;
  syncDeleteEnabled: boolean;
  /** Rule 4: whether an event that is not ours becomes a task. */
  eventToTaskCriterion: (event: ProviderEvent) => boolean;
  window: SyncWindow;
  /** ISO instant of this sync, stamped on conflict notifications. */
  now: string;
  /** The user confirmed the removals a previous `skipMassDeletion` held back. */
  allowMassDeletion?: boolean;
}

export interface SyncPlanInput {
  connectionId: string;
  links: readonly SyncLink[];
  /** Tasks rule 6 took off this calendar (their event was deleted): never given an event again. */
  detachedTaskIds: readonly string[];
  /** Every task of the user, the trash included (a purged task is absent). */
  tasks: readonly Task[];
  eventChanges: EventChanges;
  /** Ids of this connection's events mirrored in the document's `calendarEvents` now. */
  mirroredEventIds: readonly string[];
  options: SyncOptions;
}

/** The losing side of a conflict, enough for the inbox to show it and the UI to restore it. */
export interface ConflictLoser {
  side: 'task' | 'event';
  /** The losing version was the task being moved to the trash. */
  isDeletion: boolean;
  /** Applied to the task (restored first if it is in the trash), it brings the losing version back. */
  patch: TaskPatch;
  /** The losing version as calendar fields; null for a deletion. */
  event: EventInput | null;
  updatedAt: string;
}

export interface CreateEventAction {
  type: 'createEvent';
  taskId: string;
  input: EventInput;
  /** Same key on a retry, so the provider creates the event once. */
  key: string;
  /** Goes into the link saved after the write (see `linkAfterWrite`). */
  taskHash: string;
}

export interface UpdateEventAction {
  type: 'updateEvent';
  taskId: string;
  eventId: string;
  input: EventInput;
  etag: string;
  taskHash: string;
}

export type SyncAction =
  | { type: 'skipMassDeletion'; side: 'events' | 'tasks'; count: number }
  | {
      type: 'notifyConflict';
      /** Deterministic: a replay after a crash adds the same inbox item, not a second one. */
      id: string;
      taskId: string;
      eventId: string;
      winner: 'task' | 'event';
      losing: ConflictLoser;
      detectedAt: string;
    }
  | { type: 'restoreTask'; taskId: string }
  | { type: 'createTask'; taskId: string; eventId: string; patch: TaskPatch }
  | { type: 'updateTask'; taskId: string; patch: TaskPatch }
  | { type: 'unlinkTask'; taskId: string }
  | CreateEventAction
  | UpdateEventAction
  | { type: 'deleteEvent'; taskId: string; eventId: string; etag: string }
  | { type: 'mirrorEvent'; event: ProviderEvent }
  | { type: 'unmirrorEvent'; eventId: string }
  | { type: 'saveLink'; link: SyncLink }
  | { type: 'dropLink'; taskId: string };

/**
 * The link to save once a planned create or update of an event succeeded, under the hash of what
 * we sent: the pull that reports our write then sees no change.
 *
 * Null when a create returned an event showing something else: the event an earlier attempt with
 * the same key created (before a crash) and someone edited since. It stays unlinked; the next
 * pull lists it and the plan adopts it, weighing both sides by last-write-wins.
 */
export function linkAfterWrite(
  action: CreateEventAction | UpdateEventAction,
  written: ProviderEvent,
): SyncLink | null {
  const sent = eventHash(action.input);
  if (action.type === 'createEvent' && eventHash(written) !== sent) return null;
  return {
    taskId: action.taskId,
    eventId: written.id,
    taskHash: action.taskHash,
    eventHash: sent,
    eventEtag: written.etag,
  };
}
