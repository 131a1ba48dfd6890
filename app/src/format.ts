import { DateTime } from 'luxon';

/** 1:05:09 style, for running timers. */
export function formatElapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  return `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
}

/** 2h 05m style, for durations in seconds. */
export function formatDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return h > 0 ? `${h}h ${String(m).padStart(2, '0')}m` : `${m}m`;
}

/** A due/start value as the user reads it: "Mon 13 Oct" or "Mon 13 Oct, 15:00", in their zone. */
export function formatDue(value: string, timezone: string): string {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    return DateTime.fromISO(value, { zone: 'utc' }).toFormat('ccc d LLL');
  }
  return DateTime.fromISO(value, { zone: 'utc' }).setZone(timezone).toFormat('ccc d LLL, HH:mm');
}

/** The value for an <input type="datetime-local"> or type="date" from a stored date. */
export function toInputValue(value: string | null, timezone: string): string {
  if (!value) return '';
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  return DateTime.fromISO(value, { zone: 'utc' }).setZone(timezone).toFormat("yyyy-LL-dd'T'HH:mm");
}

/** A stored date from an input: date-only stays date-only; local wall time becomes UTC. */
export function fromInputValue(value: string, timezone: string): string | null {
  if (value === '') return null;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return value;
  const local = DateTime.fromISO(value, { zone: timezone });
  return local.isValid ? (local.toUTC().toISO({ suppressMilliseconds: true }) ?? null) : null;
}

/** "1 change", "3 changes": local edits the server has not acknowledged yet. */
export function formatChangeCount(count: number): string {
  return `${count} change${count === 1 ? '' : 's'}`;
}
