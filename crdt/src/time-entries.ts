import * as Y from 'yjs';
import type { DocContext } from './context.js';
import { monthKeyOf, monthKeysBetween } from './dates.js';
import { ConflictError, NotFoundError, ValidationError } from './errors.js';
import {
  asMap,
  readBoolean,
  readInstant,
  readNullableString,
  readString,
  writeField,
} from './record-fields.js';
import type { TimeEntry } from './schema.js';
import { entriesOf, MONTH_KEY, runningOf, tasksOf, type UserDocs } from './user-docs.js';
import {
  ENTRY_MAX_SECONDS,
  type EntryPatch,
  entryPatch,
  type ManualEntryInput,
  manualEntryInput,
  parseInput,
  type TimerStartInput,
  timerStartInput,
} from './validation.js';

/**
 * Time entries live in month documents (by the UTC month of their start). The main document's
 * `running` map holds one record per running timer, `{ month, start, taskId, description }`:
 * enough to show the timer without loading a month, and the place where the "one running timer"
 * rule is kept across months.
 *
 * Two devices starting timers offline both leave a record there. Readers resolve it the same way
 * on every replica: the timer started last is the running one (ties: the larger id), and every
 * other is read as stopped when that one started. `settleRunningTimers` writes that result down.
 */
export interface RunningTimer {
  entryId: string;
  month: string;
  start: string;
  taskId: string | null;
  description: string;
}

function readRunning(entryId: string, value: unknown): RunningTimer | null {
  if (typeof value !== 'object' || value === null) return null;
  const record = value as Record<string, unknown>;
  const { month, start, taskId, description } = record;
  if (typeof month !== 'string' || !MONTH_KEY.test(month)) return null;
  if (typeof start !== 'string' || Number.isNaN(Date.parse(start))) return null;
  return {
    entryId,
    month,
    start,
    taskId: typeof taskId === 'string' && taskId !== '' ? taskId : null,
    description: typeof description === 'string' ? description : '',
  };
}

/** Every running-timer record, the effective one first. */
function runningRecords(docs: UserDocs): RunningTimer[] {
  const records: RunningTimer[] = [];
  for (const [entryId, value] of runningOf(docs.main).entries()) {
    const record = readRunning(entryId, value);
    if (record) records.push(record);
  }
  return records.sort((a, b) => {
    const byStart = Date.parse(b.start) - Date.parse(a.start);
    if (byStart !== 0) return byStart;
    return a.entryId < b.entryId ? 1 : a.entryId > b.entryId ? -1 : 0;
  });
}

/** The one running timer, or null. */
export function getRunningTimer(docs: UserDocs): RunningTimer | null {
  return runningRecords(docs)[0] ?? null;
}

/**
 * Reads an entry of a month document. An entry without an end is running only if it is the
 * effective running timer; one that lost a concurrent start ends when the winner started; one
 * with no running record at all (its record's removal arrived before its end) is read as empty.
 */
export function readTimeEntry(
  id: string,
  value: unknown,
  running: readonly RunningTimer[] = [],
): TimeEntry | null {
  const map = asMap(value);
  if (!map) return null;
  const start = readInstant(map, 'start');
  if (!start) return null;
  let end = readInstant(map, 'end');
  if (end !== null && Date.parse(end) < Date.parse(start)) end = start;
  if (end === null) {
    const winner = running[0];
    if (winner?.entryId !== id) {
      const isLoser = running.some((record) => record.entryId === id);
      end = isLoser && winner ? winner.start : start;
    }
  }
  const createdAt = readInstant(map, 'createdAt') ?? start;
  return {
    id,
    taskId: readNullableString(map, 'taskId'),
    start,
    end,
    description: readString(map, 'description'),
    isManual: readBoolean(map, 'isManual'),
    createdAt,
    updatedAt: readInstant(map, 'updatedAt') ?? createdAt,
  };
}

/** Seconds of an entry, counting a running one up to `now`. */
export function entryDurationSeconds(entry: TimeEntry, now: Date): number {
  const end = entry.end === null ? now.getTime() : Date.parse(entry.end);
  return Math.max(0, Math.floor((end - Date.parse(entry.start)) / 1000));
}

function checkTask(docs: UserDocs, taskId: string | null | undefined): void {
  if (!taskId) return;
  const task = asMap(tasksOf(docs.main).get(taskId));
  if (!task || task.has('deletedAt')) {
    throw new ValidationError([{ field: 'taskId', message: 'no such task' }]);
  }
}

function writeEntry(
  docs: UserDocs,
  id: string,
  fields: {
    taskId?: string | null | undefined;
    start: string;
    end: string | null;
    description?: string | undefined;
    isManual: boolean;
  },
  createdAt: string,
  updatedAt: string,
): void {
  const month = docs.monthOf(fields.start);
  month.transact(() => {
    const map = new Y.Map<unknown>();
    entriesOf(month).set(id, map);
    writeField(map, 'taskId', fields.taskId);
    map.set('start', fields.start);
    writeField(map, 'end', fields.end);
    writeField(map, 'description', fields.description || null);
    if (fields.isManual) map.set('isManual', true);
    map.set('createdAt', createdAt);
    map.set('updatedAt', updatedAt);
  });
}

/** Stops every running timer at `at` (each no earlier than its own start). */
function stopAll(docs: UserDocs, at: Date): void {
  const records = runningRecords(docs);
  for (const record of records) {
    const month = docs.month(record.month);
    const map = asMap(entriesOf(month).get(record.entryId));
    const end = new Date(Math.max(at.getTime(), Date.parse(record.start))).toISOString();
    month.transact(() => {
      if (map && !map.has('end')) {
        map.set('end', end);
        map.set('updatedAt', at.toISOString());
      }
    });
  }
  docs.main.transact(() => {
    for (const record of records) runningOf(docs.main).delete(record.entryId);
  });
}

/** Starts a timer, stopping the one already running (one running timer per user). */
export function startTimer(docs: UserDocs, input: TimerStartInput, ctx: DocContext): TimeEntry {
  const valid = parseInput(timerStartInput, input);
  checkTask(docs, valid.taskId);
  const now = ctx.now();
  stopAll(docs, now);
  const id = ctx.newId();
  const start = now.toISOString();
  writeEntry(docs, id, { ...valid, start, end: null, isManual: false }, start, start);
  docs.main.transact(() => {
    runningOf(docs.main).set(id, {
      month: monthKeyOf(start),
      start,
      taskId: valid.taskId ?? null,
      description: valid.description ?? '',
    });
  });
  return getTimeEntry(docs, id) as TimeEntry;
}

/** Stops the running timer (`entryId` must be it, when given). */
export function stopTimer(docs: UserDocs, entryId: string | undefined, ctx: DocContext): TimeEntry {
  const running = getRunningTimer(docs);
  if (!running || (entryId !== undefined && running.entryId !== entryId)) {
    if (entryId !== undefined && !findEntryMonth(docs, entryId)) {
      throw new NotFoundError('time entry', entryId);
    }
    throw new ConflictError('this time entry is not running');
  }
  stopAll(docs, ctx.now());
  return getTimeEntry(docs, running.entryId) as TimeEntry;
}

/**
 * Writes down how concurrent timer starts resolved (see the module comment). Idempotent, and two
 * replicas settling at once write the same values.
 */
export function settleRunningTimers(docs: UserDocs): void {
  const [winner, ...losers] = runningRecords(docs);
  if (!winner || losers.length === 0) return;
  for (const loser of losers) {
    const month = docs.month(loser.month);
    const map = asMap(entriesOf(month).get(loser.entryId));
    if (map && !map.has('end')) month.transact(() => map.set('end', winner.start));
  }
  docs.main.transact(() => {
    for (const loser of losers) runningOf(docs.main).delete(loser.entryId);
  });
}

export function addManualEntry(
  docs: UserDocs,
  input: ManualEntryInput,
  ctx: DocContext,
): TimeEntry {
  const valid = parseInput(manualEntryInput, input);
  checkTask(docs, valid.taskId);
  const id = ctx.newId();
  const now = ctx.now().toISOString();
  writeEntry(docs, id, { ...valid, isManual: true }, now, now);
  return getTimeEntry(docs, id) as TimeEntry;
}

/** The month key of a loaded month document holding the entry, or null. */
export function findEntryMonth(docs: UserDocs, entryId: string): string | null {
  const running = runningRecords(docs).find((record) => record.entryId === entryId);
  if (running && entriesOf(docs.month(running.month)).has(entryId)) return running.month;
  for (const key of docs.loadedMonths()) {
    if (entriesOf(docs.month(key)).has(entryId)) return key;
  }
  return null;
}

/** An entry from the loaded month documents (load the month that holds it first). */
export function getTimeEntry(docs: UserDocs, entryId: string): TimeEntry | null {
  const month = findEntryMonth(docs, entryId);
  if (!month) return null;
  return readTimeEntry(entryId, entriesOf(docs.month(month)).get(entryId), runningRecords(docs));
}

/**
 * Edits an entry. A new start in another month moves the entry to that month's document under
 * the same id. A running entry's end cannot be set here: stop it.
 */
export function updateTimeEntry(
  docs: UserDocs,
  entryId: string,
  patch: EntryPatch,
  ctx: DocContext,
): TimeEntry {
  const valid = parseInput(entryPatch, patch);
  const current = getTimeEntry(docs, entryId);
  if (!current) throw new NotFoundError('time entry', entryId);
  checkTask(docs, valid.taskId);
  const isRunning = getRunningTimer(docs)?.entryId === entryId;
  if (isRunning && valid.end !== undefined) {
    throw new ValidationError([{ field: 'end', message: 'stop the running timer to set its end' }]);
  }
  const start = valid.start ?? current.start;
  const end = valid.end ?? current.end;
  if (end !== null) {
    const seconds = (Date.parse(end) - Date.parse(start)) / 1000;
    if (seconds <= 0) throw new ValidationError([{ field: 'end', message: 'must be after start' }]);
    if (seconds > ENTRY_MAX_SECONDS) {
      throw new ValidationError([{ field: 'end', message: 'an entry may last at most 31 days' }]);
    }
  } else if (Date.parse(start) > ctx.now().getTime()) {
    throw new ValidationError([
      { field: 'start', message: 'a running timer cannot start in the future' },
    ]);
  }
  const now = ctx.now().toISOString();
  const fromMonth = findEntryMonth(docs, entryId) as string;
  const toMonth = monthKeyOf(start);
  if (fromMonth !== toMonth) {
    const moved = {
      taskId: valid.taskId === undefined ? current.taskId : valid.taskId,
      start,
      end: isRunning ? null : end,
      description: valid.description ?? current.description,
      isManual: current.isManual,
    };
    writeEntry(docs, entryId, moved, current.createdAt, now);
    const from = docs.month(fromMonth);
    from.transact(() => entriesOf(from).delete(entryId));
  } else {
    const month = docs.month(fromMonth);
    const map = asMap(entriesOf(month).get(entryId)) as Y.Map<unknown>;
    month.transact(() => {
      if (valid.taskId !== undefined) writeField(map, 'taskId', valid.taskId);
      if (valid.start !== undefined) writeField(map, 'start', valid.start);
      if (valid.end !== undefined) writeField(map, 'end', valid.end);
      if (valid.description !== undefined)
        writeField(map, 'description', valid.description || null);
      map.set('updatedAt', now);
    });
  }
  if (isRunning) {
    docs.main.transact(() => {
      const record = getRunningTimer(docs) as RunningTimer;
      runningOf(docs.main).set(entryId, {
        month: toMonth,
        start,
        taskId: valid.taskId === undefined ? record.taskId : valid.taskId,
        description: valid.description ?? record.description,
      });
    });
  }
  return getTimeEntry(docs, entryId) as TimeEntry;
}

export function deleteTimeEntry(docs: UserDocs, entryId: string): void {
  const monthKey = findEntryMonth(docs, entryId);
  if (!monthKey) throw new NotFoundError('time entry', entryId);
  const month = docs.month(monthKey);
  month.transact(() => entriesOf(month).delete(entryId));
  if (runningOf(docs.main).has(entryId)) {
    docs.main.transact(() => runningOf(docs.main).delete(entryId));
  }
}

/**
 * The month documents an entry overlapping [from, to] can live in: one month before `from`
 * (entries last at most 31 days) through the month of `to`. Load these before listing.
 */
export function monthsForRange(from: Date, to: Date): string[] {
  const before = new Date(Date.UTC(from.getUTCFullYear(), from.getUTCMonth() - 1, 1));
  return monthKeysBetween(before, to);
}

/**
 * Entries overlapping [from, to), sorted by start, read from the month documents covering the
 * range. A running timer counts up to `to` at most.
 */
export function listTimeEntries(docs: UserDocs, range: { from: Date; to: Date }): TimeEntry[] {
  const running = runningRecords(docs);
  const result: TimeEntry[] = [];
  const fromMs = range.from.getTime();
  const toMs = range.to.getTime();
  for (const key of monthsForRange(range.from, range.to)) {
    for (const [id, value] of entriesOf(docs.month(key)).entries()) {
      const entry = readTimeEntry(id, value, running);
      if (!entry) continue;
      const end = entry.end === null ? Number.POSITIVE_INFINITY : Date.parse(entry.end);
      const start = Date.parse(entry.start);
      if (start < toMs && (end > fromMs || (end === start && start >= fromMs))) result.push(entry);
    }
  }
  // The running timer's month may not have arrived yet: its record alone is enough to count it.
  const winner = running[0];
  if (winner && Date.parse(winner.start) < toMs && !result.some((e) => e.id === winner.entryId)) {
    result.push({
      id: winner.entryId,
      taskId: winner.taskId,
      start: winner.start,
      end: null,
      description: winner.description,
      isManual: false,
      createdAt: winner.start,
      updatedAt: winner.start,
    });
  }
  return result.sort((a, b) => a.start.localeCompare(b.start) || a.id.localeCompare(b.id));
}

/** All entries of one task, in the loaded month documents. */
export function listTaskEntries(docs: UserDocs, taskId: string): TimeEntry[] {
  const running = runningRecords(docs);
  const result: TimeEntry[] = [];
  for (const key of docs.loadedMonths()) {
    for (const [id, value] of entriesOf(docs.month(key)).entries()) {
      const entry = readTimeEntry(id, value, running);
      if (entry && entry.taskId === taskId) result.push(entry);
    }
  }
  return result.sort((a, b) => a.start.localeCompare(b.start));
}
