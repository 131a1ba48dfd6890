import type { EventInput, EventTime, ProviderEvent } from '@tasks/connectors';
import { taskToEvent } from '@tasks/connectors';
import { seriesOccurrenceStarts, type Task } from '@tasks/crdt';
import { v5 as uuidv5 } from 'uuid';
import type { SyncLink, SyncPlanInput, SyncWindow } from './sync-actions.js';
import { EVENT_DELETED_TASK_HASH, eventHash, PURGED_TASK_HASH } from './sync-hash.js';

/**
 * What the planner reads, indexed, with the questions it asks of it: which side of a link
 * changed, what a full listing's silence means, and how much a pull would remove at once.
 */

/**
 * The mass-deletion guard (vdirsyncer's StorageEmpty): removals held back when a full listing
 * comes back empty while we know of events, or when at least this many linked events (or linked
 * tasks) vanish at once and they are more than half of the links.
 */
export const MASS_DELETION_MIN_COUNT = 5;
export const MASS_DELETION_MAX_SHARE = 0.5;

const TASK_ID_NAMESPACE = '3a8f6c1e-5b7d-4e2a-9c0f-7d1b2e3f4a5b';

/** The id of the task rule 4 makes from an event: a replay finds it instead of making another. */
export function taskIdForEvent(connectionId: string, eventId: string): string {
  return uuidv5(`${connectionId}:${eventId}`, TASK_ID_NAMESPACE);
}

function instantOf(time: EventTime): number {
  // A calendar date counts from UTC midnight: the window is months wide, a zone offset is noise.
  return Date.parse('date' in time ? `${time.date}T00:00:00Z` : time.dateTime);
}

/** Whether an event falls in the window; a series counts from its first occurrence on. */
export function overlapsWindow(event: EventInput, window: SyncWindow): boolean {
  if (instantOf(event.start) >= Date.parse(window.end)) return false;
  return event.recurrence !== null || instantOf(event.end) > Date.parse(window.start);
}

/**
 * Whether a calendar's own event (one we mirror or may make a task of) shows in the window: a
 * series while its rule still puts an occurrence there (UNTIL and COUNT end it; one that began
 * long before the window counts) or one of its occurrences was moved there. A rule we cannot
 * expand counts from its first occurrence on.
 */
export function eventShowsInWindow(event: ProviderEvent, window: SyncWindow): boolean {
  if (!overlapsWindow(event, window)) return false;
  if (event.recurrence === null) return true;
  const start = instantOf(event.start);
  const duration = Math.max(0, instantOf(event.end) - start);
  const from = Date.parse(window.start);
  const to = Date.parse(window.end);
  const starts = seriesOccurrenceStarts(
    event.recurrence,
    'date' in event.start ? event.start.date : event.start.dateTime,
    'timeZone' in event.start ? event.start.timeZone : 'UTC',
    { from: new Date(from - duration), to: new Date(to) },
  );
  if (starts === null || starts.length > 0) return true;
  return event.overrides.some(
    (override) =>
      !override.cancelled && instantOf(override.start) < to && instantOf(override.end) > from,
  );
}

export type EventSide =
  | { kind: 'unchanged'; event: ProviderEvent | null }
  | { kind: 'changed'; event: ProviderEvent }
  | { kind: 'deleted' };

/** How many removals each side's guard holds back; null when it lets them through. */
export interface MassDeletion {
  events: number | null;
  tasks: number | null;
}

export class SyncSnapshot {
  readonly tasks: Map<string, Task>;
  readonly linkByTask: Map<string, SyncLink>;
  readonly linkByEvent: Map<string, SyncLink>;
  readonly changed: Map<string, ProviderEvent>;
  readonly deleted: Set<string>;
  readonly mirrored: Set<string>;
  readonly detached: Set<string>;

  constructor(readonly input: SyncPlanInput) {
    this.tasks = new Map(input.tasks.map((task) => [task.id, task]));
    this.linkByTask = new Map(input.links.map((link) => [link.taskId, link]));
    this.linkByEvent = new Map(input.links.map((link) => [link.eventId, link]));
    this.changed = new Map(input.eventChanges.changed.map((event) => [event.id, event]));
    this.deleted = new Set(input.eventChanges.deleted);
    this.mirrored = new Set(input.mirroredEventIds);
    this.detached = new Set(input.detachedTaskIds);
  }

  /** The event side of a link, before the guard: deleted, changed or unchanged since last sync. */
  eventSide(link: SyncLink): EventSide {
    if (link.taskHash === EVENT_DELETED_TASK_HASH) return { kind: 'unchanged', event: null };
    if (this.deleted.has(link.eventId)) return { kind: 'deleted' };
    const event = this.changed.get(link.eventId);
    if (event) {
      return eventHash(event) === link.eventHash
        ? { kind: 'unchanged', event }
        : { kind: 'changed', event };
    }
    if (!this.input.eventChanges.full) return { kind: 'unchanged', event: null };
    // A full listing lists the window: absence means deleted, unless the event may lie outside
    // it, which only the live task's event form can tell (the link keeps no date of the event).
    const task = this.tasks.get(link.taskId);
    return task && this.isOutsideWindow(task)
      ? { kind: 'unchanged', event: null }
      : { kind: 'deleted' };
  }

  /** Whether a live task's event form lies outside the window a full listing covers. */
  isOutsideWindow(task: Task): boolean {
    const form = task.deletedAt ? null : taskToEvent(task, this.input.options.timezone);
    return form !== null && !overlapsWindow(form, this.input.options.window);
  }

  /** The task's link to an event that is there (not one rule 3 deleted). */
  hasLiveLink(taskId: string): boolean {
    const link = this.linkByTask.get(taskId);
    return link !== undefined && link.taskHash !== EVENT_DELETED_TASK_HASH;
  }

  /** The event rule 4 made this task from, on this connection, or null. */
  sourceEventOf(task: Task): string | null {
    const eventId = task.calendarEventId;
    if (eventId === null) return null;
    return taskIdForEvent(this.input.connectionId, eventId) === task.id ? eventId : null;
  }

  /**
   * Tasks rule 4 made from an event that is now deleted (or missing from a full listing) while
   * their link was lost to a crash: rule 6 applies to them as if the link had been committed.
   */
  orphanedTasks(): Task[] {
    const { full } = this.input.eventChanges;
    return [...this.tasks.values()]
      .filter((task) => {
        const source = this.sourceEventOf(task);
        if (source === null || this.linkByTask.has(task.id) || this.detached.has(task.id)) {
          return false;
        }
        if (this.deleted.has(source)) return true;
        return full && !this.changed.has(source) && !this.isOutsideWindow(task);
      })
      .sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Mirrored events the pull reports deleted, or a full listing no longer lists. */
  mirrorRemovals(): string[] {
    const { full } = this.input.eventChanges;
    return [...this.mirrored].filter(
      (id) =>
        !this.linkByEvent.has(id) && (this.deleted.has(id) || (full && !this.changed.has(id))),
    );
  }

  massDeletion(): MassDeletion {
    if (this.input.options.allowMassDeletion) return { events: null, tasks: null };
    const { links, eventChanges } = this.input;
    const isMass = (count: number) =>
      count >= MASS_DELETION_MIN_COUNT && count > links.length * MASS_DELETION_MAX_SHARE;

    const linkedGone = links.filter((link) => this.eventSide(link).kind === 'deleted').length;
    const orphaned = this.orphanedTasks().length;
    const eventRemovals = linkedGone + orphaned + this.mirrorRemovals().length;
    const isEmptyListing = eventChanges.full && eventChanges.changed.length === 0;
    const holdsEvents = eventRemovals > 0 && (isEmptyListing || isMass(linkedGone + orphaned));

    // Rows whose event is already settled (kept for a purged task, or deleted) risk nothing.
    const settled = [PURGED_TASK_HASH, EVENT_DELETED_TASK_HASH];
    const linkedAbsent = links.filter(
      (link) => !this.tasks.has(link.taskId) && !settled.includes(link.taskHash),
    ).length;
    const detachedAbsent = [...this.detached].filter((id) => !this.tasks.has(id)).length;
    const taskRemovals = linkedAbsent + detachedAbsent;
    const holdsTasks = taskRemovals > 0 && (this.tasks.size === 0 || isMass(linkedAbsent));
    return { events: holdsEvents ? eventRemovals : null, tasks: holdsTasks ? taskRemovals : null };
  }
}
