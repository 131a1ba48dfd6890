import type { Priority, SchedulingSettings } from '../schema.js';
import { getSettings } from '../settings.js';
import { readAllBlocks } from '../task-blocks.js';
import { isOpen } from '../task-views.js';
import { readTasks } from '../tasks.js';
import type { UserDocs } from '../user-docs.js';

/**
 * "Put planned blocks in my calendar" (issue 15): which planned blocks belong in the user's
 * connected calendar (one: `blocksCalendarOf`) as events. A block's event carries a marker in
 * place of a task id (`block:<taskId>:<blockId>`), so the bridge tells it from the task's own
 * event and from the user's events: it is never mirrored back as busy time nor turned into a
 * task.
 */
export const BLOCK_EVENT_MARKER_PREFIX = 'block:';

export interface CalendarBlock {
  /** The marker the block's event carries, stable for the life of the block. */
  marker: string;
  taskId: string;
  blockId: string;
  title: string;
  priority: Priority;
  /** UTC instants. */
  start: string;
  end: string;
  reasons: string[];
}

export function blockEventMarker(taskId: string, blockId: string): string {
  return `${BLOCK_EVENT_MARKER_PREFIX}${taskId}:${blockId}`;
}

/** Whether an event's task marker names a planned block rather than a task. */
export function isBlockEventMarker(marker: string | null): marker is string {
  return marker?.startsWith(BLOCK_EVENT_MARKER_PREFIX) === true;
}

/**
 * The blocks the calendar should show (over [from, to) when a window is given): none while the
 * setting is off; else every block of a task neither done nor in the trash, by start then marker.
 */
export function blocksForCalendar(
  docs: UserDocs,
  window: { from: Date; to: Date } = { from: new Date(-8.64e15), to: new Date(8.64e15) },
): CalendarBlock[] {
  if (!getSettings(docs).scheduling.blocksToCalendar) return [];
  const [from, to] = [window.from.getTime(), window.to.getTime()];
  const open = new Map(
    readTasks(docs)
      .filter(isOpen)
      .map((task) => [task.id, task]),
  );
  const result: CalendarBlock[] = [];
  for (const [taskId, blocks] of readAllBlocks(docs)) {
    const task = open.get(taskId);
    if (!task) continue;
    for (const block of blocks) {
      if (!(Date.parse(block.start) < to && Date.parse(block.end) > from)) continue;
      result.push({
        marker: blockEventMarker(taskId, block.id),
        taskId,
        blockId: block.id,
        title: task.title,
        priority: task.priority,
        start: block.start,
        end: block.end,
        reasons: [...block.reasons],
      });
    }
  }
  return result.sort((a, b) => a.start.localeCompare(b.start) || a.marker.localeCompare(b.marker));
}

/** A calendar connection as the choice of the blocks' calendar sees it. */
export interface BlockCalendarCandidate {
  id: string;
  /** Whether the bridge writes to it now (sync on, not failed until the user reconnects it). */
  isWritable: boolean;
}

/**
 * The one connection whose calendar receives the planned blocks, so that a user with two
 * calendars connected sees each block once: the one the settings name while it is writable,
 * else the first writable one (`connections` oldest first); null when none is. A connection
 * removed or turned off thus hands the blocks on to the next.
 */
export function blocksCalendarOf(
  scheduling: Pick<SchedulingSettings, 'blocksCalendarConnectionId'>,
  connections: readonly BlockCalendarCandidate[],
): string | null {
  const writable = connections.filter((connection) => connection.isWritable);
  const chosen = writable.find(
    (connection) => connection.id === scheduling.blocksCalendarConnectionId,
  );
  return (chosen ?? writable[0])?.id ?? null;
}

/** A connection as a candidate: writable while sync is on and it has not failed for good. */
export function blockCalendarCandidate(connection: {
  id: string;
  syncEnabled: boolean;
  syncStatus: string;
}): BlockCalendarCandidate {
  return {
    id: connection.id,
    isWritable: connection.syncEnabled && connection.syncStatus !== 'FAILED',
  };
}
