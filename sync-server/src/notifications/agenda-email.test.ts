import { getSettings } from '@tasks/crdt';
import { afterEach, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../db/test-databases.js';
import { silentLogger } from '../logger.js';
import { createDocumentAccess } from '../rest/document-access.js';
import { callApi, startTestServer, type TestServer } from '../test-server.js';
import { until } from '../test-support/until.js';
import { createMailer } from './email-channel.js';
import { createEmailScheduler } from './email-scheduler.js';
import { type SmtpSink, startSmtpSink } from './smtp-sink.js';

/**
 * The daily agenda email end to end: settings through the API, the server's own scheduler on a
 * fake clock, a real SMTP server receiving and parsing the message. The day is 28 March 2027,
 * when Berlin's clocks go forward: 07:30 there is 05:30 UTC, not 06:30 as the day before.
 */
const T0 = new Date('2027-03-27T12:00:00Z');

const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

describe.each(testDatabaseKinds())('daily agenda email on %s', (kind) => {
  let ts: TestServer | null = null;
  let smtp: SmtpSink | null = null;
  let now = T0.getTime();
  const clock = () => new Date(now);

  afterEach(async () => {
    await ts?.dispose();
    await smtp?.close();
    ts = null;
    smtp = null;
    now = T0.getTime();
  });

  async function setup(refuseFirst = 0) {
    smtp = await startSmtpSink({ refuseFirst });
    const server = await startTestServer(kind, {
      clock,
      config: {
        SMTP_URL: smtp.url,
        MAIL_FROM: 'Tasks <agenda@tasks.example>',
        PUBLIC_URL: 'https://tasks.example',
      },
      emails: { pollIntervalMs: 30, planDelayMs: 10, jobs: { backoffMs: () => 60_000 } },
    });
    ts = server;
    const user = await server.register('agenda');
    return { server, user };
  }

  /**
   * Waits for the one agenda job the settings just patched plan, at `fireAt`: sign-up plans one
   * from the account's defaults first, and the patch's re-plan comes a moment later.
   */
  async function plannedAt(server: TestServer, userId: string, fireAt: string) {
    return until(`the agenda planned at ${fireAt}`, async () => {
      const jobs = await server.server.emails.jobs.list({ userId, kind: 'agenda' });
      return jobs.length === 1 && jobs[0]?.fireAt.toISOString() === new Date(fireAt).toISOString()
        ? jobs[0]
        : null;
    });
  }

  it('sends the day’s agenda once at the chosen time on a DST day, then plans the next day', async () => {
    const { server, user } = await setup();
    const patch = await callApi(server, user, 'PATCH', '/settings', {
      timezone: 'Europe/Berlin',
      agenda_time: '07:30',
    });
    expect(patch.status).toBe(200);
    for (const task of [
      { title: 'File the tax return', due_date: '2027-03-28T14:00:00Z' },
      { title: 'Water the plants', due_date: '2027-03-28' },
      { title: 'Call the plumber', due_date: '2027-03-26' },
      { title: 'Next week', due_date: '2027-04-04' },
    ]) {
      expect((await callApi(server, user, 'POST', '/tasks', task)).status).toBe(201);
    }
    const planned = await plannedAt(server, user.userId, '2027-03-28T05:30:00Z');
    expect(planned).toMatchObject({ key: '2027-03-28', state: 'pending' });
    expect(planned.fireAt.toISOString()).toBe('2027-03-28T05:30:00.000Z');

    now = Date.parse('2027-03-28T05:29:59Z');
    await settle();
    expect(smtp?.mails).toHaveLength(0);

    now = Date.parse('2027-03-28T05:30:00Z');
    await until('the agenda', async () => smtp?.mails.length === 1);
    const mail = smtp?.mails[0];
    expect(mail?.subject).toBe('Your agenda for Sunday 28 March');
    // 14:00 UTC is 16:00 in Berlin in summer time.
    expect(mail?.text).toContain(
      'Due today:\n- all day · Water the plants\n- 16:00 · File the tax return',
    );
    expect(mail?.text).toContain('Overdue:\n- 2027-03-26 · Call the plumber');
    expect(mail?.text).not.toContain('Next week');
    expect(mail?.html).toContain('<li>16:00 · File the tax return</li>');
    expect(mail?.messageId).toMatch(/^<agenda-[0-9a-f-]+@tasks\.example>$/);

    const jobs = await until('the next day planned', async () => {
      const list = await server.server.emails.jobs.list({ userId: user.userId, kind: 'agenda' });
      return list.length === 2 ? list : null;
    });
    expect(jobs.map((job) => [job.key, job.state, job.fireAt.toISOString()])).toEqual([
      ['2027-03-28', 'sent', '2027-03-28T05:30:00.000Z'],
      ['2027-03-29', 'pending', '2027-03-29T05:30:00.000Z'],
    ]);
    // A change the same day (the time moved later) plans no second agenda for that day.
    await callApi(server, user, 'PATCH', '/settings', { agenda_time: '09:00' });
    now = Date.parse('2027-03-28T07:00:00Z');
    await settle();
    expect(smtp?.mails).toHaveLength(1);

    // The unsubscribe link of this kind turns the agenda off, and its job goes.
    const link = /Stop the daily agenda email: (\S+)/.exec(mail?.text ?? '')?.[1] ?? '';
    expect(new URL(link).searchParams.get('k')).toBe('agenda');
    expect((await fetch(link.replace('https://tasks.example', server.url))).status).toBe(200);
    const access = createDocumentAccess({ relay: server.server.relay, db: server.db, clock });
    expect(await access.use(user.userId, [], (docs) => getSettings(docs).agendaTime)).toBe(null);
    await until('unplanned', async () => {
      const list = await server.server.emails.jobs.list({ userId: user.userId, kind: 'agenda' });
      return list.every((job) => job.state !== 'pending');
    });
  });

  it('sends it once when the SMTP server refuses first, a claim is lost and two nodes race', async () => {
    const { server, user } = await setup(1);
    await callApi(server, user, 'PATCH', '/settings', { timezone: 'UTC', agenda_time: '06:00' });
    await plannedAt(server, user.userId, '2027-03-28T06:00:00Z');
    // Another node, whose clock is already at 06:00, claims the job and dies (kill -9): its
    // lease holds the job for two minutes.
    let otherNow = Date.parse('2027-03-28T06:00:00Z');
    const other = createEmailScheduler({
      db: server.db,
      access: createDocumentAccess({ relay: server.server.relay, db: server.db, clock }),
      mailer: createMailer({
        smtpUrl: smtp?.url ?? '',
        from: 'Tasks <agenda@tasks.example>',
        db: server.db,
        publicUrl: null,
      }),
      changes: () => () => undefined,
      log: silentLogger,
      clock: () => new Date(otherNow),
      runJobs: false,
    });
    expect(await other.jobs.claim(10)).toHaveLength(1);
    now = otherNow;
    await settle();
    expect(smtp?.mails).toHaveLength(0);
    // The lease ran out: this server takes it; the SMTP server refuses it once (451).
    now = Date.parse('2027-03-28T06:02:01Z');
    const refused = await until('refused once', async () =>
      (await server.server.emails.jobs.list({ userId: user.userId })).find(
        (job) => job.lastError !== null,
      ),
    );
    expect(refused).toMatchObject({ attempts: 2, state: 'pending' });
    expect(refused.lastError).toMatch(/451/);
    expect(smtp?.mails).toHaveLength(0);
    // After the backoff both nodes go for it at once.
    now = Date.parse('2027-03-28T06:03:02Z');
    otherNow = now;
    await Promise.all([other.runDue(), other.runDue(), server.server.emails.runDue()]);
    await until('the agenda', async () => smtp?.mails.length === 1);
    await Promise.all([other.runDue(), server.server.emails.runDue()]);
    await settle();
    expect(smtp?.mails).toHaveLength(1);
    expect(smtp?.mails[0]?.text).toContain('Nothing is due or planned today.');
    const jobs = await server.server.emails.jobs.list({ userId: user.userId, kind: 'agenda' });
    expect(jobs[0]).toMatchObject({ key: '2027-03-28', state: 'sent' });
    await other.stop();
  });

  it('drops an agenda the server was down for hours past, plans the next, and prunes old jobs after a week', async () => {
    const { server, user } = await setup();
    await callApi(server, user, 'PATCH', '/settings', { timezone: 'UTC', agenda_time: '06:00' });
    await plannedAt(server, user.userId, '2027-03-28T06:00:00Z');
    now = Date.parse('2027-03-28T09:00:00Z');
    // Dropped either way: the poll claims the late job and cancels it, or a re-plan running
    // first (any change to the user's document plans again) no longer plans that day.
    const list = await until('dropped', async () => {
      const jobs = await server.server.emails.jobs.list({ userId: user.userId, kind: 'agenda' });
      const next = jobs.find((job) => job.key === '2027-03-29');
      return next?.state === 'pending' &&
        jobs.every((job) => job.key !== '2027-03-28' || job.state !== 'pending')
        ? jobs
        : null;
    });
    expect(list.map((job) => [job.key, job.state])).toEqual(
      list.length === 2
        ? [
            ['2027-03-28', 'cancelled'],
            ['2027-03-29', 'pending'],
          ]
        : [['2027-03-29', 'pending']],
    );
    expect(smtp?.mails).toHaveLength(0);
    // A week on, finished jobs are pruned (and the day missed meanwhile is dropped too).
    now = Date.parse('2027-04-05T09:00:00Z');
    const pruned = await until('pruned', async () => {
      const jobs = await server.server.emails.jobs.list({ userId: user.userId, kind: 'agenda' });
      return jobs.length === 2 && jobs[0]?.key === '2027-03-29' && jobs[1]?.key !== '2027-03-29'
        ? jobs
        : null;
    });
    expect(pruned.map((job) => [job.key, job.state])).toEqual([
      ['2027-03-29', 'cancelled'],
      ['2027-04-06', 'pending'],
    ]);
  });
});
