/**
 * Benchmark (prints, not a test): the calendar bridge's sync engine on a calendar of 1,000
 * events, per provider (fake Google, fake Graph, a real Radicale).
 *
 * A user's document gets 700 dated tasks, which the first full sync turns into events, and the
 * calendar gets 300 events that are not ours (mirrored into the calendar view). Then, five times:
 * 10 changes (4 task edits and 1 new dated task in the document; 3 edits of our events, 1 new
 * foreign event and 1 deleted on the provider) and one timed `runSync`, with the HTTP requests it
 * made, after which both sides are read back to check it applied them; then five syncs with
 * nothing changed. Aim: an incremental sync under 1 s, a no-change sync in at most 3 requests.
 *
 *   pnpm build && cd sync-server && node --import tsx bench/calendar-sync.bench.ts
 *
 * PostgreSQL when DATABASE_URL (or TEST_DATABASE_URL) is set, PGlite otherwise. BENCH_PROVIDERS
 * (e.g. `google,graph`) picks providers; BENCH_TASKS / BENCH_FOREIGN scale the calendar;
 * BENCH_ROUNDS (5 to 50) repeats the timed syncs; BENCH_CPU_PROFILE=<folder> writes a CPU profile
 * of the timed syncs per provider.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { Session as InspectorSession } from 'node:inspector/promises';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { CalendarProvider, EventInput } from '@tasks/connectors';
import {
  calendarEventsOf,
  createTask,
  getTask,
  listTasks,
  updateSettings,
  updateTask,
} from '@tasks/crdt';
import { insertSyncConnection, insertTestUser } from '../src/calendar/connection-test-rows.js';
import type { SyncAction } from '../src/calendar/sync-actions.js';
import { runSync } from '../src/calendar/sync-engine.js';
import { openSyncFixture } from '../src/calendar/sync-test-fixture.js';
import { testDatabaseUrl } from '../src/db/test-databases.js';
import type { DocumentAccess } from '../src/rest/document-access.js';
import { CALENDAR_BACKENDS, type CalendarBackend } from './calendar-sync-backends.js';
import {
  type Meter,
  meteredAccess,
  meteredDatabase,
  meteredProvider,
} from './calendar-sync-meters.js';

const DAY_MS = 24 * 3600_000;
const TIMEZONE = 'Europe/Paris';
const TASKS = Number(process.env.BENCH_TASKS ?? 700);
const FOREIGN = Number(process.env.BENCH_FOREIGN ?? 300);
const ROUNDS = Math.min(50, Math.max(5, Number(process.env.BENCH_ROUNDS ?? 5)));
const PROFILE_DIR = process.env.BENCH_CPU_PROFILE;
/** Runs until the first full sync is quiet (its own writes come back as echoes once). */
const MAX_FULL_SYNC_RUNS = 5;
const FULL_SYNC_RUN_TIMEOUT_MS = 300_000;
const SYNC_TIMEOUT_MS = 60_000;
const SEED_TIMEOUT_MS = 300_000;
const AIM_MS = 1_000;
const AIM_REQUESTS = 3;
const WRITES = new Set<SyncAction['type']>([
  'createEvent',
  'updateEvent',
  'deleteEvent',
  'createTask',
  'updateTask',
  'unlinkTask',
  'mirrorEvent',
  'unmirrorEvent',
]);

/** Rejects when `work` takes longer than `ms`, so that the caller's cleanup still runs. */
async function within<T>(ms: number, label: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${label} took over ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const dayIn = (days: number) => new Date(Date.now() + days * DAY_MS).toISOString().slice(0, 10);

function foreignEvent(i: number): EventInput {
  const day = dayIn(1 + (i % 120));
  return {
    summary: `Meeting ${i}`,
    description: '',
    start: { dateTime: `${day}T13:00:00Z`, timeZone: TIMEZONE },
    end: { dateTime: `${day}T14:00:00Z`, timeZone: TIMEZONE },
    recurrence: null,
    exceptions: [],
    taskId: null,
    priority: null,
  };
}

/** Foreign events, eight at a time (what another client's import would do). */
async function seedForeignEvents(provider: CalendarProvider, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i += 8) {
    const batch = Array.from({ length: Math.min(8, count - i) }, (_, j) =>
      provider.createEvent(foreignEvent(i + j), randomUUID()),
    );
    ids.push(...(await Promise.all(batch)).map((event) => event.id));
  }
  return ids;
}

interface SyncSetup {
  backend: CalendarBackend;
  access: DocumentAccess;
  userId: string;
  connectionId: string;
  /** What the syncs (not the benchmark's own changes and checks) spent on each side. */
  meters: { provider: Meter; document: Meter; sql: Meter };
  sync(timeoutMs?: number): Promise<SyncAction[]>;
}

/** One timed sync: wall time, requests and where the time went. */
interface SyncSample {
  ms: number;
  requests: number;
  /** Its requests as `METHOD shape`, oldest first. */
  shapes: string[];
  providerMs: number;
  documentMs: number;
  documentCalls: number;
  sqlMs: number;
  statements: number;
  actions: SyncAction[];
}

interface Row {
  provider: string;
  events: number;
  fullSync: number;
  fullSyncRuns: number;
  incremental: SyncSample[];
  noChange: SyncSample[];
}

/** `GET events ×1, PATCH events/:id ×4`, in order of first appearance. */
function countShapes(requests: string[]): string {
  const counts = new Map<string, number>();
  for (const request of requests) counts.set(request, (counts.get(request) ?? 0) + 1);
  return [...counts].map(([shape, count]) => `${shape} ×${count}`).join(', ');
}

/** What one round of ten changes should leave on each side once synced. */
interface Expected {
  /** Task ids whose event should carry the task's (new) title. */
  tasksOnProvider: string[];
  /** Task id → the title edited on the provider. */
  titlesInDocument: Map<string, string>;
  mirrored: string;
  unmirrored: string;
}

async function makeTenChanges(session: SyncSetup, round: number, foreign: string[]) {
  const { access, userId, backend } = session;
  const { provider } = backend;
  const linked = await access.use(userId, [], (docs) =>
    listTasks(docs).filter((task) => task.calendarEventId !== null),
  );
  const pick = (offset: number) => {
    const task = linked[(round * 7 + offset * 97) % linked.length];
    if (!task?.calendarEventId) throw new Error('too few linked tasks to change');
    return { ...task, calendarEventId: task.calendarEventId };
  };
  const expected: Expected = {
    tasksOnProvider: [],
    titlesInDocument: new Map(),
    mirrored: '',
    unmirrored: '',
  };
  await access.use(userId, [], (docs, ctx) => {
    for (let i = 0; i < 4; i += 1) {
      const task = pick(i);
      updateTask(docs, task.id, { title: `${task.title} r${round}` }, ctx);
      expected.tasksOnProvider.push(task.id);
    }
    const created = createTask(docs, { title: `New ${round}`, dueDate: dayIn(3 + round) }, ctx);
    expected.tasksOnProvider.push(created.id);
  });
  for (let i = 4; i < 7; i += 1) {
    const task = pick(i);
    const event = await provider.getEvent(task.calendarEventId);
    if (!event) throw new Error(`the event of task ${task.id} is missing`);
    const { id, etag, updatedAt: _updatedAt, ...input } = event;
    const summary = `${input.summary} (moved ${round})`;
    await provider.updateEvent(id, { ...input, summary }, etag);
    expected.titlesInDocument.set(task.id, summary);
  }
  expected.mirrored = (await provider.createEvent(foreignEvent(FOREIGN + round), randomUUID())).id;
  foreign.push(expected.mirrored);
  expected.unmirrored = foreign.shift() as string;
  await provider.deleteEvent(expected.unmirrored, null);
  return expected;
}

/** Reads both sides back: every change made on one side shows on the other. */
async function checkApplied(session: SyncSetup, expected: Expected): Promise<void> {
  const { access, userId, connectionId, backend } = session;
  const found = await access.use(userId, [], (docs) => ({
    tasks: expected.tasksOnProvider.map((id) => getTask(docs, id)),
    titles: [...expected.titlesInDocument.keys()].map((id) => getTask(docs, id)?.title),
    hasMirrored: calendarEventsOf(docs.main).has(`${connectionId}:${expected.mirrored}`),
    hasUnmirrored: calendarEventsOf(docs.main).has(`${connectionId}:${expected.unmirrored}`),
  }));
  for (const task of found.tasks) {
    const event = task?.calendarEventId
      ? await backend.provider.getEvent(task.calendarEventId)
      : null;
    if (!task || event?.summary !== task.title) {
      throw new Error(`task "${task?.title}" is not on the provider (found "${event?.summary}")`);
    }
  }
  const wanted = [...expected.titlesInDocument.values()];
  if (found.titles.some((title, i) => title !== wanted[i])) {
    throw new Error(`provider edits missing in the document: ${JSON.stringify(found.titles)}`);
  }
  if (!found.hasMirrored) throw new Error('the new foreign event is not mirrored');
  if (found.hasUnmirrored) throw new Error('the deleted foreign event is still mirrored');
}

/** Runs one sync and reads its wall time, requests, provider and SQL time off the meters. */
async function timed(setup: SyncSetup): Promise<SyncSample> {
  const { backend, meters } = setup;
  const before = {
    requests: backend.requestCount(),
    sql: { ...meters.sql },
    provider: { ...meters.provider },
    document: { ...meters.document },
  };
  const started = performance.now();
  const actions = await setup.sync();
  const ms = performance.now() - started;
  const requests = backend.requestCount() - before.requests;
  return {
    ms,
    requests,
    shapes: backend.lastRequests(requests),
    providerMs: meters.provider.ms - before.provider.ms,
    documentMs: meters.document.ms - before.document.ms,
    documentCalls: meters.document.calls - before.document.calls,
    sqlMs: meters.sql.ms - before.sql.ms,
    statements: meters.sql.calls - before.sql.calls,
    actions,
  };
}

async function measureTimedSyncs(setup: SyncSetup, row: Row, foreign: string[]): Promise<void> {
  for (let round = 0; round < ROUNDS; round += 1) {
    const changes = makeTenChanges(setup, round, foreign);
    const expected = await within(SYNC_TIMEOUT_MS, 'ten changes', changes);
    row.incremental.push(await timed(setup));
    await within(SYNC_TIMEOUT_MS, 'the check', checkApplied(setup, expected));
  }
  // The last round's writes come back once as echoes; then nothing has changed.
  await setup.sync();
  for (let round = 0; round < ROUNDS; round += 1) {
    const sample = await timed(setup);
    row.noChange.push(sample);
    const writes = sample.actions.filter((action) => WRITES.has(action.type));
    if (writes.length > 0) {
      throw new Error(
        `a sync with nothing changed wrote: ${countShapes(writes.map((a) => a.type))}`,
      );
    }
  }
}

/** Profiles `work` into <BENCH_CPU_PROFILE>/<name>.cpuprofile when asked to. */
async function profiled(name: string, work: () => Promise<void>): Promise<void> {
  if (!PROFILE_DIR) return work();
  const inspector = new InspectorSession();
  inspector.connect();
  try {
    await inspector.post('Profiler.enable');
    await inspector.post('Profiler.start');
    await work();
    const { profile } = await inspector.post('Profiler.stop');
    await mkdir(PROFILE_DIR, { recursive: true });
    await writeFile(join(PROFILE_DIR, `${name}.cpuprofile`), JSON.stringify(profile));
  } finally {
    inspector.disconnect();
  }
}

async function measure(key: string, backend: CalendarBackend): Promise<Row> {
  const clock = () => new Date();
  const test = await openSyncFixture(testDatabaseUrl() ? 'postgres' : 'pglite', {
    docQuotaBytes: 100_000_000,
    commitWindowMs: 2,
    clock,
  });
  try {
    const { access } = test;
    const { provider } = backend;
    const userId = await insertTestUser(test.db);
    const connectionId = await insertSyncConnection(test.db, userId, provider.name);
    // The syncs go through meters; the benchmark's own changes and checks do not.
    const sql = meteredDatabase(test.db);
    const calls = meteredProvider(provider);
    const document = meteredAccess(access);
    const session: SyncSetup = {
      backend,
      access,
      userId,
      connectionId,
      meters: { provider: calls.meter, document: document.meter, sql: sql.meter },
      sync: async (timeoutMs = SYNC_TIMEOUT_MS) => {
        const run = runSync({
          connectionId,
          provider: calls.provider,
          userId,
          db: sql.db,
          access: document.access,
          clock,
        });
        return (await within(timeoutMs, 'runSync', run)).actions;
      },
    };

    await access.use(userId, [], (docs, ctx) => {
      updateSettings(docs, { timezone: TIMEZONE });
      for (let i = 0; i < TASKS; i += 1) {
        const day = dayIn(1 + (i % 150));
        const dueDate = i % 2 === 0 ? day : `${day}T08:00:00Z`;
        createTask(docs, { title: `Task ${i}`, dueDate }, ctx);
      }
    });
    const foreign = await within(SEED_TIMEOUT_MS, 'seeding', seedForeignEvents(provider, FOREIGN));

    const fullStart = performance.now();
    let fullSyncRuns = 0;
    while (fullSyncRuns < MAX_FULL_SYNC_RUNS) {
      fullSyncRuns += 1;
      const actions = await session.sync(FULL_SYNC_RUN_TIMEOUT_MS);
      if (!actions.some((action) => WRITES.has(action.type))) break;
    }
    const fullSync = performance.now() - fullStart;
    const events = (await within(SYNC_TIMEOUT_MS, 'listing', provider.pullChanges(null))).changed;

    const row: Row = {
      provider: backend.name,
      events: events.length,
      fullSync,
      fullSyncRuns,
      incremental: [],
      noChange: [],
    };
    await profiled(key, () => measureTimedSyncs(session, row, foreign));
    return row;
  } finally {
    await test.dispose();
  }
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
const ms = (value: number) => `${value.toFixed(0)} ms`;
const seconds = (value: number) => `${(value / 1000).toFixed(1)} s`;

const max = (values: number[]) => Math.max(...values);

function printTable(rows: Row[]): void {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const load = os
    .loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
  console.log(
    `\nCalendar sync, ${TASKS} dated tasks + ${FOREIGN} foreign events, ${ROUNDS} rounds; ${testDatabaseUrl() ? 'PostgreSQL' : 'PGlite'}; ${os.cpus().length} × ${cpu}, load ${load} at the end; Node ${process.version}\n`,
  );
  console.log(
    `| provider | events | full sync (runs) | incremental (10 changes) p50 / max | requests (incremental) | no-change requests | no-change p50 / max | < ${ms(AIM_MS)} | ≤ ${AIM_REQUESTS} requests |`,
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const row of rows) {
    const incremental = row.incremental.map((sample) => sample.ms);
    const noChange = row.noChange.map((sample) => sample.ms);
    const noChangeRequests = max(row.noChange.map((sample) => sample.requests));
    const timeAim =
      max(incremental) < AIM_MS ? 'met' : median(incremental) < AIM_MS ? 'p50 only' : 'NOT met';
    const requestAim = noChangeRequests <= AIM_REQUESTS ? 'met' : 'NOT met';
    console.log(
      `| ${row.provider} | ${row.events} | ${seconds(row.fullSync)} (${row.fullSyncRuns}) | ${ms(median(incremental))} / ${ms(max(incremental))} | ${median(row.incremental.map((sample) => sample.requests))} | ${noChangeRequests} | ${ms(median(noChange))} / ${ms(max(noChange))} | ${timeAim} | ${requestAim} |`,
    );
  }
  console.log('\nRequests of the last incremental and no-change syncs:');
  for (const row of rows) {
    const shapes = (samples: SyncSample[]) => countShapes(samples.at(-1)?.shapes ?? []);
    console.log(
      `- ${row.provider}: ${shapes(row.incremental)}; no change: ${shapes(row.noChange)}`,
    );
  }
  console.log(
    "\nWhere a sync spends its time (p50 of each; provider and document calls, SQL statements in brackets; other: the engine's own CPU, planning and hashing):\n",
  );
  console.log('| provider | sync | wall | provider | document | SQL | other |');
  console.log('|---|---|---|---|---|---|---|');
  for (const row of rows) {
    const kinds: [string, SyncSample[]][] = [
      ['incremental', row.incremental],
      ['no change', row.noChange],
    ];
    for (const [kind, samples] of kinds) {
      const p50 = (pick: (sample: SyncSample) => number) => median(samples.map(pick));
      const other = p50((s) => s.ms - s.providerMs - s.documentMs - s.sqlMs);
      console.log(
        `| ${row.provider} | ${kind} | ${ms(p50((s) => s.ms))} | ${ms(p50((s) => s.providerMs))} (${p50((s) => s.requests)}) | ${ms(p50((s) => s.documentMs))} (${p50((s) => s.documentCalls)}) | ${ms(p50((s) => s.sqlMs))} (${p50((s) => s.statements)}) | ${ms(other)} |`,
      );
    }
  }
}

async function main(): Promise<void> {
  const chosen = (process.env.BENCH_PROVIDERS ?? 'google,graph,caldav')
    .split(',')
    .map((name) => name.trim());
  const rows: Row[] = [];
  for (const key of chosen) {
    const start = CALENDAR_BACKENDS[key];
    if (!start) throw new Error(`unknown provider ${key} (google, graph, caldav)`);
    console.error(`measuring ${key}…`);
    const backend = await start(TIMEZONE);
    try {
      rows.push(await measure(key, backend));
    } finally {
      await backend.close();
    }
  }
  printTable(rows);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
