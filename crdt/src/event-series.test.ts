import { describe, expect, it } from 'vitest';
import { MAX_SERIES_OCCURRENCES, seriesOccurrenceStarts } from './event-series.js';

const spring = { from: new Date('2026-03-01T00:00:00Z'), to: new Date('2026-04-12T00:00:00Z') };

describe('occurrences of a recurring calendar event', () => {
  it('keeps a weekly 10:00 Berlin meeting at 10:00 local across the March DST change', () => {
    // Monday 9 March 2026, 10:00 CET; Berlin moves to CEST on Sunday 29 March.
    expect(
      seriesOccurrenceStarts('FREQ=WEEKLY', '2026-03-09T09:00:00Z', 'Europe/Berlin', spring),
    ).toEqual([
      '2026-03-09T09:00:00Z',
      '2026-03-16T09:00:00Z',
      '2026-03-23T09:00:00Z',
      '2026-03-30T08:00:00Z',
      '2026-04-06T08:00:00Z',
    ]);
  });

  it('keeps the wall time across the October change too', () => {
    const autumn = { from: new Date('2026-10-19T00:00:00Z'), to: new Date('2026-11-03T00:00:00Z') };
    expect(
      seriesOccurrenceStarts(
        'FREQ=WEEKLY;BYDAY=MO',
        '2026-10-19T08:00:00Z',
        'Europe/Berlin',
        autumn,
      ),
    ).toEqual(['2026-10-19T08:00:00Z', '2026-10-26T09:00:00Z', '2026-11-02T09:00:00Z']);
  });

  it('finds the occurrences of a series that began years before the range, and quickly', () => {
    const started = Date.now();
    const starts = seriesOccurrenceStarts(
      'FREQ=DAILY',
      '1990-01-01T09:00:00Z',
      'Europe/Berlin',
      spring,
    );
    expect(starts?.[0]).toBe('2026-03-01T09:00:00Z');
    expect(starts?.at(-1)).toBe('2026-04-11T08:00:00Z');
    expect(starts).toHaveLength(42);
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('counts COUNT from the first occurrence and stops at UNTIL', () => {
    const counted = 'FREQ=WEEKLY;COUNT=3';
    expect(
      seriesOccurrenceStarts(counted, '2026-03-02T09:00:00Z', 'Europe/Berlin', spring),
    ).toEqual(['2026-03-02T09:00:00Z', '2026-03-09T09:00:00Z', '2026-03-16T09:00:00Z']);
    const until = 'FREQ=WEEKLY;UNTIL=20260317T000000Z';
    expect(seriesOccurrenceStarts(until, '2026-02-02T09:00:00Z', 'Europe/Berlin', spring)).toEqual([
      '2026-03-02T09:00:00Z',
      '2026-03-09T09:00:00Z',
      '2026-03-16T09:00:00Z',
    ]);
  });

  it('expands an all-day series by dates, and monthly and yearly rules from long ago', () => {
    expect(seriesOccurrenceStarts('FREQ=WEEKLY;INTERVAL=2', '2026-03-03', 'UTC', spring)).toEqual([
      '2026-03-03',
      '2026-03-17',
      '2026-03-31',
    ]);
    expect(
      seriesOccurrenceStarts('FREQ=MONTHLY;BYDAY=-1FR', '2001-01-26T15:00:00Z', 'UTC', spring),
    ).toEqual(['2026-03-27T15:00:00Z']);
    expect(seriesOccurrenceStarts('FREQ=YEARLY', '1980-03-31', 'UTC', spring)).toEqual([
      '2026-03-31',
    ]);
    expect(seriesOccurrenceStarts('FREQ=MONTHLY', '2025-01-31T10:00:00Z', 'UTC', spring)).toEqual([
      '2026-03-31T10:00:00Z',
    ]);
  });

  it('refuses rules it cannot expand safely, without searching for ever', () => {
    const started = Date.now();
    for (const rule of [
      'FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30',
      'FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6',
      'FREQ=MONTHLY;BYDAY=1MO;BYMONTHDAY=20',
      'FREQ=SECONDLY',
      'FREQ=DAILY;COUNT=100000',
      'FREQ=YEARLY;BYWEEKNO=60',
      'FREQ=WEEKLY;BYHOUR=25',
      'not a rule',
    ]) {
      expect(seriesOccurrenceStarts(rule, '2026-03-02T09:00:00Z', 'UTC', spring), rule).toBeNull();
    }
    expect(
      seriesOccurrenceStarts('FREQ=WEEKLY', '2026-03-02T09:00:00Z', 'Mars/Olympus', spring),
    ).toBeNull();
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('returns at most MAX_SERIES_OCCURRENCES occurrences', () => {
    const decade = { from: new Date('2020-01-01T00:00:00Z'), to: new Date('2030-01-01T00:00:00Z') };
    expect(seriesOccurrenceStarts('FREQ=DAILY', '2020-01-01', 'UTC', decade)).toHaveLength(
      MAX_SERIES_OCCURRENCES,
    );
  });
});
