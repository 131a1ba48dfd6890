/**
 * Benchmark (not a test): what one large user costs. Builds, through the real crdt operations,
 * a user with 10,000 tasks in the main document and 100,000 time entries spread over 36 month
 * documents (DESIGN.md "Size"), then measures encoded size, encode and load times, the 30-day
 * dashboard on the loaded documents, and the memory the loaded documents hold.
 *
 *   pnpm run bench                                   (full size, a few minutes at most)
 *   BENCH_TASKS=2000 BENCH_ENTRIES=10000 pnpm run bench   (scaled down)
 *
 * Run with `node --expose-gc` (the package script does): memory is measured after a forced gc.
 * Everything random is seeded, so two runs build the same documents.
 */
import { performance } from 'node:perf_hooks';
import * as Y from 'yjs';
import { computeDashboard } from '../src/analytics/index.js';
import {
  buildSampleUser,
  listTasks,
  listTimeEntries,
  monthsForRange,
  type SampleUser,
  UserDocs,
} from '../src/index.js';

const TASKS = Number(process.env.BENCH_TASKS ?? 10_000);
const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 100_000);
const MONTHS = 36;
const USER_ID = 'bench-user';
/** "Now" of the benchmark: the end of the 36 months of history. */
const END = Date.parse('2025-12-31T18:00:00Z');
const START = Date.UTC(2023, 0, 1);
const DAY = 86_400_000;

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) console.warn('no global gc: run with node --expose-gc for meaningful memory figures');

// ---------------------------------------------------------------------------------------------
// Measuring.

function time<T>(fn: () => T): { value: T; ms: number } {
  const started = performance.now();
  const value = fn();
  return { value, ms: performance.now() - started };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function collect(): { heapUsed: number; rss: number } {
  gc?.();
  gc?.();
  const { heapUsed, rss } = process.memoryUsage();
  return { heapUsed, rss };
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;
const ms = (millis: number) =>
  millis >= 1000 ? `${(millis / 1000).toFixed(2)} s` : `${millis.toFixed(1)} ms`;

const rows: [string, string, string][] = [];
const row = (measure: string, value: string, note = '') => rows.push([measure, value, note]);

function printTable(): void {
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: [string, string, string]) =>
    `| ${cells[0].padEnd(widths[0] as number)} | ${cells[1].padStart(widths[1] as number)} | ${cells[2].padEnd(widths[2] as number)} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  console.log(line(['measure', 'value', 'note']));
  console.log(rule);
  for (const r of rows) console.log(line(r));
}

// ---------------------------------------------------------------------------------------------
// Building the user through the crdt's operations (crdt's sample user).

function build(): SampleUser {
  return buildSampleUser({
    userId: USER_ID,
    tasks: TASKS,
    entries: ENTRIES,
    start: START,
    end: END,
  });
}

// ---------------------------------------------------------------------------------------------

interface Encoded {
  mainUpdate: Uint8Array;
  monthUpdates: { key: string; update: Uint8Array }[];
  sizes: number[];
  taskCount: number;
}

/** Builds the user, reports build and encode figures, and keeps only the encoded updates. */
function buildAndEncode(): Encoded {
  const baseline = collect();
  const buildTimed = time(build);
  const built = buildTimed.value;
  const monthKeys = built.docs.loadedMonths();
  const allTasks = listTasks(built.docs, { includeDeleted: true });
  const completed = allTasks.filter((task) => task.status === 'COMPLETED').length;
  const trashed = allTasks.filter((task) => task.deletedAt !== null).length;
  row('build: total', ms(buildTimed.ms), `${allTasks.length} tasks, ${monthKeys.length} months`);
  row(
    'build: tasks (create + edits)',
    ms(built.tasksMs),
    `${completed} completed, ${trashed} in the trash`,
  );
  row('build: time entries', ms(built.entriesMs), `${ENTRIES} entries via addManualEntry`);
  const builtMemory = collect();
  row(
    'memory: heap while built',
    mb(builtMemory.heapUsed - baseline.heapUsed),
    'heapUsed above start, after gc',
  );

  const mainEncoded = time(() => Y.encodeStateAsUpdate(built.docs.main));
  const monthsEncoded = time(() =>
    monthKeys.map((key) => ({ key, update: Y.encodeStateAsUpdate(built.docs.month(key)) })),
  );
  const mainUpdate = mainEncoded.value;
  const monthUpdates = monthsEncoded.value;
  const monthBytes = monthUpdates.reduce((sum, m) => sum + m.update.byteLength, 0);
  const sizes = monthUpdates.map((m) => m.update.byteLength).sort((a, b) => a - b);
  row('size: main document', mb(mainUpdate.byteLength), 'Y.encodeStateAsUpdate');
  row(
    `size: all ${monthUpdates.length} month documents`,
    mb(monthBytes),
    `median ${mb(median(sizes))}, max ${mb(sizes.at(-1) ?? 0)}`,
  );
  row('size: total', mb(mainUpdate.byteLength + monthBytes));
  row('encode: main document', ms(mainEncoded.ms));
  row('encode: all month documents', ms(monthsEncoded.ms));
  built.docs.destroy();
  return { mainUpdate, monthUpdates, sizes, taskCount: built.taskIds.length };
}

function main(): void {
  console.log(
    `Building ${TASKS.toLocaleString('en')} tasks and ${ENTRIES.toLocaleString('en')} time entries over ${MONTHS} months (node ${process.version}, yjs 13)…`,
  );
  // The built documents are unreachable once this returns: what follows is a process that
  // loads a stored user.
  const { mainUpdate, monthUpdates, sizes, taskCount } = buildAndEncode();

  // Load: main alone (median of 3), one median-size month (median of 5), everything.
  const mainLoads: number[] = [];
  for (let i = 0; i < 3; i += 1) {
    const doc = new Y.Doc({ guid: USER_ID });
    mainLoads.push(time(() => Y.applyUpdate(doc, mainUpdate)).ms);
    doc.destroy();
  }
  const typical =
    monthUpdates.find((m) => m.update.byteLength === median(sizes)) ?? monthUpdates[0];
  const monthLoads: number[] = [];
  for (let i = 0; i < 5 && typical; i += 1) {
    const doc = new Y.Doc();
    monthLoads.push(time(() => Y.applyUpdate(doc, typical.update)).ms);
    doc.destroy();
  }
  row('load: main document', ms(median(mainLoads)), 'Y.applyUpdate into a fresh doc, median of 3');
  row(
    `load: one month (${typical?.key ?? '-'})`,
    ms(median(monthLoads)),
    `${mb(typical?.update.byteLength ?? 0)}, median of 5`,
  );

  // Memory of the main document alone (held only inside the function, then let go).
  const mainHeap = (() => {
    const before = collect();
    const held = new Y.Doc({ guid: USER_ID });
    Y.applyUpdate(held, mainUpdate);
    const after = collect();
    held.destroy();
    return after.heapUsed - before.heapUsed;
  })();
  const beforeAll = collect();

  // Everything, into one UserDocs, kept for the dashboard and the memory figure.
  const loaded = new UserDocs(USER_ID);
  const loadMain = time(() => Y.applyUpdate(loaded.main, mainUpdate));
  const loadMonths = time(() => {
    for (const { key, update } of monthUpdates) Y.applyUpdate(loaded.month(key), update);
  });
  row(
    'load: main + all months',
    ms(loadMain.ms + loadMonths.ms),
    `${monthUpdates.length + 1} documents (months: ${ms(loadMonths.ms)})`,
  );

  // The 30-day dashboard on the loaded documents (its months are loaded), cold then warm.
  const now = new Date(END);
  const from = new Date(END - 30 * DAY);
  const cold = time(() => computeDashboard(loaded, { period: '30d', now }));
  const warm: number[] = [];
  for (let i = 0; i < 3; i += 1)
    warm.push(time(() => computeDashboard(loaded, { period: '30d', now })).ms);
  row(
    'computeDashboard 30d: first call',
    ms(cold.ms),
    `${cold.value.tasks_created} created, ${cold.value.tasks_completed} completed, ${Math.round(cold.value.total_time_tracked / 3600)} h tracked`,
  );
  row('computeDashboard 30d: median of 3 more', ms(median(warm)));
  const reads = time(() => ({
    tasks: listTasks(loaded, { includeDeleted: true }).length,
    entries: listTimeEntries(loaded, { from, to: now }).length,
  }));
  row(
    'listTasks + listTimeEntries 30d',
    ms(reads.ms),
    `${reads.value.tasks} tasks, ${reads.value.entries} entries (months read: ${monthsForRange(from, now).join(', ')})`,
  );

  const loadedMemory = collect();
  row('memory: main document loaded', mb(mainHeap), 'heapUsed delta after gc');
  row(
    'memory: main + all months loaded',
    mb(loadedMemory.heapUsed - beforeAll.heapUsed),
    'heapUsed delta after gc (encoded updates held outside)',
  );
  row(
    'memory: process heapUsed / RSS',
    `${mb(loadedMemory.heapUsed)} / ${mb(loadedMemory.rss)}`,
    'after gc, everything loaded',
  );
  loaded.destroy();

  console.log('');
  printTable();
  console.log(
    `\n${taskCount.toLocaleString('en')} tasks created through createTask, ${ENTRIES.toLocaleString('en')} entries through addManualEntry. Scale with BENCH_TASKS / BENCH_ENTRIES.`,
  );
}

main();
