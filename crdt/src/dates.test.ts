import { DateTime } from 'luxon';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  localDateTimeToInstant,
  normalizeDateTime,
  normalizeLocalDateTime,
  otherPassOf,
  wallClockToInstant,
} from './dates.js';

describe('local datetimes in a zone', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reads 3 pm in Berlin as 14:00Z in winter and 13:00Z in summer', () => {
    expect(localDateTimeToInstant('2027-01-13T15:00', 'Europe/Berlin')).toBe(
      '2027-01-13T14:00:00Z',
    );
    expect(localDateTimeToInstant('2027-07-13T15:00:00', 'Europe/Berlin')).toBe(
      '2027-07-13T13:00:00Z',
    );
  });

  it.each([
    ['in summer', '2026-07-01T12:00:00Z'],
    ['in winter', '2027-01-15T12:00:00Z'],
  ])(
    'reads a time the clocks show twice as its first pass, whatever the date today (%s)',
    (_, today) => {
      vi.useFakeTimers({ now: new Date(today), toFake: ['Date'] });
      // 25 October 2026, Berlin: 02:30 happens at 00:30Z (summer time) and again at 01:30Z.
      expect(localDateTimeToInstant('2026-10-25T02:30', 'Europe/Berlin')).toBe(
        '2026-10-25T00:30:00Z',
      );
      // The same rule south of the equator: Sydney repeats 02:30 on 5 April 2026.
      expect(localDateTimeToInstant('2026-04-05T02:30', 'Australia/Sydney')).toBe(
        '2026-04-04T15:30:00Z',
      );
    },
  );

  it('moves a time the clocks skip forward by the gap', () => {
    // 28 March 2027, Berlin: 02:00 becomes 03:00, so 02:30 is 03:30 summer time.
    expect(localDateTimeToInstant('2027-03-28T02:30', 'Europe/Berlin')).toBe(
      '2027-03-28T01:30:00Z',
    );
  });

  it('refuses a date that does not exist, a zone that does not exist and a time with an offset', () => {
    expect(localDateTimeToInstant('2027-02-30T10:00', 'Europe/Berlin')).toBeNull();
    expect(localDateTimeToInstant('2027-01-13T15:00', 'Europe/Atlantis')).toBeNull();
    expect(normalizeLocalDateTime('2027-01-13T15:00Z')).toBeNull();
    expect(normalizeLocalDateTime('2027-01-13T15:00')).toBe('2027-01-13T15:00:00');
  });

  it('finds the other pass of a repeated hour, and none for an ordinary time', () => {
    const first = DateTime.fromISO('2026-10-25T00:30:00Z').setZone('Europe/Berlin');
    expect(otherPassOf(first)?.toUTC().toISO()).toBe('2026-10-25T01:30:00.000Z');
    expect(
      otherPassOf(first.plus({ hours: 1 }))
        ?.toUTC()
        .toISO(),
    ).toBe('2026-10-25T00:30:00.000Z');
    expect(otherPassOf(first.plus({ hours: 3 }))).toBeNull();
    expect(
      otherPassOf(DateTime.fromISO('2027-03-28T01:30:00Z').setZone('Europe/Berlin')),
    ).toBeNull();
  });
});

describe('wall-clock times as instants, from the zone offsets alone', () => {
  it('reads every quarter hour of DST days as localDateTimeToInstant does (first pass, gaps forward)', () => {
    const days = [
      ['Europe/Berlin', '2026-03-29'],
      ['Europe/Berlin', '2026-10-25'],
      ['America/New_York', '2026-03-08'],
      ['America/New_York', '2026-11-01'],
      ['Australia/Sydney', '2026-04-05'],
      ['Asia/Kolkata', '2026-06-01'],
    ] as const;
    for (const [zone, date] of days) {
      for (let minutes = 0; minutes < 24 * 60; minutes += 15) {
        const local = `${date}T${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
        const expected = localDateTimeToInstant(local, zone);
        const at = new Date(wallClockToInstant(Date.parse(`${local}:00Z`), zone));
        expect([zone, local, at.toISOString().replace('.000Z', 'Z')]).toEqual([
          zone,
          local,
          expected,
        ]);
      }
    }
    expect(
      new Date(
        wallClockToInstant(Date.parse('2026-10-25T02:30:00Z'), 'Europe/Berlin'),
      ).toISOString(),
    ).toBe('2026-10-25T00:30:00.000Z');
    expect(
      new Date(
        wallClockToInstant(Date.parse('2026-03-29T02:30:00Z'), 'Europe/Berlin'),
      ).toISOString(),
    ).toBe('2026-03-29T01:30:00.000Z');
  });
});

describe('instants with an offset, normalized to UTC', () => {
  it('reads the stored form and Date.toISOString()’s as the slow path does, milliseconds kept only when set', () => {
    for (const value of [
      '2026-03-23T09:00:00Z',
      '2026-03-23T09:00:00.000Z',
      '2026-03-23T09:00:00.250Z',
      '2026-03-23T10:00:00+01:00',
    ]) {
      expect([value, normalizeDateTime(value)]).toEqual([
        value,
        DateTime.fromISO(value, { setZone: true }).toUTC().toISO({ suppressMilliseconds: true }),
      ]);
    }
    expect(normalizeDateTime('2026-02-30T09:00:00.000Z')).toBeNull();
  });
});
