import { describe, expect, it } from 'vitest';
import { offsetShowing, periodDays } from './calendar-periods.js';

// Wednesday 30 December 2026; weeks starting on Monday (1) or Sunday (7).
const TODAY = '2026-12-30';

describe('the days each calendar view shows', () => {
  it('shows one day, moved by whole days', () => {
    expect(periodDays('day', TODAY, 2, 1)).toEqual({
      first: '2027-01-01',
      last: '2027-01-01',
      month: null,
    });
  });

  it('shows the week from its first day, whichever day starts weeks', () => {
    expect(periodDays('week', TODAY, 0, 1)).toMatchObject({
      first: '2026-12-28',
      last: '2027-01-03',
    });
    expect(periodDays('week', TODAY, -1, 7)).toMatchObject({
      first: '2026-12-20',
      last: '2026-12-26',
    });
  });

  it('shows a month as the whole weeks holding it, across a year', () => {
    expect(periodDays('month', TODAY, 0, 1)).toEqual({
      first: '2026-11-30',
      last: '2027-01-03',
      month: '2026-12',
    });
    // February 2027 starts on a Monday and ends on a Sunday: exactly four weeks.
    expect(periodDays('month', TODAY, 2, 1)).toEqual({
      first: '2027-02-01',
      last: '2027-02-28',
      month: '2027-02',
    });
  });

  it('keeps a day in sight when switching views', () => {
    for (const mode of ['day', 'week', 'month'] as const) {
      for (const date of ['2026-12-30', '2027-02-02', '2026-11-29']) {
        const shown = periodDays(mode, TODAY, offsetShowing(mode, TODAY, date, 1), 1);
        expect(shown.first <= date && date <= shown.last).toBe(true);
      }
    }
    expect(offsetShowing('month', TODAY, '2027-02-02', 1)).toBe(2);
  });
});
