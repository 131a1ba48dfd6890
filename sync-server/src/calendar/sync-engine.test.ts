import {
  type CalendarProvider,
  createGoogleCalendarProvider,
  type FakeGoogleCalendar,
  startFakeGoogleCalendar,
  UnsupportedEventError,
} from '@tasks/connectors';
import {
  calendarEventsOf,
  createTask,
  forgetCalendarConnection,
  listInbox,
  listTasks,
  type Task,
  updateTask,
} from '@tasks/crdt';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '../db/database.js';
import type { DocumentAccess } from '../rest/document-access.js';
import { insertTestUser } from './connection-test-rows.js';
import { ConnectionRemovedError, runSync } from './sync-engine.js';
import { openSyncFixture, type SyncFixture } from './sync-test-fixture.js';

const clock = () => new Date();

function inDays(days: number): string {
  return new Date(Date.now() + days * 24 * 3600_000).toISOString().slice(0, 10);
}

async function insertGoogleConnection(db: Database, userId: string): Promise<string> {
  const id = crypto.randomUUID();
  await db.query(
    `insert into calendar_connections (id, user_id, provider, calendar_id, access_token)
     values ($1, $2, 'GOOGLE', 'primary', 'v1:placeholder')`,
    [id, userId],
  );
  return id;
}

describe('runSync against the fake Google Calendar', () => {
  let test: SyncFixture;
  let access: DocumentAccess;
  let fake: FakeGoogleCalendar;
  let provider: CalendarProvider;
  let userId: string;
  let connectionId: string;

  beforeAll(async () => {
    test = await openSyncFixture('pglite', { docQuotaBytes: 10_000_000, clock });
    access = test.access;
  }, 60_000);

  afterAll(async () => {
    await test?.dispose();
  });

  beforeEach(async () => {
    fake = await startFakeGoogleCalendar();
    provider = createGoogleCalendarProvider({
      rootUrl: fake.url,
      accessToken: async () => fake.token,
      calendarId: fake.calendarId,
      retry: { maxAttempts: 1 },
    });
    userId = await insertTestUser(test.db);
    connectionId = await insertGoogleConnection(test.db, userId);
  });

  afterEach(async () => {
    await fake.close();
  });

  const sync = (over: CalendarProvider = provider) =>
    runSync({ connectionId, provider: over, userId, db: test.db, access, clock });

  const liveEvents = () => fake.events().filter((event) => event.status !== 'cancelled');

  const addTask = (title: string): Promise<Task> =>
    access.use(userId, [], (docs, ctx) => createTask(docs, { title, dueDate: inDays(3) }, ctx));

  const readTask = (id: string): Promise<Task | undefined> =>
    access.use(userId, [], (docs) =>
      listTasks(docs, { includeDeleted: true }).find((task) => task.id === id),
    );

  const linkCount = async (): Promise<number> => {
    const rows = await test.db.query<{ n: number | string }>(
      'select count(*) as n from calendar_links where connection_id = $1',
      [connectionId],
    );
    return Number(rows[0]?.n ?? 0);
  };

  it('creates one event for a dated task, and no duplicate on a re-run', async () => {
    const task = await addTask('Write report');
    const first = await sync();
    expect(first.actions.map((a) => a.type)).toContain('createEvent');
    expect(liveEvents()).toHaveLength(1);
    expect(await linkCount()).toBe(1);
    const eventId = liveEvents()[0]?.id;
    expect((await readTask(task.id))?.calendarEventId).toBe(eventId);

    const second = await sync();
    expect(second.actions.filter((a) => a.type === 'createEvent')).toHaveLength(0);
    expect(liveEvents()).toHaveLength(1);
    expect(await linkCount()).toBe(1);
    const [row] = await test.db.query<{ cursor: string | null }>(
      'select cursor from calendar_connections where id = $1',
      [connectionId],
    );
    expect(row?.cursor).not.toBeNull();
  });

  it('commits nothing of a sync aborted halfway (its deadline), and the next one adds no duplicate', async () => {
    await addTask('Write report');
    await addTask('Call the bank');
    const controller = new AbortController();
    const reason = new Error('the sync deadline passed');
    // The deadline passes just after the first event is created on the calendar.
    const slow: CalendarProvider = {
      ...provider,
      createEvent: async (...args) => {
        const created = await provider.createEvent(...args);
        controller.abort(reason);
        return created;
      },
    };
    await expect(
      runSync({
        connectionId,
        provider: slow,
        userId,
        db: test.db,
        access,
        clock,
        signal: controller.signal,
      }),
    ).rejects.toBe(reason);
    expect(liveEvents()).toHaveLength(1);
    expect(await linkCount()).toBe(0);
    const [row] = await test.db.query<{ cursor: string | null }>(
      'select cursor from calendar_connections where id = $1',
      [connectionId],
    );
    expect(row?.cursor).toBeNull();

    await sync();
    expect(liveEvents()).toHaveLength(2);
    expect(await linkCount()).toBe(2);
  });

  it('pulls an event edited on the calendar into the task', async () => {
    const task = await addTask('Old title');
    await sync();
    const eventId = liveEvents()[0]?.id as string;
    const event = await provider.getEvent(eventId);
    if (!event) throw new Error('event missing');
    const { id: _id, etag, updatedAt: _u, ...input } = event;
    await provider.updateEvent(eventId, { ...input, summary: 'New title' }, etag);

    await sync();
    expect((await readTask(task.id))?.title).toBe('New title');
    expect(liveEvents()).toHaveLength(1);
    // Our own echo does not come back as a change.
    const again = await sync();
    expect(again.actions.filter((a) => a.type !== 'mirrorEvent')).toEqual([]);
  });

  it('unlinks the task when its event is deleted on the calendar, and keeps the task', async () => {
    const task = await addTask('Dentist');
    await sync();
    const eventId = liveEvents()[0]?.id as string;
    await provider.deleteEvent(eventId, null);

    const run = await sync();
    expect(run.actions.map((a) => a.type)).toContain('unlinkTask');
    const after = await readTask(task.id);
    expect(after).toBeDefined();
    expect(after?.deletedAt).toBeNull();
    expect(after?.calendarEventId).toBeNull();
    expect(await linkCount()).toBe(0);
    const detached = await test.db.query(
      'select task_id from calendar_detached_tasks where connection_id = $1',
      [connectionId],
    );
    expect(detached).toHaveLength(1);

    // Detached: never given an event again.
    await sync();
    expect(liveEvents()).toHaveLength(0);
  });

  it('shows a completed occurrence of a series as that one event, and the series from the next', async () => {
    const task = await access.use(userId, [], (docs, ctx) =>
      createTask(
        docs,
        { title: 'Water plants', dueDate: inDays(2), recurrenceRule: 'FREQ=WEEKLY' },
        ctx,
      ),
    );
    await sync();
    const done = await access.use(userId, [], (docs, ctx) =>
      updateTask(docs, task.id, { status: 'COMPLETED' }, ctx),
    );
    const next = done.next;
    expect(next).not.toBeNull();
    await sync();
    await sync();
    const events = liveEvents();
    expect(events).toHaveLength(2);
    const byTask = (id: string) =>
      events.find((event) => event.extendedProperties?.private?.taskId === id);
    // Completed: its own date only, or its week would show twice from the next date on.
    expect(byTask(task.id)?.recurrence ?? null).toBeNull();
    expect(byTask(next?.id as string)?.recurrence).toEqual(['RRULE:FREQ=WEEKLY']);
    // The completed task keeps its rule: the calendar's single event is not an edit of it.
    expect((await readTask(task.id))?.recurrenceRule).toBe('FREQ=WEEKLY');
    const quiet = await sync();
    expect(quiet.actions.filter((a) => a.type !== 'mirrorEvent')).toEqual([]);
    // Reopened by mistake: still its own date only, the series stays with the next occurrence.
    await access.use(userId, [], (docs, ctx) => updateTask(docs, task.id, { status: 'TODO' }, ctx));
    await sync();
    expect(
      liveEvents()
        .map((event) => event.recurrence ?? null)
        .sort(),
    ).toEqual([['RRULE:FREQ=WEEKLY'], null]);
  });

  it('skips an occurrence deleted in the calendar, and sends a skip made in the app', async () => {
    const task = await access.use(userId, [], (docs, ctx) =>
      createTask(
        docs,
        { title: 'Stand-up', dueDate: inDays(2), recurrenceRule: 'FREQ=DAILY;COUNT=10' },
        ctx,
      ),
    );
    await sync();
    // Someone deletes the 3rd occurrence in Google: an EXDATE on the series.
    const event = await provider.getEvent(liveEvents()[0]?.id as string);
    if (!event) throw new Error('event missing');
    const { id: eventId, etag, updatedAt: _u, ...input } = event;
    await provider.updateEvent(eventId, { ...input, exceptions: [inDays(4)] }, etag);
    await sync();
    expect((await readTask(task.id))?.recurrenceExceptions).toEqual([inDays(4)]);
    // Completing the task twice lands past the skipped day.
    const second = await access.use(
      userId,
      [],
      (docs, ctx) => updateTask(docs, task.id, { status: 'COMPLETED' }, ctx).next,
    );
    expect(second?.dueDate).toBe(inDays(3));
    const third = await access.use(
      userId,
      [],
      (docs, ctx) => updateTask(docs, second?.id as string, { status: 'COMPLETED' }, ctx).next,
    );
    expect(third?.dueDate).toBe(inDays(5));
    // Skipping the 7th day in the app reaches the series the open task shows.
    await access.use(userId, [], (docs, ctx) =>
      updateTask(docs, third?.id as string, { recurrenceExceptions: [inDays(8)] }, ctx),
    );
    await sync();
    await sync();
    const open = liveEvents().find(
      (candidate) => candidate.extendedProperties?.private?.taskId === third?.id,
    );
    expect(open?.recurrence).toEqual([
      'RRULE:FREQ=DAILY;COUNT=10',
      `EXDATE;VALUE=DATE:${inDays(8).replaceAll('-', '')}`,
    ]);
    const quiet = await sync();
    expect(quiet.actions.filter((a) => a.type !== 'mirrorEvent')).toEqual([]);
  });

  it('tells the user once, in the inbox, about a task the calendar cannot hold', async () => {
    const task = await addTask('Report');
    const refusing: CalendarProvider = {
      name: 'MICROSOFT',
      pullChanges: (cursor) => provider.pullChanges(cursor),
      getEvent: (id) => provider.getEvent(id),
      createEvent: async () => {
        throw new UnsupportedEventError('Outlook cannot hold a series that skips occurrences');
      },
      updateEvent: (id, input, etag) => provider.updateEvent(id, input, etag),
      deleteEvent: (id, etag) => provider.deleteEvent(id, etag),
    };
    const first = await sync(refusing);
    expect(first.refusedTaskIds).toEqual([task.id]);
    await sync(refusing);
    const items = await access.use(userId, [], (docs) => listInbox(docs));
    expect(items.map((item) => [item.kind, item.title, item.body])).toEqual([
      [
        'calendar_unsupported',
        '“Report” cannot go to your Outlook calendar',
        'Outlook cannot hold a series that skips occurrences',
      ],
    ]);
  });

  it('takes back what it wrote to the documents when the calendar is disconnected during the sync', async () => {
    const first = await addTask('Linked before the disconnect');
    const second = await addTask('Linked after it');
    fake.seedEvent({
      id: 'standup0meeting',
      summary: 'Standup',
      start: { dateTime: `${inDays(2)}T09:00:00Z`, timeZone: 'UTC' },
      end: { dateTime: `${inDays(2)}T09:15:00Z`, timeZone: 'UTC' },
    });
    let created = 0;
    // The user disconnects while the second event is being written, as the route does: the
    // connection goes (no link was committed yet), then its traces in the documents.
    const disconnecting: CalendarProvider = {
      ...provider,
      createEvent: async (...args) => {
        created += 1;
        if (created === 2) {
          await test.db.query('delete from calendar_connections where id = $1', [connectionId]);
          await access.use(userId, [], (docs, ctx) =>
            forgetCalendarConnection(docs, connectionId, [], ctx),
          );
        }
        return provider.createEvent(...args);
      },
    };
    await expect(sync(disconnecting)).rejects.toBeInstanceOf(ConnectionRemovedError);
    expect(created).toBe(2);
    for (const task of [first, second]) {
      expect((await readTask(task.id))?.calendarEventId).toBeNull();
    }
    const mirrored = await access.use(userId, [], (docs) => [
      ...calendarEventsOf(docs.main).keys(),
    ]);
    expect(mirrored).toEqual([]);
    expect(await linkCount()).toBe(0);
  });

  it('commits no link once the connection is gone, and takes back its event ids on tasks', async () => {
    const task = await addTask('Linked as the connection goes');
    const gone: CalendarProvider = {
      ...provider,
      createEvent: async (...args) => {
        const written = await provider.createEvent(...args);
        // Gone after the last provider call, before the commit: nobody took the id back yet.
        await test.db.query('delete from calendar_connections where id = $1', [connectionId]);
        return written;
      },
    };
    await expect(sync(gone)).rejects.toBeInstanceOf(ConnectionRemovedError);
    expect((await readTask(task.id))?.calendarEventId).toBeNull();
    expect(await linkCount()).toBe(0);
  });

  it('creates no duplicate when a crash follows the first provider write', async () => {
    await addTask('Crash one');
    await addTask('Crash two');
    const crashing: CalendarProvider = {
      name: provider.name,
      pullChanges: (cursor) => provider.pullChanges(cursor),
      getEvent: (id) => provider.getEvent(id),
      createEvent: async (input, key) => {
        await provider.createEvent(input, key);
        throw new Error('simulated crash');
      },
      updateEvent: (id, input, etag) => provider.updateEvent(id, input, etag),
      deleteEvent: (id, etag) => provider.deleteEvent(id, etag),
    };
    await expect(sync(crashing)).rejects.toThrow('simulated crash');
    expect(liveEvents()).toHaveLength(1);
    expect(await linkCount()).toBe(0);

    await sync();
    expect(liveEvents()).toHaveLength(2);
    expect(await linkCount()).toBe(2);
    await sync();
    expect(liveEvents()).toHaveLength(2);
    expect(await linkCount()).toBe(2);
    // The adopted event shows on its task too, not only in the status table.
    for (const event of liveEvents()) {
      const taskId = event.extendedProperties?.private?.taskId as string;
      expect((await readTask(taskId))?.calendarEventId).toBe(event.id);
    }
  });
});
