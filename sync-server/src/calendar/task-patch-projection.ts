import type { Task, TaskPatch } from '@tasks/crdt';

/**
 * A task as it will read once the bridge applied a patch, computed without the document so the
 * planner can store the hash of the task it is about to write.
 */

export function applyPatch(task: Task, patch: TaskPatch): Task {
  const next = { ...task };
  if (patch.title !== undefined) next.title = patch.title;
  if (patch.description !== undefined) next.description = patch.description;
  if (patch.priority !== undefined) next.priority = patch.priority;
  if (patch.recurrenceRule !== undefined) next.recurrenceRule = patch.recurrenceRule;
  // As crdt's updateTask: a new rule drops the old series' exceptions unless given. (An open
  // task moved off a skipped occurrence reads differently: the next run pushes that move.)
  if (patch.recurrenceExceptions !== undefined) {
    next.recurrenceExceptions = [...new Set(patch.recurrenceExceptions)].sort();
  } else if (next.recurrenceRule !== task.recurrenceRule) {
    next.recurrenceExceptions = [];
  }
  if (patch.startDate !== undefined) next.startDate = patch.startDate;
  if (patch.dueDate !== undefined) next.dueDate = patch.dueDate;
  if (patch.estimatedDuration !== undefined) next.estimatedDuration = patch.estimatedDuration;
  return next;
}

/** The task's own values of the fields `patch` would overwrite. */
export function fieldsOverwrittenBy(task: Task, patch: TaskPatch): TaskPatch {
  const before: TaskPatch = {};
  if (patch.title !== undefined) before.title = task.title;
  if (patch.description !== undefined) before.description = task.description;
  if (patch.priority !== undefined) before.priority = task.priority;
  if (patch.recurrenceRule !== undefined) before.recurrenceRule = task.recurrenceRule;
  if (patch.recurrenceExceptions !== undefined) {
    before.recurrenceExceptions = task.recurrenceExceptions;
  }
  if (patch.startDate !== undefined) before.startDate = task.startDate;
  if (patch.dueDate !== undefined) before.dueDate = task.dueDate;
  if (patch.estimatedDuration !== undefined) before.estimatedDuration = task.estimatedDuration;
  return before;
}

/** A task as rule 4 creates it (the defaults of crdt's createTask), for the link's task hash. */
export function newTask(id: string, patch: TaskPatch): Task {
  const blank: Task = {
    id,
    title: '',
    description: '',
    status: 'TODO',
    priority: 'MEDIUM',
    dueDate: null,
    startDate: null,
    estimatedDuration: null,
    tags: [],
    parentId: null,
    projectId: null,
    recurrenceRule: null,
    recurrenceExceptions: [],
    reminders: [],
    seriesId: id,
    nextOccurrenceId: null,
    calendarEventId: null,
    order: '',
    createdAt: '',
    updatedAt: '',
    completedAt: null,
    deletedAt: null,
  };
  return applyPatch(blank, patch);
}
