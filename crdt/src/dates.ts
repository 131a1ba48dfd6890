import { DateTime, IANAZone } from 'luxon';
import { ZoneOffsets } from './zone-offsets.js';

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
// An ISO-8601 datetime with an explicit offset or Z: a time without a zone is ambiguous.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** Whether year, month and day (as written, 1-based) name a day of the proleptic calendar. */
function isRealDay(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const days = month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
  return day <= days;
}

// Checked by arithmetic rather than by luxon: the planner and every reader of the document
// check thousands of stored dates, and a luxon parse each is most of a cold read.
export function isDateOnly(value: string): boolean {
  return (
    DATE_ONLY.test(value) &&
    isRealDay(Number(value.slice(0, 4)), Number(value.slice(5, 7)), Number(value.slice(8, 10)))
  );
}

/**
 * The form stored values take (`2026-03-23T09:00:00Z`), and `Date.toISOString()`'s with zero
 * milliseconds, read without luxon when valid.
 */
const CANONICAL_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.000)?Z$/;

/** A datetime with an explicit offset, normalized to UTC (`2025-10-15T17:00:00Z`), or null. */
export function normalizeDateTime(value: string): string | null {
  const canonical = CANONICAL_UTC.exec(value);
  if (canonical) {
    const [year, month, day, hour, minute, second] = canonical.slice(1).map(Number) as number[];
    const valid =
      isRealDay(year as number, month as number, day as number) &&
      (hour as number) < 24 &&
      (minute as number) < 60 &&
      (second as number) < 60;
    // What the slow path returns for it (milliseconds suppressed).
    if (valid) return value.length === 20 ? value : `${value.slice(0, 19)}Z`;
  }
  if (!DATE_TIME.test(value)) return null;
  const parsed = DateTime.fromISO(value, { setZone: true });
  if (!parsed.isValid) return null;
  return parsed.toUTC().toISO({ suppressMilliseconds: true });
}

/** A calendar date (all-day) or a datetime with offset, normalized; null if neither. */
export function normalizeDateOrDateTime(value: string): string | null {
  if (isDateOnly(value)) return value;
  return normalizeDateTime(value);
}

// A wall-clock time without a zone (`2025-10-15T17:00`): a task date in the user's own zone.
const LOCAL_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?$/;

/** A wall-clock datetime without offset, normalized (`2025-10-15T17:00:00`), or null. */
export function normalizeLocalDateTime(value: string): string | null {
  if (!LOCAL_DATE_TIME.test(value)) return null;
  const parsed = DateTime.fromISO(value, { zone: 'UTC' });
  if (!parsed.isValid) return null;
  return parsed.toISO({ suppressMilliseconds: true, includeOffset: false });
}

/**
 * The other instant that shows the same wall-clock time in its zone (the other pass of an hour
 * the zone repeats when its clocks go back), or null. Worked out from the zone's offsets around
 * the instant alone: luxon resolves an ambiguous wall time with a guess taken from the zone's
 * offset *today* (luxon #1665), so its own answer changes between summer and winter.
 */
export function otherPassOf(instant: DateTime): DateTime | null {
  const at = instant.toMillis();
  const zone = instant.zone;
  for (const otherOffset of [zone.offset(at - DAY_MS), zone.offset(at + DAY_MS)]) {
    if (otherOffset === instant.offset) continue;
    const twin = at + (instant.offset - otherOffset) * 60_000;
    if (zone.offset(twin) === otherOffset) return DateTime.fromMillis(twin, { zone });
  }
  return null;
}

const DAY_MS = 86_400_000;

/**
 * The instant of a wall-clock time given as a floating time (epoch milliseconds whose UTC fields
 * are the local ones) in a valid IANA zone, read as `localDateTimeToInstant` reads one (a time
 * shown twice is its first pass, a skipped one moves forward by the gap), with the zone's
 * offsets alone (kept per day by `ZoneOffsets`): no DateTime is built, which matters where
 * thousands are converted (recurring events). Assumes at most one change of the clocks within a
 * day of the time.
 */
export function wallClockToInstant(wall: number, zone: string): number {
  const tz = ZoneOffsets.of(zone);
  const offsets = [tz.offsetAt(wall - DAY_MS), tz.offsetAt(wall + DAY_MS)];
  const passes = offsets
    .map((offset) => wall - offset)
    .filter((at, i) => tz.offsetAt(at) === offsets[i]);
  if (passes.length > 0) return Math.min(...passes);
  // Skipped by the clocks: forward by the gap (the smaller offset, the later instant).
  return wall - Math.min(...offsets);
}

/**
 * The instant of a wall-clock time in `zone` (`2025-10-15T17:00` in Europe/Berlin →
 * `2025-10-15T15:00:00Z`), or null when either is invalid. As RFC 5545 reads local times: a time
 * the zone shows twice is its first pass, a time it skips (clocks going forward) moves forward by
 * the gap; never depending on the date today.
 */
export function localDateTimeToInstant(value: string, zone: string): string | null {
  const local = normalizeLocalDateTime(value);
  if (local === null || !isValidTimezone(zone)) return null;
  const guess = DateTime.fromISO(local, { zone });
  if (!guess.isValid) return null;
  const twin = otherPassOf(guess);
  const first = twin !== null && twin.toMillis() < guess.toMillis() ? twin : guess;
  return first.toUTC().toISO({ suppressMilliseconds: true });
}

// luxon checks a zone by building an Intl.DateTimeFormat, a fraction of a millisecond each time:
// expanding the recurring events of a two-week plan asked it thousands of times. The answers are
// kept (bounded: the names come from documents other devices wrote).
const zoneValidity = new Map<string, boolean>();
const ZONE_VALIDITY_MAX = 1000;

export function isValidTimezone(zone: string): boolean {
  let valid = zoneValidity.get(zone);
  if (valid === undefined) {
    valid = IANAZone.isValidZone(zone);
    if (zoneValidity.size >= ZONE_VALIDITY_MAX) zoneValidity.clear();
    zoneValidity.set(zone, valid);
  }
  return valid;
}

/** `YYYY-MM` of an instant in UTC: the month document a time entry starting then lives in. */
export function monthKeyOf(instant: string | Date): string {
  const date = typeof instant === 'string' ? new Date(instant) : instant;
  return `${date.getUTCFullYear().toString().padStart(4, '0')}-${(date.getUTCMonth() + 1)
    .toString()
    .padStart(2, '0')}`;
}

/** Every month key from the month of `from` through the month of `to`, inclusive. */
export function monthKeysBetween(from: Date, to: Date): string[] {
  const keys: string[] = [];
  let year = from.getUTCFullYear();
  let month = from.getUTCMonth();
  const endYear = to.getUTCFullYear();
  const endMonth = to.getUTCMonth();
  while (year < endYear || (year === endYear && month <= endMonth)) {
    keys.push(`${year.toString().padStart(4, '0')}-${(month + 1).toString().padStart(2, '0')}`);
    month += 1;
    if (month === 12) {
      month = 0;
      year += 1;
    }
  }
  return keys;
}

/**
 * The one timestamp format of the document and the API: ISO-8601 UTC in whole seconds
 * (`2025-10-06T14:30:00Z`), as the spec writes them; durations are whole seconds too.
 */
export function toIso(date: Date): string {
  return new Date(Math.floor(date.getTime() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}
