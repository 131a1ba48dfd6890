import ICAL from 'ical.js';

/**
 * VTIMEZONE components for IANA zones, from the platform's time zone database (ICU, through
 * Intl). RFC 5545 requires a VTIMEZONE for every TZID an object uses, and ical.js has no zone
 * database of its own; it does the conversions once it is given one. We only look up offsets
 * in Intl and find the instants where they change: ical.js turns them into local times.
 *
 * Each transition in the window becomes a STANDARD or DAYLIGHT observance of its own, as vzic
 * writes historical changes. Past the window the last offset holds, so the window is chosen to
 * cover what the event needs (see `timeZoneWindow`).
 */

const DAY_MS = 86_400_000;
/** Offsets of one zone change months apart; a week's step finds each change. */
const SCAN_STEP_MS = 7 * DAY_MS;
const MAX_SCAN_STEPS = 60 * 53;

/** Whether the platform's zone database knows `zone` (an IANA name such as Europe/Paris). */
export function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch (error) {
    if (error instanceof RangeError) return false;
    throw error;
  }
}

/** The span a VTIMEZONE must cover for an event from `startMs` to `endMs`. */
export function timeZoneWindow(
  startMs: number,
  endMs: number,
  isRecurring: boolean,
): { fromMs: number; toMs: number } {
  // A recurring event needs its zone's future changes: ten years of them, a bound that keeps
  // the object small (other clients keep the last offset after that).
  const coverMs = isRecurring ? 3653 * DAY_MS : 366 * DAY_MS;
  return {
    fromMs: Math.min(startMs, endMs) - 366 * DAY_MS,
    toMs: Math.max(startMs, endMs) + coverMs,
  };
}

interface Onset {
  atMs: number;
  fromSeconds: number;
  toSeconds: number;
}

function offsetReader(zone: string): (epochMs: number) => number {
  const format = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
  return (epochMs) => {
    const name = format.formatToParts(epochMs).find((part) => part.type === 'timeZoneName')?.value;
    const match = /^GMT(?:([+-])(\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(name ?? '');
    if (!match) throw new Error(`Intl gave no UTC offset for ${zone}: ${name}`);
    if (!match[1]) return 0;
    const seconds = Number(match[2]) * 3600 + Number(match[3]) * 60 + Number(match[4] ?? 0);
    return match[1] === '-' ? -seconds : seconds;
  };
}

/** Offset changes in [fromMs, toMs], each at the first whole second of its new offset. */
function findOnsets(zone: string, fromMs: number, toMs: number): Onset[] {
  const offsetAt = offsetReader(zone);
  const start = Math.floor(fromMs / 1000) * 1000;
  const onsets: Onset[] = [
    { atMs: start, fromSeconds: offsetAt(start), toSeconds: offsetAt(start) },
  ];
  let cursor = start;
  let offset = offsetAt(start);
  for (let step = 0; step < MAX_SCAN_STEPS && cursor < toMs; step += 1) {
    const next = Math.min(cursor + SCAN_STEP_MS, Math.ceil(toMs / 1000) * 1000);
    const nextOffset = offsetAt(next);
    if (nextOffset === offset) {
      cursor = next;
      continue;
    }
    // Bisect to the second: offsetAt(low) is the old offset, offsetAt(high) is not.
    let low = cursor;
    let high = next;
    while (high - low > 1000) {
      const middle = low + Math.floor((high - low) / 2000) * 1000;
      if (offsetAt(middle) === offset) low = middle;
      else high = middle;
    }
    const toSeconds = offsetAt(high);
    onsets.push({ atMs: high, fromSeconds: offset, toSeconds });
    cursor = high;
    offset = toSeconds;
  }
  return onsets;
}

/** A floating ICAL.Time holding the wall-clock time of `epochMs` at `offsetSeconds`. */
function wallClockAtOffset(epochMs: number, offsetSeconds: number): ICAL.Time {
  const local = new Date(epochMs + offsetSeconds * 1000);
  return ICAL.Time.fromData({
    year: local.getUTCFullYear(),
    month: local.getUTCMonth() + 1,
    day: local.getUTCDate(),
    hour: local.getUTCHours(),
    minute: local.getUTCMinutes(),
    second: local.getUTCSeconds(),
    isDate: false,
  });
}

/**
 * The wall-clock time of an instant in `zone`, as a floating ICAL.Time. ical.js's own
 * `convertToZone` looks the offset up with the UTC fields taken as local time, which is an
 * hour off near a transition; the zone database answers exactly.
 */
export function wallClock(zone: string, epochMs: number): ICAL.Time {
  return wallClockAtOffset(epochMs, offsetReader(zone)(epochMs));
}

/**
 * The first instant whose wall-clock time in `zone` is that of `epochMs`. RFC 5545 3.3.5: a
 * local time repeated when clocks go back means its first occurrence; ical.js picks the second
 * (`Timezone#utcOffset`, "want_daylight = false // TODO"), an hour (Lord Howe: 30 minutes) late.
 */
export function firstInstantOfWallClock(zone: string, epochMs: number): number {
  const offsetAt = offsetReader(zone);
  // The repeated span lasts as long as the change (at most a few hours), so a day back reaches
  // the offset in force before it.
  const shiftMs = (offsetAt(epochMs - DAY_MS) - offsetAt(epochMs)) * 1000;
  if (shiftMs <= 0) return epochMs;
  const earlier = epochMs - shiftMs;
  const sameWall = wallClock(zone, earlier).compare(wallClock(zone, epochMs)) === 0;
  return sameWall ? earlier : epochMs;
}

/** A VTIMEZONE for `zone` valid from `fromMs` to `toMs`. */
export function buildVtimezone(zone: string, fromMs: number, toMs: number): ICAL.Component {
  const onsets = findOnsets(zone, fromMs, toMs);
  const standardSeconds = Math.min(...onsets.map((onset) => onset.toSeconds));
  const vtimezone = new ICAL.Component('vtimezone');
  vtimezone.addPropertyWithValue('tzid', zone);
  // One observance per onset, no RDATE lists: ical.js (and so Thunderbird) drops an
  // observance's DTSTART from its onsets as soon as it has an RDATE, unlike RFC 5545 3.8.5.2.
  for (const onset of onsets) {
    const observance = new ICAL.Component(
      onset.toSeconds > standardSeconds ? 'daylight' : 'standard',
    );
    // RFC 5545 3.6.5: an onset is the local time in the offset in force before it.
    observance.addPropertyWithValue('dtstart', wallClockAtOffset(onset.atMs, onset.fromSeconds));
    observance.addPropertyWithValue('tzoffsetfrom', ICAL.UtcOffset.fromSeconds(onset.fromSeconds));
    observance.addPropertyWithValue('tzoffsetto', ICAL.UtcOffset.fromSeconds(onset.toSeconds));
    vtimezone.addSubcomponent(observance);
  }
  return vtimezone;
}
