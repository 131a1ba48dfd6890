import { listTaskBlocks, UserDocs, upsertCalendarEvent } from '@tasks/crdt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../db/test-databases.js';
import {
  callApi,
  type ErrorBody,
  startTestServer,
  type TestServer,
  type TestUser,
} from '../test-server.js';

interface BlockBody {
  id: string | null;
  task_id: string;
  start: string;
  end: string;
  pinned: boolean;
  status: string;
  reasons: string[];
}

interface ScheduleBody {
  start: string;
  end: string;
  applied: boolean;
  blocks: BlockBody[];
  unscheduled: { task_id: string; reason: string; code: string }[];
}

// The server's clock: Monday 23 March 2026, 08:00 in Berlin.
const NOW = new Date('2026-03-23T07:00:00Z');

describe.each(testDatabaseKinds())('schedule API on %s', (kind) => {
  let ts: TestServer;
  let counter = 0;

  beforeAll(async () => {
    ts = await startTestServer(kind, { clock: () => NOW });
  }, 60_000);
  afterAll(async () => {
    await ts?.dispose();
  });

  async function registerInBerlin(): Promise<TestUser> {
    counter += 1;
    const response = await fetch(`${ts.url}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        email: `plan-${counter}@example.com`,
        username: `plan_${counter}`,
        password: 'correct horse battery',
        timezone: 'Europe/Berlin',
      }),
    });
    expect(response.status).toBe(201);
    const body = (await response.json()) as { id: string; access_token: string };
    return { userId: body.id, token: body.access_token };
  }

  /** The user's document as the server holds it (what every device syncs). */
  async function documentOf(user: TestUser): Promise<UserDocs> {
    return new UserDocs(user.userId, {
      main: await ts.server.relay.openDocument(user.userId, user.userId),
    });
  }

  async function createTask(user: TestUser, body: Record<string, unknown>): Promise<string> {
    const reply = await callApi<{ id: string }>(ts, user, 'POST', '/tasks', body);
    expect(reply.status).toBe(201);
    return reply.body.id;
  }

  /** A user with a 09:00-10:00 meeting on Monday (mirrored from their calendar) and two tasks. */
  async function userWithAWeek() {
    const user = await registerInBerlin();
    upsertCalendarEvent(await documentOf(user), {
      connectionId: 'radicale',
      eventId: 'sync',
      title: 'Sync',
      start: '2026-03-23T08:00:00Z',
      end: '2026-03-23T09:00:00Z',
      allDay: false,
      source: 'ICAL',
      taskId: null,
      series: null,
    });
    const report = await createTask(user, {
      title: 'Report',
      estimated_duration: 90,
      priority: 'HIGH',
      due_date: '2026-03-25T17:00',
    });
    const huge = await createTask(user, {
      title: 'Rewrite',
      estimated_duration: 3000,
      due_date: '2026-03-24',
    });
    return { user, report, huge };
  }

  it('returns the plan with its reasons and stores nothing unless asked', async () => {
    const { user, report, huge } = await userWithAWeek();
    const reply = await callApi<ScheduleBody>(ts, user, 'POST', '/schedule', {
      start_date: '2026-03-23',
      end_date: '2026-03-29',
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      // Local days in Berlin: Monday 00:00 (UTC+1) to the next Monday 00:00 (UTC+2).
      start: '2026-03-22T23:00:00.000Z',
      end: '2026-03-29T22:00:00.000Z',
      applied: false,
      blocks: [
        {
          id: null,
          task_id: report,
          start: '2026-03-23T09:05:00Z',
          end: '2026-03-23T10:35:00Z',
          pinned: false,
          status: 'new',
          reasons: [
            'due Wed 25 Mar 17:00',
            'priority high',
            'first free 90-minute slot in working hours',
          ],
        },
      ],
      unscheduled: [
        {
          task_id: huge,
          code: 'not-enough-time',
          // Monday 10:05-17:00 after the meeting and its buffer, and Tuesday 09:00-17:00.
          reason: 'needs 50 h by Tue 24 Mar; 14 h 55 min free',
          needed_minutes: 3000,
          free_minutes: 895,
          deadline: '2026-03-24T23:00:00Z',
        },
      ],
    });
    expect(listTaskBlocks(await documentOf(user), report)).toEqual([]);
  });

  it('stores the blocks with apply, and a re-plan keeps them where they are', async () => {
    const { user, report } = await userWithAWeek();
    const applied = await callApi<ScheduleBody>(ts, user, 'POST', '/schedule', { apply: true });
    expect(applied.status).toBe(200);
    expect(applied.body.applied).toBe(true);
    // The default range: today and the 13 days after it, in the user's zone.
    expect([applied.body.start, applied.body.end]).toEqual([
      '2026-03-22T23:00:00.000Z',
      '2026-04-05T22:00:00.000Z',
    ]);
    const [block] = applied.body.blocks;
    expect(block).toMatchObject({ task_id: report, status: 'new', start: '2026-03-23T09:05:00Z' });
    expect(block?.id).toEqual(expect.any(String));
    expect(listTaskBlocks(await documentOf(user), report)).toEqual([
      {
        id: block?.id,
        taskId: report,
        start: '2026-03-23T09:05:00Z',
        end: '2026-03-23T10:35:00Z',
        pinned: false,
        reasons: block?.reasons,
      },
    ]);
    const again = await callApi<ScheduleBody>(ts, user, 'POST', '/schedule', { apply: true });
    expect(again.body.blocks.map((b) => [b.id, b.status, b.start, b.end])).toEqual([
      [block?.id, 'kept', block?.start, block?.end],
    ]);
  });

  it('plans only the user’s own tasks', async () => {
    const { user } = await userWithAWeek();
    const other = await registerInBerlin();
    const reply = await callApi<ScheduleBody>(ts, other, 'POST', '/schedule', { apply: true });
    expect(reply.body).toMatchObject({ blocks: [], unscheduled: [] });
    const mine = await callApi<ScheduleBody>(ts, user, 'POST', '/schedule', {});
    expect(mine.body.blocks).toHaveLength(1);
  });

  it('refuses bad requests with the field and the reason, and writes nothing', async () => {
    const { user, report } = await userWithAWeek();
    const fields = async (body: unknown) => {
      const reply = await callApi<ErrorBody>(ts, user, 'POST', '/schedule', body);
      expect(reply.status).toBe(422);
      return reply.body.error.fields;
    };
    expect(await fields({ start_date: '23/03/2026', end_date: 'soon', apply: true })).toEqual([
      { field: 'start_date', message: 'must be a date written YYYY-MM-DD, such as 2026-03-23' },
      { field: 'end_date', message: 'must be a date written YYYY-MM-DD, such as 2026-03-23' },
    ]);
    expect(await fields({ start_date: '2026-03-23', end_date: '2026-03-22' })).toEqual([
      { field: 'end_date', message: 'must not be before start_date' },
    ]);
    expect(await fields({ start_date: '2026-03-23', end_date: '2026-06-23' })).toEqual([
      { field: 'end_date', message: 'a plan covers at most 62 days' },
    ]);
    expect(await fields({ apply: 'yes' })).toEqual([
      { field: 'apply', message: 'must be true or false' },
    ]);
    expect(await fields({ horizon: 3 })).toEqual([{ field: 'horizon', message: 'unknown field' }]);
    expect(listTaskBlocks(await documentOf(user), report)).toEqual([]);
    const anonymous = await fetch(`${ts.url}/api/v1/schedule`, { method: 'POST' });
    expect(anonymous.status).toBe(401);
  });

  it('is in the OpenAPI document', async () => {
    const response = await fetch(`${ts.url}/api/v1/openapi.json`);
    const doc = (await response.json()) as {
      paths: Record<string, Record<string, { tags?: string[] }>>;
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    expect(doc.paths['/schedule']?.post?.tags).toEqual(['Scheduling']);
    expect(Object.keys(doc.components.schemas.ScheduleRequest?.properties ?? {})).toEqual([
      'start_date',
      'end_date',
      'apply',
    ]);
    expect(Object.keys(doc.components.schemas.Schedule?.properties ?? {})).toContain('unscheduled');
  });
});
