import { DateTime } from 'luxon';

/**
 * When a calendar last synced, as the settings page says it: relative while recent ("just now",
 * "5 min ago", "3 h ago"), then the day and time in the user's zone ("on Tue 3 Nov, 14:05").
 */
export function lastSyncLabel(iso: string | null, now: Date, timezone: string): string {
  if (!iso) return 'never';
  const at = DateTime.fromISO(iso, { zone: 'utc' });
  if (!at.isValid) return 'unknown';
  // A server clock a little ahead of this device's reads as "just now", not as the future.
  const minutes = Math.floor((now.getTime() - at.toMillis()) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  return `on ${at.setZone(timezone).toFormat('ccc d LLL yyyy, HH:mm')}`;
}
