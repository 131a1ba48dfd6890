import type * as Y from 'yjs';
import type { DocContext } from './context.js';
import { asMap } from './record-fields.js';
import type { Task } from './schema.js';
import { ROOT } from './schema.js';
import { createTask, deleteTask, getTask, restoreTask, updateTask } from './tasks.js';
import { projectsOf, tasksOf, type UserDocs } from './user-docs.js';
import type { TaskPatch } from './validation.js';

/**
 * A task's history: the versions a server records of it (issue 17), compared field by field,
 * and "restore this version" as a new change (it syncs like any edit).
 */
export const HISTORY_FIELDS = [
  'title',
  'description',
  'status',
  'priority',
  'dueDate',
  'startDate',
  'estimatedDuration',
  'tags',
  'parentId',
  'projectId',
  'recurrenceRule',
  'recurrenceExceptions',
  'deletedAt',
] as const;
export type HistoryField = (typeof HISTORY_FIELDS)[number];
export type TaskVersionFields = Pick<Task, HistoryField>;

export function versionFieldsOf(task: Task): TaskVersionFields {
  const fields = {} as Record<HistoryField, unknown>;
  for (const key of HISTORY_FIELDS) {
    const value = task[key];
    fields[key] = Array.isArray(value) ? [...value] : value;
  }
  return fields as TaskVersionFields;
}

export interface FieldChange {
  field: HistoryField;
  before: unknown;
  after: unknown;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The tasks whose history fields may have changed since the last `take`, or all of them. */
export type TaskChanges = { all: true } | { all: false; ids: ReadonlySet<string> };

export interface TaskChangeFollower {
  /** What changed since the follower started or since the last call; the first call says all. */
  take(): TaskChanges;
  stop(): void;
}

const KNOWN_ROOTS: ReadonlySet<string> = new Set(Object.values(ROOT));

/**
 * Follows a main document's transactions so a reader of tasks (the server's task history, its
 * reminder plan) looks again only at the tasks a change touched, not 10,000 after every edit.
 * A task is read from its own map, except its resolved parent and project: a task removed from
 * the map, a parent written, or a task added that others already name as parent can change
 * other tasks, so those (rare) changes say "all", as does a change to a root the reader depends
 * on (`reads`: by default the projects) or one this code does not know.
 */
export function followTaskChanges(
  doc: Y.Doc,
  reads: readonly string[] = [ROOT.projects],
): TaskChangeFollower {
  const ignored = new Set(
    [...KNOWN_ROOTS].filter((root) => root !== ROOT.tasks && !reads.includes(root)),
  );
  const tasks = tasksOf(doc);
  // Compared by identity with the types a transaction names.
  const tasksRoot: unknown = tasks;
  let all = true;
  let ids = new Set<string>();
  const added = new Set<string>();
  // Task ids by the parent id their map names (raw, present or not): rebuilt whenever "all" is
  // taken, since anything that changes it otherwise (a parent written, a task removed) says all.
  const children = new Map<string, Set<string>>();
  const nameParent = (id: string, value: unknown) => {
    const parent = asMap(value)?.get('parentId');
    if (typeof parent !== 'string') return;
    const named = children.get(parent) ?? new Set<string>();
    named.add(id);
    children.set(parent, named);
  };
  const indexParents = () => {
    children.clear();
    tasks.forEach((value, id) => {
      nameParent(id, value);
    });
  };
  const rootName = new Map<unknown, string>();
  for (const [name, type] of doc.share) rootName.set(type, name);

  const onTransaction = (transaction: Y.Transaction) => {
    if (all) return;
    for (const [type, keys] of transaction.changed) {
      if (type === tasksRoot) {
        for (const key of keys) {
          if (key === null) continue;
          if (tasks.has(key)) {
            ids.add(key);
            added.add(key);
            nameParent(key, tasks.get(key));
          } else all = true;
        }
        continue;
      }
      // Up to the type directly under the tasks root (a task's map): its key is the task id.
      let inner = type;
      while (inner.parent !== null && inner.parent !== tasksRoot) inner = inner.parent;
      const id = inner._item?.parentSub;
      if (inner.parent === tasksRoot && typeof id === 'string') {
        ids.add(id);
        // A written parent can change other tasks' resolved parent (cycles).
        if (inner === type && keys.has('parentId')) all = true;
        continue;
      }
      const root =
        rootName.get(inner) ?? [...doc.share].find(([, shared]) => shared === inner)?.[0];
      if (root === undefined || !ignored.has(root)) all = true;
    }
  };
  doc.on('afterTransaction', onTransaction);
  return {
    take() {
      // A task that arrived after others named it as their parent gives them a parent.
      for (const id of added) {
        for (const child of children.get(id) ?? []) if (!added.has(child)) all = true;
      }
      const changes: TaskChanges = all ? { all: true } : { all: false, ids };
      if (all) indexParents();
      all = false;
      ids = new Set();
      added.clear();
      return changes;
    },
    stop() {
      doc.off('afterTransaction', onTransaction);
    },
  };
}

/** What changed from `before` (null: the task did not exist) to `after`, field by field. */
export function diffVersions(
  before: TaskVersionFields | null,
  after: TaskVersionFields,
): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const field of HISTORY_FIELDS) {
    const old = before === null ? null : before[field];
    if (before === null && (after[field] === null || same(after[field], []))) continue;
    if (!same(old, after[field])) changes.push({ field, before: old, after: after[field] });
  }
  return changes;
}

/**
 * The Yjs client ids (devices, or the server for REST and calendar writes) that wrote the task's
 * fields as they are now: sorted, each once.
 */
export function writersOf(docs: UserDocs, taskId: string): number[] {
  const map = asMap(tasksOf(docs.main).get(taskId));
  if (!map) return [];
  const clients = new Set<number>();
  // A Y.Map keeps the item that holds each key's current value; the item's id names its writer.
  const items = (map as unknown as { _map: Map<string, { id: { client: number } }> })._map;
  for (const item of items.values()) clients.add(item.id.client);
  return [...clients].sort((a, b) => a - b);
}

/** The task's map, for readers that need the raw document (writers, versions). */
export function taskMapOf(docs: UserDocs, taskId: string): Y.Map<unknown> | null {
  return asMap(tasksOf(docs.main).get(taskId));
}

/**
 * Makes the task what `version` was, as one new change: out of the trash (or into it) as the
 * version was, then every other field that differs. A task no longer in the document (purged
 * from the trash, or removed by a device) comes back under its own id (see `recreateTask`).
 * Returns the task as it now is.
 */
export function restoreVersion(
  docs: UserDocs,
  taskId: string,
  version: TaskVersionFields,
  ctx: DocContext,
): Task | null {
  let current = getTask(docs, taskId);
  if (!current) return recreateTask(docs, taskId, version, ctx);
  if (current.deletedAt !== null && version.deletedAt === null) {
    current = restoreTask(docs, taskId, ctx);
  }
  const patch: Record<string, unknown> = {};
  for (const field of HISTORY_FIELDS) {
    if (field === 'deletedAt') continue;
    if (!same(current[field], version[field])) patch[field] = version[field];
  }
  if (current.deletedAt === null && Object.keys(patch).length > 0) {
    updateTask(docs, taskId, patch as TaskPatch, ctx);
  }
  if (version.deletedAt !== null && current.deletedAt === null) deleteTask(docs, taskId, ctx);
  return getTask(docs, taskId);
}

/**
 * A task that left the document ("recently deleted"), made again from a recorded version under
 * its own id, so its history, subtasks and time entries find it: never into the trash (bringing
 * it back is the point), under its parent only if that parent is there and not in the trash,
 * in its project only if that project still exists. Fields the version does not hold start
 * afresh (order at the end, created now, the default reminder of a dated task).
 */
function recreateTask(
  docs: UserDocs,
  taskId: string,
  version: TaskVersionFields,
  ctx: DocContext,
): Task {
  const parent = version.parentId ? getTask(docs, version.parentId) : null;
  const hasProject =
    version.projectId !== null && asMap(projectsOf(docs.main).get(version.projectId)) !== null;
  return createTask(
    docs,
    {
      id: taskId,
      title: version.title,
      description: version.description,
      status: version.status,
      priority: version.priority,
      dueDate: version.dueDate,
      startDate: version.startDate,
      estimatedDuration: version.estimatedDuration,
      tags: [...version.tags],
      parentId: parent && parent.deletedAt === null ? parent.id : null,
      projectId: hasProject ? version.projectId : null,
      recurrenceRule: version.recurrenceRule,
      recurrenceExceptions: [...version.recurrenceExceptions],
    },
    ctx,
  );
}

/** The last recorded version of a task, as the server keeps it. */
export interface LastVersion {
  taskId: string;
  version: number;
  recordedAt: string;
  fields: TaskVersionFields;
}

/** When a task left: when it went to the trash, or else when its last version was recorded. */
export const deletedAtOf = (last: LastVersion) => last.fields.deletedAt ?? last.recordedAt;

/**
 * "Recently deleted" beyond the trash: the tasks history knows that are no longer in the
 * document at all (purged from the trash, or removed by a device), most recently deleted first.
 * Tasks still in the trash are the trash view's, not these.
 */
export function recentlyDeleted<T extends LastVersion>(docs: UserDocs, last: readonly T[]): T[] {
  const tasks = tasksOf(docs.main);
  return last
    .filter((item) => !asMap(tasks.get(item.taskId)))
    .sort(
      (a, b) =>
        Date.parse(deletedAtOf(b)) - Date.parse(deletedAtOf(a)) || a.taskId.localeCompare(b.taskId),
    );
}
