import { randomUUID } from 'node:crypto';
import { canonicalRecurrenceRule, sameRecurrenceRule } from '@tasks/crdt';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCaldavCalendarProvider,
  ensureCaldavCalendar,
} from './caldav/caldav-calendar-provider.js';
import { ensureRadicaleInstalled, startRadicale } from './caldav/radicale-server.js';
import {
  type CalendarProvider,
  type EventInput,
  type ProviderEvent,
  UnsupportedEventError,
} from './calendar-provider.js';
import { build, shapeArb, type TaskShape } from './generated-tasks.test-support.js';
import { startFakeGoogleCalendar } from './google/fake-google-calendar.js';
import { createGoogleCalendarProvider } from './google/google-calendar-provider.js';
import { startFakeGraphCalendar } from './microsoft/fake-graph-calendar.js';
import { createGraphCalendarProvider } from './microsoft/graph-calendar-provider.js';
import { eventToTaskPatch, taskToEvent } from './task-event-mapping.js';

/**
 * 200 generated tasks (five time zones, days around DST changes, all-day and timed, recurrence
 * rules, priorities) written through each real adapter, read back by a full pull and one by one,
 * and mapped back: every field equal, one event per task.
 */

const COUNT = 200;
const SEED = 6_2026;
const shapes: TaskShape[] = fc.sample(shapeArb, { seed: SEED, numRuns: COUNT });
/** What an event shows, its rule's parts in one order (servers may reorder them). */
const shown = (event: EventInput): EventInput => ({
  ...event,
  recurrence: event.recurrence === null ? null : canonicalRecurrenceRule(event.recurrence),
});
const fields = (event: ProviderEvent): EventInput => {
  const { id: _id, etag: _etag, updatedAt: _updatedAt, ...input } = event;
  return shown(input);
};

interface Backend {
  provider: CalendarProvider;
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
    return { provider, close: () => fake.close() };
  },
  'fake Graph': async () => {
    const fake = await startFakeGraphCalendar();
    const provider = createGraphCalendarProvider({
      baseUrl: fake.url,
      accessToken: async () => fake.token,
      calendarId: fake.calendarId,
      // The generated days are in 2025.
      window: () => ({
        start: new Date('2024-12-01T00:00:00Z'),
        end: new Date('2026-02-01T00:00:00Z'),
      }),
    });
    return { provider, close: () => fake.close() };
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
    return { provider: createCaldavCalendarProvider(options), close: () => server.close() };
  },
};

describe.each(Object.keys(BACKENDS))('round trip of %i generated tasks through %s', (name) => {
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
    const { provider } = backend;
    const built = shapes.map((shape) => ({ shape, task: build(shape).task }));
    const unsupported: string[] = [];
    // Eight writes at a time, as the engine's provider calls would never be all at once.
    for (let i = 0; i < built.length; i += 8) {
      await Promise.all(
        built.slice(i, i + 8).map(async ({ shape, task }) => {
          const input = taskToEvent(task, shape.zone) as EventInput;
          try {
            await provider.createEvent(input, task.id);
          } catch (error) {
            if (!(error instanceof UnsupportedEventError)) throw error;
            unsupported.push(task.id);
          }
        }),
      );
    }
    // Only Graph may refuse a rule it has no pattern for; none of the generated rules is one.
    expect(unsupported).toEqual([]);

    const pulled = await provider.pullChanges(null);
    const byTask = new Map<string, ProviderEvent[]>();
    for (const event of pulled.changed) {
      if (event.taskId === null) continue;
      byTask.set(event.taskId, [...(byTask.get(event.taskId) ?? []), event]);
    }
    const mismatches: string[] = [];
    for (const { shape, task } of built) {
      const events = byTask.get(task.id) ?? [];
      expect(events.length, `one event for ${JSON.stringify(shape)}`).toBe(1);
      const event = events[0] as ProviderEvent;
      const patch = eventToTaskPatch(event, task, shape.zone);
      if (Object.keys(patch).length > 0) {
        mismatches.push(`${JSON.stringify(shape)} → ${JSON.stringify(patch)}`);
        continue;
      }
      // The event as written is the event as read, and a task made from it shows it again.
      expect(fields(event)).toEqual(shown(taskToEvent(task, shape.zone) as EventInput));
      const fresh = eventToTaskPatch(event, null, shape.zone);
      expect(fresh).toMatchObject({ description: task.description, priority: task.priority });
      expect(sameRecurrenceRule(fresh.recurrenceRule ?? null, task.recurrenceRule)).toBe(true);
      const single = await provider.getEvent(event.id);
      expect(single && fields(single)).toEqual(fields(event));
    }
    expect(mismatches).toEqual([]);
  }, 180_000);
});
