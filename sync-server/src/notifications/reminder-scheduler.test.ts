import { type InboxItem, listInbox, type Settings, UserDocs, updateSettings } from '@tasks/crdt';
import { afterEach, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../db/test-databases.js';
import { silentLogger } from '../logger.js';
import { createDocumentAccess } from '../rest/document-access.js';
import { callApi, startTestServer, type TestServer, type TestUser } from '../test-server.js';
import { until } from '../test-support/until.js';
import type { ReminderChannel } from './reminder-channel.js';
import type { ReminderMessage } from './reminder-message.js';
import { createReminderScheduler } from './reminder-scheduler.js';

/**
 * The scheduler as the server runs it, on a fake clock: reminders planned from REST writes
 * through the relay's change feed, sent into the inbox with no device connected, once.
 */

const T0 = new Date('2027-03-10T08:00:00Z');
const MINUTE = 60_000;

/** A channel that records what it is given, and fails the first `failures` sends. */
function recordingChannel(failures = 0) {
  const sent: ReminderMessage[] = [];
  let left = failures;
  const channel: ReminderChannel = {
    name: 'email',
    enabled: (settings: Settings) => settings.notifyEmail,
    async send(message) {
      if (left > 0) {
        left -= 1;
        throw new Error('SMTP server said 451 try again later');
      }
      sent.push(message);
    },
  };
  return { channel, sent };
}

describe.each(testDatabaseKinds())('the reminder scheduler on %s', (kind) => {
  let ts: TestServer | null = null;
  let now = T0.getTime();
  const clock = () => new Date(now);

  afterEach(async () => {
    await ts?.dispose();
    ts = null;
    now = T0.getTime();
  });

  async function setUp(channels: ReminderChannel[] = []) {
    const server = await startTestServer(kind, {
      clock,
      reminders: { pollIntervalMs: 40, planDelayMs: 10, channels },
    });
    ts = server;
    const user = await server.register('reminded');
    const reminders = async (): Promise<InboxItem[]> => {
      const main = await server.server.relay.openDocument(user.userId, user.userId);
      return listInbox(new UserDocs(user.userId, { main })).filter((i) => i.kind === 'reminder');
    };
    const pending = () =>
      server.server.reminders.jobs.count({ userId: user.userId, state: 'pending' });
    return { server, user, reminders, pending };
  }

  async function createTask(server: TestServer, user: TestUser, body: Record<string, unknown>) {
    const reply = await callApi<{ id: string }>(server, user, 'POST', '/tasks', body);
    expect(reply.status).toBe(201);
    return reply.body.id;
  }

  it('puts a reminder in the inbox at its time, with no device online, once', async () => {
    const { server, user, reminders, pending } = await setUp();
    await createTask(server, user, {
      title: 'Send the quarterly report',
      due_date: '2027-03-10T09:00:00Z',
      reminders: [{ minutes_before: 15 }],
    });
    await until('the reminder planned', async () => (await pending()) === 1);
    await server.server.reminders.runDue();
    expect(await reminders()).toEqual([]);

    now = new Date('2027-03-10T08:45:00Z').getTime();
    const [item] = await until('the reminder sent', async () => {
      const items = await reminders();
      return items.length > 0 && items;
    });
    expect(item).toMatchObject({
      title: 'Send the quarterly report',
      body: 'Due Wed 10 Mar, 09:00',
      readAt: null,
    });
    // The inbox item is written before the job is marked sent: wait for the loop's round to end.
    const sent = () => server.server.reminders.jobs.count({ userId: user.userId, state: 'sent' });
    await until('the job marked sent', async () => (await sent()) === 1);
    now += 5 * MINUTE;
    await server.server.reminders.runDue();
    expect(await reminders()).toHaveLength(1);
    expect(await sent()).toBe(1);
  });

  it('sends nothing for a task completed, deleted or whose reminder was removed before its time', async () => {
    const { server, user, reminders, pending } = await setUp();
    const at = { due_date: '2027-03-10T09:00:00Z', reminders: [{ minutes_before: 10 }] };
    const done = await createTask(server, user, { title: 'done', ...at });
    const deleted = await createTask(server, user, { title: 'deleted', ...at });
    const unreminded = await createTask(server, user, { title: 'unreminded', ...at });
    await until('three reminders planned', async () => (await pending()) === 3);
    expect(
      (await callApi(server, user, 'PATCH', `/tasks/${done}`, { status: 'COMPLETED' })).status,
    ).toBe(200);
    expect((await callApi(server, user, 'DELETE', `/tasks/${deleted}`)).status).toBe(204);
    expect(
      (await callApi(server, user, 'PATCH', `/tasks/${unreminded}`, { reminders: [] })).status,
    ).toBe(200);
    await until('the reminders dropped', async () => (await pending()) === 0);
    now = new Date('2027-03-10T09:30:00Z').getTime();
    await server.server.reminders.runDue();
    expect(await reminders()).toEqual([]);
  });

  it('follows a due date that moved: nothing at the old time, the reminder at the new one', async () => {
    const { server, user, reminders } = await setUp();
    const id = await createTask(server, user, {
      title: 'Dentist',
      due_date: '2027-03-10T09:00:00Z',
      reminders: [{ minutes_before: 30 }],
    });
    await until(
      'planned',
      async () =>
        (
          await server.db.query('select 1 from reminder_jobs where fire_at = $1', [
            new Date('2027-03-10T08:30:00Z'),
          ])
        ).length === 1,
    );
    await callApi(server, user, 'PATCH', `/tasks/${id}`, { due_date: '2027-03-10T11:00:00Z' });
    await until(
      're-planned',
      async () =>
        (
          await server.db.query('select 1 from reminder_jobs where fire_at = $1', [
            new Date('2027-03-10T10:30:00Z'),
          ])
        ).length === 1,
    );
    now = new Date('2027-03-10T08:31:00Z').getTime();
    await server.server.reminders.runDue();
    expect(await reminders()).toEqual([]);
    now = new Date('2027-03-10T10:30:00Z').getTime();
    await until('sent at the new time', async () => (await reminders()).length === 1);
  });

  it('is sent once when several servers poll the same database at once', async () => {
    const { server, user, reminders, pending } = await setUp();
    for (let i = 0; i < 20; i++) {
      await createTask(server, user, {
        title: `task ${i}`,
        due_date: '2027-03-10T09:00:00Z',
        reminders: [{ minutes_before: 5 }, { at: '2027-03-10T08:50:00Z' }],
      });
    }
    await until('forty reminders planned', async () => (await pending()) === 40);
    // Two more schedulers on the same database and documents, as other servers would be.
    const access = createDocumentAccess({ relay: server.server.relay, db: server.db, clock });
    const others = [1, 2].map(() =>
      createReminderScheduler({
        db: server.db,
        access,
        changes: () => () => undefined,
        log: silentLogger,
        clock,
        runJobs: false,
        batch: 3,
      }),
    );
    now = new Date('2027-03-10T09:00:00Z').getTime();
    await Promise.all([server.server.reminders.runDue(), ...others.map((other) => other.runDue())]);
    await until('all sent', async () => (await pending()) === 0);
    const items = await reminders();
    expect(items).toHaveLength(40);
    expect(new Set(items.map((item) => item.id)).size).toBe(40);
  });

  it('retries a channel that failed, without a second in-app notification', async () => {
    const { channel, sent } = recordingChannel(1);
    const { server, user, reminders, pending } = await setUp([channel]);
    const access = createDocumentAccess({ relay: server.server.relay, db: server.db, clock });
    await access.use(user.userId, [], (docs) => updateSettings(docs, { notifyEmail: true }));
    await createTask(server, user, {
      title: 'Pay rent',
      due_date: '2027-03-10T09:00:00Z',
      reminders: [{ minutes_before: 0 }],
    });
    await until('planned', async () => (await pending()) === 1);
    now = new Date('2027-03-10T09:00:00Z').getTime();
    await until('the first attempt failed', async () => {
      const rows = await server.db.query<{ last_error: string | null }>(
        'select last_error from reminder_jobs',
      );
      return rows[0]?.last_error?.includes('451');
    });
    expect(sent).toEqual([]);
    expect(await reminders()).toHaveLength(1);
    now += MINUTE; // past the backoff
    await until('sent by email on the retry', async () => sent.length === 1);
    expect(sent[0]).toMatchObject({ title: 'Pay rent', body: 'Due Wed 10 Mar, 09:00' });
    expect(await reminders()).toHaveLength(1);
    await until('marked sent', async () => (await pending()) === 0);
  });
});
