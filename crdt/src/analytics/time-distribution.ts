import { type FieldError, ValidationError } from '../errors.js';
import { listProjects } from '../projects.js';
import {
  PRIORITIES,
  type Priority,
  type Project,
  type Settings,
  type Tag,
  type Task,
  type TimeEntry,
} from '../schema.js';
import { getSettings } from '../settings.js';
import { listTags } from '../tags.js';
import { readTasks } from '../tasks.js';
import { listTimeEntries } from '../time-entries.js';
import type { UserDocs } from '../user-docs.js';
import { compareCodePoints } from './dashboard.js';
import {
  daysBetween,
  entryPieces,
  type IsoDate,
  isIsoDate,
  type LocalDay,
  localDays,
  nowSeconds,
  timezoneError,
} from './local-days.js';

/**
 * Where tracked time went, for `GET /api/v1/analytics/time-distribution` (spec 5.4). Field names
 * are the spec's snake_case: this is the response body.
 */

/** Longest range accepted, in days (a leap year). */
export const MAX_DISTRIBUTION_DAYS = 366;
export const NO_PROJECT_NAME = 'No project';

export const DAYS_OF_WEEK = [
  'MONDAY',
  'TUESDAY',
  'WEDNESDAY',
  'THURSDAY',
  'FRIDAY',
  'SATURDAY',
  'SUNDAY',
] as const;
export type DayOfWeek = (typeof DAYS_OF_WEEK)[number];

export interface ProjectTime {
  /** Null for time on tasks without a project and on entries without a task. */
  project_id: string | null;
  project_name: string;
  time: number;
  percentage: number;
}

export interface TagTime {
  /** The tag's display name. */
  tag: string;
  time: number;
  percentage: number;
}

export interface PriorityTime {
  /** Null for time on entries without a task. */
  priority: Priority | null;
  time: number;
  percentage: number;
}

export interface DayOfWeekTime {
  day: DayOfWeek;
  time: number;
  percentage: number;
}

/**
 * Tracked seconds from local midnight of `start_date` to local midnight after `end_date` (both
 * dates included), entries clipped to that range, a running entry counting up to `now`.
 * `percentage` is time / total_time × 100 with one decimal (0 when total_time is 0).
 *
 * - `by_project`: buckets with time, by time desc; tasks without a project (or whose project is
 *   gone) and entries without a task share the `project_id: null`, "No project" bucket.
 * - `by_tag`: a task's time counts toward each of its tags, so percentages may add up past 100;
 *   untagged time is not listed. By time desc, then name.
 * - `by_priority`: LOW, MEDIUM, HIGH, URGENT always, then `priority: null` for time on entries
 *   without a task when there is any.
 * - `by_day_of_week`: Monday..Sunday, by the local weekday of each second (split at midnights).
 *
 * A task in the trash still owns its entries' time (the time was spent); an entry whose task no
 * longer exists counts as having no task.
 */
export interface TimeDistribution {
  start_date: IsoDate;
  end_date: IsoDate;
  total_time: number;
  by_project: ProjectTime[];
  by_tag: TagTime[];
  by_priority: PriorityTime[];
  by_day_of_week: DayOfWeekTime[];
}

export interface TimeDistributionRecords {
  /** Tasks, including those in the trash. */
  tasks: readonly Task[];
  /** Entries overlapping the range; others are ignored. */
  entries: readonly TimeEntry[];
  projects: readonly Project[];
  tags: readonly Tag[];
  settings: Settings;
}

export interface TimeDistributionOptions {
  /** First day, `YYYY-MM-DD`, local. */
  startDate: string;
  /** Last day (included), `YYYY-MM-DD`, local. */
  endDate: string;
  /** IANA zone; the user's settings' zone when absent. */
  timezone?: string | undefined;
  now: Date;
}

interface CheckedRange {
  zone: string;
  days: readonly LocalDay[];
  /** Epoch seconds, `[start, end)`. */
  start: number;
  end: number;
}

function dateErrors(startDate: string, endDate: string): FieldError[] {
  const format = 'must be a date written YYYY-MM-DD, such as 2025-10-01';
  const fields: FieldError[] = [];
  if (!isIsoDate(startDate)) fields.push({ field: 'start_date', message: format });
  if (!isIsoDate(endDate)) fields.push({ field: 'end_date', message: format });
  if (fields.length > 0) return fields;
  const days = daysBetween(startDate, endDate) + 1;
  if (days < 1) fields.push({ field: 'end_date', message: 'must not be before start_date' });
  else if (days > MAX_DISTRIBUTION_DAYS) {
    fields.push({
      field: 'end_date',
      message: `the range may cover at most ${MAX_DISTRIBUTION_DAYS} days`,
    });
  }
  return fields;
}

/** Validated dates and zone as a range of epoch seconds, or a ValidationError naming every bad field. */
function checkRange(options: TimeDistributionOptions, defaultZone: string): CheckedRange {
  const zone = options.timezone ?? defaultZone;
  const fields = dateErrors(options.startDate, options.endDate);
  const zoneProblem = timezoneError(zone);
  if (zoneProblem) fields.push(zoneProblem);
  if (fields.length > 0) throw new ValidationError(fields);
  const days = localDays(options.startDate, options.endDate, zone);
  const start = days[0]?.start ?? 0;
  return { zone, days, start, end: days.at(-1)?.end ?? start };
}

/**
 * Reads the document and computes the distribution. The month documents of the range (and the
 * month before it, see `monthsForRange`) must be loaded first.
 */
export function computeTimeDistribution(
  docs: UserDocs,
  options: TimeDistributionOptions,
): TimeDistribution {
  const settings = getSettings(docs);
  const range = checkRange(options, settings.timezone);
  const records: TimeDistributionRecords = {
    tasks: readTasks(docs, { includeDeleted: true }),
    entries: listTimeEntries(docs, {
      from: new Date(range.start * 1000),
      to: new Date(range.end * 1000),
    }),
    projects: listProjects(docs),
    tags: listTags(docs),
    settings,
  };
  return timeDistributionFromRecords(records, { ...options, timezone: range.zone });
}

/** Seconds per bucket key, in first-seen order. */
class Totals<K> {
  readonly seconds = new Map<K, number>();
  add(key: K, seconds: number): void {
    this.seconds.set(key, (this.seconds.get(key) ?? 0) + seconds);
  }
  get(key: K): number {
    return this.seconds.get(key) ?? 0;
  }
}

/** The distribution from plain records (see `TimeDistribution` for the definitions). */
export function timeDistributionFromRecords(
  records: TimeDistributionRecords,
  options: TimeDistributionOptions,
): TimeDistribution {
  const range = checkRange(options, records.settings.timezone);
  const now = nowSeconds(options.now);
  const taskById = new Map(records.tasks.map((task) => [task.id, task]));
  const projectById = new Map(records.projects.map((project) => [project.id, project]));
  const byProject = new Totals<string | null>();
  const byTag = new Totals<string>();
  const byPriority = new Totals<Priority | null>();
  const byWeekday = new Totals<number>();
  let total = 0;
  for (const entry of records.entries) {
    let seconds = 0;
    for (const piece of entryPieces(entry, range.days, now)) {
      byWeekday.add(piece.weekday, piece.seconds);
      seconds += piece.seconds;
    }
    if (seconds === 0) continue;
    total += seconds;
    const task = entry.taskId === null ? undefined : taskById.get(entry.taskId);
    const projectId = task?.projectId ?? null;
    byProject.add(projectId !== null && projectById.has(projectId) ? projectId : null, seconds);
    byPriority.add(task?.priority ?? null, seconds);
    for (const key of task?.tags ?? []) byTag.add(key, seconds);
  }

  const share = (time: number) => (total === 0 ? 0 : Math.round((time / total) * 1000) / 10);
  const tagNames = new Map(records.tags.map((tag) => [tag.key, tag.name]));
  const priorities: (Priority | null)[] = [...PRIORITIES];
  if (byPriority.get(null) > 0) priorities.push(null);
  return {
    start_date: options.startDate,
    end_date: options.endDate,
    total_time: total,
    by_project: [...byProject.seconds.entries()]
      .map(([id, time]) => ({
        project_id: id,
        project_name:
          id === null ? NO_PROJECT_NAME : (projectById.get(id)?.name ?? NO_PROJECT_NAME),
        time,
        percentage: share(time),
      }))
      .sort(
        (a, b) =>
          b.time - a.time ||
          compareCodePoints(a.project_name, b.project_name) ||
          compareCodePoints(a.project_id ?? '', b.project_id ?? ''),
      ),
    by_tag: [...byTag.seconds.entries()]
      .map(([key, time]) => ({ tag: tagNames.get(key) ?? key, time, percentage: share(time) }))
      .sort((a, b) => b.time - a.time || compareCodePoints(a.tag, b.tag)),
    by_priority: priorities.map((priority) => {
      const time = byPriority.get(priority);
      return { priority, time, percentage: share(time) };
    }),
    by_day_of_week: DAYS_OF_WEEK.map((day, index) => {
      const time = byWeekday.get(index + 1);
      return { day, time, percentage: share(time) };
    }),
  };
}
