import {
  type EventInput,
  eventToTaskPatch,
  type ProviderEvent,
  taskToEvent,
} from '@tasks/connectors';
import type { Task } from '@tasks/crdt';
import { v5 as uuidv5 } from 'uuid';
import type {
  ConflictLoser,
  SyncAction,
  SyncLink,
  SyncOptions,
  SyncPlanInput,
} from './sync-actions.js';
import {
  EVENT_DELETED_TASK_HASH,
  eventHash,
  PURGED_TASK_HASH,
  TRASHED_TASK_HASH,
  taskHash,
} from './sync-hash.js';
import {
  type EventSide,
  eventShowsInWindow,
  overlapsWindow,
  SyncSnapshot,
  taskIdForEvent,
} from './sync-snapshot.js';
import { applyPatch, fieldsOverwrittenBy, newTask } from './task-patch-projection.js';

export * from './sync-actions.js';
export * from './sync-hash.js';
export {
  MASS_DELETION_MAX_SHARE,
  MASS_DELETION_MIN_COUNT,
  overlapsWindow,
  taskIdForEvent,
} from './sync-snapshot.js';

/**
 * The calendar sync decision (spec 6.2 rules 1-6, last-write-wins on conflicts) as a pure
 * function, after vdirsyncer's `sync()`: from the status table of one connection, the tasks as
 * they are and the changes a pull reported, the list of actions that brings both sides together.
 * A side counts as changed only against the hash stored when the pair was last synced, which also
 * swallows the echoes of our own writes. No I/O and no clock: the effects run elsewhere.
 */

const CONFLICT_NAMESPACE = '8e2d4b6a-1c3f-4a5e-b7d9-0f2e4c6a8b1d';

function toEventInput(event: ProviderEvent): EventInput {
  const { id: _id, etag: _etag, updatedAt: _updatedAt, ...input } = event;
  return input;
}

const PHASE: Record<SyncAction['type'], number> = {
  skipMassDeletion: 0,
  // Before any write, so a crash right after the write cannot lose the losing version.
  notifyConflict: 1,
  restoreTask: 2,
  createTask: 3,
  updateTask: 3,
  unlinkTask: 3,
  createEvent: 4,
  updateEvent: 4,
  deleteEvent: 4,
  mirrorEvent: 5,
  unmirrorEvent: 5,
  // Last: the status table is committed after the writes it records.
  saveLink: 6,
  dropLink: 6,
};

interface Guard {
  holdsEvents: boolean;
  holdsTasks: boolean;
}

/** Everything one planning pass reads and writes. */
class SyncPlanner {
  private readonly actions: SyncAction[] = [];
  private readonly unmirrored = new Set<string>();
  /** Tasks given an event or unlinked in this plan: rule 1 must not create another one. */
  private readonly claimed = new Set<string>();
  private readonly state: SyncSnapshot;
  private readonly options: SyncOptions;
  private guard: Guard = { holdsEvents: false, holdsTasks: false };

  constructor(private readonly input: SyncPlanInput) {
    this.state = new SyncSnapshot(input);
    this.options = input.options;
  }

  plan(): SyncAction[] {
    this.guard = this.checkMassDeletion();
    const links = [...this.input.links].sort((a, b) => a.taskId.localeCompare(b.taskId));
    for (const link of links) this.planLinkedPair(link);
    const events = [...this.state.changed.values()].sort((a, b) => a.id.localeCompare(b.id));
    for (const event of events) {
      if (!this.state.linkByEvent.has(event.id)) this.planUnlinkedEvent(event);
    }
    this.planUnlinkedDeletions();
    this.planRemovedMirrors();
    this.planForgottenDetachments();
    const tasks = [...this.state.tasks.values()].sort((a, b) => a.id.localeCompare(b.id));
    for (const task of tasks) this.planUnlinkedTask(task);
    return this.actions
      .map((action, index) => ({ action, index }))
      .sort((a, b) => PHASE[a.action.type] - PHASE[b.action.type] || a.index - b.index)
      .map(({ action }) => action);
  }

  private add(action: SyncAction): void {
    this.actions.push(action);
  }

  private get timezone(): string {
    return this.options.timezone;
  }

  // ---- the mass-deletion guard ---------------------------------------------------------------

  private checkMassDeletion(): Guard {
    const held = this.state.massDeletion();
    if (held.events !== null) {
      this.add({ type: 'skipMassDeletion', side: 'events', count: held.events });
    }
    if (held.tasks !== null)
      this.add({ type: 'skipMassDeletion', side: 'tasks', count: held.tasks });
    return { holdsEvents: held.events !== null, holdsTasks: held.tasks !== null };
  }

  /** The event side of a link, a deletion held back by the guard counting as no change. */
  private eventSide(link: SyncLink): EventSide {
    const side = this.state.eventSide(link);
    return side.kind === 'deleted' && this.guard.holdsEvents
      ? { kind: 'unchanged', event: null }
      : side;
  }

  // ---- linked pairs: the decision table --------------------------------------------------------

  /**
   * One row of the status table. Task side: unchanged / changed (its hash differs from the
   * link's) / in the trash / purged. Event side: unchanged / changed / deleted.
   *
   *   task \ event   unchanged          changed                      deleted
   *   unchanged      nothing (etag)     rule 5: updateTask           rule 6: unlinkTask
   *   changed        rule 2: updateEvt  same? record : LWW + inbox   rule 6: unlinkTask
   *   in the trash   rule 3 if on       LWW deletedAt vs edit:       rule 3 done: remember
   *                  (else wait)        restore+update or delete     (sync-delete off: rule 6)
   *   purged         rule 3 if on, else keep the event and the row marked PURGED; dropLink if gone
   */
  private planLinkedPair(link: SyncLink): void {
    const task = this.state.tasks.get(link.taskId);
    if (link.taskHash === EVENT_DELETED_TASK_HASH) {
      // The event is gone (rule 3); the row waits for a restore (planUnlinkedTask) or a purge.
      if (!task) this.add({ type: 'dropLink', taskId: link.taskId });
      return;
    }
    const event = this.eventSide(link);
    if (!task) {
      this.planPurgedTask(link, event);
      return;
    }
    // A task's event shows as the task; a mirror of it would show it twice.
    if (this.state.mirrored.has(link.eventId)) this.unmirror(link.eventId);
    if (task.deletedAt) {
      this.planTrashedTask(link, task, event);
      return;
    }

    const hash = taskHash(task, this.timezone);
    const taskChanged = hash !== link.taskHash;
    if (event.kind === 'deleted') {
      // Rule 6 (whatever the task did): the task stays, unlinked and off this calendar for good.
      this.add({ type: 'unlinkTask', taskId: task.id });
      return;
    }
    if (event.kind === 'unchanged') {
      if (taskChanged) {
        // Rule 2: only the task changed, it goes to the event.
        this.pushTask(link, task, hash, event.event);
      } else if (event.event && event.event.etag !== link.eventEtag) {
        // Neither changed, but the provider moved the version (a field we do not map).
        this.add({ type: 'saveLink', link: { ...link, eventEtag: event.event.etag } });
      }
      // Neither changed (our own echo included): nothing to do.
      return;
    }
    if (!taskChanged) {
      // Rule 5: only the event changed, it goes to the task.
      this.pullEvent(task, event.event);
    } else if (this.agrees(task, event.event)) {
      // Both changed the same way (or our write whose link a crash lost): record, no conflict.
      this.add({ type: 'saveLink', link: this.linkOf(task, hash, event.event) });
    } else if (Date.parse(task.updatedAt) >= Date.parse(event.event.updatedAt)) {
      // True conflict, the task written last (or at the same time): it wins, the event's edit
      // goes to the inbox.
      this.notify(link, task, 'task', this.eventLoser(task, event.event));
      this.pushTask(link, task, hash, event.event);
    } else {
      // True conflict, the event written last: it wins, the task's version goes to the inbox.
      const patch = eventToTaskPatch(event.event, task, this.timezone);
      this.notify(link, task, 'event', {
        side: 'task',
        isDeletion: false,
        patch: fieldsOverwrittenBy(task, patch),
        event: taskToEvent(task, this.timezone),
        updatedAt: task.updatedAt,
      });
      this.pullEvent(task, event.event);
    }
  }

  /** A linked task purged from the trash (or missing from the document). */
  private planPurgedTask(link: SyncLink, event: EventSide): void {
    const wasPurged = link.taskHash === PURGED_TASK_HASH;
    // The guard holds it: a document that suddenly lacks the tasks is not a user deleting them.
    if (!wasPurged && this.guard.holdsTasks) return;
    if (event.kind === 'deleted' || this.options.syncDeleteEnabled) {
      // Rule 3 (the task is gone for good, so is its event), or gone on both sides already.
      if (event.kind !== 'deleted') {
        const etag = event.event?.etag ?? link.eventEtag;
        this.add({ type: 'deleteEvent', taskId: link.taskId, eventId: link.eventId, etag });
      }
      if (this.state.mirrored.has(link.eventId)) this.unmirror(link.eventId);
      this.add({ type: 'dropLink', taskId: link.taskId });
    } else {
      // Sync-delete off: the event stays, as the user's busy time. The link stays too, marked,
      // so the event is never taken for a new one (rule 4 would bring the task back) nor for a
      // leftover of ours to delete (vdirsyncer's partial_sync = ignore keeps its status alike).
      const current = event.event;
      if (current) this.mirror(current);
      const next: SyncLink = current
        ? {
            ...link,
            taskHash: PURGED_TASK_HASH,
            eventHash: eventHash(current),
            eventEtag: current.etag,
          }
        : { ...link, taskHash: PURGED_TASK_HASH };
      const isSame =
        wasPurged && next.eventHash === link.eventHash && next.eventEtag === link.eventEtag;
      if (!isSame) this.add({ type: 'saveLink', link: next });
    }
  }

  /** A linked task in the trash. */
  private planTrashedTask(link: SyncLink, task: Task, event: EventSide): void {
    const deletedAt = task.deletedAt as string;
    const syncsDelete = this.options.syncDeleteEnabled;
    if (event.kind === 'deleted') {
      // With sync-delete, what rule 3 would have done anyway (or did, before a crash); without,
      // rule 6: the user took the event off the calendar, a restore must not bring it back.
      if (syncsDelete) this.add({ type: 'saveLink', link: this.eventDeleted(link) });
      else this.add({ type: 'unlinkTask', taskId: task.id });
    } else if (event.kind === 'unchanged') {
      if (syncsDelete) {
        // Rule 3: the deletion goes to the calendar.
        this.deleteEventOf(link, event.event?.etag ?? link.eventEtag);
      } else if (event.event && event.event.etag !== link.eventEtag) {
        // Sync-delete off: the link waits for a restore, with the event's version kept current.
        this.add({ type: 'saveLink', link: { ...link, eventEtag: event.event.etag } });
      }
      // Otherwise (sync-delete off) the link waits; a restore resumes the pair where it was.
    } else if (Date.parse(event.event.updatedAt) > Date.parse(deletedAt)) {
      // The event was edited after the task was deleted: the edit is the last write, the task
      // comes back from the trash with it; the deletion goes to the inbox.
      this.notify(link, task, 'event', {
        side: 'task',
        isDeletion: true,
        patch: {},
        event: null,
        updatedAt: deletedAt,
      });
      this.add({ type: 'restoreTask', taskId: task.id });
      this.pullEvent({ ...task, deletedAt: null }, event.event);
    } else {
      // The deletion is the last write; the event's earlier edit goes to the inbox.
      this.notify(link, task, 'task', this.eventLoser(task, event.event));
      if (syncsDelete) this.deleteEventOf(link, event.event.etag);
      // Sync-delete off: the event keeps its edit; a restore (a later write) pushes the task.
      else this.add({ type: 'saveLink', link: this.linkOf(task, TRASHED_TASK_HASH, event.event) });
    }
  }

  /** Rule 3 for a task in the trash, remembering the event so a restore gets a fresh key. */
  private deleteEventOf(link: SyncLink, etag: string): void {
    this.add({ type: 'deleteEvent', taskId: link.taskId, eventId: link.eventId, etag });
    this.add({ type: 'saveLink', link: this.eventDeleted(link) });
  }

  private eventDeleted(link: SyncLink): SyncLink {
    return { ...link, taskHash: EVENT_DELETED_TASK_HASH };
  }

  // ---- events and tasks without a link --------------------------------------------------------

  private planUnlinkedEvent(event: ProviderEvent): void {
    if (event.taskId !== null) {
      this.planMarkedEvent(event, event.taskId);
      return;
    }
    if (!eventShowsInWindow(event, this.options.window)) {
      // Out of the window: not mirrored, not a task (rule 4 looks at the window only).
      if (this.state.mirrored.has(event.id)) this.unmirror(event.id);
      return;
    }
    const taskId = taskIdForEvent(this.input.connectionId, event.id);
    const existing = this.state.tasks.get(taskId);
    if (existing) {
      // Rule 4 already made this event's task (a crash lost the link): adopt, never a second one.
      if (this.isAdoptable(existing)) this.adopt(existing, event);
      else this.mirror(event);
      return;
    }
    if (this.options.eventToTaskCriterion(event)) {
      // Rule 4: an event that is not ours and matches the criterion becomes a task.
      const patch = eventToTaskPatch(event, null, this.timezone);
      this.add({ type: 'createTask', taskId, eventId: event.id, patch });
      const created = newTask(taskId, patch);
      this.add({
        type: 'saveLink',
        link: this.linkOf(created, taskHash(created, this.timezone), event),
      });
      if (this.state.mirrored.has(event.id)) this.unmirror(event.id);
      return;
    }
    // Not ours, not a task: mirrored for the calendar view and for scheduling.
    this.mirror(event);
  }

  /** An event carrying our task marker but no link. */
  private planMarkedEvent(event: ProviderEvent, taskId: string): void {
    const task = this.state.tasks.get(taskId);
    if (task && this.isAdoptable(task)) {
      // We created it and lost the link (a crash before the status table was committed): adopt.
      this.adopt(task, event);
    } else if (!task && this.options.syncDeleteEnabled && !this.guard.holdsTasks) {
      // Ours, for a task purged: rule 3.
      this.add({ type: 'deleteEvent', taskId, eventId: event.id, etag: event.etag });
      if (this.state.mirrored.has(event.id)) this.unmirror(event.id);
    } else {
      // Ours but left behind (sync-delete off, task detached, or a copy of a linked task's event):
      // busy time like any other event, never turned back into a task.
      this.mirror(event);
    }
  }

  /** A task, in the trash or not, that an event found without a link may be linked to. */
  private isAdoptable(task: Task): boolean {
    return (
      !this.state.hasLiveLink(task.id) &&
      !this.state.detached.has(task.id) &&
      !this.claimed.has(task.id)
    );
  }

  /**
   * Links a task and an event found unlinked (a crash lost the link); with no common base to
   * tell a conflict, the last write wins without a notification.
   */
  private adopt(task: Task, event: ProviderEvent): void {
    this.claimed.add(task.id);
    if (this.state.mirrored.has(event.id)) this.unmirror(event.id);
    const hash = taskHash(task, this.timezone);
    const base: SyncLink = this.linkOf(task, hash, event);
    if (this.agrees(task, event)) this.add({ type: 'saveLink', link: base });
    // A task in the trash whose event says otherwise: the rules of the trash decide now, as for a
    // linked pair whose event changed (the later of the deletion and the edit wins). Linked as
    // it was, the pair would look settled to every later sync and never agree, even after a
    // restore (the model test found it: a crash lost the link, the task went to the trash, the
    // event was renamed).
    else if (task.deletedAt) this.planTrashedTask(base, task, { kind: 'changed', event });
    else if (Date.parse(task.updatedAt) >= Date.parse(event.updatedAt))
      this.pushTask(base, task, hash, event);
    else this.pullEvent(task, event);
  }

  private planUnlinkedTask(task: Task): void {
    if (task.deletedAt || this.state.hasLiveLink(task.id)) return;
    if (this.state.detached.has(task.id) || this.claimed.has(task.id)) return;
    const deleted = this.state.linkByTask.get(task.id);
    // A task rule 4 made, whose link a crash lost, has its event: it waits for a pull to show it.
    if (!deleted && this.state.sourceEventOf(task) !== null) return;
    const form = taskToEvent(task, this.timezone);
    // Rule 1: a dated task gets an event, once it falls in the window.
    if (!form || !overlapsWindow(form, this.options.window)) return;
    // The key survives retries and edits, so a replay creates nothing twice; a task restored
    // after rule 3 deleted its event needs another (Google refuses a deleted event's id for ever).
    const key = deleted ? `${task.id}~${deleted.eventId}` : task.id;
    this.add({ type: 'createEvent', taskId: task.id, input: form, key, taskHash: eventHash(form) });
  }

  private planUnlinkedDeletions(): void {
    if (this.guard.holdsEvents) return;
    for (const task of this.state.orphanedTasks()) {
      if (this.claimed.has(task.id)) continue;
      this.claimed.add(task.id);
      this.add({ type: 'unlinkTask', taskId: task.id });
    }
  }

  private planRemovedMirrors(): void {
    if (this.guard.holdsEvents) return;
    for (const id of this.state.mirrorRemovals()) this.unmirror(id);
  }

  private planForgottenDetachments(): void {
    if (this.guard.holdsTasks) return;
    const gone = [...this.state.detached].filter((id) => !this.state.tasks.has(id)).sort();
    for (const taskId of gone) this.add({ type: 'dropLink', taskId });
  }

  // ---- shared steps -----------------------------------------------------------------------------

  /** Task → event (rule 2). An undated task cannot be shown: its event stays as it was. */
  private pushTask(link: SyncLink, task: Task, hash: string, event: ProviderEvent | null): void {
    const form = taskToEvent(task, this.timezone);
    const etag = event?.etag ?? link.eventEtag;
    if (!form) {
      // Recorded only against an event seen in this pull: without one, no If-Match would catch
      // an edit the pull did not show, and the next pull must still weigh the two.
      if (event) {
        const next = { ...link, taskHash: hash, eventHash: eventHash(event), eventEtag: etag };
        this.add({ type: 'saveLink', link: next });
      }
      return;
    }
    this.add({
      type: 'updateEvent',
      taskId: task.id,
      eventId: link.eventId,
      input: form,
      etag,
      taskHash: hash,
    });
  }

  /** Event → task (rule 5), with the link of the task as it will be. */
  private pullEvent(task: Task, event: ProviderEvent): void {
    const patch = eventToTaskPatch(event, task, this.timezone);
    if (Object.keys(patch).length > 0) this.add({ type: 'updateTask', taskId: task.id, patch });
    const next = applyPatch(task, patch);
    this.add({
      type: 'saveLink',
      link: this.linkOf(next, taskHash(next, this.timezone), event),
    });
  }

  /** Whether the task already shows what the event says (nothing would flow either way). */
  private agrees(task: Task, event: ProviderEvent): boolean {
    const form = taskToEvent(task, this.timezone);
    if (!form) return false;
    if (eventHash(form) === eventHash(event)) return true;
    return Object.keys(eventToTaskPatch(event, task, this.timezone)).length === 0;
  }

  private linkOf(task: Task, hash: string, event: ProviderEvent): SyncLink {
    return {
      taskId: task.id,
      eventId: event.id,
      taskHash: hash,
      eventHash: eventHash(event),
      eventEtag: event.etag,
    };
  }

  private eventLoser(task: Task, event: ProviderEvent): ConflictLoser {
    return {
      side: 'event',
      isDeletion: false,
      patch: eventToTaskPatch(event, task, this.timezone),
      event: toEventInput(event),
      updatedAt: event.updatedAt,
    };
  }

  private notify(
    link: SyncLink,
    task: Task,
    winner: 'task' | 'event',
    losing: ConflictLoser,
  ): void {
    // Timestamps are whole seconds: two conflicts of one pair within a second differ only by
    // content, so the losing version and the task's fields are part of the id too. The same
    // conflict found again (a replay after a crash) gets the same id, so one notification.
    const {
      title,
      description,
      startDate,
      dueDate,
      priority,
      recurrenceRule,
      recurrenceExceptions,
      estimatedDuration,
    } = task;
    const versions = JSON.stringify([
      task.updatedAt,
      task.deletedAt ?? '',
      losing.updatedAt,
      losing.isDeletion,
      losing.patch,
      losing.event,
      [title, description, startDate, dueDate, priority, recurrenceRule, estimatedDuration],
      // Only when there are some, so the ids of conflicts found before exceptions stay.
      ...(recurrenceExceptions.length > 0 ? [recurrenceExceptions] : []),
    ]);
    const id = uuidv5(
      `${this.input.connectionId}:${link.taskId}:${link.eventId}:${winner}:${versions}`,
      CONFLICT_NAMESPACE,
    );
    this.add({
      type: 'notifyConflict',
      id,
      taskId: link.taskId,
      eventId: link.eventId,
      winner,
      losing,
      detectedAt: this.options.now,
    });
  }

  private mirror(event: ProviderEvent): void {
    if (eventShowsInWindow(event, this.options.window)) this.add({ type: 'mirrorEvent', event });
    else if (this.state.mirrored.has(event.id)) this.unmirror(event.id);
  }

  private unmirror(eventId: string): void {
    if (this.unmirrored.has(eventId)) return;
    this.unmirrored.add(eventId);
    this.add({ type: 'unmirrorEvent', eventId });
  }
}

/**
 * The actions that sync one connection, in an order that is safe to apply one by one and to
 * replay after a crash (see PHASE). Commit the links and the cursor after applying them.
 */
export function planSync(input: SyncPlanInput): SyncAction[] {
  return new SyncPlanner(input).plan();
}
