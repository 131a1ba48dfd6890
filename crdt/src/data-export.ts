import { v5 as uuidv5 } from 'uuid';
import { z } from 'zod';
import type { DocContext } from './context.js';
import { ConflictError, ValidationError } from './errors.js';
import { createProject, getProject, listProjects } from './projects.js';
import { asMap } from './record-fields.js';
import type { Project, Settings, Task, TimeEntry } from './schema.js';
import { getSettings, isTimezoneChosen, updateSettings } from './settings.js';
import { createTag, getTagByKey, listTags, normalizeTagName } from './tags.js';
import { createTask, listTasks } from './tasks.js';
import { importTimeEntry, listLoadedTimeEntries } from './time-entries.js';
import { projectsOf, tasksOf, type UserDocs } from './user-docs.js';
import { dateTime, type ProjectCreateInput, type TaskCreateInput } from './validation.js';

/**
 * "Own your data": one versioned JSON file with everything a user has, read from their documents
 * (the app from its local replica, offline; the server from the stored documents), and the
 * import of such a file into any account, idempotent: records keep their ids, so importing the
 * same file twice creates nothing twice.
 */
export const EXPORT_FORMAT = 'tasks-platform-export';
export const EXPORT_VERSION = 1;

/** A task as exported: every field of the document, the calendar link aside (per connection). */
export interface ExportedTask extends Omit<Task, 'calendarEventId'> {
  /** When the series counts from (recurrence with COUNT), when it differs from the due date. */
  seriesStart: string | null;
}

export interface ExportedTag {
  name: string;
  color: string;
  createdAt: string;
}

/** A connected calendar as exported: which one, never its credentials. */
export interface ExportedCalendarConnection {
  provider: string;
  /** The provider's account (OAuth subject) or the CalDAV user name. */
  account: string | null;
  calendarId: string;
  /** CalDAV only. */
  serverUrl: string | null;
  syncStatus: string;
  createdAt: string;
}

export interface UserDataExport {
  format: typeof EXPORT_FORMAT;
  version: typeof EXPORT_VERSION;
  exportedAt: string;
  /** `timezoneChosen`: whether the zone was picked (false: it follows the account's zone). */
  settings: Settings & { timezoneChosen: boolean };
  projects: Project[];
  tags: ExportedTag[];
  tasks: ExportedTask[];
  timeEntries: TimeEntry[];
  calendarConnections: ExportedCalendarConnection[];
}

/**
 * Everything in the user's documents as one JSON value. Reads the main document and every
 * *loaded* month document: load them all first (a partial set exports partial time entries).
 * Tasks are ordered parents first, so an import can create them in file order.
 */
export function exportUserData(
  docs: UserDocs,
  options: { now: Date; calendarConnections?: readonly ExportedCalendarConnection[] },
): UserDataExport {
  const tasks = listTasks(docs, { includeDeleted: true });
  const raw = tasksOf(docs.main);
  const exported: ExportedTask[] = parentsFirst(tasks).map(({ calendarEventId: _, ...task }) => {
    const seriesStart = asMap(raw.get(task.id))?.get('seriesStart');
    return { ...task, seriesStart: typeof seriesStart === 'string' ? seriesStart : null };
  });
  return {
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    exportedAt: options.now.toISOString(),
    settings: { ...getSettings(docs), timezoneChosen: isTimezoneChosen(docs) },
    projects: listProjects(docs),
    tags: listTags(docs).map((tag) => ({
      name: tag.name,
      color: tag.color,
      createdAt: tag.createdAt,
    })),
    tasks: exported,
    timeEntries: listLoadedTimeEntries(docs),
    calendarConnections: [...(options.calendarConnections ?? [])],
  };
}

/** Tasks in an order where each parent comes before its subtasks (else in manual order). */
function parentsFirst(tasks: readonly Task[]): Task[] {
  const byId = new Map(tasks.map((task) => [task.id, task]));
  const placed = new Set<string>();
  const result: Task[] = [];
  const place = (task: Task, path: Set<string>) => {
    if (placed.has(task.id) || path.has(task.id)) return;
    path.add(task.id);
    const parent = task.parentId === null ? undefined : byId.get(task.parentId);
    if (parent) place(parent, path);
    placed.add(task.id);
    result.push(task);
  };
  for (const task of tasks) place(task, new Set());
  return result;
}

// ---------------------------------------------------------------------------------------------
// Import.

const record = z.record(z.string(), z.unknown());

/**
 * The file's outline: what must hold for the file to be ours at all. Each record is then
 * validated on its own by the same rules as any write; a bad one is skipped with its reason.
 */
export const userDataFile = z.object({
  format: z.literal(EXPORT_FORMAT, { error: `must be "${EXPORT_FORMAT}"` }),
  version: z
    .number()
    .int()
    .min(1)
    .max(EXPORT_VERSION, {
      error: `this server reads versions up to ${EXPORT_VERSION}; update it to import this file`,
    }),
  exportedAt: z.string().optional(),
  settings: record.optional(),
  projects: z.array(record).max(10_000).default([]),
  tags: z.array(record).max(10_000).default([]),
  tasks: z.array(record).max(100_000).default([]),
  timeEntries: z.array(record).max(1_000_000).default([]),
  calendarConnections: z.array(record).optional(),
});
export type UserDataFile = z.output<typeof userDataFile>;

export type ImportKind = 'settings' | 'project' | 'tag' | 'task' | 'timeEntry';

export interface ImportSkip {
  kind: ImportKind;
  /** The record's id (or a tag's name, or its position when it has neither). */
  ref: string;
  reason: string;
}

/** An occurrence of a series that another app's file moved, imported as a task of its own. */
export interface ImportedMovedOccurrence {
  /** How the report names the moved occurrence (its UID, original start and title). */
  ref: string;
  /** The task it became. */
  taskId: string;
  /** The series' task, which skips the occurrence; null when the series was not imported. */
  seriesId: string | null;
  /** The occurrence the series skips for it, named as the series' skipped occurrences are. */
  occurrence: string;
}

export interface ImportReport {
  imported: Record<ImportKind, number>;
  skipped: ImportSkip[];
  /** Records imported with something left out (a date in words another app wrote), and what. */
  warnings: ImportSkip[];
  /** Moved occurrences of a series, each imported as a task linked to its series. */
  moved: ImportedMovedOccurrence[];
}

export function emptyImportReport(): ImportReport {
  return {
    imported: { settings: 0, project: 0, tag: 0, task: 0, timeEntry: 0 },
    skipped: [],
    warnings: [],
    moved: [],
  };
}

/** Month documents (`YYYY-MM`) the file's entries go into: load them before importing. */
export function importMonths(file: UserDataFile): string[] {
  const months = new Set<string>();
  for (const entry of file.timeEntries) {
    const start = typeof entry.start === 'string' ? dateTime.safeParse(entry.start) : null;
    if (start?.success) months.add(start.data.slice(0, 7));
  }
  return [...months].sort();
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const instant = (value: unknown): string | undefined => {
  const parsed = dateTime.safeParse(value);
  return parsed.success ? parsed.data : undefined;
};
const refOf = (value: Record<string, unknown>, index: number) => str(value.id) ?? `#${index + 1}`;

function reasonOf(error: unknown): string {
  if (error instanceof ValidationError || error instanceof ConflictError) return error.message;
  throw error;
}

/** A context whose clock reads `at` (so records keep their own timestamps) and whose id is `id`. */
function at(ctx: DocContext, when: string | undefined, id?: string): DocContext {
  const date = when === undefined ? ctx.now() : new Date(when);
  return { now: () => new Date(date.getTime()), newId: id === undefined ? ctx.newId : () => id };
}

/**
 * Imports one of our export files into the user's documents (empty or not). Records keep their
 * ids and timestamps; one whose id already exists is skipped ("already exists"), so importing a
 * file twice changes nothing the second time. A record the document's rules refuse is skipped
 * with the reason, the others still import. Load the user's month documents first: all of them
 * (entries are found by id) and those `importMonths` names.
 */
export function importUserData(docs: UserDocs, file: UserDataFile, ctx: DocContext): ImportReport {
  const report = emptyImportReport();
  const skip = (kind: ImportKind, ref: string, reason: string) =>
    report.skipped.push({ kind, ref, reason });
  const tasks = tasksOf(docs.main);
  let trashed: [string, string][] = [];

  docs.main.transact(() => {
    if (file.settings) importSettings(docs, file.settings, report);
    for (const [index, tag] of file.tags.entries()) {
      const name = str(tag.name) ?? '';
      const ref = name || `#${index + 1}`;
      if (getTagByKey(docs, normalizeTagName(name))) {
        skip('tag', ref, 'already exists');
        continue;
      }
      try {
        const color = str(tag.color);
        createTag(docs, color ? { name, color } : { name }, at(ctx, instant(tag.createdAt)));
        report.imported.tag += 1;
      } catch (error) {
        skip('tag', ref, reasonOf(error));
      }
    }
    for (const [index, project] of file.projects.entries()) {
      const ref = refOf(project, index);
      if (typeof project.id === 'string' && getProject(docs, project.id)) {
        skip('project', ref, 'already exists');
        continue;
      }
      try {
        const input: Record<string, unknown> = {};
        for (const key of ['id', 'name', 'description', 'color', 'isArchived']) {
          if (project[key] !== undefined) input[key] = project[key];
        }
        // Validated by createProject like any write.
        const created = createProject(
          docs,
          input as ProjectCreateInput,
          at(ctx, instant(project.createdAt)),
        );
        const updatedAt = instant(project.updatedAt);
        if (updatedAt) asMap(projectsOf(docs.main).get(created.id))?.set('updatedAt', updatedAt);
        report.imported.project += 1;
      } catch (error) {
        skip('project', ref, reasonOf(error));
      }
    }
    trashed = importTasks(docs, file.tasks, ctx, report);
  });

  for (const [index, entry] of file.timeEntries.entries()) {
    const ref = refOf(entry, index);
    const end = str(entry.end);
    if (typeof entry.id !== 'string') {
      skip('timeEntry', ref, 'id: is required');
      continue;
    }
    if (entry.end === null) {
      skip('timeEntry', ref, 'a running timer is not imported');
      continue;
    }
    const start = str(entry.start) ?? '';
    const createdAt = instant(entry.createdAt) ?? instant(start) ?? ctx.now().toISOString();
    // An entry of a task purged before the export keeps its time, on no task.
    const taskId =
      typeof entry.taskId === 'string' && !tasks.has(entry.taskId) ? null : entry.taskId;
    try {
      importTimeEntry(docs, {
        id: entry.id,
        taskId: (taskId as string | null | undefined) ?? null,
        start,
        end: end ?? '',
        description: str(entry.description) ?? '',
        isManual: entry.isManual === true,
        createdAt,
        updatedAt: instant(entry.updatedAt) ?? createdAt,
      });
      report.imported.timeEntry += 1;
    } catch (error) {
      skip('timeEntry', ref, error instanceof ConflictError ? 'already exists' : reasonOf(error));
    }
  }
  // The trash last: entries of trashed tasks came in on their (then live) task.
  docs.main.transact(() => {
    for (const [id, deletedAt] of trashed) asMap(tasks.get(id))?.set('deletedAt', deletedAt);
  });
  return report;
}

function importSettings(docs: UserDocs, settings: Record<string, unknown>, report: ImportReport) {
  const patch: Record<string, unknown> = {};
  for (const key of ['weekStart', 'workingHours', 'calendarImport', 'calendarImportKeyword']) {
    if (settings[key] !== undefined) patch[key] = settings[key];
  }
  // A zone that only followed the exporting account's stays with that account.
  if (settings.timezoneChosen === true && settings.timezone !== undefined) {
    patch.timezone = settings.timezone;
  }
  const before = JSON.stringify(getSettings(docs));
  try {
    updateSettings(docs, patch);
    if (JSON.stringify(getSettings(docs)) !== before) report.imported.settings += 1;
  } catch (error) {
    report.skipped.push({ kind: 'settings', ref: 'settings', reason: reasonOf(error) });
  }
}

const TASK_INPUT_FIELDS = [
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
] as const;

/**
 * Tasks in file order (the export puts parents first), each through `createTask`'s rules, then
 * the fields only history sets (timestamps, order, series) as they were. Returns the trashed
 * ones with when, for the caller to trash last, so subtasks and entries can still refer to them.
 */
function importTasks(
  docs: UserDocs,
  tasks: readonly Record<string, unknown>[],
  ctx: DocContext,
  report: ImportReport,
): [string, string][] {
  const map = tasksOf(docs.main);
  const trashed: [string, string][] = [];
  tasks.forEach((task, index) => {
    const ref = refOf(task, index);
    if (typeof task.id === 'string' && map.has(task.id)) {
      report.skipped.push({ kind: 'task', ref, reason: 'already exists' });
      return;
    }
    const input: Record<string, unknown> = {};
    for (const key of TASK_INPUT_FIELDS) if (task[key] !== undefined) input[key] = task[key];
    if (typeof task.id === 'string') input.id = task.id;
    // A subtask whose parent the file does not hold (or that failed) comes in at the top level.
    if (typeof input.parentId === 'string' && !map.has(input.parentId)) input.parentId = null;
    try {
      // Validated by createTask like any write.
      const created = createTask(docs, input as TaskCreateInput, at(ctx, instant(task.createdAt)));
      const stored = asMap(map.get(created.id));
      if (stored) {
        const order = str(task.order);
        if (order) stored.set('order', order);
        const updatedAt = instant(task.updatedAt);
        if (updatedAt) stored.set('updatedAt', updatedAt);
        const completedAt = instant(task.completedAt);
        if (completedAt && created.status === 'COMPLETED') stored.set('completedAt', completedAt);
        const seriesId = str(task.seriesId);
        if (seriesId && seriesId !== created.id) stored.set('seriesId', seriesId);
        const nextId = str(task.nextOccurrenceId);
        if (nextId) stored.set('nextOccurrenceId', nextId);
        const seriesStart = str(task.seriesStart);
        if (seriesStart && created.recurrenceRule) stored.set('seriesStart', seriesStart);
        const deletedAt = instant(task.deletedAt);
        if (deletedAt) trashed.push([created.id, deletedAt]);
      }
      report.imported.task += 1;
    } catch (error) {
      report.skipped.push({ kind: 'task', ref, reason: reasonOf(error) });
    }
  });
  return trashed;
}

// ---------------------------------------------------------------------------------------------
// Tasks from other apps (Todoist's CSV, iCalendar files).

/** Namespace of the ids of tasks imported from other apps' files. */
const IMPORT_NAMESPACE = '3b0e5c1a-7d64-4f2e-9a8b-51c2d7e4f690';

/**
 * The id a record of another app's file gets: the same for the same record of the same source
 * whatever the account, so importing the file again finds it ("already exists").
 */
export function stableImportId(source: string): string {
  return uuidv5(source, IMPORT_NAMESPACE);
}

/** One task read from another app's file. */
export interface ForeignTask {
  /** Stable id (see `stableImportId`). */
  id: string;
  /** How the report names it (its title, a line number, a UID). */
  ref: string;
  input: Omit<TaskCreateInput, 'id' | 'parentId'>;
  /** The id of its parent among the file's tasks. */
  parentId?: string | null;
  completedAt?: string | null;
  createdAt?: string | null;
  /**
   * For one occurrence of a series that the file moved (another day, time or title: iCalendar's
   * RECURRENCE-ID): the series' task among the file's, and the occurrence, named as the series'
   * skipped occurrences are (its due date, or start date without one).
   */
  occurrenceOf?: { seriesId: string; occurrence: string };
}

/** What a reader of another app's file found: tasks, and rows it left out or read in part. */
export interface ForeignTaskList {
  tasks: ForeignTask[];
  skipped: ImportSkip[];
  warnings: ImportSkip[];
}

/** The occurrences each series of the list moved (each a task of its own), by series id. */
function movedOccurrencesBySeries(tasks: readonly ForeignTask[]): Map<string, string[]> {
  const moved = new Map<string, string[]>();
  for (const task of tasks) {
    if (!task.occurrenceOf) continue;
    const { seriesId, occurrence } = task.occurrenceOf;
    moved.set(seriesId, [...(moved.get(seriesId) ?? []), occurrence]);
  }
  return moved;
}

/**
 * A series whose occurrences were moved skips them where the rule puts them: each moved one is a
 * task of its own (a task holds one rule and its skips, not moved occurrences), linked to the
 * series by `seriesId`, so the calendar shows every occurrence once.
 */
function withMovedOccurrencesSkipped(
  task: ForeignTask,
  moved: readonly string[] | undefined,
): ForeignTask['input'] {
  if (!moved || !task.input.recurrenceRule) return task.input;
  const skipped = new Set([...(task.input.recurrenceExceptions ?? []), ...moved]);
  return { ...task.input, recurrenceExceptions: [...skipped].sort() };
}

/**
 * Creates the tasks of another app's file (parents listed before their subtasks), each through
 * `createTask`'s rules; one whose id exists is skipped ("already exists"). The reader's skips and
 * warnings go into the report, so it tells everything.
 */
export function importForeignTasks(
  docs: UserDocs,
  list: ForeignTaskList,
  ctx: DocContext,
): ImportReport {
  const report = emptyImportReport();
  const tasks = list.tasks;
  report.skipped.push(...list.skipped);
  report.warnings.push(...list.warnings);
  const map = tasksOf(docs.main);
  const moved = movedOccurrencesBySeries(tasks);
  docs.main.transact(() => {
    for (const task of tasks) {
      if (map.has(task.id)) {
        report.skipped.push({ kind: 'task', ref: task.ref, reason: 'already exists' });
        continue;
      }
      const parentId = task.parentId && map.has(task.parentId) ? task.parentId : null;
      try {
        const created = createTask(
          docs,
          { ...withMovedOccurrencesSkipped(task, moved.get(task.id)), id: task.id, parentId },
          at(ctx, task.createdAt ?? undefined),
        );
        const stored = asMap(map.get(created.id));
        const completedAt = task.completedAt ? instant(task.completedAt) : undefined;
        if (completedAt && created.status === 'COMPLETED') stored?.set('completedAt', completedAt);
        if (task.occurrenceOf) {
          const { seriesId, occurrence } = task.occurrenceOf;
          const series = map.has(seriesId) ? seriesId : null;
          if (series) stored?.set('seriesId', series);
          report.moved.push({ ref: task.ref, taskId: created.id, seriesId: series, occurrence });
        }
        report.imported.task += 1;
      } catch (error) {
        report.skipped.push({ kind: 'task', ref: task.ref, reason: reasonOf(error) });
      }
    }
  });
  return report;
}
