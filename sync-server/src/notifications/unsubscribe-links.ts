import { createHmac, timingSafeEqual } from 'node:crypto';
import { type SettingsPatch, updateSettings } from '@tasks/crdt';
import { Hono } from 'hono';
import { z } from 'zod';
import type { DocumentAccess } from '../rest/document-access.js';

/**
 * One-click unsubscribe links of emails (RFC 8058), one per kind of email: the link carries the
 * user and kind signed with the server's secret (HMAC-SHA256), so it works without signing in
 * and cannot be forged for another user. Following it (GET, or the mail client's POST) turns
 * that kind of email off in the user's settings.
 */
export const EMAIL_KINDS = ['reminders', 'agenda', 'calendar-failures'] as const;
export type EmailKind = (typeof EMAIL_KINDS)[number];

/** What following a kind's link changes in the settings, and what the page then says. */
const UNSUBSCRIBE: Record<EmailKind, { patch: SettingsPatch; done: string }> = {
  reminders: {
    patch: { notifyEmail: false },
    done: 'Reminder emails are off. Turn them on again in Settings → Reminders.',
  },
  agenda: {
    patch: { agendaTime: null },
    done: 'The daily agenda email is off. Choose a time again in Settings → Reminders.',
  },
  'calendar-failures': {
    patch: { emailCalendarFailures: false },
    done: 'Emails about failing calendar connections are off. Turn them on again in Settings → Reminders.',
  },
};

export const UNSUBSCRIBE_PATH = '/api/v1/notifications/unsubscribe';

export interface UnsubscribeLinks {
  /** The link for this user and kind, or null without a public URL to put in it. */
  url(userId: string, kind: EmailKind): string | null;
  verify(userId: string, kind: string, signature: string): boolean;
}

export function createUnsubscribeLinks(secret: string, publicUrl: string | null): UnsubscribeLinks {
  const sign = (userId: string, kind: string) =>
    createHmac('sha256', secret).update(`unsubscribe:${kind}:${userId}`).digest('base64url');
  return {
    url(userId, kind) {
      if (publicUrl === null) return null;
      const query = new URLSearchParams({ u: userId, k: kind, s: sign(userId, kind) });
      return `${publicUrl}${UNSUBSCRIBE_PATH}?${query}`;
    },
    verify(userId, kind, signature) {
      const expected = Buffer.from(sign(userId, kind));
      const given = Buffer.from(signature);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}

const Query = z.object({
  u: z.uuid(),
  k: z.enum(EMAIL_KINDS),
  s: z.string().min(1).max(100),
});

/** The public route the links point at (no session: the signature is the authority). */
export function createUnsubscribeRoute(deps: { links: UnsubscribeLinks; access: DocumentAccess }) {
  const app = new Hono();
  app.on(['GET', 'POST'], '/', async (c) => {
    const query = Query.safeParse(c.req.query());
    if (!query.success || !deps.links.verify(query.data.u, query.data.k, query.data.s)) {
      return c.text('This unsubscribe link is not valid.', 403);
    }
    const { patch, done } = UNSUBSCRIBE[query.data.k];
    await deps.access.use(query.data.u, [], (docs) => updateSettings(docs, patch));
    return c.text(done, 200);
  });
  return app;
}
