import { createManualContext, createTask, nextOccurrence, type Task, UserDocs } from '@tasks/crdt';
import fc from 'fast-check';
import { DateTime } from 'luxon';

/**
 * Generated tasks for the mapping and round-trip tests: five time zones (whole and half-hour
 * offsets, a 30-minute DST shift), days on and around their 2026 DST changes, all-day
 * (single and multi-day) and timed, with and without start, due and estimate, recurrence rules
 * of every kind the providers hold (COUNT and UNTIL), priorities, and descriptions with unicode,
 * iCalendar's special characters and newlines. Test support: not part of the build.
 */

export const ZONES = [
  'Europe/Paris',
  'America/New_York',
  'Asia/Kolkata',
  'Australia/Lord_Howe',
  'America/St_Johns',
] as const;
type Zone = (typeof ZONES)[number];

/** Each zone's 2026 DST changes (Kolkata has none: it gets the others'). */
const DST_CHANGES: Record<Zone, string[]> = {
  'Europe/Paris': ['2026-03-29', '2026-10-25'],
  'America/New_York': ['2026-03-08', '2026-11-01'],
  'Asia/Kolkata': ['2026-03-29', '2026-11-01'],
  // Lord Howe moves its clocks by 30 minutes, St John's lives at -03:30/-02:30.
  'Australia/Lord_Howe': ['2026-04-05', '2026-10-04'],
  'America/St_Johns': ['2026-03-08', '2026-11-01'],
};
const ORDINARY_DAYS = ['2026-01-31', '2026-02-28', '2026-07-14', '2026-12-31'];

/** `UNTIL` stands for the end of the series, a date or an instant like the task's dates. */
export const RULES = [
  null,
  'FREQ=DAILY',
  'FREQ=DAILY;INTERVAL=2;COUNT=10',
  'FREQ=DAILY;UNTIL',
  'FREQ=WEEKLY;BYDAY=MO,WE',
  'FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,FR;UNTIL',
  'FREQ=MONTHLY;BYMONTHDAY=15',
  'FREQ=MONTHLY;BYDAY=2TU',
  'FREQ=MONTHLY;BYDAY=-1FR;COUNT=6',
  'FREQ=YEARLY;COUNT=3',
  'FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU;UNTIL',
];
/** Rules Microsoft Graph has no pattern for (it must refuse them); the others hold them. */
export const GRAPH_UNSUPPORTED_RULES = ['FREQ=MONTHLY;BYMONTHDAY=1,15', 'FREQ=MONTHLY;BYDAY=5FR'];
// After every generated day's next March: the yearly March rule then has an occurrence after
// any start (Graph counts a series' start only when it is on the pattern, and lists a series
// only through its occurrences inside the pulled window).
const UNTIL_DATE = '20271231';
const UNTIL_INSTANT = '20271231T120000Z';

// Letters, accents, combining marks, CJK, right-to-left, emoji (surrogate pairs, a ZWJ
// sequence), and what iCalendar escapes in TEXT (`,` `;` `\` `:`).
const TEXT_PIECES = [
  'a',
  'Z',
  '7',
  ' ',
  'é',
  'ñ',
  'e\u0301',
  'ß',
  '日本',
  'שלום',
  '🙂',
  '👩‍💻',
  ',',
  ';',
  '\\',
  ':',
  '"',
  '<b>',
  '&',
];
const line = fc.array(fc.constantFrom(...TEXT_PIECES), { maxLength: 12 }).map((p) => p.join(''));

export interface TaskShape {
  zone: string;
  day: string;
  hour: number;
  minute: number;
  allDay: boolean;
  hasStart: boolean;
  hasDue: boolean;
  spanDays: number;
  spanMinutes: number;
  estimate: number | null;
  rule: string | null;
  /** Later occurrences of the series skipped (1: the one after the task's own), if it has any. */
  skips: number[];
  priority: Task['priority'];
  title: string;
  description: string;
}

function shiftDay(day: string, days: number): string {
  return DateTime.fromISO(day, { zone: 'utc' }).plus({ days }).toISODate() ?? day;
}

/** Tasks of the given rules (default: every rule all three providers hold). */
export function shapesWith(rules: readonly (string | null)[] = RULES): fc.Arbitrary<TaskShape> {
  return fc
    .constantFrom(...ZONES)
    .chain((zone) =>
      fc.record({
        zone: fc.constant<string>(zone),
        day: fc
          .tuple(
            fc.constantFrom(...DST_CHANGES[zone], ...ORDINARY_DAYS),
            fc.integer({ min: -1, max: 1 }),
          )
          .map(([day, shift]) => shiftDay(day, shift)),
        // Every quarter hour: 02:15 does not exist on Lord Howe's spring day, 02:15 on St John's.
        hour: fc.integer({ min: 0, max: 23 }),
        minute: fc.constantFrom(0, 15, 30, 45),
        allDay: fc.boolean(),
        hasStart: fc.boolean(),
        hasDue: fc.boolean(),
        spanDays: fc.integer({ min: 0, max: 3 }),
        spanMinutes: fc.integer({ min: 15, max: 600 }),
        estimate: fc.option(fc.integer({ min: 5, max: 480 }), { nil: null }),
        rule: fc.constantFrom(...rules),
        skips: fc.oneof(
          fc.constant<number[]>([]),
          fc.uniqueArray(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 3 }),
        ),
        priority: fc.constantFrom('LOW', 'MEDIUM', 'HIGH', 'URGENT'),
        title: line.filter((s) => s.trim().length > 0),
        description: fc.array(line, { maxLength: 4 }).map((lines) => lines.join('\n')),
      }),
    )
    .filter((shape) => shape.hasStart || shape.hasDue);
}

export const shapeArb: fc.Arbitrary<TaskShape> = shapesWith();

/** The shape's rule with its UNTIL filled in: a DATE for an all-day task (RFC 5545 3.3.10). */
export function ruleOf(shape: Pick<TaskShape, 'rule' | 'allDay'>): string | null {
  return (
    shape.rule?.replace(/UNTIL$/, `UNTIL=${shape.allDay ? UNTIL_DATE : UNTIL_INSTANT}`) ?? null
  );
}

export function build(shape: TaskShape): { docs: UserDocs; task: Task } {
  const docs = new UserDocs('u1');
  const ctx = createManualContext(new Date('2026-01-01T00:00:00Z'));
  const local = DateTime.fromISO(shape.day, { zone: shape.zone }).set({
    hour: shape.hour,
    minute: shape.minute,
  });
  const start = shape.allDay
    ? shape.day
    : (local.toUTC().toISO({ suppressMilliseconds: true }) ?? '');
  const due = shape.allDay
    ? shiftDay(shape.day, shape.spanDays)
    : (local.plus({ minutes: shape.spanMinutes }).toUTC().toISO({ suppressMilliseconds: true }) ??
      '');
  const rule = ruleOf(shape);
  const anchor = shape.hasDue ? due : start;
  const task = createTask(
    docs,
    {
      recurrenceExceptions: rule === null ? [] : skippedOccurrences(rule, anchor, shape),
      title: shape.title.trim(),
      description: shape.description,
      priority: shape.priority,
      startDate: shape.hasStart ? start : null,
      dueDate: shape.hasDue ? due : null,
      estimatedDuration: shape.estimate,
      recurrenceRule: rule,
    },
    ctx,
  );
  return { docs, task };
}

/** The series' occurrences after `anchor` that `shape.skips` names (those the series has). */
function skippedOccurrences(rule: string, anchor: string, shape: TaskShape): string[] {
  const skipped: string[] = [];
  let current: string | null = anchor;
  for (let index = 1; current !== null && index <= Math.max(0, ...shape.skips); index++) {
    current = nextOccurrence(rule, current, shape.zone, anchor);
    if (current !== null && shape.skips.includes(index)) skipped.push(current);
  }
  return skipped;
}
