import {
  isDateOnly,
  isValidTimezone,
  localDateTimeToInstant,
  wallClockToInstant,
} from '../dates.js';
import { type TimeRange, WEEKDAYS, type Weekday } from '../schema.js';
import { ZoneOffsets } from '../zone-offsets.js';

/** One day of the user's calendar in their zone: its date and the instants it begins and ends. */
export interface LocalDay {
  date: string;
  weekday: Weekday;
  /** Epoch milliseconds of the day's first instant, and of the next day's. */
  start: number;
  end: number;
}

/** Epoch milliseconds of an interval, `end` excluded; `day` indexes the plan's local days. */
export interface Interval {
  start: number;
  end: number;
  day: number;
}

/** A wall time to the minute, the form working hours and deadlines take. */
const WALL_MINUTE = /^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d$/;

const nextDate = (date: string): string =>
  new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

/**
 * Wall-clock time to instants in one zone, memoized: a plan converts the same few dates many
 * times (every task due on Friday). Conversions read the zone's offsets kept per day
 * (`ZoneOffsets`) rather than build a luxon DateTime each, which was a tenth of a cold plan.
 */
export class ZoneClock {
  private readonly instants = new Map<string, number>();
  private static readonly clocks = new Map<string, ZoneClock>();

  constructor(readonly zone: string) {}

  /** The clock of a zone, shared by plans (bounded: zones and dates come from documents). */
  static of(zone: string): ZoneClock {
    let clock = ZoneClock.clocks.get(zone);
    if (!clock) {
      if (ZoneClock.clocks.size >= 100) ZoneClock.clocks.clear();
      clock = new ZoneClock(zone);
      ZoneClock.clocks.set(zone, clock);
    }
    return clock;
  }

  /** The instant of a wall time (`2026-03-29T09:00`): RFC 5545's reading, as crdt's dates. */
  instantOf(localDateTime: string): number {
    let ms = this.instants.get(localDateTime);
    if (ms === undefined) {
      ms = this.convert(localDateTime);
      if (this.instants.size >= 10_000) this.instants.clear();
      this.instants.set(localDateTime, ms);
    }
    return ms;
  }

  /**
   * The plan's wall times (`2026-03-29T09:00`) through the zone's kept offsets, without luxon:
   * the same reading as `localDateTimeToInstant`, which takes the other forms.
   */
  private convert(localDateTime: string): number {
    const wall = WALL_MINUTE.test(localDateTime) ? Date.parse(`${localDateTime}:00Z`) : Number.NaN;
    if (
      !Number.isNaN(wall) &&
      isDateOnly(localDateTime.slice(0, 10)) &&
      isValidTimezone(this.zone)
    ) {
      return wallClockToInstant(wall, this.zone);
    }
    const iso = localDateTimeToInstant(localDateTime, this.zone);
    if (iso === null) throw new Error(`invalid wall time ${localDateTime} in ${this.zone}`);
    return Date.parse(iso);
  }

  /** First instant of a date (`2026-03-29`). */
  startOfDate(date: string): number {
    return this.instantOf(`${date}T00:00`);
  }

  /** First instant of the day after a date: the end of an all-day deadline. */
  endOfDate(date: string): number {
    return this.startOfDate(nextDate(date));
  }

  /** The date in the zone that an instant falls on. */
  dateOf(ms: number): string {
    return new Date(ZoneOffsets.of(this.zone).wallClockOf(ms)).toISOString().slice(0, 10);
  }

  /** The date `days` after a date. */
  static addDays(date: string, days: number): string {
    return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
  }
}

/** The local days that [from, to) touches, in order. */
export function localDaysBetween(clock: ZoneClock, from: number, to: number): LocalDay[] {
  const days: LocalDay[] = [];
  if (to <= from) return days;
  const last = clock.dateOf(to - 1);
  for (let date = clock.dateOf(from); date <= last; date = nextDate(date)) {
    const weekdayIndex = (new Date(`${date}T00:00:00Z`).getUTCDay() + 6) % 7;
    days.push({
      date,
      weekday: WEEKDAYS[weekdayIndex] as Weekday,
      start: clock.startOfDate(date),
      end: clock.endOfDate(date),
    });
  }
  return days;
}

/**
 * The working hours of each day as instants, clipped to [from, to), sorted. A range's wall times
 * are read in the zone as crdt reads every local time (a skipped hour moves forward, a repeated
 * one is its first pass), so a week with a DST change keeps 09:00-17:00 on the wall clock.
 */
export function workingIntervals(
  clock: ZoneClock,
  days: readonly LocalDay[],
  workingHours: Record<Weekday, readonly TimeRange[]>,
  range: { from: number; to: number },
): Interval[] {
  const intervals: Interval[] = [];
  days.forEach((day, index) => {
    const ranges = [...(workingHours[day.weekday] ?? [])].sort((a, b) =>
      a.start.localeCompare(b.start),
    );
    let previousEnd = Number.NEGATIVE_INFINITY;
    for (const { start, end } of ranges) {
      const from = Math.max(clock.instantOf(`${day.date}T${start}`), range.from, previousEnd);
      const to = Math.min(clock.instantOf(`${day.date}T${end}`), range.to);
      if (to > from) intervals.push({ start: from, end: to, day: index });
      previousEnd = Math.max(previousEnd, to);
    }
  });
  return intervals;
}

/**
 * `intervals` less every [start, end) of `busy` (which need not be sorted or disjoint): the
 * pieces left, sorted, each keeping its day.
 */
export function subtractBusy(
  intervals: readonly Interval[],
  busy: readonly { start: number; end: number }[],
): Interval[] {
  const sorted = [...busy].filter((b) => b.end > b.start).sort((a, b) => a.start - b.start);
  const result: Interval[] = [];
  let first = 0;
  for (const interval of intervals) {
    // Busy intervals ending before this one cannot touch later ones either (both sorted).
    while (first < sorted.length && (sorted[first] as { end: number }).end <= interval.start) {
      // Only skip when no later interval could still overlap: intervals are sorted by start.
      first += 1;
    }
    let cursor = interval.start;
    for (let i = first; i < sorted.length && cursor < interval.end; i += 1) {
      const b = sorted[i] as { start: number; end: number };
      if (b.start >= interval.end) break;
      if (b.end <= cursor) continue;
      if (b.start > cursor) result.push({ start: cursor, end: b.start, day: interval.day });
      cursor = Math.max(cursor, b.end);
    }
    if (cursor < interval.end) result.push({ start: cursor, end: interval.end, day: interval.day });
  }
  return result;
}
