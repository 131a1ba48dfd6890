import fc from 'fast-check';
import { IANAZone } from 'luxon';
import { describe, expect, it } from 'vitest';
import { ZoneOffsets } from './zone-offsets.js';

const ZONES = [
  'Europe/Berlin',
  'America/New_York',
  'Australia/Sydney',
  // Half an hour of summer time, changing at 02:00 local (15:30 UTC, not on a UTC hour).
  'Australia/Lord_Howe',
  'America/St_Johns',
  'Asia/Kathmandu',
  'Pacific/Chatham',
  'UTC',
];

const luxonOffset = (zone: string, ms: number) =>
  Math.round(IANAZone.create(zone).offset(ms) * 60_000);

describe('a zone’s kept offsets', () => {
  it('gives the offset Intl gives at any instant from 1970 to 2100', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.integer({ min: 0, max: Date.UTC(2100, 0, 1) }),
        (zone, ms) => {
          expect(ZoneOffsets.of(zone).offsetAt(ms)).toBe(luxonOffset(zone, ms));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('gives the offset Intl gives around changes of the clocks, several times a day', () => {
    // Days in the seasons the clocks change (March-April, September-November, either
    // hemisphere), each asked at many instants, so a day's kept change is read on both sides.
    const seasonDay = fc
      .tuple(
        fc.integer({ min: 1970, max: 2099 }),
        fc.constantFrom(2, 3, 8, 9, 10),
        fc.integer({ min: 0, max: 30 }),
      )
      .map(([year, month, day]) => Date.UTC(year, month, 1) + day * 86_400_000);
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        seasonDay,
        fc.array(fc.integer({ min: 0, max: 86_399_999 }), { minLength: 1, maxLength: 24 }),
        (zone, day, times) => {
          for (const time of times) {
            expect(ZoneOffsets.of(zone).offsetAt(day + time)).toBe(luxonOffset(zone, day + time));
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('changes offset at the very second the clocks change', () => {
    const berlin = ZoneOffsets.of('Europe/Berlin');
    // 29 March 2026, 01:00Z: 02:00 CET becomes 03:00 CEST.
    const change = Date.parse('2026-03-29T01:00:00Z');
    expect(berlin.offsetAt(change - 1)).toBe(3600_000);
    expect(berlin.offsetAt(change)).toBe(7200_000);
    const lordHowe = ZoneOffsets.of('Australia/Lord_Howe');
    // 5 April 2026, 02:00 local summer time (+11) goes back to 01:30 (+10:30) at 15:00Z.
    const back = Date.parse('2026-04-04T15:00:00Z');
    expect(lordHowe.offsetAt(back - 1)).toBe(11 * 3600_000);
    expect(lordHowe.offsetAt(back)).toBe(10.5 * 3600_000);
  });

  it('gives the wall clock of an instant as a floating time', () => {
    const wall = ZoneOffsets.of('America/New_York').wallClockOf(Date.parse('2026-07-01T16:00:00Z'));
    expect(new Date(wall).toISOString()).toBe('2026-07-01T12:00:00.000Z');
  });

  it('refuses a zone that does not exist', () => {
    expect(() => ZoneOffsets.of('Mars/Olympus')).toThrow('unknown time zone Mars/Olympus');
  });
});
