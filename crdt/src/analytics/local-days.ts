import { DateTime } from 'luxon';
import { isValidTimezone } from '../dates.js';
import type { FieldError } from '../errors.js';
import type { TimeEntry } from '../schema.js';

/**
 * Calendar days in the user's IANA time zone, and intervals split at their boundaries.
 *
 * All zone arithmetic goes through luxon: a local day is not 24 hours long on DST days (23 or 25
 * in Europe/Paris), and in some zones midnight itself does not exist once a year (America/
 * Santiago jumps from 23:59:59 to 01:00), in which case the day starts at its first instant.
 *
 * Analytics count whole seconds: instants are truncated to the second before any arithmetic, so
 * the pieces of an interval always add up exactly to the interval's total.
 */

/** A `YYYY-MM-DD` calendar date. */
export type IsoDate = string;

/** 1 = Monday … 7 = Sunday (ISO weekday, as luxon numbers them). */
export type IsoWeekday = 1 | 2 | 3 | 4 | 5 | 6 | 7;

/** One local calendar day as an interval of whole epoch seconds, `[start, end)`. */
export interface LocalDay {
  date: IsoDate;
  weekday: IsoWeekday;
  start: number;
  end: number;
}

/** The part of an interval that falls on one local day. */
export interface LocalDayPiece {
  date: IsoDate;
  weekday: IsoWeekday;
  seconds: number;
}

/** Epoch seconds of an instant, truncated (see the module comment). */
export function toEpochSeconds(instant: Date | string | number): number {
  const ms =
    instant instanceof Date
      ? instant.getTime()
      : typeof instant === 'string'
        ? Date.parse(instant)
        : instant;
  return Math.floor(ms / 1000);
}

/** Epoch seconds of `now`; a clock that gives an invalid Date is a programming error. */
export function nowSeconds(now: Date): number {
  const seconds = toEpochSeconds(now);
  if (Number.isNaN(seconds)) throw new RangeError('now must be a valid Date');
  return seconds;
}

/** The field error for a `timezone` option that is not an IANA zone, or null. */
export function timezoneError(zone: string): FieldError | null {
  return isValidTimezone(zone)
    ? null
    : { field: 'timezone', message: 'must be an IANA time zone such as Europe/Paris' };
}

/** The local calendar date of an instant in `zone`. */
export function localDateOf(epochSeconds: number, zone: string): IsoDate {
  return DateTime.fromSeconds(epochSeconds, { zone }).toISODate() ?? '';
}

/** Epoch seconds of the first instant of a local date (its midnight, or later if midnight is skipped). */
export function localDayStart(date: IsoDate, zone: string): number {
  return toEpochSeconds(DateTime.fromISO(date, { zone }).toMillis());
}

/** A calendar date moved by whole days (calendar arithmetic: no zone involved). */
export function addDays(date: IsoDate, days: number): IsoDate {
  return DateTime.fromISO(date, { zone: 'UTC' }).plus({ days }).toISODate() ?? '';
}

/** Whether `value` is a real calendar date written `YYYY-MM-DD` (2025-02-30 is not). */
export function isIsoDate(value: unknown): value is IsoDate {
  return (
    typeof value === 'string' &&
    /^\d{4}-\d{2}-\d{2}$/.test(value) &&
    DateTime.fromISO(value, { zone: 'UTC' }).isValid
  );
}

/** Days from `from` to `to`, both `YYYY-MM-DD` (0 when equal, negative when `to` is earlier). */
export function daysBetween(from: IsoDate, to: IsoDate): number {
  const a = DateTime.fromISO(from, { zone: 'UTC' });
  const b = DateTime.fromISO(to, { zone: 'UTC' });
  return Math.round(b.diff(a, 'days').days);
}

function weekdayOf(date: IsoDate): IsoWeekday {
  return DateTime.fromISO(date, { zone: 'UTC' }).weekday as IsoWeekday;
}

/** Days kept by `localDays` over all its ranges, least recently used range dropped first. */
const LOCAL_DAYS_CACHE_DAYS = 20_000;
const localDaysCache = new Map<string, readonly LocalDay[]>();
let cachedDays = 0;

/**
 * Every local day from `startDate` through `endDate` (inclusive), oldest first. The result is
 * shared and frozen: a range depends only on its dates and zone, and working it out asks luxon
 * for about three zone offsets a day (a 30-day dashboard spent 5 ms of every request on it), so
 * recent ranges are remembered.
 */
export function localDays(startDate: IsoDate, endDate: IsoDate, zone: string): readonly LocalDay[] {
  const key = `${startDate}/${endDate}/${zone}`;
  const cached = localDaysCache.get(key);
  if (cached) {
    localDaysCache.delete(key);
    localDaysCache.set(key, cached);
    return cached;
  }
  if (!isIsoDate(startDate) || !isIsoDate(endDate)) {
    throw new RangeError(`invalid dates ${startDate}..${endDate}`);
  }
  const days: LocalDay[] = [];
  let start = localDayStart(startDate, zone);
  for (let date = startDate; date <= endDate; ) {
    const next = addDays(date, 1);
    const end = localDayStart(next, zone);
    days.push(Object.freeze({ date, weekday: weekdayOf(date), start, end }));
    date = next;
    start = end;
  }
  const result = Object.freeze(days);
  if (result.length > LOCAL_DAYS_CACHE_DAYS) return result;
  localDaysCache.set(key, result);
  cachedDays += result.length;
  for (const [oldKey, oldDays] of localDaysCache) {
    if (cachedDays <= LOCAL_DAYS_CACHE_DAYS) break;
    localDaysCache.delete(oldKey);
    cachedDays -= oldDays.length;
  }
  return result;
}

/**
 * The index of the day holding the instant `seconds` (days sorted and contiguous), or -1 when it
 * is outside them. Binary search: analytics place thousands of instants on the same days, and
 * asking luxon for each costs far more.
 */
export function dayIndexAt(days: readonly LocalDay[], seconds: number): number {
  let low = 0;
  let high = days.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const day = days[middle] as LocalDay;
    if (seconds < day.start) high = middle - 1;
    else if (seconds >= day.end) low = middle + 1;
    else return middle;
  }
  return -1;
}

/**
 * Splits `[start, end)` (epoch seconds) along the given days (sorted and contiguous, as
 * `localDays` returns them): one piece per day it overlaps, oldest first. Time outside the days
 * is dropped; an empty or reversed interval gives no pieces.
 */
export function splitByDays(
  start: number,
  end: number,
  days: readonly LocalDay[],
): LocalDayPiece[] {
  const first = days[0];
  if (!first || !(start < end)) return [];
  const pieces: LocalDayPiece[] = [];
  for (let index = Math.max(0, dayIndexAt(days, Math.max(start, first.start))); ; index += 1) {
    const day = days[index];
    if (!day || day.start >= end) break;
    const seconds = Math.min(end, day.end) - Math.max(start, day.start);
    if (seconds > 0) pieces.push({ date: day.date, weekday: day.weekday, seconds });
  }
  return pieces;
}

/**
 * Splits `[start, end)` (epoch seconds) at local midnights of `zone`: one piece per local day it
 * touches, oldest first. An empty or reversed interval gives no pieces.
 */
export function splitByLocalDay(start: number, end: number, zone: string): LocalDayPiece[] {
  if (!(start < end)) return [];
  const days = localDays(localDateOf(start, zone), localDateOf(end - 1, zone), zone);
  return splitByDays(start, end, days);
}

/**
 * The seconds between two wall-clock times (`HH:MM`) of one local date: real elapsed time, so a
 * 01:00-04:00 range on the day clocks spring forward at 02:00 lasts two hours.
 */
export function wallClockSeconds(date: IsoDate, from: string, to: string, zone: string): number {
  const start = DateTime.fromISO(`${date}T${from}`, { zone });
  const end = DateTime.fromISO(`${date}T${to}`, { zone });
  if (!start.isValid || !end.isValid) return 0;
  return Math.max(0, toEpochSeconds(end.toMillis()) - toEpochSeconds(start.toMillis()));
}

/**
 * The part of an entry inside the given days (sorted and contiguous) and before `until`, split by
 * day. A running entry (no end) counts up to `now`.
 */
export function entryPieces(
  entry: TimeEntry,
  days: readonly LocalDay[],
  now: number,
  until = Number.POSITIVE_INFINITY,
): LocalDayPiece[] {
  const end = Math.min(entry.end === null ? now : toEpochSeconds(entry.end), until);
  return splitByDays(toEpochSeconds(entry.start), end, days);
}
