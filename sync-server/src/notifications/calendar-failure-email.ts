import type { Database } from '../db/database.js';
import { escapeHtml, type UserEmail } from './email-channel.js';

/**
 * The email telling a user their calendar connection failed: which calendar, what its server
 * said, and how to fix it (reconnect in Settings). Queued by the connection store in the same
 * statement that marks the connection FAILED, once per failure episode (connection-store.ts
 * `markFailed`); read again when sent, so a connection repaired meanwhile gets no email.
 */
export interface FailedConnection {
  id: string;
  provider: string;
  calendarId: string;
  serverUrl: string | null;
  username: string | null;
  syncError: string | null;
}

const PROVIDERS: Record<string, string> = {
  GOOGLE: 'Google Calendar',
  MICROSOFT: 'Outlook',
  ICAL: 'CalDAV',
};

/** The connection as it is now, or null when it is gone or no longer failing. */
export async function readFailedConnection(
  db: Database,
  connectionId: string,
): Promise<FailedConnection | null> {
  const rows = await db.query<{
    id: string;
    provider: string;
    calendar_id: string;
    server_url: string | null;
    username: string | null;
    sync_error: string | null;
    sync_status: string;
  }>(
    `select id, provider, calendar_id, server_url, username, sync_error, sync_status
     from calendar_connections where id = $1`,
    [connectionId],
  );
  const row = rows[0];
  if (row?.sync_status !== 'FAILED') return null;
  return {
    id: row.id,
    provider: row.provider,
    calendarId: row.calendar_id,
    serverUrl: row.server_url,
    username: row.username,
    syncError: row.sync_error,
  };
}

export function calendarFailureEmail(
  connection: FailedConnection,
  job: { id: string; userId: string },
  publicUrl: string | null,
): UserEmail {
  const provider = PROVIDERS[connection.provider] ?? connection.provider;
  const which =
    connection.provider === 'ICAL'
      ? `${provider} calendar ${connection.calendarId} on ${connection.serverUrl ?? 'its server'}${connection.username ? ` (as ${connection.username})` : ''}`
      : `${provider} calendar ${connection.calendarId}`;
  const reason = connection.syncError ?? 'The calendar server did not answer as expected.';
  const settings = publicUrl === null ? null : `${publicUrl}/#/settings`;
  const fix = `To fix it, open Settings → Calendars${settings ? ` (${settings})` : ''} and reconnect the calendar${connection.provider === 'ICAL' ? ', entering its address and password again' : ''}. Until then tasks and events are not synced with it; nothing is lost.`;
  const subject = `Your ${provider} calendar stopped syncing`;
  return {
    userId: job.userId,
    kind: 'calendar-failures',
    subject,
    text: [subject, '', `Calendar: ${which}`, `What failed: ${reason}`, '', fix].join('\n'),
    html: [
      `<h2>${escapeHtml(subject)}</h2>`,
      `<p><strong>Calendar:</strong> ${escapeHtml(which)}</p>`,
      `<p><strong>What failed:</strong> ${escapeHtml(reason)}</p>`,
      `<p>${escapeHtml(fix)}</p>`,
      ...(settings ? [`<p><a href="${escapeHtml(settings)}">Reconnect in Settings</a></p>`] : []),
    ].join('\n'),
    messageId: `calendar-failure-${job.id}`,
  };
}
