import { DateTime } from 'luxon';
import type { Options, Weekday } from 'rrule';
import * as rruleModule from 'rrule';
import { isDateOnly, isValidTimezone, normalizeDateTime, wallClockToInstant } from './dates.js';
import { normalizeRecurrenceRule } from './recurrence.js';
import { ZoneOffsets } from './zone-offsets.js';

// rrule 2.8 is CommonJS to Node and ESM to bundlers (see recurrence.ts).
const rrule: typeof rruleModule =
  (Reflect.get(rruleModule, 'default') as typeof rruleModule | undefined) ?? rruleModule;
const { RRule } = rrule;

/**
 * The occurrences of a recurring calendar event (a series mirrored from Google, Outlook or
 * CalDAV), computed on wall-clock time in the series' own zone: a meeting at 10:00 in Berlin
 * stays at 10:00 Berlin time across a DST change.
 *
 * Documents are written by other devices, so a rule is expanded only when it is of the kinds
 * calendars write (FREQ DAILY to YEARLY with INTERVAL, COUNT, UNTIL, BYDAY, BYMONTHDAY, BYMONTH,
 * BYSETPOS, WKST) and can be seen to yield occurrences: rrule searches up to the year 9999 for an
 * occurrence of a rule that has none (`BYMONTH=2;BYMONTHDAY=30` takes ten seconds), which a
 * hostile rule must not make a reader do. Anything else is `null`: the caller shows the first
 * occurrence alone.
 */

/** Occurrences one expansion returns at most (a daily series over the REST API's 366 days fits). */
export const MAX_SERIES_OCCURRENCES = 1000;

/**
 * The largest COUNT expanded: a counted series is walked from its first occurrence (tens of
 * milliseconds for this many), an open one from just before the range.
 */
export const MAX_SERIES_COUNT = 5000;

const FREQUENCY_UNITS = new Map<number, 'days' | 'weeks' | 'months' | 'years'>([
  [RRule.DAILY, 'days'],
  [RRule.WEEKLY, 'weeks'],
  [RRule.MONTHLY, 'months'],
  [RRule.YEARLY, 'years'],
]);

const SUPPORTED_PARTS = new Set([
  'FREQ',
  'INTERVAL',
  'COUNT',
  'UNTIL',
  'BYDAY',
  'BYMONTHDAY',
  'BYMONTH',
  'BYSETPOS',
  'WKST',
]);

// Longest month by number (1-12), February in a leap year.
const MONTH_DAYS = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const asList = <T>(value: T | T[] | null | undefined): T[] =>
  value === null || value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Whether a parsed rule is of the kinds above and yields occurrences again and again. */
function isExpandable(text: string, options: Partial<Options>): boolean {
  const parts = text.split(';').map((part) => part.split('=')[0]?.toUpperCase() ?? '');
  if (!parts.every((part) => SUPPORTED_PARTS.has(part))) return false;
  if (options.freq === undefined || !FREQUENCY_UNITS.has(options.freq)) return false;
  if ((options.count ?? 0) > MAX_SERIES_COUNT) return false;
  const months = asList(options.bymonth);
  if (months.some((month) => month < 1 || month > 12)) return false;
  const monthDays = asList(options.bymonthday);
  const longest = Math.max(
    ...(months.length > 0 ? months : [1]).map((m) => MONTH_DAYS[m - 1] ?? 0),
  );
  if (monthDays.some((day) => day === 0 || Math.abs(day) > longest)) return false;
  const weekdays = asList(options.byweekday) as (Weekday | number)[];
  const ordinals = weekdays.map((day) => (typeof day === 'number' ? 0 : (day.n ?? 0)));
  const withOrdinal = ordinals.some((n) => n !== 0);
  // The n-th weekday of a month (of a year without BYMONTH); never with BYMONTHDAY, which it
  // may never meet (`BYDAY=1MO;BYMONTHDAY=20`).
  const inMonth = options.freq === RRule.MONTHLY || months.length > 0;
  if (withOrdinal) {
    if (options.freq === RRule.DAILY || options.freq === RRule.WEEKLY) return false;
    if (monthDays.length > 0) return false;
    if (ordinals.some((n) => Math.abs(n) > (inMonth ? 5 : 52))) return false;
  }
  const positions = asList(options.bysetpos);
  if (positions.length > 0) {
    // Only where the set of a period surely holds that many days: each weekday of BYDAY is in a
    // month at least 4 times, in a week once.
    if (options.freq === RRule.DAILY || withOrdinal || monthDays.length > 0) return false;
    const perPeriod =
      weekdays.length *
      (options.freq === RRule.WEEKLY ? 1 : options.freq === RRule.MONTHLY || inMonth ? 4 : 52);
    if (positions.some((pos) => pos === 0 || Math.abs(pos) > perPeriod)) return false;
  }
  return true;
}

const DAY_MS = 86_400_000;

const FIXED_UNIT_MS: Partial<Record<'days' | 'weeks' | 'months' | 'years', number>> = {
  days: 86_400_000,
  weeks: 7 * 86_400_000,
};

/**
 * A later start for a series without COUNT, whole INTERVALs on and still before `from`, so that
 * rrule does not walk every occurrence since a start decades ago. What the start implied (the
 * weekday of a weekly rule, the day of a monthly one) is made explicit first.
 */
function fastForward(options: Partial<Options>, start: DateTime, from: DateTime): Partial<Options> {
  const unit = FREQUENCY_UNITS.get(options.freq as number) ?? 'days';
  const implied: Partial<Options> = {};
  const plain =
    asList(options.byweekday).length === 0 &&
    asList(options.bymonthday).length === 0 &&
    asList(options.byweekno).length === 0 &&
    asList(options.byyearday).length === 0;
  if (plain && options.freq === RRule.WEEKLY) implied.byweekday = [start.weekday - 1];
  if (plain && options.freq === RRule.MONTHLY) implied.bymonthday = [start.day];
  if (plain && options.freq === RRule.YEARLY) {
    implied.bymonthday = [start.day];
    if (asList(options.bymonth).length === 0) implied.bymonth = [start.month];
  }
  const interval = options.interval ?? 1;
  // Floating times have no DST: days and weeks are fixed lengths, counted without luxon's diff.
  const fixed = FIXED_UNIT_MS[unit];
  const span =
    fixed === undefined
      ? from.diff(start, unit).as(unit)
      : (from.toMillis() - start.toMillis()) / fixed;
  const periods = Math.floor(span) - 1;
  const steps = Math.floor(periods / interval) * interval;
  if (!Number.isFinite(steps) || steps <= 0) return { ...options, ...implied };
  if (fixed !== undefined) {
    return { ...options, ...implied, dtstart: new Date(start.toMillis() + steps * fixed) };
  }
  // A day of month that the new start's month lacks is no occurrence: move to the 1st.
  const moved = start.plus({ [unit]: steps });
  const dtstart = unit === 'months' || unit === 'years' ? moved.set({ day: 1 }) : moved;
  return { ...options, ...implied, dtstart: dtstart.toJSDate() };
}

/**
 * The original starts of the occurrences of a series beginning at `start` (a UTC instant, or a
 * date for an all-day series) in `timezone`, that begin in [from, to): UTC instants
 * (`2026-03-23T09:00:00Z`) or dates, sorted, at most MAX_SERIES_OCCURRENCES. Null when the rule,
 * start or zone is not one to expand.
 */
export function seriesOccurrenceStarts(
  rule: string,
  start: string,
  timezone: string,
  range: { from: Date; to: Date },
  /** 'rrule' walks every rule with rrule (tests compare the day walk against it). */
  engine: 'auto' | 'rrule' = 'auto',
): string[] | null {
  const normalized = normalizeRecurrenceRule(rule);
  if ('error' in normalized) return null;
  const options = RRule.parseString(normalized.rule);
  if (!isExpandable(normalized.rule, options)) return null;
  const dateOnly = isDateOnly(start);
  if (!dateOnly && !isValidTimezone(timezone)) return null;
  const zone = dateOnly ? 'UTC' : timezone;
  const startInstant = dateOnly ? `${start}T00:00:00Z` : normalizeDateTime(start);
  if (startInstant === null || range.to <= range.from) return [];
  // Floating times (epoch ms whose UTC fields are the zone's wall clock), from the zone's kept
  // offsets: building luxon DateTimes in the zone for each series was most of a cold expansion.
  const offsets = ZoneOffsets.of(zone);
  const seriesStart = offsets.wallClockOf(Date.parse(startInstant));
  // A day either side: the local bounds of an instant shift with the zone; exact check below.
  const earliest = offsets.wallClockOf(range.from.getTime()) - DAY_MS;
  const latest = offsets.wallClockOf(range.to.getTime()) + DAY_MS;
  const untilLocal = options.until ? offsets.wallClockOf(options.until.getTime()) : null;
  // UNTIL also bounds the walk at the range's end (rrule checks it on each occurrence).
  const until = untilLocal !== null && untilLocal < latest ? untilLocal : latest;
  const starts: string[] = [];
  const visit = (date: Date): boolean => {
    // Floating bounds first (cheap): a COUNT series walks every occurrence since its start.
    if (date.getTime() < earliest) return true;
    if (date.getTime() >= latest) return false;
    const at = dateOnly ? date.getTime() : wallClockToInstant(date.getTime(), zone);
    if (at >= range.to.getTime()) return false;
    if (at >= range.from.getTime()) {
      const iso = new Date(at).toISOString();
      starts.push(dateOnly ? iso.slice(0, 10) : iso.replace('.000Z', 'Z'));
    }
    return starts.length < MAX_SERIES_OCCURRENCES;
  };
  const weekdays = engine === 'auto' ? dayWalkWeekdays(options, seriesStart) : null;
  if (weekdays) {
    walkDays(seriesStart, earliest, until, weekdays, visit);
    return starts;
  }
  const base: Partial<Options> = { ...options, dtstart: new Date(seriesStart), tzid: null };
  const walk = options.count
    ? base
    : fastForward(
        base,
        DateTime.fromMillis(seriesStart, { zone: 'UTC' }),
        DateTime.fromMillis(earliest, { zone: 'UTC' }),
      );
  new RRule({ ...walk, until: new Date(until) }).all(visit);
  return starts;
}

/**
 * The weekdays (0 Monday … 6 Sunday) of a rule that is only "every day" or "every week" on
 * some weekdays (DAILY or WEEKLY, INTERVAL 1, no COUNT, no BY- part but BYDAY without ordinals),
 * the most common series by far: walked day by day without rrule, whose set-up per series
 * (a year's masks) is most of a cold expansion. Null for every other rule.
 */
function dayWalkWeekdays(options: Partial<Options>, start: number): Set<number> | null {
  if (options.count || (options.interval ?? 1) !== 1 || start % 1000 !== 0) return null;
  const others = [options.bymonth, options.bymonthday, options.bysetpos];
  if (others.some((value) => asList(value).length > 0)) return null;
  const days = asList(options.byweekday) as (Weekday | number)[];
  if (days.some((day) => typeof day !== 'number' && (day.n ?? 0) !== 0)) return null;
  const numbers = days.map((day) => (typeof day === 'number' ? day : day.weekday));
  if (options.freq === RRule.DAILY) {
    return new Set(numbers.length > 0 ? numbers : [0, 1, 2, 3, 4, 5, 6]);
  }
  if (options.freq === RRule.WEEKLY) {
    return new Set(numbers.length > 0 ? numbers : [(new Date(start).getUTCDay() + 6) % 7]);
  }
  return null;
}

/** Visits the floating instants a day apart from `start` on `weekdays`, from `earliest` to `until` (included). */
function walkDays(
  start: number,
  earliest: number,
  until: number,
  weekdays: Set<number>,
  visit: (date: Date) => boolean,
): void {
  const first = Math.max(0, Math.floor((earliest - start) / DAY_MS));
  for (let at = start + first * DAY_MS; at <= until; at += DAY_MS) {
    const date = new Date(at);
    if (weekdays.has((date.getUTCDay() + 6) % 7) && !visit(date)) return;
  }
}
