import ICAL from 'ical.js';
import { describe, expect, it } from 'vitest';
import { buildVtimezone, isKnownTimeZone, wallClock } from './vtimezone.js';

const YEAR_MS = 365.25 * 86_400_000;

/** Wall-clock time of `epochMs` in `zone` according to Intl, as YYYY-MM-DDTHH:MM:SS. */
function intlWallClock(epochMs: number, zone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(epochMs);
  const part = (type: string) => parts.find((candidate) => candidate.type === type)?.value;
  return `${part('year')}-${part('month')}-${part('day')}T${part('hour')}:${part('minute')}:${part('second')}`;
}

describe('buildVtimezone', () => {
  const zones = [
    'Europe/Paris',
    'America/New_York',
    'Australia/Sydney',
    'Asia/Kolkata',
    'America/St_Johns',
    'Pacific/Chatham',
    'Asia/Tokyo',
    'UTC',
  ];

  it.each(zones)(
    'reads wall-clock times in %s back to the instants the zone database gives',
    (zone) => {
      const from = Date.UTC(2024, 0, 1);
      const to = from + 3 * YEAR_MS;
      const timezone = new ICAL.Timezone({
        component: buildVtimezone(zone, from - 86_400_000, to),
        tzid: zone,
      });
      let ambiguous = 0;
      // Every 61 hours and 7 minutes over three years: every hour of the day, near each transition.
      for (let at = from; at < to; at += (61 * 60 + 7) * 60_000) {
        const local = wallClock(zone, at);
        expect(`${zone} ${local.toString()}`).toBe(`${zone} ${intlWallClock(at, zone)}`);
        const back =
          ICAL.Time.fromData(
            {
              year: local.year,
              month: local.month,
              day: local.day,
              hour: local.hour,
              minute: local.minute,
              second: local.second,
            },
            timezone,
          ).toUnixTime() * 1000;
        if (back === at) continue;
        // Only a time in the hour repeated when clocks go back may differ: it reads as the first.
        expect(back).toBeLessThan(at);
        expect(intlWallClock(back, zone)).toBe(intlWallClock(at, zone));
        ambiguous += 1;
      }
      expect(ambiguous).toBeLessThanOrEqual(3);
    },
  );

  it('converts a wall-clock time back to the right instant on both sides of a transition', () => {
    const from = Date.UTC(2025, 0, 1);
    const timezone = new ICAL.Timezone({
      component: buildVtimezone('Europe/Paris', from, from + YEAR_MS),
      tzid: 'Europe/Paris',
    });
    const instant = (hour: number, day: number) =>
      new Date(
        ICAL.Time.fromData({ year: 2025, month: 3, day, hour, minute: 30 }, timezone).toUnixTime() *
          1000,
      );
    expect(instant(1, 30).toISOString()).toBe('2025-03-30T00:30:00.000Z');
    expect(instant(3, 30).toISOString()).toBe('2025-03-30T01:30:00.000Z');
  });

  it('describes a zone without changes with one observance', () => {
    const component = buildVtimezone('Asia/Tokyo', Date.UTC(2025, 0, 1), Date.UTC(2035, 0, 1));
    const observances = component.getAllSubcomponents();
    expect(observances.map((observance) => observance.name)).toEqual(['standard']);
    expect(observances[0]?.getFirstPropertyValue('tzoffsetto')?.toString()).toBe('+09:00');
  });

  it('knows IANA names and nothing else', () => {
    expect(isKnownTimeZone('Europe/Paris')).toBe(true);
    expect(isKnownTimeZone('W. Europe Standard Time')).toBe(false);
    expect(isKnownTimeZone('Mars/Olympus_Mons')).toBe(false);
  });
});
