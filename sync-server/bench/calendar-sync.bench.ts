/**
 * Benchmark (prints, not a test): the calendar bridge's sync engine on a calendar of 1,000
 * events, per provider (fake Google, fake Graph, a real Radicale).
 *
 * A user's document gets 700 dated tasks, which the first full sync turns into events, and the
 * calendar gets 300 events that are not ours (mirrored into the calendar view). Then, five times:
 * 10 changes (4 task edits, 1 new dated task, 3 event edits on the provider, 1 foreign event
 * created, 1 deleted) and one timed `runSync`, with the HTTP requests it made; and five syncs with
 * nothing changed. Aim: an incremental sync under 1 s, a no-change sync in at most 3 requests.
 *
 *   pnpm build && cd sync-server && node --import tsx bench/calendar-sync.bench.ts
 *
 * PostgreSQL when DATABASE_URL (or TEST_DATABASE_URL) is set, PGlite otherwise. BENCH_PROVIDERS
 * (e.g. `google,graph`) picks providers; BENCH_TASKS / BENCH_FOREIGN scale the calendar.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import {
  type CalendarProvider,
  createCaldavCalendarProvider,
  createGoogleCalendarProvider,
  createGraphCalendarProvider,
  ensureCaldavCalendar,
  ensureRadicaleInstalled,
  startFakeGoogleCalendar,
  startFakeGraphCalendar,
  startRadicale,
} from '@tasks/connectors';
import { createTask, listTasks, updateSettings, updateTask } from '@tasks/crdt';
import { insertSyncConnection, insertTestUser } from '../src/calendar/connection-test-rows.js';
import { type RunSyncResult, runSync } from '../src/calendar/sync-engine.js';
import { openTestDatabase, testDatabaseUrl } from '../src/db/test-databases.js';
import { silentLogger } from '../src/logger.js';
import { createSqlDocStore } from '../src/persistence/sql-doc-store.js';
import { Relay } from '../src/relay/relay.js';
import { createDocumentAccess } from '../src/rest/document-access.js';

const DAY = 24 * 3600_000;
const TIMEZONE = 'Europe/Paris';
const TASKS = Number(process.env.BENCH_TASKS ?? 700);
const FOREIGN = Number(process.env.BENCH_FOREIGN ?? 300);
const ROUNDS = 5;
const WRITES = new Set([
  'createEvent',
  'updateEvent',
  'deleteEvent',
  'createTask',
  'updateTask',
  'unlinkTask',
]);

interface Backend {
  name: string;
  provider: CalendarProvider;
  /** HTTP requests the provider has answered so far. */
  requests(): number;
  close(): Promise<void>;
}

const windowOf = () => ({
  start: new Date(Date.now() - 30 * DAY),
  end: new Date(Date.now() + 180 * DAY),
});

const BACKENDS: Record<string, () => Promise<Backend>> = {
  google: async () => {
    const fake = await startFakeGoogleCalendar();
    return {
      name: 'Google (fake)',
      provider: createGoogleCalendarProvider({
        rootUrl: fake.url,
        accessToken: async () => fake.token,
        calendarId: fake.calendarId,
      }),
      requests: () => fake.requestCount(),
      close: () => fake.close(),
    };
  },
  graph: async () => {
    const fake = await startFakeGraphCalendar();
    return {
      name: 'Microsoft Graph (fake)',
      provider: createGraphCalendarProvider({
        baseUrl: fake.url,
        accessToken: async () => fake.token,
        calendarId: fake.calendarId,
        window: windowOf,
        allDayTimeZone: TIMEZONE,
      }),
      requests: () => fake.requestCount(),
      close: () => fake.close(),
    };
  },
  caldav: async () => {
    if (!(await ensureRadicaleInstalled())) throw new Error('Radicale cannot be installed here');
    const server = await startRadicale();
    let count = 0;
    const options = {
      serverUrl: server.url,
      username: 'bench',
      password: 'bench',
      calendarPath: `/bench/${randomUUID()}/`,
      fetch: ((input, init) => {
        count += 1;
        return fetch(input, init);
      }) as typeof fetch,
    };
    await ensureCaldavCalendar(options);
    return {
      name: 'CalDAV (Radicale)',
      provider: createCaldavCalendarProvider(options),
      requests: () => count,
      close: () => server.close(),
    };
  },
};

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};
const ms = (value: number) => `${value.toFixed(0)} ms`;

interface Row {
  provider: string;
  events: number;
  fullSync: number;
  incremental: number[];
  incrementalRequests: number[];
  noChangeRequests: number[];
  noChange: number[];
}

async function measure(make: () => Promise<Backend>): Promise<Row> {
  const backend = await make();
  const test = await openTestDatabase(testDatabaseUrl() ? 'postgres' : 'pglite');
  const relay = new Relay({
    store: createSqlDocStore(test.db),
    log: silentLogger,
    options: {
      maxMessagesPerSecond: 1000,
      docQuotaBytes: 100_000_000,
      decodeTimeoutMs: 5000,
      commitWindowMs: 2,
    },
  });
  try {
    const access = createDocumentAccess({ relay, db: test.db, clock: () => new Date() });
    const { provider } = backend;
    const userId = await insertTestUser(test.db);
    const connectionId = await insertSyncConnection(test.db, userId, provider.name);
    const sync = (): Promise<RunSyncResult> =>
      runSync({ connectionId, provider, userId, db: test.db, access, clock: () => new Date() });
    const dayIn = (days: number) => new Date(Date.now() + days * DAY).toISOString().slice(0, 10);
    let counter = 0;

    await access.use(userId, [], (docs, ctx) => {
      updateSettings(docs, { timezone: TIMEZONE });
      for (let i = 0; i < TASKS; i += 1) {
        const day = dayIn(1 + (i % 150));
        createTask(
          docs,
          { title: `Task ${i}`, dueDate: i % 2 === 0 ? day : `${day}T08:00:00Z` },
          ctx,
        );
      }
    });
    const foreignInput = (i: number) => {
      const day = dayIn(1 + (i % 120));
      return {
        summary: `Meeting ${i}`,
        description: '',
        start: { dateTime: `${day}T13:00:00Z`, timeZone: TIMEZONE },
        end: { dateTime: `${day}T14:00:00Z`, timeZone: TIMEZONE },
        recurrence: null,
        taskId: null,
        priority: null,
      };
    };
    const foreign: string[] = [];
    for (let i = 0; i < FOREIGN; i += 8) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(8, FOREIGN - i) }, (_, j) =>
          provider.createEvent(foreignInput(i + j), randomUUID()),
        ),
      );
      foreign.push(...batch.map((event) => event.id));
    }

    const fullStart = performance.now();
    for (let round = 0; round < 5; round += 1) {
      const result = await sync();
      if (!result.actions.some((action) => WRITES.has(action.type))) break;
    }
    const fullSync = performance.now() - fullStart;
    const events = (await provider.pullChanges(null)).changed.length;

    const row: Row = {
      provider: backend.name,
      events,
      fullSync,
      incremental: [],
      incrementalRequests: [],
      noChangeRequests: [],
      noChange: [],
    };
    for (let round = 0; round < ROUNDS; round += 1) {
      // Ten changes: four task edits and a new dated task in the document, three event edits, a
      // new foreign event and a deleted one on the provider.
      const linked = await access.use(userId, [], (docs) =>
        listTasks(docs).filter((task) => task.calendarEventId !== null),
      );
      const pick = (offset: number) => linked[(round * 7 + offset * 97) % linked.length];
      await access.use(userId, [], (docs, ctx) => {
        for (let i = 0; i < 4; i += 1) {
          const task = pick(i);
          if (task) updateTask(docs, task.id, { title: `${task.title}.` }, ctx);
        }
        createTask(docs, { title: `New ${round}`, dueDate: dayIn(3 + round) }, ctx);
      });
      for (let i = 4; i < 7; i += 1) {
        const eventId = pick(i)?.calendarEventId;
        const event = eventId ? await provider.getEvent(eventId) : null;
        if (!event) throw new Error('a linked event is missing');
        const { id, etag, updatedAt: _updatedAt, ...input } = event;
        await provider.updateEvent(id, { ...input, summary: `${input.summary} (moved)` }, etag);
      }
      counter += 1;
      foreign.push((await provider.createEvent(foreignInput(counter), randomUUID())).id);
      await provider.deleteEvent(foreign.shift() as string, null);

      const before = backend.requests();
      const started = performance.now();
      const result = await sync();
      row.incremental.push(performance.now() - started);
      row.incrementalRequests.push(backend.requests() - before);
      const writes = result.actions.filter((action) => WRITES.has(action.type)).length;
      // 5 document changes reach the provider, 3 event edits reach the document.
      if (writes < 8) throw new Error(`the incremental sync applied only ${writes} changes`);
    }
    // Settle what the last round's writes echo, then sync with nothing changed.
    await sync();
    for (let round = 0; round < ROUNDS; round += 1) {
      const before = backend.requests();
      const started = performance.now();
      const result = await sync();
      row.noChange.push(performance.now() - started);
      row.noChangeRequests.push(backend.requests() - before);
      if (result.actions.some((action) => WRITES.has(action.type))) {
        throw new Error('a sync with nothing changed wrote something');
      }
    }
    return row;
  } finally {
    await relay.close();
    await test.dispose();
    await backend.close();
  }
}

async function main(): Promise<void> {
  const chosen = (process.env.BENCH_PROVIDERS ?? 'google,graph,caldav')
    .split(',')
    .map((name) => name.trim());
  const rows: Row[] = [];
  for (const name of chosen) {
    const make = BACKENDS[name];
    if (!make) throw new Error(`unknown provider ${name} (google, graph, caldav)`);
    console.error(`measuring ${name}…`);
    rows.push(await measure(make));
  }
  console.log(
    `\nCalendar sync, ${TASKS} tasks + ${FOREIGN} foreign events; ${testDatabaseUrl() ? 'PostgreSQL' : 'PGlite'}; ${os.cpus().length} cores; Node ${process.version}\n`,
  );
  console.log(
    '| provider | events | full sync | incremental (10 changes) p50 / max | requests | no-change requests | no-change p50 | aim (< 1 s, ≤ 3 requests) |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const row of rows) {
    const met = Math.max(...row.incremental) < 1000 && Math.max(...row.noChangeRequests) <= 3;
    console.log(
      `| ${row.provider} | ${row.events} | ${ms(row.fullSync)} | ${ms(median(row.incremental))} / ${ms(Math.max(...row.incremental))} | ${median(row.incrementalRequests)} | ${Math.max(...row.noChangeRequests)} | ${ms(median(row.noChange))} | ${met ? 'met' : 'NOT met'} |`,
    );
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exit(1);
});
