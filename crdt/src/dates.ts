import { DateTime, IANAZone } from 'luxon';

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
// An ISO-8601 datetime with an explicit offset or Z: a time without a zone is ambiguous.
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/i;

export function isDateOnly(value: string): boolean {
  return DATE_ONLY.test(value) && DateTime.fromISO(value, { zone: 'UTC' }).isValid;
}

/** A datetime with an explicit offset, normalized to UTC (`2025-10-15T17:00:00Z`), or null. */
export function normalizeDateTime(value: string): string | null {
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

export function isValidTimezone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
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
