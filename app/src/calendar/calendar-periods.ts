import { DateTime } from 'luxon';

/**
 * The days the calendar shows in each of its views, from today (a local date), the offset the
 * user navigated by (in days, weeks or months) and the first day of the week (1 Monday … 7
 * Sunday): a day; a week from its first day; a month as whole weeks, from the week holding the
 * 1st to the week holding its last day.
 */
export const CALENDAR_MODES = ['day', 'week', 'month'] as const;
export type CalendarMode = (typeof CALENDAR_MODES)[number];

const date = (value: DateTime) => value.toISODate() as string;

export function periodDays(
  mode: CalendarMode,
  today: string,
  offset: number,
  weekStart: number,
): { first: string; last: string; month: string | null } {
  const day = DateTime.fromISO(today, { zone: 'UTC' });
  const startOfWeek = (value: DateTime) =>
    value.minus({ days: (value.weekday - weekStart + 7) % 7 });
  if (mode === 'day') {
    const shown = date(day.plus({ days: offset }));
    return { first: shown, last: shown, month: null };
  }
  if (mode === 'week') {
    const first = startOfWeek(day).plus({ weeks: offset });
    return { first: date(first), last: date(first.plus({ days: 6 })), month: null };
  }
  const month = day.startOf('month').plus({ months: offset });
  const first = startOfWeek(month);
  const lastOfMonth = month.endOf('month').startOf('day');
  const last = startOfWeek(lastOfMonth).plus({ days: 6 });
  return { first: date(first), last: date(last), month: month.toFormat('yyyy-MM') };
}

/** The offset at which a view shows `date`: switching views keeps the day in sight. */
export function offsetShowing(
  mode: CalendarMode,
  today: string,
  date: string,
  weekStart: number,
): number {
  const from = DateTime.fromISO(today, { zone: 'UTC' });
  const to = DateTime.fromISO(date, { zone: 'UTC' });
  if (mode === 'day') return Math.round(to.diff(from, 'days').days);
  if (mode === 'week') {
    const startOfWeek = (value: DateTime) =>
      value.minus({ days: (value.weekday - weekStart + 7) % 7 });
    return Math.round(startOfWeek(to).diff(startOfWeek(from), 'weeks').weeks);
  }
  return (to.year - from.year) * 12 + (to.month - from.month);
}
