import { randomUUID } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import {
  canonicalRecurrenceRule,
  createManualContext,
  createTask,
  sameRecurrenceRule,
  type Task,
  type TaskCreateInput,
  UserDocs,
} from '@tasks/crdt';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCaldavCalendarProvider,
  ensureCaldavCalendar,
} from './caldav/caldav-calendar-provider.js';
import { ensureRadicaleInstalled, startRadicale } from './caldav/radicale-server.js';
import {
  type CalendarProvider,
  type EventInput,
  type EventTime,
  type ProviderEvent,
  UnsupportedEventError,
} from './calendar-provider.js';
import {
  build,
  GRAPH_UNSUPPORTED_RULES,
  RULES,
  ruleOf,
  shapesWith,
  type TaskShape,
} from './generated-tasks.test-support.js';
import { startFakeGoogleCalendar } from './google/fake-google-calendar.js';
import { createGoogleCalendarProvider } from './google/google-calendar-provider.js';
import { startFakeGraphCalendar } from './microsoft/fake-graph-calendar.js';
import { createGraphCalendarProvider } from './microsoft/graph-calendar-provider.js';
import { eventToTaskPatch, taskToEvent } from './task-event-mapping.js';

/**
 * 200 generated tasks (see generated-tasks.test-support) written through each real adapter,
 * read back by one full pull and one by one, and mapped back: one event per task, every field
 * equal (the event implies no change to its task), and a task made afresh from the event shows
 * the same event and holds the same synced fields. Graph must refuse, with UnsupportedEventError,
 * exactly the rules it has no pattern for; those are left out of the comparison there.
 */

const COUNT = 200;
const SEED = 6_2026;
const shapes: TaskShape[] = fc.sample(shapesWith([...RULES, ...GRAPH_UNSUPPORTED_RULES]), {
  seed: SEED,
  numRuns: COUNT,
});
/** Writes in flight at once: the engine never sends a calendar all its writes together. */
const BATCH = 8;

/** What an event shows, its rule's parts in one order (servers may reorder them). */
const shown = (event: EventInput): EventInput => ({
  ...event,
  recurrence: event.recurrence === null ? null : canonicalRecurrenceRule(event.recurrence),
});
const fields = (event: ProviderEvent): EventInput => {
  const { id: _id, etag: _etag, updatedAt: _updatedAt, overrides: _overrides, ...input } = event;
  return shown(input);
};

/**
 * Whether a task made from its event has the same dates: an event cannot tell a one-date task
 * with an estimate from one with both dates, nor a one-day task's start from its due date.
 */
function datesSurviveAlone(task: Task): boolean {
  const { startDate, dueDate } = task;
  if (dueDate === null) return false;
  if (startDate === null) return dueDate.length === 10;
  return dueDate.length > 10 || startDate !== dueDate;
}

/** A new task made from the event (rule 4), in a document of its own. */
function freshTask(event: ProviderEvent, zone: string): Task {
  const patch = eventToTaskPatch(event, null, zone);
  return createTask(
    new UserDocs('u2'),
    { ...patch, title: patch.title ?? event.summary } as TaskCreateInput,
    createManualContext(new Date('2026-01-01T00:00:00Z')),
  );
}

/** Whether a time falls in the first pass of an hour its zone repeats (clocks going back). */
function isFirstPassOfRepeatedHour(time: EventTime): boolean {
  if (!('dateTime' in time)) return false;
  const local = DateTime.fromISO(time.dateTime, { zone: 'utc' }).setZone(time.timeZone);
  const { year, month, day, hour, minute } = local;
  const wall = DateTime.fromObject({ year, month, day, hour, minute }, { zone: time.timeZone });
  return wall.toMillis() !== local.toMillis();
}

/**
 * What Graph shows of an event (graph-event-mapping, repeated-hour quirk): a single event's time
 * in the first pass of a repeated hour comes back in UTC; a series starting there comes back an
 * hour late, a known limit (null).
 */
function graphShows(event: EventInput): EventInput | null {
  const repeated = [event.start, event.end].some(isFirstPassOfRepeatedHour);
  if (!repeated) return event;
  if (event.recurrence !== null) return null;
  const utc = (time: EventTime): EventTime =>
    isFirstPassOfRepeatedHour(time) && 'dateTime' in time ? { ...time, timeZone: 'UTC' } : time;
  return { ...event, start: utc(event.start), end: utc(event.end) };
}

interface Backend {
  provider: CalendarProvider;
  /** What the provider must refuse with UnsupportedEventError: the message's gist, or null. */
  refuses: (task: Task, shape: TaskShape) => string | null;
  /** The event this provider shows for what we wrote; null for a known limit of the provider. */
  shows: (event: EventInput) => EventInput | null;
  close(): Promise<void>;
}

const BACKENDS: Record<string, () => Promise<Backend | null>> = {
  'fake Google': async () => {
    const fake = await startFakeGoogleCalendar();
    const provider = createGoogleCalendarProvider({
      rootUrl: fake.url,
      accessToken: async () => fake.token,
      calendarId: fake.calendarId,
    });
    return { provider, refuses: () => null, shows: (event) => event, close: () => fake.close() };
  },
  'fake Graph': async () => {
    const fake = await startFakeGraphCalendar();
    const provider = createGraphCalendarProvider({
      baseUrl: fake.url,
      accessToken: async () => fake.token,
      calendarId: fake.calendarId,
      // The generated days are in 2026, the rules' UNTIL at the end of 2027: a series shows in a
      // calendar view only through an occurrence inside it, and the yearly March rule's first one
      // may be in March 2027.
      window: () => ({
        start: new Date('2025-12-01T00:00:00Z'),
        end: new Date('2028-01-01T00:00:00Z'),
      }),
    });
    return {
      provider,
      // Graph has no pattern for some rules, and cannot say which occurrences a series skips.
      refuses: (task, shape) => {
        if (task.recurrenceExceptions.length > 0) return 'cannot hold a series that skips';
        return GRAPH_UNSUPPORTED_RULES.includes(shape.rule ?? '')
          ? `cannot express the RRULE "${task.recurrenceRule}"`
          : null;
      },
      shows: graphShows,
      close: () => fake.close(),
    };
  },
  Radicale: async () => {
    if (!(await ensureRadicaleInstalled())) return null;
    const server = await startRadicale();
    const options = {
      serverUrl: server.url,
      username: 'round',
      password: 'trip',
      calendarPath: `/round/${randomUUID()}/`,
    };
    await ensureCaldavCalendar(options);
    return {
      provider: createCaldavCalendarProvider(options),
      refuses: () => null,
      shows: (event) => event,
      close: () => server.close(),
    };
  },
};

describe.each(Object.keys(BACKENDS))('round trip of generated tasks through %s', (name) => {
  let backend: Backend | null;
  beforeAll(async () => {
    backend = await (BACKENDS[name] as () => Promise<Backend | null>)();
  }, 60_000);
  afterAll(async () => {
    await backend?.close();
  });

  it(`writes ${COUNT} tasks and reads every field back (seed ${SEED})`, async () => {
    if (!backend)
      throw new Error('Radicale is not installed here (connectors/scripts/ensure-radicale.sh)');
    const { provider, refuses, shows } = backend;
    const built = shapes.map((shape) => ({ shape, task: build(shape).task }));
    const refused = new Map<string, string>();
    for (let i = 0; i < built.length; i += BATCH) {
      await Promise.all(
        built.slice(i, i + BATCH).map(async ({ task, shape }) => {
          try {
            await provider.createEvent(taskToEvent(task, shape.zone) as EventInput, task.id);
          } catch (error) {
            if (!(error instanceof UnsupportedEventError)) throw error;
            refused.set(task.id, error.message);
          }
        }),
      );
    }
    const expectRefused = built.filter(({ task, shape }) => refuses(task, shape) !== null);
    expect([...refused.keys()].sort()).toEqual(expectRefused.map(({ task }) => task.id).sort());
    for (const { task, shape } of expectRefused) {
      expect(refused.get(task.id)).toContain(refuses(task, shape));
    }
    const skipping = built.filter(({ task }) => task.recurrenceExceptions.length > 0).length;
    console.info(
      `${name}: ${refused.size} of ${COUNT} tasks refused as unsupported; ${skipping} series skip occurrences`,
    );

    const pulled = await provider.pullChanges(null);
    const byTask = new Map<string, ProviderEvent[]>();
    for (const event of pulled.changed) {
      if (event.taskId === null) continue;
      byTask.set(event.taskId, [...(byTask.get(event.taskId) ?? []), event]);
    }
    const mismatches: string[] = [];
    const limits: string[] = [];
    const held = built.filter(({ task }) => !refused.has(task.id));
    expect(held.length + refused.size).toBe(COUNT);
    for (const { shape, task } of held) {
      const events = byTask.get(task.id) ?? [];
      expect(events.length, `one event for ${JSON.stringify(shape)}`).toBe(1);
      const event = events[0] as ProviderEvent;
      const written = taskToEvent(task, shape.zone) as EventInput;
      const expected = shows(written);
      if (expected === null) {
        limits.push(task.id);
        continue;
      }
      const patch = eventToTaskPatch(event, task, shape.zone);
      if (Object.keys(patch).length > 0 || !isDeepStrictEqual(fields(event), shown(expected))) {
        mismatches.push(
          `${JSON.stringify({ ...shape, rule: ruleOf(shape) })}\n  patch ${JSON.stringify(patch)}\n  wrote ${JSON.stringify(written)}\n  read  ${JSON.stringify(fields(event))}`,
        );
        continue;
      }
      const fresh = freshTask(event, shape.zone);
      expect(shown({ ...(taskToEvent(fresh, shape.zone) as EventInput), taskId: task.id })).toEqual(
        shown(written),
      );
      expect(fresh).toMatchObject({
        title: task.title,
        description: task.description,
        priority: task.priority,
      });
      expect(sameRecurrenceRule(fresh.recurrenceRule, task.recurrenceRule)).toBe(true);
      if (datesSurviveAlone(task)) {
        expect([fresh.startDate, fresh.dueDate]).toEqual([task.startDate, task.dueDate]);
        expect(fresh.recurrenceExceptions).toEqual(task.recurrenceExceptions);
      }
      const single = await provider.getEvent(event.id);
      expect(single && fields(single)).toEqual(fields(event));
    }
    console.info(`${name}: ${limits.length} of ${held.length} held tasks are a known limit`);
    expect(mismatches).toEqual([]);
    // Known limits stay rare: they must not hide a whole class of tasks.
    expect(limits.length).toBeLessThan(COUNT / 50);
  }, 120_000);
});
