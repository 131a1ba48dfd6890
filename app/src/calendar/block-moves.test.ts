import { describe, expect, it } from 'vitest';
import { moveBlockToDay, resizeBlock, resizeBlockToInstant, shiftBlock } from './block-moves.js';

const BLOCK = { start: '2026-03-27T08:00:00Z', end: '2026-03-27T09:30:00Z' };

describe('moving a planned block', () => {
  it('shifts by whole steps, keeping its length', () => {
    expect(shiftBlock(BLOCK, 15)).toEqual({
      start: '2026-03-27T08:15:00Z',
      end: '2026-03-27T09:45:00Z',
    });
    expect(shiftBlock(BLOCK, -30)).toEqual({
      start: '2026-03-27T07:30:00Z',
      end: '2026-03-27T09:00:00Z',
    });
  });

  it('resizes from its end, never below one step', () => {
    expect(resizeBlock(BLOCK, 15).end).toBe('2026-03-27T09:45:00Z');
    expect(resizeBlock(BLOCK, -600)).toEqual({
      start: '2026-03-27T08:00:00Z',
      end: '2026-03-27T08:15:00Z',
    });
  });

  it('keeps its wall-clock time when dropped on a day after the change to summer time', () => {
    // Friday 09:00 in Berlin is 08:00Z; the Monday after the change, 09:00 is 07:00Z.
    expect(moveBlockToDay(BLOCK, '2026-03-30', 'Europe/Berlin')).toEqual({
      start: '2026-03-30T07:00:00Z',
      end: '2026-03-30T08:30:00Z',
    });
  });

  it('ends a block where its bottom edge was dropped, never shorter than one step', () => {
    const block = { start: '2026-03-27T09:00:00Z', end: '2026-03-27T10:00:00Z' };
    expect(resizeBlockToInstant(block, Date.parse('2026-03-27T11:15:00Z'))).toEqual({
      start: '2026-03-27T09:00:00Z',
      end: '2026-03-27T11:15:00Z',
    });
    expect(resizeBlockToInstant(block, Date.parse('2026-03-27T08:00:00Z'))).toEqual({
      start: '2026-03-27T09:00:00Z',
      end: '2026-03-27T09:15:00Z',
    });
  });
});
