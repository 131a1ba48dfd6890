/**
 * The occurrences of a series in the Graph fake, computed from Graph's pattern and range by
 * walking the days (independently of the adapter's RRULE conversion).
 *
 * Modelled: every pattern type, interval, firstDayOfWeek, the three range types, DST (the
 * series keeps its wall time). An occurrence edited or deleted on its own is recorded on its
 * series (`occurrenceEdits`, rendered by fake-graph-events.ts).
 */
import { DateTime } from 'luxon';
import { DAYS, type FakeGraphEvent, INDEXES, instantOf } from './fake-graph-events.js';
import type {
  GraphDateTimeTimeZone,
  GraphDayOfWeek,
  GraphRecurrencePattern,
  GraphWeekIndex,
} from './graph-wire.js';

/** Bound on the days walked to expand a series: a century. */
const MAX_SERIES_DAYS = 36_600;

export interface Window {
  start: DateTime;
  end: DateTime;
}

function overlaps(start: DateTime, end: DateTime, window: Window): boolean {
  // A zero-length event at the window's start still counts.
  return start < window.end && (end > window.start || (end.equals(start) && start >= window.start));
}

function weekStart(day: DateTime, firstDayOfWeek: GraphDayOfWeek): DateTime {
  const first = DAYS.indexOf(firstDayOfWeek) + 1;
  return day.minus({ days: (day.weekday - first + 7) % 7 });
}

/** Is `day` the `index`-th of the month's days that fall on one of `days`? */
function isRelativeDay(day: DateTime, days: GraphDayOfWeek[], index: GraphWeekIndex): boolean {
  const matching: number[] = [];
  for (let dayOfMonth = 1; dayOfMonth <= (day.daysInMonth ?? 31); dayOfMonth += 1) {
    const candidate = day.set({ day: dayOfMonth });
    if (days.includes(DAYS[candidate.weekday - 1] ?? 'monday')) matching.push(dayOfMonth);
  }
  const chosen =
    index === 'last' ? matching[matching.length - 1] : matching[INDEXES.indexOf(index)];
  return chosen === day.day;
}

function matchesPattern(pattern: GraphRecurrencePattern, day: DateTime, first: DateTime): boolean {
  const months = (day.year - first.year) * 12 + day.month - first.month;
  const days = pattern.daysOfWeek ?? [];
  const index = pattern.index ?? 'first';
  switch (pattern.type) {
    case 'daily':
      return Math.round(day.diff(first, 'days').days) % pattern.interval === 0;
    case 'weekly': {
      const firstDayOfWeek = pattern.firstDayOfWeek ?? 'sunday';
      const weeks = Math.round(
        weekStart(day, firstDayOfWeek).diff(weekStart(first, firstDayOfWeek), 'weeks').weeks,
      );
      return days.includes(DAYS[day.weekday - 1] ?? 'monday') && weeks % pattern.interval === 0;
    }
    case 'absoluteMonthly':
      return day.day === pattern.dayOfMonth && months % pattern.interval === 0;
    case 'relativeMonthly':
      return months % pattern.interval === 0 && isRelativeDay(day, days, index);
    case 'absoluteYearly':
      return (
        day.month === pattern.month &&
        day.day === pattern.dayOfMonth &&
        (day.year - first.year) % pattern.interval === 0
      );
    case 'relativeYearly':
      return (
        day.month === pattern.month &&
        (day.year - first.year) % pattern.interval === 0 &&
        isRelativeDay(day, days, index)
      );
    default:
      return false;
  }
}

export interface Occurrence {
  id: string;
  start: GraphDateTimeTimeZone;
  end: GraphDateTimeTimeZone;
}

/**
 * The occurrences of a series inside a window, walking the days from the range's start date
 * (occurrences before the window count towards a numbered range).
 */
export function occurrencesInWindow(
  event: FakeGraphEvent,
  window: Window,
  limit: number,
): Occurrence[] {
  const recurrence = event.recurrence;
  if (!recurrence) return [];
  const zone = recurrence.range.recurrenceTimeZone ?? event.start.timeZone;
  const seriesStart = instantOf(event.start).setZone(zone, { keepLocalTime: event.isAllDay });
  const duration = instantOf(event.end).diff(instantOf(event.start));
  const first = DateTime.fromISO(recurrence.range.startDate, { zone });
  const last =
    recurrence.range.type === 'endDate'
      ? DateTime.fromISO(recurrence.range.endDate ?? '', { zone })
      : null;
  const total =
    recurrence.range.type === 'numbered'
      ? (recurrence.range.numberOfOccurrences ?? 0)
      : Number.POSITIVE_INFINITY;
  const found: Occurrence[] = [];
  let counted = 0;
  for (
    let offset = 0;
    offset < MAX_SERIES_DAYS && counted < total && found.length < limit;
    offset += 1
  ) {
    const day = first.plus({ days: offset });
    if ((last && day > last) || day > window.end) break;
    if (!matchesPattern(recurrence.pattern, day, first)) continue;
    counted += 1;
    const start = day.set({
      hour: seriesStart.hour,
      minute: seriesStart.minute,
      second: seriesStart.second,
    });
    const end = start.plus(duration);
    if (!overlaps(start, end, window)) continue;
    const toGraph = (time: DateTime): GraphDateTimeTimeZone => {
      const local = time.setZone(event.start.timeZone, { keepLocalTime: event.isAllDay });
      return {
        dateTime: `${local.toFormat("yyyy-MM-dd'T'HH:mm:ss.SSS")}0000`,
        timeZone: event.start.timeZone,
      };
    };
    found.push({
      id: `${event.id}_${day.toFormat('yyyyMMdd')}`,
      start: toGraph(start),
      end: toGraph(end),
    });
  }
  return found;
}

/** Is the event (a single one, or any occurrence of a series) inside the window? */
export function isInWindow(event: FakeGraphEvent, window: Window): boolean {
  if (event.recurrence) return occurrencesInWindow(event, window, 1).length > 0;
  return overlaps(instantOf(event.start), instantOf(event.end), window);
}
