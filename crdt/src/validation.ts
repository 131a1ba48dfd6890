import { z } from 'zod';
import {
  isValidTimezone,
  normalizeDateOrDateTime,
  normalizeDateTime,
  normalizeLocalDateTime,
} from './dates.js';
import { type FieldError, ValidationError } from './errors.js';
import { normalizeRecurrenceRule } from './recurrence.js';
import {
  CALENDAR_IMPORT_MODES,
  MAX_CONNECTION_ID_LENGTH,
  PRIORITIES,
  type Reminder,
  SCHEDULING_LIMITS,
  TASK_STATUSES,
  WEEKDAYS,
} from './schema.js';

/**
 * Schemas for every write that comes from outside (REST bodies, UI forms, provider data).
 * camelCase, as the document; the REST edge converts the spec's snake_case with `api-shapes`.
 */

export const TITLE_MAX = 200;
export const PROJECT_NAME_MAX = 100;
export const TAG_NAME_MAX = 50;
export const DESCRIPTION_MAX = 20_000;
export const RECURRENCE_EXCEPTIONS_MAX = 500;
/** A time entry longer than this is refused: analytics look one month back for entries. */
export const ENTRY_MAX_SECONDS = 31 * 24 * 3600;

const id = z.string().min(1, 'must not be empty').max(100, 'must be at most 100 characters');

export const title = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(TITLE_MAX, `must be at most ${TITLE_MAX} characters`);

export const hexColor = z
  .string()
  .regex(/^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/, 'must be a hex colour like #1a2b3c')
  .transform((value) => value.toLowerCase());

/** A string in one of a few forms, normalized, or the message saying which forms it may take. */
function normalizedString(normalize: (value: string) => string | null, message: string) {
  return z.string().transform((value, ctx) => {
    const normalized = normalize(value);
    if (normalized === null) {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }
    return normalized;
  });
}

export const dateOrDateTime = normalizedString(
  normalizeDateOrDateTime,
  'must be an ISO-8601 date (2025-10-15) or datetime with offset (2025-10-15T17:00:00Z)',
);

/**
 * A task's due or start date: a date, a datetime with offset, or a wall-clock datetime without
 * one (`2025-10-15T17:00`), which the task commands read in the user's zone (`tasks.ts`).
 */
export const taskDate = normalizedString(
  (value) => normalizeDateOrDateTime(value) ?? normalizeLocalDateTime(value),
  'must be an ISO-8601 date (2025-10-15), datetime with offset (2025-10-15T17:00:00Z) or local datetime in your time zone (2025-10-15T17:00)',
);

export const dateTime = normalizedString(
  normalizeDateTime,
  'must be an ISO-8601 datetime with offset (2025-10-15T17:00:00Z)',
);

export const recurrenceRule = z.string().transform((value, ctx) => {
  const result = normalizeRecurrenceRule(value);
  if ('error' in result) {
    ctx.addIssue({ code: 'custom', message: result.error });
    return z.NEVER;
  }
  return result.rule;
});

export const timezone = z
  .string()
  .refine(isValidTimezone, 'must be an IANA time zone such as Europe/Paris');

export const status = z.enum(TASK_STATUSES, {
  error: `must be one of ${TASK_STATUSES.join(', ')}`,
});
export const priority = z.enum(PRIORITIES, { error: `must be one of ${PRIORITIES.join(', ')}` });

export const tagName = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(TAG_NAME_MAX, `must be at most ${TAG_NAME_MAX} characters`);

const estimatedDuration = z
  .number({ error: 'must be a number of minutes' })
  .int('must be a whole number of minutes')
  .min(0, 'must not be negative')
  .max(525_600, 'must be at most one year');

const description = z
  .string()
  .max(DESCRIPTION_MAX, `must be at most ${DESCRIPTION_MAX} characters`);

export const REMINDERS_MAX = 10;
/** Four weeks: the furthest ahead of its date a reminder may be. */
export const REMINDER_MINUTES_MAX = 40_320;

/** A reminder: `{ minutesBefore }` (before the task's date) or `{ at }` (an instant), not both. */
export const reminder = z
  .object({
    minutesBefore: z
      .number({ error: 'must be a number of minutes' })
      .int('must be a whole number of minutes')
      .min(0, 'must not be negative')
      .max(REMINDER_MINUTES_MAX, 'must be at most four weeks (40320)')
      .optional(),
    at: dateTime.optional(),
  })
  .strict()
  .transform((value, ctx): Reminder => {
    if (value.minutesBefore !== undefined && value.at === undefined) {
      return { minutesBefore: value.minutesBefore };
    }
    if (value.at !== undefined && value.minutesBefore === undefined) return { at: value.at };
    ctx.addIssue({ code: 'custom', message: 'must have either minutesBefore or at' });
    return z.NEVER;
  });

/** Field rules of a task, shared by the document's inputs and the REST API's schemas. */
export const taskFields = {
  title,
  description,
  status,
  priority,
  dueDate: taskDate.nullable(),
  startDate: taskDate.nullable(),
  estimatedDuration: estimatedDuration.nullable(),
  tags: z.array(tagName).max(50, 'at most 50 tags'),
  parentId: id.nullable(),
  projectId: id.nullable(),
  recurrenceRule: recurrenceRule.nullable(),
  recurrenceExceptions: z
    .array(dateOrDateTime)
    .max(RECURRENCE_EXCEPTIONS_MAX, `at most ${RECURRENCE_EXCEPTIONS_MAX} skipped occurrences`),
  calendarEventId: z.string().max(1024).nullable(),
  reminders: z.array(reminder).max(REMINDERS_MAX, `at most ${REMINDERS_MAX} reminders`),
};

function startNotAfterDue(
  value: { startDate?: string | null | undefined; dueDate?: string | null | undefined },
  ctx: z.RefinementCtx,
): void {
  const { startDate, dueDate } = value;
  // A local time has no instant until the task commands read it in the user's zone (they check
  // again then).
  if (
    !startDate ||
    !dueDate ||
    normalizeLocalDateTime(startDate) ||
    normalizeLocalDateTime(dueDate)
  )
    return;
  if (new Date(startDate).getTime() > new Date(dueDate).getTime()) {
    ctx.addIssue({ code: 'custom', path: ['startDate'], message: 'must not be after dueDate' });
  }
}

export const taskCreateInput = z
  .object({ ...taskFields, title, id: id.optional() })
  .partial({
    description: true,
    status: true,
    priority: true,
    dueDate: true,
    startDate: true,
    estimatedDuration: true,
    tags: true,
    parentId: true,
    projectId: true,
    recurrenceRule: true,
    recurrenceExceptions: true,
    calendarEventId: true,
    reminders: true,
  })
  .strict()
  .superRefine(startNotAfterDue);
export type TaskCreateInput = z.input<typeof taskCreateInput>;

export const taskPatch = z.object(taskFields).partial().strict().superRefine(startNotAfterDue);
export type TaskPatch = z.input<typeof taskPatch>;

/** Field rules of a project (see `taskFields`). */
export const projectFields = {
  name: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(PROJECT_NAME_MAX, `must be at most ${PROJECT_NAME_MAX} characters`),
  description,
  color: hexColor,
  isArchived: z.boolean({ error: 'must be true or false' }),
};

export const projectCreateInput = z
  .object({ id: id.optional(), ...projectFields })
  .partial({ description: true, color: true, isArchived: true })
  .strict();
export type ProjectCreateInput = z.input<typeof projectCreateInput>;
export const projectPatch = projectCreateInput.omit({ id: true }).partial().strict();
export type ProjectPatch = z.input<typeof projectPatch>;

/** Field rules of a tag (see `taskFields`). */
export const tagFields = { name: tagName, color: hexColor };

export const tagCreateInput = z.object(tagFields).partial({ color: true }).strict();
export type TagCreateInput = z.input<typeof tagCreateInput>;
export const tagPatch = tagCreateInput.partial().strict();
export type TagPatch = z.input<typeof tagPatch>;

/** Field rules of a time entry (see `taskFields`). */
export const entryFields = {
  taskId: id.nullable(),
  start: dateTime,
  end: dateTime,
  description,
};

export const timerStartInput = z
  .object({ taskId: entryFields.taskId, description })
  .partial()
  .strict();
export type TimerStartInput = z.input<typeof timerStartInput>;

function endAfterStart(
  value: { start?: string | undefined; end?: string | undefined },
  ctx: z.RefinementCtx,
): void {
  if (!value.start || !value.end) return;
  const seconds = (new Date(value.end).getTime() - new Date(value.start).getTime()) / 1000;
  if (seconds <= 0) ctx.addIssue({ code: 'custom', path: ['end'], message: 'must be after start' });
  else if (seconds > ENTRY_MAX_SECONDS)
    ctx.addIssue({ code: 'custom', path: ['end'], message: 'an entry may last at most 31 days' });
}

export const manualEntryInput = z
  .object(entryFields)
  .partial({ taskId: true, description: true })
  .strict()
  .superRefine(endAfterStart);
export type ManualEntryInput = z.input<typeof manualEntryInput>;

export const entryPatch = z.object(entryFields).partial().strict();
export type EntryPatch = z.input<typeof entryPatch>;

const timeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time HH:MM');
const workingRange = z
  .object({ start: timeOfDay, end: timeOfDay })
  .strict()
  .refine((range) => range.start < range.end, 'start must be before end');

function wholeNumberIn(unit: string, { min, max }: { min: number; max: number }) {
  return z
    .number({ error: `must be a number of ${unit}` })
    .int(`must be a whole number of ${unit}`)
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);
}

export const schedulingPatch = z
  .object({
    horizonDays: wholeNumberIn('days', SCHEDULING_LIMITS.horizonDays),
    minBlockMinutes: wholeNumberIn('minutes', SCHEDULING_LIMITS.minBlockMinutes),
    bufferMinutes: wholeNumberIn('minutes', SCHEDULING_LIMITS.bufferMinutes),
    dailyCapMinutes: wholeNumberIn('minutes', SCHEDULING_LIMITS.dailyCapMinutes).nullable(),
    blocksToCalendar: z.boolean({ error: 'must be true or false' }),
    blocksCalendarConnectionId: z
      .string({ error: 'must be the id of one of your calendar connections, or null' })
      .min(1, 'must not be empty')
      .max(MAX_CONNECTION_ID_LENGTH, `must be at most ${MAX_CONNECTION_ID_LENGTH} characters`)
      .nullable(),
  })
  .partial()
  .strict();

export const settingsPatch = z
  .object({
    timezone,
    weekStart: z.enum(WEEKDAYS, { error: `must be one of ${WEEKDAYS.join(', ')}` }),
    workingHours: z.partialRecord(z.enum(WEEKDAYS), z.array(workingRange).max(8)),
    calendarImport: z.enum(CALENDAR_IMPORT_MODES, {
      error: `must be one of ${CALENDAR_IMPORT_MODES.join(', ')}`,
    }),
    calendarImportKeyword: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(50, 'must be at most 50 characters'),
    scheduling: schedulingPatch,
    defaultReminderMinutes: z
      .number({ error: 'must be a number of minutes or null' })
      .int('must be a whole number of minutes')
      .min(0, 'must not be negative')
      .max(REMINDER_MINUTES_MAX, 'must be at most four weeks (40320)')
      .nullable(),
    allDayReminderTime: timeOfDay,
    notifyInApp: z.boolean({ error: 'must be true or false' }),
    notifyPush: z.boolean({ error: 'must be true or false' }),
    notifyEmail: z.boolean({ error: 'must be true or false' }),
    agendaTime: timeOfDay.nullable(),
    emailCalendarFailures: z.boolean({ error: 'must be true or false' }),
  })
  .partial()
  .strict();
export type SettingsPatch = z.input<typeof settingsPatch>;

export const inboxInput = z
  .object({
    id: id.optional(),
    kind: z.string().min(1).max(50),
    title: z.string().min(1).max(TITLE_MAX),
    body: z.string().max(DESCRIPTION_MAX).optional(),
    payload: z.unknown().optional(),
  })
  .strict();
export type InboxInput = z.input<typeof inboxInput>;

/** Field path of a zod issue, dotted (`workingHours.mon.0.start`). */
function fieldOf(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(body)' : path.map(String).join('.');
}

/** Validates `value` against `schema`; throws a ValidationError listing every bad field. */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const fields: FieldError[] = result.error.issues.map((issue) => {
    if (issue.code === 'unrecognized_keys') {
      return { field: issue.keys.join(', '), message: 'unknown field' };
    }
    return { field: fieldOf(issue.path), message: issue.message };
  });
  throw new ValidationError(fields);
}
