/**
 * RFC 5545 RRULE ⇄ Graph `patternedRecurrence`.
 *
 * Graph has no RRULE: a series is one pattern (daily, weekly, absolute/relative monthly,
 * absolute/relative yearly) plus a range (no end, an end date, or a number of occurrences),
 * https://learn.microsoft.com/graph/api/resources/patternedrecurrence. Whatever an RRULE says
 * beyond that is refused with UnsupportedEventError naming the part, before any request.
 */
import { DateTime } from 'luxon';
import type { Options, Weekday } from 'rrule';
import rrule from 'rrule';
import { UnsupportedEventError } from '../calendar-provider.js';
import type {
  GraphDayOfWeek,
  GraphPatternedRecurrence,
  GraphRecurrencePattern,
  GraphRecurrenceRange,
  GraphWeekIndex,
} from './graph-wire.js';

// STACK.md: in Node ESM rrule only works through its default export.
const { RRule } = rrule;

/** Where a series starts: its first start as a wall time in the series' zone. */
export interface SeriesStart {
  /** The start in the recurrence time zone (midnight of the date for all-day events). */
  local: DateTime;
  isAllDay: boolean;
}

const RRULE_DAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'] as const;
const GRAPH_DAYS: readonly GraphDayOfWeek[] = [
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
];
const INDEX_BY_POSITION = new Map<number, GraphWeekIndex>([
  [1, 'first'],
  [2, 'second'],
  [3, 'third'],
  [4, 'fourth'],
  [-1, 'last'],
]);
const POSITION_BY_INDEX = new Map<GraphWeekIndex, number>(
  [...INDEX_BY_POSITION].map(([position, index]) => [index, position]),
);

/** A weekday of an RRULE: 0 = Monday … 6 = Sunday, with an optional ordinal (2TU, -1FR). */
interface RuleDay {
  day: number;
  ordinal: number | null;
}

type ParsedRule = Partial<Options>;

function unsupported(rule: string, part: string): UnsupportedEventError {
  return new UnsupportedEventError(
    `Microsoft Graph cannot express the RRULE "${rule}": ${part} (Graph supports daily, weekly, ` +
      'monthly by day of month or by one weekday position, yearly likewise, with INTERVAL and COUNT or UNTIL)',
  );
}

function asArray<T>(value: T | T[] | null | undefined): T[] {
  if (value === null || value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function ruleDays(options: ParsedRule): RuleDay[] {
  return asArray(options.byweekday).map((entry): RuleDay => {
    if (typeof entry === 'number') return { day: entry, ordinal: null };
    if (typeof entry === 'string') return { day: RRULE_DAYS.indexOf(entry), ordinal: null };
    const weekday: Weekday = entry;
    return { day: weekday.weekday, ordinal: weekday.n ? weekday.n : null };
  });
}

function weekStart(options: ParsedRule): number {
  const { wkst } = options;
  if (wkst === null || wkst === undefined) return 0;
  return typeof wkst === 'number' ? wkst : wkst.weekday;
}

function parseRule(rule: string): ParsedRule {
  let options: ParsedRule;
  try {
    options = RRule.parseString(rule);
  } catch (error) {
    throw unsupported(rule, error instanceof Error ? error.message : String(error));
  }
  if (options.freq === undefined || options.freq === null) throw unsupported(rule, 'no valid FREQ');
  if (options.dtstart || options.tzid) throw unsupported(rule, 'DTSTART/TZID inside the rule');
  const refused: [keyof Options, string][] = [
    ['byyearday', 'BYYEARDAY'],
    ['byweekno', 'BYWEEKNO'],
    ['byhour', 'BYHOUR'],
    ['byminute', 'BYMINUTE'],
    ['bysecond', 'BYSECOND'],
    ['byeaster', 'BYEASTER'],
  ];
  for (const [key, part] of refused) {
    if (asArray(options[key] as number | number[] | null | undefined).length > 0) {
      throw unsupported(rule, `${part} has no Graph equivalent`);
    }
  }
  if (options.count && options.until) throw unsupported(rule, 'both COUNT and UNTIL');
  return options;
}

function weekIndex(rule: string, position: number): GraphWeekIndex {
  const index = INDEX_BY_POSITION.get(position);
  if (!index) {
    throw unsupported(rule, `position ${position} (Graph knows first to fourth and last only)`);
  }
  return index;
}

/** BYDAY=2TU, or BYDAY=MO,TU;BYSETPOS=1: Graph's relative patterns ("first Monday or Tuesday"). */
function relativeDays(
  rule: string,
  options: ParsedRule,
): Pick<GraphRecurrencePattern, 'daysOfWeek' | 'index'> {
  const days = ruleDays(options);
  const positions = asArray(options.bysetpos);
  if (positions.length > 1) throw unsupported(rule, 'BYSETPOS with more than one value');
  const [position] = positions;
  if (position !== undefined) {
    if (days.some((day) => day.ordinal !== null)) {
      throw unsupported(rule, 'BYSETPOS together with BYDAY ordinals');
    }
    return { daysOfWeek: graphDays(days), index: weekIndex(rule, position) };
  }
  const [only] = days;
  if (days.length !== 1 || !only || only.ordinal === null) {
    throw unsupported(
      rule,
      'BYDAY must be one weekday with a position (BYDAY=2TU) or weekdays with one BYSETPOS',
    );
  }
  return { daysOfWeek: graphDays(days), index: weekIndex(rule, only.ordinal) };
}

function graphDays(days: RuleDay[]): GraphDayOfWeek[] {
  const unique = [...new Set(days.map((entry) => entry.day))].sort((a, b) => a - b);
  return unique.map((day) => GRAPH_DAYS[day] ?? 'monday');
}

function singleValue(rule: string, values: number[], part: string): number | undefined {
  if (values.length > 1) throw unsupported(rule, `${part} with more than one value`);
  return values[0];
}

function monthDay(rule: string, options: ParsedRule, start: SeriesStart): number {
  const day = singleValue(rule, asArray(options.bymonthday), 'BYMONTHDAY') ?? start.local.day;
  // Graph's dayOfMonth counts from the start of the month only.
  if (day < 1 || day > 31) throw unsupported(rule, `BYMONTHDAY=${day}`);
  return day;
}

function pattern(rule: string, options: ParsedRule, start: SeriesStart): GraphRecurrencePattern {
  const interval = options.interval ?? 1;
  const days = ruleDays(options);
  const hasMonthDays = asArray(options.bymonthday).length > 0;
  const months = asArray(options.bymonth);
  const hasPositions = asArray(options.bysetpos).length > 0;
  switch (options.freq) {
    case RRule.DAILY: {
      if (months.length > 0 || hasMonthDays || hasPositions) {
        throw unsupported(rule, 'BYMONTH/BYMONTHDAY/BYSETPOS in a daily rule');
      }
      if (days.length === 0) return { type: 'daily', interval };
      // FREQ=DAILY;BYDAY=MO,TU,… is "every weekday": the same days as Graph's weekly pattern,
      // but only when every week counts.
      if (interval !== 1 || days.some((day) => day.ordinal !== null)) {
        throw unsupported(rule, 'BYDAY in a daily rule with INTERVAL or positions');
      }
      return { type: 'weekly', interval, daysOfWeek: graphDays(days), firstDayOfWeek: 'monday' };
    }
    case RRule.WEEKLY: {
      if (months.length > 0 || hasMonthDays || hasPositions) {
        throw unsupported(rule, 'BYMONTH/BYMONTHDAY/BYSETPOS in a weekly rule');
      }
      if (days.some((day) => day.ordinal !== null))
        throw unsupported(rule, 'BYDAY positions in a weekly rule');
      // RFC 5545: without BYDAY a weekly rule repeats on the start's weekday; Graph needs it spelt out.
      const weekDays = days.length > 0 ? days : [{ day: start.local.weekday - 1, ordinal: null }];
      // RFC 5545's default week start is Monday; Graph's is Sunday, so always send it.
      return {
        type: 'weekly',
        interval,
        daysOfWeek: graphDays(weekDays),
        firstDayOfWeek: GRAPH_DAYS[weekStart(options)] ?? 'monday',
      };
    }
    case RRule.MONTHLY: {
      if (months.length > 0) throw unsupported(rule, 'BYMONTH in a monthly rule');
      if (days.length > 0) {
        if (hasMonthDays) throw unsupported(rule, 'BYMONTHDAY together with BYDAY');
        return { type: 'relativeMonthly', interval, ...relativeDays(rule, options) };
      }
      if (hasPositions) throw unsupported(rule, 'BYSETPOS without BYDAY');
      return { type: 'absoluteMonthly', interval, dayOfMonth: monthDay(rule, options, start) };
    }
    case RRule.YEARLY: {
      const month = singleValue(rule, months, 'BYMONTH');
      if (month === undefined && (days.length > 0 || hasMonthDays)) {
        throw unsupported(rule, 'BYDAY or BYMONTHDAY in a yearly rule without BYMONTH');
      }
      const inMonth = month ?? start.local.month;
      if (days.length > 0) {
        if (hasMonthDays) throw unsupported(rule, 'BYMONTHDAY together with BYDAY');
        return { type: 'relativeYearly', interval, month: inMonth, ...relativeDays(rule, options) };
      }
      if (hasPositions) throw unsupported(rule, 'BYSETPOS without BYDAY');
      return {
        type: 'absoluteYearly',
        interval,
        month: inMonth,
        dayOfMonth: monthDay(rule, options, start),
      };
    }
    default: {
      const name = RRule.FREQUENCIES[options.freq ?? 0] ?? String(options.freq);
      throw unsupported(rule, `FREQ=${name} (Graph repeats at most daily)`);
    }
  }
}

function range(options: ParsedRule, start: SeriesStart): GraphRecurrenceRange {
  const base = {
    startDate: start.local.toISODate() ?? '',
    recurrenceTimeZone: start.local.zoneName ?? 'UTC',
  };
  if (options.count) return { type: 'numbered', numberOfOccurrences: options.count, ...base };
  if (!options.until) return { type: 'noEnd', ...base };
  if (start.isAllDay) {
    // An all-day series' UNTIL is a DATE, which rrule reads as midnight UTC of that date.
    return { type: 'endDate', endDate: options.until.toISOString().slice(0, 10), ...base };
  }
  // UNTIL is an instant, Graph's endDate a local date that includes its occurrence: the last
  // date whose occurrence starts no later than UNTIL.
  const until = DateTime.fromJSDate(options.until).setZone(start.local.zone);
  const occurrenceThatDay = until.set({
    hour: start.local.hour,
    minute: start.local.minute,
    second: start.local.second,
    millisecond: 0,
  });
  const last = occurrenceThatDay <= until ? until : until.minus({ days: 1 });
  return { type: 'endDate', endDate: last.toISODate() ?? '', ...base };
}

/** The Graph recurrence for an RRULE (without `RRULE:`); UnsupportedEventError otherwise. */
export function toPatternedRecurrence(rule: string, start: SeriesStart): GraphPatternedRecurrence {
  const options = parseRule(rule);
  return { pattern: pattern(rule, options, start), range: range(options, start) };
}

function dayName(graphDay: GraphDayOfWeek): string {
  const index = GRAPH_DAYS.indexOf(graphDay);
  if (index < 0) throw new UnsupportedEventError(`Unknown Graph day of week "${graphDay}"`);
  return RRULE_DAYS[index] ?? 'MO';
}

function sortedDays(daysOfWeek: GraphDayOfWeek[] | undefined): string[] {
  const days = [...new Set(daysOfWeek ?? [])].sort(
    (a, b) => GRAPH_DAYS.indexOf(a) - GRAPH_DAYS.indexOf(b),
  );
  if (days.length === 0)
    throw new UnsupportedEventError('A Graph weekday pattern without daysOfWeek');
  return days.map(dayName);
}

function relativeParts(recurrencePattern: GraphRecurrencePattern): string[] {
  const days = sortedDays(recurrencePattern.daysOfWeek);
  // Graph omits nothing in responses, but "first" is its default index.
  const position = POSITION_BY_INDEX.get(recurrencePattern.index ?? 'first');
  if (position === undefined)
    throw new UnsupportedEventError(`Unknown Graph week index "${recurrencePattern.index}"`);
  return days.length === 1
    ? [`BYDAY=${position}${days[0]}`]
    : [`BYDAY=${days.join(',')}`, `BYSETPOS=${position}`];
}

function patternParts(recurrencePattern: GraphRecurrencePattern): string[] {
  const interval = recurrencePattern.interval > 1 ? [`INTERVAL=${recurrencePattern.interval}`] : [];
  switch (recurrencePattern.type) {
    case 'daily':
      return ['FREQ=DAILY', ...interval];
    case 'weekly': {
      const weekStart = recurrencePattern.firstDayOfWeek ?? 'sunday';
      // The week start only changes which weeks count when INTERVAL > 1.
      const wkst =
        recurrencePattern.interval > 1 && weekStart !== 'monday'
          ? [`WKST=${dayName(weekStart)}`]
          : [];
      return [
        'FREQ=WEEKLY',
        ...interval,
        `BYDAY=${sortedDays(recurrencePattern.daysOfWeek).join(',')}`,
        ...wkst,
      ];
    }
    case 'absoluteMonthly':
      return ['FREQ=MONTHLY', ...interval, `BYMONTHDAY=${recurrencePattern.dayOfMonth ?? 1}`];
    case 'relativeMonthly':
      return ['FREQ=MONTHLY', ...interval, ...relativeParts(recurrencePattern)];
    case 'absoluteYearly':
      return [
        'FREQ=YEARLY',
        ...interval,
        `BYMONTH=${recurrencePattern.month ?? 1}`,
        `BYMONTHDAY=${recurrencePattern.dayOfMonth ?? 1}`,
      ];
    case 'relativeYearly':
      return [
        'FREQ=YEARLY',
        ...interval,
        `BYMONTH=${recurrencePattern.month ?? 1}`,
        ...relativeParts(recurrencePattern),
      ];
    default:
      throw new UnsupportedEventError(
        `Unknown Graph recurrence pattern "${String(recurrencePattern.type)}"`,
      );
  }
}

function rangeParts(recurrenceRange: GraphRecurrenceRange, start: SeriesStart): string[] {
  switch (recurrenceRange.type) {
    case 'numbered':
      return [`COUNT=${recurrenceRange.numberOfOccurrences ?? 1}`];
    case 'endDate': {
      const endDate = recurrenceRange.endDate ?? '';
      if (start.isAllDay) return [`UNTIL=${endDate.replaceAll('-', '')}`];
      // The instant of the last occurrence: the series' start time on the end date.
      const last = DateTime.fromISO(endDate, { zone: start.local.zone }).set({
        hour: start.local.hour,
        minute: start.local.minute,
        second: start.local.second,
      });
      if (!last.isValid)
        throw new UnsupportedEventError(`Invalid Graph recurrence end date "${endDate}"`);
      return [`UNTIL=${last.toUTC().toFormat("yyyyMMdd'T'HHmmss'Z'")}`];
    }
    default:
      // Graph also answers `noEnd` with a placeholder endDate (0001-01-01): ignore it.
      return [];
  }
}

/** The RRULE (without `RRULE:`) that says what a Graph recurrence says, in one canonical form. */
export function toRrule(recurrence: GraphPatternedRecurrence, start: SeriesStart): string {
  return [...patternParts(recurrence.pattern), ...rangeParts(recurrence.range, start)].join(';');
}

/**
 * The RRULE to report for a series: the one we wrote (kept in an extended property) while Graph
 * still holds the same recurrence, so what we wrote reads back unchanged; the canonical RRULE of
 * Graph's recurrence once someone changed the series in Outlook (or for a series not ours).
 */
export function readRrule(
  recurrence: GraphPatternedRecurrence,
  start: SeriesStart,
  written: string | null,
): string {
  const current = toRrule(recurrence, start);
  if (!written) return current;
  let writtenCanonical: string;
  try {
    writtenCanonical = toRrule(toPatternedRecurrence(written, start), start);
  } catch (error) {
    // A property value that is no longer an RRULE Graph can hold: Graph's recurrence wins.
    if (error instanceof UnsupportedEventError) return current;
    throw error;
  }
  return writtenCanonical === current ? written : current;
}
