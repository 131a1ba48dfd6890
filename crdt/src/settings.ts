import type * as Y from 'yjs';
import { isValidTimezone } from './dates.js';
import { readNumber, readString, writeField } from './record-fields.js';
import {
  CALENDAR_IMPORT_MODES,
  type CalendarImportMode,
  DEFAULT_ALL_DAY_REMINDER_TIME,
  DEFAULT_CALENDAR_IMPORT_KEYWORD,
  DEFAULT_SCHEDULING,
  DEFAULT_TIMEZONE,
  DEFAULT_WORKING_HOURS,
  MAX_CONNECTION_ID_LENGTH,
  SCHEDULING_LIMITS,
  type SchedulingSettings,
  type Settings,
  type TimeRange,
  WEEKDAYS,
  type Weekday,
} from './schema.js';
import { settingsOf, type UserDocs } from './user-docs.js';
import {
  parseInput,
  REMINDER_MINUTES_MAX,
  type SettingsPatch,
  settingsPatch,
} from './validation.js';

// Working hours are stored one key per weekday (`workingHours.mon`), so two devices editing
// different days merge instead of one overwriting the other.
const workingHoursKey = (day: Weekday) => `workingHours.${day}`;

const TIME_OF_DAY = /^([01]\d|2[0-3]):[0-5]\d$/;

function readTimeOfDay(map: Y.Map<unknown>, key: string): string | null {
  const value = readString(map, key);
  return TIME_OF_DAY.test(value) ? value : null;
}

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

// Scheduling settings are one key each (`scheduling.minBlockMinutes`), for the same reason.
const schedulingKey = (name: keyof SchedulingSettings) => `scheduling.${name}`;

function readWholeNumber(
  map: Y.Map<unknown>,
  key: string,
  { min, max }: { min: number; max: number },
): number | null {
  const value = map.get(key);
  return typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max
    ? value
    : null;
}

/** A connection id as another device may have written it: a short non-empty string, else null. */
function readConnectionId(value: unknown): string | null {
  return typeof value === 'string' && value !== '' && value.length <= MAX_CONNECTION_ID_LENGTH
    ? value
    : null;
}

/** The scheduling settings as stored, each junk or missing value replaced by its default. */
function readScheduling(map: Y.Map<unknown>): SchedulingSettings {
  const blocksToCalendar = map.get(schedulingKey('blocksToCalendar'));
  const number = (name: keyof typeof SCHEDULING_LIMITS) =>
    readWholeNumber(map, schedulingKey(name), SCHEDULING_LIMITS[name]);
  return {
    horizonDays: number('horizonDays') ?? DEFAULT_SCHEDULING.horizonDays,
    minBlockMinutes: number('minBlockMinutes') ?? DEFAULT_SCHEDULING.minBlockMinutes,
    bufferMinutes: number('bufferMinutes') ?? DEFAULT_SCHEDULING.bufferMinutes,
    dailyCapMinutes: number('dailyCapMinutes'),
    blocksToCalendar:
      typeof blocksToCalendar === 'boolean'
        ? blocksToCalendar
        : DEFAULT_SCHEDULING.blocksToCalendar,
    blocksCalendarConnectionId: readConnectionId(
      map.get(schedulingKey('blocksCalendarConnectionId')),
    ),
  };
}

/**
 * The zone of the user's account (given at registration), kept beside the user's own choice
 * (`timezone`) rather than in it: the server seeding it and a device choosing a zone, even
 * offline and at the same moment, never write one key, so the choice always wins the merge.
 */
const ACCOUNT_TIMEZONE_KEY = 'accountTimezone';

function readZone(map: Y.Map<unknown>, key: string): string | null {
  const zone = readString(map, key);
  return zone && isValidTimezone(zone) ? zone : null;
}

/**
 * Whether a time zone was chosen in this document (on any device, UTC included). A zone never
 * chosen is a document without a valid `timezone`: it follows the account's zone.
 */
export function isTimezoneChosen(docs: UserDocs): boolean {
  return readZone(settingsOf(docs.main), 'timezone') !== null;
}

/** Whether the document neither has a chosen zone nor knows the account's. */
export function needsAccountTimezone(docs: UserDocs): boolean {
  const map = settingsOf(docs.main);
  return readZone(map, 'timezone') === null && readZone(map, ACCOUNT_TIMEZONE_KEY) === null;
}

/**
 * Makes the account's zone the document's zone while none was chosen (a chosen one is left
 * alone). Writes only what changes; returns whether it wrote. An invalid zone writes nothing.
 */
export function seedAccountTimezone(docs: UserDocs, zone: string): boolean {
  const map = settingsOf(docs.main);
  if (!isValidTimezone(zone) || isTimezoneChosen(docs) || map.get(ACCOUNT_TIMEZONE_KEY) === zone) {
    return false;
  }
  docs.main.transact(() => map.set(ACCOUNT_TIMEZONE_KEY, zone));
  return true;
}

export function getSettings(docs: UserDocs): Settings {
  const map = settingsOf(docs.main);
  const weekStart = readString(map, 'weekStart');
  const workingHours = {} as Record<Weekday, TimeRange[]>;
  for (const day of WEEKDAYS) {
    const ranges = readRanges(map.get(workingHoursKey(day)));
    // Copies, so a caller changing the result never changes the defaults.
    workingHours[day] = ranges ?? DEFAULT_WORKING_HOURS[day].map((range) => ({ ...range }));
  }
  const importMode = readString(map, 'calendarImport');
  const reminderMinutes = readNumber(map, 'defaultReminderMinutes');
  const flag = (key: string, fallback: boolean) => {
    const value = map.get(key);
    return typeof value === 'boolean' ? value : fallback;
  };
  const keyword = readString(map, 'calendarImportKeyword').trim();
  return {
    // The user's choice, else the account's zone, else UTC.
    timezone: readZone(map, 'timezone') ?? readZone(map, ACCOUNT_TIMEZONE_KEY) ?? DEFAULT_TIMEZONE,
    weekStart: (WEEKDAYS as readonly string[]).includes(weekStart) ? (weekStart as Weekday) : 'mon',
    workingHours,
    calendarImport: (CALENDAR_IMPORT_MODES as readonly string[]).includes(importMode)
      ? (importMode as CalendarImportMode)
      : 'none',
    calendarImportKeyword:
      keyword.length > 0 && keyword.length <= 50 ? keyword : DEFAULT_CALENDAR_IMPORT_KEYWORD,
    scheduling: readScheduling(map),
    defaultReminderMinutes:
      reminderMinutes !== null &&
      Number.isInteger(reminderMinutes) &&
      reminderMinutes >= 0 &&
      reminderMinutes <= REMINDER_MINUTES_MAX
        ? reminderMinutes
        : null,
    allDayReminderTime: readTimeOfDay(map, 'allDayReminderTime') ?? DEFAULT_ALL_DAY_REMINDER_TIME,
    // In the app by default, and by push once a device subscribed; email when asked for.
    notifyInApp: flag('notifyInApp', true),
    notifyPush: flag('notifyPush', true),
    notifyEmail: flag('notifyEmail', false),
    agendaTime: readTimeOfDay(map, 'agendaTime'),
    emailCalendarFailures: flag('emailCalendarFailures', true),
  };
}

/** The user's IANA time zone: as chosen, else the account's, else UTC. */
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
      'defaultReminderMinutes',
      'allDayReminderTime',
      'notifyInApp',
      'notifyPush',
      'notifyEmail',
      'agendaTime',
      'emailCalendarFailures',
    ] as const) {
      if (valid[key] !== undefined) writeField(map, key, valid[key]);
    }
    for (const day of WEEKDAYS) {
      const ranges = valid.workingHours?.[day];
      if (ranges) map.set(workingHoursKey(day), ranges);
    }
    for (const [name, value] of Object.entries(valid.scheduling ?? {})) {
      // null (no daily cap) removes the key: absent reads as no cap.
      writeField(map, schedulingKey(name as keyof SchedulingSettings), value);
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
