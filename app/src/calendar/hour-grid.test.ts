import { describe, expect, it } from 'vitest';
import { layoutHourGrid } from './hour-grid.js';

const H = 3600_000;
const GRID = { start: 8 * H, end: 18 * H };
const at = (key: string, from: number, to: number) => ({ key, start: from * H, end: to * H });

describe('the hour grid of a day', () => {
  it('puts an item at its time, as a share of the hours shown', () => {
    expect(layoutHourGrid([at('a', 9, 10)], GRID).get('a')).toEqual({
      top: 10,
      height: 10,
      left: 0,
      width: 100,
    });
  });

  it('lays overlapping items side by side, and the next free one in the first free column', () => {
    const placed = layoutHourGrid(
      [at('meeting', 9, 11), at('block', 10, 12), at('entry', 11, 12), at('later', 13, 14)],
      GRID,
    );
    expect([...placed].map(([key, p]) => [key, p.left, p.width])).toEqual([
      ['meeting', 0, 50],
      ['block', 50, 50],
      ['entry', 0, 50],
      ['later', 0, 100],
    ]);
  });

  it('draws a short item long enough to read, and clips items to the hours shown', () => {
    const placed = layoutHourGrid([at('due', 12, 12), at('night', 5, 9)], GRID);
    expect(placed.get('due')?.height).toBeCloseTo((20 / 600) * 100);
    expect(placed.get('night')).toMatchObject({ top: 0, height: 10 });
  });
});
