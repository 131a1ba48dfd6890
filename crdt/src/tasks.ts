import { generateKeyBetween } from 'fractional-indexing';
import { v5 as uuidv5 } from 'uuid';
import * as Y from 'yjs';
import type { DocContext } from './context.js';
import { isDateOnly, localDateTimeToInstant, normalizeLocalDateTime, toIso } from './dates.js';
import { documentVersion, isInTransaction } from './doc-version.js';
import { ConflictError, NotFoundError, ValidationError } from './errors.js';
import { asMap, replaceText, writeField } from './record-fields.js';
import { nextOccurrence } from './recurrence.js';
import { reminderKey } from './reminder-keys.js';
import {
  EXCEPTION_KEY_PREFIX,
  REMINDER_KEY_PREFIX,
  type Reminder,
  TAG_KEY_PREFIX,
  type Task,
} from './schema.js';
import { getSettings, getTimezone } from './settings.js';
import { ensureTags } from './tags.js';
import { filterTasks, sortTasks, type TaskFilter, type TaskSort } from './task-query.js';
import { compareByOrder, effectiveParentId, readTask } from './task-read.js';
import { projectsOf, tasksOf, type UserDocs } from './user-docs.js';
import {
  parseInput,
  type TaskCreateInput,
  type TaskPatch,
  taskCreateInput,
  taskPatch,
} from './validation.js';

/** Namespace of the deterministic ids of recurring tasks' next occurrences. */
const OCCURRENCE_NAMESPACE = '6f1c7a4e-0d3b-4c55-9a53-2b7f0e1d8c11';
export const TRASH_RETENTION_DAYS = 30;

/** A task with the parent resolved (see `effectiveParentId`). */
export function getTask(docs: UserDocs, id: string): Task | null {
  const tasks = tasksOf(docs.main);
  const task = readTask(id, tasks.get(id));
  if (!task) return null;
  return resolveReferences(docs, tasks, task);
}

/**
 * A task's parent and project as they really are: a parent or project removed on another
 * device reads as none (see `effectiveParentId` for parents and cycles).
 */
function resolveReferences(docs: UserDocs, tasks: Y.Map<unknown>, task: Task): Task {
  if (task.parentId !== null) task.parentId = effectiveParentId(tasks, task.id);
  if (task.projectId !== null && !asMap(projectsOf(docs.main).get(task.projectId))) {
    task.projectId = null;
  }
  return task;
}

/** A task that exists and is not in the trash, or NotFoundError. */
function liveTaskMap(docs: UserDocs, id: string): Y.Map<unknown> {
  const map = asMap(tasksOf(docs.main).get(id));
  if (!map || map.has('deletedAt')) throw new NotFoundError('task', id);
  return map;
}

export interface ListTasksOptions {
  /** Include tasks in the trash (default false). */
  includeDeleted?: boolean;
}

// Reading 10,000 tasks out of their Y.Maps costs tens of milliseconds: the list is kept per
// document version, and callers get copies (they may change what they receive).
const taskListCache = new WeakMap<Y.Doc, { version: number; tasks: Task[] }>();

function readAllTasks(docs: UserDocs): Task[] {
  const doc = docs.main;
  const cached = taskListCache.get(doc);
  const version = documentVersion(doc);
  if (cached && cached.version === version && !isInTransaction(doc)) return cached.tasks;
  const tasks = tasksOf(doc);
  const result: Task[] = [];
  tasks.forEach((value, id) => {
    const task = readTask(id, value);
    if (task) result.push(resolveReferences(docs, tasks, task));
  });
  result.sort(compareByOrder);
  if (!isInTransaction(doc)) taskListCache.set(doc, { version, tasks: result });
  return result;
}

/**
 * Every task, trash included, in manual order, as the shared cached list: for readers that only
 * filter, count or sum (queries, analytics). Do not change what it returns; `listTasks` gives
 * copies.
 */
export function readTasks(
  docs: UserDocs,
  options: ListTasksOptions = {},
): readonly Readonly<Task>[] {
  const all = readAllTasks(docs);
  return options.includeDeleted ? all : all.filter((task) => task.deletedAt === null);
}

/** Answers of `queryTasks` kept per document version, the least recently asked dropped first. */
const TASK_QUERIES_KEPT = 16;
const taskQueryCache = new WeakMap<
  Y.Doc,
  { version: number; results: Map<string, readonly Readonly<Task>[]> }
>();

/**
 * The tasks outside the trash that match `filter`, in `sort` order, as a shared frozen list (do
 * not change the tasks in it). The answer is kept until the document changes, so the pages of
 * one list, or the same list asked again, filter and sort once.
 */
export function queryTasks(
  docs: UserDocs,
  filter: TaskFilter,
  sort: TaskSort,
): readonly Readonly<Task>[] {
  const doc = docs.main;
  const version = documentVersion(doc);
  const answer = () =>
    Object.freeze(sortTasks(filterTasks(readTasks(docs), filter), sort, filter.timezone));
  if (isInTransaction(doc)) return answer();
  // JSON leaves out what is undefined, and keeps null (tasks without a project or parent).
  const key = JSON.stringify({
    status: filter.status,
    priority: filter.priority,
    projectId: filter.projectId,
    parentId: filter.parentId,
    tag: filter.tag,
    dueBefore: filter.dueBefore,
    dueAfter: filter.dueAfter,
    q: filter.q,
    timezone: filter.timezone,
    sort: [sort.field, sort.descending],
  });
  let cache = taskQueryCache.get(doc);
  if (!cache || cache.version !== version) {
    cache = { version, results: new Map() };
    taskQueryCache.set(doc, cache);
  }
  const cached = cache.results.get(key);
  if (cached) {
    cache.results.delete(key);
    cache.results.set(key, cached);
    return cached;
  }
  const result = answer();
  cache.results.set(key, result);
  if (cache.results.size > TASK_QUERIES_KEPT) {
    const oldest = cache.results.keys().next().value;
    if (oldest !== undefined) cache.results.delete(oldest);
  }
  return result;
}

/** Every task, parents resolved, in manual order (order key, then id). */
export function listTasks(docs: UserDocs, options: ListTasksOptions = {}): Task[] {
  const result: Task[] = [];
  for (const task of readAllTasks(docs)) {
    if (task.deletedAt && !options.includeDeleted) continue;
    result.push({ ...task, tags: [...task.tags] });
  }
  return result;
}

export function listSubtasks(docs: UserDocs, parentId: string): Task[] {
  return listTasks(docs).filter((task) => task.parentId === parentId);
}

// Appending needs the largest order key; scanning 10,000 tasks per create is wasteful, so the
// answer is kept per document and stamped with the document's version, which every other
// transaction (a reorder, a remote update) makes it stale.
const lastOrder = new WeakMap<Y.Doc, { stamp: number; max: string | null }>();

function isOrderKey(value: unknown): value is string {
  if (typeof value !== 'string' || value === '') return false;
  try {
    generateKeyBetween(value, null);
    return true;
  } catch {
    return false; // junk written by another client: treated as having no order
  }
}

/** A new task's order key: after every other task. Call inside the creating transaction. */
function appendOrder(tasks: Y.Map<unknown>): string {
  const doc = tasks.doc as Y.Doc;
  // This runs inside a transaction, which already moved the version by one: the cached key is
  // current if it was written in this transaction or in the one just before (no other between).
  const count = documentVersion(doc);
  const cached = lastOrder.get(doc);
  let max: string | null = null;
  if (cached && (cached.stamp === count || cached.stamp === count - 1)) max = cached.max;
  else {
    for (const value of tasks.values()) {
      const order = asMap(value)?.get('order');
      if (isOrderKey(order) && (max === null || order > max)) max = order;
    }
  }
  const order = generateKeyBetween(max, null);
  lastOrder.set(doc, { stamp: count, max: order });
  return order;
}

function checkReferences(
  docs: UserDocs,
  taskId: string,
  refs: { parentId?: string | null | undefined; projectId?: string | null | undefined },
): void {
  const tasks = tasksOf(docs.main);
  const fields = [];
  if (refs.parentId) {
    const parent = asMap(tasks.get(refs.parentId));
    if (!parent || parent.has('deletedAt')) {
      fields.push({ field: 'parentId', message: 'no such task' });
    } else if (refs.parentId === taskId || isAncestor(tasks, taskId, refs.parentId)) {
      fields.push({ field: 'parentId', message: 'a task cannot be its own ancestor' });
    }
  }
  if (refs.projectId && !asMap(projectsOf(docs.main).get(refs.projectId))) {
    fields.push({ field: 'projectId', message: 'no such project' });
  }
  if (fields.length > 0) throw new ValidationError(fields);
}

/** Whether `ancestorId` is above `id` in the (effective) hierarchy. */
function isAncestor(tasks: Y.Map<unknown>, ancestorId: string, id: string): boolean {
  const seen = new Set<string>();
  let current = effectiveParentId(tasks, id);
  while (current !== null && !seen.has(current)) {
    if (current === ancestorId) return true;
    seen.add(current);
    current = effectiveParentId(tasks, current);
  }
  return false;
}

/**
 * Makes the task's `<prefix><key>` entries (tags, exceptions) exactly `wanted`. Only the
 * difference is written, so another device's concurrent changes to other keys survive.
 */
function writeKeySet(map: Y.Map<unknown>, prefix: string, wanted: ReadonlySet<string>): void {
  for (const key of [...map.keys()]) {
    if (key.startsWith(prefix) && !wanted.has(key.slice(prefix.length))) map.delete(key);
  }
  for (const key of wanted) {
    if (map.get(prefix + key) !== true) map.set(prefix + key, true);
  }
}

function setReminders(map: Y.Map<unknown>, reminders: readonly Reminder[]): void {
  writeKeySet(map, REMINDER_KEY_PREFIX, new Set(reminders.map(reminderKey)));
}

/**
 * The settings' default reminder, for a task that gets its first date without reminders of its
 * own (none when the setting is unset).
 */
function defaultRemindersOf(docs: UserDocs): Reminder[] {
  const minutes = getSettings(docs).defaultReminderMinutes;
  return minutes === null ? [] : [{ minutesBefore: minutes }];
}

function setTags(docs: UserDocs, map: Y.Map<unknown>, names: readonly string[], ctx: DocContext) {
  writeKeySet(map, TAG_KEY_PREFIX, new Set(ensureTags(docs, names, ctx)));
}

/** Exceptions only make sense on a series. */
function checkExceptions(rule: string | null, exceptions: readonly string[] | undefined): void {
  if (rule === null && exceptions !== undefined && exceptions.length > 0) {
    throw new ValidationError([
      {
        field: 'recurrenceExceptions',
        message: 'needs a recurrence rule (only a series skips occurrences)',
      },
    ]);
  }
}

/** Whether occurrence `value` comes after occurrence `than` (days compare as text). */
function isAfter(value: string, than: string): boolean {
  if (isDateOnly(value) && isDateOnly(than)) return value > than;
  return Date.parse(value) > Date.parse(than);
}

/** An occurrence's identity: its day, or its instant whatever the notation. */
function occurrenceKey(value: string): string {
  return isDateOnly(value) ? value : String(Date.parse(value));
}

/**
 * The series' next occurrence after `anchor` that is not one of its exceptions (see
 * `nextOccurrence`); null when the series has none left.
 */
function nextIncludedOccurrence(
  series: { rule: string; exceptions: readonly string[]; start: string },
  anchor: string,
  timezone: string,
): string | null {
  const skipped = new Set(series.exceptions.map(occurrenceKey));
  let current = anchor;
  for (let step = 0; step <= skipped.size; step++) {
    const next = nextOccurrence(series.rule, current, timezone, series.start);
    if (next === null || !skipped.has(occurrenceKey(next))) return next;
    current = next;
  }
  return null;
}

/** The task's series' next kept occurrence after `anchor`, and the start the series counts from. */
function followingOccurrence(
  docs: UserDocs,
  map: Y.Map<unknown>,
  task: Task,
  rule: string,
  anchor: string,
): { next: string | null; seriesStart: string } {
  const stored = map.get('seriesStart');
  const seriesStart = typeof stored === 'string' ? stored : anchor;
  const next = nextIncludedOccurrence(
    { rule, exceptions: task.recurrenceExceptions, start: seriesStart },
    anchor,
    getTimezone(docs),
  );
  return { next, seriesStart };
}

/**
 * A due or start date given as a wall-clock time without offset (`2027-01-13T15:00`, what a
 * client means by "3 pm") is in the user's zone, the document's setting: resolved here, once,
 * for the app, the REST API and the bridge alike.
 */
function withLocalDatesInZone<T extends { dueDate?: unknown; startDate?: unknown }>(
  docs: UserDocs,
  input: T,
): T {
  if (input === null || typeof input !== 'object') return input;
  const isLocal = (value: unknown): value is string =>
    typeof value === 'string' && normalizeLocalDateTime(value) !== null;
  if (!isLocal(input.dueDate) && !isLocal(input.startDate)) return input;
  const zone = getTimezone(docs);
  const resolved: T = { ...input };
  for (const field of ['dueDate', 'startDate'] as const) {
    const value = input[field];
    if (isLocal(value))
      resolved[field] = (localDateTimeToInstant(value, zone) ?? value) as T[typeof field];
  }
  return resolved;
}

/**
 * An open task whose own occurrence is one of its series' exceptions (skipped here, or deleted
 * in the user's calendar) moves to the series' next occurrence, as completing it would; the
 * series keeps its start. With no occurrence left it stays where it is.
 */
function skipExcludedOccurrence(docs: UserDocs, id: string, map: Y.Map<unknown>): void {
  const task = readTask(id, map);
  const anchor = task?.dueDate ?? task?.startDate;
  if (!task?.recurrenceRule || !anchor || task.status === 'COMPLETED') return;
  if (!task.recurrenceExceptions.some((value) => occurrenceKey(value) === occurrenceKey(anchor)))
    return;
  const { next, seriesStart } = followingOccurrence(docs, map, task, task.recurrenceRule, anchor);
  if (next === null) return;
  map.set('seriesStart', seriesStart);
  if (task.dueDate) map.set('dueDate', shiftBy(anchor, next, task.dueDate));
  if (task.startDate) map.set('startDate', shiftBy(anchor, next, task.startDate));
}

export function createTask(docs: UserDocs, input: TaskCreateInput, ctx: DocContext): Task {
  const valid = parseInput(taskCreateInput, withLocalDatesInZone(docs, input));
  const id = valid.id ?? ctx.newId();
  const tasks = tasksOf(docs.main);
  if (tasks.has(id)) throw new ConflictError(`task ${id} already exists`, 'id');
  checkReferences(docs, id, valid);
  checkExceptions(valid.recurrenceRule ?? null, valid.recurrenceExceptions);
  const now = toIso(ctx.now());
  docs.main.transact(() => {
    const map = new Y.Map<unknown>();
    const order = appendOrder(tasks);
    tasks.set(id, map);
    map.set('title', valid.title);
    // Created eagerly: two devices lazily creating it at once would lose one's text.
    map.set('description', new Y.Text(valid.description ?? ''));
    map.set('status', valid.status ?? 'TODO');
    map.set('priority', valid.priority ?? 'MEDIUM');
    writeField(map, 'dueDate', valid.dueDate);
    writeField(map, 'startDate', valid.startDate);
    writeField(map, 'estimatedDuration', valid.estimatedDuration);
    writeField(map, 'parentId', valid.parentId);
    writeField(map, 'projectId', valid.projectId);
    writeField(map, 'recurrenceRule', valid.recurrenceRule);
    writeField(map, 'calendarEventId', valid.calendarEventId);
    map.set('order', order);
    map.set('createdAt', now);
    map.set('updatedAt', now);
    if (valid.status === 'COMPLETED') map.set('completedAt', now);
    if (valid.tags) setTags(docs, map, valid.tags, ctx);
    if (valid.reminders) setReminders(map, valid.reminders);
    else if (valid.dueDate || valid.startDate) setReminders(map, defaultRemindersOf(docs));
    if (valid.recurrenceExceptions) {
      writeKeySet(map, EXCEPTION_KEY_PREFIX, new Set(valid.recurrenceExceptions));
      skipExcludedOccurrence(docs, id, map);
    }
  });
  return getTask(docs, id) as Task;
}

export interface TaskUpdate {
  task: Task;
  /** The next occurrence created (or found) when this update completed a recurring task. */
  next: Task | null;
}

/**
 * Partial update. Setting status COMPLETED completes the task (completedAt, next occurrence of
 * a recurring task); leaving COMPLETED clears completedAt.
 */
export function updateTask(
  docs: UserDocs,
  id: string,
  patch: TaskPatch,
  ctx: DocContext,
): TaskUpdate {
  const valid = parseInput(taskPatch, withLocalDatesInZone(docs, patch));
  const map = liveTaskMap(docs, id);
  checkReferences(docs, id, valid);
  const current = readTask(id, map) as Task;
  const startDate = valid.startDate === undefined ? current.startDate : valid.startDate;
  const dueDate = valid.dueDate === undefined ? current.dueDate : valid.dueDate;
  if (startDate && dueDate && new Date(startDate).getTime() > new Date(dueDate).getTime()) {
    throw new ValidationError([{ field: 'startDate', message: 'must not be after dueDate' }]);
  }
  const rule = valid.recurrenceRule === undefined ? current.recurrenceRule : valid.recurrenceRule;
  checkExceptions(rule, valid.recurrenceExceptions);
  // A new rule (or none) starts over: the old series' exceptions go, unless given with it.
  const exceptions =
    valid.recurrenceExceptions ?? (rule !== current.recurrenceRule ? [] : undefined);
  const now = toIso(ctx.now());
  let next: Task | null = null;
  docs.main.transact(() => {
    if (valid.title !== undefined) writeField(map, 'title', valid.title);
    if (valid.description !== undefined) {
      const text = map.get('description');
      if (text instanceof Y.Text) replaceText(text, valid.description);
      else map.set('description', new Y.Text(valid.description));
    }
    if (valid.priority !== undefined) writeField(map, 'priority', valid.priority);
    // A new rule starts a new series at this task (the old one goes on without it).
    if (valid.recurrenceRule !== undefined && valid.recurrenceRule !== current.recurrenceRule) {
      map.delete('seriesStart');
      map.delete('nextOccurrenceId');
    }
    for (const key of [
      'dueDate',
      'startDate',
      'estimatedDuration',
      'parentId',
      'projectId',
      'recurrenceRule',
      'calendarEventId',
    ] as const) {
      if (valid[key] !== undefined) writeField(map, key, valid[key]);
    }
    if (valid.tags !== undefined) setTags(docs, map, valid.tags, ctx);
    if (valid.reminders !== undefined) setReminders(map, valid.reminders);
    else if (
      !current.dueDate &&
      !current.startDate &&
      (dueDate || startDate) &&
      current.reminders.length === 0
    ) {
      // A task dated for the first time gets the default reminder, as a new dated task does.
      setReminders(map, defaultRemindersOf(docs));
    }
    if (exceptions !== undefined) writeKeySet(map, EXCEPTION_KEY_PREFIX, new Set(exceptions));
    if (valid.status !== 'COMPLETED') skipExcludedOccurrence(docs, id, map);
    if (valid.status !== undefined && valid.status !== current.status) {
      map.set('status', valid.status);
      if (valid.status === 'COMPLETED') {
        map.set('completedAt', now);
        next = spawnNextOccurrence(docs, id, ctx);
      } else if (map.has('completedAt')) {
        map.delete('completedAt');
      }
    }
    map.set('updatedAt', now);
  });
  return { task: getTask(docs, id) as Task, next };
}

/** Marks a task completed; a recurring task gets its next occurrence (see `nextOccurrence`). */
export function completeTask(docs: UserDocs, id: string, ctx: DocContext): TaskUpdate {
  return updateTask(docs, id, { status: 'COMPLETED' }, ctx);
}

/** Moves a task under another parent and/or into another project (null: none). */
export function moveTask(
  docs: UserDocs,
  id: string,
  target: { parentId?: string | null; projectId?: string | null },
  ctx: DocContext,
): Task {
  const patch: TaskPatch = {};
  if (target.parentId !== undefined) patch.parentId = target.parentId;
  if (target.projectId !== undefined) patch.projectId = target.projectId;
  return updateTask(docs, id, patch, ctx).task;
}

function shiftBy(from: string, to: string, value: string): string {
  if (isDateOnly(value) && isDateOnly(from) && isDateOnly(to)) {
    const days = (Date.parse(to) - Date.parse(from)) / 86_400_000;
    return new Date(Date.parse(value) + days * 86_400_000).toISOString().slice(0, 10);
  }
  const shifted = new Date(Date.parse(value) + (Date.parse(to) - Date.parse(from)));
  return toIso(shifted);
}

/**
 * Creates the next occurrence of a recurring task under an id derived from the series and the
 * occurrence date, so replicas completing the same task concurrently create the same task once.
 * Each occurrence keeps the series' start (`seriesStart`), which the rule is computed from.
 */
function spawnNextOccurrence(docs: UserDocs, id: string, ctx: DocContext): Task | null {
  const tasks = tasksOf(docs.main);
  const map = asMap(tasks.get(id));
  const task = readTask(id, map);
  const anchor = task?.dueDate ?? task?.startDate;
  if (!map || !task?.recurrenceRule || !anchor) return null;
  const { next: nextDate, seriesStart } = followingOccurrence(
    docs,
    map,
    task,
    task.recurrenceRule,
    anchor,
  );
  if (!nextDate) return null;
  const nextId = uuidv5(`${task.seriesId}/${nextDate}`, OCCURRENCE_NAMESPACE);
  map.set('nextOccurrenceId', nextId);
  if (!tasks.has(nextId)) {
    const next = new Y.Map<unknown>();
    tasks.set(nextId, next);
    const now = toIso(ctx.now());
    next.set('title', task.title);
    next.set('description', new Y.Text(task.description));
    next.set('status', 'TODO');
    next.set('priority', task.priority);
    writeField(next, 'dueDate', task.dueDate ? shiftBy(anchor, nextDate, task.dueDate) : null);
    writeField(
      next,
      'startDate',
      task.startDate ? shiftBy(anchor, nextDate, task.startDate) : null,
    );
    writeField(next, 'estimatedDuration', task.estimatedDuration);
    writeField(next, 'parentId', task.parentId);
    writeField(next, 'projectId', task.projectId);
    next.set('recurrenceRule', task.recurrenceRule);
    next.set('seriesId', task.seriesId);
    next.set('seriesStart', seriesStart);
    next.set('order', task.order || appendOrder(tasks));
    next.set('createdAt', now);
    next.set('updatedAt', now);
    for (const tag of task.tags) next.set(TAG_KEY_PREFIX + tag, true);
    // The reminders follow the series: relative ones count from the next dates, absolute ones
    // move by as much as the dates did.
    setReminders(
      next,
      task.reminders.map((reminder) =>
        'at' in reminder ? { at: shiftBy(anchor, nextDate, reminder.at) } : reminder,
      ),
    );
    // The series' exceptions still ahead go with it.
    for (const value of task.recurrenceExceptions) {
      if (isAfter(value, nextDate)) next.set(EXCEPTION_KEY_PREFIX + value, true);
    }
  }
  return getTask(docs, nextId);
}

function descendantsOf(tasks: Y.Map<unknown>, id: string): string[] {
  const children = new Map<string, string[]>();
  for (const key of tasks.keys()) {
    const parent = effectiveParentId(tasks, key);
    if (parent !== null) children.set(parent, [...(children.get(parent) ?? []), key]);
  }
  const result: string[] = [];
  const stack = [...(children.get(id) ?? [])];
  while (stack.length > 0) {
    const child = stack.pop() as string;
    result.push(child);
    stack.push(...(children.get(child) ?? []));
  }
  return result;
}

/** Moves a task and its subtasks to the trash. Edits racing the delete are kept. */
export function deleteTask(docs: UserDocs, id: string, ctx: DocContext): void {
  const map = liveTaskMap(docs, id);
  const tasks = tasksOf(docs.main);
  const now = toIso(ctx.now());
  docs.main.transact(() => {
    map.set('deletedAt', now);
    for (const child of descendantsOf(tasks, id)) {
      const childMap = asMap(tasks.get(child));
      if (childMap && !childMap.has('deletedAt')) childMap.set('deletedAt', now);
    }
  });
}

/** Takes a task out of the trash with the subtasks deleted along with it. */
export function restoreTask(docs: UserDocs, id: string, ctx: DocContext): Task {
  const tasks = tasksOf(docs.main);
  const map = asMap(tasks.get(id));
  const deletedAt = map?.get('deletedAt');
  if (!map || typeof deletedAt !== 'string') throw new NotFoundError('deleted task', id);
  const now = toIso(ctx.now());
  docs.main.transact(() => {
    map.delete('deletedAt');
    map.set('updatedAt', now);
    const parent = effectiveParentId(tasks, id);
    // A subtask restored without its parent comes back as a top-level task.
    if (parent !== null && asMap(tasks.get(parent))?.has('deletedAt')) map.delete('parentId');
    for (const child of descendantsOf(tasks, id)) {
      const childMap = asMap(tasks.get(child));
      if (childMap?.get('deletedAt') === deletedAt) childMap.delete('deletedAt');
    }
  });
  return getTask(docs, id) as Task;
}

/** Removes a task from the document for good, with its subtasks that are in the trash. */
export function purgeTask(docs: UserDocs, id: string): void {
  const tasks = tasksOf(docs.main);
  if (!asMap(tasks.get(id))) throw new NotFoundError('task', id);
  docs.main.transact(() => {
    const purged = [id];
    for (const child of descendantsOf(tasks, id)) {
      const childMap = asMap(tasks.get(child));
      if (childMap?.has('deletedAt')) purged.push(child);
      else if (childMap && purged.includes(effectiveParentId(tasks, child) ?? '')) {
        childMap.delete('parentId');
      }
    }
    for (const key of purged) tasks.delete(key);
  });
}

/** Purges tasks that have been in the trash longer than the retention period. */
export function purgeExpiredTasks(
  docs: UserDocs,
  ctx: DocContext,
  retentionDays = TRASH_RETENTION_DAYS,
): number {
  const cutoff = ctx.now().getTime() - retentionDays * 86_400_000;
  const expired = listTasks(docs, { includeDeleted: true }).filter(
    (task) => task.deletedAt !== null && Date.parse(task.deletedAt) < cutoff,
  );
  docs.main.transact(() => {
    for (const task of expired) if (tasksOf(docs.main).has(task.id)) purgeTask(docs, task.id);
  });
  return expired.length;
}

export interface ReorderTarget {
  /** Place the task right after this one (null: at the start). */
  afterId?: string | null;
  /** Place the task right before this one (null: at the end). */
  beforeId?: string | null;
}

/**
 * Moves a task in the manual order, between two neighbours, with a fractional index: only the
 * moved task's key changes. Neighbours sharing one key (concurrent inserts) are stepped over.
 */
export function reorderTask(
  docs: UserDocs,
  id: string,
  target: ReorderTarget,
  ctx: DocContext,
): Task {
  const map = liveTaskMap(docs, id);
  const ordered = listTasks(docs)
    .filter((task) => task.id !== id && isOrderKey(task.order))
    .map((task) => ({ id: task.id, order: task.order }));
  const orderOf = (taskId: string, field: 'afterId' | 'beforeId') => {
    const found = ordered.find((task) => task.id === taskId);
    if (!found) throw new ValidationError([{ field, message: `no such task ${taskId}` }]);
    return found.order;
  };
  let lower: string | null = null;
  let upper: string | null = null;
  if (target.afterId) {
    lower = orderOf(target.afterId, 'afterId');
    upper = ordered.find((task) => lower !== null && task.order > lower)?.order ?? null;
  } else if (target.beforeId) {
    upper = orderOf(target.beforeId, 'beforeId');
    lower =
      [...ordered].reverse().find((task) => upper !== null && task.order < upper)?.order ?? null;
  } else if (target.afterId === null) {
    upper = ordered[0]?.order ?? null;
  } else {
    lower = ordered.at(-1)?.order ?? null;
  }
  const order = generateKeyBetween(lower, upper);
  lastOrder.delete(docs.main);
  docs.main.transact(() => {
    map.set('order', order);
    map.set('updatedAt', toIso(ctx.now()));
  });
  return getTask(docs, id) as Task;
}

/**
 * The shared text of a task's description, for editors that bind to it directly so concurrent
 * typing on two devices merges character by character. Null for unknown tasks.
 */
export function getDescriptionText(docs: UserDocs, id: string): Y.Text | null {
  const value = asMap(tasksOf(docs.main).get(id))?.get('description');
  return value instanceof Y.Text ? value : null;
}
