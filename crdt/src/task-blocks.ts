import type * as Y from 'yjs';
import type { DocContext } from './context.js';
import { normalizeDateTime, toIso } from './dates.js';
import { NotFoundError, ValidationError } from './errors.js';
import { asMap } from './record-fields.js';
import { tasksOf, type UserDocs } from './user-docs.js';

/**
 * Planned blocks of work, stored on their task (DESIGN.md "The user document"): one map entry per
 * block, `block:<id>`, holding `{ start, end, pinned?, reasons? }`. One key per block, like tags,
 * so a block pinned on one device and a plan applied on another merge instead of one list
 * overwriting the other.
 */
export const BLOCK_KEY_PREFIX = 'block:';

/** A block longer than this is not a block of work (another device wrote junk). */
export const BLOCK_MAX_MINUTES = 24 * 60;
/** Blocks read per task at most: a hostile peer must not make every reader walk millions. */
export const BLOCKS_PER_TASK_MAX = 200;
const REASONS_MAX = 8;
const REASON_CHARS_MAX = 300;

export interface TaskBlock {
  id: string;
  taskId: string;
  /** UTC instants (`2026-03-02T09:00:00Z`). */
  start: string;
  end: string;
  /** Placed or moved by the user: a re-plan keeps it where it is. */
  pinned: boolean;
  /** Why the planner put it there (empty for a block the user placed). */
  reasons: string[];
}

function readReasons(value: unknown): string[] {
  if (!Array.isArray(value)) return [];
  return value
    .filter((reason): reason is string => typeof reason === 'string' && reason !== '')
    .slice(0, REASONS_MAX)
    .map((reason) => reason.slice(0, REASON_CHARS_MAX));
}

/** A stored block as valid values, or null when another device wrote something that is not one. */
export function readBlock(taskId: string, key: string, value: unknown): TaskBlock | null {
  if (!key.startsWith(BLOCK_KEY_PREFIX) || typeof value !== 'object' || value === null) return null;
  const id = key.slice(BLOCK_KEY_PREFIX.length);
  if (id === '' || id.length > 100) return null;
  const record = value as Record<string, unknown>;
  const start = typeof record.start === 'string' ? normalizeDateTime(record.start) : null;
  const end = typeof record.end === 'string' ? normalizeDateTime(record.end) : null;
  if (!start || !end) return null;
  const minutes = (Date.parse(end) - Date.parse(start)) / 60_000;
  if (!(minutes > 0 && minutes <= BLOCK_MAX_MINUTES)) return null;
  return {
    id,
    taskId,
    start,
    end,
    pinned: record.pinned === true,
    reasons: readReasons(record.reasons),
  };
}

const byStart = (a: TaskBlock, b: TaskBlock) =>
  a.start.localeCompare(b.start) || a.id.localeCompare(b.id);

function readBlocksOfMap(taskId: string, map: Y.Map<unknown>): TaskBlock[] {
  const blocks: TaskBlock[] = [];
  map.forEach((value, key) => {
    if (!key.startsWith(BLOCK_KEY_PREFIX)) return;
    const block = readBlock(taskId, key, value);
    if (block) blocks.push(block);
  });
  return blocks.sort(byStart).slice(0, BLOCKS_PER_TASK_MAX);
}

/** The blocks of one task, by start; none for a task that does not exist. */
export function listTaskBlocks(docs: UserDocs, taskId: string): TaskBlock[] {
  const map = asMap(tasksOf(docs.main).get(taskId));
  return map ? readBlocksOfMap(taskId, map) : [];
}

/** Every block of every task (trash included; callers filter by task), by task id. */
export function readAllBlocks(docs: UserDocs): Map<string, TaskBlock[]> {
  const result = new Map<string, TaskBlock[]>();
  tasksOf(docs.main).forEach((value, taskId) => {
    const map = asMap(value);
    if (!map) return;
    const blocks = readBlocksOfMap(taskId, map);
    if (blocks.length > 0) result.set(taskId, blocks);
  });
  return result;
}

/** Blocks of every task overlapping [from, to), by start. */
export function listBlocksBetween(docs: UserDocs, range: { from: Date; to: Date }): TaskBlock[] {
  const [from, to] = [range.from.getTime(), range.to.getTime()];
  const result: TaskBlock[] = [];
  for (const blocks of readAllBlocks(docs).values()) {
    for (const block of blocks) {
      if (Date.parse(block.start) < to && Date.parse(block.end) > from) result.push(block);
    }
  }
  return result.sort(byStart);
}

function liveTask(docs: UserDocs, taskId: string): Y.Map<unknown> {
  const map = asMap(tasksOf(docs.main).get(taskId));
  if (!map || map.has('deletedAt')) throw new NotFoundError('task', taskId);
  return map;
}

function blockTimes(start: string, end: string): { start: string; end: string } {
  const fields = [];
  const from = normalizeDateTime(start);
  const to = normalizeDateTime(end);
  if (!from) fields.push({ field: 'start', message: 'must be an ISO-8601 datetime with offset' });
  if (!to) fields.push({ field: 'end', message: 'must be an ISO-8601 datetime with offset' });
  if (from && to) {
    const minutes = (Date.parse(to) - Date.parse(from)) / 60_000;
    if (minutes <= 0) fields.push({ field: 'end', message: 'must be after start' });
    else if (minutes > BLOCK_MAX_MINUTES)
      fields.push({ field: 'end', message: 'a block may last at most 24 hours' });
  }
  if (fields.length > 0 || !from || !to) throw new ValidationError(fields);
  return { start: from, end: to };
}

function blockRecord(block: Omit<TaskBlock, 'id' | 'taskId'>): Record<string, unknown> {
  const record: Record<string, unknown> = { start: block.start, end: block.end };
  if (block.pinned) record.pinned = true;
  if (block.reasons.length > 0) record.reasons = readReasons(block.reasons);
  return record;
}

/**
 * Moves or resizes a block (the user dragged it, or used the keyboard) and pins it: a re-plan
 * keeps it where the user put it.
 */
export function moveBlock(
  docs: UserDocs,
  taskId: string,
  blockId: string,
  times: { start: string; end: string },
): TaskBlock {
  const map = liveTask(docs, taskId);
  const key = BLOCK_KEY_PREFIX + blockId;
  const current = readBlock(taskId, key, map.get(key));
  if (!current) throw new NotFoundError('block', blockId);
  const { start, end } = blockTimes(times.start, times.end);
  const next = { ...current, start, end, pinned: true };
  docs.main.transact(() => map.set(key, blockRecord(next)));
  return next;
}

/** Places a new pinned block of a task (a task dragged from a list onto the grid). */
export function addPinnedBlock(
  docs: UserDocs,
  taskId: string,
  times: { start: string; end: string },
  ctx: DocContext,
): TaskBlock {
  const map = liveTask(docs, taskId);
  const { start, end } = blockTimes(times.start, times.end);
  const block: TaskBlock = { id: ctx.newId(), taskId, start, end, pinned: true, reasons: [] };
  docs.main.transact(() => map.set(BLOCK_KEY_PREFIX + block.id, blockRecord(block)));
  return block;
}

/** Pins or unpins a block where it is. */
export function setBlockPinned(
  docs: UserDocs,
  taskId: string,
  blockId: string,
  pinned: boolean,
): TaskBlock {
  const map = liveTask(docs, taskId);
  const key = BLOCK_KEY_PREFIX + blockId;
  const current = readBlock(taskId, key, map.get(key));
  if (!current) throw new NotFoundError('block', blockId);
  const next = { ...current, pinned };
  if (current.pinned !== pinned) docs.main.transact(() => map.set(key, blockRecord(next)));
  return next;
}

export function removeBlock(docs: UserDocs, taskId: string, blockId: string): void {
  const map = liveTask(docs, taskId);
  const key = BLOCK_KEY_PREFIX + blockId;
  if (map.has(key)) docs.main.transact(() => map.delete(key));
}

/**
 * Writes a plan of [from, to): every task's unpinned blocks in that window that have not ended by
 * `now` become exactly the plan's blocks of that task (none for a task the plan left out: done,
 * deleted, or unscheduled). Kept blocks keep their id and write nothing; new ones (id '') get
 * fresh ids. Pinned blocks, blocks that already ended and blocks outside the window stay.
 */
export function writePlannedBlocks(
  docs: UserDocs,
  plan: {
    range: { from: Date; to: Date };
    /** A new block has the id ''. */
    blocks: readonly TaskBlock[];
  },
  now: Date,
  ctx: DocContext,
): void {
  const tasks = tasksOf(docs.main);
  const windowStart = toIso(new Date(Math.max(now.getTime(), plan.range.from.getTime())));
  const windowEnd = toIso(plan.range.to);
  const byTask = new Map<string, TaskBlock[]>();
  for (const block of plan.blocks) {
    if (block.pinned) continue;
    const list = byTask.get(block.taskId) ?? [];
    list.push(block);
    byTask.set(block.taskId, list);
  }
  docs.main.transact(() => {
    for (const [taskId, value] of tasks.entries()) {
      const map = asMap(value);
      if (!map) continue;
      const planned = byTask.get(taskId) ?? [];
      const wanted = new Set(planned.map((block) => block.id).filter((id) => id !== ''));
      for (const block of readBlocksOfMap(taskId, map)) {
        const replaced = !block.pinned && block.end > windowStart && block.start < windowEnd;
        if (replaced && !wanted.has(block.id)) map.delete(BLOCK_KEY_PREFIX + block.id);
      }
      if (planned.length === 0 || map.has('deletedAt')) continue;
      for (const block of planned) {
        const id = block.id === '' ? ctx.newId() : block.id;
        const key = BLOCK_KEY_PREFIX + id;
        const record = blockRecord(block);
        if (JSON.stringify(map.get(key)) !== JSON.stringify(record)) map.set(key, record);
      }
    }
  });
}
