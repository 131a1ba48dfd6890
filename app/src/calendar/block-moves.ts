import { localDateTimeToInstant, toIso } from '@tasks/crdt';
import { DateTime } from 'luxon';

/**
 * Where a planned block goes when the user moves or resizes it: by drag (to another day, at the
 * same wall-clock time) or with the keyboard (15 minutes at a time). The crdt's `moveBlock`
 * stores the result and pins the block.
 */
export const BLOCK_STEP_MINUTES = 15;
const MINUTE = 60_000;

export interface BlockTimes {
  start: string;
  end: string;
}

/** The block `minutes` later (earlier when negative), the same length. */
export function shiftBlock(block: BlockTimes, minutes: number): BlockTimes {
  return {
    start: toIso(new Date(Date.parse(block.start) + minutes * MINUTE)),
    end: toIso(new Date(Date.parse(block.end) + minutes * MINUTE)),
  };
}

/** The block ending `minutes` later (earlier when negative), never shorter than one step. */
export function resizeBlock(block: BlockTimes, minutes: number): BlockTimes {
  const start = Date.parse(block.start);
  const end = Math.max(
    start + BLOCK_STEP_MINUTES * MINUTE,
    Date.parse(block.end) + minutes * MINUTE,
  );
  return { start: block.start, end: toIso(new Date(end)) };
}

/**
 * The block on another local day (`YYYY-MM-DD`) at the same wall-clock start in the user's zone,
 * the same length: 09:00 stays 09:00 across a change of the clocks (read as crdt reads every
 * wall time).
 */
export function moveBlockToDay(block: BlockTimes, date: string, zone: string): BlockTimes {
  const wall = DateTime.fromISO(block.start, { zone: 'utc' }).setZone(zone).toFormat('HH:mm');
  const start = localDateTimeToInstant(`${date}T${wall}`, zone);
  if (start === null) return block;
  const length = Date.parse(block.end) - Date.parse(block.start);
  return { start, end: toIso(new Date(Date.parse(start) + length)) };
}

/** The block starting at `at` (epoch milliseconds: where it was dropped on the grid), the same length. */
export function moveBlockToInstant(block: BlockTimes, at: number): BlockTimes {
  const length = Date.parse(block.end) - Date.parse(block.start);
  return { start: toIso(new Date(at)), end: toIso(new Date(at + length)) };
}

/**
 * The block ending at `at` (epoch milliseconds: where its bottom edge was dropped on the grid),
 * never shorter than one step.
 */
export function resizeBlockToInstant(block: BlockTimes, at: number): BlockTimes {
  const end = Math.max(Date.parse(block.start) + BLOCK_STEP_MINUTES * MINUTE, at);
  return { start: block.start, end: toIso(new Date(end)) };
}
