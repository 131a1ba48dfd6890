import { isValidTimezone } from './dates.js';
import { readString, writeField } from './record-fields.js';
import {
  CALENDAR_IMPORT_MODES,
  type CalendarImportMode,
  DEFAULT_CALENDAR_IMPORT_KEYWORD,
  DEFAULT_TIMEZONE,
  DEFAULT_WORKING_HOURS,
  type Settings,
  type TimeRange,
  WEEKDAYS,
  type Weekday,
} from './schema.js';
import { settingsOf, type UserDocs } from './user-docs.js';
import { parseInput, type SettingsPatch, settingsPatch } from './validation.js';

// Working hours are stored one key per weekday (`workingHours.mon`), so two devices editing
// different days merge instead of one overwriting the other.
const workingHoursKey = (day: Weekday) => `workingHours.${day}`;

function readRanges(value: unknown): TimeRange[] | null {
  if (!Array.isArray(value)) return null;
  const ranges: TimeRange[] = [];
  for (const item of value) {
    if (typeof item !== 'object' || item === null) continue;
    const { start, end } = item as Record<string, unknown>;
    const valid = (t: unknown): t is string =>
      typeof t === 'string' && /^([01]\d|2[0-3]):[0-5]\d$/.test(t);
    if (valid(start) && valid(end) && start < end) ranges.push({ start, end });
  }
  return ranges;
}

export function getSettings(docs: UserDocs): Settings {
  const map = settingsOf(docs.main);
  const zone = readString(map, 'timezone');
  const weekStart = readString(map, 'weekStart');
  const workingHours = {} as Record<Weekday, TimeRange[]>;
  for (const day of WEEKDAYS) {
    const ranges = readRanges(map.get(workingHoursKey(day)));
    // Copies, so a caller changing the result never changes the defaults.
    workingHours[day] = ranges ?? DEFAULT_WORKING_HOURS[day].map((range) => ({ ...range }));
  }
  const importMode = readString(map, 'calendarImport');
  const keyword = readString(map, 'calendarImportKeyword').trim();
  return {
    timezone: zone && isValidTimezone(zone) ? zone : DEFAULT_TIMEZONE,
    weekStart: (WEEKDAYS as readonly string[]).includes(weekStart) ? (weekStart as Weekday) : 'mon',
    workingHours,
    calendarImport: (CALENDAR_IMPORT_MODES as readonly string[]).includes(importMode)
      ? (importMode as CalendarImportMode)
      : 'none',
    calendarImportKeyword:
      keyword.length > 0 && keyword.length <= 50 ? keyword : DEFAULT_CALENDAR_IMPORT_KEYWORD,
  };
}

/** The user's IANA time zone (UTC until set). */
export function getTimezone(docs: UserDocs): string {
  return getSettings(docs).timezone;
}

export function updateSettings(docs: UserDocs, patch: SettingsPatch): Settings {
  const valid = parseInput(settingsPatch, patch);
  const map = settingsOf(docs.main);
  docs.main.transact(() => {
    // Only the fields given: a patch of one setting leaves the others as they are.
    for (const key of [
      'timezone',
      'weekStart',
      'calendarImport',
      'calendarImportKeyword',
    ] as const) {
      if (valid[key] !== undefined) writeField(map, key, valid[key]);
    }
    for (const day of WEEKDAYS) {
      const ranges = valid.workingHours?.[day];
      if (ranges) map.set(workingHoursKey(day), ranges);
    }
  });
  return getSettings(docs);
}

/** NFKC and case folded, so a keyword matches however the calendar app wrote it. */
const folded = (text: string) => text.normalize('NFKC').toLocaleLowerCase('en-US');

/**
 * Spec 6.2 rule 4: whether an event of a connected calendar that is not ours becomes a task, by
 * the user's setting (none, all, or the events whose title or description holds the keyword).
 */
export function eventBecomesTask(
  settings: Pick<Settings, 'calendarImport' | 'calendarImportKeyword'>,
  event: { summary: string; description: string },
): boolean {
  switch (settings.calendarImport) {
    case 'none':
      return false;
    case 'all':
      return true;
    case 'keyword': {
      const keyword = folded(settings.calendarImportKeyword);
      return folded(event.summary).includes(keyword) || folded(event.description).includes(keyword);
    }
  }
}
