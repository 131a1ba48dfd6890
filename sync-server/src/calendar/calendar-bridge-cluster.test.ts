import {
  createCaldavCalendarProvider,
  ensureCaldavCalendar,
  ensureRadicaleInstalled,
  type RadicaleServer,
  startRadicale,
} from '@tasks/connectors';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testRedisPrefix, testRedisUrl } from '../cluster/test-redis.js';
import { testDatabaseUrl } from '../db/test-databases.js';
import { callApi, startTestServer, type TestNode, type TestServer } from '../test-server.js';
import { until } from '../test-support/until.js';

/**
 * The calendar bridge on two nodes of one cluster: a change reaches the calendar whichever node
 * saw it, also on a node that had looked up the user's connections before the calendar was
 * connected on the other (its cache still says "none").
 */
const databaseUrl = testDatabaseUrl();
const redisUrl = testRedisUrl();

/** Long enough that the calendar is connected and synced while node B still trusts its cache. */
const CONNECTION_CACHE_MS = 8000;

const inDays = (days: number) =>
  new Date(Date.now() + days * 24 * 3600_000).toISOString().slice(0, 10);

describe.skipIf(!databaseUrl || !redisUrl)('the calendar bridge on two nodes', () => {
  let a: TestServer;
  let b: TestNode;
  let radicale: RadicaleServer | null = null;

  beforeAll(async () => {
    if (await ensureRadicaleInstalled()) radicale = await startRadicale();
    const calendar = {
      workerPollMs: 50,
      changeDelayMs: 200,
      connectionCacheMs: CONNECTION_CACHE_MS,
    };
    const cluster = { REDIS_URL: redisUrl as string, REDIS_PREFIX: testRedisPrefix() };
    a = await startTestServer('postgres', { config: { ...cluster, NODE_ID: 'a' }, calendar });
    b = await a.startNode({ ...cluster, NODE_ID: 'b' });
  }, 60_000);

  afterAll(async () => {
    await a?.dispose();
    await radicale?.close();
  });

  it('sends a task dated on one node to a calendar just connected on the other', async () => {
    if (!radicale) throw new Error('Radicale is not installed (see connectors/scripts)');
    const user = await a.register('cluster-calendar');
    const nodeB = { ...a, url: b.url } as TestServer;
    const target = {
      serverUrl: radicale.url,
      username: user.userId,
      password: 'any',
      calendarPath: `/${user.userId}/work/`,
    };
    await ensureCaldavCalendar(target);

    // A change on B before the calendar exists: B learns the user has no connection.
    const lookedUpAt = Date.now();
    expect((await callApi(nodeB, user, 'POST', '/tasks', { title: 'Undated' })).status).toBe(201);

    const connected = await callApi<{ id: string }>(a, user, 'POST', '/calendar/connect', {
      provider: 'ICAL',
      server_url: target.serverUrl,
      username: target.username,
      password: target.password,
      calendar_id: target.calendarPath,
    });
    expect(connected.status).toBe(201);
    await until('the first sync', async () => {
      const { body } = await callApi<{ sync_status: string; sync_error: string | null }>(
        a,
        user,
        'GET',
        `/calendar/connections/${connected.body.id}`,
      );
      if (body.sync_status === 'FAILED') throw new Error(`sync failed: ${body.sync_error}`);
      return body.sync_status === 'SUCCESS';
    });

    // Dated through B while its cache still says "no connection": B queues no sync itself.
    const due = inDays(3);
    const dated = await callApi<{ id: string }>(nodeB, user, 'POST', '/tasks', {
      title: 'Dentist',
      due_date: due,
    });
    expect(dated.status).toBe(201);
    expect(Date.now() - lookedUpAt).toBeLessThan(CONNECTION_CACHE_MS);

    const reader = createCaldavCalendarProvider(target);
    const event = await until(
      'the task on the CalDAV server',
      async () =>
        (await reader.pullChanges(null)).changed.find((each) => each.taskId === dated.body.id),
      CONNECTION_CACHE_MS + 15_000,
    );
    expect(event).toMatchObject({ summary: 'Dentist', start: { date: due } });
  }, 60_000);
});
