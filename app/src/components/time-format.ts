import { DateTime } from 'luxon';

/** Seconds as `h:mm:ss` (a running timer, an entry's duration). */
export function formatClock(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds));
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  return `${h}:${m.toString().padStart(2, '0')}:${s.toString().padStart(2, '0')}`;
}

/** Seconds as `h:mm` (totals). */
export function formatHours(seconds: number): string {
  const minutes = Math.max(0, Math.floor(seconds / 60));
  return `${Math.floor(minutes / 60)}:${(minutes % 60).toString().padStart(2, '0')}`;
}

/** An instant in `zone` as the value of a `datetime-local` input (`2025-10-15T09:30`). */
export function toLocalInput(instant: string, zone: string): string {
  return DateTime.fromISO(instant, { zone: 'utc' }).setZone(zone).toFormat("yyyy-MM-dd'T'HH:mm");
}

/**
 * A local date and time of day in `zone` (inputs' values) as a UTC ISO instant. An empty or
 * unreadable value gives '' so the domain's validation names the field.
 */
export function localToUtc(date: string, time: string, zone: string): string {
  const local = DateTime.fromISO(`${date}T${time}`, { zone });
  if (!date || !time || !local.isValid) return '';
  return local.toUTC().toISO({ suppressMilliseconds: true }) ?? '';
}

/** A `datetime-local` input's value in `zone` as a UTC ISO instant ('' when empty). */
export function localInputToUtc(value: string, zone: string): string {
  const [date = '', time = ''] = value.split('T');
  return localToUtc(date, time, zone);
}

/** Today's local date (`YYYY-MM-DD`) in `zone`. */
export function localDateIn(now: Date, zone: string): string {
  return DateTime.fromJSDate(now).setZone(zone).toISODate() ?? '';
}
