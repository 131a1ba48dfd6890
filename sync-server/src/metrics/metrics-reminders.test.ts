import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../db/test-databases.js';
import {
  type PushServiceStandIn,
  startPushServiceStandIn,
} from '../notifications/push-service-stand-in.js';
import { type SmtpSink, startSmtpSink } from '../notifications/smtp-sink.js';
import { callApi, startTestServer, type TestServer } from '../test-server.js';
import { parseScrape } from './prometheus-text.js';

/**
 * Reminders in the metrics, on a fake clock: a due reminder shows in the reminder queue's depth
 * and age until it goes out, then counts once per channel (a real SMTP server, a push-service
 * stand-in).
 */
const TOKEN = 'metrics-token-metrics-token-0123456789';

describe.each(testDatabaseKinds())('reminders in /metrics on %s', (kind) => {
  let ts: TestServer;
  let smtp: SmtpSink;
  let push: PushServiceStandIn;
  let now = new Date('2027-03-10T08:00:00Z').getTime();
  const clock = () => new Date(now);

  const scrape = async () => {
    const response = await fetch(`${ts.url}/metrics`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    return parseScrape(await response.text());
  };

  beforeAll(async () => {
    smtp = await startSmtpSink();
    push = await startPushServiceStandIn();
    ts = await startTestServer(kind, {
      clock,
      config: { METRICS_TOKEN: TOKEN, SMTP_URL: smtp.url, PUSH_ALLOW_PRIVATE_ENDPOINTS: 'true' },
      // Planned and sent by hand: the queue is seen before its reminder goes out.
      reminders: { runJobs: false },
    });
  }, 60_000);

  afterAll(async () => {
    await ts?.dispose();
    await smtp?.close();
    await push?.close();
  });

  it('shows a late reminder in the queue, then counts it by channel once sent', async () => {
    const user = await ts.register('reminded');
    expect((await callApi(ts, user, 'PATCH', '/settings', { notify_email: true })).status).toBe(
      200,
    );
    const subscription = push.subscribe();
    expect(
      (await callApi(ts, user, 'POST', '/notifications/push-subscriptions', subscription)).status,
    ).toBe(201);
    expect(
      (
        await callApi(ts, user, 'POST', '/tasks', {
          title: 'Renew the passport',
          due_date: '2027-03-10T14:00:00Z',
          reminders: [{ minutes_before: 60 }],
        })
      ).status,
    ).toBe(201);
    await ts.server.reminders.planUser(user.userId);

    // 90 s past the reminder's time (13:00), nothing sent yet.
    now = new Date('2027-03-10T13:01:30Z').getTime();
    const late = await scrape();
    expect(late.value('tasks_job_queue_depth', { queue: 'reminder' })).toBe(1);
    expect(late.value('tasks_job_queue_oldest_age_seconds', { queue: 'reminder' })).toBe(90);
    expect(late.value('tasks_reminders_sent_total', { channel: 'email' })).toBeUndefined();

    expect(await ts.server.reminders.runDue()).toBe(1);
    expect(smtp.mails).toHaveLength(1);
    expect(push.received).toHaveLength(1);
    const sent = await scrape();
    expect(sent.value('tasks_reminders_sent_total', { channel: 'email', outcome: 'sent' })).toBe(1);
    expect(sent.value('tasks_reminders_sent_total', { channel: 'push', outcome: 'sent' })).toBe(1);
    expect(sent.value('tasks_reminders_sent_total', { channel: 'in-app', outcome: 'sent' })).toBe(
      1,
    );
    expect(sent.value('tasks_reminders_sent_total', { outcome: 'failed' })).toBeUndefined();
    expect(sent.value('tasks_job_queue_depth', { queue: 'reminder' })).toBe(0);
    expect(sent.value('tasks_job_queue_oldest_age_seconds', { queue: 'reminder' })).toBe(0);
  });
});
