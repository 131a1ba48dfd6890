import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openTestDatabase, type TestDatabase } from '../db/test-databases.js';
import { createMailer, type Mailer } from './email-channel.js';
import { type SmtpSink, startSmtpSink } from './smtp-sink.js';

describe('the mailer', () => {
  let database: TestDatabase;
  let smtp: SmtpSink;
  let mailer: Mailer;

  beforeEach(async () => {
    database = await openTestDatabase('pglite');
    smtp = await startSmtpSink();
    mailer = createMailer({
      smtpUrl: smtp.url,
      from: 'Tasks <tasks@example.com>',
      db: database.db,
      publicUrl: null,
      maxConnections: 2,
    });
  });
  afterEach(async () => {
    mailer.close();
    await smtp.close();
    await database.dispose();
  });

  it('sends many emails over its pool of connections, not one connection each', async () => {
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        mailer.sendTo(`person-${i}@example.com`, {
          userId: `user-${i}`,
          kind: 'reminders',
          subject: `Reminder: task ${i}`,
          text: `Task ${i}`,
          html: `<p>Task ${i}</p>`,
          messageId: `reminder-${i}`,
        }),
      ),
    );
    expect(smtp.mails.map((mail) => mail.subject).sort()).toEqual(
      Array.from({ length: 8 }, (_, i) => `Reminder: task ${i}`).sort(),
    );
    expect(smtp.connections).toBeGreaterThanOrEqual(1);
    expect(smtp.connections).toBeLessThanOrEqual(2);
  });
});
