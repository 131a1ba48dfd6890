import type { Session } from './session.js';

/**
 * The time zone of the signed-in account (`GET /auth/me`), as given at registration; null when
 * it cannot be had now (offline, an expired token): the document keeps what it has.
 */
export async function fetchAccountTimezone(session: Session): Promise<string | null> {
  try {
    const response = await fetch('/api/v1/auth/me', {
      headers: { authorization: `Bearer ${session.accessToken}` },
    });
    if (!response.ok) return null;
    const body = (await response.json()) as { timezone?: unknown };
    return typeof body.timezone === 'string' ? body.timezone : null;
  } catch {
    return null;
  }
}
