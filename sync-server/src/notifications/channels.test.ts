import { getSettings } from '@tasks/crdt';
import { afterEach, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../db/test-databases.js';
import { createDocumentAccess } from '../rest/document-access.js';
import { callApi, startTestServer, type TestServer } from '../test-server.js';
import { until } from '../test-support/until.js';
import { type PushServiceStandIn, startPushServiceStandIn } from './push-service-stand-in.js';
import { type SmtpSink, startSmtpSink } from './smtp-sink.js';

/**
 * Each channel against a real counterpart: a real SMTP server (smtp-server) that receives the
 * reminder email, parsed with mailparser; a push-service stand-in that checks the VAPID header
 * and decrypts the payload with the browser's keys (RFC 8291) as a browser would.
 */

const T0 = new Date('2027-03-10T08:00:00Z');

describe.each(testDatabaseKinds())('reminder channels on %s', (kind) => {
  let ts: TestServer | null = null;
  let smtp: SmtpSink | null = null;
  let push: PushServiceStandIn | null = null;
  let now = T0.getTime();
  const clock = () => new Date(now);

  afterEach(async () => {
    await ts?.dispose();
    await smtp?.close();
    await push?.close();
    ts = null;
    smtp = null;
    push = null;
    now = T0.getTime();
  });

  it('sends a reminder by email and by Web Push at its time, and drops an expired subscription', async () => {
    smtp = await startSmtpSink();
    push = await startPushServiceStandIn();
    const server = await startTestServer(kind, {
      clock,
      config: {
        SMTP_URL: smtp.url,
        MAIL_FROM: 'Tasks <reminders@tasks.example>',
        PUBLIC_URL: 'https://tasks.example',
        VAPID_SUBJECT: 'mailto:ops@tasks.example',
        PUSH_ALLOW_PRIVATE_ENDPOINTS: 'true',
      },
      reminders: { pollIntervalMs: 40, planDelayMs: 10 },
    });
    ts = server;
    const user = await server.register('channels');
    expect(
      (
        await callApi(server, user, 'PATCH', '/settings', {
          notify_email: true,
          timezone: 'Europe/Berlin',
        })
      ).status,
    ).toBe(200);
    const phone = push.subscribe();
    const oldLaptop = push.subscribe({ gone: true });
    for (const subscription of [phone, oldLaptop]) {
      expect(
        (await callApi(server, user, 'POST', '/notifications/push-subscriptions', subscription))
          .status,
      ).toBe(201);
    }
    const created = await callApi<{ id: string }>(server, user, 'POST', '/tasks', {
      title: 'Renew the passport',
      due_date: '2027-03-10T14:00:00Z',
      reminders: [{ minutes_before: 60 }],
    });
    await until(
      'planned',
      async () => (await server.server.reminders.jobs.count({ state: 'pending' })) === 1,
    );

    const vapidKey = await callApi<{ public_key: string }>(
      server,
      user,
      'GET',
      '/notifications/vapid-public-key',
    );
    now = new Date('2027-03-10T13:00:00Z').getTime();
    await until(
      'the email and the push',
      async () => smtp?.mails.length === 1 && push?.received.length === 1,
    );

    const [mail] = smtp.mails;
    expect(smtp.recipients[0]).toEqual([expect.stringMatching(/^channels-\d+@example\.com$/)]);
    expect(mail?.subject).toBe('Reminder: Renew the passport');
    expect(mail?.from?.value).toEqual([{ name: 'Tasks', address: 'reminders@tasks.example' }]);
    // 14:00 UTC is 15:00 in Berlin.
    expect(mail?.text).toContain('Due Wed 10 Mar, 15:00');
    expect(mail?.text).toContain('https://tasks.example/#/inbox-notes');
    expect(mail?.html).toContain('<strong>Renew the passport</strong>');
    expect(mail?.messageId).toMatch(/^<reminder-[0-9a-f-]+@tasks\.example>$/);
    // One-click unsubscribe (RFC 8058): a signed link, in the text and the List-Unsubscribe header.
    const link = /Stop reminder emails: (\S+)/.exec(mail?.text ?? '')?.[1] ?? '';
    expect(link).toMatch(/^https:\/\/tasks\.example\/api\/v1\/notifications\/unsubscribe\?/);
    const headerLines = new Map(mail?.headerLines.map((h) => [h.key, h.line]) ?? []);
    expect(headerLines.get('list-unsubscribe')).toContain(`<${link}>`);
    expect(headerLines.get('list-unsubscribe-post')).toBe(
      'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
    );
    const local = link.replace('https://tasks.example', server.url);
    const forged = local.replace(/s=[^&]+/, 's=forged');
    expect((await fetch(forged, { method: 'POST' })).status).toBe(403);
    expect((await fetch(local, { method: 'POST' })).status).toBe(200);
    const access = createDocumentAccess({ relay: server.server.relay, db: server.db, clock });
    expect(await access.use(user.userId, [], (docs) => getSettings(docs).notifyEmail)).toBe(false);

    const [received] = push.received;
    expect(received?.payload).toEqual({
      notificationId: expect.any(String),
      taskId: created.body.id,
      title: 'Renew the passport',
      body: 'Due Wed 10 Mar, 15:00',
      url: `/#/task/${created.body.id}`,
      fireAt: '2027-03-10T13:00:00.000Z',
      actions: { done: expect.any(String), snooze: expect.any(String) },
    });
    expect(received?.endpoint).toBe(phone.endpoint);
    expect(received?.urgency).toBe('high');
    expect(received?.vapid).toMatchObject({
      sub: 'mailto:ops@tasks.example',
      aud: push.url,
      publicKey: vapidKey.body.public_key,
    });
    expect(push.refused).toEqual([]);

    await until(
      'the job sent',
      async () => (await server.server.reminders.jobs.count({ state: 'sent' })) === 1,
    );
    // The old laptop's subscription answered 410: it is gone; the phone's stays.
    const endpoints = await server.db.query<{ endpoint: string }>(
      'select endpoint from push_subscriptions',
    );
    expect(endpoints.map((row) => row.endpoint)).toEqual([phone.endpoint]);
    expect(push.received).toHaveLength(1);
    expect(smtp.mails).toHaveLength(1);
  });

  it('sends neither when the user turned both off, and still writes the in-app notification', async () => {
    smtp = await startSmtpSink();
    push = await startPushServiceStandIn();
    const server = await startTestServer(kind, {
      clock,
      config: { SMTP_URL: smtp.url, PUSH_ALLOW_PRIVATE_ENDPOINTS: 'true' },
      reminders: { pollIntervalMs: 40, planDelayMs: 10 },
    });
    ts = server;
    const user = await server.register('quiet');
    await callApi(server, user, 'PATCH', '/settings', { notify_email: false, notify_push: false });
    await callApi(server, user, 'POST', '/notifications/push-subscriptions', push.subscribe());
    await callApi(server, user, 'POST', '/tasks', {
      title: 'Quiet one',
      due_date: '2027-03-10T08:30:00Z',
      reminders: [{ minutes_before: 0 }],
    });
    await until(
      'planned',
      async () => (await server.server.reminders.jobs.count({ state: 'pending' })) === 1,
    );
    // Within the hour the test's access token lives.
    now = new Date('2027-03-10T08:30:00Z').getTime();
    await until(
      'sent',
      async () => (await server.server.reminders.jobs.count({ state: 'sent' })) === 1,
    );
    const inbox = await callApi<{ items: { title: string }[] }>(
      server,
      user,
      'GET',
      '/notifications',
    );
    expect(inbox.body.items.map((item) => item.title)).toEqual(['Quiet one']);
    expect(smtp.mails).toEqual([]);
    expect(push.received).toEqual([]);
  });
});
