import { randomBytes } from 'node:crypto';
import { addInboxItem } from '@tasks/crdt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertSyncConnection } from '../calendar/connection-test-rows.js';
import { testDatabaseKinds } from '../db/test-databases.js';
import {
  callApi as call,
  type ErrorBody,
  startTestServer,
  type TestServer,
  type TestUser,
} from '../test-server.js';
import { createDocumentAccess } from './document-access.js';

interface ApiNotification {
  id: string;
  kind: string;
  title: string;
  read: boolean;
  read_at: string | null;
}

/** A browser's PushSubscription JSON with real-looking keys. */
function subscription(endpoint: string) {
  return {
    endpoint,
    expirationTime: null,
    keys: {
      p256dh: randomBytes(65).toString('base64url'),
      auth: randomBytes(16).toString('base64url'),
    },
  };
}

describe.each(testDatabaseKinds())('notifications and settings API on %s', (kind) => {
  let ts: TestServer;
  let user: TestUser;
  beforeAll(async () => {
    ts = await startTestServer(kind);
    user = await ts.register('notified');
  }, 60_000);
  afterAll(async () => {
    await ts?.dispose();
  });

  async function notify(id: string, title: string) {
    const access = createDocumentAccess({
      relay: ts.server.relay,
      db: ts.db,
      clock: () => new Date(),
    });
    await access.use(user.userId, [], (docs, ctx) =>
      addInboxItem(docs, { id, kind: 'reminder', title }, ctx),
    );
  }

  it('lists notifications, marks one read and unread, dismisses one, and filters unread', async () => {
    await notify('n-1', 'Stand-up');
    await notify('n-2', 'Pay rent');
    const all = await call<{ items: ApiNotification[] }>(ts, user, 'GET', '/notifications');
    expect(all.status).toBe(200);
    expect(all.body.items.map((item) => item.id).sort()).toEqual(['n-1', 'n-2']);
    expect(all.body.items.every((item) => !item.read)).toBe(true);

    const read = await call<ApiNotification>(ts, user, 'PATCH', '/notifications/n-1', {
      read: true,
    });
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id: 'n-1', read: true });
    const unread = await call<{ items: ApiNotification[] }>(
      ts,
      user,
      'GET',
      '/notifications?unread=true',
    );
    expect(unread.body.items.map((item) => item.id)).toEqual(['n-2']);
    const back = await call<ApiNotification>(ts, user, 'PATCH', '/notifications/n-1', {
      read: false,
    });
    expect(back.body).toMatchObject({ read: false, read_at: null });

    expect((await call(ts, user, 'DELETE', '/notifications/n-2')).status).toBe(204);
    const after = await call<{ items: ApiNotification[] }>(ts, user, 'GET', '/notifications');
    expect(after.body.items.map((item) => item.id)).toEqual(['n-1']);
    expect((await call(ts, user, 'DELETE', '/notifications/n-2')).status).toBe(404);
  });

  it('refuses a malformed patch or filter with the field and the reason', async () => {
    const bad = await call<ErrorBody>(ts, user, 'PATCH', '/notifications/n-1', { read: 'yes' });
    expect(bad.status).toBe(422);
    expect(bad.body.error.fields.map((f) => f.field)).toEqual(['read']);
    const filter = await call<ErrorBody>(ts, user, 'GET', '/notifications?unread=maybe');
    expect(filter.status).toBe(422);
    expect(filter.body.error.fields.map((f) => f.field)).toEqual(['unread']);
  });

  it('gives the VAPID public key, the same after a restart', async () => {
    const first = await call<{ public_key: string }>(
      ts,
      user,
      'GET',
      '/notifications/vapid-public-key',
    );
    expect(first.status).toBe(200);
    // A P-256 point, uncompressed: 65 bytes.
    expect(Buffer.from(first.body.public_key, 'base64url')).toHaveLength(65);
    await ts.stop();
    await ts.restart();
    const again = await call<{ public_key: string }>(
      ts,
      user,
      'GET',
      '/notifications/vapid-public-key',
    );
    expect(again.body.public_key).toBe(first.body.public_key);
  });

  it('saves and deletes a push subscription, and refuses endpoints that are not public https', async () => {
    const saved = await call<{ id: string; endpoint: string }>(
      ts,
      user,
      'POST',
      '/notifications/push-subscriptions',
      subscription('https://fcm.googleapis.com/fcm/send/abc123'),
    );
    expect(saved.status).toBe(201);
    expect(
      (await call(ts, user, 'DELETE', `/notifications/push-subscriptions/${saved.body.id}`)).status,
    ).toBe(204);
    expect(
      (await call(ts, user, 'DELETE', `/notifications/push-subscriptions/${saved.body.id}`)).status,
    ).toBe(404);

    for (const endpoint of [
      'http://fcm.googleapis.com/fcm/send/abc',
      'https://127.0.0.1:5432/',
      'https://localhost/push',
      'https://10.0.0.8/push',
      'https://169.254.169.254/latest/meta-data',
      'https://[::1]/push',
      'file:///etc/passwd',
    ]) {
      const refused = await call<ErrorBody>(
        ts,
        user,
        'POST',
        '/notifications/push-subscriptions',
        subscription(endpoint),
      );
      expect(refused.status, endpoint).toBe(422);
      expect(refused.body.error.fields.map((f) => f.field)).toEqual(['endpoint']);
    }
    const badKeys = await call<ErrorBody>(ts, user, 'POST', '/notifications/push-subscriptions', {
      endpoint: 'https://fcm.googleapis.com/fcm/send/x',
      keys: { p256dh: 'short', auth: '' },
    });
    expect(badKeys.status).toBe(422);
    expect(badKeys.body.error.fields.map((f) => f.field).sort()).toEqual([
      'keys.auth',
      'keys.p256dh',
    ]);
  });

  it('reads and patches settings in snake_case, changing only what the patch names', async () => {
    const before = await call<Record<string, unknown>>(ts, user, 'GET', '/settings');
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({
      all_day_reminder_time: '09:00',
      default_reminder_minutes: null,
      notify_in_app: true,
      notify_push: true,
      notify_email: false,
      agenda_time: null,
      email_calendar_failures: true,
    });
    const patched = await call<Record<string, unknown>>(ts, user, 'PATCH', '/settings', {
      timezone: 'Europe/Berlin',
      default_reminder_minutes: 15,
      notify_email: true,
      agenda_time: '07:15',
      email_calendar_failures: false,
      working_hours: { sat: [{ start: '10:00', end: '12:00' }] },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      timezone: 'Europe/Berlin',
      default_reminder_minutes: 15,
      notify_email: true,
      notify_push: true,
      all_day_reminder_time: '09:00',
      agenda_time: '07:15',
      email_calendar_failures: false,
    });
    expect((patched.body.working_hours as Record<string, unknown>).sat).toEqual([
      { start: '10:00', end: '12:00' },
    ]);
    // A new dated task now gets the default reminder.
    const task = await call<{ reminders: unknown[] }>(ts, user, 'POST', '/tasks', {
      title: 'Dated',
      due_date: '2027-01-13T15:00',
    });
    expect(task.body.reminders).toEqual([{ minutes_before: 15 }]);

    const bad = await call<ErrorBody>(ts, user, 'PATCH', '/settings', {
      timezone: 'Mars/Olympus',
      all_day_reminder_time: '9am',
      colour: 'red',
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error.fields.map((f) => f.field).sort()).toEqual([
      'all_day_reminder_time',
      'colour',
      'timezone',
    ]);
    const unchanged = await call<Record<string, unknown>>(ts, user, 'GET', '/settings');
    expect(unchanged.body.timezone).toBe('Europe/Berlin');
  });

  it('reads and patches the planner’s settings in snake_case, one of them at a time', async () => {
    const planner = await ts.register('planner-settings');
    const before = await call<{ scheduling: Record<string, unknown> }>(
      ts,
      planner,
      'GET',
      '/settings',
    );
    expect(before.body.scheduling).toEqual({
      horizon_days: 14,
      min_block_minutes: 30,
      buffer_minutes: 5,
      daily_cap_minutes: null,
      blocks_to_calendar: false,
      blocks_calendar_connection_id: null,
    });
    const patched = await call<{ scheduling: Record<string, unknown> }>(
      ts,
      planner,
      'PATCH',
      '/settings',
      { scheduling: { min_block_minutes: 45, blocks_to_calendar: true } },
    );
    expect(patched.status).toBe(200);
    expect(patched.body.scheduling).toEqual({
      horizon_days: 14,
      min_block_minutes: 45,
      buffer_minutes: 5,
      daily_cap_minutes: null,
      blocks_to_calendar: true,
      blocks_calendar_connection_id: null,
    });
    const bad = await call<ErrorBody>(ts, planner, 'PATCH', '/settings', {
      scheduling: { min_block_minutes: 2, minBlockMinutes: 45 },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error.fields.map((f) => f.field).join(' ')).toContain('min_block_minutes');
    const unchanged = await call<{ scheduling: Record<string, unknown> }>(
      ts,
      planner,
      'GET',
      '/settings',
    );
    expect(unchanged.body.scheduling.min_block_minutes).toBe(45);
  });

  it('names the calendar connection that receives planned blocks, refusing one that is not the user’s', async () => {
    const planner = await ts.register('blocks-calendar');
    const other = await ts.register('blocks-calendar-other');
    const mine = await insertSyncConnection(ts.db, planner.userId, 'ICAL');
    const theirs = await insertSyncConnection(ts.db, other.userId, 'ICAL');
    const named = await call<{ scheduling: Record<string, unknown> }>(
      ts,
      planner,
      'PATCH',
      '/settings',
      { scheduling: { blocks_calendar_connection_id: mine } },
    );
    expect(named.status).toBe(200);
    expect(named.body.scheduling.blocks_calendar_connection_id).toBe(mine);
    for (const id of [theirs, 'no-such-connection']) {
      const refused = await call<ErrorBody>(ts, planner, 'PATCH', '/settings', {
        scheduling: { blocks_calendar_connection_id: id },
      });
      expect(refused.status).toBe(422);
      expect(refused.body.error.fields).toEqual([
        {
          field: 'scheduling.blocks_calendar_connection_id',
          message: 'is not one of your calendar connections',
        },
      ]);
    }
    const cleared = await call<{ scheduling: Record<string, unknown> }>(
      ts,
      planner,
      'PATCH',
      '/settings',
      { scheduling: { blocks_calendar_connection_id: null } },
    );
    expect(cleared.body.scheduling.blocks_calendar_connection_id).toBeNull();
    const openapi = await fetch(`${ts.url}/api/v1/openapi.json`);
    const doc = (await openapi.json()) as {
      components: { schemas: Record<string, { properties?: Record<string, unknown> }> };
    };
    expect(Object.keys(doc.components.schemas.SchedulingSettings?.properties ?? {})).toContain(
      'blocks_calendar_connection_id',
    );
  });
});
