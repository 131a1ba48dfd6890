import type { PushPayload } from '@tasks/crdt';
import { afterEach, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../db/test-databases.js';
import {
  type ApiReply,
  callApi,
  type ErrorBody,
  startTestServer,
  TEST_AUTH_SECRET,
  type TestServer,
  type TestUser,
} from '../test-server.js';
import { waitFor } from '../test-support/server-process.js';
import { createPushActionTokens } from './push-action-tokens.js';
import { type PushServiceStandIn, startPushServiceStandIn } from './push-service-stand-in.js';

/**
 * The buttons of a Web Push notification, as the service worker presses them: `POST
 * /api/v1/push-actions` with the button's token and no session.
 */

const T0 = new Date('2027-05-04T08:00:00Z');

interface ActionResult {
  action: string;
  task_id: string;
  status: string;
  remind_at: string | null;
}

async function pressButton<T = ErrorBody>(ts: TestServer, body: unknown): Promise<ApiReply<T>> {
  const response = await fetch(`${ts.url}/api/v1/push-actions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text === '' ? null : JSON.parse(text)) as T };
}

describe.each(testDatabaseKinds())('push notification actions on %s', (kind) => {
  let ts: TestServer | null = null;
  let push: PushServiceStandIn | null = null;
  let now = T0.getTime();
  const clock = () => new Date(now);

  afterEach(async () => {
    await ts?.dispose();
    await push?.close();
    ts = null;
    push = null;
    now = T0.getTime();
  });

  async function start(): Promise<TestServer> {
    ts = await startTestServer(kind, {
      clock,
      config: { PUSH_ALLOW_PRIVATE_ENDPOINTS: 'true' },
      reminders: { pollIntervalMs: 40, planDelayMs: 10 },
    });
    return ts;
  }

  /** Tokens as the server mints them (same secret, same database). */
  const tokensOf = (server: TestServer) =>
    createPushActionTokens({ secret: TEST_AUTH_SECRET, db: server.db, clock });

  async function newTask(server: TestServer, user: TestUser, title: string) {
    const created = await callApi<{ id: string }>(server, user, 'POST', '/tasks', {
      title,
      due_date: '2027-05-04T12:00:00Z',
    });
    expect(created.status).toBe(201);
    return created.body.id;
  }

  async function taskOf(server: TestServer, user: TestUser, id: string) {
    return (
      await callApi<{ status: string; reminders: { at?: string }[] }>(
        server,
        user,
        'GET',
        `/tasks/${id}`,
      )
    ).body;
  }

  it('Done from a pushed reminder completes the task and reads its notification, once', async () => {
    push = await startPushServiceStandIn();
    const server = await start();
    const user = await server.register('done-button');
    await callApi(server, user, 'POST', '/notifications/push-subscriptions', push.subscribe());
    const created = await callApi<{ id: string }>(server, user, 'POST', '/tasks', {
      title: 'Call the plumber',
      due_date: '2027-05-04T09:00:00Z',
      reminders: [{ minutes_before: 30 }],
    });
    const pending = async () => server.server.reminders.jobs.count({ state: 'pending' });
    await waitFor(async () => (await pending()) === 1, 20_000, 'the reminder planned');
    now = new Date('2027-05-04T08:30:00Z').getTime();
    await waitFor(() => push?.received.length === 1, 20_000, 'the push');
    const payload = push.received[0]?.payload as PushPayload;
    expect(payload).toMatchObject({
      taskId: created.body.id,
      title: 'Call the plumber',
      url: `/#/task/${created.body.id}`,
      actions: { done: expect.any(String), snooze: expect.any(String) },
    });
    const inboxIds = async () =>
      (
        await callApi<{ items: { id: string }[] }>(server, user, 'GET', '/notifications')
      ).body.items.map((item) => item.id);
    await waitFor(
      async () => (await inboxIds()).includes(payload.notificationId),
      20_000,
      'the in-app notification',
    );

    const done = await pressButton<ActionResult>(server, { token: payload.actions.done });
    expect(done).toEqual({
      status: 200,
      body: { action: 'done', task_id: created.body.id, status: 'COMPLETED', remind_at: null },
    });
    expect((await taskOf(server, user, created.body.id)).status).toBe('COMPLETED');
    const inbox = await callApi<{ items: { id: string; read: boolean }[] }>(
      server,
      user,
      'GET',
      '/notifications',
    );
    expect(inbox.body.items.find((item) => item.id === payload.notificationId)?.read).toBe(true);

    // The same press again, or the other button of that notification: already acted on.
    for (const token of [payload.actions.done, payload.actions.snooze]) {
      const again = await pressButton(server, { token });
      expect(again.status).toBe(409);
      expect(again.body.error.code).toBe('action_already_taken');
    }
    expect((await taskOf(server, user, created.body.id)).reminders).toEqual([
      { minutes_before: 30 },
    ]);
  });

  it('Snooze adds a reminder 10 minutes from now, which is then planned', async () => {
    const server = await start();
    const user = await server.register('snooze-button');
    const taskId = await newTask(server, user, 'Stretch');
    const tokens = await tokensOf(server).mint({
      userId: user.userId,
      taskId,
      notificationId: 'n-1',
    });
    // Within the hour the test's access token lives.
    now = new Date('2027-05-04T08:32:00Z').getTime();
    const snoozed = await pressButton<ActionResult>(server, { token: tokens.snooze });
    expect(snoozed).toEqual({
      status: 200,
      body: {
        action: 'snooze',
        task_id: taskId,
        status: 'TODO',
        remind_at: '2027-05-04T08:42:00Z',
      },
    });
    const task = await taskOf(server, user, taskId);
    expect(task.status).toBe('TODO');
    expect(task.reminders).toEqual([{ at: '2027-05-04T08:42:00Z' }]);
    await waitFor(
      async () => (await server.server.reminders.jobs.count({ state: 'pending' })) === 1,
      20_000,
      'the snoozed reminder planned',
    );
  });

  it('refuses an expired token with 401 and changes nothing', async () => {
    const server = await start();
    const user = await server.register('expired-button');
    const taskId = await newTask(server, user, 'Old news');
    const tokens = await tokensOf(server).mint({
      userId: user.userId,
      taskId,
      notificationId: 'n-1',
    });
    now += 86_400_000 + 1000;
    const reply = await pressButton(server, { token: tokens.done });
    expect(reply.status).toBe(401);
    expect(reply.body.error.code).toBe('action_token_expired');
    expect(reply.body.error.message).toMatch(/expired/);
    now = T0.getTime();
    expect((await taskOf(server, user, taskId)).status).toBe('TODO');
  });

  it('acts only on the user the token names: another user’s task is not found, a re-signed or forged token is refused', async () => {
    const server = await start();
    const alice = await server.register('alice-button');
    const bob = await server.register('bob-button');
    const bobsTask = await newTask(server, bob, 'Bob’s task');
    const tokens = tokensOf(server);

    // Alice's token naming Bob's task: her document has no such task.
    const aliceForBobsTask = await tokens.mint({
      userId: alice.userId,
      taskId: bobsTask,
      notificationId: 'n-1',
    });
    const notFound = await pressButton(server, { token: aliceForBobsTask.done });
    expect(notFound.status).toBe(404);

    // Alice's token rewritten to name Bob: the signature no longer matches.
    const aliceOwn = await tokens.mint({
      userId: alice.userId,
      taskId: bobsTask,
      notificationId: 'n-2',
    });
    const [header, claims, signature] = aliceOwn.done.split('.') as [string, string, string];
    const rewritten = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8'));
    rewritten.sub = bob.userId;
    const forged = [
      header,
      Buffer.from(JSON.stringify(rewritten)).toString('base64url'),
      signature,
    ];
    const refused = await pressButton(server, { token: forged.join('.') });
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('invalid_action_token');

    // Signed with another secret, or a session's access token: not an action token.
    const otherServer = createPushActionTokens({
      secret: 'another-secret-another-secret-another-secret',
      db: server.db,
      clock,
    });
    const foreign = await otherServer.mint({
      userId: bob.userId,
      taskId: bobsTask,
      notificationId: 'n-3',
    });
    expect((await pressButton(server, { token: foreign.done })).status).toBe(401);
    expect((await pressButton(server, { token: bob.token })).status).toBe(401);
    expect((await taskOf(server, bob, bobsTask)).status).toBe('TODO');
  });

  it('answers bad input with a clear 4xx', async () => {
    const server = await start();
    const missing = await pressButton(server, {});
    expect(missing.status).toBe(422);
    expect(missing.body.error.fields).toEqual([
      { field: 'token', message: 'must be the action token from the notification' },
    ]);
    const wrongType = await pressButton(server, { token: 42 });
    expect(wrongType.status).toBe(422);
    const extra = await pressButton(server, { token: 'x', action: 'done' });
    expect(extra.status).toBe(422);
    expect(extra.body.error.fields).toEqual([{ field: 'action', message: 'unknown field' }]);
    const tooLong = await pressButton(server, { token: 'a'.repeat(3000) });
    expect(tooLong.status).toBe(422);
    const garbage = await pressButton(server, { token: 'not-a-token' });
    expect(garbage.status).toBe(401);
    expect(garbage.body.error.message).toBe('This action link is not valid.');
    const notJson = await pressButton(server, '{"token":');
    expect(notJson.status).toBe(400);
  });

  it('is in the OpenAPI document, without a bearer session', async () => {
    const server = await start();
    const response = await fetch(`${server.url}/api/v1/openapi.json`);
    const document = (await response.json()) as {
      paths: Record<string, { post?: { security?: unknown[] } }>;
    };
    expect(document.paths['/push-actions']?.post?.security).toEqual([]);
  });
});
