import { randomUUID } from 'node:crypto';
import {
  type CalendarProvider,
  createCaldavCalendarProvider,
  createGoogleCalendarProvider,
  createGraphCalendarProvider,
  ensureCaldavCalendar,
  ensureRadicaleInstalled,
  eventToTaskPatch,
  type ProviderEvent,
  startFakeGoogleCalendar,
  startFakeGraphCalendar,
  startRadicale,
} from '@tasks/connectors';
import {
  calendarEventsOf,
  createTask,
  deleteTask,
  listInbox,
  listTasks,
  nextOccurrence,
  type Task,
  updateSettings,
  updateTask,
} from '@tasks/crdt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/database.js';
import type { DocumentAccess } from '../rest/document-access.js';
import { insertSyncConnection, insertTestUser } from './connection-test-rows.js';
import { type RunSyncResult, runSync } from './sync-engine.js';
import { openSyncFixture, type SyncFixture } from './sync-test-fixture.js';

/**
 * 50 sync cycles per provider (fake Google, fake Graph, a real Radicale), each with random
 * edits on both sides and, most of the time, one injected fault: a response lost after the
 * provider applied a create, update or delete; a crash before the links and cursor commit; the
 * provider forgetting our cursor; someone editing the event between our pull and our update
 * (412). After each cycle, clean syncs run until nothing is left to do, then: no task has two
 * events, no event two tasks, every live dated task shows exactly its event, and every edit of
 * the cycle is on both sides — or, when both sides changed, one wins and the inbox keeps the
 * other. `FAULT_SEED` replays a schedule; `FAULT_CYCLES` changes the count.
 */

const SEED = Number(process.env.FAULT_SEED ?? 20_261_124);
const CYCLES = Number(process.env.FAULT_CYCLES ?? 50);
const DAY = 24 * 3600_000;
const TIMEZONE = 'Europe/Paris';

/** mulberry32: small, seeded, good enough to pick operations. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    next,
    int: (below: number) => Math.floor(next() * below),
    pick<T>(items: readonly T[]): T | undefined {
      return items[Math.floor(next() * items.length)];
    },
  };
}

interface Backend {
  provider: CalendarProvider;
  /** Whether series may skip occurrences there (Graph cannot say which a series skips). */
  skipsOccurrences: boolean;
  /** The provider forgets the cursor we hold (expired sync token, delta token, sync-token). */
  forgetCursor(db: Database, connectionId: string): Promise<void>;
  dispose(): Promise<void>;
}

const windowOf = () => ({
  start: new Date(Date.now() - 30 * DAY),
  end: new Date(Date.now() + 180 * DAY),
});

const BACKENDS: Record<string, () => Promise<Backend | null>> = {
  'fake Google': async () => {
    const fake = await startFakeGoogleCalendar();
    return {
      provider: createGoogleCalendarProvider({
        rootUrl: fake.url,
        accessToken: async () => fake.token,
        calendarId: fake.calendarId,
        retry: { maxAttempts: 1 },
      }),
      skipsOccurrences: true,
      forgetCursor: async () => fake.expireSyncTokens(),
      dispose: () => fake.close(),
    };
  },
  'fake Graph': async () => {
    const fake = await startFakeGraphCalendar();
    return {
      provider: createGraphCalendarProvider({
        baseUrl: fake.url,
        accessToken: async () => fake.token,
        calendarId: fake.calendarId,
        window: windowOf,
        allDayTimeZone: TIMEZONE,
        retry: { maxAttempts: 1 },
      }),
      skipsOccurrences: false,
      forgetCursor: async () => fake.expireDeltaTokens(),
      dispose: () => fake.close(),
    };
  },
  Radicale: async () => {
    if (!(await ensureRadicaleInstalled())) return null;
    const server = await startRadicale();
    const options = {
      serverUrl: server.url,
      username: 'faults',
      password: 'faults',
      calendarPath: `/faults/${randomUUID()}/`,
    };
    await ensureCaldavCalendar(options);
    return {
      provider: createCaldavCalendarProvider(options),
      skipsOccurrences: true,
      // A sync-token the server never issued: Radicale answers 403 valid-sync-token.
      forgetCursor: async (db, connectionId) => {
        await db.query('update calendar_connections set cursor = $2 where id = $1', [
          connectionId,
          `http://radicale.org/ns/sync/${'0'.repeat(64)}`,
        ]);
      },
      dispose: () => server.close(),
    };
  },
};

type Fault =
  | 'lostCreate'
  | 'lostUpdate'
  | 'lostDelete'
  | 'crashBeforeCommit'
  | 'forgetCursor'
  | 'race412';
const FAULTS: Fault[] = [
  'lostCreate',
  'lostUpdate',
  'lostDelete',
  'crashBeforeCommit',
  'forgetCursor',
  'race412',
];

/** Writes the engine counts as changes; mirroring is bookkeeping of the calendar view. */
const WRITES = new Set([
  'createEvent',
  'updateEvent',
  'deleteEvent',
  'createTask',
  'updateTask',
  'unlinkTask',
  'restoreTask',
  'notifyConflict',
]);

class InjectedFault extends Error {}

/** The weekly occurrence `weeks` after `start`, at its wall-clock time in TIMEZONE. */
function laterOccurrence(start: string, weeks: number): string {
  let current = start;
  for (let week = 0; week < weeks; week += 1) {
    current = nextOccurrence('FREQ=WEEKLY', current, TIMEZONE, start) ?? current;
  }
  return current;
}

describe.each(Object.keys(BACKENDS))('sync engine under injected faults: %s', (name) => {
  let test: SyncFixture;
  let access: DocumentAccess;
  let backend: Backend | null;
  let userId: string;
  let connectionId: string;

  beforeAll(async () => {
    backend = await (BACKENDS[name] as () => Promise<Backend | null>)();
    test = await openSyncFixture('pglite', { docQuotaBytes: 50_000_000 });
    access = test.access;
    userId = await insertTestUser(test.db);
    connectionId = await insertSyncConnection(test.db, userId, backend?.provider.name ?? 'GOOGLE');
    await access.use(userId, [], (docs) => updateSettings(docs, { timezone: TIMEZONE }));
  }, 60_000);

  afterAll(async () => {
    await test?.dispose();
    await backend?.dispose();
  });

  it(`keeps every edit and makes no duplicate over ${CYCLES} faulty cycles (seed ${SEED})`, async () => {
    if (!backend)
      throw new Error('Radicale is not installed here (connectors/scripts/ensure-radicale.sh)');
    const { provider } = backend;
    const random = prng(SEED);
    let counter = 0;
    const unique = (prefix: string) => {
      counter += 1;
      return `${prefix}${counter}`;
    };
    const faultsSeen = new Map<Fault, number>();

    const sync = (
      over: CalendarProvider = provider,
      db: Database = test.db,
    ): Promise<RunSyncResult> =>
      runSync({ connectionId, provider: over, userId, db, access, clock: () => new Date() });
    const tasks = () => access.use(userId, [], (docs) => listTasks(docs, { includeDeleted: true }));
    const ours = async () =>
      (await provider.pullChanges(null)).changed.filter((event) => event.taskId !== null);
    const detachedIds = async () =>
      new Set(
        (
          await test.db.query<{ task_id: string }>(
            'select task_id from calendar_detached_tasks where connection_id = $1',
            [connectionId],
          )
        ).map((row) => row.task_id),
      );

    async function editEvent(eventId: string, summary: string): Promise<void> {
      const event = await provider.getEvent(eventId);
      if (!event) throw new Error(`event ${eventId} vanished`);
      const { id: _id, etag, updatedAt: _updatedAt, ...input } = event;
      await provider.updateEvent(eventId, { ...input, summary }, etag);
    }

    /** Skips the occurrence `weeks` after the event's start, in the calendar. */
    async function skipInEvent(eventId: string, weeks: number): Promise<string> {
      const event = await provider.getEvent(eventId);
      if (!event) throw new Error(`event ${eventId} vanished`);
      const { id: _id, etag, updatedAt: _updatedAt, ...input } = event;
      const start = 'date' in input.start ? input.start.date : input.start.dateTime;
      const skipped = laterOccurrence(start, weeks);
      const exceptions = [...new Set([...input.exceptions, skipped])].sort();
      await provider.updateEvent(eventId, { ...input, exceptions }, etag);
      return skipped;
    }

    async function quiet(context: string): Promise<void> {
      for (let round = 0; round < 6; round += 1) {
        const result = await sync();
        if (!result.actions.some((action) => WRITES.has(action.type))) return;
      }
      throw new Error(`${context}: still writing after 6 clean syncs`);
    }

    const foreign = new Set<string>();
    for (let cycle = 0; cycle < CYCLES; cycle += 1) {
      const context = `seed ${SEED}, cycle ${cycle}`;
      // What each side was last told this cycle, per task.
      const edits = new Map<string, { task?: string; event?: string }>();
      // Occurrences skipped this cycle on one side, per task: in the task's terms (its anchor).
      const skips = new Map<string, { value: string; side: 'task' | 'event'; title: string }>();
      const deletedTasks = new Set<string>();
      const current = (await tasks()).filter((task) => !task.deletedAt);
      const linked = current.filter((task) => task.calendarEventId !== null);
      const touched = new Set<string>();
      const pickLinked = () => {
        const free = linked.filter((task) => !touched.has(task.id));
        const task = random.pick(free);
        if (task) touched.add(task.id);
        return task;
      };

      for (let op = 1 + random.int(3); op > 0; op -= 1) {
        const kind = random.pick([
          'create',
          'create',
          'editTask',
          'editEvent',
          'conflict',
          'deleteTask',
          'deleteEvent',
          'foreign',
          'skipInTask',
          'skipInEvent',
        ] as const);
        if (kind === 'create' || linked.length === 0) {
          const day = new Date(Date.now() + (2 + random.int(60)) * DAY).toISOString().slice(0, 10);
          const timed = random.next() < 0.5;
          const weekly = random.next() < 0.4;
          await access.use(userId, [], (docs, ctx) =>
            createTask(
              docs,
              {
                title: unique('task '),
                dueDate: timed ? `${day}T09:30:00Z` : day,
                priority: 'HIGH',
                recurrenceRule: weekly ? 'FREQ=WEEKLY' : null,
              },
              ctx,
            ),
          );
          continue;
        }
        if (kind === 'foreign') {
          const day = new Date(Date.now() + (1 + random.int(30)) * DAY).toISOString().slice(0, 10);
          const created = await provider.createEvent(
            {
              summary: unique('meeting '),
              description: '',
              start: { dateTime: `${day}T08:00:00Z`, timeZone: TIMEZONE },
              end: { dateTime: `${day}T09:00:00Z`, timeZone: TIMEZONE },
              recurrence: null,
              exceptions: [],
              taskId: null,
              priority: null,
            },
            randomUUID(),
          );
          foreign.add(created.id);
          continue;
        }
        if (kind === 'skipInTask' || kind === 'skipInEvent') {
          const series = linked.filter(
            (candidate) => candidate.recurrenceRule !== null && !touched.has(candidate.id),
          );
          const task = backend.skipsOccurrences ? random.pick(series) : undefined;
          if (!task?.calendarEventId) continue;
          touched.add(task.id);
          const weeks = 1 + random.int(4);
          const anchor = task.dueDate ?? task.startDate ?? '';
          if (kind === 'skipInEvent') {
            await skipInEvent(task.calendarEventId, weeks);
          } else {
            const exceptions = [...task.recurrenceExceptions, laterOccurrence(anchor, weeks)];
            await access.use(userId, [], (docs, ctx) =>
              updateTask(docs, task.id, { recurrenceExceptions: exceptions }, ctx),
            );
          }
          skips.set(task.id, {
            value: laterOccurrence(anchor, weeks),
            side: kind === 'skipInTask' ? 'task' : 'event',
            title: task.title,
          });
          continue;
        }
        const task = pickLinked();
        if (!task?.calendarEventId) continue;
        const entry = { ...edits.get(task.id) };
        if (kind === 'editTask' || kind === 'conflict') {
          entry.task = unique(`${task.title.split(' ·')[0]} ·T`);
          const title = entry.task;
          await access.use(userId, [], (docs, ctx) => updateTask(docs, task.id, { title }, ctx));
        }
        if (kind === 'editEvent' || kind === 'conflict') {
          entry.event = unique(`${task.title.split(' ·')[0]} ·E`);
          await editEvent(task.calendarEventId, entry.event);
        }
        if (kind === 'deleteTask') {
          await access.use(userId, [], (docs, ctx) => deleteTask(docs, task.id, ctx));
          deletedTasks.add(task.id);
          continue;
        }
        if (kind === 'deleteEvent') {
          await provider.deleteEvent(task.calendarEventId, null);
          continue;
        }
        edits.set(task.id, entry);
      }

      // One fault, most cycles.
      const fault = random.next() < 0.75 ? random.pick(FAULTS) : undefined;
      let faulty: CalendarProvider = provider;
      let db: Database = test.db;
      if (fault) faultsSeen.set(fault, (faultsSeen.get(fault) ?? 0) + 1);
      const lost = (method: 'createEvent' | 'updateEvent' | 'deleteEvent'): CalendarProvider => ({
        ...provider,
        name: provider.name,
        pullChanges: (cursor) => provider.pullChanges(cursor),
        getEvent: (id) => provider.getEvent(id),
        createEvent: async (input, key) => {
          const created = await provider.createEvent(input, key);
          if (method === 'createEvent') throw new InjectedFault('response lost after create');
          return created;
        },
        updateEvent: async (id, input, etag) => {
          const updated = await provider.updateEvent(id, input, etag);
          if (method === 'updateEvent') throw new InjectedFault('response lost after update');
          return updated;
        },
        deleteEvent: async (id, etag) => {
          await provider.deleteEvent(id, etag);
          if (method === 'deleteEvent') throw new InjectedFault('response lost after delete');
        },
      });
      if (fault === 'lostCreate') faulty = lost('createEvent');
      if (fault === 'lostUpdate') faulty = lost('updateEvent');
      if (fault === 'lostDelete') faulty = lost('deleteEvent');
      if (fault === 'forgetCursor') await backend.forgetCursor(test.db, connectionId);
      if (fault === 'crashBeforeCommit') {
        db = {
          kind: test.db.kind,
          query: (sql, params) => test.db.query(sql, params),
          exec: (sql) => test.db.exec(sql),
          close: () => test.db.close(),
          transaction: async () => {
            throw new InjectedFault('crash before the commit');
          },
        };
      }
      if (fault === 'race412') {
        faulty = {
          ...provider,
          name: provider.name,
          pullChanges: (cursor) => provider.pullChanges(cursor),
          getEvent: (id) => provider.getEvent(id),
          createEvent: (input, key) => provider.createEvent(input, key),
          deleteEvent: (id, etag) => provider.deleteEvent(id, etag),
          // Someone edits the event between our pull and our write.
          updateEvent: async (id, input, etag) => {
            const taskId = input.taskId;
            if (taskId !== null) {
              const raced = unique(`${input.summary.split(' ·')[0]} ·R`);
              await editEvent(id, raced);
              edits.set(taskId, { ...edits.get(taskId), event: raced });
            }
            return provider.updateEvent(id, input, etag);
          },
        };
      }
      await sync(faulty, db).catch((error: unknown) => {
        if (!(error instanceof InjectedFault)) throw error;
      });
      await quiet(context);

      // The state both sides settled on.
      const all = await tasks();
      const byId = new Map(all.map((task) => [task.id, task]));
      const events = await ours();
      const detached = await detachedIds();
      const eventsByTask = new Map<string, ProviderEvent[]>();
      for (const event of events) {
        const list = eventsByTask.get(event.taskId as string) ?? [];
        list.push(event);
        eventsByTask.set(event.taskId as string, list);
      }
      for (const [taskId, list] of eventsByTask) {
        expect(list.length, `${context}: task ${taskId} has ${list.length} events`).toBe(1);
        const task = byId.get(taskId);
        expect(
          task && !task.deletedAt,
          `${context}: event for a deleted or unknown task ${taskId}`,
        ).toBe(true);
      }
      const shownBy = new Map<string, string>();
      for (const task of all) {
        if (task.deletedAt || task.calendarEventId === null) continue;
        expect(
          shownBy.get(task.calendarEventId),
          `${context}: two tasks on one event`,
        ).toBeUndefined();
        shownBy.set(task.calendarEventId, task.id);
      }
      for (const task of all) {
        if (task.deletedAt || detached.has(task.id)) {
          expect(eventsByTask.has(task.id), `${context}: ${task.title} kept an event`).toBe(false);
          continue;
        }
        const [event] = eventsByTask.get(task.id) ?? [];
        expect(event, `${context}: ${task.title} has no event`).toBeDefined();
        if (!event) continue;
        expect(task.calendarEventId, `${context}: ${task.title} shows another event`).toBe(
          event.id,
        );
        expect(
          eventToTaskPatch(event, task, TIMEZONE),
          `${context}: ${task.title} differs from its event`,
        ).toEqual({});
      }
      for (const taskId of deletedTasks) {
        expect(byId.get(taskId)?.deletedAt, `${context}: a deleted task came back`).toBeTruthy();
      }

      // No lost edit: one side's edit is on both; of two, one wins and the inbox keeps the other.
      const inbox = await access.use(userId, [], (docs) => listInbox(docs));
      type LosingPatch = { title?: string; recurrenceExceptions?: string[] };
      const losingPatches = (taskId: string): LosingPatch[] =>
        inbox
          .filter((item) => item.kind === 'calendar_conflict')
          .map((item) => item.payload as { taskId?: string; losing?: { patch?: LosingPatch } })
          .filter((payload) => payload.taskId === taskId)
          .map((payload) => payload.losing?.patch ?? {});
      const losing = (taskId: string) => losingPatches(taskId).map((patch) => patch.title);
      for (const [taskId, edit] of edits) {
        const task = byId.get(taskId) as Task;
        const event = eventsByTask.get(taskId)?.[0];
        const final = task.title;
        expect(event?.summary, `${context}: ${final} not on the calendar`).toBe(final);
        // A skip is an edit of its side too: with an edit of the other side, the two conflict.
        const skip = skips.get(taskId);
        const taskEdit = edit.task ?? (skip?.side === 'task' ? skip.title : undefined);
        const eventEdit = edit.event ?? (skip?.side === 'event' ? skip.title : undefined);
        if (taskEdit !== undefined && eventEdit !== undefined) {
          expect([taskEdit, eventEdit], `${context}: neither edit of ${taskId} won`).toContain(
            final,
          );
          const loser = final === taskEdit ? eventEdit : taskEdit;
          expect(losing(taskId), `${context}: the losing edit "${loser}" was not kept`).toContain(
            loser,
          );
        } else {
          expect(final, `${context}: an edit was lost`).toBe(edit.task ?? edit.event);
        }
      }

      // A skipped occurrence, on either side, is skipped on both, or it lost to a newer edit of
      // the other side and the inbox keeps it with the losing version.
      for (const [taskId, skip] of skips) {
        const task = byId.get(taskId) as Task;
        if (task.recurrenceExceptions.includes(skip.value)) continue;
        const kept = losingPatches(taskId).some((patch) =>
          patch.recurrenceExceptions?.includes(skip.value),
        );
        expect(kept, `${context}: the skip of ${skip.value} in ${task.title} was lost`).toBe(true);
      }

      // Events that are not ours stay events: mirrored, never tasks.
      const mirrored = await access.use(userId, [], (docs) => [
        ...calendarEventsOf(docs.main).keys(),
      ]);
      for (const eventId of foreign) {
        expect(mirrored, `${context}: a foreign event is not in the calendar view`).toContain(
          `${connectionId}:${eventId}`,
        );
      }
    }
    // The schedule exercised every fault.
    expect([...faultsSeen.keys()].sort()).toEqual([...FAULTS].sort());
  }, 600_000);
});
