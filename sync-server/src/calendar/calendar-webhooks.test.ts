import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../db/database.js';
import { openTestDatabase, type TestDatabase } from '../db/test-databases.js';
import { silentLogger } from '../logger.js';
import { createCalendarWebhooks, MAX_NOTIFICATIONS } from './calendar-webhooks.js';
import { insertTestConnection } from './connection-test-rows.js';
import { createPushChannelStore } from './push-channels.js';

describe('the Graph webhook', () => {
  let test: TestDatabase;
  let queries: string[];
  let db: Database;
  let connectionId: string;
  let subscribing = false;
  const pushed: string[] = [];
  let app: Hono;

  beforeAll(async () => {
    test = await openTestDatabase('pglite');
    queries = [];
    // The real database, with every statement the webhook sends counted.
    db = {
      ...test.db,
      query: (sql, params) => {
        queries.push(sql);
        return test.db.query(sql, params);
      },
    } as Database;
    connectionId = await insertTestConnection(test.db);
    await createPushChannelStore(test.db).save(
      {
        connectionId,
        channelId: 'subscription-1',
        resourceId: null,
        expiresAt: new Date('2030-01-01T00:00:00Z'),
      },
      'the-client-state',
    );
    app = new Hono();
    app.route(
      '/hook',
      createCalendarWebhooks({
        channels: createPushChannelStore(db),
        subscribing: () => subscribing,
        onPush: async (id) => {
          pushed.push(id);
        },
        log: silentLogger,
      }),
    );
  }, 60_000);
  afterAll(async () => {
    await test?.dispose();
  });

  const post = (body: unknown) =>
    app.request('/hook/microsoft', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('echoes a validation token only while this server creates a subscription', async () => {
    const idle = await app.request('/hook/microsoft?validationToken=%3Cscript%3E', {
      method: 'POST',
    });
    expect(idle.status).toBe(404);
    expect(await idle.text()).not.toContain('<script>');
    subscribing = true;
    try {
      const handshake = await app.request('/hook/microsoft?validationToken=a%20b', {
        method: 'POST',
      });
      expect(handshake.status).toBe(200);
      expect(handshake.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(await handshake.text()).toBe('a b');
    } finally {
      subscribing = false;
    }
  });

  it('looks a whole batch up in one query and queues each connection once', async () => {
    pushed.length = 0;
    queries.length = 0;
    const genuine = { subscriptionId: 'subscription-1', clientState: 'the-client-state' };
    const forged = { subscriptionId: 'subscription-1', clientState: 'guess' };
    const unknown = { subscriptionId: 'nobody', clientState: 'x' };
    const value = [
      ...Array.from({ length: MAX_NOTIFICATIONS - 2 }, () => genuine),
      forged,
      unknown,
    ];
    expect((await post({ value })).status).toBe(202);
    expect(queries).toHaveLength(1);
    expect(pushed).toEqual([connectionId]);
  });

  it(`refuses a batch of more than ${MAX_NOTIFICATIONS} notifications`, async () => {
    pushed.length = 0;
    const value = Array.from({ length: MAX_NOTIFICATIONS + 1 }, () => ({
      subscriptionId: 'subscription-1',
      clientState: 'the-client-state',
    }));
    const response = await post({ value });
    expect(response.status).toBe(400);
    expect(pushed).toEqual([]);
  });
});
