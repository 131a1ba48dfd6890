/**
 * Benchmark (not a test): the planner on the device (issue 15). 500 open tasks with estimates,
 * 200 busy events (a third recurring), 14 days: aim at most 50 ms. Prints the first plan (cold:
 * tasks read out of the document, luxon's zone data warmed), then the median and worst of
 * `BENCH_ROUNDS` more; "whole" is `planSchedule` on the document (reading tasks, blocks and
 * expanding the recurring events included), "placement" is `computeSchedule` on inputs read once.
 * `BENCH_WARM=1` first runs `warmPlanner` (as the app does at an idle moment after start-up)
 * and prints what it took; the first plan is then the user's first click.
 *
 *   pnpm --filter @tasks/crdt bench:schedule
 */
import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import {
  computeSchedule,
  getSettings,
  listCalendarEvents,
  planRange,
  planSchedule,
  readAllBlocks,
  readTasks,
  warmPlanner,
} from '../src/index.js';
import { buildScheduleWorkload, WORKLOAD_NOW } from './schedule-workload.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const WARM = process.env.BENCH_WARM === '1';
const { docs, ctx } = buildScheduleWorkload();

function measure(fn: () => unknown): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}

/**
 * Milliseconds the main thread has run on a CPU (Linux's schedstat), or null elsewhere: on a
 * shared, loaded machine the wall time of one cold plan varies threefold with the load, its
 * CPU time hardly at all.
 */
const SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`;
function mainThreadCpu(): number | null {
  if (!existsSync(SCHEDSTAT)) return null;
  return Number(readFileSync(SCHEDSTAT, 'utf8').split(' ')[0]) / 1e6;
}

const warm = WARM
  ? measure(() => warmPlanner({ now: WORKLOAD_NOW, timezone: 'Europe/Berlin' }))
  : null;
const cpuBefore = mainThreadCpu();
const first = measure(() => planSchedule(docs, ctx));
const cpuAfter = mainThreadCpu();
const firstCpu =
  cpuBefore === null || cpuAfter === null
    ? ''
    : ` (main thread on CPU ${(cpuAfter - cpuBefore).toFixed(1)} ms)`;
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
if (warm === null) console.log(`  first plan (cold)   ${first.toFixed(1)} ms${firstCpu}`);
else {
  console.log(`  warm-up (idle)      ${warm.toFixed(1)} ms`);
  console.log(`  first plan (warmed) ${first.toFixed(1)} ms${firstCpu}`);
}
console.log(
  `  whole plan          median ${stats(whole).median} ms, worst ${stats(whole).worst} ms`,
);
console.log(
  `  placement only      median ${stats(placement).median} ms, worst ${stats(placement).worst} ms`,
);
