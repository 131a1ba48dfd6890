/**
 * Benchmark (not a test): the planner on the device (issue 15). 500 open tasks with estimates,
 * 200 busy events (a third recurring), 14 days: aim at most 50 ms. Prints the first plan (cold:
 * tasks read out of the document, luxon's zone data warmed), then the median and worst of
 * `BENCH_ROUNDS` more; "whole" is `planSchedule` on the document (reading tasks, blocks and
 * expanding the recurring events included), "placement" is `computeSchedule` on inputs read once.
 *
 *   pnpm --filter @tasks/crdt bench:schedule
 */
import { performance } from 'node:perf_hooks';
import {
  computeSchedule,
  getSettings,
  listCalendarEvents,
  planRange,
  planSchedule,
  readAllBlocks,
  readTasks,
} from '../src/index.js';
import { buildScheduleWorkload } from './schedule-workload.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const { docs, ctx } = buildScheduleWorkload();

function measure(fn: () => unknown): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

const first = measure(() => planSchedule(docs, ctx));
const whole: number[] = [];
for (let i = 0; i < ROUNDS; i += 1) whole.push(measure(() => planSchedule(docs, ctx)));

const range = planRange(docs, ctx);
const settings = getSettings(docs);
const input = {
  now: ctx.now(),
  range,
  timezone: settings.timezone,
  workingHours: settings.workingHours,
  scheduling: settings.scheduling,
  tasks: readTasks(docs),
  blocks: readAllBlocks(docs),
  events: listCalendarEvents(docs, range),
};
const placement: number[] = [];
for (let i = 0; i < ROUNDS; i += 1) placement.push(measure(() => computeSchedule(input)));

const plan = planSchedule(docs, ctx);
const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: (sorted[Math.floor(sorted.length / 2)] ?? 0).toFixed(1),
    worst: (sorted.at(-1) ?? 0).toFixed(1),
  };
};
console.log(
  `planner, 500 tasks / 200 events (${input.events.length} busy occurrences) / 14 days, Node ${process.version}`,
);
console.log(`  blocks ${plan.blocks.length}, unscheduled ${plan.unscheduled.length}`);
console.log(`  first plan (cold)   ${first.toFixed(1)} ms`);
console.log(
  `  whole plan          median ${stats(whole).median} ms, worst ${stats(whole).worst} ms`,
);
console.log(
  `  placement only      median ${stats(placement).median} ms, worst ${stats(placement).worst} ms`,
);
