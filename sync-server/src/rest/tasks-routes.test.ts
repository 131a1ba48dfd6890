import { listTasks, UserDocs } from '@tasks/crdt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { testDatabaseKinds } from '../db/test-databases.js';
import { startTestServer, type TestServer, type TestUser } from '../test-server.js';

async function waitFor(check: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe.each(testDatabaseKinds())('tasks API on %s', (kind) => {
  let ts: TestServer;
  let user: TestUser;
  const call = (path: string, init: RequestInit = {}, as: TestUser = user) =>
    fetch(`${ts.url}/api/v1${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${as.token}`,
        ...(init.body ? { 'content-type': 'application/json' } : {}),
        ...init.headers,
      },
    });
  const create = async (body: Record<string, unknown>, as: TestUser = user) => {
    const response = await call('/tasks', { method: 'POST', body: JSON.stringify(body) }, as);
    expect(response.status).toBe(201);
    return (await response.json()) as Record<string, unknown> & { id: string };
  };

  beforeAll(async () => {
    ts = await startTestServer(kind);
    user = await ts.register('tasks');
  }, 60_000);
  afterAll(async () => {
    await ts?.dispose();
  });

  it('creates a task from the spec’s example request and returns the spec’s shape', async () => {
    const task = await create({
      title: 'Complete project documentation',
      description: 'Write comprehensive docs for the new feature',
      priority: 'HIGH',
      due_date: '2025-10-15T17:00:00Z',
      estimated_duration: 120,
      tags: ['documentation', 'project-x'],
      project_id: null,
      parent_task_id: null,
    });
    expect(task).toMatchObject({
      user_id: user.userId,
      title: 'Complete project documentation',
      description: 'Write comprehensive docs for the new feature',
      status: 'TODO',
      priority: 'HIGH',
      due_date: '2025-10-15T17:00:00Z',
      estimated_duration: 120,
      actual_duration: 0,
      tags: ['documentation', 'project-x'],
      project_id: null,
      parent_task_id: null,
      calendar_event_id: null,
      completed_at: null,
    });
    expect(Object.keys(task).sort()).toEqual(
      [
        'id',
        'user_id',
        'title',
        'description',
        'status',
        'priority',
        'due_date',
        'start_date',
        'estimated_duration',
        'actual_duration',
        'tags',
        'project_id',
        'parent_task_id',
        'calendar_event_id',
        'recurrence_rule',
        'recurrence_exceptions',
        'reminders',
        'created_at',
        'updated_at',
        'completed_at',
      ].sort(),
    );
    const fetched = await call(`/tasks/${task.id}`);
    expect(fetched.status).toBe(200);
    expect(await fetched.json()).toEqual(task);
  });

  it('updates part of a task with the spec’s example PATCH, ignoring the calculated duration', async () => {
    const task = await create({ title: 'Patch me', priority: 'LOW' });
    const response = await call(`/tasks/${task.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ status: 'IN_PROGRESS', actual_duration: 30 }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      status: 'IN_PROGRESS',
      priority: 'LOW',
      actual_duration: 0,
    });
  });

  it('completes a recurring task and lists its next occurrence', async () => {
    const task = await create({
      title: 'Weekly review',
      due_date: '2025-10-03T15:00:00Z',
      recurrence_rule: 'FREQ=WEEKLY',
    });
    const done = await call(`/tasks/${task.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ status: 'COMPLETED' }),
    });
    expect(await done.json()).toMatchObject({ status: 'COMPLETED' });
    const list = await call('/tasks?q=weekly%20review&status=TODO');
    const page = (await list.json()) as { items: { due_date: string }[] };
    expect(page.items.map((item) => item.due_date)).toEqual(['2025-10-10T15:00:00Z']);
  });

  it('skips occurrences of a series given in recurrence_exceptions, and refuses them without a rule', async () => {
    const task = await create({
      title: 'Yoga',
      due_date: '2025-10-03T15:00:00Z',
      recurrence_rule: 'FREQ=WEEKLY',
      recurrence_exceptions: ['2025-10-10T17:00:00+02:00'],
    });
    expect(task.recurrence_exceptions).toEqual(['2025-10-10T15:00:00Z']);
    await call(`/tasks/${task.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ status: 'COMPLETED' }),
    });
    const list = await call('/tasks?q=yoga&status=TODO');
    const page = (await list.json()) as { items: { due_date: string }[] };
    expect(page.items.map((item) => item.due_date)).toEqual(['2025-10-17T15:00:00Z']);

    const bad = await call('/tasks', {
      method: 'POST',
      body: JSON.stringify({ title: 'Once', recurrence_exceptions: ['2025-10-10'] }),
    });
    expect(bad.status).toBe(422);
    expect(await bad.json()).toMatchObject({
      error: {
        fields: [{ field: 'recurrence_exceptions', message: expect.stringMatching(/rule/) }],
      },
    });
  });

  it('keeps reminders given as minutes_before or at, and refuses malformed ones by field', async () => {
    const task = await create({
      title: 'Call the bank',
      due_date: '2025-10-03T15:00:00Z',
      reminders: [{ at: '2025-10-03T10:00:00+02:00' }, { minutes_before: 15 }],
    });
    expect(task.reminders).toEqual([{ minutes_before: 15 }, { at: '2025-10-03T08:00:00Z' }]);
    const patched = await call(`/tasks/${task.id}`, {
      method: 'PATCH',
      body: JSON.stringify({ reminders: [{ minutes_before: 60 }] }),
    });
    expect(((await patched.json()) as { reminders: unknown }).reminders).toEqual([
      { minutes_before: 60 },
    ]);
    const bad = await call('/tasks', {
      method: 'POST',
      body: JSON.stringify({ title: 'x', reminders: [{ minutes_before: -5 }, { at: 'soon' }] }),
    });
    expect(bad.status).toBe(422);
    const fields = ((await bad.json()) as { error: { fields: { field: string }[] } }).error.fields;
    expect(fields.map((field) => field.field)).toEqual([
      'reminders.0.minutes_before',
      'reminders.1.at',
    ]);
  });

  it('filters, searches, sorts and pages, with totals', async () => {
    const other = await ts.register('lister');
    for (let i = 1; i <= 45; i += 1) {
      await create(
        {
          title: `Item ${String(i).padStart(2, '0')}${i % 3 === 0 ? ' urgent thing' : ''}`,
          priority: i % 2 === 0 ? 'HIGH' : 'LOW',
          due_date: `2025-10-${String((i % 28) + 1).padStart(2, '0')}T12:00:00Z`,
          tags: i % 5 === 0 ? ['Five'] : [],
        },
        other,
      );
    }
    const page = async (query: string) =>
      (await (await call(`/tasks?${query}`, {}, other)).json()) as {
        items: { title: string; priority: string; due_date: string }[];
        total: number;
        page: number;
        limit: number;
        total_pages: number;
      };
    const first = await page('page=1&limit=20');
    expect([first.total, first.page, first.limit, first.total_pages, first.items.length]).toEqual([
      45, 1, 20, 3, 20,
    ]);
    expect((await page('page=3&limit=20')).items).toHaveLength(5);
    expect((await page('priority=HIGH')).total).toBe(22);
    expect((await page('priority=high,low')).total).toBe(45);
    expect((await page('tag=five')).total).toBe(9);
    expect((await page('q=URGENT')).total).toBe(15);
    expect(
      (await page('due_before=2025-10-03T00:00:00Z')).items.every((t) => t.due_date < '2025-10-03'),
    ).toBe(true);
    const sorted = await page('sort=-title&limit=3');
    expect(sorted.items.map((t) => t.title)).toEqual([
      'Item 45 urgent thing',
      'Item 44',
      'Item 43',
    ]);
    const byDue = await page('sort=due_date&limit=45');
    const dues = byDue.items.map((t) => t.due_date);
    expect(dues).toEqual([...dues].sort());
  });

  it('answers bad input with the field and the reason, never a 500', async () => {
    const bad = await call('/tasks', {
      method: 'POST',
      body: JSON.stringify({
        title: 'x'.repeat(201),
        status: 'DONE',
        due_date: 'tomorrow',
        start_date: 5,
        extra: 1,
      }),
    });
    expect(bad.status).toBe(422);
    const { error } = (await bad.json()) as {
      error: { code: string; fields: { field: string }[] };
    };
    expect(error.code).toBe('validation_failed');
    expect(error.fields.map((f) => f.field).sort()).toEqual([
      'due_date',
      'extra',
      'start_date',
      'status',
      'title',
    ]);

    const order = await call('/tasks', {
      method: 'POST',
      body: JSON.stringify({
        title: 'a',
        start_date: '2025-10-10T00:00:00Z',
        due_date: '2025-10-01T00:00:00Z',
      }),
    });
    expect(order.status).toBe(422);
    expect(await order.json()).toMatchObject({ error: { fields: [{ field: 'start_date' }] } });

    const noParent = await call('/tasks', {
      method: 'POST',
      body: JSON.stringify({ title: 'a', parent_task_id: 'nope' }),
    });
    expect(noParent.status).toBe(422);
    expect(await noParent.json()).toMatchObject({
      error: { fields: [{ field: 'parent_task_id' }] },
    });

    expect((await call('/tasks', { method: 'POST', body: '{"title":' })).status).toBe(400);
    expect(
      (
        await call('/tasks', {
          method: 'POST',
          body: 'title=a',
          headers: { 'content-type': 'text/plain' },
        })
      ).status,
    ).toBe(415);
    expect((await call('/tasks?limit=1000')).status).toBe(422);
    expect((await call('/tasks?sort=colour')).status).toBe(422);
    expect((await call('/tasks?status=DONE')).status).toBe(422);
    expect((await call('/tasks/unknown-id')).status).toBe(404);
    expect((await call('/tasks/unknown-id', { method: 'PATCH', body: '{}' })).status).toBe(404);
    expect((await call('/tasks/unknown-id', { method: 'DELETE' })).status).toBe(404);
    expect((await fetch(`${ts.url}/api/v1/tasks`)).status).toBe(401);
  });

  it('deletes a task into the trash: gone from the API, and 404 afterwards', async () => {
    const task = await create({ title: 'Delete me' });
    expect((await call(`/tasks/${task.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await call(`/tasks/${task.id}`)).status).toBe(404);
    expect((await call(`/tasks/${task.id}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('sends a task created over REST to a connected device, and shows a device’s edit over REST', async () => {
    const owner = await ts.register('device');
    const doc = new Y.Doc();
    const provider = new WebsocketProvider(ts.wsUrl, owner.userId, doc, {
      WebSocketPolyfill: WebSocket as unknown as typeof globalThis.WebSocket,
      params: { token: owner.token },
      disableBc: true,
    });
    try {
      await waitFor(() => provider.synced, 5000, 'device synced');
      const docs = new UserDocs(owner.userId, { main: doc });
      const started = Date.now();
      const task = await create({ title: 'Made with curl' }, owner);
      await waitFor(
        () => listTasks(docs).some((t) => t.id === task.id),
        1000,
        'task on the device',
      );
      expect(Date.now() - started).toBeLessThan(1000);

      const map = doc.getMap('tasks').get(task.id) as Y.Map<unknown>;
      map.set('title', 'Renamed on the phone');
      let title = '';
      const deadline = Date.now() + 3000;
      while (title !== 'Renamed on the phone' && Date.now() < deadline) {
        title = ((await (await call(`/tasks/${task.id}`, {}, owner)).json()) as { title: string })
          .title;
      }
      expect(title).toBe('Renamed on the phone');
    } finally {
      provider.destroy();
    }
  });

  it('rate-limits a user with 429 and Retry-After', async () => {
    const limited = await startTestServer(kind, { config: { API_REQUESTS_PER_MINUTE: '5' } });
    try {
      const someone = await limited.register('rate');
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 7; i += 1) {
        const response = await fetch(`${limited.url}/api/v1/tasks`, {
          headers: { authorization: `Bearer ${someone.token}` },
        });
        statuses.push(response.status);
        if (response.status === 429) retryAfter = response.headers.get('retry-after');
      }
      expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
      expect(statuses.slice(5)).toEqual([429, 429]);
      expect(Number(retryAfter)).toBeGreaterThan(0);
    } finally {
      await limited.dispose();
    }
  });
});
