import { z } from 'zod';
import type { DocContext } from './context.js';
import type { Task } from './schema.js';
import { deleteTask, getTask, restoreTask, updateTask } from './tasks.js';
import type { UserDocs } from './user-docs.js';
import type { TaskPatch } from './validation.js';

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

const conflictSchema = z.object({
  connectionId: z.string().min(1).max(200),
  taskId: z.string().min(1).max(200),
  eventId: z.string().min(1).max(2000),
  winner: z.enum(['task', 'event']),
  losing: z.object({
    side: z.enum(['task', 'event']),
    isDeletion: z.boolean(),
    patch: z.record(z.string(), z.unknown()),
    updatedAt: z.string().max(64),
  }),
  detectedAt: z.string().max(64),
});

/** The conflict an inbox item's payload describes, or null when it is not a readable one. */
export function readCalendarConflict(payload: unknown): CalendarConflict | null {
  const parsed = conflictSchema.safeParse(payload);
  return parsed.success ? (parsed.data as CalendarConflict) : null;
}

/** The fields the losing version would change on the task as it is now. */
export function conflictDifferences(
  conflict: CalendarConflict,
  task: Task | null,
): { field: string; now: unknown; other: unknown }[] {
  if (conflict.losing.isDeletion) return [{ field: 'deleted', now: false, other: true }];
  return Object.entries(conflict.losing.patch)
    .filter(
      ([field, value]) => !task || (task as unknown as Record<string, unknown>)[field] !== value,
    )
    .map(([field, value]) => ({
      field,
      now: task ? ((task as unknown as Record<string, unknown>)[field] ?? null) : null,
      other: value,
    }));
}

/**
 * "Keep the other version": the task takes the losing version back — its fields (restored from
 * the trash first if the winning side deleted it), or its deletion. The change then syncs to the
 * calendar like any edit. Throws ValidationError when the stored version is not a valid patch.
 */
export function keepLosingVersion(
  docs: UserDocs,
  conflict: CalendarConflict,
  ctx: DocContext,
): Task | null {
  const task = getTask(docs, conflict.taskId);
  if (conflict.losing.isDeletion) {
    if (task && !task.deletedAt) deleteTask(docs, conflict.taskId, ctx);
    return getTask(docs, conflict.taskId);
  }
  if (task?.deletedAt) restoreTask(docs, conflict.taskId, ctx);
  return updateTask(docs, conflict.taskId, conflict.losing.patch, ctx).task;
}
