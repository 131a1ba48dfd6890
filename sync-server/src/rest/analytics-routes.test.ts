import {
  addDays,
  computeDashboard,
  type Dashboard,
  type DayOfWeek,
  localDateOf,
  monthsForRange,
  type TimeDistribution,
  UserDocs,
  updateSettings,
} from '@tasks/crdt';
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

const DAY = 24 * 3600_000;

const fieldsOf = (reply: Reply) => (reply.body as ErrorBody).error.fields;

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A device's replica, read-only: stock y-websocket clients on the main room and the month rooms
 * of the last ~100 days, synced, then closed.
 */
async function deviceReplica(ts: TestServer, user: TestUser): Promise<UserDocs> {
  const now = new Date();
  const months = monthsForRange(new Date(now.getTime() - 100 * DAY), now);
  const main = new Y.Doc();
  const monthDocs = new Map(months.map((month) => [month, new Y.Doc()]));
  const rooms: [string, Y.Doc][] = [
    [user.userId, main],
    ...[...monthDocs].map(([month, doc]): [string, Y.Doc] => [`${user.userId}/time/${month}`, doc]),
  ];
  const providers = rooms.map(
    ([room, doc]) =>
      new WebsocketProvider(ts.wsUrl, room, doc, {
        WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
        params: { token: user.token },
        disableBc: true,
      }),
  );
  try {
    await waitFor(async () => providers.every((provider) => provider.synced), 'device synced');
  } finally {
    for (const provider of providers) provider.destroy();
  }
  return new UserDocs(user.userId, { main, months: monthDocs, strictMonths: true });
}

describe.each(testDatabaseKinds())('analytics API on %s', (kind) => {
  let ts: TestServer;
  beforeAll(async () => {
    ts = await startTestServer(kind);
  });
  afterAll(async () => {
    await ts?.dispose();
  });

  async function addEntry(user: TestUser, entry: Record<string, string>): Promise<void> {
    expect((await call(ts, user, 'POST', '/time/entries', entry)).status).toBe(201);
  }

  it('gives a new user 30 empty local days by default', async () => {
    const user = await ts.register('empty');
    const reply = await call(ts, user, 'GET', '/analytics/dashboard');
    expect(reply.status).toBe(200);
    const today = localDateOf(Math.floor(Date.now() / 1000), 'UTC');
    expect(reply.body).toEqual({
      period: '30d',
      tasks_completed: 0,
      tasks_created: 0,
      completion_rate: 0,
      total_time_tracked: 0,
      avg_task_duration: 0,
      productivity_score: 0,
      top_tags: [],
      daily_breakdown: Array.from({ length: 30 }, (_, index) => ({
        date: addDays(today, index - 29),
        tasks_completed: 0,
        tasks_created: 0,
        time_tracked: 0,
      })),
    });
  });

  it('counts a manual entry crossing midnight on both days, toward its task’s tags', async () => {
    const user = await ts.register('midnight');
    const task = await call(ts, user, 'POST', '/tasks', {
      title: 'Release',
      tags: ['Development'],
    });
    const today = localDateOf(Math.floor(Date.now() / 1000), 'UTC');
    const [twoDaysAgo, yesterday] = [addDays(today, -2), addDays(today, -1)];
    await addEntry(user, {
      task_id: (task.body as { id: string }).id,
      start_time: `${twoDaysAgo}T23:00:00Z`,
      end_time: `${yesterday}T01:30:00Z`,
    });
    const reply = await call(ts, user, 'GET', '/analytics/dashboard?period=7d');
    expect(reply.status).toBe(200);
    const dashboard = reply.body as Dashboard;
    expect(dashboard).toMatchObject({
      period: '7d',
      tasks_created: 1,
      total_time_tracked: 9000,
      top_tags: [{ tag: 'Development', time: 9000, tasks: 1 }],
    });
    expect(dashboard.daily_breakdown.map((day) => [day.date, day.time_tracked])).toEqual(
      Array.from({ length: 7 }, (_, index) => {
        const date = addDays(today, index - 6);
        return [date, date === twoDaysAgo ? 3600 : date === yesterday ? 5400 : 0];
      }),
    );
    // The very numbers a device computes from its own replica.
    const replica = await deviceReplica(ts, user);
    expect(dashboard).toEqual(computeDashboard(replica, { period: '7d', now: new Date() }));
  });

  it('splits days at midnight in the user’s time zone', async () => {
    const user = await ts.register('tokyo');
    const main = new Y.Doc();
    const device = new WebsocketProvider(ts.wsUrl, user.userId, main, {
      WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
      params: { token: user.token },
      disableBc: true,
    });
    try {
      await waitFor(async () => device.synced, 'device synced');
      updateSettings(new UserDocs(user.userId, { main }), { timezone: 'Asia/Tokyo' });
      const today = localDateOf(Math.floor(Date.now() / 1000), 'Asia/Tokyo');
      const twoDaysAgo = addDays(today, -2);
      // 23:30 to 00:30 in Tokyo (UTC+9), within one day in UTC.
      await addEntry(user, {
        start_time: `${twoDaysAgo}T14:30:00Z`,
        end_time: `${twoDaysAgo}T15:30:00Z`,
      });
      let tracked: Dashboard['daily_breakdown'] = [];
      await waitFor(async () => {
        const reply = await call(ts, user, 'GET', '/analytics/dashboard?period=7d');
        tracked = (reply.body as Dashboard).daily_breakdown.filter((day) => day.time_tracked > 0);
        return tracked.length === 2;
      }, 'the device’s time zone on the server');
      expect(tracked).toEqual([
        { date: twoDaysAgo, tasks_completed: 0, tasks_created: 0, time_tracked: 1800 },
        { date: addDays(twoDaysAgo, 1), tasks_completed: 0, tasks_created: 0, time_tracked: 1800 },
      ]);
    } finally {
      device.destroy();
    }
  });

  it('gives where the time of a range went, from every month the range needs', async () => {
    const user = await ts.register('distribution');
    const task = await call(ts, user, 'POST', '/tasks', {
      title: 'Ship',
      priority: 'HIGH',
      tags: ['Development'],
    });
    const taskId = (task.body as { id: string }).id;
    // Monday 2 June, Wednesday 4 June, Thursday 15 May; and one after the range.
    await addEntry(user, {
      task_id: taskId,
      start_time: '2025-06-02T09:00:00Z',
      end_time: '2025-06-02T10:00:00Z',
    });
    await addEntry(user, { start_time: '2025-06-04T09:00:00Z', end_time: '2025-06-04T09:30:00Z' });
    await addEntry(user, { start_time: '2025-05-15T10:00:00Z', end_time: '2025-05-15T10:30:00Z' });
    await addEntry(user, { start_time: '2025-07-01T10:00:00Z', end_time: '2025-07-01T11:00:00Z' });

    const reply = await call(
      ts,
      user,
      'GET',
      '/analytics/time-distribution?start_date=2025-05-01&end_date=2025-06-30',
    );
    expect(reply.status).toBe(200);
    const share = (day: DayOfWeek, time: number) => ({ day, time, percentage: time / 72 });
    expect(reply.body).toEqual({
      start_date: '2025-05-01',
      end_date: '2025-06-30',
      total_time: 7200,
      by_project: [{ project_id: null, project_name: 'No project', time: 7200, percentage: 100 }],
      by_tag: [{ tag: 'Development', time: 3600, percentage: 50 }],
      by_priority: [
        { priority: 'LOW', time: 0, percentage: 0 },
        { priority: 'MEDIUM', time: 0, percentage: 0 },
        { priority: 'HIGH', time: 3600, percentage: 50 },
        { priority: 'URGENT', time: 0, percentage: 0 },
        { priority: null, time: 3600, percentage: 50 },
      ],
      by_day_of_week: [
        share('MONDAY', 3600),
        share('TUESDAY', 0),
        share('WEDNESDAY', 1800),
        share('THURSDAY', 1800),
        share('FRIDAY', 0),
        share('SATURDAY', 0),
        share('SUNDAY', 0),
      ],
    } satisfies TimeDistribution);
  });

  it('refuses bad queries with the query’s field names', async () => {
    const user = await ts.register('invalid');
    const cases: [string, { field: string; message: string }[]][] = [
      ['/dashboard?period=1y', [{ field: 'period', message: 'must be one of 7d, 30d, 90d' }]],
      ['/dashboard?days=7', [{ field: 'days', message: 'unknown field' }]],
      [
        '/time-distribution',
        [
          { field: 'start_date', message: 'required: a date written YYYY-MM-DD' },
          { field: 'end_date', message: 'required: a date written YYYY-MM-DD' },
        ],
      ],
      [
        '/time-distribution?start_date=2025-02-30&end_date=2025-03-01',
        [{ field: 'start_date', message: 'must be a date written YYYY-MM-DD, such as 2025-10-01' }],
      ],
      [
        '/time-distribution?start_date=2025-03-02&end_date=2025-03-01',
        [{ field: 'end_date', message: 'must not be before start_date' }],
      ],
      [
        '/time-distribution?start_date=2015-01-01&end_date=2025-01-01',
        [{ field: 'end_date', message: 'the range may cover at most 366 days' }],
      ],
    ];
    for (const [path, fields] of cases) {
      const reply = await call(ts, user, 'GET', `/analytics${path}`);
      expect({ path, status: reply.status }).toEqual({ path, status: 422 });
      expect(fieldsOf(reply)).toEqual(fields);
    }
    // A refused range loads no month documents.
    const [row] = await ts.db.query<{ n: string | number }>(
      'select count(*) as n from documents where user_id = $1 and name like $2',
      [user.userId, `${user.userId}/time/%`],
    );
    expect(Number(row?.n)).toBe(0);
  });

  it('documents the time and analytics routes in the OpenAPI description', async () => {
    const response = await fetch(`${ts.url}/api/v1/openapi.json`);
    const doc = (await response.json()) as {
      paths: Record<string, Record<string, unknown>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/time/start',
        '/time/stop/{id}',
        '/time/entries',
        '/time/entries/{id}',
        '/analytics/dashboard',
        '/analytics/time-distribution',
      ]),
    );
    expect(Object.keys(doc.paths['/time/entries/{id}'] ?? {}).sort()).toEqual([
      'delete',
      'get',
      'patch',
    ]);
    expect(Object.keys(doc.components.schemas)).toEqual(
      expect.arrayContaining([
        'TimeEntry',
        'TimeEntryList',
        'TimerStart',
        'ManualTimeEntry',
        'TimeEntryPatch',
        'Dashboard',
        'TimeDistribution',
      ]),
    );
  });
});
