import { type FieldError, ValidationError } from '../errors.js';
import { type Settings, type Tag, type Task, type TimeEntry, WEEKDAYS } from '../schema.js';
import { getSettings } from '../settings.js';
import { listTags } from '../tags.js';
import { readTasks } from '../tasks.js';
import { listTimeEntries } from '../time-entries.js';
import type { UserDocs } from '../user-docs.js';
import {
  addDays,
  dayIndexAt,
  entryPieces,
  type IsoDate,
  type LocalDay,
  localDateOf,
  localDays,
  nowSeconds,
  timezoneError,
  toEpochSeconds,
  wallClockSeconds,
} from './local-days.js';

/**
 * The productivity dashboard of `GET /api/v1/analytics/dashboard` (spec 5.4), computed from the
 * user document. Field names are the spec's snake_case: this is the response body.
 */

export const DASHBOARD_PERIODS = ['7d', '30d', '90d'] as const;
export type DashboardPeriod = (typeof DASHBOARD_PERIODS)[number];

const PERIOD_DAYS: Record<DashboardPeriod, number> = { '7d': 7, '30d': 30, '90d': 90 };
const TOP_TAGS = 5;

export function isDashboardPeriod(value: unknown): value is DashboardPeriod {
  return typeof value === 'string' && (DASHBOARD_PERIODS as readonly string[]).includes(value);
}

export interface DailyBreakdown {
  /** Local date, `YYYY-MM-DD`. */
  date: IsoDate;
  tasks_completed: number;
  tasks_created: number;
  /** Seconds tracked during this local day. */
  time_tracked: number;
}

export interface TopTag {
  /** The tag's display name. */
  tag: string;
  /** Seconds tracked in the period on tasks carrying the tag. */
  time: number;
  /** Distinct tasks carrying the tag completed in the period or with time tracked in it. */
  tasks: number;
}

/**
 * The dashboard. Definitions (the period is N = 7, 30 or 90 local days in the user's time zone,
 * from local midnight of today - (N-1) days through `now`; an instant at exactly `now` is in it):
 *
 * - `tasks_created`: tasks not in the trash whose `createdAt` is in the period.
 * - `tasks_completed`: tasks not in the trash with status COMPLETED and `completedAt` in the period.
 * - `completion_rate`: tasks_completed / tasks_created × 100, one decimal, at most 100 (a task
 *   created before the period can be completed in it), 0 when nothing was created.
 * - `total_time_tracked`: seconds of time entries inside the period: entries are clipped to it
 *   and a running entry counts up to `now`.
 * - `avg_task_duration`: floor(total_time_tracked / tasks_completed), 0 when none completed.
 * - `productivity_score`: integer 0..100, round(100 × (0.5 × completion_rate / 100 + 0.3 ×
 *   activeDays / N + 0.2 × min(1, total_time_tracked / workingSeconds))). activeDays counts the
 *   local days with a completion or any tracked time; workingSeconds sums the user's working
 *   hours over the period's local days (real elapsed time, so DST days count right), and the
 *   focus term is 0 when there are none.
 * - `top_tags`: up to 5 tags with tracked time or counted tasks, by time desc, tasks desc, name.
 * - `daily_breakdown`: one item per local day, oldest first, time split at local midnights.
 *
 * Time spent on a task that is now in the trash still counts toward its tags: the time was spent.
 */
export interface Dashboard {
  period: DashboardPeriod;
  tasks_completed: number;
  tasks_created: number;
  completion_rate: number;
  total_time_tracked: number;
  avg_task_duration: number;
  productivity_score: number;
  top_tags: TopTag[];
  daily_breakdown: DailyBreakdown[];
}

/** Plain records the dashboard is computed from (what the document reads return). */
export interface DashboardRecords {
  /** Tasks, including those in the trash (they are left out of the counts, not of tag time). */
  tasks: readonly Task[];
  /** Entries overlapping the period; others are ignored. */
  entries: readonly TimeEntry[];
  tags: readonly Tag[];
  settings: Settings;
}

export interface DashboardOptions {
  period: DashboardPeriod;
  /** IANA zone; the user's settings' zone when absent. */
  timezone?: string | undefined;
  now: Date;
}

/**
 * The period as local days and epoch seconds: time counts in `[start, end)`, `end` being `now`
 * (the last day stops there); an event stamped exactly `now` is in the period.
 */
export interface DashboardWindow {
  days: readonly LocalDay[];
  start: number;
  end: number;
}

export function dashboardWindow(period: DashboardPeriod, zone: string, now: Date): DashboardWindow {
  const end = nowSeconds(now);
  const today = localDateOf(end, zone);
  const days = localDays(addDays(today, 1 - PERIOD_DAYS[period]), today, zone);
  return { days, start: days[0]?.start ?? end, end };
}

/** Validated period and zone, or a ValidationError naming every bad field. */
function checkOptions(options: DashboardOptions, defaultZone: string): string {
  const zone = options.timezone ?? defaultZone;
  const fields: FieldError[] = [];
  if (!isDashboardPeriod(options.period)) {
    fields.push({ field: 'period', message: `must be one of ${DASHBOARD_PERIODS.join(', ')}` });
  }
  const zoneProblem = timezoneError(zone);
  if (zoneProblem) fields.push(zoneProblem);
  if (fields.length > 0) throw new ValidationError(fields);
  return zone;
}

/**
 * Reads the document and computes the dashboard. The month documents of the period (and the
 * month before it, see `monthsForRange`) must be loaded first.
 */
export function computeDashboard(docs: UserDocs, options: DashboardOptions): Dashboard {
  const settings = getSettings(docs);
  const zone = checkOptions(options, settings.timezone);
  const window = dashboardWindow(options.period, zone, options.now);
  const records: DashboardRecords = {
    // Trashed tasks too: their entries' time still belongs to their tags.
    tasks: readTasks(docs, { includeDeleted: true }),
    entries: listTimeEntries(docs, { from: new Date(window.start * 1000), to: options.now }),
    tags: listTags(docs),
    settings,
  };
  return dashboardFromRecords(records, { ...options, timezone: zone });
}

interface TagTotals {
  time: number;
  tasks: Set<string>;
}

/** Running totals while the records are read: per day, per tag, and overall. */
class Tally {
  readonly daily: DailyBreakdown[];
  readonly byDate: ReadonlyMap<IsoDate, DailyBreakdown>;
  readonly tags = new Map<string, TagTotals>();
  time = 0;

  constructor(readonly window: DashboardWindow) {
    this.daily = window.days.map((day) => ({
      date: day.date,
      tasks_completed: 0,
      tasks_created: 0,
      time_tracked: 0,
    }));
    this.byDate = new Map(this.daily.map((day) => [day.date, day]));
  }

  /** The day of an instant of the period (`now` included), or undefined outside it. */
  dayAt(instant: string | null): DailyBreakdown | undefined {
    if (instant === null) return undefined;
    const seconds = toEpochSeconds(instant);
    // The last day runs to the next midnight: instants after `now` must be cut here.
    if (seconds > this.window.end) return undefined;
    const index = dayIndexAt(this.window.days, seconds);
    return index < 0 ? undefined : this.daily[index];
  }

  tag(key: string): TagTotals {
    let totals = this.tags.get(key);
    if (!totals) {
      totals = { time: 0, tasks: new Set() };
      this.tags.set(key, totals);
    }
    return totals;
  }
}

/** Tasks created and completed in the period (trashed tasks left out), counted per day. */
function countTasks(tasks: readonly Task[], tally: Tally): { created: number; completed: Task[] } {
  let created = 0;
  const completed: Task[] = [];
  for (const task of tasks) {
    if (task.deletedAt !== null) continue;
    const createdOn = tally.dayAt(task.createdAt);
    if (createdOn) {
      createdOn.tasks_created += 1;
      created += 1;
    }
    const completedOn = task.status === 'COMPLETED' ? tally.dayAt(task.completedAt) : undefined;
    if (completedOn) {
      completedOn.tasks_completed += 1;
      completed.push(task);
    }
  }
  return { created, completed };
}

/** Tracked time per day and per tag of the entry's task (trashed tasks included). */
function trackTime(entries: readonly TimeEntry[], tasks: readonly Task[], tally: Tally): void {
  const taskById = new Map(tasks.map((task) => [task.id, task]));
  const { days, end } = tally.window;
  for (const entry of entries) {
    let seconds = 0;
    for (const piece of entryPieces(entry, days, end, end)) {
      const day = tally.byDate.get(piece.date);
      if (day) day.time_tracked += piece.seconds;
      seconds += piece.seconds;
    }
    tally.time += seconds;
    const task = entry.taskId === null ? undefined : taskById.get(entry.taskId);
    if (!task || seconds === 0) continue;
    for (const key of task.tags) {
      const totals = tally.tag(key);
      totals.time += seconds;
      totals.tasks.add(task.id);
    }
  }
}

/** The dashboard from plain records (see `Dashboard` for the definitions). */
export function dashboardFromRecords(
  records: DashboardRecords,
  options: DashboardOptions,
): Dashboard {
  const zone = checkOptions(options, records.settings.timezone);
  const window = dashboardWindow(options.period, zone, options.now);
  const tally = new Tally(window);
  const { created, completed } = countTasks(records.tasks, tally);
  trackTime(records.entries, records.tasks, tally);
  for (const task of completed) {
    for (const key of task.tags) tally.tag(key).tasks.add(task.id);
  }
  const completionRate = rateOf(completed.length, created);
  const activeDays = tally.daily.filter((day) => day.tasks_completed > 0 || day.time_tracked > 0);
  return {
    period: options.period,
    tasks_completed: completed.length,
    tasks_created: created,
    completion_rate: completionRate,
    total_time_tracked: tally.time,
    avg_task_duration: completed.length === 0 ? 0 : Math.floor(tally.time / completed.length),
    productivity_score: productivityScore({
      completionRate,
      activeDays: activeDays.length,
      days: window.days.length,
      trackedSeconds: tally.time,
      workingSeconds: workingSeconds(window.days, records.settings, zone),
    }),
    top_tags: topTags(tally.tags, records.tags),
    daily_breakdown: tally.daily,
  };
}

/** completed / created as a percentage, one decimal, capped at 100; 0 when nothing was created. */
function rateOf(completed: number, created: number): number {
  if (created === 0) return 0;
  return Math.min(100, Math.round((completed / created) * 1000) / 10);
}

/** Seconds of working hours over the given local days, per the weekday's ranges. */
export function workingSeconds(
  days: readonly LocalDay[],
  settings: Settings,
  zone: string,
): number {
  let total = 0;
  for (const day of days) {
    const weekday = WEEKDAYS[day.weekday - 1];
    const ranges = weekday === undefined ? [] : settings.workingHours[weekday];
    for (const range of ranges) total += wallClockSeconds(day.date, range.start, range.end, zone);
  }
  return total;
}

export interface ScoreInputs {
  /** Percentage, 0..100. */
  completionRate: number;
  activeDays: number;
  days: number;
  trackedSeconds: number;
  workingSeconds: number;
}

/** The productivity score (see `Dashboard`): an integer 0..100. */
export function productivityScore(inputs: ScoreInputs): number {
  const completion = Math.min(inputs.completionRate, 100) / 100;
  const activity = inputs.days === 0 ? 0 : inputs.activeDays / inputs.days;
  const focus =
    inputs.workingSeconds > 0 ? Math.min(1, inputs.trackedSeconds / inputs.workingSeconds) : 0;
  const score = Math.round(100 * (0.5 * completion + 0.3 * activity + 0.2 * focus));
  return Math.max(0, Math.min(100, score));
}

function topTags(totals: ReadonlyMap<string, TagTotals>, tags: readonly Tag[]): TopTag[] {
  const names = new Map(tags.map((tag) => [tag.key, tag.name]));
  return [...totals.entries()]
    .map(([key, { time, tasks }]) => ({ tag: names.get(key) ?? key, time, tasks: tasks.size }))
    .filter((tag) => tag.time > 0 || tag.tasks > 0)
    .sort((a, b) => b.time - a.time || b.tasks - a.tasks || compareCodePoints(a.tag, b.tag))
    .slice(0, TOP_TAGS);
}

/** Locale-independent order, so every server and device sorts ties the same way. */
export function compareCodePoints(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
