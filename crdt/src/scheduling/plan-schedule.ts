import { isDateOnly, toIso } from '../dates.js';
import type {
  CalendarEvent,
  Priority,
  SchedulingSettings,
  Task,
  TimeRange,
  Weekday,
} from '../schema.js';
import type { TaskBlock } from '../task-blocks.js';
import { durationWords, priorityWords, ReasonWords } from './plan-reasons.js';
import {
  type Interval,
  localDaysBetween,
  subtractBusy,
  workingIntervals,
  ZoneClock,
} from './working-time.js';

/**
 * The planner: places open tasks with an estimate into free working time, as a pure function of
 * what it is given (the documents' tasks, blocks and events, the settings, the time now). The
 * app runs it on the device and the REST API on the server; both get the same plan from the
 * same document.
 *
 * - Busy time: mirrored calendar events (each occurrence of a recurring one; an all-day event
 *   takes its whole days), tasks with a fixed time (a start and a due time less than a day
 *   apart), and pinned blocks of open tasks. Nothing is placed within the buffer of busy time or
 *   of another block.
 * - Order: deadline, then priority, then age (then id, so equal tasks plan the same everywhere).
 *   Each task takes the earliest free working time after its start date and before its
 *   deadline, in as few blocks as the free time allows, none shorter than the minimum block
 *   (a task shorter than that is one block), within the daily cap.
 * - A task is placed whole or not at all: one it cannot place before its deadline (or within
 *   the plan) is reported with why, and keeps no new blocks.
 * - Stable: an unpinned block from an earlier plan that is still valid (in free working time,
 *   before the deadline, within the cap and the task's need) stays where it is, with its id;
 *   only the rest is placed again. A block that ended before now and is not pinned slipped: its
 *   time is placed again. Pinned blocks, past or future, count as the task's work.
 */

export interface ScheduleInput {
  now: Date;
  /** The plan covers [from, to); it never places anything before `now`. */
  range: { from: Date; to: Date };
  timezone: string;
  workingHours: Record<Weekday, readonly TimeRange[]>;
  scheduling: Pick<SchedulingSettings, 'minBlockMinutes' | 'bufferMinutes' | 'dailyCapMinutes'>;
  /** Every task of the document (the planner picks the open ones with an estimate). */
  tasks: readonly Readonly<Task>[];
  /** Stored blocks by task id. */
  blocks: ReadonlyMap<string, readonly TaskBlock[]>;
  /** Calendar events (occurrences expanded) overlapping the range. */
  events: readonly CalendarEvent[];
}

export type BlockStatus = 'pinned' | 'kept' | 'new';

/** A block of the plan: `id` is the stored block's, or '' for a new one. */
export interface PlannedBlock extends TaskBlock {
  status: BlockStatus;
}

export type UnscheduledCode = 'past-due' | 'starts-after-plan' | 'not-enough-time' | 'fragmented';

export interface UnscheduledTask {
  taskId: string;
  code: UnscheduledCode;
  reason: string;
  /** Minutes still to place (the estimate less pinned and kept blocks). */
  neededMinutes: number;
  /** Free minutes (within the cap) the task could use when its turn came. */
  freeMinutes: number;
  /** The deadline the planner read (a UTC instant), or null. */
  deadline: string | null;
}

export interface SchedulePlan {
  range: { from: Date; to: Date };
  /** Every block in the plan's range, pinned ones included, by start. */
  blocks: PlannedBlock[];
  unscheduled: UnscheduledTask[];
}

const MINUTE = 60_000;
/** Blocks start on whole five minutes (in UTC, which every zone's quarter hours share). */
const GRID = 5 * MINUTE;
const PRIORITY_RANK: Record<Priority, number> = { URGENT: 0, HIGH: 1, MEDIUM: 2, LOW: 3 };
const OPEN = new Set(['TODO', 'IN_PROGRESS']);

interface Candidate {
  task: Readonly<Task>;
  /** Epoch ms; +Infinity without a due date. */
  deadline: number;
  /** Earliest start: the plan's start or the task's start date. */
  earliest: number;
  /** Milliseconds still to place. */
  need: number;
  /** Whether the task's start date, not the plan's start, is its earliest start. */
  startsLater: boolean;
  /** Whether the task is due on a day (by its end) rather than at a time. */
  dueOnDay: boolean;
  /** Whether the task starts on a day (from its first instant) rather than at a time. */
  startsOnDay: boolean;
}

function isOpen(task: Readonly<Task>): boolean {
  return task.deletedAt === null && OPEN.has(task.status);
}

/** A task with a start and a due time less than a day apart is an appointment, not work to place. */
function fixedTime(task: Readonly<Task>): { start: number; end: number } | null {
  if (!task.startDate || !task.dueDate || isDateOnly(task.startDate) || isDateOnly(task.dueDate)) {
    return null;
  }
  const start = Date.parse(task.startDate);
  const end = Date.parse(task.dueDate);
  return end > start && end - start <= 24 * 3600_000 ? { start, end } : null;
}

function deadlineOf(task: Readonly<Task>, clock: ZoneClock): number {
  if (!task.dueDate) return Number.POSITIVE_INFINITY;
  return isDateOnly(task.dueDate) ? clock.endOfDate(task.dueDate) : Date.parse(task.dueDate);
}

function startOf(task: Readonly<Task>, clock: ZoneClock): number {
  if (!task.startDate) return Number.NEGATIVE_INFINITY;
  return isDateOnly(task.startDate)
    ? clock.startOfDate(task.startDate)
    : Date.parse(task.startDate);
}

function compareCandidates(a: Candidate, b: Candidate): number {
  if (a.deadline !== b.deadline) return a.deadline < b.deadline ? -1 : 1;
  const rank = PRIORITY_RANK[a.task.priority] - PRIORITY_RANK[b.task.priority];
  if (rank !== 0) return rank;
  if (a.task.createdAt !== b.task.createdAt) return a.task.createdAt < b.task.createdAt ? -1 : 1;
  return a.task.id < b.task.id ? -1 : a.task.id > b.task.id ? 1 : 0;
}

const blockMs = (block: TaskBlock) => Date.parse(block.end) - Date.parse(block.start);

/** The free time of a plan: sorted disjoint gaps, consumed as blocks are placed. */
class FreeTime {
  constructor(
    readonly gaps: Interval[],
    readonly buffer: number,
    readonly used: number[],
  ) {}

  /** Index of the first gap ending after `at`. */
  firstEndingAfter(at: number): number {
    let [low, high] = [0, this.gaps.length];
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((this.gaps[mid] as Interval).end <= at) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** The gap holding all of [start, end), or -1. */
  gapHolding(start: number, end: number): number {
    const index = this.firstEndingAfter(start);
    const gap = this.gaps[index];
    return gap && gap.start <= start && end <= gap.end ? index : -1;
  }

  /**
   * Takes [start, end) out of gap `index`, with the buffer either side: out of every gap it
   * reaches, since the next working range may begin a moment later (23:59, then 00:00).
   */
  reserve(index: number, start: number, end: number): void {
    const day = (this.gaps[index] as Interval).day;
    const from = start - this.buffer;
    const to = end + this.buffer;
    for (let i = this.firstEndingAfter(from); i < this.gaps.length; ) {
      const gap = this.gaps[i] as Interval;
      if (gap.start >= to) break;
      const pieces: Interval[] = [];
      if (gap.start < from) pieces.push({ ...gap, end: from });
      if (to < gap.end) pieces.push({ ...gap, start: to });
      this.gaps.splice(i, 1, ...pieces);
      i += pieces.length;
    }
    this.used[day] = (this.used[day] ?? 0) + (end - start);
  }
}

interface Chunk {
  gap: number;
  start: number;
  end: number;
}

interface Settings {
  minBlock: number;
  cap: number;
}

/**
 * The earliest blocks covering `need` in [earliest, deadline), or null. A block never leaves a
 * rest shorter than the minimum block, and each day stays within the cap.
 */
function findChunks(
  free: FreeTime,
  { earliest, deadline, need }: { earliest: number; deadline: number; need: number },
  { minBlock, cap }: Settings,
): Chunk[] | null {
  const chunks: Chunk[] = [];
  const pendingByDay = new Map<number, number>();
  let rest = need;
  // The task's own blocks keep the buffer between them too, across gaps.
  let after = earliest;
  for (let i = free.firstEndingAfter(earliest); i < free.gaps.length && rest > 0; i += 1) {
    const gap = free.gaps[i] as Interval;
    if (gap.start >= deadline) break;
    const start = Math.ceil(Math.max(gap.start, after) / GRID) * GRID;
    const end = Math.min(gap.end, deadline);
    const capLeft = cap - (free.used[gap.day] ?? 0) - (pendingByDay.get(gap.day) ?? 0);
    const usable = Math.min(end - start, capLeft);
    if (usable <= 0) continue;
    let take = Math.min(rest, usable);
    if (take < rest && rest - take < minBlock) {
      // Never leave a rest too short to be a block of its own: take less here, so that the rest
      // is one minimum block; or, when what is left here would be too short, take it all and
      // give that much back from the blocks already found (each keeping the minimum).
      const short = minBlock - (rest - take);
      if (take - short >= minBlock) take -= short;
      else if (take >= minBlock && giveBack(chunks, short, minBlock, free, pendingByDay)) {
        rest += short;
      } else continue;
    } else if (take < rest && take < minBlock) continue;
    chunks.push({ gap: i, start, end: start + take });
    pendingByDay.set(gap.day, (pendingByDay.get(gap.day) ?? 0) + take);
    rest -= take;
    after = start + take + free.buffer;
  }
  return rest > 0 ? null : chunks;
}

/**
 * Shortens the blocks found so far by `amount` in all, the latest first, none below `minBlock`;
 * false (and nothing changed) when they cannot give that much.
 */
function giveBack(
  chunks: Chunk[],
  amount: number,
  minBlock: number,
  free: FreeTime,
  pendingByDay: Map<number, number>,
): boolean {
  const spare = chunks.reduce((sum, chunk) => sum + (chunk.end - chunk.start - minBlock), 0);
  if (spare < amount) return false;
  let left = amount;
  for (let c = chunks.length - 1; c >= 0 && left > 0; c -= 1) {
    const chunk = chunks[c] as Chunk;
    const cut = Math.min(left, chunk.end - chunk.start - minBlock);
    if (cut <= 0) continue;
    chunk.end -= cut;
    const day = (free.gaps[chunk.gap] as Interval).day;
    pendingByDay.set(day, (pendingByDay.get(day) ?? 0) - cut);
    left -= cut;
  }
  return true;
}

/** Free minutes (within the cap) in [earliest, deadline), and how much of it is in usable pieces. */
function freeIn(
  free: FreeTime,
  { earliest, deadline, need }: { earliest: number; deadline: number; need: number },
  { minBlock, cap }: Settings,
): { total: number; usable: number } {
  let total = 0;
  let usable = 0;
  const capped = Number.isFinite(cap);
  // Free time counted so far on each day, against the cap (the days of the plan are few).
  const counted: number[] = capped ? free.used.map(() => 0) : [];
  for (let i = free.firstEndingAfter(earliest); i < free.gaps.length; i += 1) {
    const gap = free.gaps[i] as Interval;
    if (gap.start >= deadline) break;
    let length = Math.max(0, Math.min(gap.end, deadline) - Math.max(gap.start, earliest));
    if (capped) {
      const left = cap - (free.used[gap.day] ?? 0) - (counted[gap.day] ?? 0);
      length = Math.max(0, Math.min(length, left));
      counted[gap.day] = (counted[gap.day] ?? 0) + length;
    }
    total += length;
    if (length >= Math.min(minBlock, need)) usable += length;
  }
  return { total, usable };
}

/** Computes the plan (see the top of this file). */
export function computeSchedule(input: ScheduleInput): SchedulePlan {
  const clock = ZoneClock.of(input.timezone);
  const words = ReasonWords.of(input.timezone);
  const now = input.now.getTime();
  const from = input.range.from.getTime();
  const to = input.range.to.getTime();
  const planStart = Math.ceil(Math.max(now, from) / GRID) * GRID;
  const buffer = input.scheduling.bufferMinutes * MINUTE;
  const settings: Settings = {
    minBlock: input.scheduling.minBlockMinutes * MINUTE,
    cap:
      input.scheduling.dailyCapMinutes === null
        ? Number.POSITIVE_INFINITY
        : input.scheduling.dailyCapMinutes * MINUTE,
  };
  const days = localDaysBetween(clock, Math.min(planStart, to), to);
  const dayIndexOf = (ms: number) => days.findIndex((day) => day.start <= ms && ms < day.end);

  const blocks: PlannedBlock[] = [];
  const busy: { start: number; end: number }[] = [];
  const pad = (start: number, end: number) =>
    busy.push({ start: start - buffer, end: end + buffer });
  for (const event of input.events) {
    if (event.allDay) {
      pad(clock.startOfDate(event.start.slice(0, 10)), clock.startOfDate(event.end.slice(0, 10)));
    } else pad(Date.parse(event.start), Date.parse(event.end));
  }

  const candidates: Candidate[] = [];
  const keptCandidates = new Map<string, TaskBlock[]>();
  for (const task of input.tasks) {
    if (!isOpen(task)) continue;
    const fixed = fixedTime(task);
    if (fixed) {
      pad(fixed.start, fixed.end);
      continue;
    }
    let done = 0;
    const unpinned: TaskBlock[] = [];
    for (const block of input.blocks.get(task.id) ?? []) {
      const [start, end] = [Date.parse(block.start), Date.parse(block.end)];
      if (block.pinned) {
        pad(start, end);
        done += end - start;
        if (start < to && end > from) blocks.push({ ...block, status: 'pinned' });
      } else if (end <= planStart) {
        // Slipped: passed and not pinned, its time is placed again.
      } else if (start < planStart || end > to) {
        // Under way now, or reaching past this plan: it stays as it is, counts, and is busy.
        done += end - start;
        pad(start, end);
        if (start < to) blocks.push({ ...block, status: 'kept' });
      } else unpinned.push(block);
    }
    if (task.estimatedDuration === null || task.estimatedDuration <= 0) continue;
    const need = task.estimatedDuration * MINUTE - done;
    if (need <= 0) continue;
    keptCandidates.set(task.id, unpinned);
    const taskStart = startOf(task, clock);
    candidates.push({
      task,
      deadline: deadlineOf(task, clock),
      earliest: Math.max(planStart, taskStart),
      need,
      startsLater: taskStart > planStart,
      dueOnDay: task.dueDate !== null && isDateOnly(task.dueDate),
      startsOnDay: task.startDate !== null && isDateOnly(task.startDate),
    });
  }
  candidates.sort(compareCandidates);

  const working = workingIntervals(clock, days, input.workingHours, { from: planStart, to });
  const free = new FreeTime(
    subtractBusy(working, busy),
    buffer,
    days.map(() => 0),
  );
  // Time already planned on each day counts towards the cap: pinned and running blocks.
  for (const block of blocks) {
    const day = dayIndexOf(Date.parse(block.start));
    if (day >= 0) free.used[day] = (free.used[day] ?? 0) + blockMs(block);
  }

  // Stability first: earlier blocks still valid stay, in the order tasks are planned.
  for (const candidate of candidates) {
    for (const block of keptCandidates.get(candidate.task.id) ?? []) {
      const [start, end] = [Date.parse(block.start), Date.parse(block.end)];
      const gap = free.gapHolding(start, end);
      const day = gap >= 0 ? (free.gaps[gap] as Interval).day : -1;
      const fits =
        gap >= 0 &&
        start >= candidate.earliest &&
        end <= candidate.deadline &&
        end - start <= candidate.need &&
        (free.used[day] ?? 0) + (end - start) <= settings.cap;
      if (!fits) continue;
      free.reserve(gap, start, end);
      candidate.need -= end - start;
      blocks.push({
        ...block,
        reasons: keptReasons(block, candidate, words),
        status: 'kept',
      });
    }
  }

  const unscheduled: UnscheduledTask[] = [];
  for (const candidate of candidates) {
    if (candidate.need <= 0) continue;
    const window = {
      earliest: candidate.earliest,
      deadline: Math.min(candidate.deadline, to),
      need: candidate.need,
    };
    const chunks = window.earliest < window.deadline ? findChunks(free, window, settings) : null;
    if (chunks === null) {
      unscheduled.push(
        explainUnscheduled(candidate, window, free, settings, words, { planStart, to }),
      );
      continue;
    }
    for (let i = chunks.length - 1; i >= 0; i -= 1) {
      const chunk = chunks[i] as Chunk;
      free.reserve(chunk.gap, chunk.start, chunk.end);
    }
    chunks.forEach((chunk, index) => {
      blocks.push({
        id: '',
        taskId: candidate.task.id,
        start: toIso(new Date(chunk.start)),
        end: toIso(new Date(chunk.end)),
        pinned: false,
        status: 'new',
        reasons: [
          ...explainTask(candidate, words),
          chunks.length === 1
            ? `first free ${Math.round((chunk.end - chunk.start) / MINUTE)}-minute slot in working hours`
            : `part ${index + 1} of ${chunks.length} (${durationWords(chunk.end - chunk.start)}): no free slot holds ${durationWords(window.need)} at once, so the earliest free working time in blocks of at least ${durationWords(settings.minBlock)}`,
        ],
      });
    });
  }

  blocks.sort(
    (a, b) =>
      a.start.localeCompare(b.start) ||
      a.taskId.localeCompare(b.taskId) ||
      a.id.localeCompare(b.id),
  );
  return { range: { from: input.range.from, to: input.range.to }, blocks, unscheduled };
}

/** `Tue 24 Mar` for a task due on a day (the deadline is the next midnight), else the time. */
function dueWords(candidate: Candidate, words: ReasonWords): string {
  return candidate.dueOnDay ? words.day(candidate.deadline - 1) : words.when(candidate.deadline);
}

function startWords(candidate: Candidate, words: ReasonWords): string {
  return candidate.startsOnDay ? words.day(candidate.earliest) : words.when(candidate.earliest);
}

const KEPT = 'kept where the last plan put it';

/** Why a kept block is where it is: why it was put there, and that it stayed. */
function keptReasons(block: TaskBlock, candidate: Candidate, words: ReasonWords): string[] {
  const earlier = block.reasons.filter((reason) => reason !== KEPT);
  return [...(earlier.length > 0 ? earlier : explainTask(candidate, words)), KEPT];
}

function explainTask(candidate: Candidate, words: ReasonWords): string[] {
  const reasons = [
    Number.isFinite(candidate.deadline) ? `due ${dueWords(candidate, words)}` : 'no due date',
    priorityWords(candidate.task.priority),
  ];
  if (candidate.startsLater) reasons.push(`starts ${startWords(candidate, words)}`);
  return reasons;
}

function explainUnscheduled(
  candidate: Candidate,
  window: { earliest: number; deadline: number; need: number },
  free: FreeTime,
  settings: Settings,
  words: ReasonWords,
  plan: { planStart: number; to: number },
): UnscheduledTask {
  const base = {
    taskId: candidate.task.id,
    neededMinutes: Math.round(window.need / MINUTE),
    deadline: Number.isFinite(candidate.deadline) ? toIso(new Date(candidate.deadline)) : null,
  };
  if (candidate.deadline <= plan.planStart) {
    return {
      ...base,
      code: 'past-due',
      freeMinutes: 0,
      reason: `was due ${dueWords(candidate, words)}, before this plan starts`,
    };
  }
  if (candidate.earliest >= plan.to) {
    return {
      ...base,
      code: 'starts-after-plan',
      freeMinutes: 0,
      reason: `starts ${startWords(candidate, words)}, after this plan ends ${words.when(plan.to)}`,
    };
  }
  const { total, usable } = freeIn(free, window, settings);
  const by =
    candidate.deadline <= plan.to
      ? `${candidate.dueOnDay ? 'by' : 'before'} ${dueWords(candidate, words)}`
      : `by the end of this plan, ${words.when(plan.to)}`;
  const needs = `needs ${durationWords(window.need)} ${by}`;
  if (total < window.need) {
    return {
      ...base,
      code: 'not-enough-time',
      freeMinutes: Math.floor(total / MINUTE),
      reason: `${needs}; ${durationWords(total)} free`,
    };
  }
  return {
    ...base,
    code: 'fragmented',
    freeMinutes: Math.floor(total / MINUTE),
    reason:
      usable < window.need
        ? `${needs}; ${durationWords(total)} free, but only ${durationWords(usable)} of it in pieces of at least ${durationWords(settings.minBlock)}`
        : `${needs}; ${durationWords(total)} free, but in pieces that cannot hold it in blocks of at least ${durationWords(settings.minBlock)}`,
  };
}
