import * as Y from 'yjs';
import type { DocContext } from './context.js';
import { monthKeyOf, monthKeysBetween, toIso } from './dates.js';
import { documentVersion, isInTransaction } from './doc-version.js';
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
import {
  entriesOf,
  MONTH_KEY,
  monthHintOfId,
  runningOf,
  tasksOf,
  type UserDocs,
} from './user-docs.js';
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
 * `running` map holds a timer record per started timer, `{ month, start, taskId, description }`:
 * enough to show the timer without loading a month, and the place where the "one running timer"
 * rule is kept across months.
 *
 * Two devices starting timers offline both leave a record there. Readers resolve it the same way
 * on every replica: the timer started last is the running one (ties: the larger id), and every
 * other reads as stopped when that one started. A timer stopped while its month document is not
 * loaded keeps its record, with `end`, until a replica that has the entry writes the end into it
 * (`settleRunningTimers`), so no stop is ever lost to the order in which documents sync.
 */
export interface RunningTimer {
  entryId: string;
  month: string;
  start: string;
  taskId: string | null;
  description: string;
}

interface TimerRecord extends RunningTimer {
  /** Set when the timer was stopped before its entry could be updated. */
  end: string | null;
}

interface TimerState {
  records: Map<string, TimerRecord>;
  /** The one running timer: the latest start among records without an end. */
  winner: TimerRecord | null;
}

const NO_TIMERS: TimerState = { records: new Map(), winner: null };

function isInstant(value: unknown): value is string {
  return typeof value === 'string' && !Number.isNaN(Date.parse(value));
}

function readTimerRecord(entryId: string, value: unknown): TimerRecord | null {
  if (typeof value !== 'object' || value === null) return null;
  const { month, start, taskId, description, end } = value as Record<string, unknown>;
  if (typeof month !== 'string' || !MONTH_KEY.test(month) || !isInstant(start)) return null;
  return {
    entryId,
    month,
    start,
    taskId: typeof taskId === 'string' && taskId !== '' ? taskId : null,
    description: typeof description === 'string' ? description : '',
    end: isInstant(end) && Date.parse(end) >= Date.parse(start) ? end : null,
  };
}

function laterStarted(a: TimerRecord, b: TimerRecord): boolean {
  const byStart = Date.parse(a.start) - Date.parse(b.start);
  return byStart !== 0 ? byStart > 0 : a.entryId > b.entryId;
}

function timerState(docs: UserDocs): TimerState {
  const records = new Map<string, TimerRecord>();
  let winner: TimerRecord | null = null;
  for (const [entryId, value] of runningOf(docs.main).entries()) {
    const record = readTimerRecord(entryId, value);
    if (!record) continue;
    records.set(entryId, record);
    if (record.end === null && (!winner || laterStarted(record, winner))) winner = record;
  }
  return { records, winner };
}

function toRunningTimer({ end: _end, ...timer }: TimerRecord): RunningTimer {
  return timer;
}

/**
 * The months of every timer record: starting or stopping a timer, or looking an entry up, reads
 * their documents, so a replica that loads months on demand loads these first.
 */
export function timerMonths(docs: UserDocs): string[] {
  const months = new Set([...timerState(docs).records.values()].map((record) => record.month));
  return [...months].sort();
}

/** The one running timer, or null. */
export function getRunningTimer(docs: UserDocs): RunningTimer | null {
  const { winner } = timerState(docs);
  return winner ? toRunningTimer(winner) : null;
}

/**
 * The end an entry without one really has: null while it is the running timer, its record's end
 * when it was stopped before its month document was loaded, the winner's start when it lost a
 * concurrent start, and its own start (empty) when it has no record at all.
 */
function endFromTimers(id: string, start: string, timers: TimerState): string | null {
  const record = timers.records.get(id);
  if (!record) return start;
  if (record.end !== null) return record.end;
  if (timers.winner?.entryId === id) return null;
  const winnerStart = timers.winner?.start ?? start;
  return Date.parse(winnerStart) > Date.parse(start) ? winnerStart : start;
}

/** Reads an entry of a month document (see `endFromTimers` for entries without an end). */
export function readTimeEntry(
  id: string,
  value: unknown,
  timers: TimerState = NO_TIMERS,
): TimeEntry | null {
  const map = asMap(value);
  if (!map) return null;
  const start = readInstant(map, 'start');
  if (!start) return null;
  let end = readInstant(map, 'end') ?? endFromTimers(id, start, timers);
  // After the derivation too: a record's end can precede a start moved on another replica.
  if (end !== null && Date.parse(end) < Date.parse(start)) end = start;
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
  // Whole seconds of each instant, as analytics count them, so the two always agree.
  const end = entry.end === null ? now.getTime() : Date.parse(entry.end);
  return Math.max(0, Math.floor(end / 1000) - Math.floor(Date.parse(entry.start) / 1000));
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

/**
 * Ends a timer: writes `end` into its entry and drops its record, or, when the entry's month
 * document does not hold it yet, keeps the record with the end for a later settle.
 */
function endTimer(
  docs: UserDocs,
  record: TimerRecord,
  end: string,
  updatedAt: string | null,
): void {
  // The copy readers show: a concurrent move may have left the entry outside record.month.
  const month = docs.month(findEntryMonth(docs, record.entryId) ?? record.month);
  const map = asMap(entriesOf(month).get(record.entryId));
  const running = runningOf(docs.main);
  if (map) {
    if (!map.has('end')) {
      month.transact(() => {
        map.set('end', end);
        if (updatedAt !== null) map.set('updatedAt', updatedAt);
      });
    }
    docs.main.transact(() => running.delete(record.entryId));
  } else if (record.end !== end) {
    const { entryId: _id, end: _end, ...kept } = record;
    docs.main.transact(() => running.set(record.entryId, { ...kept, end }));
  }
}

/** Stops every timer: the running one at `at`, the others where they already ended. */
function stopAll(docs: UserDocs, at: Date): void {
  const timers = timerState(docs);
  const updatedAt = toIso(at);
  for (const record of timers.records.values()) {
    const end =
      record === timers.winner
        ? toIso(new Date(Math.max(at.getTime(), Date.parse(record.start))))
        : (endFromTimers(record.entryId, record.start, timers) ?? updatedAt);
    endTimer(docs, record, end, updatedAt);
  }
}

/** Starts a timer, stopping the one already running (one running timer per user). */
export function startTimer(docs: UserDocs, input: TimerStartInput, ctx: DocContext): TimeEntry {
  const valid = parseInput(timerStartInput, input);
  checkTask(docs, valid.taskId);
  const now = ctx.now();
  stopAll(docs, now);
  const id = ctx.newId();
  const start = toIso(now);
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
  const running = timerState(docs).winner;
  if (!running || (entryId !== undefined && running.entryId !== entryId)) {
    if (entryId !== undefined && !findEntryMonth(docs, entryId)) {
      throw new NotFoundError('time entry', entryId);
    }
    throw new ConflictError('this time entry is not running');
  }
  const stoppedAt = ctx.now();
  stopAll(docs, stoppedAt);
  // Its month may not have arrived yet: the timer's record tells what the entry is.
  const end = toIso(new Date(Math.max(stoppedAt.getTime(), Date.parse(running.start))));
  return getTimeEntry(docs, running.entryId) ?? entryFromTimer(running, end);
}

/** The entry a timer record stands for, when its month document does not hold it yet. */
function entryFromTimer(timer: RunningTimer, end: string | null): TimeEntry {
  return {
    id: timer.entryId,
    taskId: timer.taskId,
    start: timer.start,
    end,
    description: timer.description,
    isManual: false,
    createdAt: timer.start,
    updatedAt: end ?? timer.start,
  };
}

/**
 * Writes down what readers already derive: timers that lost a concurrent start end when the
 * winner started, and stops recorded while an entry was not loaded reach the entry. Idempotent,
 * and two replicas settling at once write the same values.
 */
export function settleRunningTimers(docs: UserDocs): void {
  const timers = timerState(docs);
  for (const record of timers.records.values()) {
    if (record === timers.winner) continue;
    const end = endFromTimers(record.entryId, record.start, timers);
    // Nothing the user sees changes, so the entry's updatedAt stays as it was.
    if (end !== null) endTimer(docs, record, end, null);
  }
}

export function addManualEntry(
  docs: UserDocs,
  input: ManualEntryInput,
  ctx: DocContext,
): TimeEntry {
  const valid = parseInput(manualEntryInput, input);
  checkTask(docs, valid.taskId);
  const id = ctx.newId();
  const now = toIso(ctx.now());
  writeEntry(docs, id, { ...valid, isManual: true }, now, now);
  return getTimeEntry(docs, id) as TimeEntry;
}

/** The month key of a loaded month document holding the entry, or null. */
export function findEntryMonth(docs: UserDocs, entryId: string): string | null {
  const timers = timerState(docs);
  const record = timers.records.get(entryId);
  const months = new Set(docs.loadedMonths());
  if (record) months.add(record.month);
  let best: EntryCopy | null = null;
  for (const key of months) {
    const entry = readTimeEntry(entryId, entriesOf(docs.month(key)).get(entryId), timers);
    if (entry) best = preferredCopy(best, { entry, month: key });
  }
  return best?.month ?? null;
}

interface EntryCopy {
  entry: TimeEntry;
  month: string;
}

/**
 * Two devices moving one entry to different months at once leave a copy in each: every reader
 * keeps the same one, the last edited (then the later month).
 */
function preferredCopy(current: EntryCopy | null, candidate: EntryCopy): EntryCopy {
  if (!current) return candidate;
  return prefersCandidate(
    current.entry.updatedAt,
    current.month,
    candidate.entry.updatedAt,
    candidate.month,
  )
    ? candidate
    : current;
}

function prefersCandidate(
  currentUpdatedAt: string,
  currentMonth: string,
  candidateUpdatedAt: string,
  candidateMonth: string,
): boolean {
  if (candidateUpdatedAt !== currentUpdatedAt) return candidateUpdatedAt > currentUpdatedAt;
  return candidateMonth > currentMonth;
}

// Reading a month's entries out of their Y.Maps is the cost of every listing: kept per month
// document version and timer state (which decides how entries without an end read).
const monthCache = new WeakMap<Y.Doc, { version: number; timers: string; copies: EntryCopy[] }>();

function timersKey(docs: UserDocs): string {
  return JSON.stringify(runningOf(docs.main).toJSON());
}

function readMonth(docs: UserDocs, key: string, timers: TimerState, timerKey: string): EntryCopy[] {
  const month = docs.month(key);
  const version = documentVersion(month);
  const cached = monthCache.get(month);
  if (
    cached &&
    cached.version === version &&
    cached.timers === timerKey &&
    !isInTransaction(month)
  ) {
    return cached.copies;
  }
  const copies: EntryCopy[] = [];
  for (const [id, value] of entriesOf(month).entries()) {
    const entry = readTimeEntry(id, value, timers);
    if (entry) copies.push({ entry, month: key });
  }
  if (!isInTransaction(month) && !isInTransaction(docs.main)) {
    monthCache.set(month, { version, timers: timerKey, copies });
  }
  return copies;
}

/** Every entry of the given months, one copy per id (see `preferredCopy`); copies are fresh. */
function readEntries(docs: UserDocs, months: Iterable<string>, timers: TimerState): TimeEntry[] {
  const timerKey = timersKey(docs);
  const copies = new Map<string, EntryCopy>();
  for (const key of months) {
    for (const copy of readMonth(docs, key, timers, timerKey)) {
      copies.set(copy.entry.id, preferredCopy(copies.get(copy.entry.id) ?? null, copy));
    }
  }
  return [...copies.values()].map((copy) => ({ ...copy.entry }));
}

/** An entry from the loaded month documents (load the month that holds it first). */
export function getTimeEntry(docs: UserDocs, entryId: string): TimeEntry | null {
  const month = findEntryMonth(docs, entryId);
  if (!month) return null;
  return readTimeEntry(entryId, entriesOf(docs.month(month)).get(entryId), timerState(docs));
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
  const isRunning = timerState(docs).winner?.entryId === entryId;
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
  const now = toIso(ctx.now());
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
      // An end known only from a timer record is written down with the edit.
      else if (!isRunning && end !== null && !map.has('end')) map.set('end', end);
      if (valid.description !== undefined)
        writeField(map, 'description', valid.description || null);
      map.set('updatedAt', now);
    });
  }
  const record = timerState(docs).records.get(entryId);
  if (isRunning && record) {
    docs.main.transact(() => {
      runningOf(docs.main).set(entryId, {
        month: toMonth,
        start,
        taskId: valid.taskId === undefined ? record.taskId : valid.taskId,
        description: valid.description ?? record.description,
      });
    });
  } else if (record) {
    // The entry now carries its end itself: its stopped timer's record has done its job.
    docs.main.transact(() => runningOf(docs.main).delete(entryId));
  }
  return getTimeEntry(docs, entryId) as TimeEntry;
}

export function deleteTimeEntry(docs: UserDocs, entryId: string): void {
  if (!findEntryMonth(docs, entryId)) throw new NotFoundError('time entry', entryId);
  // Every copy (see `preferredCopy`), or deleting one would bring another back.
  for (const key of docs.loadedMonths()) {
    const month = docs.month(key);
    if (entriesOf(month).has(entryId)) month.transact(() => entriesOf(month).delete(entryId));
  }
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
 * The month documents likely to hold entry `entryId`: ids are UUIDv7 minted when the entry was
 * created, at or after its start, so the entry starts in that month or (created after a month
 * turned) the one before. Empty for other ids; an entry moved by an edit can be anywhere.
 */
export function entryMonthHints(entryId: string): string[] {
  const hint = monthHintOfId(entryId);
  if (!hint) return [];
  const first = new Date(`${hint}-01T00:00:00Z`);
  return monthsForRange(first, first);
}

/** Seconds of all the entries, each counted as `entryDurationSeconds` does. */
export function totalDurationSeconds(entries: readonly TimeEntry[], now: Date): number {
  return entries.reduce((total, entry) => total + entryDurationSeconds(entry, now), 0);
}

/**
 * Entries overlapping [from, to), sorted by start, read from the month documents covering the
 * range; only those of `taskId` when it is given. A running timer counts up to `to` at most.
 */
export function listTimeEntries(
  docs: UserDocs,
  range: { from: Date; to: Date; taskId?: string | undefined },
): TimeEntry[] {
  const timers = timerState(docs);
  const result: TimeEntry[] = [];
  const fromMs = range.from.getTime();
  const toMs = range.to.getTime();
  for (const entry of readEntries(docs, monthsForRange(range.from, range.to), timers)) {
    const end = entry.end === null ? Number.POSITIVE_INFINITY : Date.parse(entry.end);
    const start = Date.parse(entry.start);
    if (range.taskId !== undefined && entry.taskId !== range.taskId) continue;
    if (start < toMs && (end > fromMs || (end === start && start >= fromMs))) result.push(entry);
  }
  // The running timer's month may not have arrived yet: its record alone is enough to count it.
  const winner = timers.winner;
  const winnerMatches = range.taskId === undefined || winner?.taskId === range.taskId;
  if (
    winner &&
    winnerMatches &&
    Date.parse(winner.start) < toMs &&
    !result.some((e) => e.id === winner.entryId)
  ) {
    result.push(entryFromTimer(winner, null));
  }
  return result.sort((a, b) => a.start.localeCompare(b.start) || a.id.localeCompare(b.id));
}

/** All entries of one task, in the loaded month documents. */
export function listTaskEntries(docs: UserDocs, taskId: string): TimeEntry[] {
  return readEntries(docs, docs.loadedMonths(), timerState(docs))
    .filter((entry) => entry.taskId === taskId)
    .sort((a, b) => a.start.localeCompare(b.start));
}

/** Seconds tracked per task over the loaded month documents; a running timer counts up to now. */
/**
 * One month document's share of `trackedSecondsByTask`, per entry copy: a server can keep it per
 * month (keyed by the month's stored version) and combine months with `sumTrackedTime` without
 * loading every month for each request. Only valid while the timers (main document) and `now`
 * are the same for every month combined.
 */
export interface TrackedCopy {
  entryId: string;
  taskId: string | null;
  seconds: number;
  updatedAt: string;
  month: string;
}

export function trackedCopiesOfMonth(docs: UserDocs, key: string, now: Date): TrackedCopy[] {
  return readMonth(docs, key, timerState(docs), timersKey(docs)).map(({ entry, month }) => ({
    entryId: entry.id,
    taskId: entry.taskId,
    seconds: entryDurationSeconds(entry, now),
    updatedAt: entry.updatedAt,
    month,
  }));
}

/** Seconds per task from months' copies, one copy per entry as every reader picks it. */
export function sumTrackedTime(months: Iterable<readonly TrackedCopy[]>): Map<string, number> {
  const chosen = new Map<string, TrackedCopy>();
  for (const copies of months) {
    for (const copy of copies) {
      const current = chosen.get(copy.entryId);
      if (
        !current ||
        prefersCandidate(current.updatedAt, current.month, copy.updatedAt, copy.month)
      ) {
        chosen.set(copy.entryId, copy);
      }
    }
  }
  const totals = new Map<string, number>();
  for (const copy of chosen.values()) {
    if (!copy.taskId) continue;
    totals.set(copy.taskId, (totals.get(copy.taskId) ?? 0) + copy.seconds);
  }
  return totals;
}

export function trackedSecondsByTask(docs: UserDocs, now: Date): Map<string, number> {
  const totals = new Map<string, number>();
  for (const entry of readEntries(docs, docs.loadedMonths(), timerState(docs))) {
    if (!entry.taskId) continue;
    totals.set(entry.taskId, (totals.get(entry.taskId) ?? 0) + entryDurationSeconds(entry, now));
  }
  return totals;
}

/**
 * Every entry of the loaded month documents, sorted by start (the running timer's with no end):
 * what an export of everything reads once every month document is loaded.
 */
export function listLoadedTimeEntries(docs: UserDocs): TimeEntry[] {
  const timers = timerState(docs);
  const result = readEntries(docs, docs.loadedMonths(), timers);
  const winner = timers.winner;
  if (winner && !result.some((entry) => entry.id === winner.entryId)) {
    result.push(entryFromTimer(winner, null));
  }
  return result.sort((a, b) => a.start.localeCompare(b.start) || a.id.localeCompare(b.id));
}

/**
 * Writes a finished entry as it was elsewhere (an import): its own id and timestamps, the same
 * rules as a manual entry, on a task that exists (in the trash too). ConflictError when an entry with that id is already loaded.
 */
export function importTimeEntry(
  docs: UserDocs,
  entry: Pick<TimeEntry, 'id' | 'taskId' | 'start' | 'description' | 'isManual'> & {
    end: string;
    createdAt: string;
    updatedAt: string;
  },
): TimeEntry {
  const valid = parseInput(manualEntryInput, {
    taskId: entry.taskId,
    start: entry.start,
    end: entry.end,
    description: entry.description,
  });
  if (findEntryMonth(docs, entry.id) !== null) {
    throw new ConflictError(`time entry ${entry.id} already exists`, 'id');
  }
  // Time tracked on a task now in the trash is still that task's.
  if (valid.taskId && !asMap(tasksOf(docs.main).get(valid.taskId))) {
    throw new ValidationError([{ field: 'taskId', message: 'no such task' }]);
  }
  writeEntry(
    docs,
    entry.id,
    { ...valid, isManual: entry.isManual },
    entry.createdAt,
    entry.updatedAt,
  );
  return getTimeEntry(docs, entry.id) as TimeEntry;
}
