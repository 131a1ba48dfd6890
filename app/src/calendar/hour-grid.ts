/**
 * The hour grid of a day in the week view: where each timed item (event, planned block, task
 * with a time, time entry) sits, as a share of the day's shown hours, and side by side with the
 * items it overlaps: each group of overlapping items is split into as many columns as it needs at
 * once, and each item takes the first column free when it starts.
 */
export interface GridItem {
  key: string;
  /** Epoch milliseconds; `end` after `start` (a point is given a length by the caller). */
  start: number;
  end: number;
}

export interface GridPlacement {
  /** Percent of the grid's height from its top, and of its width from its left. */
  top: number;
  height: number;
  left: number;
  width: number;
}

/** Items shorter than this are drawn this long, so that their text fits a line. */
export const MIN_DRAWN_MS = 20 * 60_000;

export function layoutHourGrid(
  items: readonly GridItem[],
  grid: { start: number; end: number },
): Map<string, GridPlacement> {
  const span = grid.end - grid.start;
  const drawn = items
    .map((item) => {
      const start = Math.max(item.start, grid.start);
      const end = Math.min(Math.max(item.end, start + MIN_DRAWN_MS), grid.end);
      return { key: item.key, start: Math.min(start, grid.end - MIN_DRAWN_MS), end };
    })
    .sort((a, b) => a.start - b.start || b.end - a.end || a.key.localeCompare(b.key));
  const result = new Map<string, GridPlacement>();
  let group: { key: string; start: number; end: number; column: number }[] = [];
  let columnEnds: number[] = [];
  let groupEnd = Number.NEGATIVE_INFINITY;
  const closeGroup = () => {
    for (const item of group) {
      const width = 100 / columnEnds.length;
      result.set(item.key, {
        top: ((item.start - grid.start) / span) * 100,
        height: ((item.end - item.start) / span) * 100,
        left: item.column * width,
        width,
      });
    }
    group = [];
    columnEnds = [];
  };
  for (const item of drawn) {
    if (item.start >= groupEnd) {
      closeGroup();
      groupEnd = item.end;
    }
    let column = columnEnds.findIndex((end) => end <= item.start);
    if (column === -1) column = columnEnds.push(item.end) - 1;
    else columnEnds[column] = item.end;
    group.push({ ...item, column });
    groupEnd = Math.max(groupEnd, item.end);
  }
  closeGroup();
  return result;
}
