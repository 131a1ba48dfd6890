import { describe, expect, it } from 'vitest';
import { nextOccurrence, normalizeRecurrenceRule, sameRecurrenceRule } from './recurrence.js';

describe('normalizeRecurrenceRule', () => {
  it('accepts a weekly rule on Mondays as written', () => {
    expect(normalizeRecurrenceRule('FREQ=WEEKLY;BYDAY=MO')).toEqual({
      rule: 'FREQ=WEEKLY;BYDAY=MO',
    });
  });

  it('drops an RRULE: prefix, in any case', () => {
    expect(normalizeRecurrenceRule('RRULE:FREQ=DAILY;INTERVAL=2')).toEqual({
      rule: 'FREQ=DAILY;INTERVAL=2',
    });
    expect(normalizeRecurrenceRule('  rrule:FREQ=DAILY  ')).toEqual({ rule: 'FREQ=DAILY' });
  });

  it('writes a rule in canonical upper case', () => {
    expect(normalizeRecurrenceRule('freq=monthly;bymonthday=15;count=3')).toEqual({
      rule: 'FREQ=MONTHLY;BYMONTHDAY=15;COUNT=3',
    });
  });

  it('keeps an UNTIL', () => {
    expect(normalizeRecurrenceRule('FREQ=DAILY;UNTIL=20250110T090000Z')).toEqual({
      rule: 'FREQ=DAILY;UNTIL=20250110T090000Z',
    });
  });

  it.each([
    ['an empty rule', ''],
    ['a blank rule', '   '],
    ['a bare prefix', 'RRULE:'],
    ['a rule without FREQ', 'INTERVAL=2'],
    ['an unknown FREQ', 'FREQ=BOGUS'],
    ['a non-numeric INTERVAL', 'FREQ=DAILY;INTERVAL=abc'],
    ['a zero INTERVAL', 'FREQ=DAILY;INTERVAL=0'],
    ['a zero COUNT', 'FREQ=DAILY;COUNT=0'],
    ['an unknown BYDAY', 'FREQ=WEEKLY;BYDAY=XX'],
    ['a DTSTART line', 'DTSTART:20250101T090000Z\nRRULE:FREQ=DAILY'],
    ['a DTSTART inside the rule', 'FREQ=DAILY;DTSTART=20250101T090000Z'],
  ])('rejects %s with a reason', (_name, rule) => {
    const result = normalizeRecurrenceRule(rule);
    expect(result).toEqual({ error: expect.any(String) });
    expect('error' in result && result.error.length > 0).toBe(true);
  });
});

describe('nextOccurrence', () => {
  it('moves a daily task to the next day at the same time', () => {
    expect(nextOccurrence('FREQ=DAILY', '2025-03-03T09:00:00Z', 'UTC')).toBe(
      '2025-03-04T09:00:00Z',
    );
  });

  it('honours an interval', () => {
    expect(nextOccurrence('FREQ=DAILY;INTERVAL=3', '2025-03-03', 'UTC')).toBe('2025-03-06');
  });

  it('moves a weekly task one week on', () => {
    expect(nextOccurrence('FREQ=WEEKLY', '2025-03-03T09:00:00Z', 'UTC')).toBe(
      '2025-03-10T09:00:00Z',
    );
  });

  it('moves a monthly task to the same day of the next month', () => {
    expect(nextOccurrence('FREQ=MONTHLY', '2025-01-15', 'UTC')).toBe('2025-02-15');
  });

  it('finds the last day of a shorter month for a rule on the last day', () => {
    expect(nextOccurrence('FREQ=MONTHLY;BYMONTHDAY=-1', '2025-01-31', 'UTC')).toBe('2025-02-28');
  });

  it('keeps an all-day task all-day', () => {
    const next = nextOccurrence('FREQ=WEEKLY', '2025-03-03', 'Europe/Paris');
    expect(next).toBe('2025-03-10');
  });

  it('counts COUNT from the start of the series and ends after the last occurrence', () => {
    const rule = 'FREQ=DAILY;COUNT=3';
    expect(nextOccurrence(rule, '2025-03-03', 'UTC', '2025-03-03')).toBe('2025-03-04');
    expect(nextOccurrence(rule, '2025-03-04', 'UTC', '2025-03-03')).toBe('2025-03-05');
    expect(nextOccurrence(rule, '2025-03-05', 'UTC', '2025-03-03')).toBeNull();
    expect(nextOccurrence('FREQ=DAILY;COUNT=1', '2025-03-05', 'UTC')).toBeNull();
  });

  it('keeps a daily 02:30 Paris series at 02:30 after the day that time does not exist', () => {
    // 2025-03-30 02:30 does not exist in Paris (clocks jump 02:00 -> 03:00).
    const rule = 'FREQ=DAILY';
    const start = '2025-03-29T01:30:00Z'; // 02:30 CET
    const gapDay = nextOccurrence(rule, start, 'Europe/Paris', start);
    expect(gapDay).toBe('2025-03-30T01:30:00Z'); // shown as 03:30 CEST
    expect(nextOccurrence(rule, gapDay ?? '', 'Europe/Paris', start)).toBe('2025-03-31T00:30:00Z');
  });

  it('includes an occurrence falling exactly on UNTIL and ends after it', () => {
    const rule = 'FREQ=DAILY;UNTIL=20250110T090000Z';
    expect(nextOccurrence(rule, '2025-01-09T09:00:00Z', 'UTC')).toBe('2025-01-10T09:00:00Z');
    expect(nextOccurrence(rule, '2025-01-10T09:00:00Z', 'UTC')).toBeNull();
  });

  it('ends an all-day series at a date-only UNTIL', () => {
    expect(nextOccurrence('FREQ=DAILY;UNTIL=20250110', '2025-01-09', 'UTC')).toBe('2025-01-10');
    expect(nextOccurrence('FREQ=DAILY;UNTIL=20250110', '2025-01-10', 'UTC')).toBeNull();
  });

  it('returns nothing for a rule that is not valid', () => {
    expect(nextOccurrence('FREQ=BOGUS', '2025-03-03', 'UTC')).toBeNull();
  });

  it('keeps a 09:00 Paris weekly task at 09:00 when summer time starts', () => {
    // 2025-03-24 09:00 CET (UTC+1); 2025-03-31 09:00 CEST (UTC+2).
    expect(nextOccurrence('FREQ=WEEKLY', '2025-03-24T08:00:00Z', 'Europe/Paris')).toBe(
      '2025-03-31T07:00:00Z',
    );
  });

  it('keeps a 09:00 New York task at 09:00 when summer time ends in November', () => {
    // Clocks go back on 2025-11-02: 09:00 EDT is 13:00Z, 09:00 EST is 14:00Z.
    expect(nextOccurrence('FREQ=WEEKLY', '2025-10-27T13:00:00Z', 'America/New_York')).toBe(
      '2025-11-03T14:00:00Z',
    );
    expect(nextOccurrence('FREQ=DAILY', '2025-11-01T13:00:00Z', 'America/New_York')).toBe(
      '2025-11-02T14:00:00Z',
    );
  });

  it('finds the Monday after a Wednesday anchor for a rule on Mondays', () => {
    expect(nextOccurrence('FREQ=WEEKLY;BYDAY=MO', '2025-03-26', 'UTC')).toBe('2025-03-31');
    // Wednesday 09:00 CET -> Monday 09:00 CEST, across the change to summer time.
    expect(nextOccurrence('FREQ=WEEKLY;BYDAY=MO', '2025-03-26T08:00:00Z', 'Europe/Paris')).toBe(
      '2025-03-31T07:00:00Z',
    );
  });

  it('reads weekdays in the user time zone, not in UTC', () => {
    // Monday 21:00 in New York is Tuesday in UTC; the next Monday 21:00 is after the US change.
    expect(nextOccurrence('FREQ=WEEKLY;BYDAY=MO', '2025-03-04T02:00:00Z', 'America/New_York')).toBe(
      '2025-03-11T01:00:00Z',
    );
  });

  it('reads the current occurrence with its own offset', () => {
    expect(nextOccurrence('FREQ=DAILY', '2025-03-03T09:00:00+01:00', 'UTC')).toBe(
      '2025-03-04T08:00:00Z',
    );
  });
});

describe('sameRecurrenceRule', () => {
  it('treats rules whose parts come in another order as the same (servers reorder them)', () => {
    expect(
      sameRecurrenceRule('FREQ=DAILY;INTERVAL=2;COUNT=10', 'FREQ=DAILY;COUNT=10;INTERVAL=2'),
    ).toBe(true);
    expect(sameRecurrenceRule('RRULE:freq=weekly;byday=MO', 'FREQ=WEEKLY;BYDAY=MO')).toBe(true);
    expect(sameRecurrenceRule('FREQ=DAILY;COUNT=10', 'FREQ=DAILY;COUNT=11')).toBe(false);
    expect(sameRecurrenceRule(null, 'FREQ=DAILY')).toBe(false);
    expect(sameRecurrenceRule(null, null)).toBe(true);
  });
});
