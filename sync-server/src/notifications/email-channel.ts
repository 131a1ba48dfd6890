import type { Settings } from '@tasks/crdt';
import type { Database } from '../db/database.js';
import { createInlineDelivery, type Delivery } from './delivery.js';
import type { ReminderChannel } from './reminder-channel.js';
import type { ReminderMessage } from './reminder-message.js';
import type { EmailKind } from './unsubscribe-links.js';

/**
 * Email over SMTP (nodemailer, a pooled transport to `SMTP_URL`, in a `Delivery`, delivery.ts,
 * in delivery threads when the server has them): reminders here, the daily
 * agenda and the calendar-failure message through the same `Mailer`. Each has a plain-text and
 * an HTML part, a stable Message-ID (a retry after a crash that sent it already is the same
 * message to the recipient's server), and an unsubscribe link for its kind (`List-Unsubscribe`,
 * RFC 8058 one-click) when the server knows its public URL.
 */
export interface EmailChannelOptions {
  smtpUrl: string;
  from: string;
  db: Database;
  /** This server's origin as users reach it (links in the message), or null. */
  publicUrl: string | null;
  /** The unsubscribe link of a user and kind of email, or null without a public URL. */
  unsubscribeUrl?: (userId: string, kind: EmailKind) => string | null;
  /** SMTP connections kept open at once (default 5), when no `delivery` is given. */
  maxConnections?: number;
  /** Sends the emails (default: a pool to `smtpUrl` in this thread, closed with the mailer). */
  delivery?: Delivery;
}

/** One email to a user: the parts, the kind its unsubscribe link turns off, a stable id. */
export interface UserEmail {
  userId: string;
  kind: EmailKind;
  subject: string;
  /** Plain-text paragraphs; the HTML part says the same. */
  text: string;
  html: string;
  /** Unique per message: a retry sends the same Message-ID (`<id@domain>`). */
  messageId: string;
}

/** The SMTP side shared by every kind of email: the pooled transport and the recipient. */
export interface Mailer {
  readonly publicUrl: string | null;
  /** Sends it to the user's address; false when the account is gone or disabled. */
  send(email: UserEmail): Promise<boolean>;
  /** Sends it to this address (read with `recipients`). */
  sendTo(to: string, email: UserEmail): Promise<void>;
  /** The recipients of these users (active accounts), read at once. */
  recipients(userIds: readonly string[]): Promise<Map<string, string>>;
  close(): void;
}

export interface EmailChannel extends ReminderChannel {
  readonly mailer: Mailer;
  close(): void;
}

export const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (char) =>
      ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] ?? char,
  );

const UNSUBSCRIBE_LABELS: Record<EmailKind, string> = {
  reminders: 'Stop reminder emails',
  agenda: 'Stop the daily agenda email',
  'calendar-failures': 'Stop emails about calendar connections',
};

export function createMailer(options: EmailChannelOptions): Mailer {
  const owned = options.delivery === undefined;
  const delivery =
    options.delivery ??
    createInlineDelivery({
      smtpUrl: options.smtpUrl,
      smtpConnections: options.maxConnections ?? 5,
      allowPrivateEndpoints: false,
    });
  const domain = /@([^>\s]+)>?\s*$/.exec(options.from)?.[1] ?? 'localhost';

  async function recipients(userIds: readonly string[]): Promise<Map<string, string>> {
    if (userIds.length === 0) return new Map();
    const rows = await options.db.query<{ id: string; email: string }>(
      'select id, email from users where id = any($1::uuid[]) and is_active',
      [[...new Set(userIds)]],
    );
    return new Map(rows.map((row) => [row.id, row.email]));
  }

  return {
    publicUrl: options.publicUrl,
    recipients,
    sendTo,
    async send(email) {
      const to = (await recipients([email.userId])).get(email.userId);
      if (to === undefined) return false; // the account is gone or disabled: nobody to write to
      await sendTo(to, email);
      return true;
    },
    close() {
      if (owned) void delivery.close();
    },
  };

  async function sendTo(to: string, email: UserEmail): Promise<void> {
    const unsubscribe = options.unsubscribeUrl?.(email.userId, email.kind) ?? null;
    const label = UNSUBSCRIBE_LABELS[email.kind];
    await delivery.email({
      from: options.from,
      to,
      subject: email.subject,
      text: unsubscribe ? `${email.text}\n\n${label}: ${unsubscribe}` : email.text,
      html: unsubscribe
        ? `${email.html}\n<p style="color:#666;font-size:12px"><a href="${escapeHtml(unsubscribe)}">${label}</a></p>`
        : email.html,
      messageId: `<${email.messageId}@${domain}>`,
      ...(unsubscribe ? { unsubscribe: { url: unsubscribe, comment: label } } : {}),
    });
  }
}

/** A reminder as an email: the task, when it is due, a link to the app. */
export function reminderEmail(message: ReminderMessage, publicUrl: string | null): UserEmail {
  const open = publicUrl === null ? null : `${publicUrl}${message.url}`;
  return {
    userId: message.userId,
    kind: 'reminders',
    subject: `Reminder: ${message.title}`,
    text: [message.title, message.body, ...(open ? ['', `Open: ${open}`] : [])].join('\n'),
    html: [
      `<p><strong>${escapeHtml(message.title)}</strong></p>`,
      `<p>${escapeHtml(message.body)}</p>`,
      ...(open ? [`<p><a href="${escapeHtml(open)}">Open the task</a></p>`] : []),
    ].join('\n'),
    messageId: `reminder-${message.id}`,
  };
}

export function createEmailChannel(options: EmailChannelOptions): EmailChannel {
  const mailer = createMailer(options);
  // The addresses of the batch being sent (`prepare`), read in one query.
  let batch = new Map<string, string>();
  return {
    name: 'email',
    mailer,
    enabled: (settings: Settings) => settings.notifyEmail,
    async prepare(userIds) {
      batch = await mailer.recipients(userIds);
    },
    async send(message: ReminderMessage) {
      const email = reminderEmail(message, options.publicUrl);
      const to = batch.get(message.userId);
      if (to === undefined) await mailer.send(email);
      else await mailer.sendTo(to, email);
    },
    close() {
      mailer.close();
    },
  };
}
