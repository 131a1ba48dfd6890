import type { Settings } from '@tasks/crdt';
import nodemailer from 'nodemailer';
import type { Database } from '../db/database.js';
import type { ReminderChannel } from './reminder-channel.js';
import type { ReminderMessage } from './reminder-message.js';

/**
 * Reminders by email over SMTP (nodemailer, a pooled transport to `SMTP_URL`): a plain-text and
 * an HTML part, the job's id as the Message-ID (a retry after a crash that sent it already is
 * the same message to the recipient's server), and an unsubscribe link for reminders
 * (`List-Unsubscribe`, RFC 8058 one-click) when the server knows its public URL.
 */
export interface EmailChannelOptions {
  smtpUrl: string;
  from: string;
  db: Database;
  /** This server's origin as users reach it (links in the message), or null. */
  publicUrl: string | null;
  /** The unsubscribe link of a user and kind of email, or null without a public URL. */
  unsubscribeUrl?: (userId: string, kind: 'reminders') => string | null;
  /** SMTP connections kept open at once (default 5). */
  maxConnections?: number;
}

export interface EmailChannel extends ReminderChannel {
  close(): void;
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (char) =>
      ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] ?? char,
  );

export function createEmailChannel(options: EmailChannelOptions): EmailChannel {
  const transport = nodemailer.createTransport(options.smtpUrl, {
    pool: true,
    maxConnections: options.maxConnections ?? 5,
  } as Parameters<typeof nodemailer.createTransport>[1]);
  const domain = /@([^>\s]+)>?\s*$/.exec(options.from)?.[1] ?? 'localhost';

  async function recipientOf(userId: string): Promise<string | null> {
    const rows = await options.db.query<{ email: string }>(
      'select email from users where id = $1 and is_active',
      [userId],
    );
    return rows[0]?.email ?? null;
  }

  return {
    name: 'email',
    enabled: (settings: Settings) => settings.notifyEmail,
    async send(message: ReminderMessage) {
      const to = await recipientOf(message.userId);
      if (to === null) return; // the account is gone or disabled: nobody to write to
      const open = options.publicUrl === null ? null : `${options.publicUrl}${message.url}`;
      const unsubscribe = options.unsubscribeUrl?.(message.userId, 'reminders') ?? null;
      const text = [
        message.title,
        message.body,
        ...(open ? ['', `Open: ${open}`] : []),
        ...(unsubscribe ? ['', `Stop reminder emails: ${unsubscribe}`] : []),
      ].join('\n');
      const html = [
        `<p><strong>${escapeHtml(message.title)}</strong></p>`,
        `<p>${escapeHtml(message.body)}</p>`,
        ...(open ? [`<p><a href="${escapeHtml(open)}">Open the task</a></p>`] : []),
        ...(unsubscribe
          ? [
              `<p style="color:#666;font-size:12px"><a href="${escapeHtml(unsubscribe)}">Stop reminder emails</a></p>`,
            ]
          : []),
      ].join('\n');
      await transport.sendMail({
        from: options.from,
        to,
        subject: `Reminder: ${message.title}`,
        text,
        html,
        messageId: `<reminder-${message.id}@${domain}>`,
        ...(unsubscribe
          ? {
              list: { unsubscribe: { url: unsubscribe, comment: 'Stop reminder emails' } },
              headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
            }
          : {}),
      });
    },
    close() {
      transport.close();
    },
  };
}
