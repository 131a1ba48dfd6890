import { DateTime } from 'luxon';
import { addDays, isIsoDate, localDateOf, localDayStart } from './analytics/local-days.js';
import { normalizeDateTime } from './dates.js';
import { type FieldError, ValidationError } from './errors.js';

/** Days a listing of time entries covers when its start is not given. */
export const DEFAULT_ENTRY_RANGE_DAYS = 30;
/** Longest listing of time entries, in local days (a leap year). */
export const MAX_ENTRY_RANGE_DAYS = 366;

export interface EntryRangeQuery {
  /** A local date (`2025-10-01`, from its midnight) or a datetime with offset. */
  startDate?: string | undefined;
  /** A local date (`2025-10-31`, through its end) or a datetime with offset (excluded). */
  endDate?: string | undefined;
}

/** Instants `[from, to)` of a listing of time entries. */
export interface EntryRange {
  from: Date;
  to: Date;
}

const FORMAT = 'must be a date (2025-10-01) or a datetime with offset (2025-10-01T09:00:00Z)';

type Bound = { date: string } | { instant: Date } | null;

function parseBound(value: string): Bound {
  if (isIsoDate(value)) return { date: value };
  const normalized = normalizeDateTime(value);
  return normalized === null ? null : { instant: new Date(normalized) };
}

/**
 * The range a listing of time entries covers, in the user's time zone `zone`: dates are local
 * days (the end date included), datetimes exact instants. Without an end it runs through today;
 * without a start it covers the `DEFAULT_ENTRY_RANGE_DAYS` local days up to its end.
 * Throws a ValidationError naming `startDate` / `endDate`.
 */
export function resolveEntryRange(query: EntryRangeQuery, zone: string, now: Date): EntryRange {
  const start = query.startDate === undefined ? undefined : parseBound(query.startDate);
  const end = query.endDate === undefined ? undefined : parseBound(query.endDate);
  const fields: FieldError[] = [];
  if (start === null) fields.push({ field: 'startDate', message: FORMAT });
  if (end === null) fields.push({ field: 'endDate', message: FORMAT });
  if (start === null || end === null) throw new ValidationError(fields);

  const dayAfter = (date: string) => new Date(localDayStart(addDays(date, 1), zone) * 1000);
  const today = localDateOf(Math.floor(now.getTime() / 1000), zone);
  const to = end === undefined ? dayAfter(today) : 'date' in end ? dayAfter(end.date) : end.instant;
  let from: Date;
  if (start === undefined) {
    // The last local day the range touches, and the days before it.
    const lastDay = localDateOf(Math.floor(to.getTime() / 1000) - 1, zone);
    from = new Date(localDayStart(addDays(lastDay, 1 - DEFAULT_ENTRY_RANGE_DAYS), zone) * 1000);
  } else {
    from = 'date' in start ? new Date(localDayStart(start.date, zone) * 1000) : start.instant;
  }

  if (to.getTime() <= from.getTime()) {
    throw new ValidationError([{ field: 'endDate', message: 'must be after the start date' }]);
  }
  const latest = DateTime.fromJSDate(from, { zone }).plus({ days: MAX_ENTRY_RANGE_DAYS });
  if (to.getTime() > latest.toMillis()) {
    throw new ValidationError([
      { field: 'endDate', message: `the range may cover at most ${MAX_ENTRY_RANGE_DAYS} days` },
    ]);
  }
  return { from, to };
}
