/**
 * Schema v1 of the user document (see DESIGN.md "The user document").
 *
 * Main document top-level types: meta, settings, tasks, projects, tags, running, calendarEvents,
 * inbox. Time entries live in month documents (guid `{userId}/time/{YYYY-MM}`), top-level
 * `timeEntries`. Fields use camelCase; timestamps are ISO-8601 UTC strings; absent fields are
 * not written at all (each map key is an item forever).
 */
export const SCHEMA_VERSION = 1;

export const TASK_STATUSES = ['TODO', 'IN_PROGRESS', 'COMPLETED', 'CANCELLED'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const PRIORITIES = ['LOW', 'MEDIUM', 'HIGH', 'URGENT'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Names of the top-level shared types of the main document. */
export const ROOT = {
  meta: 'meta',
  settings: 'settings',
  tasks: 'tasks',
  projects: 'projects',
  tags: 'tags',
  running: 'running',
  calendarEvents: 'calendarEvents',
  inbox: 'inbox',
} as const;

/** Name of the top-level map of a month document. */
export const MONTH_ROOT = 'timeEntries';

/** Task map keys holding a tag are `tag:<normalized name>`, so concurrent adds never collide. */
export const TAG_KEY_PREFIX = 'tag:';

/**
 * Task map keys holding a recurrence exception are `exdate:<occurrence>`, like tags, so two
 * devices skipping different occurrences at once both keep their skip.
 */
export const EXCEPTION_KEY_PREFIX = 'exdate:';

/**
 * Task map keys holding a reminder are `reminder:<spec>` (`reminder:before:15`,
 * `reminder:at:2026-12-07T09:00:00Z`), like tags: two devices adding reminders at once keep both.
 */
export const REMINDER_KEY_PREFIX = 'reminder:';

/**
 * A task's reminder: some minutes before its due date (its start date without one; for an
 * all-day date, before the user's all-day reminder time that day), or at an instant.
 */
export type Reminder = { minutesBefore: number } | { at: string };

/** A task as readers see it: every field typed, junk replaced by defaults. */
export interface Task {
  id: string;
  title: string;
  description: string;
  status: TaskStatus;
  priority: Priority;
  /** ISO datetime (UTC, `Z`) or a date without time (`YYYY-MM-DD`, all-day). */
  dueDate: string | null;
  startDate: string | null;
  /** Minutes. */
  estimatedDuration: number | null;
  /** Normalized tag names, sorted. */
  tags: string[];
  parentId: string | null;
  projectId: string | null;
  recurrenceRule: string | null;
  /**
   * Occurrences of the series left out (skipped), sorted: each is the occurrence's anchor, the
   * value its due date (or start date, without a due date) would have, in the same form.
   */
  recurrenceExceptions: string[];
  /** Its reminders, relative ones first (fewest minutes first), then absolute ones by time. */
  reminders: Reminder[];
  /** Id of the first task of a recurring series; the task's own id when it started one. */
  seriesId: string;
  /**
   * The occurrence completing this one created. From then on that one carries the series and
   * this one only its own date, even when reopened (or a calendar would show the series twice).
   */
  nextOccurrenceId: string | null;
  calendarEventId: string | null;
  order: string;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
  deletedAt: string | null;
}

export interface Project {
  id: string;
  name: string;
  description: string;
  color: string;
  isArchived: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface Tag {
  id: string;
  /** Display name as the user typed it. */
  name: string;
  /** The key: the name normalized for uniqueness. */
  key: string;
  color: string;
  createdAt: string;
}

export interface TimeEntry {
  id: string;
  taskId: string | null;
  start: string;
  /** Null while running. */
  end: string | null;
  description: string;
  isManual: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface TimeRange {
  start: string;
  end: string;
}

/**
 * Which events of a connected calendar that are not ours become tasks (spec 6.2 rule 4): none
 * (they are only shown), all, or those whose title or description holds the keyword.
 */
export const CALENDAR_IMPORT_MODES = ['none', 'all', 'keyword'] as const;
export type CalendarImportMode = (typeof CALENDAR_IMPORT_MODES)[number];
export const DEFAULT_CALENDAR_IMPORT_KEYWORD = '#task';

export interface Settings {
  timezone: string;
  weekStart: Weekday;
  workingHours: Record<Weekday, TimeRange[]>;
  calendarImport: CalendarImportMode;
  calendarImportKeyword: string;
  scheduling: SchedulingSettings;
  /** Minutes before the date a new dated task is reminded (null: no reminder by default). */
  defaultReminderMinutes: number | null;
  /** When an all-day task's reminders count from, in the user's zone (`HH:MM`). */
  allDayReminderTime: string;
  /** The channels reminders go out on. */
  notifyInApp: boolean;
  notifyPush: boolean;
  notifyEmail: boolean;
  /** Time of day of the emailed daily agenda in the user's zone (`HH:MM`), null: none. */
  agendaTime: string | null;
  /** Whether a failing calendar connection is told by email (with `notifyEmail` on). */
  emailCalendarFailures: boolean;
}

/** How the planner places tasks into free time (see `scheduling/plan-schedule.ts`). */
export interface SchedulingSettings {
  /** Days a plan looks ahead from its start. */
  horizonDays: number;
  /** A task is split across blocks only down to this many minutes. */
  minBlockMinutes: number;
  /** Minutes kept free between a block and anything else busy. */
  bufferMinutes: number;
  /** Planned minutes per day at most (blocks of every task together); null: no cap. */
  dailyCapMinutes: number | null;
  /**
   * "Put planned blocks in my calendar": every block of an open task is written as an event to
   * one connected calendar (moved with the block, removed with it or the task).
   */
  blocksToCalendar: boolean;
  /**
   * The calendar connection whose calendar receives the planned blocks; null, or a connection
   * that is gone or does not sync: the first connection that syncs (`blocksCalendarOf`).
   */
  blocksCalendarConnectionId: string | null;
}

export const DEFAULT_SCHEDULING: SchedulingSettings = {
  horizonDays: 14,
  minBlockMinutes: 30,
  bufferMinutes: 5,
  dailyCapMinutes: null,
  blocksToCalendar: false,
  blocksCalendarConnectionId: null,
};

/** Bounds of the scheduling settings, shared by validation and the tolerant reader. */
export const SCHEDULING_LIMITS = {
  horizonDays: { min: 1, max: 62 },
  minBlockMinutes: { min: 5, max: 480 },
  bufferMinutes: { min: 0, max: 120 },
  dailyCapMinutes: { min: 15, max: 1440 },
} as const;

/** The longest connection id a setting holds (the server's are UUIDs). */
export const MAX_CONNECTION_ID_LENGTH = 100;

export interface InboxItem {
  id: string;
  kind: string;
  title: string;
  body: string;
  /** Free-form JSON the producer attaches (e.g. the losing version of a sync conflict). */
  payload: unknown;
  createdAt: string;
  readAt: string | null;
}

/** One event, or one occurrence of a recurring event, of a connected calendar. */
export interface CalendarEvent {
  /** `connectionId:eventId`; an occurrence of a series adds `@` and its original start. */
  id: string;
  /** `connectionId:eventId`: the mirrored event (the series) this is, or is an occurrence of. */
  seriesId: string;
  connectionId: string;
  eventId: string;
  title: string;
  start: string;
  end: string;
  allDay: boolean;
  source: string;
  taskId: string | null;
  /** For an occurrence of a series, when the series puts it (a UTC instant, or a date). */
  originalStart: string | null;
}

/**
 * What a mirrored recurring event keeps to be expanded: its rule, the zone its wall times are
 * in, the occurrences it skips (EXDATE and cancelled ones) and the occurrences moved or renamed,
 * by original start (a UTC instant like `2026-03-30T08:00:00Z`, or a date for an all-day series).
 */
export interface CalendarEventSeries {
  rule: string;
  /** IANA zone (ignored for an all-day series). */
  timeZone: string;
  exceptions: string[];
  overrides: CalendarEventOverride[];
}

export interface CalendarEventOverride {
  originalStart: string;
  start: string;
  end: string;
  /** Null: the series' title. */
  title: string | null;
}

export const DEFAULT_TIMEZONE = 'UTC';
export const DEFAULT_ALL_DAY_REMINDER_TIME = '09:00';
export const DEFAULT_WORKING_HOURS: Record<Weekday, TimeRange[]> = {
  mon: [{ start: '09:00', end: '17:00' }],
  tue: [{ start: '09:00', end: '17:00' }],
  wed: [{ start: '09:00', end: '17:00' }],
  thu: [{ start: '09:00', end: '17:00' }],
  fri: [{ start: '09:00', end: '17:00' }],
  sat: [],
  sun: [],
};
