import {
  ensureCaldavCalendar,
  ensureRadicaleInstalled,
  type RadicaleServer,
  startRadicale,
} from '@tasks/connectors';
import { getSettings } from '@tasks/crdt';
import { afterEach, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../db/test-databases.js';
import { createDocumentAccess } from '../rest/document-access.js';
import { callApi, startTestServer, type TestServer } from '../test-server.js';
import { until } from '../test-support/until.js';
import { type SmtpSink, startSmtpSink } from './smtp-sink.js';

/**
 * A calendar connection that really fails: a CalDAV calendar on a real Radicale, connected and
 * synced, then the server gone (its port on 127.0.0.1 refuses). The sync is retried until out
 * of attempts (the fake clock skips the backoffs), the connection turns FAILED, and the user
 * gets one email, received by a real SMTP server, however often it fails after that.
 */
const T0 = new Date('2027-05-03T08:00:00Z');

interface Connection {
  id: string;
  sync_status: 'PENDING' | 'SUCCESS' | 'FAILED';
  sync_error: string | null;
}

describe.each(testDatabaseKinds())('calendar-failure email on %s', (kind) => {
  let ts: TestServer | null = null;
  let smtp: SmtpSink | null = null;
  let radicale: RadicaleServer | null = null;
  let now = T0.getTime();
  const clock = () => new Date(now);

  afterEach(async () => {
    await ts?.dispose();
    await smtp?.close();
    await radicale?.close();
    ts = null;
    smtp = null;
    radicale = null;
    now = T0.getTime();
  });

  it('emails once per failure episode, says what failed and to reconnect, and respects the email setting', async () => {
    if (!(await ensureRadicaleInstalled())) throw new Error('Radicale is not installed');
    radicale = await startRadicale({ users: { alice: 'wonderland' } });
    smtp = await startSmtpSink();
    const server = await startTestServer(kind, {
      clock,
      config: {
        SMTP_URL: smtp.url,
        MAIL_FROM: 'Tasks <calendar@tasks.example>',
        PUBLIC_URL: 'https://tasks.example',
      },
      calendar: { workerPollMs: 30, changeDelayMs: 50 },
      emails: { pollIntervalMs: 30, planDelayMs: 10 },
    });
    ts = server;
    const user = await server.register('calfail');
    await callApi(server, user, 'PATCH', '/settings', { notify_email: true });
    await ensureCaldavCalendar({
      serverUrl: radicale.url,
      username: 'alice',
      password: 'wonderland',
      calendarPath: '/alice/work/',
    });
    const connected = await callApi<Connection>(server, user, 'POST', '/calendar/connect', {
      provider: 'ICAL',
      server_url: radicale.url,
      username: 'alice',
      password: 'wonderland',
      calendar_id: '/alice/work/',
    });
    expect(connected.status).toBe(201);
    const id = connected.body.id;
    const connection = async () =>
      (await callApi<Connection>(server, user, 'GET', `/calendar/connections/${id}`)).body;
    await until('the first sync', async () => (await connection()).sync_status === 'SUCCESS');

    // The CalDAV server goes away: its port refuses every connection.
    await radicale.close();
    radicale = null;
    const [account] = await server.db.query<{ email: string }>(
      'select email from users where id = $1',
      [user.userId],
    );
    /** A fresh access token: the clock skips hours, past the last one's hour. */
    const signIn = async () => {
      const reply = await fetch(`${server.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: account?.email, password: 'correct horse battery' }),
      });
      expect(reply.status).toBe(200);
      user.token = ((await reply.json()) as { access_token: string }).access_token;
    };
    /** Asks for a sync and lets the clock run past every backoff until it is out of attempts. */
    const failForGood = async () => {
      await signIn();
      const sync = await callApi<{ job_id: string }>(server, user, 'POST', `/calendar/sync/${id}`);
      expect(sync.status).toBe(202);
      await until(
        'the sync to fail for good',
        async () => {
          const [job] = await server.db.query<{ state: string; run_after: Date | string }>(
            'select state, run_after from sync_jobs where id = $1',
            [sync.body.job_id],
          );
          // Waiting for a retry: the clock jumps to it.
          if (job?.state === 'queued') now = Math.max(now, new Date(job.run_after).getTime());
          return job?.state === 'failed';
        },
        60_000,
      );
      await signIn();
    };
    await failForGood();
    const failed = await connection();
    expect(failed.sync_status).toBe('FAILED');

    const mail = (await until('the email', async () => smtp?.mails.length === 1 && smtp.mails))[0];
    expect(mail?.subject).toBe('Your CalDAV calendar stopped syncing');
    expect(mail?.text).toContain('Calendar: CalDAV calendar /alice/work/ on http://127.0.0.1:');
    expect(mail?.text).toContain('(as alice)');
    expect(mail?.text).toContain(`What failed: ${failed.sync_error}`);
    expect(mail?.text).toMatch(/reconnect the calendar/);
    expect(mail?.text).toContain('https://tasks.example/#/settings');
    expect(mail?.html).toContain('<strong>What failed:</strong>');
    const link = /Stop emails about calendar connections: (\S+)/.exec(mail?.text ?? '')?.[1] ?? '';
    expect(new URL(link).searchParams.get('k')).toBe('calendar-failures');

    // Still failing: more retries, more failures, no second email in the same episode.
    await failForGood();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(smtp.mails).toHaveLength(1);

    // The connection recovers (as a successful sync records it), then fails again: a new
    // episode, but the user turned email off meanwhile, so nothing is sent.
    await server.db.query(
      `update calendar_connections set sync_status = 'SUCCESS', sync_error = null where id = $1`,
      [id],
    );
    await callApi(server, user, 'PATCH', '/settings', { notify_email: false });
    await failForGood();
    const episodes = await until('the second episode handled', async () => {
      const jobs = await server.server.emails.jobs.list({
        userId: user.userId,
        kind: 'calendar-failure',
      });
      return jobs.length === 2 && jobs.every((job) => job.state !== 'pending') && jobs;
    });
    expect(episodes.map((job) => job.state)).toEqual(['sent', 'cancelled']);
    expect(smtp.mails).toHaveLength(1);

    // The unsubscribe link of this kind turns these emails off.
    expect((await fetch(link.replace('https://tasks.example', server.url))).status).toBe(200);
    const access = createDocumentAccess({ relay: server.server.relay, db: server.db, clock });
    expect(
      await access.use(user.userId, [], (docs) => getSettings(docs).emailCalendarFailures),
    ).toBe(false);
  }, 180_000);
});
