import {
  type ApiTimeEntry,
  addManualEntry,
  entriesOf,
  monthKeyOf,
  systemContext,
  toIso,
  UserDocs,
  updateSettings,
} from '@tasks/crdt';
import { v7 as uuidv7 } from 'uuid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { testDatabaseKinds } from '../db/test-databases.js';
import {
  callApi,
  type ErrorBody,
  type ApiReply as Reply,
  startTestServer,
  type TestServer,
  type TestUser,
} from '../test-server.js';

/** Bodies are read as `unknown` here: each test casts to the shape it asserts. */
const call = (...args: Parameters<typeof callApi>) => callApi<unknown>(...args);

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface EntryList {
  entries: ApiTimeEntry[];
  total_duration: number;
  total_entries: number;
}

const entryOf = (reply: Reply) => reply.body as ApiTimeEntry;
const listOf = (reply: Reply) => reply.body as EntryList;
const fieldsOf = (reply: Reply) => (reply.body as ErrorBody).error.fields;

async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A device: stock y-websocket clients on the main room and the given month rooms. */
async function connectDevice(ts: TestServer, user: TestUser, months: readonly string[]) {
  const connect = (room: string, doc: Y.Doc) =>
    new WebsocketProvider(ts.wsUrl, room, doc, {
      WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
      params: { token: user.token },
      disableBc: true,
    });
  const main = new Y.Doc();
  const monthDocs = new Map(months.map((month) => [month, new Y.Doc()]));
  const providers = [
    connect(user.userId, main),
    ...[...monthDocs].map(([month, doc]) => connect(`${user.userId}/time/${month}`, doc)),
  ];
  await waitFor(() => providers.every((provider) => provider.synced), 'device synced');
  const docs = new UserDocs(user.userId, { main, months: monthDocs, strictMonths: true });
  return {
    docs,
    destroy() {
      for (const provider of providers) provider.destroy();
    },
  };
}

describe.each(testDatabaseKinds())('time tracking API on %s', (kind) => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer(kind);
  });
  afterAll(async () => {
    await ts?.dispose();
  });

  async function createTask(user: TestUser, title: string): Promise<string> {
    const reply = await call(ts, user, 'POST', '/tasks', { title });
    expect(reply.status).toBe(201);
    return (reply.body as { id: string }).id;
  }

  it('starts a timer on a task and shows it running through GET', async () => {
    const user = await ts.register('timer');
    const taskId = await createTask(user, 'Implement the timer');
    const before = Date.now();
    const started = await call(ts, user, 'POST', '/time/start', {
      task_id: taskId,
      description: 'Working on implementation',
    });
    expect(started.status).toBe(201);
    const entry = entryOf(started);
    expect(entry).toEqual({
      id: expect.stringMatching(UUID_V7),
      task_id: taskId,
      start_time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
      end_time: null,
      duration: 0,
      description: 'Working on implementation',
      is_manual: false,
      created_at: entry.start_time,
      updated_at: entry.start_time,
    });
    // Stored instants are whole seconds.
    expect(Date.parse(entry.start_time)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(Date.parse(entry.start_time)).toBeLessThanOrEqual(Date.now());

    const one = await call(ts, user, 'GET', `/time/entries/${entry.id}`);
    expect(one.status).toBe(200);
    expect(entryOf(one)).toEqual({ ...entry, duration: expect.any(Number) });
    const listed = listOf(await call(ts, user, 'GET', '/time/entries'));
    expect(listed).toEqual({
      entries: [{ ...entry, duration: expect.any(Number) }],
      total_duration: listed.entries[0]?.duration,
      total_entries: 1,
    });
    expect(listed.entries[0]?.end_time).toBeNull();
  });

  it('stops the running timer, and refuses to stop it again or to stop an unknown entry', async () => {
    const user = await ts.register('stop');
    const entry = entryOf(await call(ts, user, 'POST', '/time/start', {}));
    expect(entry).toMatchObject({ task_id: null, description: null, end_time: null });

    const stopped = await call(ts, user, 'POST', `/time/stop/${entry.id}`);
    expect(stopped.status).toBe(200);
    const end = entryOf(stopped).end_time as string;
    expect(Date.parse(end)).toBeGreaterThanOrEqual(Date.parse(entry.start_time));
    expect(entryOf(stopped)).toEqual({
      ...entry,
      end_time: end,
      duration:
        Math.floor(Date.parse(end) / 1000) - Math.floor(Date.parse(entry.start_time) / 1000),
      updated_at: end,
    });

    const again = await call(ts, user, 'POST', `/time/stop/${entry.id}`);
    expect(again.status).toBe(409);
    expect(again.body).toEqual({
      error: { code: 'conflict', message: 'this time entry is not running', fields: [] },
    });
    for (const id of [uuidv7(), 'not-an-entry']) {
      const unknown = await call(ts, user, 'POST', `/time/stop/${id}`);
      expect(unknown.status).toBe(404);
      expect((unknown.body as ErrorBody).error.code).toBe('not_found');
    }
  });

  it('stops the running timer when another one starts', async () => {
    const user = await ts.register('switch');
    const first = entryOf(await call(ts, user, 'POST', '/time/start', { description: 'first' }));
    const second = entryOf(await call(ts, user, 'POST', '/time/start', { description: 'second' }));
    const firstNow = entryOf(await call(ts, user, 'GET', `/time/entries/${first.id}`));
    expect(firstNow.end_time).toBe(second.start_time);
    const listed = listOf(await call(ts, user, 'GET', '/time/entries'));
    expect(listed.entries.map((e) => [e.description, e.end_time === null])).toEqual([
      ['first', false],
      ['second', true],
    ]);
  });

  it('adds manual entries and lists a range with its totals, optionally for one task', async () => {
    const user = await ts.register('manual');
    const taskId = await createTask(user, 'Write report');
    const created = await call(ts, user, 'POST', '/time/entries', {
      task_id: taskId,
      start_time: '2025-06-02T09:00:00+02:00',
      end_time: '2025-06-02T10:30:00+02:00',
      description: 'Draft',
    });
    expect(created.status).toBe(201);
    const draft = entryOf(created);
    expect(draft).toEqual({
      id: expect.stringMatching(UUID_V7),
      task_id: taskId,
      start_time: '2025-06-02T07:00:00Z',
      end_time: '2025-06-02T08:30:00Z',
      duration: 5400,
      description: 'Draft',
      is_manual: true,
      created_at: expect.any(String),
      updated_at: draft.created_at,
    });
    const add = async (start_time: string, end_time: string) =>
      entryOf(await call(ts, user, 'POST', '/time/entries', { start_time, end_time }));
    // Crosses midnight into the range's last day, and one after the range.
    const late = await add('2025-06-05T23:30:00Z', '2025-06-06T00:30:00Z');
    await add('2025-06-10T09:00:00Z', '2025-06-10T10:00:00Z');

    const range = await call(
      ts,
      user,
      'GET',
      '/time/entries?start_date=2025-06-01&end_date=2025-06-05',
    );
    expect(range.status).toBe(200);
    expect(range.body).toEqual({ entries: [draft, late], total_duration: 9000, total_entries: 2 });
    const forTask = await call(
      ts,
      user,
      'GET',
      `/time/entries?start_date=2025-06-01&end_date=2025-06-30&task_id=${taskId}`,
    );
    expect(forTask.body).toEqual({ entries: [draft], total_duration: 5400, total_entries: 1 });
    const instants = await call(
      ts,
      user,
      'GET',
      '/time/entries?start_date=2025-06-02T08:00:00Z&end_date=2025-06-05T23:30:00Z',
    );
    expect(listOf(instants).entries.map((e) => e.id)).toEqual([draft.id]);
  });

  it('reads dates as local days of the user’s time zone, and defaults to the last 30 days', async () => {
    const user = await ts.register('zone');
    // 01:00 on 3 June in Tokyo, still 2 June in UTC.
    const entry = entryOf(
      await call(ts, user, 'POST', '/time/entries', {
        start_time: '2025-06-02T16:00:00Z',
        end_time: '2025-06-02T17:00:00Z',
      }),
    );
    const day = async (date: string) =>
      listOf(await call(ts, user, 'GET', `/time/entries?start_date=${date}&end_date=${date}`));
    expect((await day('2025-06-02')).entries.map((e) => e.id)).toEqual([entry.id]);
    const device = await connectDevice(ts, user, []);
    try {
      updateSettings(device.docs, { timezone: 'Asia/Tokyo' });
      await waitFor(
        async () => (await day('2025-06-03')).total_entries === 1,
        'the device’s time zone on the server',
      );
    } finally {
      device.destroy();
    }
    expect((await day('2025-06-03')).entries.map((e) => e.id)).toEqual([entry.id]);
    expect((await day('2025-06-02')).entries).toEqual([]);

    const hourAgo = Math.floor((Date.now() - 2 * DAY) / HOUR) * HOUR;
    const recent = entryOf(
      await call(ts, user, 'POST', '/time/entries', {
        start_time: toIso(new Date(hourAgo)),
        end_time: toIso(new Date(hourAgo + HOUR)),
      }),
    );
    await call(ts, user, 'POST', '/time/entries', {
      start_time: toIso(new Date(hourAgo - 40 * DAY)),
      end_time: toIso(new Date(hourAgo - 40 * DAY + HOUR)),
    });
    const lastDays = listOf(await call(ts, user, 'GET', '/time/entries'));
    expect(lastDays).toEqual({ entries: [recent], total_duration: 3600, total_entries: 1 });
  });

  it('refuses bad ranges and bodies with the spec’s field names', async () => {
    const user = await ts.register('invalid');
    const cases: [string, string, unknown, { field: string; message: string }[]][] = [
      [
        'GET',
        '/time/entries?start_date=yesterday',
        undefined,
        [{ field: 'start_date', message: expect.stringContaining('must be a date') }],
      ],
      [
        'GET',
        '/time/entries?start_date=2025-06-05&end_date=2025-06-01',
        undefined,
        [{ field: 'end_date', message: 'must be after the start date' }],
      ],
      [
        'GET',
        '/time/entries?start_date=2024-01-01&end_date=2025-06-01',
        undefined,
        [{ field: 'end_date', message: 'the range may cover at most 366 days' }],
      ],
      [
        'GET',
        '/time/entries?from=2025-06-01',
        undefined,
        [{ field: 'from', message: 'unknown field' }],
      ],
      [
        'POST',
        '/time/entries',
        { start_time: '2025-06-02T10:00:00Z', end_time: '2025-06-02T09:00:00Z' },
        [{ field: 'end_time', message: 'must be after start' }],
      ],
      [
        'POST',
        '/time/entries',
        { start_time: '2025-06-02 10:00', end_time: '2025-06-02T11:00:00Z', duration: 5 },
        [
          { field: 'duration', message: 'unknown field' },
          { field: 'start_time', message: expect.stringContaining('ISO-8601 datetime') },
        ],
      ],
      [
        'POST',
        '/time/entries',
        {
          task_id: 'no-such-task',
          start_time: '2025-06-02T10:00:00Z',
          end_time: '2025-06-02T11:00:00Z',
        },
        [{ field: 'task_id', message: 'no such task' }],
      ],
      [
        'POST',
        '/time/start',
        { task_id: 'no-such-task' },
        [{ field: 'task_id', message: 'no such task' }],
      ],
      ['POST', '/time/start', { project: 'x' }, [{ field: 'project', message: 'unknown field' }]],
    ];
    for (const [method, path, body, fields] of cases) {
      const reply = await call(ts, user, method, path, body);
      expect({ path, body, status: reply.status }).toEqual({ path, body, status: 422 });
      expect((reply.body as ErrorBody).error.code).toBe('validation_failed');
      expect(new Set(fieldsOf(reply))).toEqual(new Set(fields));
    }
    expect(listOf(await call(ts, user, 'GET', '/time/entries')).total_entries).toBe(0);

    const malformed = await call(ts, user, 'POST', '/time/entries', '{"start_time": ');
    expect(malformed.status).toBe(400);
    expect((malformed.body as ErrorBody).error.code).toBe('malformed_json');
    const wrongType = await call(ts, user, 'POST', '/time/start', 'start', 'text/plain');
    expect(wrongType.status).toBe(415);
  });

  it('edits an entry, moving it to another month, and deletes it', async () => {
    const user = await ts.register('edit');
    const entry = entryOf(
      await call(ts, user, 'POST', '/time/entries', {
        start_time: '2025-06-02T09:00:00Z',
        end_time: '2025-06-02T10:00:00Z',
      }),
    );
    const edited = await call(ts, user, 'PATCH', `/time/entries/${entry.id}`, {
      description: 'Review',
      end_time: '2025-06-02T11:00:00Z',
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toEqual({
      ...entry,
      description: 'Review',
      end_time: '2025-06-02T11:00:00Z',
      duration: 7200,
      updated_at: expect.any(String),
    });

    const moved = await call(ts, user, 'PATCH', `/time/entries/${entry.id}`, {
      start_time: '2024-11-05T10:00:00+01:00',
      end_time: '2024-11-05T10:45:00+01:00',
    });
    expect(moved.status).toBe(200);
    expect(entryOf(moved)).toMatchObject({
      id: entry.id,
      start_time: '2024-11-05T09:00:00Z',
      end_time: '2024-11-05T09:45:00Z',
      duration: 2700,
      description: 'Review',
    });
    // Its id points at this month, the entry is now in November 2024: found all the same.
    const found = await call(ts, user, 'GET', `/time/entries/${entry.id}`);
    expect(found.body).toEqual(moved.body);
    const november = listOf(
      await call(ts, user, 'GET', '/time/entries?start_date=2024-11-01&end_date=2024-11-30'),
    );
    expect(november.entries).toEqual([moved.body]);
    expect(
      listOf(await call(ts, user, 'GET', '/time/entries?start_date=2025-06-01&end_date=2025-06-30'))
        .entries,
    ).toEqual([]);

    const backwards = await call(ts, user, 'PATCH', `/time/entries/${entry.id}`, {
      end_time: '2024-11-05T08:00:00Z',
    });
    expect(backwards.status).toBe(422);
    expect(fieldsOf(backwards)).toEqual([{ field: 'end_time', message: 'must be after start' }]);

    expect((await call(ts, user, 'DELETE', `/time/entries/${entry.id}`)).status).toBe(204);
    for (const [method, body] of [
      ['GET', undefined],
      ['PATCH', { description: 'gone' }],
      ['DELETE', undefined],
    ] as const) {
      const reply = await call(ts, user, method, `/time/entries/${entry.id}`, body);
      expect({ method, status: reply.status }).toEqual({ method, status: 404 });
    }
  });

  it('never shows or changes another user’s entries', async () => {
    const alice = await ts.register('alice');
    const bob = await ts.register('bob');
    const running = entryOf(await call(ts, alice, 'POST', '/time/start', { description: 'mine' }));
    for (const [method, path, body] of [
      ['GET', `/time/entries/${running.id}`, undefined],
      ['PATCH', `/time/entries/${running.id}`, { description: 'stolen' }],
      ['DELETE', `/time/entries/${running.id}`, undefined],
      ['POST', `/time/stop/${running.id}`, undefined],
    ] as const) {
      const reply = await call(ts, bob, method, path, body);
      expect({ method, status: reply.status }).toEqual({ method, status: 404 });
      expect(JSON.stringify(reply.body)).not.toContain('mine');
    }
    expect(listOf(await call(ts, bob, 'GET', '/time/entries')).entries).toEqual([]);
    const still = entryOf(await call(ts, alice, 'GET', `/time/entries/${running.id}`));
    expect(still).toMatchObject({ description: 'mine', end_time: null });
  });

  it('shares entries with stock y-websocket clients on the month room, both ways', async () => {
    const user = await ts.register('live');
    const start = new Date(Math.floor((Date.now() - HOUR) / 1000) * 1000);
    const device = await connectDevice(ts, user, [monthKeyOf(new Date()), monthKeyOf(start)]);
    try {
      const timer = entryOf(
        await call(ts, user, 'POST', '/time/start', { description: 'via REST' }),
      );
      const entries = entriesOf(device.docs.month(monthKeyOf(timer.start_time)));
      await waitFor(() => entries.has(timer.id), 'the REST timer on the device');
      const value = entries.get(timer.id) as Y.Map<unknown>;
      expect(value.get('start')).toBe(timer.start_time);
      expect(value.get('description')).toBe('via REST');
      await waitFor(
        () => device.docs.main.getMap('running').has(timer.id),
        'the running timer on the device',
      );

      const made = addManualEntry(
        device.docs,
        {
          start: toIso(start),
          end: toIso(new Date(start.getTime() + 600_000)),
          description: 'on the phone',
        },
        systemContext,
      );
      let fetched: Reply = { status: 0, body: null };
      await waitFor(async () => {
        fetched = await call(ts, user, 'GET', `/time/entries/${made.id}`);
        return fetched.status === 200;
      }, 'the device’s entry through REST');
      expect(fetched.body).toMatchObject({
        id: made.id,
        start_time: toIso(start),
        duration: 600,
        description: 'on the phone',
        is_manual: true,
      });
    } finally {
      device.destroy();
    }
  });
});
