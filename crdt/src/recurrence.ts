import { DateTime } from 'luxon';
import type { Options } from 'rrule';
import * as rruleModule from 'rrule';
import { isDateOnly } from './dates.js';

// rrule 2.8 is CommonJS to Node (named imports fail, STACK.md: only the default export holds
// RRule) and ESM to bundlers (no default export). Take whichever this runtime gave us.
const rrule: typeof rruleModule =
  (Reflect.get(rruleModule, 'default') as typeof rruleModule | undefined) ?? rruleModule;
const { RRule } = rrule;

const NUMERIC_OPTIONS = [
  'count',
  'interval',
  'bysetpos',
  'bymonth',
  'bymonthday',
  'byyearday',
  'byweekno',
  'byhour',
  'byminute',
  'bysecond',
] as const;

/**
 * Parses an RFC 5545 RRULE (with or without the `RRULE:` prefix) and returns it in canonical
 * form without the prefix, or a reason it is not acceptable. rrule's own parser is lenient
 * (it accepts `FREQ=BOGUS` or `INTERVAL=abc`), so the parsed options are checked here.
 */
export function normalizeRecurrenceRule(text: string): { rule: string } | { error: string } {
  const trimmed = text.trim().replace(/^RRULE:/i, '');
  if (trimmed === '') return { error: 'must not be empty' };
  if (/[\r\n]/.test(trimmed))
    return { error: 'must be a single RRULE line (no DTSTART or EXDATE)' };
  let options: Partial<Options>;
  try {
    options = RRule.parseString(trimmed);
  } catch (error) {
    return { error: `is not a valid RRULE: ${(error as Error).message}` };
  }
  if (options.freq === undefined) return { error: 'needs a valid FREQ' };
  if (options.dtstart || options.tzid) return { error: 'must not carry DTSTART or TZID' };
  const weekdays = options.byweekday;
  if (Array.isArray(weekdays) && weekdays.some((day) => day === null || day === undefined)) {
    return { error: 'has an unknown BYDAY value' };
  }
  for (const key of NUMERIC_OPTIONS) {
    const value = options[key];
    const values = Array.isArray(value)
      ? value
      : value === undefined || value === null
        ? []
        : [value];
    if (values.some((v) => typeof v !== 'number' || !Number.isInteger(v))) {
      return { error: `has a non-integer ${key.toUpperCase()}` };
    }
  }
  if (options.interval !== undefined && options.interval !== null && options.interval < 1) {
    return { error: 'INTERVAL must be at least 1' };
  }
  if (options.count !== undefined && options.count !== null && options.count < 1) {
    return { error: 'COUNT must be at least 1' };
  }
  return { rule: RRule.optionsToString(options).replace(/^RRULE:/, '') };
}

/** A wall-clock time as a "floating" Date whose UTC fields are the local fields (rrule's advice). */
function toFloating(local: DateTime): Date {
  return new Date(
    Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second),
  );
}

function fromFloating(floating: Date, zone: string): DateTime {
  return DateTime.fromObject(
    {
      year: floating.getUTCFullYear(),
      month: floating.getUTCMonth() + 1,
      day: floating.getUTCDate(),
      hour: floating.getUTCHours(),
      minute: floating.getUTCMinutes(),
      second: floating.getUTCSeconds(),
    },
    { zone },
  );
}

/**
 * The occurrence after `current` of a series following `rule` that started at `seriesStart`, in
 * the user's `timezone`; null when the rule has ended (COUNT used up, UNTIL passed).
 *
 * Occurrences are computed on wall-clock time in the user's zone from the series' start, so
 * "every day at 02:30" stays at 02:30 local across DST changes (on the day 02:30 does not exist
 * it falls at 03:30, and the day after is 02:30 again), and COUNT counts from the first
 * occurrence. A date-only occurrence (all-day task) stays date-only. The result depends only on
 * the series, never on "now": replicas completing the same task compute the same occurrence.
 */
export function nextOccurrence(
  rule: string,
  current: string,
  timezone: string,
  seriesStart: string = current,
): string | null {
  const normalized = normalizeRecurrenceRule(rule);
  if ('error' in normalized) return null;
  const options = RRule.parseString(normalized.rule);
  const dateOnly = isDateOnly(current);
  // A series whose start is of the other kind (date vs datetime) restarts at `current`.
  const start = isDateOnly(seriesStart) === dateOnly ? seriesStart : current;
  const toLocal = (value: string) =>
    dateOnly
      ? DateTime.fromISO(value, { zone: 'UTC' })
      : DateTime.fromISO(value, { setZone: true }).setZone(timezone);
  const local = toLocal(current);
  const startLocal = toLocal(start);
  if (!local.isValid || !startLocal.isValid) return null;
  if (options.until) {
    const untilLocal = DateTime.fromJSDate(options.until).setZone(dateOnly ? 'UTC' : timezone);
    options.until = toFloating(untilLocal);
  }
  const series = new RRule({ ...options, dtstart: toFloating(startLocal), tzid: null });
  const next = series.after(toFloating(local), false);
  if (!next) return null;
  if (dateOnly) return DateTime.fromJSDate(next, { zone: 'UTC' }).toISODate();
  return fromFloating(next, timezone).toUTC().toISO({ suppressMilliseconds: true });
}

/**
 * Whether two rules mean the same recurrence. The order of a rule's parts carries no meaning
 * (RFC 5545 3.3.10), and calendar servers rewrite it (Radicale puts COUNT before INTERVAL).
 */
export function sameRecurrenceRule(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return a === b;
  return canonicalRecurrenceRule(a) === canonicalRecurrenceRule(b);
}

/** A rule's canonical text with its parts in one order; the input, upper-cased, when unreadable. */
export function canonicalRecurrenceRule(rule: string): string {
  const normalized = normalizeRecurrenceRule(rule);
  const text = 'rule' in normalized ? normalized.rule : rule.trim().toUpperCase();
  return text.split(';').sort().join(';');
}
