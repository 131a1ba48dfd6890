import {
  localDateTimeToInstant,
  normalizeRecurrenceRule,
  PRIORITIES,
  type Priority,
  type Reminder,
  TAG_NAME_MAX,
  TITLE_MAX,
  taskCreateInput,
} from '@tasks/crdt';
import * as chrono from 'chrono-node';
import { DateTime, IANAZone } from 'luxon';
import * as rruleModule from 'rrule';

// rrule 2.8 is CommonJS to Node (named imports fail, STACK.md: only the default export holds
// RRule) and ESM to bundlers (no default export). Take whichever this runtime gave us, as
// crdt/src/recurrence.ts does.
const rrule: typeof rruleModule =
  (Reflect.get(rruleModule, 'default') as typeof rruleModule | undefined) ?? rruleModule;
const { RRule } = rrule;

export interface QuickAddProject {
  readonly id: string;
  readonly name: string;
}

export interface QuickAddOptions {
  /** The instant relative dates ("tomorrow", "in 3 days") are read from. */
  now: Date;
  /** The user's IANA time zone: dates and times are wall-clock times there. */
  timezone: string;
  /** Projects `@name` / `+name` / `+"Two words"` may refer to. */
  projects?: readonly QuickAddProject[];
}

/** A task ready for crdt `createTask` (it passes `taskCreateInput`). */
export interface QuickAddResult {
  title: string;
  /** `YYYY-MM-DD` (all-day) or a UTC ISO datetime (`2025-10-15T19:00:00Z`). */
  dueDate?: string;
  tags: string[];
  priority?: Priority;
  /** Minutes. */
  estimatedDuration?: number;
  /** An RRULE without the `RRULE:` prefix, as `normalizeRecurrenceRule` returns it. */
  recurrenceRule?: string;
  projectId?: string;
  /** From `remind 15m before` / `remind at 9am`. */
  reminders?: Reminder[];
}

/** Longer input is not worth parsing: the title keeps at most TITLE_MAX characters anyway. */
const PARSE_MAX = 2000;
const TAGS_MAX = 50;
const DURATION_MAX_MINUTES = 525_600;
const FALLBACK_TITLE = 'Untitled';

/** A token starts at the beginning of the text or after whitespace (`bob@x.com`, `C#` are not). */
const START = '(?<!\\S)';
/** ...and ends at the end, before whitespace, or before closing punctuation (`#work,`). */
const END = '(?![^\\s,.;:!?)\\]}])';
/** Word boundaries that understand non-ASCII letters. */
const WB_START = '(?<![\\p{L}\\p{N}])';
const WB_END = '(?![\\p{L}\\p{N}])';

const TAG = new RegExp(`${START}#([\\p{L}\\p{M}\\p{N}_-]+)${END}`, 'gu');
const PRIORITY = new RegExp(`${START}!(low|medium|med|high|urgent|[1-4])${END}`, 'giu');
const DURATION = new RegExp(
  `${START}~(?:(\\d{1,6}(?:\\.\\d{1,4})?)h(?:rs?|ours?)?(?:(\\d{1,4})(?:m|mins?|minutes?)?)?|(\\d{1,6})(?:m|mins?|minutes?)?)${END}`,
  'giu',
);
const QUOTED_PROJECT = new RegExp(
  `${START}[@+](?:"([^"\\n]{1,200})"|“([^”\\n]{1,200})”)${END}`,
  'gu',
);
const PROJECT_START = new RegExp(`${START}[@+](?=[^\\s"“])`, 'gu');

const PRIORITY_WORDS: Readonly<Record<string, Priority>> = {
  low: 'LOW',
  medium: 'MEDIUM',
  med: 'MEDIUM',
  high: 'HIGH',
  urgent: 'URGENT',
  '1': 'URGENT',
  '2': 'HIGH',
  '3': 'MEDIUM',
  '4': 'LOW',
};

/**
 * Parses a one-line task as typed in the quick-add box, e.g.
 * `Write report tomorrow 3pm #work !high ~2h every monday`:
 *
 * - `#tag` → tags (spelling kept, duplicates dropped case-insensitively; `#123` stays text);
 * - `!low` `!medium` `!high` `!urgent` or `!1`..`!4` (1 = URGENT) → priority;
 * - `~30m` `~2h` `~1h30m` `~1.5h` `~90` → estimatedDuration in minutes;
 * - `@name` / `+name` / `+"Two words"` naming a known project → projectId;
 * - `every monday`, `every mon and thu`, `every 2 weeks`, `every weekday`, `daily`, `weekly`,
 *   `every month on the 15th`, ... → recurrenceRule;
 * - a date or time anywhere (chrono-node: `tomorrow 3pm`, `next friday`, `on 12 March`,
 *   `in 3 days`, `at 9`) → dueDate, read in `timezone` relative to `now`: all-day
 *   `YYYY-MM-DD` without a time, a UTC instant with one. A recurrence without a date is due on
 *   its first occurrence from today;
 * - `remind 15m before`, `remind 2h before`, `remind 1d before` → a reminder that long before the
 *   due date (before the all-day reminder time for an all-day task); `remind at 9am`,
 *   `remind at 17:30` → a reminder at that time on the due day (without a due date, the next
 *   such time from now), in `timezone`. Several may be given.
 *
 * Recognized tokens leave the title; what is not recognized (an unknown project, `#123`,
 * `bob@example.com`) stays in it. Never throws: the worst case is the whole text as the title.
 */
export function parseQuickAdd(text: string, options: QuickAddOptions): QuickAddResult {
  try {
    return validated(parse(text, options), text);
  } catch {
    return { title: fallbackTitle(text), tags: [] };
  }
}

/** The text with recognized spans blanked out, so indices keep matching the original. */
class Masked {
  private value: string;
  removedAny = false;

  constructor(text: string) {
    this.value = text;
  }

  get text(): string {
    return this.value;
  }

  remove(start: number, end: number): void {
    this.value = this.value.slice(0, start) + ' '.repeat(end - start) + this.value.slice(end);
    this.removedAny = true;
  }
}

function parse(text: string, options: QuickAddOptions): QuickAddResult {
  const source = truncate(typeof text === 'string' ? text : '', PARSE_MAX);
  const zone = IANAZone.isValidZone(options.timezone) ? options.timezone : 'UTC';
  const now = Number.isNaN(options.now.getTime()) ? new Date() : options.now;
  const masked = new Masked(source);

  const projectId = extractProject(masked, options.projects ?? []);
  const tags = extractTags(masked);
  const priority = extractPriority(masked);
  const estimatedDuration = extractDuration(masked);
  const recurrenceRule = extractRecurrence(masked);
  const reminderTokens = extractReminders(masked);
  const due = extractDue(masked, now, zone);

  let dueDate: string | undefined;
  if (recurrenceRule !== undefined && !due?.dateCertain) {
    dueDate = firstOccurrence(recurrenceRule, now, zone, due?.time) ?? due?.value;
  } else {
    dueDate = due?.value;
  }

  const result: QuickAddResult = { title: cleanTitle(masked), tags };
  if (dueDate !== undefined) result.dueDate = dueDate;
  if (priority !== undefined) result.priority = priority;
  if (estimatedDuration !== undefined) result.estimatedDuration = estimatedDuration;
  if (recurrenceRule !== undefined) result.recurrenceRule = recurrenceRule;
  if (projectId !== undefined) result.projectId = projectId;
  const reminders = resolveReminders(reminderTokens, dueDate, now, zone);
  if (reminders.length > 0) result.reminders = reminders;
  if (result.title === '') result.title = fallbackTitle(text);
  return result;
}

/** A last guard: drops any field `taskCreateInput` would refuse, so the result always passes. */
function validated(result: QuickAddResult, text: string): QuickAddResult {
  const check = taskCreateInput.safeParse(result);
  if (check.success) return result;
  const bad = new Set(check.error.issues.map((issue) => String(issue.path[0] ?? '')));
  const cleaned: QuickAddResult = { ...result };
  if (bad.has('title')) cleaned.title = fallbackTitle(text);
  if (bad.has('tags')) cleaned.tags = [];
  if (bad.has('dueDate')) delete cleaned.dueDate;
  if (bad.has('priority')) delete cleaned.priority;
  if (bad.has('estimatedDuration')) delete cleaned.estimatedDuration;
  if (bad.has('recurrenceRule')) delete cleaned.recurrenceRule;
  if (bad.has('projectId')) delete cleaned.projectId;
  if (bad.has('reminders')) delete cleaned.reminders;
  return taskCreateInput.safeParse(cleaned).success
    ? cleaned
    : { title: fallbackTitle(text), tags: [] };
}

// ---------------------------------------------------------------------------------------------
// Tokens: projects, tags, priority, duration

function normalizeName(name: string): string {
  return name.trim().replace(/\s+/g, ' ').toLowerCase();
}

function extractProject(masked: Masked, projects: readonly QuickAddProject[]): string | undefined {
  if (projects.length === 0) return undefined;
  const byName = new Map<string, string>();
  let maxWords = 1;
  for (const project of projects) {
    const key = normalizeName(project.name);
    if (key === '' || byName.has(key)) continue;
    byName.set(key, project.id);
    maxWords = Math.max(maxWords, key.split(' ').length);
  }
  let found: string | undefined;

  // `+"Big Project"`
  for (const match of masked.text.matchAll(QUOTED_PROJECT)) {
    const id = byName.get(normalizeName(match[1] ?? match[2] ?? ''));
    if (id === undefined) continue;
    found ??= id;
    masked.remove(match.index, match.index + match[0].length);
  }

  // `@home`, `+Big Project` (the longest run of words naming a project)
  for (const match of [...masked.text.matchAll(PROJECT_START)]) {
    const start = match.index;
    const words = /\S+/gu;
    words.lastIndex = start + 1;
    const spans: { end: number; text: string }[] = [];
    for (let word = words.exec(masked.text); word && spans.length < maxWords; ) {
      spans.push({ end: word.index + word[0].length, text: word[0] });
      word = words.exec(masked.text);
    }
    for (let count = spans.length; count > 0; count -= 1) {
      const last = spans[count - 1];
      if (last === undefined) continue;
      const phrase = spans
        .slice(0, count)
        .map((span) => span.text)
        .join(' ');
      let id = byName.get(normalizeName(phrase));
      let end = last.end;
      if (id === undefined) {
        // `@home,` — closing punctuation is not part of the name.
        const bare = phrase.replace(/[,.;:!?)\]}]+$/u, '');
        id = byName.get(normalizeName(bare));
        end -= phrase.length - bare.length;
      }
      if (id === undefined) continue;
      found ??= id;
      masked.remove(start, end);
      break;
    }
  }
  return found;
}

function extractTags(masked: Masked): string[] {
  const tags: string[] = [];
  const seen = new Set<string>();
  for (const match of [...masked.text.matchAll(TAG)]) {
    const name = match[1] ?? '';
    // `#123` is an issue number, not a tag; over-long names would be refused by the document.
    if (!/\p{L}/u.test(name) || name.length > TAG_NAME_MAX) continue;
    const key = name.toLowerCase();
    if (!seen.has(key)) {
      if (tags.length >= TAGS_MAX) continue;
      seen.add(key);
      tags.push(name);
    }
    masked.remove(match.index, match.index + match[0].length);
  }
  return tags;
}

function extractPriority(masked: Masked): Priority | undefined {
  let priority: Priority | undefined;
  for (const match of [...masked.text.matchAll(PRIORITY)]) {
    const value = PRIORITY_WORDS[(match[1] ?? '').toLowerCase()];
    if (value === undefined || !PRIORITIES.includes(value)) continue;
    priority = value; // the last one wins
    masked.remove(match.index, match.index + match[0].length);
  }
  return priority;
}

function extractDuration(masked: Masked): number | undefined {
  let minutes: number | undefined;
  for (const match of [...masked.text.matchAll(DURATION)]) {
    const [, hours, extraMinutes, plainMinutes] = match;
    const value =
      hours !== undefined
        ? Math.round(Number(hours) * 60 + Number(extraMinutes ?? 0))
        : Number(plainMinutes);
    if (!Number.isInteger(value) || value < 0 || value > DURATION_MAX_MINUTES) continue;
    minutes = value; // the last one wins
    masked.remove(match.index, match.index + match[0].length);
  }
  return minutes;
}

// ---------------------------------------------------------------------------------------------
// Recurrence

const DAY = `(?:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?)s?${WB_END}`;
const LIST_SEPARATOR = '(?:\\s*,\\s*(?:and\\s+)?|\\s+and\\s+|\\s*&\\s*|\\s*\\/\\s*)';
const DAY_LIST = `${DAY}(?:${LIST_SEPARATOR}${DAY})*`;
const MONTH_DAY = `(?:\\d{1,2}(?:st|nd|rd|th)?|last)${WB_END}(?:\\s+day${WB_END})?`;
const MONTH_DAY_LIST = `${MONTH_DAY}(?:${LIST_SEPARATOR}${MONTH_DAY})*`;
const ORDINAL = `(?:\\d{1,2}(?:st|nd|rd|th)|last\\s+day)${WB_END}`;
const ORDINAL_LIST = `${ORDINAL}(?:${LIST_SEPARATOR}${ORDINAL})*`;

const EVERY_UNIT = new RegExp(
  `${WB_START}every\\s+(?:(other)\\s+|(\\d{1,3})\\s+)?(day|week|month|year)s?${WB_END}`,
  'iu',
);
const ADVERB = new RegExp(
  `${WB_START}(daily|everyday|weekly|fortnightly|monthly|yearly|annually)${WB_END}`,
  'iu',
);
const EVERY_WEEKDAY = new RegExp(`${WB_START}every\\s+(weekday|weekend)s?${WB_END}`, 'iu');
const EVERY_DAYS = new RegExp(`${WB_START}every\\s+(?:(other)\\s+)?(${DAY_LIST})`, 'iu');
const EVERY_MONTH_DAYS = new RegExp(
  `${WB_START}every\\s+(${ORDINAL_LIST})(?:\\s+(?:day\\s+)?of\\s+(?:the|each|every)\\s+month${WB_END})?`,
  'iu',
);
const ON_DAYS = new RegExp(`\\s+on\\s+(${DAY_LIST})`, 'iuy');
const ON_MONTH_DAYS = new RegExp(`\\s+on\\s+(?:the\\s+)?(${MONTH_DAY_LIST})`, 'iuy');

type Frequency = 'DAILY' | 'WEEKLY' | 'MONTHLY' | 'YEARLY';

interface RecurrenceMatch {
  start: number;
  end: number;
  freq: Frequency;
  interval: number;
  byDay?: string[];
  byMonthDay?: number[];
}

const WEEKDAY_ORDER = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];

function weekdayCodes(list: string): string[] {
  const codes = new Set<string>();
  for (const word of list.match(new RegExp(DAY, 'giu')) ?? []) {
    codes.add(word.slice(0, 2).toUpperCase());
  }
  return WEEKDAY_ORDER.filter((code) => codes.has(code));
}

function monthDays(list: string): number[] | undefined {
  const days = new Set<number>();
  for (const word of list.match(/\d{1,2}|last/giu) ?? []) {
    const day = word.toLowerCase() === 'last' ? -1 : Number(word);
    if (day === 0 || day > 31) return undefined;
    days.add(day);
  }
  return [...days].sort((a, b) => (a === -1 ? 1 : b === -1 ? -1 : a - b));
}

/** Extends a `weekly` / `every month` match with `on monday` / `on the 15th` when present. */
function withSuffix(text: string, match: RecurrenceMatch): RecurrenceMatch {
  if (match.freq === 'WEEKLY') {
    ON_DAYS.lastIndex = match.end;
    const on = ON_DAYS.exec(text);
    if (on) return { ...match, end: match.end + on[0].length, byDay: weekdayCodes(on[1] ?? '') };
  }
  if (match.freq === 'MONTHLY') {
    ON_MONTH_DAYS.lastIndex = match.end;
    const on = ON_MONTH_DAYS.exec(text);
    const days = on ? monthDays(on[1] ?? '') : undefined;
    if (on && days) return { ...match, end: match.end + on[0].length, byMonthDay: days };
  }
  return match;
}

const UNIT_FREQUENCIES: Readonly<Record<string, Frequency>> = {
  day: 'DAILY',
  week: 'WEEKLY',
  month: 'MONTHLY',
  year: 'YEARLY',
};

const ADVERB_FREQUENCIES: Readonly<Record<string, [Frequency, number]>> = {
  daily: ['DAILY', 1],
  everyday: ['DAILY', 1],
  weekly: ['WEEKLY', 1],
  fortnightly: ['WEEKLY', 2],
  monthly: ['MONTHLY', 1],
  yearly: ['YEARLY', 1],
  annually: ['YEARLY', 1],
};

function recurrenceCandidates(text: string): RecurrenceMatch[] {
  const candidates: RecurrenceMatch[] = [];
  const unit = EVERY_UNIT.exec(text);
  if (unit) {
    const freq = UNIT_FREQUENCIES[(unit[3] ?? '').toLowerCase()];
    const interval = unit[1] ? 2 : unit[2] ? Number(unit[2]) : 1;
    if (freq && interval >= 1) {
      const end = unit.index + unit[0].length;
      candidates.push(withSuffix(text, { start: unit.index, end, freq, interval }));
    }
  }
  const adverb = ADVERB.exec(text);
  if (adverb) {
    const entry = ADVERB_FREQUENCIES[(adverb[1] ?? '').toLowerCase()];
    if (entry) {
      const [freq, interval] = entry;
      const end = adverb.index + adverb[0].length;
      candidates.push(withSuffix(text, { start: adverb.index, end, freq, interval }));
    }
  }
  const weekday = EVERY_WEEKDAY.exec(text);
  if (weekday) {
    const weekend = (weekday[1] ?? '').toLowerCase() === 'weekend';
    candidates.push({
      start: weekday.index,
      end: weekday.index + weekday[0].length,
      freq: 'WEEKLY',
      interval: 1,
      byDay: weekend ? ['SA', 'SU'] : ['MO', 'TU', 'WE', 'TH', 'FR'],
    });
  }
  const days = EVERY_DAYS.exec(text);
  if (days) {
    candidates.push({
      start: days.index,
      end: days.index + days[0].length,
      freq: 'WEEKLY',
      interval: days[1] ? 2 : 1,
      byDay: weekdayCodes(days[2] ?? ''),
    });
  }
  const monthly = EVERY_MONTH_DAYS.exec(text);
  const byMonthDay = monthly ? monthDays(monthly[1] ?? '') : undefined;
  if (monthly && byMonthDay) {
    candidates.push({
      start: monthly.index,
      end: monthly.index + monthly[0].length,
      freq: 'MONTHLY',
      interval: 1,
      byMonthDay,
    });
  }
  return candidates;
}

function extractRecurrence(masked: Masked): string | undefined {
  const candidates = recurrenceCandidates(masked.text).sort(
    (a, b) => a.start - b.start || b.end - a.end,
  );
  for (const match of candidates) {
    let rule = `FREQ=${match.freq}`;
    if (match.interval > 1) rule += `;INTERVAL=${match.interval}`;
    if (match.byDay?.length) rule += `;BYDAY=${match.byDay.join(',')}`;
    if (match.byMonthDay?.length) rule += `;BYMONTHDAY=${match.byMonthDay.join(',')}`;
    const normalized = normalizeRecurrenceRule(rule);
    if ('error' in normalized) continue;
    masked.remove(match.start, match.end);
    return normalized.rule;
  }
  return undefined;
}

/** A wall-clock time as a "floating" Date whose UTC fields are the local fields (rrule's advice). */
function toFloating(local: DateTime): Date {
  return new Date(
    Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second),
  );
}

/**
 * The first occurrence of `rule` from today in `zone`: a date (today counts) or, given a time of
 * day, the first occurrence at that time not before `now`.
 */
function firstOccurrence(
  rule: string,
  now: Date,
  zone: string,
  time?: { hour: number; minute: number },
): string | undefined {
  const nowLocal = DateTime.fromJSDate(now, { zone });
  const start = nowLocal.startOf('day').set(time ?? {});
  const series = new RRule({ ...RRule.parseString(rule), dtstart: toFloating(start), tzid: null });
  const next = series.after(toFloating(time ? nowLocal : start), true);
  if (!next) return undefined;
  const local = DateTime.fromObject(
    {
      year: next.getUTCFullYear(),
      month: next.getUTCMonth() + 1,
      day: next.getUTCDate(),
      hour: next.getUTCHours(),
      minute: next.getUTCMinutes(),
    },
    { zone },
  );
  if (!local.isValid) return undefined;
  return time ? (instantOfWallTime(local, zone) ?? undefined) : (local.toISODate() ?? undefined);
}

// ---------------------------------------------------------------------------------------------
// Dates and times

interface Due {
  /** `YYYY-MM-DD` or a UTC ISO datetime. */
  value: string;
  /** The text named a day (`tomorrow`, `friday`, `12 March`), not only a time of day. */
  dateCertain: boolean;
  /** The local time of day, when one was given. */
  time?: { hour: number; minute: number };
}

const MONTH_NAME =
  'jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?';
/**
 * chrono readings that are more often words than dates: `sun cream`, `sat down`, `March for
 * climate`, `a 15 min call`, `1/2 gallon`, and spans without `in` (`2d961d`, a part number, is
 * "2 days 961 days" to chrono).
 */
const NOT_A_DATE = [
  /^(?:sun|sat)$/iu,
  new RegExp(`^(?:${MONTH_NAME})$`, 'iu'),
  /^(?:(?:\d+(?:\.\d+)?|an?|one|few|several|half)\s*(?:an?\s+)?(?:s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|wks?|weeks?|mo|mos|months?|y|yrs?|years?)\s*)+$/iu,
  /^\d\/\d$/u,
];
/** Words that only introduce the date and go with it: `due friday`, `by monday`, `@9am`. */
const DATE_PREFIX = /(?:(?<!\S)(?:due|by|on|at)\s+|(?<!\S)@)$/iu;

function extractDue(masked: Masked, now: Date, zone: string): Due | undefined {
  const offset = DateTime.fromJSDate(now, { zone }).offset;
  const results = chrono.casual.parse(
    masked.text,
    { instant: now, timezone: offset },
    { forwardDate: true },
  );
  for (const result of results) {
    if (NOT_A_DATE.some((pattern) => pattern.test(result.text.trim()))) continue;
    const due = dueOf(result, now, zone);
    if (!due) continue;
    let start = result.index;
    for (let prefix = DATE_PREFIX.exec(masked.text.slice(0, start)); prefix; ) {
      start = prefix.index;
      prefix = DATE_PREFIX.exec(masked.text.slice(0, start));
    }
    masked.remove(start, result.index + result.text.length);
    return due;
  }
  return undefined;
}

function dueOf(result: chrono.ParsedResult, now: Date, zone: string): Due | undefined {
  const start = result.start;
  const dateCertain = (['day', 'weekday', 'month', 'year'] as const).some((c) =>
    start.isCertain(c),
  );
  if (!start.isCertain('hour')) {
    const date = DateTime.fromObject(
      { year: start.get('year') ?? 0, month: start.get('month') ?? 0, day: start.get('day') ?? 0 },
      { zone: 'UTC' },
    );
    if (!date.isValid || date.year < 1000 || date.year > 9999) return undefined;
    const value = date.toISODate();
    return value === null ? undefined : { value, dateCertain };
  }

  let local: DateTime;
  if (start.isCertain('timezoneOffset')) {
    // An explicit zone (`3pm EST`) or a span from now (`in 3 hours`): chrono's instant is right.
    local = DateTime.fromJSDate(start.date(), { zone });
  } else {
    local = DateTime.fromObject(
      {
        year: start.get('year') ?? 0,
        month: start.get('month') ?? 0,
        day: start.get('day') ?? 0,
        hour: start.get('hour') ?? 0,
        minute: start.get('minute') ?? 0,
        second: start.isCertain('second') ? (start.get('second') ?? 0) : 0,
      },
      { zone },
    );
    // `at 3` is 3 pm for a task, not 3 am (`03:00` and `3am` are left alone).
    const hour = start.get('hour') ?? 0;
    if (
      !start.isCertain('meridiem') &&
      hour >= 1 &&
      hour <= 6 &&
      !/(?<![\d:.])0\d/u.test(result.text)
    ) {
      local = local.set({ hour: hour + 12 });
      if (!dateCertain) {
        const nowLocal = DateTime.fromJSDate(now, { zone });
        local = local.set({ year: nowLocal.year, month: nowLocal.month, day: nowLocal.day });
        if (local <= nowLocal) local = local.plus({ days: 1 });
      }
    }
  }
  if (!local.isValid || local.year < 1000 || local.year > 9999) return undefined;
  const value = instantOfWallTime(local, zone);
  if (value === null) return undefined;
  return { value, dateCertain, time: { hour: local.hour, minute: local.minute } };
}

/**
 * The instant of the wall time `local` shows, by the one rule every task date follows (crdt's
 * `localDateTimeToInstant`): luxon alone would pick which pass of a repeated hour by today's
 * offset.
 */
function instantOfWallTime(local: DateTime, zone: string): string | null {
  const wall = local.toISO({ includeOffset: false, suppressMilliseconds: true });
  return wall === null ? null : localDateTimeToInstant(wall, zone);
}

// ---------------------------------------------------------------------------------------------
// Reminders

const REMIND_BEFORE = new RegExp(
  `${WB_START}remind(?:\\s+me)?\\s+(\\d{1,5})\\s*(m|mins?|minutes?|h|hrs?|hours?|d|days?|w|weeks?)\\s+before${WB_END}`,
  'giu',
);
const REMIND_AT = new RegExp(
  `${WB_START}remind(?:\\s+me)?\\s+at\\s+(\\d{1,2})(?::(\\d{2}))?\\s*(am|pm)?${WB_END}`,
  'giu',
);
const UNIT_MINUTES: Readonly<Record<string, number>> = { m: 1, h: 60, d: 1440, w: 10_080 };

/** A reminder as typed: minutes before the due date, or a wall time of day. */
type ReminderToken = { minutesBefore: number } | { hour: number; minute: number };

function extractReminders(masked: Masked): ReminderToken[] {
  const tokens: ReminderToken[] = [];
  for (const match of [...masked.text.matchAll(REMIND_BEFORE)]) {
    const unit = UNIT_MINUTES[(match[2] ?? 'm').charAt(0).toLowerCase()] ?? 1;
    tokens.push({ minutesBefore: Number(match[1]) * unit });
    masked.remove(match.index, match.index + match[0].length);
  }
  for (const match of [...masked.text.matchAll(REMIND_AT)]) {
    let hour = Number(match[1]);
    const minute = match[2] === undefined ? 0 : Number(match[2]);
    const meridiem = match[3]?.toLowerCase();
    if (meridiem !== undefined && (hour < 1 || hour > 12)) continue;
    if (meridiem === 'pm' && hour < 12) hour += 12;
    if (meridiem === 'am' && hour === 12) hour = 0;
    if (hour > 23 || minute > 59) continue;
    tokens.push({ hour, minute });
    masked.remove(match.index, match.index + match[0].length);
  }
  return tokens;
}

/**
 * The reminders of the typed tokens: a time of day is on the due day in `zone`, or without a due
 * date the next such time after `now`.
 */
function resolveReminders(
  tokens: readonly ReminderToken[],
  dueDate: string | undefined,
  now: Date,
  zone: string,
): Reminder[] {
  const reminders: Reminder[] = [];
  for (const token of tokens) {
    if ('minutesBefore' in token) {
      reminders.push(token);
      continue;
    }
    let day: DateTime;
    if (dueDate !== undefined) {
      day =
        dueDate.length === 10
          ? DateTime.fromISO(dueDate, { zone })
          : DateTime.fromISO(dueDate, { zone: 'UTC' }).setZone(zone);
    } else {
      day = DateTime.fromJSDate(now, { zone });
      const today = instantOfWallTime(day.set({ hour: token.hour, minute: token.minute }), zone);
      if (today !== null && Date.parse(today) <= now.getTime()) day = day.plus({ days: 1 });
    }
    const at = instantOfWallTime(
      day.set({ hour: token.hour, minute: token.minute, second: 0, millisecond: 0 }),
      zone,
    );
    if (at !== null) reminders.push({ at });
  }
  return reminders;
}

// ---------------------------------------------------------------------------------------------
// Title

/** At most `max` UTF-16 units, never splitting a surrogate pair. */
function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = '';
  for (const char of text) {
    if (out.length + char.length > max) break;
    out += char;
  }
  return out;
}

function fallbackTitle(text: string): string {
  const whole = truncate(
    (typeof text === 'string' ? text : '').replace(/\s+/gu, ' ').trim(),
    TITLE_MAX,
  ).trim();
  return whole === '' ? FALLBACK_TITLE : whole;
}

function cleanTitle(masked: Masked): string {
  let title = masked.text.replace(/\s+/gu, ' ').trim();
  if (masked.removedAny) {
    // What removing tokens leaves behind: `Call mom , then` and `Write report -`.
    title = title
      .replace(/ ([,;:])/gu, '$1')
      .replace(/([,;:])(?:\s*[,;:])+/gu, '$1')
      .replace(/^[,;:–—-]+(?:\s|$)/u, '')
      .replace(/(?:^|\s)[–—-]+$/u, '')
      .replace(/[,;:]+$/u, '')
      .trim();
  }
  return truncate(title, TITLE_MAX).trim();
}
