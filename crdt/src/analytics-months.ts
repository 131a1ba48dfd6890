import {
  addDays,
  type DashboardOptions,
  dashboardWindow,
  daysBetween,
  isDashboardPeriod,
  isIsoDate,
  localDayStart,
  MAX_DISTRIBUTION_DAYS,
  type TimeDistributionOptions,
} from './analytics/index.js';
import { isValidTimezone } from './dates.js';
import { getTimezone } from './settings.js';
import { monthsForRange } from './time-entries.js';
import type { UserDocs } from './user-docs.js';

/**
 * The month documents the analytics read, for replicas that load months on demand (the server):
 * load these, then compute. Both depend on the user's time zone, so the main document comes first.
 */

/** The month documents `computeDashboard` reads with these options. */
export function dashboardMonths(docs: UserDocs, options: DashboardOptions): string[] {
  const zone = options.timezone ?? getTimezone(docs);
  // Options computeDashboard refuses: it reads no month before saying so.
  if (!isDashboardPeriod(options.period) || !isValidTimezone(zone)) return [];
  const window = dashboardWindow(options.period, zone, options.now);
  return monthsForRange(new Date(window.start * 1000), options.now);
}

/**
 * The month documents `computeTimeDistribution` reads with these options: none for a range it
 * refuses, so a request for ten years loads nothing before its 422.
 */
export function timeDistributionMonths(docs: UserDocs, options: TimeDistributionOptions): string[] {
  const { startDate, endDate } = options;
  const zone = options.timezone ?? getTimezone(docs);
  if (!isIsoDate(startDate) || !isIsoDate(endDate) || !isValidTimezone(zone)) return [];
  const days = daysBetween(startDate, endDate);
  if (days < 0 || days >= MAX_DISTRIBUTION_DAYS) return [];
  const from = localDayStart(startDate, zone);
  const to = localDayStart(addDays(endDate, 1), zone);
  return monthsForRange(new Date(from * 1000), new Date(to * 1000));
}
