import { z } from 'zod';
import type { DocContext } from './context.js';
import type { Task } from './schema.js';
import { deleteTask, getTask, restoreTask, updateTask } from './tasks.js';
import type { UserDocs } from './user-docs.js';
import { parseInput, type TaskPatch, taskPatch } from './validation.js';

/**
 * A calendar conflict as the sync engine writes it into the inbox (`kind: 'calendar_conflict'`):
 * both the task and its event changed since the last sync, the newer won, and `losing` is the
 * other version, as a task patch that brings it back. Inbox items are written by the server and
 * other devices: they are read through `readCalendarConflict`, never trusted as they are.
 */
export const CALENDAR_CONFLICT_KIND = 'calendar_conflict';

export interface CalendarConflict {
  connectionId: string;
  taskId: string;
  eventId: string;
  winner: 'task' | 'event';
  losing: {
    side: 'task' | 'event';
    /** The losing version was the task moved to the trash. */
    isDeletion: boolean;
    patch: TaskPatch;
    updatedAt: string;
  };
  detectedAt: string;
}

/**
 * The task fields a calendar event carries, the only ones a conflict may give back: an item that
 * names others (another device's bug or a forged item) cannot complete, move or re-tag a task.
 * Other keys are dropped; values are checked by `updateTask` when the user keeps the version.
 */
const losingPatch = z
  .object({
    title: z.unknown(),
    description: z.unknown(),
    startDate: z.unknown(),
    dueDate: z.unknown(),
    priority: z.unknown(),
    recurrenceRule: z.unknown(),
    estimatedDuration: z.unknown(),
  })
  .partial()
  .transform((patch) =>
    Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)),
  );

const conflictSchema = z.object({
  connectionId: z.string().min(1).max(200),
  taskId: z.string().min(1).max(200),
  eventId: z.string().min(1).max(2000),
  winner: z.enum(['task', 'event']),
  losing: z.object({
    side: z.enum(['task', 'event']),
    isDeletion: z.boolean(),
    patch: losingPatch,
    updatedAt: z.string().max(64),
  }),
  detectedAt: z.string().max(64),
});

/** The conflict an inbox item's payload describes, or null when it is not a readable one. */
export function readCalendarConflict(payload: unknown): CalendarConflict | null {
  const parsed = conflictSchema.safeParse(payload);
  return parsed.success ? (parsed.data as CalendarConflict) : null;
}

/**
 * What "Keep the other version" does to the task as it is now (`task`: null once it was purged):
 *
 * - a losing deletion (the task had gone to the trash, a later event edit brought it back; or,
 *   should an engine ever write one, the event's deletion) is kept by moving the task to the
 *   trash again: that is how the bridge carries a deletion both ways, so the event follows
 *   (deleted when the connection syncs deletions, else left alone as the user's busy time);
 * - a losing edit is kept by writing its fields that differ, after taking the task out of the
 *   trash if the winning side had deleted it;
 * - nothing is left to do when the task was purged (a partial patch cannot rebuild a task: its
 *   project, tags and subtasks are gone), when a deletion is already in effect, or when the task
 *   already has the other version's fields.
 *
 * Pure: `keepLosingVersion` applies it.
 */
export type ConflictRestore =
  | { kind: 'unreadable' }
  | { kind: 'nothing'; reason: 'task-gone' | 'already-so' }
  | { kind: 'trash' }
  | { kind: 'update'; fromTrash: boolean; patch: TaskPatch };

const sameValue = (a: unknown, b: unknown) => (a ?? null) === (b ?? null);

export function conflictRestorePatch(payload: unknown, task: Task | null): ConflictRestore {
  const conflict = readCalendarConflict(payload);
  if (!conflict) return { kind: 'unreadable' };
  if (!task) return { kind: 'nothing', reason: 'task-gone' };
  const isTrashed = Boolean(task.deletedAt);
  if (conflict.losing.isDeletion) {
    return isTrashed ? { kind: 'nothing', reason: 'already-so' } : { kind: 'trash' };
  }
  const current = task as unknown as Record<string, unknown>;
  const patch = Object.fromEntries(
    Object.entries(conflict.losing.patch).filter(
      ([field, value]) => !sameValue(current[field], value),
    ),
  ) as TaskPatch;
  if (!isTrashed && Object.keys(patch).length === 0) {
    return { kind: 'nothing', reason: 'already-so' };
  }
  return { kind: 'update', fromTrash: isTrashed, patch };
}

/** The fields the losing version would change on the task as it is now, for the inbox. */
export function conflictDifferences(
  conflict: CalendarConflict,
  task: Task | null,
): { field: string; now: unknown; other: unknown }[] {
  const restore = conflictRestorePatch(conflict, task);
  if (restore.kind === 'trash') return [{ field: 'deleted', now: false, other: true }];
  if (restore.kind !== 'update') return [];
  const current = task as unknown as Record<string, unknown>;
  const fields = Object.entries(restore.patch).map(([field, other]) => ({
    field,
    now: current[field] ?? null,
    other,
  }));
  return restore.fromTrash ? [{ field: 'deleted', now: true, other: false }, ...fields] : fields;
}

/**
 * "Keep the other version": applies `conflictRestorePatch`; the change then syncs to the calendar
 * like any edit. Throws ValidationError, leaving the task as it was, when the stored version is
 * not a valid patch.
 */
export function keepLosingVersion(
  docs: UserDocs,
  conflict: CalendarConflict,
  ctx: DocContext,
): Task | null {
  const restore = conflictRestorePatch(conflict, getTask(docs, conflict.taskId));
  if (restore.kind === 'trash') deleteTask(docs, conflict.taskId, ctx);
  if (restore.kind === 'update') {
    // Checked before the restore, so a refused version does not bring the task back half-way.
    parseInput(taskPatch, restore.patch);
    docs.main.transact(() => {
      if (restore.fromTrash) restoreTask(docs, conflict.taskId, ctx);
      if (Object.keys(restore.patch).length > 0) {
        updateTask(docs, conflict.taskId, restore.patch, ctx);
      }
    });
  }
  return getTask(docs, conflict.taskId);
}
