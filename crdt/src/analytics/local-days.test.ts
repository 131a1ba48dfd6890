import { describe, expect, it } from 'vitest';
import type { TimeEntry } from '../schema.js';
import {
  addDays,
  dayIndexAt,
  daysBetween,
  entryPieces,
  isIsoDate,
  type LocalDay,
  localDateOf,
  localDayStart,
  localDays,
  splitByDays,
  splitByLocalDay,
  toEpochSeconds,
  wallClockSeconds,
} from './local-days.js';

const s = (iso: string) => toEpochSeconds(iso);

function entry(start: string, end: string | null): TimeEntry {
  return {
    id: 'e1',
    taskId: null,
    start,
    end,
    description: '',
    isManual: false,
    createdAt: start,
    updatedAt: start,
  };
}

describe('local days', () => {
  it('splits an entry crossing local midnight across both days', () => {
    // 23:00-01:00 in New York (EST, UTC-5): 04:00Z-06:00Z.
    const pieces = splitByLocalDay(
      s('2025-01-16T04:00:00Z'),
      s('2025-01-16T06:00:00Z'),
      'America/New_York',
    );
    expect(pieces).toEqual([
      { date: '2025-01-15', weekday: 3, seconds: 3600 },
      { date: '2025-01-16', weekday: 4, seconds: 3600 },
    ]);
  });

  it('keeps an interval inside one local day in one piece', () => {
    expect(splitByLocalDay(s('2025-01-16T04:00:00Z'), s('2025-01-16T04:30:00Z'), 'UTC')).toEqual([
      { date: '2025-01-16', weekday: 4, seconds: 1800 },
    ]);
  });

  it('gives no pieces for an empty or reversed interval', () => {
    const t = s('2025-01-16T04:00:00Z');
    expect(splitByLocalDay(t, t, 'UTC')).toEqual([]);
    expect(splitByLocalDay(t, t - 60, 'UTC')).toEqual([]);
  });

  it('makes the spring-forward day 23 hours and the fall-back day 25 hours long in Europe/Paris', () => {
    const spring = localDays('2025-03-29', '2025-03-31', 'Europe/Paris');
    expect(spring.map((day) => [day.date, day.end - day.start])).toEqual([
      ['2025-03-29', 86_400],
      ['2025-03-30', 82_800],
      ['2025-03-31', 86_400],
    ]);
    expect(spring[1]?.start).toBe(s('2025-03-29T23:00:00Z'));
    expect(spring[2]?.start).toBe(s('2025-03-30T22:00:00Z'));
    const fall = localDays('2025-10-26', '2025-10-26', 'Europe/Paris');
    expect(fall.map((day) => day.end - day.start)).toEqual([90_000]);
  });

  it('splits an interval spanning the 23-hour DST day by real elapsed time', () => {
    // Saturday 22:00 CET to Monday 01:00 CEST: 2 h + the whole 23 h Sunday + 1 h.
    const pieces = splitByLocalDay(
      s('2025-03-29T21:00:00Z'),
      s('2025-03-30T23:00:00Z'),
      'Europe/Paris',
    );
    expect(pieces).toEqual([
      { date: '2025-03-29', weekday: 6, seconds: 7200 },
      { date: '2025-03-30', weekday: 7, seconds: 82_800 },
      { date: '2025-03-31', weekday: 1, seconds: 3600 },
    ]);
  });

  it('starts a day whose midnight is skipped at its first instant', () => {
    // America/Santiago moved from 00:00 -04 straight to 01:00 -03 on 2024-09-08.
    expect(localDayStart('2024-09-08', 'America/Santiago')).toBe(s('2024-09-08T04:00:00Z'));
    const days = localDays('2024-09-07', '2024-09-08', 'America/Santiago');
    expect(days.map((day) => day.end - day.start)).toEqual([86_400, 82_800]);
  });

  it('lists days oldest first with ISO weekdays, including both ends', () => {
    const days = localDays('2025-01-11', '2025-01-13', 'America/New_York');
    expect(days).toEqual([
      {
        date: '2025-01-11',
        weekday: 6,
        start: s('2025-01-11T05:00:00Z'),
        end: s('2025-01-12T05:00:00Z'),
      },
      {
        date: '2025-01-12',
        weekday: 7,
        start: s('2025-01-12T05:00:00Z'),
        end: s('2025-01-13T05:00:00Z'),
      },
      {
        date: '2025-01-13',
        weekday: 1,
        start: s('2025-01-13T05:00:00Z'),
        end: s('2025-01-14T05:00:00Z'),
      },
    ]);
  });

  it('answers a range asked again with the same frozen days, and another zone with its own', () => {
    const paris = localDays('2025-03-28', '2025-04-02', 'Europe/Paris');
    expect(localDays('2025-03-28', '2025-04-02', 'Europe/Paris')).toBe(paris);
    expect(Object.isFrozen(paris)).toBe(true);
    expect(Object.isFrozen(paris[0])).toBe(true);
    expect(() => (paris as LocalDay[]).push(paris[0] as LocalDay)).toThrow(TypeError);
    const tokyo = localDays('2025-03-28', '2025-04-02', 'Asia/Tokyo');
    expect(tokyo[0]?.start).toBe(s('2025-03-27T15:00:00Z'));
    expect(paris[0]?.start).toBe(s('2025-03-27T23:00:00Z'));
    // 30 March 2025 is 23 hours long in Paris, not in Tokyo.
    expect(paris.map((day) => day.end - day.start)).toContain(23 * 3600);
    expect(tokyo.every((day) => day.end - day.start === 24 * 3600)).toBe(true);
  });

  it('still works out ranges longer than it keeps', () => {
    const days = localDays('1990-01-01', '2049-12-31', 'UTC');
    expect(days).toHaveLength(21915);
    expect(days.at(-1)?.date).toBe('2049-12-31');
    expect(localDays('1990-01-01', '1990-01-02', 'UTC')).toHaveLength(2);
  });

  it('refuses to list days between invalid dates', () => {
    expect(() => localDays('', '2025-01-01', 'UTC')).toThrow(RangeError);
  });

  it('reads the local date of an instant in the zone, not in UTC', () => {
    expect(localDateOf(s('2025-01-16T04:30:00Z'), 'America/New_York')).toBe('2025-01-15');
    expect(localDateOf(s('2025-01-16T04:30:00Z'), 'UTC')).toBe('2025-01-16');
    expect(localDateOf(s('2025-01-15T23:30:00Z'), 'Asia/Tokyo')).toBe('2025-01-16');
  });

  it('measures working hours as elapsed time, shorter or longer on DST days', () => {
    expect(wallClockSeconds('2025-03-28', '01:00', '04:00', 'Europe/Paris')).toBe(10_800);
    expect(wallClockSeconds('2025-03-30', '01:00', '04:00', 'Europe/Paris')).toBe(7200);
    expect(wallClockSeconds('2025-10-26', '01:00', '04:00', 'Europe/Paris')).toBe(14_400);
    expect(wallClockSeconds('2025-01-13', '09:00', '17:00', 'America/New_York')).toBe(28_800);
  });

  it('truncates instants to whole seconds so pieces add up to the total', () => {
    expect(toEpochSeconds('2025-01-01T00:00:00.999Z')).toBe(1_735_689_600);
    expect(toEpochSeconds(new Date('2025-01-01T00:00:01.001Z'))).toBe(1_735_689_601);
    const pieces = splitByLocalDay(
      toEpochSeconds('2025-01-01T23:59:59.900Z'),
      toEpochSeconds('2025-01-02T00:00:10.100Z'),
      'UTC',
    );
    expect(pieces.map((piece) => piece.seconds)).toEqual([1, 10]);
  });

  it('does calendar arithmetic on dates and validates them', () => {
    expect(addDays('2025-03-01', -1)).toBe('2025-02-28');
    expect(addDays('2024-12-31', 1)).toBe('2025-01-01');
    expect(daysBetween('2024-01-01', '2024-12-31')).toBe(365);
    expect(daysBetween('2025-01-02', '2025-01-01')).toBe(-1);
    expect(isIsoDate('2024-02-29')).toBe(true);
    expect(isIsoDate('2025-02-29')).toBe(false);
    expect(isIsoDate('2025-1-01')).toBe(false);
    expect(isIsoDate('2025-01-01T00:00:00Z')).toBe(false);
    expect(isIsoDate(undefined)).toBe(false);
  });

  describe('along precomputed days', () => {
    const days = localDays('2025-01-13', '2025-01-15', 'America/New_York');

    it('finds the day holding an instant, or -1 outside the days', () => {
      expect(dayIndexAt(days, s('2025-01-13T05:00:00Z'))).toBe(0);
      expect(dayIndexAt(days, s('2025-01-15T04:59:59Z'))).toBe(1);
      expect(dayIndexAt(days, s('2025-01-16T04:59:59Z'))).toBe(2);
      expect(dayIndexAt(days, s('2025-01-13T04:59:59Z'))).toBe(-1);
      expect(dayIndexAt(days, s('2025-01-16T05:00:00Z'))).toBe(-1);
      expect(dayIndexAt([], 0)).toBe(-1);
    });

    it('drops the parts of an interval outside the days', () => {
      const pieces = splitByDays(s('2025-01-12T00:00:00Z'), s('2025-01-20T00:00:00Z'), days);
      expect(pieces.map((piece) => [piece.date, piece.seconds])).toEqual([
        ['2025-01-13', 86_400],
        ['2025-01-14', 86_400],
        ['2025-01-15', 86_400],
      ]);
      expect(splitByDays(s('2025-01-20T00:00:00Z'), s('2025-01-21T00:00:00Z'), days)).toEqual([]);
    });

    it('clips an entry to the days and to the limit', () => {
      const e = entry('2025-01-13T04:00:00Z', '2025-01-13T07:00:00Z');
      const now = s('2025-01-20T00:00:00Z');
      expect(entryPieces(e, days, now)).toEqual([
        { date: '2025-01-13', weekday: 1, seconds: 7200 },
      ]);
      expect(entryPieces(e, days, now, s('2025-01-13T06:00:00Z'))).toEqual([
        { date: '2025-01-13', weekday: 1, seconds: 3600 },
      ]);
    });

    it('counts a running entry up to now', () => {
      const pieces = entryPieces(
        entry('2025-01-13T10:00:00Z', null),
        days,
        s('2025-01-13T10:45:00Z'),
      );
      expect(pieces).toEqual([{ date: '2025-01-13', weekday: 1, seconds: 2700 }]);
    });

    it('counts nothing for a running entry that starts after now', () => {
      expect(
        entryPieces(entry('2025-01-13T10:00:00Z', null), days, s('2025-01-13T09:00:00Z')),
      ).toEqual([]);
    });
  });
});
