import { listCalendarEvents } from '../calendar-events.js';
import type { DocContext } from '../context.js';
import { isDateOnly } from '../dates.js';
import { type FieldError, ValidationError } from '../errors.js';
import { getSettings } from '../settings.js';
import { readAllBlocks, writePlannedBlocks } from '../task-blocks.js';
import { readTasks } from '../tasks.js';
import type { UserDocs } from '../user-docs.js';
import { computeSchedule, type SchedulePlan } from './plan-schedule.js';
import { ZoneClock } from './working-time.js';

/** The longest plan one call computes (a REST request cannot make the server plan a year). */
export const MAX_PLAN_DAYS = 62;

export interface PlanRange {
  /** Default: now. */
  from?: Date;
  /** Default: the start of the day `horizonDays` after the plan's first day, in the user's zone. */
  to?: Date;
}

/** The range a plan covers: as given, else from now over the user's horizon. Validated. */
export function planRange(docs: UserDocs, ctx: DocContext, range: PlanRange = {}) {
  const settings = getSettings(docs);
  const from = range.from ?? ctx.now();
  let to = range.to;
  if (!to) {
    const clock = ZoneClock.of(settings.timezone);
    const firstDay = clock.dateOf(from.getTime());
    to = new Date(clock.startOfDate(ZoneClock.addDays(firstDay, settings.scheduling.horizonDays)));
  }
  const days = (to.getTime() - from.getTime()) / 86_400_000;
  if (!(days > 0)) throw new ValidationError([{ field: 'end', message: 'must be after start' }]);
  // An hour of slack: 62 local days across a change to winter time last 62 days and an hour.
  if (days > MAX_PLAN_DAYS + 1 / 24) {
    throw new ValidationError([
      { field: 'end', message: `a plan covers at most ${MAX_PLAN_DAYS} days` },
    ]);
  }
  return { from, to };
}

/** A plan of whole local days, as the REST API asks for one (`start_date`, `end_date`). */
export interface PlanDays {
  /** First day (`YYYY-MM-DD` in the user's zone); default today. */
  startDate?: string | undefined;
  /** Last day, included; default the last day of the user's horizon. */
  endDate?: string | undefined;
}

/**
 * The range of whole local days from `startDate` through `endDate` in the user's zone, or a
 * ValidationError naming the request's fields (`start_date`, `end_date`).
 */
export function planRangeOfDays(docs: UserDocs, ctx: DocContext, days: PlanDays): PlanRange {
  const settings = getSettings(docs);
  const clock = ZoneClock.of(settings.timezone);
  const format = 'must be a date written YYYY-MM-DD, such as 2026-03-23';
  const fields: FieldError[] = [];
  if (days.startDate !== undefined && !isDateOnly(days.startDate)) {
    fields.push({ field: 'start_date', message: format });
  }
  if (days.endDate !== undefined && !isDateOnly(days.endDate)) {
    fields.push({ field: 'end_date', message: format });
  }
  if (fields.length > 0) throw new ValidationError(fields);
  const first = days.startDate ?? clock.dateOf(ctx.now().getTime());
  const last = days.endDate ?? ZoneClock.addDays(first, settings.scheduling.horizonDays - 1);
  const count = (Date.parse(last) - Date.parse(first)) / 86_400_000 + 1;
  if (count < 1) fields.push({ field: 'end_date', message: 'must not be before start_date' });
  else if (count > MAX_PLAN_DAYS) {
    fields.push({ field: 'end_date', message: `a plan covers at most ${MAX_PLAN_DAYS} days` });
  }
  if (fields.length > 0) throw new ValidationError(fields);
  return {
    from: new Date(clock.startOfDate(first)),
    to: new Date(clock.endOfDate(last)),
  };
}

/**
 * The plan of the user's open tasks over a range (see `computeSchedule`), from the document as
 * it is: its tasks and blocks, the mirrored calendar events (recurring ones expanded), the
 * working hours, zone and scheduling settings, and the context's clock. Writes nothing.
 */
export function planSchedule(docs: UserDocs, ctx: DocContext, range: PlanRange = {}): SchedulePlan {
  const { from, to } = planRange(docs, ctx, range);
  const settings = getSettings(docs);
  const now = ctx.now();
  return computeSchedule({
    now,
    range: { from, to },
    timezone: settings.timezone,
    workingHours: settings.workingHours,
    scheduling: settings.scheduling,
    tasks: readTasks(docs),
    blocks: readAllBlocks(docs),
    events: listCalendarEvents(docs, { from, to }),
  });
}

/**
 * Stores a plan's blocks on their tasks (see `writePlannedBlocks`) and returns the plan with the
 * ids the new blocks got. Pinned blocks and work already past stay as they are.
 */
export function applySchedule(docs: UserDocs, ctx: DocContext, plan: SchedulePlan): SchedulePlan {
  const blocks = plan.blocks.map((block) =>
    block.status === 'new' ? { ...block, id: ctx.newId() } : block,
  );
  writePlannedBlocks(docs, { range: plan.range, blocks }, ctx.now(), ctx);
  return { ...plan, blocks };
}

/** Plans and stores the plan in one transaction: "Plan my week", "Re-plan", `apply: true`. */
export function planAndApplySchedule(
  docs: UserDocs,
  ctx: DocContext,
  range: PlanRange = {},
): SchedulePlan {
  return docs.main.transact(() => applySchedule(docs, ctx, planSchedule(docs, ctx, range)));
}
