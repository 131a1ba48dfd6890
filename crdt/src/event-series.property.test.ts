import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { seriesOccurrenceStarts } from './event-series.js';

/**
 * The day walk (daily and weekly series without rrule) gives exactly what rrule gives, on random
 * rules, starts (instants in zones with DST changes, and dates), UNTILs and ranges.
 */

const DAYS = ['MO', 'TU', 'WE', 'TH', 'FR', 'SA', 'SU'];
const HOUR = 3_600_000;
const BASE = Date.parse('2025-01-01T00:00:00Z');

const rule = fc
  .record({
    freq: fc.constantFrom('DAILY', 'WEEKLY', 'MONTHLY'),
    days: fc.subarray(DAYS),
    interval: fc.constantFrom(1, 1, 1, 2),
    count: fc.option(fc.integer({ min: 1, max: 40 }), { freq: 5 }),
    untilHours: fc.option(fc.integer({ min: 0, max: 24 * 500 }), { freq: 3 }),
  })
  .map(({ freq, days, interval, count, untilHours }) => {
    const parts = [`FREQ=${freq}`];
    if (interval !== 1) parts.push(`INTERVAL=${interval}`);
    if (days.length > 0) parts.push(`BYDAY=${days.join(',')}`);
    if (count !== null) parts.push(`COUNT=${count}`);
    else if (untilHours !== null) {
      const until = new Date(BASE + untilHours * HOUR).toISOString().replace(/[-:]|\.\d+/g, '');
      parts.push(`UNTIL=${until}`);
    }
    return parts.join(';');
  });

describe('recurring event series', () => {
  it('walks daily and weekly series day by day exactly as rrule does', () => {
    fc.assert(
      fc.property(
        rule,
        fc.integer({ min: 0, max: 24 * 400 }),
        fc.boolean(),
        fc.constantFrom('Europe/Berlin', 'America/New_York', 'UTC', 'Australia/Sydney'),
        fc.integer({ min: 0, max: 24 * 500 }),
        fc.integer({ min: 1, max: 24 * 40 }),
        (text, startHours, allDay, zone, fromHours, lengthHours) => {
          const startMs = BASE + startHours * HOUR + 15 * 60_000;
          const start = allDay
            ? new Date(startMs).toISOString().slice(0, 10)
            : new Date(startMs).toISOString().replace('.000', '');
          const from = new Date(BASE + fromHours * HOUR);
          const range = { from, to: new Date(from.getTime() + lengthHours * HOUR) };
          expect(seriesOccurrenceStarts(text, start, zone, range)).toEqual(
            seriesOccurrenceStarts(text, start, zone, range, 'rrule'),
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
