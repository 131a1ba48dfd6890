/**
 * The planner benchmark's user (issue 15): 500 open tasks with estimates (15 min to 4 h),
 * deadlines and priorities, and 200 mirrored calendar events (15 min to 1 h, between 06:00 and
 * 22:00) of which a third recur (weekly, a fifth of them every weekday, in the user's zone), over
 * a two-week plan in Europe/Berlin: far more work than free time, as a long backlog has. Seeded,
 * so every run (Node, Chromium) plans the same document (see `buildPlannerSample`).
 */
import { buildPlannerSample } from '../src/index.js';

export const WORKLOAD_NOW = new Date('2026-03-23T06:30:00Z');

export function buildScheduleWorkload(options: { tasks?: number; events?: number } = {}) {
  return buildPlannerSample({
    now: WORKLOAD_NOW,
    timezone: 'Europe/Berlin',
    tasks: options.tasks ?? 500,
    events: options.events ?? 200,
  });
}
