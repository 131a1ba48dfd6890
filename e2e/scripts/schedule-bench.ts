/**
 * Benchmark (not a test): the planner in Chromium (issue 15), on the same document as the Node
 * benchmark (`pnpm --filter @tasks/crdt bench:schedule`): 500 open tasks with estimates, 200 busy
 * events (a third recurring), 14 days. Aim: at most 50 ms. The crdt and the workload are bundled
 * for the browser (esbuild, as the app's bundle would hold them) and run in Debian's Chromium.
 *
 * `BENCH_WARM=1` runs `warmPlanner` first, as the app does at an idle moment after start-up.
 *
 *   cd e2e && node --import tsx scripts/schedule-bench.ts        (BENCH_ROUNDS, default 30)
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const WARM = process.env.BENCH_WARM === '1';

const entry = `
import { computeSchedule, getSettings, listCalendarEvents, planRange, planSchedule, readAllBlocks, readTasks, warmPlanner } from './src/index.ts';
import { buildScheduleWorkload, WORKLOAD_NOW } from './bench/schedule-workload.ts';
globalThis.runScheduleBench = (rounds, warmFirst) => {
  const { docs, ctx } = buildScheduleWorkload();
  const time = (fn) => { const start = performance.now(); fn(); return performance.now() - start; };
  const warm = warmFirst ? time(() => warmPlanner({ now: WORKLOAD_NOW, timezone: 'Europe/Berlin' })) : null;
  const first = time(() => planSchedule(docs, ctx));
  const whole = [];
  for (let i = 0; i < rounds; i += 1) whole.push(time(() => planSchedule(docs, ctx)));
  const range = planRange(docs, ctx);
  const settings = getSettings(docs);
  const input = { now: ctx.now(), range, timezone: settings.timezone, workingHours: settings.workingHours,
    scheduling: settings.scheduling, tasks: readTasks(docs), blocks: readAllBlocks(docs),
    events: listCalendarEvents(docs, range) };
  const placement = [];
  for (let i = 0; i < rounds; i += 1) placement.push(time(() => computeSchedule(input)));
  const plan = planSchedule(docs, ctx);
  return { warm, first, whole, placement, blocks: plan.blocks.length, unscheduled: plan.unscheduled.length,
    occurrences: input.events.length };
};
`;

const bundle = await build({
  stdin: { contents: entry, resolveDir: path.join(ROOT, 'crdt'), loader: 'ts' },
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: 'es2022',
  conditions: ['source'],
  write: false,
  minify: true,
});
const script = bundle.outputFiles[0]?.text ?? '';

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run'],
});
try {
  const page = await browser.newPage({ timezoneId: 'UTC' });
  await page.setContent('<!doctype html><title>planner benchmark</title>');
  await page.addScriptTag({ content: script });
  const result = await page.evaluate(
    ([rounds, warmFirst]) =>
      (
        globalThis as unknown as {
          runScheduleBench: (
            n: number,
            warmFirst: boolean,
          ) => {
            warm: number | null;
            first: number;
            whole: number[];
            placement: number[];
            blocks: number;
            unscheduled: number;
            occurrences: number;
          };
        }
      ).runScheduleBench(rounds, warmFirst),
    [ROUNDS, WARM] as const,
  );
  const stats = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return `median ${(sorted[Math.floor(sorted.length / 2)] ?? 0).toFixed(1)} ms, worst ${(sorted.at(-1) ?? 0).toFixed(1)} ms`;
  };
  console.log(
    `planner, 500 tasks / 200 events (${result.occurrences} busy occurrences) / 14 days, Chromium ${browser.version()}`,
  );
  console.log(`  blocks ${result.blocks}, unscheduled ${result.unscheduled}`);
  if (result.warm === null) console.log(`  first plan (cold)   ${result.first.toFixed(1)} ms`);
  else {
    console.log(`  warm-up (idle)      ${result.warm.toFixed(1)} ms`);
    console.log(`  first plan (warmed) ${result.first.toFixed(1)} ms`);
  }
  console.log(`  whole plan          ${stats(result.whole)}`);
  console.log(`  placement only      ${stats(result.placement)}`);
} finally {
  await browser.close();
}
